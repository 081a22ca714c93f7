"""The parsed-page cache in `.vestka-cache/`: safe to delete, never trusted when damaged.

Two tables: pages by (file, size, mtime) and rendered bodies by the hash of their source text.
Both are keyed by a fingerprint of everything that can change the result (generator version,
config, sanitize setting), so a config change never serves stale HTML. The file carries a
SHA-256 of its payload; one that does not match is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from generator import __version__
from generator.config import Config
from generator.model import Page, RenderedBody, SourceFile

_MAGIC = b"VESTKA-CACHE-1\n"
FILE_NAME = "pages.bin"


class PageCache:
    """Read at the start of a build, written at its end (only when something changed)."""

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.pages: dict[str, tuple[int, int, Page]] = {}
        self.bodies: dict[str, RenderedBody] = {}
        self.used_pages: set[str] = set()
        self.used_bodies: set[str] = set()
        self.changed = False
        #: Why the stored cache was not used ("" when it was, or when there was none).
        self.rejected = ""

    @classmethod
    def open(cls, config: Config, enabled: bool = True) -> PageCache:
        fingerprint = hashlib.sha256(f"{__version__}|{config.fingerprint()}".encode()).hexdigest()[:20]
        if not enabled:
            return cls(None, fingerprint)
        cache = cls(config.cache_dir / FILE_NAME, fingerprint)
        cache._load()
        return cache

    def _load(self) -> None:
        assert self.path is not None
        try:
            blob = self.path.read_bytes()
        except OSError:
            return
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 64:
            self.rejected = "not a cache file"
            return
        digest = blob[len(_MAGIC):len(_MAGIC) + 64].decode("ascii", "replace")
        payload = blob[len(_MAGIC) + 64:]
        if hashlib.sha256(payload).hexdigest() != digest:
            self.rejected = "damaged (checksum mismatch)"
            return
        try:
            data = pickle.loads(payload)
        except Exception:  # a payload that passed the checksum but cannot load is still only a cache
            self.rejected = "unreadable"
            return
        if not isinstance(data, dict) or data.get("fingerprint") != self.fingerprint:
            self.rejected = "made with other settings"
            return
        self.pages = data.get("pages", {})
        self.bodies = data.get("bodies", {})

    def page(self, rel: str, source: SourceFile) -> Page | None:
        entry = self.pages.get(rel)
        if entry is not None and entry[0] == source.size and entry[1] == source.mtime_ns:
            self.used_pages.add(rel)
            return entry[2]
        return None

    def put_page(self, rel: str, source: SourceFile, page: Page) -> None:
        self.pages[rel] = (source.size, source.mtime_ns, page)
        self.used_pages.add(rel)
        self.changed = True

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
        self.changed = True

    def save(self) -> None:
        """Write the entries this build used (dropping deleted files), atomically."""
        if self.path is None:
            return
        stale = len(self.pages) != len(self.used_pages) or len(self.bodies) != len(self.used_bodies)
        if not (self.changed or stale):
            return
        pages = {k: v for k, v in self.pages.items() if k in self.used_pages}
        bodies = {k: v for k, v in self.bodies.items() if k in self.used_bodies}
        payload = pickle.dumps({"fingerprint": self.fingerprint, "pages": pages, "bodies": bodies},
                               protocol=pickle.HIGHEST_PROTOCOL)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(_MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + payload)
        os.replace(tmp, self.path)


def _body_key(page: Page) -> str:
    # The folder matters too: relative links in the body resolve against it.
    return f"{page.source}\0{page.digest}"
