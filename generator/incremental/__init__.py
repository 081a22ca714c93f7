"""The incremental layer: everything a build reuses from the builds before it, behind one interface.

- `page_cache`: pages and body HTML of unchanged source files, related lists;
- `output_state`: what the last build of an output folder was made from (the no-op check) and
  the key and hash of every file it wrote;
- `keys`: the key of each planned output (a hash of what it shows);
- `splice`: pages whose only change is their sidebar;
- `text_edits`: what a build leaves for the next one to redo a text edit without the archive.

`open_layer` gives `Incremental` for a normal build, and `NullIncremental` (the same interface,
reusing nothing) for `--no-cache` and `vestka check`. A stage asks the layer; it never needs to
know which one it has.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.config import Config
from generator.incremental import output_state, text_edits
from generator.incremental.keys import Keys
from generator.incremental.output_state import OutputState
from generator.incremental.page_cache import PageCache
from generator.incremental.splice import splice_safe
from generator.incremental.text_edits import TextEdits
from generator.manifest import MANIFEST, BuildCheck
from generator.model import BuildResult, Job, Page
from generator.search_behind import index_behind
from generator.theme import templates_fingerprint

if TYPE_CHECKING:
    from generator.plan import Plan
    from generator.sources import Inputs
    from generator.write import Target


@dataclass(slots=True)
class Decision:
    """What to do with each planned page: reuse the file of the last build, splice it, or render."""

    #: Output path -> hash of the last build's file, still right.
    reuse: dict[str, str] = field(default_factory=dict)
    #: Output path -> the last build's file, right but for its sidebar.
    splice: dict[str, Path] = field(default_factory=dict)


class NullIncremental:
    """Reuses nothing and remembers nothing: every build is a clean build."""

    def __init__(self, config: Config) -> None:
        self.pages = PageCache.open(config, enabled=False)

    def unchanged(self, inputs: Inputs, options: Any, result: BuildResult) -> bool:
        """True (and `result` filled from the last build) when nothing changed since it."""
        return False

    def text_edits(self, inputs: Inputs, options: Any) -> TextEdits | None:
        """The page files changed since the last build, when they may be text edits that
        `generator.edits` can redo alone; None when a full build is needed."""
        return None

    def keep_site(self, site: Any) -> None:
        """Keep the assembled site for the text edits of the next build (see `text_edits`)."""

    def save_edited(self, result: BuildResult, output_dir: Path, edits: TextEdits, pages: dict[str, Page]) -> None:
        """Save the state after a build that redid the text edits `pages` (source -> new page)."""

    @property
    def sitemap_entries(self) -> dict[tuple[Any, ...], str] | None:
        """The text of the last build's sitemap entries (see sitemap.sitemap_files)."""
        return None

    def keep_sitemap(self, entries: dict[tuple[Any, ...], str]) -> None:
        """This build's sitemap entries, for the next build."""

    def claims_changed(self, claims: list[tuple[str, str]]) -> bool:
        return True

    def decide(self, plan: Plan, keys: Keys) -> Decision:
        return Decision()

    def feed_reuse(self) -> Callable[[Job], str | None] | None:
        return None

    @property
    def common(self) -> str:
        """What every output's key starts from: the config and the templates (see `Keys`)."""
        return ""

    def save(self, result: BuildResult, output_dir: Path) -> None:
        pass


