"""Files of the site's cache folder: written atomically with a checksum, never trusted when damaged.

Every cache file starts with a magic line and the SHA-256 of its payload (a pickle); one that
does not match, or was made by another version of Vestka or with other settings (its
fingerprint), is ignored. A cache that cannot be written only makes the next build slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from generator import __version__

_MAGIC = b"VESTKA-CACHE-1\n"


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
