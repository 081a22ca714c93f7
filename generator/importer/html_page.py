"""Format `html`: saved article pages (one article per file).

trafilatura finds the main text and the metadata (title, date, authors, canonical URL);
we only add what it leaves out: the page language from `<html lang>` and a date with its
time and offset instead of the day alone. The text goes through the shared sanitiser, so
scripts, iframes, event handlers and `javascript:` links never reach the Markdown.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from types import MappingProxyType

import lxml.html
import trafilatura

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
from generator.importer.markdown_convert import html_to_markdown

_EXTRACT = {"include_images": True, "include_links": True, "include_formatting": True,
            "include_tables": True, "include_comments": False, "favor_recall": True}
# htmldate keeps the time and offset when asked for them in the output format.
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per `.html`/`.htm` file in `source`."""
    return [Job(path, origin_name(path, source), partial(parse_html_page, origin=origin_name(path, source)))
            for path in source_files(source, (".html", ".htm"))]


def parse_html_page(text: str, origin: str) -> Parsed:
    """One saved page -> one item, or a skip when no article text can be found."""
    if not text.strip():
        return Parsed(skipped=(skipped(origin, "the file is empty"),))
    doc = trafilatura.bare_extraction(text, with_metadata=True, date_extraction_params=_DATE_PARAMS, **_EXTRACT)
    body_html = trafilatura.extract(text, output_format="html", **_EXTRACT)
    if doc is None or not body_html:
        return Parsed(skipped=(skipped(origin, "no article text found in the page"),))
    title = (doc.title or "").strip()
    body_html = _without_title_heading(body_html, title)
    body = html_to_markdown(body_html)
    notes = []
    date = _parse_date(doc.date)
    if doc.date and date is None:
        notes.append(warning(origin, f"could not read the date {doc.date!r}"))
    url = doc.url or ""
    alias, why = url_alias(url)
    if why:
        notes.append(warning(origin, why))
    authors = tuple(a.strip() for a in (doc.author or "").split(";") if a.strip())
    tags = tuple(dict.fromkeys(t.strip() for t in [*(doc.categories or []), *(doc.tags or [])] if t.strip()))
    item = ImportedItem(
        source_ref=url or f"html:{origin}",
        origin=origin,
        title=title,
        date=date,
        body=body,
        lang=_page_language(text),
        tags=tags,
        authors=authors,
        summary=(doc.description or "").strip(),
        image=doc.image or "",
        source_url=url,
        aliases=(alias,) if alias else (),
        extra=MappingProxyType({"publisher": doc.sitename or None}),
    )
    return Parsed(items=(item,), warnings=tuple(notes))


def _without_title_heading(body_html: str, title: str) -> str:
    """The article HTML without its first <h1> when that only repeats the title."""
    root = lxml.html.fromstring(body_html)
    heading = next(root.iter("h1"), None)
    if heading is None or " ".join(heading.text_content().split()) != " ".join(title.split()):
        return body_html
    heading.drop_tree()
    return lxml.html.tostring(root, encoding="unicode")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _page_language(text: str) -> str | None:
    """The `lang` of the <html> element (or a content-language meta), if any."""
    try:
        root = lxml.html.fromstring(text.encode("utf-8"))
    except (ValueError, lxml.etree.ParserError):
        return None
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for meta in root.iter("meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                lang = meta.get("content")
                break
    return lang.strip() if lang else None
