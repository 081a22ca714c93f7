"""Find the files a site is built from: Markdown pages, assets beside them, and static files.

Results are sorted by relative path so that every later stage sees the same order on every
machine. Links are followed only while they stay inside the folder being walked.
"""

from __future__ import annotations

import fnmatch
import operator
import os
from dataclasses import dataclass, field
from pathlib import Path

from generator import active_content
from generator.config import Config
from generator.errors import Problem, Report
from generator.model import SourceFile
from generator.theme import theme_dirs

PAGE_SUFFIXES = (".md", ".markdown")
#: Editor droppings and system files that are never part of a site.
_JUNK_SUFFIXES = ("~", ".swp", ".swo", ".tmp", ".part", ".crdownload")
_JUNK_NAMES = {"Thumbs.db", "desktop.ini"}


@dataclass(slots=True)
class Found:
    """What `discover` found."""

    pages: list[SourceFile] = field(default_factory=list)
    #: Files under content/ that are not pages; copied to the same place in output/.
    assets: list[SourceFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class Inputs:
    """Every file a build reads: content/ and the static layers (themes first, the site's last)."""

    found: Found
    static: dict[str, SourceFile]


def find_inputs(config: Config, report: Report, *, checking: bool) -> Inputs:
    """discover: the site's source files, sorted, with their size and time; problems into `report`."""
    found = discover(config.content_dir, config.ignore)
    static, problems = static_layers([d / "static" for d in reversed(theme_dirs(config))] + [config.static_dir])
    report.extend(found.problems + problems)
    report.extend(active_content.check_assets(found.assets, sanitize=config.sanitize, checking=checking))
    return Inputs(found, static)


_NAME, _REL_PATH = operator.attrgetter("name"), operator.attrgetter("rel_path")


def is_junk(name: str) -> bool:
    return (name.startswith((".", "#")) or name.endswith(_JUNK_SUFFIXES) or name in _JUNK_NAMES)


def walk(root: Path, label: str, ignore: tuple[str, ...] = ()) -> tuple[list[SourceFile], list[Problem]]:
    """Every regular file below `root`, sorted, as SourceFiles relative to `root`.

    `label` is how the folder is named in messages ("content", "static").
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    if not root.is_dir():
        return files, problems
    real_root = root.resolve()
    stack = [(root, "")]
    visited: set[Path] = set()
    while stack:
        folder, prefix = stack.pop()
        real = folder.resolve()
        if real in visited:  # a link back up the tree would make the walk endless
            problems.append(Problem("warning", f"{label}/{prefix.rstrip('/')}", None,
                                    "link to a folder that is already included; skipped",
                                    "remove the link"))
            continue
        visited.add(real)
        try:
            entries = sorted(os.scandir(folder), key=_NAME)
        except OSError as exc:
            problems.append(Problem("error", f"{label}/{prefix}", None, f"cannot read the folder: {exc.strerror}"))
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            rel = prefix + name
            if is_junk(name) or (ignore and any(fnmatch.fnmatch(rel, pattern) for pattern in ignore)):
                continue
            if entry.is_symlink():
                try:
                    target = Path(entry.path).resolve()
                except (RuntimeError, OSError):  # Python 3.11 reports a loop as RuntimeError, 3.13 as OSError
                    problems.append(Problem("error", f"{label}/{rel}", None,
                                            "symbolic link loop: the link leads back to itself, so nothing "
                                            "can be read through it", "remove the link or point it at a real file"))
                    continue
                if not target.is_relative_to(real_root):
                    problems.append(Problem("warning", f"{label}/{rel}", None,
                                            "link points outside the folder and is skipped",
                                            "copy the file into the site instead of linking to it"))
                    continue
            try:
                if entry.is_dir():
                    subdirs.append((Path(entry.path), rel + "/"))
                    continue
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError as exc:
                problems.append(Problem("error", f"{label}/{rel}", None, f"cannot read: {exc.strerror}"))
                continue
            kind = "page" if name.endswith(PAGE_SUFFIXES) else "asset"
            files.append(SourceFile(rel, kind, entry.path, stat.st_size, stat.st_mtime_ns))
        stack.extend(reversed(subdirs))
    files.sort(key=_REL_PATH)
    return files, problems


def discover(content_dir: Path, ignore: tuple[str, ...] = ()) -> Found:
    """Pages and assets under content/."""
    found = Found()
    if not content_dir.is_dir():
        found.problems.append(Problem("error", "content", None, "the site has no content/ folder",
                                      "create content/ and put articles in content/LANG/YEAR/slug.md"))
        return found
    files, found.problems = walk(content_dir, "content", ignore)
    for f in files:
        (found.pages if f.kind == "page" else found.assets).append(f)
    return found


def static_layers(folders: list[Path]) -> tuple[dict[str, SourceFile], list[Problem]]:
    """Static files from several folders; a later folder's file replaces an earlier one's."""
    merged: dict[str, SourceFile] = {}
    problems: list[Problem] = []
    for folder in folders:
        files, found = walk(folder, "static")
        problems.extend(found)
        for f in files:
            merged[f.rel_path] = f
    return dict(sorted(merged.items())), problems
