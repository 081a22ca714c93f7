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
import errno
import fcntl
import functools
import hashlib
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from generator.cache_files import process_alive
from generator.errors import Problem, VestkaError
from generator.manifest import (
    MANIFEST,
    NO_BUILD,
    BuildCheck,
    Stats,
    check_build,
    checked,
    compare,
    file_stats,
    load_output_record,
    load_stats,
    manifest_bytes,
    read_manifest,
    save_stats,
)
from generator.model import OutputFile
from generator.parallel import Later, beside
from generator.urls import check_url_path

if TYPE_CHECKING:
    import ctypes

T = TypeVar("T")

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
    """An output folder about to be written: where its state lives, and its last build as checked.

    What only a build that writes needs (the build before last checked, what was added to output/
    by hand) can be looked for by forked children meanwhile (`look_ahead`).
    """

    places: Places
    output: BuildCheck
    _spare: BuildCheck | None = None
    _spare_check: Later[BuildCheck] | None = None
    _hand_added: Later[list[str]] | None = None

    def look_ahead(self) -> None:
        """Start looking for what the write stage will need, in forked children (see `parallel.Later`).

        Not before the build knows it will write: a no-op build would pay for the forks.
        """
        if len(self.output.files) >= CHECK_APART_FROM and self._spare is None:
            self._spare_check = Later(functools.partial(_check_spare, self.places))
            self._hand_added = Later(functools.partial(added_by_hand, self.places.output_dir, self.output.files))

    def spare(self) -> BuildCheck:
        """The build before last, checked on first use (a no-op build never needs it)."""
        if self._spare is None:
            self._spare = self._spare_check.result() if self._spare_check is not None else _check_spare(self.places)
            self._spare_check = None
        return self._spare

    def hand_added(self) -> list[str]:
        """What output/ holds that its manifest does not list (see `added_by_hand`)."""
        if self._hand_added is not None:
            later, self._hand_added = self._hand_added, None
            return later.result()
        return added_by_hand(self.places.output_dir, self.output.files)


#: From this many files on, output/ is checked in a forked process (see `open_target`).
CHECK_APART_FROM = 2000


def open_target(output_dir: Path, cache_dir: Path, meanwhile: Callable[[], T]) -> tuple[Target, T]:
    """The state of `output_dir`, an older Vestka's state moved in, and its build checked against
    the disk; and `meanwhile()`, run while a forked process makes the check's `stat` calls."""
    places = places_for(output_dir, cache_dir)
    migrate_old_state(places)
    stats, files = load_output_record(places.stats, output_dir)
    if files is None:
        return Target(places, NO_BUILD), meanwhile()
    compared = functools.partial(compare, output_dir, files, stats)
    if len(files) < CHECK_APART_FROM:
        (damaged, restamped), result = compared(), meanwhile()
    else:
        (damaged, restamped), result = beside(compared, meanwhile)
    return Target(places, checked(files, stats, damaged, restamped)), result


def _check_spare(places: Places) -> BuildCheck:
    return check_build(places.spare, load_stats(places.stats, previous=True))


class WriteError(VestkaError):
    """The output could not be written safely."""


#: Errors of the disk or of the folders' protection, not of Vestka: what each means and what to do.
_DISK_TROUBLE: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full (no space left on the device)",
                   "free some space on that disk and build again (a build prepares its files before they "
                   "replace output/, so it needs room for the files it changes)"),
    errno.EDQUOT: ("the disk quota is used up",
                   "free some space or ask for a larger quota, then build again"),
    errno.EROFS: ("it is on a read-only file system",
                  "mount that file system read-write, or build elsewhere with --output"),
    errno.EACCES: ("permission denied for the user running the build",
                   "give that user the access it needs (chmod u+rw; u+rwx for a folder), or build elsewhere "
                   "with --output"),
    errno.EPERM: ("the operation is not permitted (it is immutable or append-only)",
                  "clear the flag (chattr -i -a), or build elsewhere with --output"),
    errno.EBUSY: ("it is in use or a mount point, so it cannot be replaced",
                  "build into a folder inside the mount (--output), or mount the folder above it instead"),
    errno.EXDEV: ("it is on another mount than the site's .vestka-cache/, so the new build cannot be moved there",
                  "build to a folder on the same mount as the site, or mount the folder above output/ instead"),
    errno.EIO: ("the disk reported an input/output error", "check the disk, then build again"),
}


