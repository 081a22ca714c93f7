"""`vestka import --fetch-media`: remote images and files of imported items, brought home.

Only run when asked for (the importer is offline by default). Each file is fetched once per
site, with a timeout, a size limit and a content-type check, and kept in a cache under
.vestka-cache/ so that a repeated import asks no server again. A fetched file becomes one
of the item's media: the writer copies it below content/media/HOST/PATH and points the
body at it, so the page needs nothing from other hosts.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from generator import __version__
from generator.errors import Problem
from generator.importer.media import is_media_target, link_targets
from generator.urls import check_url_path

if TYPE_CHECKING:
    from generator.importer import ImportedItem

TIMEOUT = 20.0
MAX_BYTES = 25 * 1024 * 1024
#: Content types worth keeping: pictures, sound, video and documents, never pages or scripts.
_ALLOWED = re.compile(r"^(image/(?!svg)[\w.+-]+|audio/[\w.+-]+|video/[\w.+-]+|application/pdf|"
                      r"application/(?:msword|vnd\.[\w.+-]+|zip|epub\+zip)|text/plain|text/csv)$")
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "application/pdf": ".pdf", "audio/mpeg": ".mp3", "video/mp4": ".mp4"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FetchError(Exception):
    """A remote file that is not taken, with the reason."""


def fetch_remote_media(items: list[ImportedItem], cache_dir: Path, *, timeout: float = TIMEOUT,
                       max_bytes: int = MAX_BYTES,
                       progress: Callable[[int, int], None] | None = None) -> tuple[list[ImportedItem], list[Problem]]:
    """Items whose remote media are fetched (or found in the cache) and listed as local media."""
    notes: list[Problem] = []
    wanted: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        for target in [*link_targets(item.body), item.image]:
            if target.startswith(("http://", "https://")) and is_media_target(target):
                wanted.setdefault(target, []).append(index)
    fetched: dict[str, tuple[Path, str]] = {}
    for done, url in enumerate(sorted(wanted), 1):
        try:
            fetched[url] = fetch(url, cache_dir, timeout=timeout, max_bytes=max_bytes)
        except FetchError as exc:
            notes.append(Problem("warning", items[wanted[url][0]].origin, None,
                                 f"--fetch-media: {url} not fetched: {exc}", "the link is left as it was"))
        if progress is not None:
            progress(done, len(wanted))
    out = []
    for index, item in enumerate(items):
        mine = [(url, str(path), site_path) for url, (path, site_path) in fetched.items() if index in wanted[url]]
        out.append(replace(item, media=(*item.media, *mine)) if mine else item)
    return out, notes


def site_path_for(url: str, content_type: str) -> str:
    """Where a fetched file is published: /media/HOST/PATH, with a safe name and extension."""
    parts = urlsplit(url)
    host = _SAFE.sub("_", (parts.netloc or "host").lower())
    pieces = [_SAFE.sub("_", unquote(p)).strip("._") or "_" for p in parts.path.split("/") if p]
    name = pieces.pop() if pieces else "file"
    if parts.query:
        stem, ext = posixpath.splitext(name)
        name = f"{stem}-{hashlib.sha256(parts.query.encode()).hexdigest()[:8]}{ext}"
    if not posixpath.splitext(name)[1] and content_type in _EXTENSIONS:
        name += _EXTENSIONS[content_type]
    path = "/" + "/".join(["media", host, *pieces, name])
    return path if not check_url_path(path) else "/media/" + hashlib.sha256(url.encode()).hexdigest()[:16]


def fetch(url: str, cache_dir: Path, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> tuple[Path, str]:
    """(cached file, site path) for `url`, fetched unless the cache has it. Raises FetchError."""
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()
    data_path, meta_path = cache_dir / key, cache_dir / f"{key}.json"
    if data_path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return data_path, meta["site_path"]
    request = urllib.request.Request(url, headers={"User-Agent": f"vestka-import/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked above
            content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if not _ALLOWED.match(content_type):
                raise FetchError(f"content type {content_type or 'unknown'!r} is not a picture, sound, "
                                 "video or document")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(f"{int(length)} bytes is more than the limit of {max_bytes}")
            body = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot be fetched ({reason})") from None
    if len(body) > max_bytes:
        raise FetchError(f"more than the limit of {max_bytes} bytes")
    site_path = site_path_for(url, content_type)
    cache_dir.mkdir(parents=True, exist_ok=True)
    temp = data_path.with_suffix(".part")
    temp.write_bytes(body)
    temp.replace(data_path)
    meta_path.write_text(json.dumps({"url": url, "content_type": content_type, "site_path": site_path}),
                         encoding="utf-8")
    return data_path, site_path
