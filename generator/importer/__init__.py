"""`vestka import`: legacy sources -> one record type -> one writer.

Each format module turns its files into `ImportedItem`s with pure parse functions; `save`
is the only code that writes. The driver `run_import` lists the source files first (so
progress has a total), parses them one by one, then hands every item to the writer at
once, because slug clashes can only be settled knowing all items of the run.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from generator.config import Config
from generator.errors import ImportFailure, Problem
from generator.urls import check_url_path

ItemKind = Literal["article", "page"]

#: FORMAT name on the command line -> module of this package that reads it.
FORMATS: Mapping[str, str] = MappingProxyType({
    "dump": "dump",
    "html": "html_page",
    "wordpress": "wordpress",
    "feed": "feed",
    "jekyll": "jekyll",
    "hugo": "hugo",
})

_LANG_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class ImportedItem:
    """One article or page read from a legacy source, before it becomes a Markdown file."""

    #: Identity across runs: the original URL, or "FORMAT:path" of the source file when
    #: there is no URL. Stored as `import_source`; re-imports find their file by it.
    source_ref: str
    #: The source file, as named in messages.
    origin: str
    title: str
    #: Publication time; naive means "local time of the site" (config timezone).
    date: datetime | None
    #: Body as Markdown.
    body: str
    updated: datetime | None = None
    #: Language the source declares, or None (then --lang / importer.lang / default language).
    lang: str | None = None
    #: Preferred slug text (e.g. WordPress post_name); None means "from the title".
    slug: str | None = None
    #: "article" goes to content/LANG/YYYY/, "page" to content/LANG/pages/.
    kind: ItemKind = "article"
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    summary: str = ""
    image: str = ""
    draft: bool = False
    #: Original absolute URL, written as `source`.
    source_url: str = ""
    #: Old URL paths ("/en/news/15782") that should redirect to the new page.
    aliases: tuple[str, ...] = ()
    translation_key: str = ""
    #: Further front-matter keys kept as page meta (publisher, source_id, ...), in order.
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Front-matter keys of the source that have no meaning here, written under `meta:`.
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Local files the body refers to: (reference as written in the body, file on disk,
    #: site path it is copied to below content/ and linked as).
    media: tuple[tuple[str, str, str], ...] = ()
    #: Identities this item had in earlier imports (a dump's file name before urls.txt gave
    #: it a URL): a re-import takes over the file written under one of them.
    earlier_refs: tuple[str, ...] = ()
    #: True when the source gave no date: the item becomes a standalone page dated by its file.
    undated: bool = False


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one source file gave: items, plus problems found on the way."""

    items: tuple[ImportedItem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    #: Items (or the whole file) left out, each with the reason.
    skipped: tuple[Problem, ...] = ()
    #: URLs of media the source refers to (WordPress attachments); nothing is downloaded.
    attachments: tuple[str, ...] = ()
    #: Media references of the items that name no file of the source (shown in the summary).
    missing_media: tuple[str, ...] = ()
    #: (kind, origin) of each shortcode or Liquid tag left as text; one warning per kind.
    leftovers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """The few settings parsers need, taken from config so parsers never see Config."""

    #: Extra boilerplate lines to drop (config `importer.boilerplate`).
    boilerplate: tuple[str, ...] = ()
    #: `--section`: import only this section (a folder name or path below the content root).
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One source file to read, with the pure function that parses its text."""

    path: Path
    #: Name used in messages and in `import_source` when the item has no URL.
    origin: str
    parse: Callable[[str], Parsed]


@dataclass(slots=True)
class ImportReport:
    """Everything an import did or would do; the CLI prints `summary_lines()`."""

    fmt: str
    dry_run: bool = False
    #: (content path relative to the site, source ref) of every file written (or to be written).
    written: list[tuple[str, str]] = field(default_factory=list)
    #: Same shape: files whose text would not change.
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    #: Existing files not overwritten (edited by hand, or not made by the importer).
    conflicts: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: Media URLs listed by the source (WordPress attachments), for downloading by hand.
    attachments: list[str] = field(default_factory=list)
    #: Items read, by kind ("articles", "pages", "drafts", "undated pages", "empty bodies").
    kinds: dict[str, int] = field(default_factory=dict)
    #: Media files copied (or to be copied) into content/, and references that name no file.
    media: list[str] = field(default_factory=list)
    missing_media: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        verb = "would write" if self.dry_run else "wrote"
        lines = [f"import {self.fmt}: {verb} {len(self.written)}, unchanged {len(self.unchanged)}, "
                 f"skipped {len(self.skipped)}, conflicts {len(self.conflicts)}, "
                 f"warnings {len(self.warnings)}"
                 + (f", attachments {len(self.attachments)}" if self.attachments else "")]
        if self.kinds:
            lines.append("  read: " + ", ".join(f"{count} {kind}" for kind, count in self.kinds.items()))
        if self.media or self.missing_media:
            lines.append(f"  media: {len(self.media)} file(s) copied into content/ at their old paths, "
                         f"{len(self.missing_media)} reference(s) name no file of the source")
        if self.dry_run:
            lines.append("dry run: nothing was written")
            lines += [f"  {verb} {path}  <- {ref}" for path, ref in self.written]
        lines += [f"  skipped: {p}" for p in self.skipped]
        lines += [f"  conflict: {p}" for p in self.conflicts]
        lines += [f"  {p}" for p in self.warnings]
        if self.missing_media:
            lines.append("  media not found (links left as they were):")
            lines += [f"    {ref}" for ref in self.missing_media]
        if self.attachments:
            lines.append("  attachments (not downloaded):")
            lines += [f"    {url}" for url in self.attachments]
        return lines


def run_import(fmt: str, sources: list[Path], config: Config, *, lang: str | None = None,
               force_lang: str | None = None, section: str | None = None,
               dry_run: bool = False, force: bool = False, fetch_media: bool = False,
               progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import `sources` in format `fmt` into `config.content_dir`.

    `lang` is the language of items whose source declares none; `force_lang` overrides what
    the source says. `section` limits a site import to one section. `fetch_media` downloads
    remote images and files into content/. `progress(done, total)` is called after each
    source file is read and converted (the slow part); the writing that follows is quick.
    Raises ImportFailure when the run cannot start.
    """
    if fmt not in FORMATS:
        raise ImportFailure(f"unknown import format {fmt!r}", [Problem(
            "error", "", None, f"unknown import format {fmt!r}", "use one of: " + ", ".join(FORMATS))], usage=True)
    if not sources:
        raise ImportFailure("nothing to import", [Problem(
            "error", "", None, "no SOURCE given", "name at least one file or folder to import")])
    missing = [Path(s) for s in sources if not Path(s).exists()]
    if missing:
        raise ImportFailure("import source not found", [
            Problem("error", str(path), None, "no such file or folder", "check the path") for path in missing])
    for flag, value in (("--lang", lang), ("--force-lang", force_lang)):
        if value is not None and (not _LANG_CODE.match(value) or value not in config.language_codes):
            raise ImportFailure(f"unknown language {value!r}", [Problem(
                "error", "", None, f"{flag} {value!r} is not a language of this site",
                "use one of: " + ", ".join(config.language_codes))], usage=True)

    module = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    options = ParseOptions(boilerplate=config.importer.boilerplate, section=section)
    jobs: list[Job] = []
    for source in sources:
        jobs.extend(module.plan(Path(source), options))

    report = ImportReport(fmt=fmt, dry_run=dry_run)
    jobs = _inside_sources(jobs, [Path(s) for s in sources], report.warnings)
    items: list[ImportedItem] = []
    leftovers: dict[str, list[str]] = {}
    undated: list[str] = []
    for done, job in enumerate(jobs, 1):
        parsed = _parse_job(job)
        for item in parsed.items:
            if item.date is None:
                item = _undated(item, job.path)
                undated.append(item.origin)
            items.append(item)
        report.warnings.extend(parsed.warnings)
        report.skipped.extend(parsed.skipped)
        for url in parsed.attachments:
            if url not in report.attachments:
                report.attachments.append(url)
        report.missing_media.extend(r for r in parsed.missing_media if r not in report.missing_media)
        for kind, origin in parsed.leftovers:
            leftovers.setdefault(kind, []).append(origin)
        if progress is not None:
            progress(done, len(jobs))

    from generator.importer import save  # noqa: PLC0415 - save imports this module's records

    if undated:
        report.warnings.append(warning(
            "", f"{len(undated)} item(s) have no date; imported as standalone pages dated by their last "
            "modification or their file's: " + ", ".join(undated[:10])
            + (f", and {len(undated) - 10} more" if len(undated) > 10 else ""),
            "add the real dates to the imported files where they are known"))
    for kind, origins in sorted(leftovers.items()):
        files = list(dict.fromkeys(origins))
        report.warnings.append(warning(
            "", f"{kind} left as text: {len(origins)} time(s) in {len(files)} file(s): "
            + ", ".join(files[:10]) + (f", and {len(files) - 10} more" if len(files) > 10 else ""),
            "replace it by hand in the imported files"))
    if fetch_media:
        from generator.importer import fetch  # noqa: PLC0415 - network code only when asked for

        items, notes = fetch.fetch_remote_media(items, config.site_dir / ".vestka-cache" / "import-media")
        report.warnings.extend(notes)
    for item in items:
        for kind in _kinds_of(item):
            report.kinds[kind] = report.kinds.get(kind, 0) + 1
    result = save.save_items(items, config, lang=lang, force_lang=force_lang, dry_run=dry_run, force=force)
    report.written.extend(result.written)
    report.unchanged.extend(result.unchanged)
    report.skipped.extend(result.skipped)
    report.conflicts.extend(result.conflicts)
    report.warnings.extend(result.warnings)
    report.media.extend(result.media)
    return report


def _kinds_of(item: ImportedItem) -> list[str]:
    kinds = ["pages" if item.kind == "page" else "articles"]
    if item.draft:
        kinds.append("drafts")
    if item.undated:
        kinds.append("undated pages")
    if not item.body.strip():
        kinds.append("items with front matter only")
    return kinds


def _undated(item: ImportedItem, path: Path) -> ImportedItem:
    """An item without a date becomes a standalone page dated by its last change (or file)."""
    when = item.updated or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).replace(microsecond=0)
    return replace(item, date=when, kind="page", undated=True)


