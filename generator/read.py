"""Read Markdown sources into `Page` records.

`read_page` is pure (text in, Page or Problems out): `frontmatter_check.check` checks the keys and
`place_page` decides where the page goes. `read_source` adds the file read, the size limit and
the encoding check; the build's read stage adds the page cache and the worker processes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from generator import frontmatter, frontmatter_check, urls
from generator.config import Config
from generator.errors import Problem
from generator.frontmatter import FrontMatterError
from generator.frontmatter_check import KNOWN_KEYS
from generator.model import Page, PageKind, SourceFile

__all__ = ["KNOWN_KEYS", "Placement", "place_page", "read_page", "read_source"]

#: Control characters that have no place in text (tab and newline are kept); invalid in XML feeds too.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a page goes: its language, slug, section, kind and URL."""

    lang: str
    slug: str
    section: str
    kind: PageKind
    url_path: str
    output_path: str


def place_page(rel_path: str, lang: str, slug: str, date: datetime, config: Config) -> Placement:
    """Place the file `rel_path` ("content/en/2011/a.md"); `lang` and `slug` are the front matter's, or "".

    The language is the front matter's, else the first folder when it is a language, else the
    site's default. The section is the first folder below that (not a year); pages in one of
    `page_sections` are standalone pages, everything else an article.
    """
    below_content = rel_path.split("/")[1:]
    folder_lang = below_content[0] if len(below_content) > 1 and below_content[0] in config.language_codes else ""
    lang = lang or folder_lang or config.default_language
    stem = below_content[-1].rsplit(".", 1)[0] if below_content else "untitled"
    slug = urls.slugify(slug or stem, lang, config.slugs)
    below_lang = below_content[1:] if folder_lang else below_content
    section = below_lang[0] if len(below_lang) > 1 and not below_lang[0].isdigit() else "news"
    kind: PageKind = "page" if section in config.page_sections else "article"
    values = {"lang": lang, "year": f"{date.year:04d}", "month": f"{date.month:02d}", "day": f"{date.day:02d}",
              "slug": slug, "section": urls.slugify(section, lang, config.slugs)}
    url_path = urls.expand_permalink(config.permalinks.page if kind == "page" else config.permalinks.article, values)
    return Placement(lang, slug, section, kind, url_path, urls.output_path_for(url_path))


def read_page(rel_path: str, text: str, config: Config, tz: tzinfo | None = None) -> tuple[Page | None, list[Problem]]:
    """Turn the text of the content file `rel_path` ("content/en/2011/a.md") into a Page."""
    try:
        parts = frontmatter.split(text, rel_path)
    except FrontMatterError as exc:
        return None, [exc.problem]
    front, problems = frontmatter_check.check(parts, rel_path, languages=config.language_codes,
                                        tz=tz or ZoneInfo(config.timezone),
                                        extra_keys=config.front_matter.extra_keys)
    if front is None:
        return None, problems
    place = place_page(rel_path, front.lang, front.text["slug"], front.date, config)
    body = _BODY_CONTROL.sub("", parts.body) if _BODY_CONTROL.search(parts.body) else parts.body
    page = Page(
        source=rel_path,
        body_line=parts.body_line,
        title=front.title,
        date=front.date,
        updated=front.updated,
        slug=place.slug,
        lang=place.lang,
        section=place.section,
        kind=place.kind,
        tags=front.tags,
        authors=front.authors,
        summary=front.text["summary"],
        image=front.text["image"],
        draft=front.draft,
        translation_key=front.text["translation_key"],
        aliases=front.aliases,
        original_url=front.text["source"],
        template=front.text["template"],
        meta=front.meta,
        body_md=body,
        url_path=place.url_path,
        output_path=place.output_path,
        digest=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20],
    )
    return page, problems


def read_source(source: SourceFile, config: Config, site_rel: str, tz: tzinfo) -> tuple[Page | None, list[Problem]]:
    """Read one file from disk (size-limited, UTF-8) and parse it."""
    limit = config.max_file_size_mb * 1024 * 1024
    if source.size > limit:
        return None, [Problem("error", site_rel, None,
                              f"file is {source.size / 1048576:.1f} MB, over the limit of {config.max_file_size_mb} MB",
                              "split it, or raise max_file_size_mb in config.yaml")]
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        return None, [Problem("error", site_rel, None, f"cannot read the file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [Problem("error", site_rel, line, f"the file is not UTF-8 text (byte {raw[exc.start]:#04x})",
                              "re-save the file as UTF-8")]
    return read_page(site_rel, text, config, tz)
