"""The parsed-page cache in `.vestka-cache/`: safe to delete, never trusted when damaged.

Two tables: pages by (file, size, mtime) and rendered bodies by the hash of their source text.
Both are keyed by a fingerprint of everything that can change the result (generator version,
config, sanitize setting), so a config change never serves stale HTML. The file carries a
SHA-256 of its payload; one that does not match is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator import __version__
from generator.config import Config
from generator.errors import Problem
from generator.manifest import MANIFEST, NO_BUILD, BuildCheck
from generator.model import Page, RenderedBody, SourceFile

_MAGIC = b"VESTKA-CACHE-1\n"
#: A file changed this close to the moment a cache was saved may have changed again within the
#: same timestamp tick, so its size and time prove nothing: it is read again ("racy" entries).
RACY_NS = 2_000_000_000
RELATED_NAME = "related.bin"
#: Pages and body HTML are each spread over this many files (pages-NN.bin, bodies-NN.bin).
SHARDS = 32


def code_fingerprint() -> str:
    """Identity of the installed generator's code, so a changed Vestka never trusts old results."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(__version__.encode(), digest_size=12)
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(package)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class PageCache:
    """Read at the start of a build, written at its end (only the parts that changed).

    Pages and bodies are each spread over `SHARDS` files by a hash of their key, so saving one
    edited article rewrites two small files, not the cache of the whole archive.
    """

    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.pages: dict[str, tuple[int, int, Page, tuple[Problem, ...]]] = {}
        self.bodies: dict[str, RenderedBody] = {}
        self.used_pages: set[str] = set()
        self.used_bodies: set[str] = set()
        #: When each page shard was saved (see RACY_NS).
        self.saved_ns: dict[int, int] = {}
        #: Related-article lists by the key of their inputs (see related.related_lists).
        self.related: dict[str, tuple[str, ...]] = {}
        self.related_changed = False
        #: Shards that gained an entry in this build.
        self.dirty_pages: set[int] = set()
        self.dirty_bodies: set[int] = set()
        #: Why a stored cache file was not used ("" when all were, or when there were none).
        self.rejected = ""
        #: Pages served from the cache in this build.
        self.hits = 0

    @classmethod
    def open(cls, config: Config, enabled: bool = True) -> PageCache:
        fingerprint = hashlib.sha256(f"{code_fingerprint()}|{config.fingerprint()}".encode()).hexdigest()[:20]
        if not enabled:
            return cls(None, fingerprint)
        cache = cls(config.cache_dir, fingerprint)
        cache._load()
        return cache

    def _load(self) -> None:
        assert self.folder is not None
        for shard in range(SHARDS):
            # A damaged shard only costs reading and converting its files again.
            found, why = load_blob(self._path("pages", shard), self.fingerprint)
            self.rejected = self.rejected or why
            if found is not None:
                self.pages.update(found.get("pages", {}))
                self.saved_ns[shard] = found.get("saved_ns", 0)
            found, why = load_blob(self._path("bodies", shard), self.fingerprint)
            self.rejected = self.rejected or why
            if found is not None:
                self.bodies.update(found.get("bodies", {}))
        found, why = load_blob(self.folder / RELATED_NAME, self.fingerprint)
        self.rejected = self.rejected or why
        if found is not None:
            self.related = found.get("related", {})

    def _path(self, kind: str, shard: int) -> Path:
        assert self.folder is not None
        return self.folder / f"{kind}-{shard:02d}.bin"

    def page(self, rel: str, source: SourceFile) -> tuple[Page, list[Problem]] | None:
        """The cached page of an unchanged file, with the warnings its reading gave."""
        entry = self.pages.get(rel)
        if (entry is not None and len(entry) == 4 and entry[0] == source.size and entry[1] == source.mtime_ns
                and source.mtime_ns < self.saved_ns.get(_shard(rel), 0) - RACY_NS):
            self.used_pages.add(rel)
            self.hits += 1
            return entry[2], list(entry[3])
        return None

    def put_page(self, rel: str, source: SourceFile, page: Page, warnings: list[Problem]) -> None:
        # The body text is not kept: its HTML is cached by the text's hash, and an archive's
        # Markdown would double the cache's size for nothing.
        self.pages[rel] = (source.size, source.mtime_ns, replace(page, body_md=""), tuple(warnings))
        self.used_pages.add(rel)
        self.dirty_pages.add(_shard(rel))

    def body(self, page: Page) -> RenderedBody | None:
        key = _body_key(page)
        found = self.bodies.get(key)
        if found is not None:
            self.used_bodies.add(key)
        return found

    def put_body(self, page: Page, body: RenderedBody) -> None:
        key = _body_key(page)
        self.bodies[key] = body
        self.used_bodies.add(key)
        self.dirty_bodies.add(_shard(key))

    def put_related(self, memo: dict[str, tuple[str, ...]]) -> None:
        if memo != self.related:
            self.related = memo
            self.related_changed = True

    def save(self) -> None:
        """Write the shards that gained or lost entries in this build, each atomically."""
        if self.folder is None:
            return
        now = time.time_ns()
        for kind, table, used, dirty in (("pages", self.pages, self.used_pages, self.dirty_pages),
                                         ("bodies", self.bodies, self.used_bodies, self.dirty_bodies)):
            shards: dict[int, dict[str, Any]] = {}
            dirty = set(dirty)
            for key, value in table.items():
                shard = _shard(key)
                if key in used:
                    shards.setdefault(shard, {})[key] = value
                else:
                    dirty.add(shard)  # an entry no file uses any more: drop it from its shard
            for shard in sorted(dirty):
                data: dict[str, Any] = {kind: shards.get(shard, {})}
                if kind == "pages":
                    data["saved_ns"] = now
                save_blob(self._path(kind, shard), self.fingerprint, data)
        if self.related_changed:
            save_blob(self.folder / RELATED_NAME, self.fingerprint, {"related": self.related})