def _inside_sources(jobs: list[Job], sources: list[Path], warnings: list[Problem]) -> list[Job]:
    """The jobs whose file really lies inside the folder it was found in; a symbolic link leading out
    of that folder is skipped with a warning and never read, as links out of content/ are."""
    roots = [(s, s.resolve()) for s in sources if s.is_dir()]
    kept = []
    for job in jobs:
        root = next((real for given, real in roots if job.path.is_relative_to(given)), None)
        if root is not None and not job.path.resolve().is_relative_to(root):
            warnings.append(warning(job.origin, "a symbolic link to a file outside the import source; skipped",
                                    "copy the file into the folder being imported if it belongs there"))
            continue
        kept.append(job)
    return kept


def _parse_job(job: Job) -> Parsed:
    """Read one file (the only read of a source file) and parse it; a bad file is skipped."""
    try:
        raw = job.path.read_bytes()
    except OSError as exc:
        return Parsed(skipped=(Problem("error", job.origin, None, f"cannot read the file: {exc.strerror}"),))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Parsed(skipped=(Problem("error", job.origin, None,
                                       f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                                       "convert the file to UTF-8 and import it again"),))
    return job.parse(text.replace("\r\n", "\n").replace("\r", "\n"))


# --- helpers shared by the format modules ---------------------------------------------------