class Incremental(NullIncremental):
    """The page cache and the state of the output folder, in the site's `.vestka-cache/`."""

    def __init__(self, config: Config, output: BuildCheck, spare: Callable[[], BuildCheck]) -> None:
        self.config = config
        self.state = OutputState.open(config, output=output, spare=spare)
        self.inputs = ""
        self.templates = ""
        self.keys: dict[str, str] = {}
        self._keys: Keys | None = None
        self.frame = ""
        self.stamps: dict[str, tuple[int, int]] = {}
        self._snapshot: Any = None
        self._keep = False

    @functools.cached_property
    def pages(self) -> PageCache:  # type: ignore[override]
        # Read on first use: a no-op build stops before reading pages and never needs it (at 10k
        # the cache takes half a second to load).
        return PageCache.open(self.config)

    @property
    def sitemap_entries(self) -> dict[tuple[Any, ...], str] | None:
        return self.state.sitemap_entries

    def keep_sitemap(self, entries: dict[tuple[Any, ...], str]) -> None:
        self.state.keep_sitemap(entries)

    @property
    def common(self) -> str:
        return f"{self.config.fingerprint()}|{self.templates}"

    def unchanged(self, inputs: Inputs, options: Any, result: BuildResult) -> bool:
        self.templates = templates_fingerprint(self.config)
        self.inputs = self.state.inputs_key(inputs.found, inputs.static, options, self.templates)
        if not self.state.unchanged(self.inputs, self.config.output_dir, time.time()):
            return False
        self.state.result_of_unchanged(result)
        return True

    def text_edits(self, inputs: Inputs, options: Any) -> TextEdits | None:
        found, state = inputs.found, self.state
        self.frame = text_edits.frame_key(found, inputs.static, options, self.templates)
        self.stamps = text_edits.stamps_of(found)
        # `vestka serve` keeps its own session (generator.session), and its threads forbid a fork.
        self._keep = not options.defer_search and options.session is None
        due = state.data.get("next_due")
        if (state.path is None or options.strict or not self._keep or index_behind(self.config)
                or not state.data or state.output.damaged or (due is not None and time.time() >= due)
                or state.data.get("manifest_stat") != output_state._stat(self.config.output_dir / MANIFEST)):
            return None
        return text_edits.find(state.path, state.fingerprint, state.data.get("inputs", ""), self.frame, found.pages)

    def keep_site(self, site: Any) -> None:
        if self.state.path is not None and self._keep:
            self._snapshot = text_edits.keep_site(site, self.state.path, self.state.fingerprint, self.inputs)

    def save_edited(self, result: BuildResult, output_dir: Path, edits: TextEdits, pages: dict[str, Page]) -> None:
        assert self.state.path is not None
        self.state.save_edited(self.inputs, output_dir, result)
        text_edits.save(self.state.path, self.state.fingerprint, self.inputs, self.frame, self.stamps,
                        edits.last["snapshot"], {**edits.last.get("overrides", {}), **pages})

    def claims_changed(self, claims: list[tuple[str, str]]) -> bool:
        # The paths of an archive rarely change between builds; the same paths passed last time.
        self.state.claims = hashlib.blake2b("\0".join(f"{p}\0{s}" for p, s in claims).encode(
            "utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return self.state.claims != self.state.data.get("claims")

    def decide(self, plan: Plan, keys: Keys) -> Decision:
        self._keys = keys
        self.keys = {job.output_path: keys.job(job) for job in plan.jobs}
        output_dir = self.config.output_dir
        decision = Decision(reuse=self.state.reusable(self.keys, output_dir))
        if splice_safe(self.config):
            decision.splice = self.state.spliceable(self.keys, output_dir)
        return decision

    def feed_reuse(self) -> Callable[[Job], str | None] | None:
        keys = self._keys
        if keys is None:
            return None

        def reuse(job: Job) -> str | None:
            # Keyed as pages are: a hash of its `FeedInputs`, its articles by their page keys.
            path = job.output_path
            self.keys[path] = keys.job(job)
            return self.state.reusable({path: self.keys[path]}, self.config.output_dir).get(path)

        return reuse

    def save(self, result: BuildResult, output_dir: Path) -> None:
        self.pages.save()
        self.state.save(self.inputs, self.keys, result.manifest, output_dir, result, result.next_due)
        if self.state.path is not None and self.frame:
            kept = self._snapshot is not None and self._snapshot.result()
            text_edits.save(self.state.path, self.state.fingerprint, self.inputs, self.frame, self.stamps,
                            self.inputs if kept else None, {})


def open_layer(config: Config, target: Target | None) -> NullIncremental:
    """The layer for a build that writes `target`; `NullIncremental` without one."""
    if target is None:
        return NullIncremental(config)
    return Incremental(config, target.output, target.spare)
