"""Files of the site's cache folder: written atomically with a checksum, never trusted when damaged.

Every cache file starts with a magic line and the SHA-256 of its payload (a pickle); one that
does not match, or was made by another version of Vestka or with other settings (its
fingerprint), is ignored. A cache that cannot be written only makes the next build slower.
A file with a tail (`save_blob_with_tail`) has, after its magic line and checksum, the length
of its pickle, the pickle, then the tail: pieces a build reads only when it needs them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from generator import __version__

_MAGIC = b"VESTKA-CACHE-1\n"
#: Files with a tail (see `save_blob_with_tail`).
_MAGIC_TAIL = b"VESTKA-CACHE-TAIL-1\n"


def code_fingerprint() -> str:
    """Identity of the installed generator's code, so a changed Vestka never trusts old results."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(__version__.encode(), digest_size=12)
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(package)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


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
    return _unpickled(payload, fingerprint)


class _Hashing:
    """A file that hashes what is written to it (for a pickle written as it is made)."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)


def save_blob_streamed(path: Path, fingerprint: str, data: dict[str, Any]) -> bool:
    """`save_blob` for a big `data`: pickled straight into the file, never whole in memory (a
    forked child writes an archive's site so, and its memory counts with the build's)."""
    def write(handle: BinaryIO) -> None:
        handle.write(_MAGIC + b"0" * 64)
        hashing = _Hashing(handle)
        pickle.dump({**data, "fingerprint": fingerprint}, hashing, protocol=pickle.HIGHEST_PROTOCOL)
        handle.seek(len(_MAGIC))
        handle.write(hashing.digest.hexdigest().encode("ascii"))

    return _atomically(path, write)


def save_blob(path: Path, fingerprint: str, data: dict[str, Any], *, distinct: bool = False) -> bool:
    """Write a cache file atomically, with a checksum of its payload; False when it cannot be.

    A cache that cannot be written (a full disk, a read-only site, a file named .vestka-cache)
    only makes the next build slower: it never fails this one. `distinct` says that `data`
    holds no object twice (and none inside itself): it is then written without the table of
    every object written so far, which for a big table takes more memory than the file.
    """
    if distinct:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: what a shared object would need
        pickler.dump({**data, "fingerprint": fingerprint})
        payload: bytes | memoryview = buffer.getbuffer()
    else:
        payload = pickle.dumps({**data, "fingerprint": fingerprint}, protocol=pickle.HIGHEST_PROTOCOL)
    return _write_atomically(path, [_MAGIC, hashlib.sha256(payload).hexdigest().encode("ascii"), payload])


class Tail:
    """The bytes stored after the data of a cache file written by `save_blob_with_tail`.

    Read from the file as it was when it was opened and checked: a later build replaces cache
    files, it never writes into them, so the open file keeps the checked bytes. Forked workers
    share it (each read says where it starts).
    """

    __slots__ = ("_fd", "_start", "_end")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._start = self._end = 0

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def read(self, offset: int, length: int) -> bytes:
        found = os.pread(self._fd, length, self._start + offset)
        if len(found) != length or self._start + offset + length > self._end:
            raise OSError(f"cache file ends before byte {offset + length} of its tail")
        return found

    def piece(self, offset: int, length: int) -> Callable[[], bytes]:
        """A function that reads `length` bytes at `offset` of the tail."""
        return _Piece(self, offset, length)


class _Piece:
    __slots__ = ("tail", "offset", "length")

    def __init__(self, tail: Tail, offset: int, length: int) -> None:
        self.tail, self.offset, self.length = tail, offset, length

    def __call__(self) -> bytes:
        return self.tail.read(self.offset, self.length)


def save_blob_with_tail(path: Path, fingerprint: str, data: dict[str, Any], tail: list[bytes]) -> bool:
    """Like `save_blob`, with `tail` stored after the data: pieces that a reader of the file
    (`load_blob_with_tail`) reads only when it needs them, at offsets the data records."""
    payload = pickle.dumps({**data, "fingerprint": fingerprint}, protocol=pickle.HIGHEST_PROTOCOL)
    size = len(payload).to_bytes(8, "big")
    digest = hashlib.sha256(size)
    digest.update(payload)
    for piece in tail:
        digest.update(piece)
    return _write_atomically(path, [_MAGIC_TAIL, digest.hexdigest().encode("ascii"), size, payload, *tail])


def load_blob_with_tail(path: Path, fingerprint: str) -> tuple[dict[str, Any] | None, Tail | None, str]:
    """A cache file's data and its tail (see `save_blob_with_tail`), or None, None and why it was
    not used. The whole file is checked, but only the data is kept in memory."""
    try:
        tail = Tail(os.open(path, os.O_RDONLY))
    except OSError:
        return None, None, ""
    try:
        data, why = _check_tail_file(tail, fingerprint)
    except OSError:
        data, why = None, "unreadable"
    return (data, tail, "") if data is not None else (None, None, why)


def _check_tail_file(tail: Tail, fingerprint: str) -> tuple[dict[str, Any] | None, str]:
    fd, start = tail._fd, len(_MAGIC_TAIL) + 64
    head = os.pread(fd, start + 8, 0)
    if not head.startswith(_MAGIC_TAIL) or len(head) < start + 8:
        return None, "not a cache file"
    size = head[start:]
    payload = os.pread(fd, int.from_bytes(size, "big"), start + 8)
    digest = hashlib.sha256(size)
    digest.update(payload)
    position = start + 8 + len(payload)
    tail._start = position
    while block := os.pread(fd, 1 << 20, position):  # the tail is hashed, not kept
        digest.update(block)
        position += len(block)
    tail._end = position
    if digest.hexdigest() != head[len(_MAGIC_TAIL):start].decode("ascii", "replace"):
        return None, "damaged (checksum mismatch)"
    return _unpickled(payload, fingerprint)


def _unpickled(payload: bytes, fingerprint: str) -> tuple[dict[str, Any] | None, str]:
    """The data of a payload whose checksum matched, or None and why it was not used."""
    try:
        data = pickle.loads(payload)
    except Exception:  # a payload that passed the checksum but cannot load is still only a cache
        return None, "unreadable"
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return None, "made with other settings"
    return data, ""


def _write_atomically(path: Path, parts: list[bytes | memoryview]) -> bool:
    def write(handle: BinaryIO) -> None:
        for part in parts:  # piece by piece: joined, a big cache file would be in memory twice
            handle.write(part)

    return _atomically(path, write)


def _atomically(path: Path, write: Callable[[BinaryIO], None]) -> bool:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_temporaries(path.parent)
        with open(tmp, "wb") as handle:
            write(handle)
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
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs; a zombie (ended, not yet reaped by its parent) holds nothing and does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True
