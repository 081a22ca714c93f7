"""Format `dump`: plain-text article pages as a text-extracting scraper returns them.

The shape (see docs/importing.md): optional header lines, the title, a metadata line
`YEAR PUBLISHED MODIFIED LANG [IMAGE_URL] [AUTHOR PUBLISHER]`, a byline (and an image
caption), body paragraphs, trailing navigation. Everything is found by structure — the
metadata line is the anchor — so dumps of other sites work too; known navigation words
and `importer.boilerplate` from config only help to recognise the trailer.

The dumps do not carry their URL. A `urls.txt` beside them (lines "FILE URL") supplies it;
without one an item is identified by its file name and gets no alias.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from pathlib import Path
from types import MappingProxyType

from generator.errors import ImportFailure, Problem
from generator.importer import (
    ImportedItem,
    Job,
    Parsed,
    ParseOptions,
    origin_name,
    skipped,
    source_files,
    url_alias,
    warning,
)
from generator.importer.markdown_convert import escape_text

URL_LIST = "urls.txt"

_DATETIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?(?:Z|[+-]\d\d:?\d\d)"
METADATA_LINE = re.compile(
    rf"^(?P<year>\d{{4}}) (?P<published>{_DATETIME}) (?P<modified>{_DATETIME}) "
    r"(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)(?: +(?P<rest>.*?))?\s*$"
)
_URL = re.compile(r"^https?://\S+$")

#: Navigation and header lines known from news sites in English, Belarusian and Russian.
KNOWN_BOILERPLATE = (
    "latest news", "partnership", "membership", "news", "home", "contacts", "share", "print",
    "апошнія навіны", "партнёрства", "партнерства", "сяброўства", "навіны", "галоўная", "кантакты",
    "последние новости", "партнёрство", "партнерство", "членство", "новости", "главная", "контакты",
)
# A navigation line is short and has no sentence punctuation; body text nearly always has some.
_NAV_MAX_CHARS = 40
_NAV_MAX_WORDS = 4
_SENTENCE_PUNCTUATION = re.compile(r"[.,:;!?…«»\"“”„()\[\]—–]")
# Fewer unknown short lines than this at the end are kept (with a warning), not dropped.
_UNKNOWN_NAV_RUN = 3


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per `*.txt` dump in `source` (a file or a folder)."""
    files = source_files(source, (".txt",), exclude=(URL_LIST,))
    folder = source.parent if source.is_file() else source
    urls = read_url_list(folder / URL_LIST)
    jobs = []
    for path in files:
        origin = origin_name(path, source)
        url = urls.get(origin) or urls.get(path.name) or ""
        jobs.append(Job(path, origin, partial(parse_dump, origin=origin, options=options, source_url=url)))
    return jobs


def read_url_list(path: Path) -> dict[str, str]:
    """The file -> URL map of a `urls.txt`, or {} when there is none."""
    if not path.is_file():
        return {}
    urls, problems = parse_url_list(path.read_text(encoding="utf-8"), path.name)
    if problems:
        raise ImportFailure(f"{path.name} has lines that are not 'FILE URL'", problems)
    return urls


def parse_url_list(text: str, origin: str) -> tuple[dict[str, str], list[Problem]]:
    """Lines of "FILE URL" (either order, blank lines and # comments allowed)."""
    urls: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        url = [p for p in parts if _URL.match(p)]
        names = [p for p in parts if not _URL.match(p)]
        if len(parts) != 2 or len(url) != 1:
            problems.append(Problem("error", origin, number, f"expected 'FILE URL', found {line.strip()!r}",
                                    "write one dump file name and its URL per line"))
            continue
        urls[names[0]] = url[0]
    return urls, problems


