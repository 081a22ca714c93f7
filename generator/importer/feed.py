"""Format `feed`: RSS 2.0 and Atom files, read with feedparser; each entry is an article.

feedparser normalises both dialects but gives parsed dates in UTC only, so the date is read
again from the raw string to keep the offset the site published it with.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

import feedparser

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
from generator.importer.markdown_convert import html_to_markdown, html_to_text


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per `.xml`, `.rss`, `.atom` or `.feed` file in `source`."""
    return [Job(path, origin_name(path, source), partial(parse_feed, origin=origin_name(path, source)))
            for path in source_files(source, (".xml", ".rss", ".atom", ".feed"))]


def parse_feed(text: str, origin: str) -> Parsed:
    """A feed file -> one item per entry."""
    parsed = feedparser.parse(text)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = str(parsed.get("bozo_exception") or "no RSS or Atom entries found")
        return Parsed(skipped=(skipped(origin, f"not a readable feed: {reason}"),))
    feed_lang = parsed.feed.get("language") or None
    items = []
    notes = []
    for number, entry in enumerate(parsed.entries, 1):
        name = f"{origin}#{number}"
        link = entry.get("link") or ""
        alias, why = url_alias(link)
        if why:
            notes.append(warning(name, why))
        content = _content(entry)
        summary_html = entry.get("summary") or ""
        has_separate_summary = bool(entry.get("content")) and summary_html.strip() != content.strip()
        items.append(ImportedItem(
            source_ref=link or entry.get("id") or f"feed:{name}",
            origin=name,
            title=html_to_text(entry.get("title") or ""),
            date=entry_date(entry, "published") or entry_date(entry, "updated"),
            updated=entry_date(entry, "updated") if dict.get(entry, "published") else None,
            body=html_to_markdown(content),
            lang=_language(entry) or feed_lang,
            tags=tuple(dict.fromkeys(t.get("label") or t.get("term") for t in entry.get("tags", [])
                                     if t.get("label") or t.get("term"))),
            authors=tuple(dict.fromkeys(a.get("name") for a in entry.get("authors", []) if a.get("name"))),
            summary=html_to_text(summary_html) if has_separate_summary else "",
            image=_image(entry),
            source_url=link,
            aliases=(alias,) if alias else (),
        ))
    return Parsed(items=tuple(items), warnings=tuple(notes))


def entry_date(entry: Any, key: str) -> datetime | None:
    """The entry's `published`/`updated` time with its own offset (UTC when only that is known)."""
    # dict.get skips feedparser's deprecated fallback from "updated" to "published".
    raw = (dict.get(entry, key) or "").strip()
    if raw:
        for parse in (datetime.fromisoformat, parsedate_to_datetime):
            try:
                return parse(raw.replace("Z", "+00:00") if parse is datetime.fromisoformat else raw)
            except (TypeError, ValueError, IndexError):
                continue
    parsed: time.struct_time | None = dict.get(entry, f"{key}_parsed")
    if parsed is None:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def _content(entry: Any) -> str:
    """The fullest HTML body the entry has; plain text is escaped so it stays text."""
    for part in entry.get("content", []):
        if part.get("value"):
            return part["value"] if "html" in (part.get("type") or "") else f"<p>{escape(part['value'])}</p>"
    detail = entry.get("summary_detail") or {}
    value = entry.get("summary") or ""
    return value if "html" in (detail.get("type") or "text/html") else f"<p>{escape(value)}</p>"


def _language(entry: Any) -> str | None:
    for key in ("content", "summary_detail", "title_detail"):
        value = entry.get(key)
        detail = value[0] if isinstance(value, list) and value else value
        if isinstance(detail, dict) and detail.get("language"):
            return detail["language"]
    return None


def _image(entry: Any) -> str:
    for media in entry.get("media_thumbnail", []) + entry.get("media_content", []):
        if media.get("url") and (media.get("medium", "image") == "image"):
            return media["url"]
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            return link.get("href") or ""
    return ""
