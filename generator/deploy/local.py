"""file:///path — keep a local folder (e.g. one a web server serves) in step with output/.

Each file is written to a temporary name beside its place and renamed over it, so a web server never
serves half a file. Changes are found by hashing the files in the folder.

Every path under the target is reached one folder at a time from a descriptor of the target folder,
opening each part with O_NOFOLLOW: a symbolic link to a folder inside the target is an error naming it,
so no write or delete can land outside the target, even if a link appears while the deploy runs.
A link where a file should be is reported as `NOT_A_FILE` (a conflict) and, when forced, replaced by
the file itself; the place it pointed to is never touched.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Self
from urllib.parse import SplitResult, unquote

from generator.config import DeployTarget
from generator.deploy.manifest import NOT_A_FILE, TARGET_MANIFEST, TMP_PREFIX
from generator.errors import DeployError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def open_session(target: DeployTarget, url: SplitResult) -> FolderSession:
    if url.netloc not in ("", "localhost") or not url.path.startswith("/") or url.query or url.fragment:
        raise DeployError(f"cannot deploy to {target.url!r}: a file URL needs an absolute path and "
                          "nothing else, e.g. file:///var/www/site")
    return FolderSession(Path(unquote(url.path)), target.url)


class FolderSession:
    """A deploy into one folder of this machine; also used for the work tree of git deploys."""

    def __init__(self, root: Path, where: str) -> None:
        # The folder named in the URL may itself be reached through links (/var/www -> /srv/www);
        # only what lies below it is held to the no-links rule.
        self.root = Path(os.path.realpath(root))
        self.where = where
        #: Open descriptors of folders under the root, by relative POSIX path ("" is the root).
        self._dirs: dict[str, int] = {}
        self._hashes: dict[str, str | None] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()

    def read_manifest(self) -> bytes | None:
        if not self.root.is_dir():
            return None
        try:
            fd = os.open(TARGET_MANIFEST, _READ_FLAGS, dir_fd=self._dir(""))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DeployError(f"cannot read {TARGET_MANIFEST} at {self.where!r}: {_reason(exc)}") from None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise DeployError(f"cannot deploy to {self.where!r}: {TARGET_MANIFEST} there is not a file")
            return f.read()

    def changed(self, output_dir: Path, files: dict[str, str], recorded: dict[str, str]) -> set[str]:
        self._check_apart(output_dir)
        if self.root.exists() and not self.root.is_dir():
            raise DeployError(f"cannot deploy to {self.where!r}: {self.root} is not a folder")
        return {rel for rel, digest in files.items() if self._hash(rel) != digest}

    def current(self, paths: list[str]) -> dict[str, str | None]:
        return {rel: self._hash(rel) for rel in paths}

    def apply(self, output_dir: Path, upload: dict[str, str], delete: list[str], manifest: bytes | None,
              progress: Callable[[str], None]) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for rel in upload:
                progress(f"upload {rel}")
                with (output_dir / rel).open("rb") as source:
                    self.write(rel, source.read())
            for rel in delete:
                progress(f"delete {rel}")
                self._delete(rel)
            if manifest is not None:
                progress(f"write {TARGET_MANIFEST}")
                self.write(TARGET_MANIFEST, manifest)
            self._remove_leftovers({rel.rpartition("/")[0] for rel in [*upload, *delete]} | {""})
        except OSError as exc:
            raise DeployError(f"deploy to {self.where!r} failed: {_reason(exc)}") from None

    def write(self, rel: str, data: bytes) -> None:
        """Put `data` at `rel` under the root: a temporary file beside it, renamed over it."""
        folder, _, name = rel.rpartition("/")
        dir_fd = self._dir(folder, create=True)
        tmp = f"{TMP_PREFIX}{secrets.token_hex(8)}"
        fd = os.open(tmp, _NEW_FLAGS, 0o644, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o644)  # readable by the web server whatever the umask
                f.write(data)
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            _unlink_quietly(tmp, dir_fd)
            raise
        self._hashes[rel] = hashlib.sha256(data).hexdigest()

    def _delete(self, rel: str) -> None:
        folder, _, name = rel.rpartition("/")
        try:
            dir_fd = self._dir(folder)
        except FileNotFoundError:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=dir_fd)  # unlink never follows a link: a link is removed, not its target
        self._hashes[rel] = None
        # Remove folders the deletion left empty, from the deepest up, never the root.
        while folder:
            parent, _, name = folder.rpartition("/")
            try:
                os.rmdir(name, dir_fd=self._dir(parent))
            except OSError:
                return
            os.close(self._dirs.pop(folder))
            folder = parent

    def _remove_leftovers(self, folders: set[str]) -> None:
        """Temporary files of an interrupted deploy, in the folders this deploy wrote to."""
        for folder in sorted(folders):
            try:
                dir_fd = self._dir(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            with os.scandir(dir_fd) as entries:
                names = [e.name for e in entries if e.name.startswith(TMP_PREFIX) and e.is_file(follow_symlinks=False)]
            for name in names:
                _unlink_quietly(name, dir_fd)

    def _hash(self, rel: str) -> str | None:
        if rel not in self._hashes:
            self._hashes[rel] = self._read_hash(rel)
        return self._hashes[rel]

    def _read_hash(self, rel: str) -> str | None:
        folder, _, name = rel.rpartition("/")
        try:
            dir_fd = self._dir(folder)
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return NOT_A_FILE  # a file where this path needs a folder
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return NOT_A_FILE  # the path itself is a link
            raise DeployError(f"cannot read {rel} at {self.where!r}: {_reason(exc)}") from None
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return NOT_A_FILE
            digest = hashlib.sha256()
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
            return digest.hexdigest()

    def _dir(self, folder: str, *, create: bool = False) -> int:
        """A descriptor of `folder` under the root, reached without following any link."""
        if folder in self._dirs:
            return self._dirs[folder]
        if folder == "":
            fd = os.open(self.root, _DIR_FLAGS)
        else:
            parent, _, name = folder.rpartition("/")
            parent_fd = self._dir(parent, create=create)
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o755, dir_fd=parent_fd)
            try:
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP or (exc.errno == errno.ENOTDIR and _is_link(name, parent_fd)):
                    raise DeployError(
                        f"cannot deploy to {self.where!r}: {folder} there is a symbolic link; a deploy "
                        "never writes or deletes through links", []) from None
                raise
        self._dirs[folder] = fd
        return fd

    def _check_apart(self, output_dir: Path) -> None:
        root, out = self.root.resolve(), Path(output_dir).resolve()
        if root.is_relative_to(out) or out.is_relative_to(root):
            raise DeployError(f"cannot deploy to {self.where!r}: the target folder and the output folder "
                              f"{output_dir} contain one another; choose a folder outside the site")


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _unlink_quietly(name: str, dir_fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dir_fd)


def _reason(exc: OSError) -> str:
    return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
