"""Write the built site: into a folder prepared in the build state folder, then swap it in at once.

A failed or interrupted build never leaves a half-written output/: until the swap, output/ is
the previous complete build; the swap itself is one atomic exchange of two folders (Linux
renameat2, with a two-rename fallback that `clean_leftovers` repairs if cut short).

The folder the new build is prepared in is the build before last, kept in the site's
`.vestka-cache/builds/` (see `Places`): a rebuild rewrites only the files that differ from it,
so saving one article costs a few file writes, not a copy of the site. Files whose bytes did
not change since the previous build are hard links to it, so they keep their modification
time. A file is never written through: it is replaced, because the two builds share unchanged
inodes. Files of output/ edited by hand (see `manifest.check_build`) are never linked or kept:
they are written again.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import hashlib
import os
import shutil
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import Problem, VestkaError
from generator.manifest import (
    MANIFEST,
    NO_BUILD,
    BuildCheck,
    check_build,
    file_stats,
    load_stats,
    manifest_bytes,
    read_manifest,
    save_stats,
)
from generator.model import OutputFile
from generator.urls import check_url_path

#: Names an older Vestka used beside output/ (moved or removed by `migrate_old_state`).
_OLD_STAGING_PREFIX = ".vestka-staging-"
_OLD_OLD_PREFIX = ".vestka-old-"
_OLD_SPARE_PREFIX = ".vestka-previous-"
_OLD_LOCK_PREFIX = ".vestka-lock-"


@dataclass(frozen=True, slots=True)
class Places:
    """Where the write stage keeps its state for one output folder.

    Everything lives in one folder of the site's cache (`.vestka-cache/builds/NAME-HASH/`): the
    build before last, the lock, the folders of a build in progress and the file stats of the
    last build. It must be on the same disk as output/, since folders are swapped by renaming;
    when output/ is on another disk, the state folder is `.vestka-state-NAME/` beside it.
    """

    output_dir: Path
    state: Path

    @property
    def spare(self) -> Path:
        return self.state / "previous"

    @property
    def lock(self) -> Path:
        return self.state / "lock"

    @property
    def stats(self) -> Path:
        return self.state / "stats.bin"

    def staging(self, pid: int) -> Path:
        return self.state / f"staging-{pid}"

    def old(self, pid: int) -> Path:
        return self.state / f"old-{pid}"


def places_for(output_dir: Path, cache_dir: Path) -> Places:
    """The state folder of `output_dir` (made if missing)."""
    where = hashlib.sha256(str(output_dir.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:10]
    inside = Places(output_dir, cache_dir / "builds" / f"{output_dir.name}-{where}")
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        inside.state.mkdir(parents=True, exist_ok=True)
        if inside.state.stat().st_dev == output_dir.parent.stat().st_dev:
            return inside
    except OSError:
        pass  # no cache folder (a file stands there, or the site is read-only)
    beside = Places(output_dir, output_dir.parent / f".vestka-state-{output_dir.name}")
    beside.state.mkdir(exist_ok=True)
    return beside


def migrate_old_state(places: Places) -> None:
    """Move the build before last of an older Vestka into the state folder; drop its lock file."""
    parent, name = places.output_dir.parent, places.output_dir.name
    old_spare = parent / f"{_OLD_SPARE_PREFIX}{name}"
    if old_spare.is_dir() and not old_spare.is_symlink():
        if places.spare.exists():
            shutil.rmtree(old_spare, ignore_errors=True)
        else:
            try:
                os.rename(old_spare, places.spare)
            except OSError:
                shutil.rmtree(old_spare, ignore_errors=True)
    with contextlib.suppress(OSError):
        (parent / f"{_OLD_LOCK_PREFIX}{name}").unlink()


@dataclass(slots=True)
class Target:
    """An output folder about to be written: where its state lives, and its last build as checked."""

    places: Places
    output: BuildCheck
    recorded: dict[str, dict[str, tuple[int, int]]]
    _spare: BuildCheck | None = None

    def spare(self) -> BuildCheck:
        """The build before last, checked on first use (a no-op build never needs it)."""
        if self._spare is None:
            self._spare = check_build(self.places.spare, self.recorded.get("previous", {}))
        return self._spare


def open_target(output_dir: Path, cache_dir: Path) -> Target:
    """The state of `output_dir`, an older Vestka's state moved in, and its build checked against the disk."""
    places = places_for(output_dir, cache_dir)
    migrate_old_state(places)
    recorded = load_stats(places.stats)
    return Target(places, check_build(output_dir, recorded.get("output", {})), recorded)


