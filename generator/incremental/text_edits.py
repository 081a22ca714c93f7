"""What a build leaves for the next one to redo a text edit without the whole archive.

Most builds in a newsroom follow a change to the text of an article, and to nothing that other
pages show of it: a typo fixed, a paragraph added. A full build would still read the page
cache of the whole archive, assemble the site and key every output to find that one page, the
feeds that carry its text and its terms in the search index have changed. So every full build
leaves, beside its output state:

- the assembled `Site` (without its bodies), written by a forked child while the build renders
  (`keep_site`): a snapshot, named by the key of the build's inputs;
- the size and time of every page file, and a key of everything else the build was made from
  (config, templates, options, the other files and the set of page files: `frame_key`).

The next build compares the page files with those stamps (`find`). When only a few changed,
everything else is as it was, and the snapshot is the last full build's, it hands them to
`generator.edits`, which reads them, checks that each changed only in its text, and redoes
what shows that text. The edited pages are noted as changes to the snapshot ("overrides"),
so that further text edits build on it too; the next full build writes a new snapshot.

Any doubt (a file not in the snapshot, a damaged or missing snapshot, output/ edited by hand,
a scheduled article now due) leaves the build to the full pipeline.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator.cache_files import load_blob, save_blob, save_blob_streamed
from generator.incremental.page_cache import RACY_NS
from generator.model import Page, SourceFile

#: More changed files than this, and a full build costs about as much.
MAX_EDITS = 20
#: Beside the output state file: the snapshot of the site and the stamps of the page files.
SNAPSHOT_SUFFIX, STAMPS_SUFFIX = ".site", ".stamps"


def frame_key(found: Any, static: dict[str, SourceFile], options: Any, templates: str) -> str:
    """A key of everything a build reads but the contents of its page files: the options, the
    templates, every other file with its size and time, and the set of page files."""
    text = "".join([repr((templates, options.drafts, options.future, options.strict,
                          options.now.isoformat() if options.now else "")),
                    *[f"{s.rel_path}\n" for s in found.pages],
                    *[f"a:{s.rel_path}\0{s.size}\0{s.mtime_ns}\n" for s in found.assets],
                    *[f"s:{rel}\0{s.location}\0{s.size}\0{s.mtime_ns}\n" for rel, s in static.items()]])
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def stamps_of(found: Any) -> dict[str, tuple[int, int]]:
    return {s.rel_path: (s.size, s.mtime_ns) for s in found.pages}


@dataclass(slots=True)
class TextEdits:
    """Page files that changed since the last build, when all else is as it was."""

    #: The changed files as discovery found them.
    changed: list[SourceFile]
    #: The stamps file of the last build (see `find`).
    last: dict[str, Any]
    snapshot_path: Path
    fingerprint: str

    def site(self) -> Any:
        """The last full build's site with the text edits made since, or None when it is not there."""
        found = load_blob(self.snapshot_path, self.fingerprint)[0]
        if not found or found.get("id") != self.last.get("snapshot"):
            return None
        site = found["site"]
        site.pages.update(self.last.get("overrides", {}))
        return site


def find(state_path: Path, fingerprint: str, inputs_key: str, frame: str,
         pages: list[SourceFile]) -> TextEdits | None:
    """The page files changed since the last build, when it left what a text edit needs
    (`inputs_key`: the key of the last build's inputs, as its output state holds it)."""
    last = load_blob(state_path.with_suffix(STAMPS_SUFFIX), fingerprint)[0]
    if not last or last.get("inputs") != inputs_key or last.get("frame") != frame or not last.get("snapshot"):
        return None
    stamps, racy = last["stamps"], last["saved_ns"] - RACY_NS
    # A file changed again within its timestamp's tick right after the last build looks unchanged.
    changed = [s for s in pages if stamps.get(s.rel_path) != (s.size, s.mtime_ns) or s.mtime_ns >= racy]
    if not changed or len(changed) > MAX_EDITS:
        return None
    return TextEdits(changed, last, state_path.with_suffix(SNAPSHOT_SUFFIX), fingerprint)


def keep_site(site: Any, state_path: Path, fingerprint: str, ident: str) -> Any:
    """Start writing the snapshot of `site` in a forked child; `.result()` is True once written."""
    from generator.parallel import Later

    kept = replace(site, related_memo={})  # the next full build's business, not a text edit's

    def write() -> bool:
        return save_blob_streamed(state_path.with_suffix(SNAPSHOT_SUFFIX), fingerprint, {"id": ident, "site": kept})

    # Not in this process: pickling a 10k archive's site takes a third of a second, which the
    # child spends at the lowest priority on a core the build leaves idle (the search index of
    # a cold build keeps both busy: the child must not slow it).
    return Later(write, waited=True)


def save(state_path: Path, fingerprint: str, inputs_key: str, frame: str, stamps: dict[str, tuple[int, int]],
         snapshot: str | None, overrides: dict[str, Page]) -> None:
    """Record what the build that just ended was made from (`snapshot`: the id of the site
    snapshot it builds on, None for none)."""
    save_blob(state_path.with_suffix(STAMPS_SUFFIX), fingerprint,
              {"inputs": inputs_key, "frame": frame, "stamps": stamps, "snapshot": snapshot,
               "overrides": overrides, "saved_ns": time.time_ns()})
