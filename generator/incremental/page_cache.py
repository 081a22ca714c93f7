"""The parsed-page cache in `.vestka-cache/`: safe to delete, never trusted when damaged.

Pages by (file, size, mtime), rendered bodies by the hash of their source text, and related
lists by the key of their inputs.
Both are keyed by a fingerprint of everything that can change the result (generator version,
config, sanitize setting), so a config change never serves stale HTML. The file carries a
SHA-256 of its payload; one that does not match is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.cache_files import code_fingerprint, load_blob, load_blob_with_tail, save_blob, save_blob_with_tail
from generator.config import Config
from generator.errors import Problem
from generator.model import Page, RenderedBody, SourceFile

#: A file changed this close to the moment a cache was saved may have changed again within the
#: same timestamp tick, so its size and time prove nothing: it is read again ("racy" entries).
RACY_NS = 2_000_000_000
RELATED_NAME = "related.bin"
#: Pages and body HTML are each spread over this many files (pages-NN.bin, bodies-NN.bin).
SHARDS = 32


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
        #: Body shards read by `stored_body`.
        self.bodies_read: set[int] = set()

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
            self.rejected = self.rejected or self._load_bodies(shard)
        found, why = load_blob(self.folder / RELATED_NAME, self.fingerprint)
        self.rejected = self.rejected or why
        if found is not None:
            self.related = found.get("related", {})

    @classmethod
    def open_lazily(cls, config: Config) -> PageCache:
        """The cache with nothing read yet: `stored_body` and `patch` read only the shards they need."""
        cache = cls.open(config, enabled=False)
        cache.folder = config.cache_dir
        return cache

    def stored_page(self, rel: str) -> Page | None:
        """The cached page of the file `rel` as last read (whatever its size and time now), its
        shard read on first use."""
        shard = _shard(rel)
        if shard not in self.saved_ns:
            found = load_blob(self._path("pages", shard), self.fingerprint)[0] or {}
            self.pages.update(found.get("pages", {}))
            self.saved_ns[shard] = found.get("saved_ns", 0)
        entry = self.pages.get(rel)
        return entry[2] if entry is not None and len(entry) == 4 else None

    def stored_body(self, page: Page) -> RenderedBody | None:
        """The cached body of `page` (this very text), its shard read on first use."""
        key = _body_key(page)
        shard = _shard(key)
        if shard not in self.bodies_read:
            self.bodies_read.add(shard)
            self._load_bodies(shard)
        return self.bodies.get(key)

    def patch(self, rel: str, source: SourceFile, page: Page, warnings: list[Problem], body: RenderedBody) -> None:
        """Put the page of one file and its body in their shards, and write just those two files:
        for a build that read only that file (see `text_edits`)."""
        path = self._path("pages", _shard(rel))
        found = load_blob(path, self.fingerprint)[0] or {}
        # An entry that was racy when its shard was saved stays so: it must be read again.
        racy = found.get("saved_ns", 0) - RACY_NS
        entries = {key: entry for key, entry in found.get("pages", {}).items() if entry[1] < racy}
        key = page.source if page.source == rel else rel
        entries[key] = (source.size, source.mtime_ns, replace(page, body_md=""), tuple(warnings))
        self.stored_body(page)  # reads the body shard
        shard = _shard(_body_key(page))
        kept = {key: body for key, body in self.bodies.items() if _shard(key) == shard}
        kept[_body_key(page)] = self.bodies[_body_key(page)] = body
        _save_bodies(self._path("bodies", shard), self.fingerprint, kept)
        save_blob(path, self.fingerprint, {"pages": entries, "saved_ns": time.time_ns()})

    def _load_bodies(self, shard: int) -> str:
        # Body HTML stays in the file, read only for the pages made again (see RenderedBody).
        found, tail, why = load_blob_with_tail(self._path("bodies", shard), self.fingerprint)
        if found is not None and tail is not None:
            self.bodies.update({key: RenderedBody(tail.piece(offset, length), summary, toc, links)
                                for key, (offset, length, summary, toc, links) in found["bodies"].items()})
        return why

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
        # Keyed by the page's own string when it is the same: saved once, it is loaded once.
        key = page.source if page.source == rel else rel
        kept = replace(page, body_md="") if page.body_md else page
        self.pages[key] = (source.size, source.mtime_ns, kept, tuple(warnings))
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

    def save_bodies(self) -> None:
        """Write the body shards that gained or lost entries, and from then on read their HTML
        from the files written: called once every body is known (after reading), a cold build
        does not keep the HTML of the whole archive in memory until its end."""
        if self.folder is None:
            return
        shards: dict[int, dict[str, RenderedBody]] = {}
        unused: dict[int, list[str]] = {}
        for key, body in self.bodies.items():
            if key in self.used_bodies:
                shards.setdefault(_shard(key), {})[key] = body
            else:  # an entry no file uses any more: drop it from its shard
                unused.setdefault(_shard(key), []).append(key)
        dirty, self.dirty_bodies = self.dirty_bodies | set(unused), set()
        for shard in sorted(dirty):
            kept = shards.pop(shard, {})
            if not _save_bodies(self._path("bodies", shard), self.fingerprint, kept):
                continue  # not written: its bodies stay in memory
            del kept
            for key in unused.get(shard, ()):
                del self.bodies[key]
            self._load_bodies(shard)

    def save(self) -> None:
        """Write the shards that gained or lost entries in this build, each atomically."""
        if self.folder is None:
            return
        self.save_bodies()
        shards: dict[int, dict[str, Any]] = {}
        dirty = set(self.dirty_pages)
        for key, value in self.pages.items():
            if key in self.used_pages:
                shards.setdefault(_shard(key), {})[key] = value
            else:
                dirty.add(_shard(key))  # an entry no file uses any more: drop it from its shard
        now = time.time_ns()
        for shard in sorted(dirty):
            save_blob(self._path("pages", shard), self.fingerprint, {"pages": shards.get(shard, {}), "saved_ns": now})
        if self.related_changed:
            save_blob(self.folder / RELATED_NAME, self.fingerprint, {"related": self.related})


def _save_bodies(path: Path, fingerprint: str, bodies: dict[str, RenderedBody]) -> bool:
    # The HTML goes into the file's tail, so that a build reads only the bodies it shows.
    entries: dict[str, tuple[int, int, str, str, tuple[str, ...]]] = {}
    html: list[bytes] = []
    offset = 0
    for key, body in bodies.items():
        html.append(body.html_z)
        entries[key] = (offset, len(html[-1]), body.summary_text, body.toc, body.internal_links)
        offset += len(html[-1])
    return save_blob_with_tail(path, fingerprint, {"bodies": entries}, html)


def _shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


def _body_key(page: Page) -> str:
    # The folder matters too: relative links in the body resolve against it.
    return f"{page.source}\0{page.digest}"