def url_alias(url: str) -> tuple[str | None, str]:
    """The old site path of `url` to redirect from, or (None, why not).

    Only the path is kept (host and scheme change with the move anyway); a query string
    cannot be served by a static file, so such URLs get no alias.
    """
    if not url:
        return None, ""
    parts = urlsplit(url)
    if parts.query:
        return None, f"old URL {url} has a query string; no redirect page can be made for it"
    path = re.sub(r"/{2,}", "/", unquote(parts.path))  # servers merge repeated slashes
    if not path or path == "/":
        return None, ""
    problem = check_url_path(path)
    if problem:
        return None, f"old URL path {path!r} {problem}; no redirect page made"
    return path, ""


def source_files(source: Path, suffixes: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[Path]:
    """`source` itself, or the files with one of `suffixes` inside it, sorted by path."""
    if source.is_file():
        return [source]
    found = [p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
             and p.name not in exclude and not any(part.startswith(".") for part in p.relative_to(source).parts)]
    return sorted(found, key=lambda p: p.relative_to(source).as_posix())


def origin_name(path: Path, source: Path) -> str:
    """How a file is named in messages: relative to the folder given, or its own name."""
    if source.is_file():
        return path.name
    return path.relative_to(source).as_posix()


def warning(origin: str, message: str, hint: str = "") -> Problem:
    return Problem("warning", origin, None, message, hint)


def skipped(origin: str, message: str, hint: str = "") -> Problem:
    return Problem("error", origin, None, message, hint)