class WriteError(VestkaError):
    """The output could not be written safely."""


@dataclass(frozen=True, slots=True)
class Destination:
    """The folder a build is being written into (see `open_destination`).

    Render workers get it as an argument and store the pages they make themselves (`store`),
    so the files of a big build are written on every core; the writing process then only keeps
    the books.
    """

    root: Path
    output_dir: Path
    #: The live output's manifest: files with these bytes are linked from it, not written.
    previous: dict[str, str]
    #: What `root` holds already, by hash.
    present: dict[str, str]
    places: Places | None = None
    #: The manifest of output/ as it is, damaged files included.
    last: dict[str, str] = field(default_factory=dict)
    #: The manifest of the spare folder when `root` is that folder, damaged files included.
    reused: dict[str, str] = field(default_factory=dict)
    #: (size, mtime) of output/'s intact files, kept for when output/ becomes the spare folder.
    verified: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Folders this process has made or found (each forked worker has its own copy).
    folders: set[Path] = field(default_factory=set)


def store(dest: Destination, path: str, data: bytes | None, digest: str, copy_from: Path | None = None) -> None:
    """Put one file of the new build into `dest.root`, unless it holds those bytes already."""
    if dest.present.get(path) == digest:
        return
    target = safe_target(dest.root, path)
    parent = target.parent
    if parent not in dest.folders:
        try:
            os.makedirs(parent, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            _make_dirs(dest.root, parent)  # a file of the old build stands where a folder must go
        dest.folders.add(parent)
    if dest.present:
        _clear(target)  # never write through a file: the old build may share its inode
    if dest.previous.get(path) == digest and _link(dest.output_dir / path, target):
        return
    if data is None:
        if copy_from is None:
            raise WriteError(f"{path} is unchanged but missing from the previous build")
        data = copy_from.read_bytes()
    with open(target, "wb") as fh:
        fh.write(data)


def clean_leftovers(places: Places) -> list[str]:
    """Remove folders of builds that were killed, and restore output/ if a swap was cut short.

    Looks in the state folder and, for builds of an older Vestka, beside output/.
    """
    output_dir = places.output_dir
    parent, name = output_dir.parent, output_dir.name
    removed: list[str] = []
    if not parent.is_dir():
        return removed
    old = sorted([*places.state.glob("old-*"), *parent.glob(f"{_OLD_OLD_PREFIX}{name}-*")],
                 key=lambda p: p.stat().st_mtime_ns)
    if not output_dir.exists() and old:
        os.rename(old[-1], output_dir)  # the swap fell between its two renames: put the old site back
        old = old[:-1]
    for leftover in [*places.state.glob("staging-*"), *parent.glob(f"{_OLD_STAGING_PREFIX}{name}-*"), *old]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    return removed


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
    if output_dir.exists() and read_manifest(output_dir) is None and (
            not output_dir.is_dir() or any(output_dir.iterdir())):
            raise WriteError(f"refusing to replace {output_dir}: it was not made by Vestka",
                             [Problem("error", str(output_dir.name), None,
                                      "the output folder exists, is not empty and holds no Vestka build",
                                      "move it away, or choose another folder with --output")])


def check_claims(claims: Iterable[tuple[str, str]]) -> list[Problem]:
    """Problems with the planned output files, before anything is written.

    `claims` are (path inside output/, what produces it: a source file or a page's name). Every
    unsafe name, every two claims of one file (also differing only in case, which clash on
    Windows, macOS and USB sticks) and every file that stands where a folder must go is reported
    with all the sources involved.
    """
    problems: list[Problem] = []
    files: dict[str, tuple[str, str]] = {}
    folders: dict[str, tuple[str, str]] = {}

    def blame(source: str) -> str:
        return source if source.startswith(("content/", "static/", "themes/")) else ""

    for path, source in claims:
        unsafe = check_url_path("/" + path)
        if unsafe:
            problems.append(Problem("error", blame(source), None, f"{path!r} cannot be written: {unsafe}",
                                    "rename the file (no '..', '\\', control characters, device names "
                                    "such as CON or NUL, or trailing dots)"))
            continue
        # NFC: macOS file systems store "é" and "e" + combining accent as one name, like case.
        key = unicodedata.normalize("NFC", path).casefold()
        if key in files:
            first_path, first = files[key]
            same = "the same file" if first_path == path else (
                f"{first_path!r}, which differs only in case or Unicode normalisation")
            problems.append(Problem("error", blame(source) or blame(first), None,
                                    f"{path} would be written by {source} and by {first} ({same})",
                                    "rename or remove one of them"))
            continue
        if key in folders:
            other_path, other = folders[key]
            problems.append(Problem("error", blame(source) or blame(other), None,
                                    f"{path} (from {source}) is a file where {other_path} (from {other}) needs a "
                                    "folder of that name", "rename one of them"))
            continue
        files[key] = (path, source)
        parts = key.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in files:
                first_path, first = files[folder]
                problems.append(Problem("error", blame(source) or blame(first), None,
                                        f"{path} (from {source}) needs a folder where {first_path} (from {first}) "
                                        "is a file", "rename one of them"))
                break
            folders.setdefault(folder, (path, source))
    return problems


@contextlib.contextmanager
def lock(places: Places) -> Iterator[None]:
    """Hold the write lock of an output folder, so two builds never swap it at once."""
    output_dir = places.output_dir
    with open(places.lock, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise WriteError(f"another build is writing {output_dir.name}/ right now",
                             [Problem("error", output_dir.name, None, "the output folder is locked by another build",
                                      "wait for it to finish, then build again")]) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def safe_target(root: Path, rel: str) -> Path:
    """`root/rel`, refusing anything that could land outside `root`."""
    problem = check_url_path("/" + rel)
    if problem or rel.startswith("/") or not rel:
        raise WriteError(f"refusing to write {rel!r}: {problem or 'not a relative path'}")
    return root.joinpath(*rel.split("/"))


@contextlib.contextmanager
def open_destination(places: Places, output: BuildCheck = NO_BUILD,
                     spare: BuildCheck = NO_BUILD) -> Iterator[Destination]:
    """The folder to prepare the new build in, removed again if the build fails before `commit`.

    The build before last when it is intact (only the files that differ from it are written:
    a rebuild costs what changed), else a fresh staging folder. `output` and `spare` are the
    builds in output/ and in the spare folder as checked: their damaged files (edited by hand;
    the two builds may share an inode) are neither linked nor kept.
    """
    output_dir = places.output_dir
    spare_path = places.spare
    if output_dir.exists() and spare.files:
        root, present = spare_path, spare.intact
        (spare_path / MANIFEST).unlink()  # from here until the swap, the spare is not a complete build
    else:
        if spare_path.exists() or spare_path.is_symlink():
            _remove(spare_path)
        root, present = places.staging(os.getpid()), {}
        if root.exists():
            shutil.rmtree(root)
        root.mkdir()
    dest = Destination(root, output_dir, output.intact, present, places, output.files,
                       spare.files if root == spare_path else {}, output.verified)
    try:
        yield dest
    except BaseException:
        if root != spare_path:
            shutil.rmtree(root, ignore_errors=True)
        raise


def commit(dest: Destination, files: Iterable[OutputFile], *, progress: Callable[[int], None] | None = None,
           finish: Callable[[Path], list[str]] | None = None) -> tuple[dict[str, str], int, int, int]:
    """Write `files` into `dest` and swap it in as the new output/; returns (manifest, written, unchanged, removed).

    Items marked `stored` were stored by whoever made them. `finish` may add files to the
    finished folder (a search index) and returns their paths. Then the two folders are
    exchanged in one step.
    """
    assert dest.places is not None
    places, root, previous, output_dir = dest.places, dest.root, dest.previous, dest.output_dir
    manifest, written, unchanged = _fill(files, dest, progress)
    for stale in sorted(set(dest.reused) - set(manifest), reverse=True):
        _unlink_and_prune(root, stale)
    if finish is not None:
        for rel in finish(root):
            made = safe_target(root, rel)
            manifest[rel] = hashlib.sha256(made.read_bytes()).hexdigest()
            if previous.get(rel) == manifest[rel]:
                unchanged += 1
                _relink(output_dir / rel, made)  # same bytes as before: keep the old file and its time
            else:
                written += 1
        manifest = dict(sorted(manifest.items()))
    _write_manifest(root / MANIFEST, manifest_bytes(manifest), output_dir / MANIFEST)
    _swap(root, places, keep_old_as=places.spare)
    # The old output/ is now the spare folder, its files as they were checked.
    save_stats(places.stats, {"output": file_stats(output_dir, manifest), "previous": dest.verified})
    removed = len(set(dest.last) - set(manifest))
    return manifest, written, unchanged, removed


def publish(files: Iterable[OutputFile], places: Places, *, progress: Callable[[int], None] | None = None,
            finish: Callable[[Path], list[str]] | None = None, output: BuildCheck = NO_BUILD,
            spare: BuildCheck = NO_BUILD) -> tuple[dict[str, str], int, int, int]:
    """`open_destination` and `commit` in one step, for files that are all made by the caller."""
    with open_destination(places, output, spare) as dest:
        return commit(dest, files, progress=progress, finish=finish)


def _fill(files: Iterable[OutputFile], dest: Destination,
          progress: Callable[[int], None] | None) -> tuple[dict[str, str], int, int]:
    """Make `dest.root` hold exactly `files`; returns (manifest, written, unchanged)."""
    # Every path was checked by `check_claims` before the build got here: unsafe names, two
    # files in one place, a file where a folder must go.
    manifest: dict[str, str] = {}
    written = unchanged = 0
    for count, item in enumerate(files, 1):
        data = item.data
        if item.digest:
            digest = item.digest
        else:
            if data is None:
                data = item.copy_from.read_bytes()  # type: ignore[union-attr]
            digest = hashlib.sha256(data).hexdigest()
        manifest[item.path] = digest
        if dest.previous.get(item.path) == digest:
            unchanged += 1
        else:
            written += 1
        if not item.stored:
            store(dest, item.path, data, digest, item.copy_from)
        if progress is not None and count % 500 == 0:
            progress(count)
    return dict(sorted(manifest.items())), written, unchanged


def _make_dirs(root: Path, folder: Path) -> None:
    """Create `folder` inside `root`, replacing a file that stands where a folder must go.

    Several workers may make the same folder at once: one that exists already is fine.
    """
    missing = []
    current = folder
    while current != root and not current.is_dir():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            _clear(path)
        path.mkdir(exist_ok=True)


def _clear(path: Path) -> None:
    """Remove whatever stands at `path` (a file, a link, a folder), if anything."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except (IsADirectoryError, PermissionError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            raise


def _unlink_and_prune(root: Path, rel: str) -> None:
    path = root.joinpath(*rel.split("/"))
    if path.is_file() or path.is_symlink():
        path.unlink()
    parent = path.parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _relink(existing: Path, target: Path) -> None:
    """Replace `target` by a hard link to `existing` (same bytes), keeping `existing`'s time."""
    tmp = target.with_name(target.name + ".vestka-link")
    try:
        os.link(existing, tmp)
    except OSError:
        return
    os.replace(tmp, target)


def _write_manifest(target: Path, data: bytes, previous: Path) -> None:
    """Write the manifest; with the previous one's time when the bytes are the same.

    Never a hard link: the two builds would share the one file that says each is complete.
    """
    try:
        same = previous.read_bytes() == data
        old = previous.stat()
    except OSError:
        same = False
    if target.exists():
        target.unlink()
    target.write_bytes(data)
    if same:
        os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))


def _link(existing: Path, target: Path) -> bool:
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _swap(staging: Path, places: Places, keep_old_as: Path) -> None:
    """Put `staging` in place of output/ in one step; the old build becomes `keep_old_as`."""
    output_dir = places.output_dir
    if not output_dir.exists():
        os.rename(staging, output_dir)
        return
    if _exchange(staging, output_dir):
        if staging != keep_old_as:
            os.rename(staging, keep_old_as)
        return
    old = places.old(os.getpid())
    os.rename(output_dir, old)
    os.rename(staging, output_dir)
    if keep_old_as.exists():
        shutil.rmtree(keep_old_as)
    os.rename(old, keep_old_as)


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
