"""Read Markdown sources into `Page` records.

`read_page` is pure (text in, Page or Problems out); `read_all` adds the file reads, the size
limit and the parsed-page cache, and collects every problem so that a build reports all broken
files at once.
"""

from __future__ import annotations

import hashlib
import re
import reprlib
import unicodedata
from collections.abc import Callable
from datetime import tzinfo
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from generator import frontmatter, urls
from generator.config import Config
from generator.errors import Problem
from generator.frontmatter import FrontMatterError
from generator.model import Page, SourceFile

#: Front-matter keys with a meaning of their own; the rest reach templates as `article.meta`.
KNOWN_KEYS = frozenset({
    "title", "date", "updated", "lang", "slug", "tags", "authors", "author", "summary", "image",
    "draft", "translation_key", "aliases", "source", "template",
})
_WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 2
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.html$")
#: Control characters that have no place in text (tab and newline are kept); invalid in XML feeds too.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TAGS = 1000
MAX_TITLE = 1000


def read_page(rel_path: str, text: str, config: Config, tz: tzinfo | None = None) -> tuple[Page | None, list[Problem]]:
    """Turn the text of the content file `rel_path` ("content/en/2011/a.md") into a Page."""
    file = rel_path
    try:
        parts = frontmatter.split(text, file)
    except FrontMatterError as exc:
        return None, [exc.problem]
    data = parts.data
    problems: list[Problem] = []
    warnings: list[Problem] = []
    tz = tz or ZoneInfo(config.timezone)

    def bad(key: str, message: str, hint: str = "") -> None:
        problems.append(Problem("error", file, frontmatter.key_line(parts.yaml_text, key, 1) or 1, message, hint))

    title = data.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        problems.append(Problem("error", file, 1, "missing title", "add a line 'title: ...' to the front matter"))
        title = ""
    elif not isinstance(title, (str, int, float)) or isinstance(title, bool):
        bad("title", f"title must be text, not {type(title).__name__}", 'quote it: title: "..."')
        title = ""
    title = _clean_text(str(title))
    if len(title) > MAX_TITLE:
        bad("title", f"title is {len(title)} characters long (at most {MAX_TITLE})", "shorten the title")

    date = None
    if "date" not in data or data["date"] is None:
        problems.append(Problem("error", file, 1, "missing date",
                                "add a line such as 'date: 2011-03-14T16:32:26+02:00' to the front matter"))
    else:
        date = frontmatter.to_datetime(data["date"], tz)
        if date is None:
            bad("date", f"cannot read date {_show(data['date'])}",
                "write it as ISO 8601, e.g. 2011-03-14 or 2011-03-14T16:32:26+02:00")
    updated = None
    if data.get("updated") is not None:
        updated = frontmatter.to_datetime(data["updated"], tz)
        if updated is None:
            bad("updated", f"cannot read updated date {_show(data['updated'])}",
                "write it as ISO 8601, e.g. 2011-03-15T10:00:00+02:00")

    parts_of_path = rel_path.split("/")[1:]  # below content/
    folder_lang = parts_of_path[0] if len(parts_of_path) > 1 and parts_of_path[0] in config.language_codes else ""
    lang = data.get("lang") or folder_lang or config.default_language
    if not isinstance(lang, str) or lang not in config.language_codes:
        bad("lang", f"unknown language {lang!r}", f"use one of the configured languages: {', '.join(config.language_codes)}")
        lang = config.default_language

    tags = _list(data, "tags", bad)
    if len(tags) > MAX_TAGS:
        bad("tags", f"{len(tags)} tags (at most {MAX_TAGS})", "keep the tags that describe the article")
        tags = tags[:MAX_TAGS]
    authors = _list(data, "authors", bad)
    if not authors and data.get("author") is not None:
        author = data["author"]
        if isinstance(author, str):
            authors = (author.strip(),) if author.strip() else ()
        else:
            authors = _list(data, "author", bad)
    tags = tuple(_clean_text(t) for t in tags if _clean_text(t))
    authors = tuple(_clean_text(a) for a in authors if _clean_text(a))
    aliases = []
    for alias in _list(data, "aliases", bad):
        # Old URLs are often percent-encoded (Cyrillic, spaces): the file must carry the decoded name.
        path = unquote(alias.split("?")[0].split("#")[0])
        problem = "must start with '/'" if not path.startswith("/") else urls.check_url_path(path)
        if problem:
            bad("aliases", f"alias {alias[:200]!r} is not a safe site path: {problem}",
                "write old URLs as paths from the site root, such as /en/news/15782")
        else:
            aliases.append(path)

    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        bad("draft", f"draft must be true or false, not {draft!r}", "write draft: true")
        draft = False
    strings = {}
    for key in ("summary", "image", "translation_key", "source", "template", "slug"):
        value = data.get(key)
        if value is None:
            strings[key] = ""
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            strings[key] = _clean_text(str(value))
        else:
            bad(key, f"{key} must be text, not {type(value).__name__}", f'quote it: {key}: "..."')
            strings[key] = ""
    if strings["template"] and not _TEMPLATE_NAME.match(strings["template"]):
        bad("template", f"template {strings['template']!r} must be a .html file name of the theme")
        strings["template"] = ""

    if strings["source"] and not _WEB_URL.match(strings["source"]):
        # Not fatal (imports bring odd values), but never a link that could run anything.
        warnings.append(Problem("warning", file, frontmatter.key_line(parts.yaml_text, "source", 1),
                                f"source {strings['source'][:200]!r} is not a web address; it is left out",
                                "write the original URL of the article, starting with http:// or https://"))
        strings["source"] = ""

    stem = parts_of_path[-1].rsplit(".", 1)[0] if parts_of_path else "untitled"
    slug = urls.slugify(strings["slug"] or stem, lang, config.slugs)
    below_lang = parts_of_path[1:] if folder_lang else parts_of_path
    section = below_lang[0] if len(below_lang) > 1 and not below_lang[0].isdigit() else "news"
    kind = "page" if section in config.page_sections else "article"
    if problems or date is None:
        return None, problems + warnings

    values = {"lang": lang, "year": f"{date.year:04d}", "month": f"{date.month:02d}", "day": f"{date.day:02d}",
              "slug": slug, "section": urls.slugify(section, lang, config.slugs)}
    pattern = config.permalinks.page if kind == "page" else config.permalinks.article
    url_path = urls.expand_permalink(pattern, values)
    meta = {str(k): v for k, v in data.items() if k not in KNOWN_KEYS}
    page = Page(
        source=rel_path,
        body_line=parts.body_line,
        title=title,
        date=date,
        updated=updated,
        slug=slug,
        lang=lang,
        section=section,
        kind=kind,
        tags=tags,
        authors=authors,
        summary=strings["summary"],
        image=strings["image"],
        draft=draft,
        translation_key=strings["translation_key"],
        aliases=tuple(aliases),
        original_url=strings["source"],
        template=strings["template"],
        meta=meta,
        body_md=_BODY_CONTROL.sub("", parts.body) if _BODY_CONTROL.search(parts.body) else parts.body,
        url_path=url_path,
        output_path=urls.output_path_for(url_path),
        digest=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20],
    )
    return page, warnings


def _show(value: object) -> str:
    """A front-matter value for a message: short, and never expanded in full."""
    return _SHORT.repr(value)


def _clean_text(text: str) -> str:
    """Text for a title or tag: NFC, control characters removed, whitespace folded."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def _list(data: dict, key: str, bad: Callable[[str, str, str], None]) -> tuple[str, ...]:
    value = data.get(key)
    if isinstance(value, str) and key != "tags":
        value = [value]
    result = frontmatter.to_str_list(value)
    if result is None:
        bad(key, f"{key} must be a list of strings, not {type(value).__name__}",
            f"write {key}: [first, second] or one '- item' per line")
        return ()
    return result


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
