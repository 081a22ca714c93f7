"""The build manifest: the list of files of a finished build with their SHA-256.

`output/.vestka-manifest.json` is written by the write stage as its last step; its presence says
the build finished. The incremental layer trusts it to reuse pages, deploy reads the file list
from it. Beside it, in the build state folder, the size and modification time of every file as
the build left it: a later build checks those (cheap) and hashes only the files whose size or
time changed, so a file edited by hand in output/ is found and written again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import json.encoder
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from sys import intern

from generator import __version__

#: Written by the build into output/.
MANIFEST = ".vestka-manifest.json"

Stats = dict[str, tuple[int, int]]


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, str] | None:
    """The file hashes of the build in `folder`, or None when it is not a Vestka build."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        if isinstance(files, dict) and all(isinstance(v, str) for v in files.values()):
            # Interned, the names and hashes are held once for the manifests of output/ and of
            # the build before last and the keys of the last build (see OutputState): an archive
            # lists hundreds of thousands of files, each in every one of them.
            return {intern(rel): intern(digest) for rel, digest in files.items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def manifest_bytes(files: dict[str, str]) -> bytes:
    """The manifest file: the bytes of json.dumps(..., ensure_ascii=False, indent=0, sort_keys=True).

    Made a few thousand lines at a time: json with an indent joins one small string per token,
    which for an archive's hundreds of thousands of files takes several times the file's size.
    """
    quote = json.encoder.encode_basestring
    names = sorted(files)
    pieces = [",\n".join([f"{quote(rel)}: {quote(files[rel])}" for rel in names[start:start + 4096]]).encode("utf-8")
              for start in range(0, len(names), 4096)]
    listed = b'{\n' + b",\n".join(pieces) + b'\n}' if pieces else b"{}"
    return b'{\n"files": ' + listed + b',\n"generator": ' + quote(f"vestka {__version__}").encode("utf-8") + b"\n}"


def file_stats(folder: Path, files: dict[str, str]) -> Stats:
    """(size, mtime in ns) of each of `files` in `folder`, as the build leaves them."""
    root = str(folder)
    stats: Stats = {}
    for rel in files:
        with contextlib.suppress(OSError):
            st = os.stat(f"{root}/{rel}")
            stats[rel] = (st.st_size, st.st_mtime_ns)
    return stats


def save_stats(path: Path, output: Stats, previous: Stats, listed: dict[str, str] | None = None,
               output_dir: Path | None = None) -> None:
    """Keep the stats of output/ and of the build before last for the next build, in one file;
    one that cannot be written only costs hashing next time. With `listed`, output/'s manifest
    too, with the size, time and inode of its file: unpickled, it is read five times faster than
    the JSON, and every build, the no-op one included, reads it first (see `load_output_record`)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    copy = (_stamp(output_dir / MANIFEST), listed) if listed is not None and output_dir is not None else None
    try:
        with open(tmp, "wb") as handle:  # three pickles: a no-op build reads only the first two
            pickle.dump(output, handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(copy, handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(previous, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def load_stats(path: Path, previous: bool = False) -> Stats:
    """The file stats the last build recorded of output/ (or, with `previous`, of the build before it)."""
    try:
        with open(path, "rb") as handle:
            found = pickle.load(handle)
            if previous:
                pickle.load(handle)
                found = pickle.load(handle)
    except Exception:  # a damaged record only means hashing the files to check them
        return {}
    return found if isinstance(found, dict) else {}


def load_output_record(path: Path, output_dir: Path) -> tuple[Stats, dict[str, str] | None]:
    """The stats of output/ (see `load_stats`), and its manifest as read from the JSON file or,
    when that file is the one the last build recorded, from the record (None: no build there)."""
    stats: Stats = {}
    copy = None
    try:
        with open(path, "rb") as handle:
            stats = pickle.load(handle)
            copy = pickle.load(handle)
    except Exception:
        pass
    if not isinstance(stats, dict):
        stats = {}
    if (isinstance(copy, tuple) and len(copy) == 2 and isinstance(copy[1], dict)
            and copy[0] is not None and copy[0] == _stamp(output_dir / MANIFEST)):
        return stats, copy[1]
    return stats, read_manifest(output_dir)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(frozen=True, slots=True)
class BuildCheck:
    """A finished build in a folder, checked against the disk."""

    #: Its manifest ({} when the folder holds no finished build).
    files: dict[str, str]
    #: Listed files that are gone, or whose bytes are no longer those the manifest names.
    damaged: frozenset[str]
    #: (size, mtime) of every other listed file, as found.
    verified: Stats

    @property
    def intact(self) -> dict[str, str]:
        """The manifest without its damaged files."""
        if not self.damaged:
            return self.files
        return {k: v for k, v in self.files.items() if k not in self.damaged}


NO_BUILD = BuildCheck({}, frozenset(), {})


def check_build(folder: Path, stats: Stats) -> BuildCheck:
    """The manifest of the build in `folder` and the files in it that differ from it.

    A file whose size and time are those recorded in `stats` is taken as it is; any other is
    hashed (so a file merely touched is not rewritten, and one edited by hand is found).
    """
    files = read_manifest(folder)
    if files is None:
        return NO_BUILD
    return checked(files, stats, *compare(folder, files, stats))


def compare(folder: Path, files: dict[str, str], stats: Stats) -> tuple[list[str], Stats]:
    """The listed files of `folder` that are gone or hold other bytes than `files` names, and
    the (size, time) of those that hold the listed bytes under another size or time than `stats`."""
    root = f"{folder}/"
    damaged = []
    restamped: Stats = {}
    stat, recorded = os.stat, stats.get  # an archive's output has tens of thousands of files
    for rel, digest in files.items():
        path = root + rel
        try:
            st = stat(path)
        except OSError:
            damaged.append(rel)
            continue
        found = (st.st_size, st.st_mtime_ns)
        if recorded(rel) != found:
            try:
                same = sha256_file(path) == digest
            except OSError:
                same = False
            if not same:
                damaged.append(rel)
                continue
            restamped[rel] = found
    return damaged, restamped


def checked(files: dict[str, str], stats: Stats, damaged: list[str], restamped: Stats) -> BuildCheck:
    """The BuildCheck of a manifest `files` from what `compare` found."""
    gone = frozenset(damaged)
    again = restamped.get
    verified = {rel: again(rel) or stats[rel] for rel in files if rel not in gone}
    return BuildCheck(files, gone, verified)
