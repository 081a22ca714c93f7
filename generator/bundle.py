"""Pack a built site into one zip that readers can carry, mirror and verify.

The zip is deterministic: the same output folder gives the same bytes on any machine and at
any time (sorted entries, fixed timestamps and permissions, one compression level), so two
mirrors can compare a single checksum instead of thousands of files.

Checksums live in two places, for two kinds of reader:
- inside the zip, `SHA256SUMS` at the top of the site lists every file of the site, so a copy
  unpacked from a USB stick can be checked with `sha256sum -c SHA256SUMS` in its folder;
- beside the zip, `NAME.zip.sha256` holds the zip's own checksum, so a download can be
  checked with `sha256sum -c NAME.zip.sha256` before it is opened.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from pathlib import Path

from generator.errors import Problem, VestkaError

MANIFEST_NAME = "SHA256SUMS"
#: 1980-01-01, the earliest time a zip can record: no build time leaks into the archive.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16
_UNIX = 3
_LEVEL = 9
#: Bookkeeping of the build (incremental-write manifest, staging folders), not part of the site.
_INTERNAL_PREFIX = ".vestka-"


class BundleError(VestkaError):
    """The bundle could not be written."""


def site_files(output_dir: Path) -> list[str]:
    """POSIX paths of the site's files under `output_dir`, sorted; links are never followed."""
    found = []
    for folder, dirs, files in os.walk(output_dir, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(_INTERNAL_PREFIX)]
        base = Path(folder)
        for name in files:
            path = base / name
            if name.startswith(_INTERNAL_PREFIX) or path.is_symlink() or not path.is_file():
                continue
            found.append(path.relative_to(output_dir).as_posix())
    return sorted(found)


def manifest_text(output_dir: Path, files: list[str]) -> str:
    """`sha256sum` format: one "HEX  PATH" line per file, in the order given."""
    lines = []
    for rel in files:
        digest = hashlib.sha256((output_dir / rel).read_bytes()).hexdigest()
        lines.append(f"{digest}  {rel}\n")
    return "".join(lines)


def folder_name(zip_path: Path) -> str:
    """The folder the zip unpacks into: its file name without ".zip", made safe."""
    stem = zip_path.name[:-4] if zip_path.name.lower().endswith(".zip") else zip_path.name
    stem = re.sub(r"[^\w.-]+", "-", stem).strip(".-")
    return stem or "site"


def write_bundle(output_dir: Path, zip_path: Path) -> tuple[int, str]:
    """Write the site in `output_dir` to `zip_path`; return (files in the zip, the zip's SHA-256).

    The file count includes the `SHA256SUMS` manifest. The zip replaces `zip_path` atomically,
    and `zip_path` + ".sha256" is written beside it.
    """
    output_dir = output_dir.resolve()
    zip_path = zip_path.resolve()
    if not (output_dir / "index.html").is_file():
        raise BundleError(f"{output_dir} holds no built site", [Problem(
            "error", str(output_dir), None, "there is no index.html to bundle", "run `vestka build` first")])
    if zip_path.is_relative_to(output_dir):
        raise BundleError(f"refusing to write {zip_path.name} inside the site it packs", [Problem(
            "error", str(zip_path), None, "the zip would contain itself on the next bundle",
            "write the zip outside the output folder")])
    files = site_files(output_dir)
    if MANIFEST_NAME in files:
        raise BundleError(f"the site already has a file named {MANIFEST_NAME}", [Problem(
            "error", MANIFEST_NAME, None, "it would be replaced by the bundle's checksum list",
            "rename that file in the site's static or content folder")])
    top = folder_name(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for rel in files:
                archive.writestr(_entry(f"{top}/{rel}"), (output_dir / rel).read_bytes(), compresslevel=_LEVEL)
            archive.writestr(_entry(f"{top}/{MANIFEST_NAME}"), manifest_text(output_dir, files).encode("utf-8"),
                             compresslevel=_LEVEL)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        os.replace(tmp, zip_path)
    finally:
        tmp.unlink(missing_ok=True)
    sums = zip_path.with_name(zip_path.name + ".sha256")
    sums.write_text(f"{digest}  {zip_path.name}\n", encoding="utf-8")
    return len(files) + 1, digest


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry whose metadata does not depend on the machine, the clock or the umask."""
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = _UNIX
    info.external_attr = _FILE_MODE
    return info