def load_blob(path: Path, fingerprint: str) -> tuple[dict[str, Any] | None, str]:
    """A cache file's data, or None and why it was not used ("" when there was no file)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None, ""
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 64:
        return None, "not a cache file"
    digest = blob[len(_MAGIC):len(_MAGIC) + 64].decode("ascii", "replace")
    payload = blob[len(_MAGIC) + 64:]
    if hashlib.sha256(payload).hexdigest() != digest:
        return None, "damaged (checksum mismatch)"
    try:
        data = pickle.loads(payload)
    except Exception:  # a payload that passed the checksum but cannot load is still only a cache
        return None, "unreadable"
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return None, "made with other settings"
    return data, ""


def save_blob(path: Path, fingerprint: str, data: dict[str, Any]) -> bool:
    """Write a cache file atomically, with a checksum of its payload; False when it cannot be.

    A cache that cannot be written (a full disk, a read-only site, a file named .vestka-cache)
    only makes the next build slower: it never fails this one.
    """
    payload = pickle.dumps({**data, "fingerprint": fingerprint}, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_temporaries(path.parent)
        tmp.write_bytes(_MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + payload)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def _remove_dead_temporaries(folder: Path) -> None:
    """Remove temporary files left by builds that were killed while saving (NAME.PID.tmp)."""
    for leftover in folder.glob("*.tmp"):
        pid = leftover.name.rsplit(".", 2)[-2] if leftover.name.count(".") >= 2 else ""
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


def _body_key(page: Page) -> str:
    # The folder matters too: relative links in the body resolve against it.
    return f"{page.source}\0{page.digest}"


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
        digest = hashlib.blake2b(digest_size=16)
        self.newest_ns = max([s.mtime_ns for s in [*found.pages, *found.assets, *static.values()]], default=0)
        digest.update(repr((templates, options.drafts, options.future, options.strict,
                            options.now.isoformat() if options.now else "")).encode())
        for source in [*found.pages, *found.assets]:
            digest.update(f"{source.rel_path}\0{source.size}\0{source.mtime_ns}\n".encode("utf-8", "surrogatepass"))
        for rel, source in static.items():
            digest.update(f"s:{rel}\0{source.path}\0{source.size}\0{source.mtime_ns}\n".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

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
        previous = self.data.get("keys")
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
        previous = self.data.get("keys")
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
    def sitemap_memo(self) -> dict[tuple[Any, ...], str]:
        """The sitemap entries of the last build (see sitemap.render_sitemap), updated in place.

        Kept in a file of its own, read only when a build renders: a no-op build must stay quick.
        """
        if self._sitemap is None:
            self._sitemap = {}
            if self.path is not None:
                found = load_blob(self.path.with_suffix(".sitemap"), self.fingerprint)[0]
                self._sitemap = found.get("entries", {}) if found else {}
        return self._sitemap

    def save(self, inputs: str, keys: dict[str, str], manifest: Any, output_dir: Path, result: Any,
             next_due: float | None) -> None:
        if self.path is None:
            return
        self.data = {
            "inputs": inputs,
            "keys": {path: (key, manifest[path]) for path, key in keys.items() if path in manifest},
            "manifest_stat": _stat(output_dir / MANIFEST),
            "next_due": next_due,
            "claims": self.claims,
            "pages": result.pages,
            "listings": result.listings,
            "files": len(manifest),
            "saved_ns": time.time_ns(),
            "problems": list(result.problems) if result.problems else [],
        }
        save_blob(self.path, self.fingerprint, self.data)
        if self._sitemap is not None:
            save_blob(self.path.with_suffix(".sitemap"), self.fingerprint, {"entries": self._sitemap})


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)
