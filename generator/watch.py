"""What `vestka serve` watches, and what a batch of changed files means for the preview.

Two pure parts, tested without a server: a snapshot of the watched files with a diff of two
snapshots (added, changed and removed files in one go, so a `git pull` that touches many files
is one batch), and a classification of the changed paths (Zola's `fs_utils` idea). Every change
to a watched file that a build reads leads to a rebuild; only editor droppings and files the
site's `ignore` patterns exclude are dropped, because a missed change is a stale preview.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from generator.config import CONFIG_NAME
from generator.sources import is_junk

#: (mtime in ns, size, inode) of one file: an in-place save changes the first two, a save by
#: rename (many editors) changes the inode even when size and time happen to match.
Stamp = tuple[int, int, int]
Snapshot = dict[Path, Stamp]


class Kind(StrEnum):
    """What a changed file is to the build."""

    CONFIG = "config"
    CONTENT = "content"
    TEMPLATE = "template"
    STRINGS = "strings"
    STATIC = "static"
    #: Another file inside a watched folder (a theme's README, say): rebuilt to be safe.
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Change:
    #: Site-relative POSIX path ("content/en/2020/a.md"); files of the built-in theme are
    #: named "themes/default/…" as if it were in the site.
    path: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Batch:
    """The changes one rebuild answers, sorted by path."""

    changes: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def config_changed(self) -> bool:
        """config.yaml changed: it must be loaded again before the build."""
        return any(c.kind is Kind.CONFIG for c in self.changes)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.changes)

    def describe(self, limit: int = 3) -> str:
        """"content/en/a.md changed", "4 files changed (config.yaml, …)"."""
        if not self.changes:
            return "nothing changed"
        if len(self.changes) == 1:
            return f"{self.changes[0].path} changed"
        names = ", ".join(self.paths[:limit]) + (", …" if len(self.changes) > limit else "")
        return f"{len(self.changes)} files changed ({names})"

    def merged(self, other: Batch) -> Batch:
        found = {c.path: c for c in (*self.changes, *other.changes)}
        return Batch(tuple(found[p] for p in sorted(found)))


@dataclass(frozen=True, slots=True)
class Roots:
    """The folders and files a build of one site reads."""

    site_dir: Path
    #: The built-in theme, which lives outside the site (or, in a checkout, inside the repository).
    builtin_theme: Path

    @property
    def folders(self) -> tuple[Path, ...]:
        site = self.site_dir
        # The whole themes/ folder, not only the chosen theme: a config change may pick another one.
        return (site / "content", site / "static", site / "i18n", site / "themes", self.builtin_theme)

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.site_dir / CONFIG_NAME,)


def scan(roots: Roots) -> Snapshot:
    """Stamp every file below the watched folders; junk names are skipped, loops are not followed."""
    snapshot: Snapshot = {}
    seen_dirs: set[tuple[int, int]] = set()
    for path in roots.files:
        stamp = _stamp(path)
        if stamp is not None:
            snapshot[path] = stamp
    for folder in roots.folders:
        stack = [folder]
        while stack:
            current = stack.pop()
            try:
                info = current.stat()
                if (info.st_dev, info.st_ino) in seen_dirs:  # the built-in theme inside the site, or a link loop
                    continue
                seen_dirs.add((info.st_dev, info.st_ino))
                entries = list(os.scandir(current))
            except OSError:  # missing (no static/ folder) or removed while we looked
                continue
            for entry in entries:
                if is_junk(entry.name):
                    continue
                try:
                    if entry.is_dir():
                        stack.append(Path(entry.path))
                    elif entry.is_file():
                        st = entry.stat()
                        snapshot[Path(entry.path)] = (st.st_mtime_ns, st.st_size, st.st_ino)
                except OSError:
                    continue
    return snapshot


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def restamp(snapshot: Snapshot, paths: Iterable[Path], roots: Roots) -> list[Path] | None:
    """Take the stamps of `paths`, the files the kernel reported, again into `snapshot` (a file
    that is gone is dropped) and return those that changed, sorted: the work of a save, whatever
    the size of the archive. None, with `snapshot` untouched, when one of them is a folder or
    lies outside the watched ones: files that came with a new or moved folder may not have been
    reported, and only a full scan finds them."""
    watched = [*roots.folders, *roots.files]
    wanted = []
    for path in paths:
        root = next((root for root in watched if path == root or path.is_relative_to(root)), None)
        if root is None or path.is_dir():
            return None
        if not (any(is_junk(part) for part in path.relative_to(root).parts) or is_junk(path.name)):
            wanted.append(path)
    changed = []
    for path in sorted(wanted):
        stamp = _stamp(path) if path.is_file() else None
        if snapshot.get(path) != stamp:
            changed.append(path)
            if stamp is None:
                del snapshot[path]
            else:
                snapshot[path] = stamp
    return changed


def changed_files(old: Snapshot, new: Snapshot) -> list[Path]:
    """Files added, removed or modified between two snapshots, sorted."""
    return sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))


def classify(paths: Iterable[Path], roots: Roots, ignore: tuple[str, ...] = ()) -> Batch:
    """The changes among `paths` that can alter the built site."""
    changes = {}
    for path in paths:
        rel = _site_relative(path, roots)
        if rel is None:
            continue
        kind = kind_of(rel, ignore)
        if kind is not None:
            changes[rel] = Change(rel, kind)
    return Batch(tuple(changes[p] for p in sorted(changes)))


def _site_relative(path: Path, roots: Roots) -> str | None:
    for base, prefix in ((roots.site_dir, ""), (roots.builtin_theme, "themes/default/")):
        try:
            return prefix + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return None


def kind_of(rel: str, ignore: tuple[str, ...] = ()) -> Kind | None:
    """What the site-relative file `rel` is to the build; None when no build reads it."""
    parts = PurePosixPath(rel).parts
    if not parts or any(is_junk(part) for part in parts):
        return None
    if rel == CONFIG_NAME:
        return Kind.CONFIG
    top = parts[0]
    if top == "content" and len(parts) > 1:
        inner = "/".join(parts[1:])
        if any(fnmatch.fnmatch(inner, pattern) for pattern in ignore):
            return None
        return Kind.CONTENT
    if top == "static" and len(parts) > 1:
        return Kind.STATIC
    if top == "i18n" and len(parts) > 1:
        return Kind.STRINGS
    if top == "themes" and len(parts) > 3:
        return {"templates": Kind.TEMPLATE, "static": Kind.STATIC, "i18n": Kind.STRINGS}.get(parts[2], Kind.OTHER)
    if top == "themes" and len(parts) == 3:
        return Kind.OTHER
    return None
