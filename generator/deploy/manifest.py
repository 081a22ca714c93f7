"""Manifests: the list of built files with their SHA-256, read from output/ and kept at the target.

Two files share one shape, `{"generator": "vestka X", "files": {"path": "sha256 hex"}}`:

- `output/.vestka-manifest.json`, written by the build as its last step. Its presence says the build
  finished; deploy reads the file list from it and refuses an output/ without it.
- `.vestka-deploy.json` at the target root, written by deploy as its last step. It records which files
  a deploy put there, so `delete: true` never touches anything else, and an interrupted deploy (whose
  manifest still describes the previous one) uploads again whatever it may have left half done.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from generator import __version__
from generator.errors import DeployError, Problem
from generator.manifest import MANIFEST as BUILD_MANIFEST
from generator.manifest import sha256_file

#: Written by deploy at the root of the target.
TARGET_MANIFEST = ".vestka-deploy.json"
#: Files whose names start with this are Vestka's own bookkeeping and are never uploaded.
PRIVATE_PREFIX = ".vestka-"
#: Prefix of the temporary files a folder deploy writes before renaming them into place.
TMP_PREFIX = ".vestka-tmp-"
#: What a target reports for a path that holds something other than a regular file (a link, a folder),
#: in place of a hash: never equal to a recorded hash, so such a path is never taken for the deploy's own.
NOT_A_FILE = "not a regular file"
#: What a target reports for an object whose content it cannot vouch for (no recorded hash on it).
UNKNOWN = "unknown content"


def is_private(rel_path: str) -> bool:
    """True for Vestka's bookkeeping files, which stay on this machine."""
    return any(part.startswith(PRIVATE_PREFIX) for part in rel_path.split("/"))


def render_manifest(files: dict[str, str]) -> bytes:
    data = {"generator": f"vestka {__version__}", "files": dict(sorted(files.items()))}
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def parse_manifest(data: bytes, where: str) -> dict[str, str]:
    """The `files` mapping of a manifest; DeployError naming `where` when it is not one."""
    try:
        raw = json.loads(data.decode("utf-8"))
        files = raw["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not a mapping")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise DeployError("cannot read a deploy manifest", [Problem(
            "error", where, None, f"not a Vestka manifest ({exc})",
            "if it was edited by hand, restore it; deleting it makes the next deploy upload everything")],
        ) from None
    for path, digest in files.items():
        problem = _path_problem(path) or _digest_problem(digest)
        if problem:
            raise DeployError("cannot read a deploy manifest", [Problem(
                "error", where, None, f"entry {path!r}: {problem}", "rebuild or redeploy to rewrite it")])
    return dict(files)


def read_build_output(output_dir: Path) -> dict[str, str]:
    """The files of a finished build, as {path: sha256}, checked against the disk.

    Refuses an output folder that is missing, has no build manifest (the build failed or never ran),
    lists files that are gone, or whose files changed after the build.
    """
    output_dir = Path(output_dir)
    manifest_path = output_dir / BUILD_MANIFEST
    rebuild = "run 'vestka build' (or 'vestka deploy --build') and deploy again"
    if not output_dir.is_dir():
        raise DeployError(f"nothing to deploy: the output folder {output_dir} does not exist", [
            Problem("error", str(output_dir), None, "output folder missing", rebuild)])
    if not manifest_path.is_file():
        raise DeployError(f"refusing to deploy {output_dir}: it is not the result of a finished build", [
            Problem("error", str(manifest_path), None,
                    "build manifest missing (the last build failed or did not write this folder)", rebuild)])
    files = parse_manifest(manifest_path.read_bytes(), str(manifest_path))
    problems = []
    for rel, digest in sorted(files.items()):
        path = output_dir / rel
        if not path.is_file():
            problems.append(Problem("error", str(path), None, "listed in the build manifest but missing"))
        elif not path.resolve().is_relative_to(output_dir.resolve()):
            problems.append(Problem("error", str(path), None, "links to a file outside the output folder"))
        elif sha256_file(path) != digest:
            problems.append(Problem("error", str(path), None, "changed after the build"))
    if problems:
        raise DeployError(f"refusing to deploy {output_dir}: it does not match its build manifest "
                          f"({rebuild})", problems)
    return {rel: digest for rel, digest in files.items() if not is_private(rel)}


def unlisted_files(output_dir: Path, files: dict[str, str]) -> list[str]:
    """Files in output/ that the build manifest does not list (they are not deployed)."""
    out = []
    for path in sorted(Path(output_dir).rglob("*")):
        rel = path.relative_to(output_dir).as_posix()
        if path.is_file() and rel not in files and not is_private(rel):
            out.append(rel)
    return out


def _path_problem(path: object) -> str:
    if not isinstance(path, str) or not path:
        return "the path must be a non-empty string"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in path):
        return "the path must not contain NUL or other control characters"
    pure = PurePosixPath(path)
    if pure.is_absolute() or "\\" in path or any(p in ("", ".", "..") for p in path.split("/")):
        return "the path must be relative, with no '.', '..', '\\' or empty parts"
    return ""


def _digest_problem(digest: object) -> str:
    if not isinstance(digest, str) or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return "the hash must be 64 lowercase hex digits (SHA-256)"
    return ""