@contextlib.contextmanager
def disk_errors(site_dir: Path, output_dir: Path) -> Iterator[None]:
    """Turn an OSError of a full, read-only or protected disk into a WriteError naming the file.

    Anything else is left alone: an OSError this does not know stays a bug to report.
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in _DISK_TROUBLE:
            raise
        raise disk_error(exc, site_dir, output_dir) from None


def disk_error(exc: OSError, site_dir: Path, output_dir: Path, doing: str | None = None) -> WriteError:
    """The WriteError that says what a disk error `exc` means, naming the file it struck and what
    could not be `doing` with it (found from where it is when not given)."""
    what, hint = _DISK_TROUBLE[exc.errno]  # type: ignore[index]
    name = output_dir.name
    # Space runs out for the build as a whole: name the file as it would have been in output/.
    # A protected file is named where it is, since that is where it must be unprotected.
    as_output = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO)
    shown = _shown_path(exc.filename, site_dir, output_dir, as_output) if exc.filename is not None else name
    if doing is not None:
        pass
    elif shown == name:
        doing = "cannot be replaced"
    elif shown.startswith((f"{name}/", ".vestka-")):
        doing = "cannot be written"
    else:
        doing = "cannot be read or written"
    if _PREVIOUS.search(shown):
        what += f" (a file of the build before last: the old {name}/, kept to prepare the next build in)"
    return WriteError(f"build failed: {shown} {doing}: {what}",
                      [Problem("error", shown, None, f"{doing}: {what}; {name}/ is as the last build left it",
                               hint)])


#: A path inside the build before last, as `_shown_path` shows it (see `Places`).
_PREVIOUS = re.compile(r"(^|/)(\.vestka-cache/builds/[^/]+|\.vestka-state-[^/]+)/previous/")


def _shown_path(filename: str | bytes | int, site_dir: Path, output_dir: Path, as_output: bool) -> str:
    """`filename` relative to the site (or to output/'s parent); `as_output`: a file of the build
    being prepared as the file of output/ it was to become."""
    path = Path(os.fsdecode(filename) if not isinstance(filename, int) else str(filename)).absolute()
    parts = path.parts
    # The build being prepared lives in `.vestka-cache/builds/NAME-HASH/FOLDER/` (or, with output/
    # on another disk, `.vestka-state-NAME/FOLDER/`), FOLDER being the build before last or a
    # staging folder (see `Places`): FOLDER/rest is output/rest-to-be.
    for i, part in enumerate(parts[:-1] if as_output else ()):
        if part.startswith(".vestka-state-") or (part == "builds" and i and parts[i - 1] == ".vestka-cache"):
            folder = i + (2 if part == "builds" else 1)
            if folder + 1 < len(parts) and (parts[folder] == "previous" or parts[folder].startswith("staging-")):
                return "/".join([output_dir.name, *parts[folder + 1:]])
    for root in (site_dir.absolute(), output_dir.absolute().parent):
        if path.is_relative_to(root) and path != root:
            return path.relative_to(root).as_posix()
    return str(path)


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
    #: (size, mtime) of the files of `present`, as checked.
    present_stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: Folders this process has made or found (each forked worker has its own copy).
    folders: set[Path] = field(default_factory=set)
    #: Warnings of the write stage (files found in output/ that the build did not make).
    problems: list[Problem] = field(default_factory=list)
    #: What output/ holds that its manifest does not list, when it was looked for already.
    hand_added: Callable[[], list[str]] | None = None


def store(dest: Destination, path: str, data: bytes | None, digest: str,
          copy_from: Path | str | None = None) -> None:
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
    if dest.present or dest.reused:
        _clear(target)  # never write through a file: the old build may share its inode
    if dest.previous.get(path) == digest and _link(dest.output_dir / path, target):
        return
    if data is None:
        if copy_from is None:
            raise WriteError(f"{path} is unchanged but missing from the previous build")
        data = read_bytes(copy_from)
    _write_bytes(target, data)


def read_bytes(path: Path | str) -> bytes:
    """The bytes of a file to copy (a string path saves making a `Path` for each of thousands)."""
    with open(path, "rb") as handle:
        return handle.read()


def _write_bytes(target: Path, data: bytes) -> None:
    """Write a new file; an OSError names it (a full disk fails in write() or close(), which do not)."""
    try:
        with open(target, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(target)) from None
        raise


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


def check_output_dir(output_dir: Path, site_dir: Path, built: bool = False) -> None:
    """Refuse an output folder that would replace something that is not a previous build
    (`built`: its manifest was read already, at the start of this build)."""
    resolved = output_dir.resolve()
    site = site_dir.resolve()
    if resolved == site or site.is_relative_to(resolved) or resolved == Path(resolved.anchor):
        raise WriteError(f"refusing to build into {output_dir}: it contains the site itself",
                         [Problem("error", "output", None, "the output folder must not contain the site",
                                  "choose an empty or new folder, e.g. --output output")])
    if output_dir.is_symlink():
        raise WriteError(f"refusing to build into {output_dir}: it is a symbolic link")
    if not built and output_dir.exists() and read_manifest(output_dir) is None and (
            not output_dir.is_dir() or any(output_dir.iterdir())):
            raise WriteError(f"refusing to replace {output_dir}: it was not made by Vestka",
                             [Problem("error", str(output_dir.name), None,
                                      "the output folder exists, is not empty and holds no Vestka build",
                                      "move it away, or choose another folder with --output")])
    # Found now, before anything is rendered, rather than when the new build is swapped in.
    if output_dir.is_dir() and os.path.ismount(output_dir):
        raise disk_error(OSError(errno.EBUSY, "a mount point", str(output_dir)), site_dir, output_dir)
    for folder in (output_dir, output_dir.parent):
        refused = _write_refused(folder)
        if refused in _DISK_TROUBLE:
            raise disk_error(OSError(refused, os.strerror(refused), str(folder)), site_dir, output_dir,
                             doing=None if folder == output_dir else
                             f"cannot be written, and {output_dir.name}/ is replaced inside it")


def _write_refused(folder: Path) -> int:
    """0 when this process may change `folder`, else why not (EROFS, EACCES, EPERM for an immutable one)."""
    if not folder.is_dir():
        return 0
    libc = _libc()
    if libc is None:
        return 0 if os.access(folder, os.W_OK) else errno.EACCES
    return 0 if libc.access(os.fsencode(folder), os.W_OK) == 0 else _libc_errno()


def _libc_errno() -> int:
    import ctypes

    return ctypes.get_errno()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    # ctypes is imported here: a no-op build never needs it, and its import is a fiftieth of one.
    import ctypes

    try:  # the C library this process runs on: finding it by name runs ldconfig, a twentieth of an edit
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def check_claims(claims: Iterable[tuple[str, str]]) -> list[Problem]:
    """Problems with the planned output files, before anything is written.

    `claims` are (path inside output/, what produces it: a source file or a page's name). Every
    unsafe name, every two claims of one file (also differing only in case, which clash on
    Windows, macOS and USB sticks) and every file that stands where a folder must go is reported
    with all the sources involved. A claim of a path ending in "/" reserves that folder for
    generated files (the search index, whose file names change as the site grows).
    """
    problems: list[Problem] = []
    files: dict[str, tuple[str, str]] = {}
    folders: dict[str, tuple[str, str]] = {}

    def blame(source: str) -> str:
        return source if source.startswith(("content/", "static/", "themes/")) else ""

    # NFC: macOS file systems store "é" and "e" + combining accent as one name, like case.
    keyed = [(unicodedata.normalize("NFC", path).casefold(), path, source) for path, source in claims]
    reserved = {key: (path, owner) for key, path, owner in keyed if key.endswith("/")}
    # A file the build makes there too is reported below as two claims of one file, naming it.
    made = {key for key, _, source in keyed if not blame(source)} if reserved else set()
    for key, path, source in keyed:
        if key.endswith("/"):
            continue
        inside = next((reserved[f] for f in reserved if key.startswith(f) or key == f[:-1]), None)
        if inside is not None and blame(source) and key not in made:
            folder, owner = inside
            problems.append(Problem("error", source, None,
                                    f"{path} (from {source}) would be written into {folder}, the folder of "
                                    f"{owner}, which the build fills by itself",
                                    "choose another URL or file name"))
            continue
        unsafe = check_url_path("/" + path)
        if unsafe:
            problems.append(Problem("error", blame(source), None, f"{path!r} cannot be written: {unsafe}",
                                    "rename the file (no '..', '\\', control characters, device names "
                                    "such as CON or NUL, or trailing dots)"))
            continue
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


#: How long a build waits for the processes of a killed build to end (they are killed with it).
LOCK_WAIT = 10.0


@contextlib.contextmanager
def lock(places: Places) -> Iterator[None]:
    """Hold the write lock of an output folder, so two builds never swap it at once.

    Render workers inherit the lock, so it is free only when every process of a build is gone:
    a worker left running would go on writing into the folder the next build prepares. When
    the build that took the lock was killed, its workers end with it (see `parallel`), so the
    lock is waited for, briefly; processes that still hold it then are named in the error.
    """
    output_dir = places.output_dir
    with open(places.lock, "a+b") as handle:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                holder = _lock_holder(handle)
                if holder is not None and process_alive(holder):
                    raise WriteError(f"another build (process {holder}) is writing {output_dir.name}/ right now",
                                     [Problem("error", output_dir.name, None,
                                              f"the output folder is locked by another build (process {holder})",
                                              "wait for it to finish, then build again")]) from None
                if time.monotonic() > deadline:
                    raise _orphans_error(places, holder) from None
                time.sleep(0.05)
        try:
            handle.truncate(0)
            handle.write(str(os.getpid()).encode("ascii"))
            handle.flush()
        except OSError:
            pass  # the number only makes a refusal clearer
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _orphans_error(places: Places, holder: int | None) -> WriteError:
    """The error for a lock held by processes of a build that is gone, naming them when they can be found."""
    name = places.output_dir.name
    pids = _processes_holding(places.lock)
    which = (f"process {pids[0]}" if len(pids) == 1 else f"processes {', '.join(map(str, pids))}" if pids
             else "processes")
    killed = f" (process {holder})" if holder else ""
    return WriteError(f"{which} of a killed build{killed} still {'holds' if len(pids) == 1 else 'hold'} the lock "
                      f"of {name}/",
                      [Problem("error", name, None,
                               f"{which} of a build that was killed{killed} still "
                               f"{'holds' if len(pids) == 1 else 'hold'} the output folder's lock "
                               f"({places.lock}), and could still write into the next build",
                               (f"end {'it' if len(pids) == 1 else 'them'} (kill {' '.join(map(str, pids))})"
                                if pids else "end them") + ", then build again")])


def _processes_holding(path: Path) -> list[int]:
    """The processes with `path` open (Linux /proc; [] where there is none)."""
    wanted = str(path.resolve())
    found = []
    with contextlib.suppress(OSError):
        for pid in filter(str.isdigit, os.listdir("/proc")):
            with contextlib.suppress(OSError):
                if int(pid) != os.getpid() and any(
                        os.readlink(f"/proc/{pid}/fd/{fd}") == wanted for fd in os.listdir(f"/proc/{pid}/fd")):
                    found.append(int(pid))
    return sorted(found)


def _lock_holder(handle: IO[bytes]) -> int | None:
    """The process that took the lock last, as it wrote into the lock file."""
    try:
        handle.seek(0)
        text = handle.read(32).decode("ascii")
        return int(text) if text.isdigit() else None
    except (OSError, UnicodeDecodeError):
        return None


def safe_target(root: Path, rel: str) -> Path:
    """`root/rel`, refusing anything that could land outside `root`."""
    problem = check_url_path("/" + rel)
    if problem or rel.startswith("/") or not rel:
        raise WriteError(f"refusing to write {rel!r}: {problem or 'not a relative path'}")
    return root.joinpath(*rel.split("/"))


@contextlib.contextmanager
def open_destination(places: Places, output: BuildCheck = NO_BUILD, spare: BuildCheck = NO_BUILD,
                     hand_added: Callable[[], list[str]] | None = None) -> Iterator[Destination]:
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
            _rmtree(root)
        root.mkdir()
    dest = Destination(root, output_dir, output.intact, present, places, output.files,
                       spare.files if root == spare_path else {}, output.verified,
                       present_stats=spare.verified if root == spare_path else {}, hand_added=hand_added)
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
    kept = _keep_added_by_hand(dest, manifest)
    listed = manifest_bytes(manifest)
    _write_manifest(root / MANIFEST, listed, output_dir / MANIFEST)
    first = not output_dir.exists()
    _swap(root, places, keep_old_as=places.spare)
    for rel in kept:  # the build before last holds only its own files: it becomes the next build's folder
        with contextlib.suppress(OSError):
            _unlink_and_prune(places.spare, rel)
    stats = _stats_after(dest, manifest)
    if first and _link_spare(output_dir, places.spare, manifest, listed):
        save_stats(places.stats, stats, stats, manifest, output_dir)
    else:  # the old output/ is now the spare folder, its files as they were checked
        save_stats(places.stats, stats, dest.verified, manifest, output_dir)
    removed = len(set(dest.last) - set(manifest))
    return manifest, written, unchanged, removed


def _stats_after(dest: Destination, manifest: dict[str, str]) -> Stats:
    """(size, mtime) of every file of the new output/.

    A file the folder held already, or linked from the old output/, is an inode checked at the
    start of the build: its stats are known. Only the others are looked at. Were a link to have
    failed and the file been written instead, the next build would only hash it once.
    """
    known: Stats = {}
    unknown: dict[str, str] = {}
    kept, present, previous, linked = dest.present_stats.get, dest.present.get, dest.previous.get, dest.verified.get
    for rel, digest in manifest.items():
        found = kept(rel) if present(rel) == digest else linked(rel) if previous(rel) == digest else None
        if found is None:
            unknown[rel] = digest
        else:
            known[rel] = found
    known.update(file_stats(dest.output_dir, unknown))
    return known


def _link_spare(output_dir: Path, spare: Path, manifest: dict[str, str], listed: bytes) -> bool:
    """Make the spare folder of a first build: its files, linked. False when it cannot be.

    The next build is prepared in the spare folder and writes only what changed; without one
    it would link every file of output/ into a new folder first, which at 10,000 articles is a
    good part of a one-article edit. A first build pays for it instead. Its manifest, written
    last, says the folder is complete: an interrupted one is not used, and removed.
    """
    if spare.exists() or spare.is_symlink():
        _remove(spare)
    root, into = str(output_dir), str(spare)
    try:
        os.mkdir(into)
        made = {""}
        for rel in manifest:
            folder = rel.rpartition("/")[0]
            if folder not in made:
                os.makedirs(f"{into}/{folder}", exist_ok=True)
                made.add(folder)
            os.link(f"{root}/{rel}", f"{into}/{rel}")
        _write_bytes(spare / MANIFEST, listed)
    except OSError:
        shutil.rmtree(spare, ignore_errors=True)
        return False
    return True


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
                data = read_bytes(item.copy_from)  # type: ignore[arg-type]
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


def added_by_hand(output_dir: Path, listed: dict[str, str]) -> list[str]:
    """What in output/ its manifest does not list: put there by someone, not by a build.

    Files and links by their path, empty folders by their path with a "/" at the end (a build
    never leaves an empty folder).
    """
    found: list[str] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        try:
            entries = list(os.scandir(f"{output_dir}/{prefix}" if prefix else output_dir))
        except OSError:
            continue
        if prefix and not entries:
            found.append(prefix)
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append(rel + "/")
            elif rel not in listed and rel != MANIFEST:
                found.append(rel)
    return sorted(found)


def _keep_added_by_hand(dest: Destination, manifest: dict[str, str]) -> list[str]:
    """Carry what was added to output/ by hand into the new build, with a warning; returns what was kept.

    It stays where it is, build after build, until its owner moves or deletes it: were it left
    in the old output/ alone, it would come back with every other build, since the build
    before last is where the next one is prepared. What cannot stay (the build now writes that
    file, a folder of the build stands there, or a file of the build where its folder was) is
    set aside in the build state folder, never dropped.
    """
    assert dest.places is not None
    added = dest.hand_added() if dest.hand_added is not None else added_by_hand(dest.output_dir, dest.last)
    # Looked for while the build ran (see `Target.look_ahead`): what was deleted since is gone.
    added = [rel for rel in added if os.path.lexists(dest.output_dir / rel.rstrip("/"))]
    if not added:
        return []
    name, kept = dest.output_dir.name, []
    built_folders = {rel[:i + 1] for rel in manifest for i, c in enumerate(rel) if c == "/"}
    for rel in added:
        folder = rel.endswith("/")
        if folder and rel in built_folders:
            continue  # an empty folder the build now fills: it is the build's
        clash = (rel.rstrip("/") in manifest or (not folder and rel + "/" in built_folders)
                 or any(rel[:i] in manifest for i, c in enumerate(rel) if c == "/")
                 or bool(check_url_path("/" + rel.rstrip("/"))))
        source, target = dest.output_dir / rel, dest.root.joinpath(*rel.rstrip("/").split("/"))
        if clash:
            aside = dest.places.state.joinpath("added-by-hand", *rel.rstrip("/").split("/"))
            if not folder:
                aside.parent.mkdir(parents=True, exist_ok=True)
                _clear(aside)
                if not _link_or_copy(source, aside):
                    continue
                dest.problems.append(Problem(
                    "warning", f"{name}/{rel}", None,
                    f"this file was added by hand where the build now writes a file or folder of its own; it is "
                    f"set aside in {aside}", "move it into content/ under another name if it is still wanted"))
            continue
        _make_dirs(dest.root, target if folder else target.parent)
        if not folder:
            _clear(target)  # a leftover of the build before last, neither listed nor a folder of this build
            if not _link_or_copy(source, target):
                continue
        kept.append(rel)
        dest.problems.append(Problem(
            "warning", f"{name}/{rel}", None,
            f"this {'folder' if folder else 'file'} was not made by the build: it is kept in {name}/, but it is "
            "not in the build manifest, so 'vestka deploy' does not publish it",
            "move it into content/ (at the same path) to publish it, or delete it"))
    return kept


def _link_or_copy(source: Path, target: Path) -> bool:
    """Link or copy `source` to `target`; False when `source` was deleted meanwhile."""
    try:
        os.link(source, target, follow_symlinks=False)
    except FileNotFoundError:
        return False
    except OSError:
        try:
            shutil.copy2(source, target, follow_symlinks=False)
        except FileNotFoundError:
            return False
    return True


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
            _rmtree(path)
        else:
            raise


def _rmtree(path: Path) -> None:
    """shutil.rmtree, whose errors name the file they struck by its whole path (not relative to a folder)."""
    def named(_func: object, where: str, info: tuple[type[BaseException], BaseException, object]) -> None:
        exc = info[1]
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, where) from None
        raise exc

    shutil.rmtree(path, onerror=named)  # onexc from Python 3.12 on; onerror still works there


def _unlink_and_prune(root: Path, rel: str) -> None:
    """Remove the file `rel` (or the empty folder `rel/`) and the folders it leaves empty."""
    path = root.joinpath(*rel.rstrip("/").split("/"))
    parent = path
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
        _rmtree(path)
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
    _write_bytes(target, data)
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
    try:
        os.rename(staging, output_dir)
    except OSError:
        os.rename(old, output_dir)  # the old build back in place at once (else the next build would)
        raise
    if keep_old_as.exists():
        _rmtree(keep_old_as)
    os.rename(old, keep_old_as)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    libc = _libc()
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
