"""What the last build of one output folder was made from, to skip work that is still done."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from sys import intern
from typing import Any

from generator.cache_files import code_fingerprint, load_blob, save_blob
from generator.config import Config
from generator.incremental.page_cache import RACY_NS
from generator.manifest import MANIFEST, NO_BUILD, BuildCheck
from generator.model import SourceFile


class OutputState:
    """What the last build of one output folder was made from, to skip work that is still done.

    Holds a key of all inputs (file sizes and times, config, templates, options) for the
    "nothing changed" check, and per output file the key of what it showed and its hash, so
    that pages whose inputs did not change are not rendered again.
    """

    def __init__(self, path: Path | None, fingerprint: str, output: BuildCheck = NO_BUILD,
                 spare: Callable[[], BuildCheck] | None = None) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.data: dict[str, Any] = {}
        self.newest_ns = 0
        #: output/ as it is on disk: its manifest and the files edited since (never reused).
        self.output = output
        #: The build before last (see write.Places), checked when first needed.
        self.spare = spare
        self._sitemap: dict[tuple[Any, ...], str] | None = None
        self._keys: dict[str, tuple[str, str]] | None = None
        #: Hash of the output paths of this build and what makes them (checked when it changes).
        self.claims = ""

    @classmethod
    def open(cls, config: Config, enabled: bool = True, output: BuildCheck = NO_BUILD,
             spare: Callable[[], BuildCheck] | None = None) -> OutputState:
        fingerprint = hashlib.sha256(f"{code_fingerprint()}|{config.fingerprint()}".encode()).hexdigest()[:20]
        if not enabled:
            return cls(None, fingerprint)
        where = hashlib.sha256(str(config.output_dir.resolve()).encode()).hexdigest()[:12]
        state = cls(config.cache_dir / f"output-{where}.bin", fingerprint, output, spare)
        state.data = load_blob(state.path, fingerprint)[0] or {}
        return state

    def inputs_key(self, found: Any, static: dict[str, SourceFile], options: Any, templates: str) -> str:
        files = [*found.pages, *found.assets]
        self.newest_ns = max([s.mtime_ns for s in [*files, *static.values()]], default=0)
        # One string hashed once: an archive has tens of thousands of files.
        text = "".join([repr((templates, options.drafts, options.future, options.strict,
                              options.now.isoformat() if options.now else "")),
                        *[f"{s.rel_path}\0{s.size}\0{s.mtime_ns}\n" for s in files],
                        *[f"s:{rel}\0{s.location}\0{s.size}\0{s.mtime_ns}\n" for rel, s in static.items()]])
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def unchanged(self, inputs: str, output_dir: Path, now: float) -> bool:
        """True when the last build had these very inputs and its output is still in place."""
        if self.path is None or self.data.get("inputs") != inputs:
            return False
        if self.newest_ns >= self.data.get("saved_ns", 0) - RACY_NS:
            return False
        due = self.data.get("next_due")
        if due is not None and now >= due:
            return False
        if self.data.get("manifest_stat") != _stat(output_dir / MANIFEST):
            return False
        # A file deleted or edited in output/ by hand must be made again.
        return not self.output.damaged

    def result_of_unchanged(self, result: Any) -> Any:
        result.pages = self.data.get("pages", 0)
        result.listings = self.data.get("listings", 0)
        result.files_unchanged = self.data.get("files", 0)
        result.problems = list(self.data.get("problems", []))
        return result

    def reusable(self, keys: dict[str, str], output_dir: Path) -> dict[str, str]:
        """Output paths whose page can be taken from the last build, with their hashes."""
        previous = self.previous_keys
        if not previous:
            return {}
        manifest = self._manifest(output_dir)
        # The write stage fills the build before last (the spare folder): a file it holds with
        # these bytes is never taken from output/, so only the others must still be there.
        spare = self._spare_manifest(output_dir)
        reuse = {}
        damaged = self.output.damaged
        for path, key in keys.items():
            entry = previous.get(path)
            if (entry is not None and entry[0] == key and manifest.get(path) == entry[1] and path not in damaged
                    and (spare.get(path) == entry[1] or os.path.isfile(output_dir / path))):
                reuse[path] = entry[1]
        return reuse

    def _manifest(self, output_dir: Path) -> dict[str, str]:
        return self.output.files

    def _spare_manifest(self, output_dir: Path) -> dict[str, str]:
        return self.spare().intact if self.spare is not None else {}

    def spliceable(self, keys: dict[str, str], output_dir: Path) -> dict[str, Path]:
        """Pages whose only change since the last build is their sidebar, with their old files."""
        previous = self.previous_keys
        if not previous:
            return {}
        manifest = self._manifest(output_dir)
        out = {}
        for path, key in keys.items():
            entry = previous.get(path)
            if entry is None or entry[0] == key or manifest.get(path) != entry[1] or path in self.output.damaged:
                continue
            main, _, side = key.partition(":")
            old_main, _, old_side = entry[0].partition(":")
            if main == old_main and side and old_side != side:
                out[path] = output_dir / path
        return out

    @property
    def previous_keys(self) -> dict[str, tuple[str, str]]:
        """Output path -> (key, hash) of every page of the last build.

        In a file of its own, read only when a build renders: a no-op build must stay quick.
        """
        if self._keys is None:
            self._keys = {}
            if self.path is not None and self.data:
                found = load_blob(self.path.with_suffix(".keys"), self.fingerprint)[0]
                if found and found.get("inputs") == self.data.get("keys_of", self.data.get("inputs")):
                    # The same strings as the manifests' (see manifest.read_manifest).
                    self._keys = {intern(path): (key, intern(digest)) for path, (key, digest) in found["keys"].items()}
        return self._keys

    @property
    def sitemap_entries(self) -> dict[tuple[Any, ...], str]:
        """The sitemap entries of the last build (see sitemap.sitemap_files), or of this one
        once `keep_sitemap` has been given them.

        Kept in a file of its own, read only when a build renders: a no-op build must stay quick.
        """
        if self._sitemap is None:
            self._sitemap = {}
            if self.path is not None:
                found = load_blob(self.path.with_suffix(".sitemap"), self.fingerprint)[0]
                self._sitemap = found.get("entries", {}) if found else {}
        return self._sitemap

    def keep_sitemap(self, entries: dict[tuple[Any, ...], str]) -> None:
        """This build's sitemap entries, saved with its state for the next build."""
        self._sitemap = entries

    def save_edited(self, inputs: str, output_dir: Path, result: Any) -> None:
        """The state after a build that redid only text edits (see `text_edits`): the keys of
        the last full build stay, under its inputs. A file it remade now has another hash than
        its key's, so it is not reused by that key; the pages that only show the edited
        articles have the same bytes, and a new key for them in the next full build."""
        if self.path is None:
            return
        self.data = {**self.data, "keys_of": self.data.get("keys_of", self.data.get("inputs")), "inputs": inputs,
                     "manifest_stat": _stat(output_dir / MANIFEST), "saved_ns": time.time_ns(),
                     "problems": list(result.problems), "write_problems": list(result.write_problems)}
        save_blob(self.path, self.fingerprint, self.data)

    def save(self, inputs: str, keys: dict[str, str], manifest: Any, output_dir: Path, result: Any,
             next_due: float | None) -> None:
        if self.path is None:
            return
        self._keys = {path: (key, manifest[path]) for path, key in keys.items() if path in manifest}
        save_blob(self.path.with_suffix(".keys"), self.fingerprint, {"inputs": inputs, "keys": self._keys},
                  distinct=True)
        self.data = {
            "inputs": inputs,
            "manifest_stat": _stat(output_dir / MANIFEST),
            "next_due": next_due,
            "claims": self.claims,
            "pages": result.pages,
            "listings": result.listings,
            "files": len(manifest),
            "saved_ns": time.time_ns(),
            "problems": list(result.problems) if result.problems else [],
            "write_problems": list(result.write_problems),
        }
        save_blob(self.path, self.fingerprint, self.data)
        if self._sitemap is not None:
            save_blob(self.path.with_suffix(".sitemap"), self.fingerprint, {"entries": self._sitemap}, distinct=True)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)