def parse_dump(text: str, origin: str, options: ParseOptions | None = None, *,
               source_url: str = "") -> Parsed:
    """One dump file -> one item, or a skip with the reason when the text is not a dump."""
    options = options or ParseOptions()
    lines = [line.rstrip() for line in text.split("\n")]
    meta_at = next((i for i, line in enumerate(lines) if METADATA_LINE.match(line.strip())), None)
    if meta_at is None:
        return Parsed(skipped=(skipped(origin, "no metadata line (YEAR PUBLISHED MODIFIED LANG ...) found",
                                       "is this a page dump? other layouts need another format"),))
    meta = METADATA_LINE.match(lines[meta_at].strip())
    assert meta is not None
    known = _known_lines(options)
    notes: list[Problem] = []

    title = _title(lines[:meta_at], known)
    if not title:
        return Parsed(skipped=(skipped(origin, "no title above the metadata line"),))
    try:
        published = datetime.fromisoformat(meta["published"])
        modified = datetime.fromisoformat(meta["modified"])
    except ValueError as exc:
        return Parsed(skipped=(skipped(origin, f"bad date on the metadata line: {exc}"),))
    if int(meta["year"]) != published.year:
        notes.append(warning(origin, f"metadata year {meta['year']} differs from the date {published.date()}"))
    updated = None if modified.year <= 1970 else modified

    rest = (meta["rest"] or "").strip()
    image = ""
    if rest.split(" ", 1)[0].startswith(("http://", "https://")):
        image, _, rest = rest.partition(" ")
        rest = rest.strip()

    after = lines[meta_at + 1:]
    block = []
    for line in after:
        if not line.strip():
            break
        block.append(line.strip())
    body_lines = after[len(block):]
    author, publisher = _people(rest, block[0] if block else "")
    if rest and publisher is None:
        notes.append(warning(origin, f"could not tell author from publisher in {rest!r}; all taken as author"))

    caption = ""
    if author and block:
        if _norm(block[0]) != _norm(author):
            notes.append(warning(origin, f"byline {block[0]!r} differs from the author {author!r}; dropped"))
        block = block[1:]
    if block and image:
        caption = " ".join(block)
    elif block:
        body_lines = block + [""] + body_lines

    paragraphs = _paragraphs(body_lines)
    if caption and paragraphs and _norm(paragraphs[0]) == _norm(caption):
        paragraphs = paragraphs[1:]
    paragraphs = [p for p in paragraphs if _norm(p).casefold() not in _configured_lines(options)]
    paragraphs, nav_notes = _drop_navigation(paragraphs, known)
    notes.extend(warning(origin, note) for note in nav_notes)
    if not paragraphs:
        return Parsed(skipped=(skipped(origin, "no body paragraphs after the metadata line"),))

    alias, why = url_alias(source_url)
    if why:
        notes.append(warning(origin, why))
    item = ImportedItem(
        source_ref=source_url or f"dump:{origin}",
        origin=origin,
        title=title,
        date=published,
        updated=updated,
        body="\n\n".join(escape_text(p) for p in paragraphs),
        lang=meta["lang"],
        authors=(author,) if author else (),
        image=image,
        source_url=source_url,
        aliases=(alias,) if alias else (),
        extra=MappingProxyType({"publisher": publisher, "source_id": _source_id(source_url),
                                "image_caption": caption}),
        # The file name identifies the article whether or not (or whichever) urls.txt names it.
        earlier_refs=(f"dump:{origin}",),
    )
    return Parsed(items=(item,), warnings=tuple(notes))


def _title(header: list[str], known: frozenset[str]) -> str:
    """The last block of lines above the metadata line, without known boilerplate lines."""
    blocks: list[list[str]] = [[]]
    for line in header:
        if line.strip():
            if _norm(line).casefold() not in known:
                blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    filled = [b for b in blocks if b]
    # A title is one line; lines stuck above it without a blank are site headers.
    return filled[-1][-1] if filled else ""


def _people(rest: str, byline: str) -> tuple[str | None, str | None]:
    """Split "AUTHOR PUBLISHER" (both free text with spaces) into its two parts."""
    if not rest:
        return None, None
    middle = len(rest) // 2
    if len(rest) % 2 == 1 and rest[middle] == " " and rest[:middle] == rest[middle + 1:]:
        return rest[:middle], rest[middle + 1:]
    if byline and rest.startswith(byline + " "):
        return byline, rest[len(byline) + 1:]
    return rest, None


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated blocks, each joined into one line; whitespace-only lines are blank."""
    out: list[str] = []
    current: list[str] = []
    for line in lines + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def _drop_navigation(paragraphs: list[str], known: frozenset[str]) -> tuple[list[str], list[str]]:
    """Remove the navigation trailer: from the first known nav line of the trailing run of
    short unpunctuated lines; an unknown run is dropped only when it is long enough."""
    start = len(paragraphs)
    while start > 0 and (_is_known(paragraphs[start - 1], known) or _looks_like_nav(paragraphs[start - 1])):
        start -= 1
    run = paragraphs[start:]
    if not run:
        return paragraphs, []
    first_known = next((i for i, p in enumerate(run) if _is_known(p, known)), None)
    if first_known is not None:
        return paragraphs[:start + first_known], []
    shown = " / ".join(run)
    if len(run) >= _UNKNOWN_NAV_RUN:
        return paragraphs[:start], [f"dropped trailing lines that look like navigation: {shown}"]
    if len(run) < len(paragraphs):
        return paragraphs, [f"last lines look like navigation but were kept: {shown} "
                            "(list them under importer.boilerplate in config.yaml to drop them)"]
    return paragraphs, []


def _looks_like_nav(paragraph: str) -> bool:
    return (len(paragraph) <= _NAV_MAX_CHARS and len(paragraph.split()) <= _NAV_MAX_WORDS
            and not _SENTENCE_PUNCTUATION.search(paragraph) and not paragraph.strip().isdigit())


def _is_known(paragraph: str, known: frozenset[str]) -> bool:
    return _norm(paragraph).casefold() in known


def _known_lines(options: ParseOptions) -> frozenset[str]:
    return frozenset(KNOWN_BOILERPLATE) | _configured_lines(options)


def _configured_lines(options: ParseOptions) -> frozenset[str]:
    """The configured boilerplate lines, normalised for comparison."""
    return frozenset(_norm(line).casefold() for line in options.boilerplate if line.strip())


def _norm(text: str) -> str:
    return " ".join(text.split())


def _source_id(url: str) -> str | None:
    last = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
    return last if last.isdigit() else None
