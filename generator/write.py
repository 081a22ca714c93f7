"""Write the built site: into a staging folder beside output/, then swap it in at once.

A failed or interrupted build never leaves a half-written output/: until the swap, output/ is
the previous complete build; the swap itself is one atomic rename (an exchange of the two
folders where the system supports it). Files whose bytes did not change are hard links to the
previous build's files, so they keep their modification time and cost no copy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from generator import __version__
from generator.errors import Problem, VestkaError
from generator.model import OutputFile
from generator.urls import check_url_path

MANIFEST = ".vestka-manifest.json"
_STAGING_PREFIX = ".vestka-staging-"
_OLD_PREFIX = ".vestka-old-"


class WriteError(VestkaError):
    """The output could not be written safely."""


def staging_name(output_dir: Path) -> Path:
    return output_dir.parent / f"{_STAGING_PREFIX}{output_dir.name}-{os.getpid()}"


def clean_leftovers(output_dir: Path) -> list[str]:
    """Remove staging folders of builds that were killed, and restore output/ if a swap was cut short."""
    removed = []
    parent = output_dir.parent
    if not parent.is_dir():
        return removed
    old = sorted(parent.glob(f"{_OLD_PREFIX}{output_dir.name}-*"))
    if not output_dir.exists() and old:
        os.rename(old[-1], output_dir)  # the swap fell between its two renames: put the old site back
        old = old[:-1]
    for leftover in [*parent.glob(f"{_STAGING_PREFIX}{output_dir.name}-*"), *old]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    return removed


def read_manifest(output_dir: Path) -> dict[str, str] | None:
    """The file hashes of the build in `output_dir`, or None when it is not a Vestka build."""
    try:
        data = json.loads((output_dir / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        if isinstance(files, dict) and all(isinstance(v, str) for v in files.values()):
            return files
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def check_output_dir(output_dir: Path, site_dir: Path) -> None:
    """Refuse an output folder that would replace something that is not a previous build."""
    resolved = output_dir.resolve()
    site = site_dir.resolve()
    if resolved == site or site.is_relative_to(resolved) or resolved == Path(resolved.anchor):
        raise WriteError(f"refusing to build into {output_dir}: it contains the site itself",
                         [Problem("error", "output", None, "the output folder must not contain the site",
                                  "choose an empty or new folder, e.g. --output output")])
    if output_dir.is_symlink():
        raise WriteError(f"refusing to build into {output_dir}: it is a symbolic link")
    if output_dir.exists() and read_manifest(output_dir) is None:
        if not output_dir.is_dir() or any(output_dir.iterdir()):
            raise WriteError(f"refusing to replace {output_dir}: it was not made by Vestka",
                             [Problem("error", str(output_dir.name), None,
                                      "the output folder exists, is not empty and holds no Vestka build",
                                      "move it away, or choose another folder with --output")])


def safe_target(root: Path, rel: str) -> Path:
    """`root/rel`, refusing anything that could land outside `root`."""
    problem = check_url_path("/" + rel)
    if problem or rel.startswith("/") or not rel:
        raise WriteError(f"refusing to write {rel!r}: {problem or 'not a relative path'}")
    return root.joinpath(*rel.split("/"))


def publish(files: Iterable[OutputFile], output_dir: Path, *,
            progress: Callable[[int], None] | None = None) -> tuple[dict[str, str], int, int, int]:
    """Write `files` as the new output/; returns (manifest, written, unchanged, removed)."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(output_dir) or {}
    staging = staging_name(output_dir)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    manifest: dict[str, str] = {}
    folded: dict[str, str] = {}
    written = unchanged = 0
    made_dirs: set[Path] = set()
    try:
        for count, item in enumerate(files, 1):
            key = item.path.casefold()
            if key in folded:
                first = folded[key]
                raise WriteError("two outputs claim one file", [Problem(
                    "error", (item.sources or ("?",))[0], None,
                    f"{item.path} would be written twice (also {first}"
                    + (", which differs only in case" if first != item.path else "") + ")",
                    "rename one of the sources so their URLs differ")])
            folded[key] = item.path
            target = safe_target(staging, item.path)
            parent = target.parent
            if parent not in made_dirs:
                parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(parent)
            data = item.data if item.data is not None else item.copy_from.read_bytes()  # type: ignore[union-attr]
            digest = hashlib.sha256(data).hexdigest()
            manifest[item.path] = digest
            if previous.get(item.path) == digest and _link(output_dir / item.path, target):
                unchanged += 1
            else:
                target.write_bytes(data)
                written += 1
            if progress is not None and count % 500 == 0:
                progress(count)
        manifest = dict(sorted(manifest.items()))
        (staging / MANIFEST).write_text(json.dumps({"generator": f"vestka {__version__}", "files": manifest},
                                                   ensure_ascii=False, indent=0, sort_keys=True), encoding="utf-8")
        _swap(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    removed = len(set(previous) - set(manifest))
    return manifest, written, unchanged, removed


def _link(existing: Path, target: Path) -> bool:
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _swap(staging: Path, output_dir: Path) -> None:
    """Put `staging` in place of `output_dir` in one step, then remove the old build."""
    if not output_dir.exists():
        os.rename(staging, output_dir)
        return
    if _exchange(staging, output_dir):
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = output_dir.parent / f"{_OLD_PREFIX}{output_dir.name}-{os.getpid()}"
    os.rename(output_dir, old)
    os.rename(staging, output_dir)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
