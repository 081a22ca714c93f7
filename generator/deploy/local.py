"""file:///path — keep a local folder (e.g. one a web server serves) in step with output/.

Each file is written to a temporary name beside its place and renamed over it, so a web server never
serves half a file. Changes are found by hashing the files in the folder, so a file edited there by hand
is put right on the next deploy.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Self
from urllib.parse import SplitResult, unquote

from generator.config import DeployTarget
from generator.deploy.manifest import TARGET_MANIFEST, sha256_file
from generator.errors import DeployError


def open_session(target: DeployTarget, url: SplitResult) -> FolderSession:
    if url.netloc not in ("", "localhost") or not url.path.startswith("/") or url.query or url.fragment:
        raise DeployError(f"cannot deploy to {target.url!r}: a file URL needs an absolute path and "
                          "nothing else, e.g. file:///var/www/site")
    return FolderSession(Path(unquote(url.path)), target.url)


class FolderSession:
    """A deploy into one folder of this machine; also used for the work tree of git deploys."""

    def __init__(self, root: Path, where: str) -> None:
        self.root = root
        self.where = where

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read_manifest(self) -> bytes | None:
        path = self.root / TARGET_MANIFEST
        return path.read_bytes() if path.is_file() else None

    def changed(self, output_dir: Path, files: dict[str, str], recorded: dict[str, str]) -> set[str]:
        self._check_apart(output_dir)
        if self.root.exists() and not self.root.is_dir():
            raise DeployError(f"cannot deploy to {self.where!r}: {self.root} is not a folder")
        return {rel for rel, digest in files.items()
                if not (self.root / rel).is_file() or sha256_file(self.root / rel) != digest}

    def apply(self, output_dir: Path, upload: list[str], delete: list[str], manifest: bytes | None,
              progress: Callable[[str], None]) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for rel in upload:
                progress(f"upload {rel}")
                replace_file(self.root / rel, (output_dir / rel).read_bytes())
            for rel in delete:
                progress(f"delete {rel}")
                (self.root / rel).unlink(missing_ok=True)
                _prune_empty_parents(self.root / rel, self.root)
            if manifest is not None:
                progress(f"write {TARGET_MANIFEST}")
                replace_file(self.root / TARGET_MANIFEST, manifest)
        except OSError as exc:
            raise DeployError(f"deploy to {self.where!r} failed: {exc}") from None

    def _check_apart(self, output_dir: Path) -> None:
        root, out = self.root.resolve(), Path(output_dir).resolve()
        if root.is_relative_to(out) or out.is_relative_to(root):
            raise DeployError(f"cannot deploy to {self.where!r}: the target folder and the output folder "
                              f"{output_dir} contain one another; choose a folder outside the site")


def replace_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".vestka-tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune_empty_parents(path: Path, root: Path) -> None:
    parent = path.parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent
