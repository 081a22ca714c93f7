"""Format `jekyll`: a Jekyll site folder (`_posts/`, `_drafts/`, `_config.yml`).

Front matter is mapped to ours, the date comes from the file name when the front matter
has none, `<!-- more -->` (or the site's excerpt separator) ends the summary, and Liquid
is converted where its meaning is clear; what is left is kept as text and named in one
warning per file. The old permalink is computed from `_config.yml` so that old links
become aliases. The front-matter helpers here are shared with `hugo`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from generator import safe_yaml
from generator.errors import ImportFailure, Problem
from generator.importer import ImportedItem, Job, Parsed, ParseOptions, skipped, warning
from generator.importer.markdown_convert import html_to_markdown

POST_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".html")
_POST_NAME = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<slug>.+?)\.\w+$")
MORE_MARKERS = ("<!-- more -->", "<!--more-->")
_PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


@dataclass(frozen=True, slots=True)
class JekyllSite:
    """What posts need to know about their site."""

    #: url + baseurl from _config.yml ("" when unknown): makes `source` absolute.
    url: str = ""
    permalink: str = _PERMALINK_STYLES["date"]
    excerpt_separator: str = ""
    #: Post file stem -> old URL path, for `{% post_url %}` and `{% link %}`.
    post_urls: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


# --- front matter, shared with hugo ----------------------------------------------------------


class FrontMatterError(ValueError):
    """Front matter that cannot be read; `line` is 1-based within the file when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter mapping, body) for YAML `---`, TOML `+++` or JSON `{` front matter."""
    if text.startswith(("---\n", "+++\n")):
        fence = text[:3]
        end = text.find(f"\n{fence}", 3)
        if end == -1:
            raise FrontMatterError(f"front matter opened with {fence} is never closed", 1)
        raw, body = text[4:end + 1], text[end + 4:].lstrip("\n")
        try:
            data = safe_yaml.load(raw) if fence == "---" else tomllib.loads(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise FrontMatterError(f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}",
                                   mark.line + 2 if mark else None) from None
        except tomllib.TOMLDecodeError as exc:
            raise FrontMatterError(f"front matter is not valid TOML: {exc}") from None
    elif text.startswith("{"):
        decoder = json.JSONDecoder()
        try:
            data, end = decoder.raw_decode(text)
        except json.JSONDecodeError as exc:
            raise FrontMatterError(f"front matter is not valid JSON: {exc.msg}", exc.lineno) from None
        body = text[end:].lstrip("\n")
    else:
        return {}, text
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values", 1)
    return data, body


def as_datetime(value: Any) -> datetime | None:
    """A front-matter date (YAML/TOML datetime or date, or a string) as a datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str) and value.strip():
        text = value.strip()
        text = re.sub(r"^(\d{4}-\d\d-\d\d) (\d)", r"\1T\2", text)
        text = re.sub(r"\s+([+-]\d\d:?\d\d|Z)$", r"\1", text)
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def as_list(value: Any, *, split_words: bool = False) -> list[str]:
    """Tags or categories in any shape: "a b" (Jekyll), "a, b", [a, b]."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(",") if "," in value or not split_words else value.split()
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def as_authors(data: Mapping[str, Any]) -> tuple[str, ...]:
    """author/authors as a string, list of strings, mapping with a name, or a list of those."""
    names: list[str] = []
    for key in ("authors", "author"):
        value = data.get(key)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, Mapping):
                entry = entry.get("name") or entry.get("display_name") or entry.get("login")
            if isinstance(entry, str) and entry.strip() and entry.strip() not in names:
                names.append(entry.strip())
    return tuple(names)


def as_image(data: Mapping[str, Any]) -> str:
    for key in ("image", "images", "featured_image", "cover", "thumbnail"):
        value = data.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, Mapping):
            value = value.get("path") or value.get("feature") or value.get("url") or value.get("src") \
                or value.get("image")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def split_summary(body: str, separators: tuple[str, ...]) -> tuple[str, str]:
    """(summary text, body without the marker) at the first summary separator found."""
    for marker in separators:
        if marker and marker in body:
            before, after = body.split(marker, 1)
            summary = " ".join(before.split())
            return summary, (before.rstrip() + "\n\n" + after.lstrip()).strip()
    return "", body


def path_aliases(value: Any) -> list[str]:
    """Old paths from redirect_from / aliases, made absolute."""
    return ["/" + alias.lstrip("/") if "://" not in alias else alias for alias in as_list(value)]


# --- Jekyll ------------------------------------------------------------------------------------


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per post in `_posts/` and `_drafts/` of the site folder `source`."""
    if not source.is_dir() or not (source / "_posts").is_dir():
        raise ImportFailure("not a Jekyll site", [Problem(
            "error", str(source), None, "a jekyll SOURCE must be a site folder with a _posts/ folder")])
    site = read_site_config(source)
    files = []
    for folder in ("_posts", "_drafts"):
        base = source / folder
        if base.is_dir():
            files += sorted((p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in POST_SUFFIXES),
                            key=lambda p: p.relative_to(source).as_posix())
    urls = {}
    for path in files:
        try:
            data, _ = split_front_matter(path.read_text(encoding="utf-8"))
        except (FrontMatterError, OSError, UnicodeDecodeError):
            data = {}
        urls[path.stem] = old_permalink(path.name, data, site)
    site = JekyllSite(site.url, site.permalink, site.excerpt_separator, MappingProxyType(urls))
    jobs = []
    for path in files:
        rel = path.relative_to(source).as_posix()
        jobs.append(Job(path, rel, partial(parse_jekyll_post, rel=rel, site=site)))
    return jobs


def read_site_config(source: Path) -> JekyllSite:
    path = source / "_config.yml"
    if not path.is_file():
        return JekyllSite()
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ImportFailure("_config.yml is not valid YAML",
                            [Problem("error", "_config.yml", None, str(exc))]) from None
    return site_from_config(data if isinstance(data, dict) else {})


def site_from_config(data: Mapping[str, Any]) -> JekyllSite:
    url = str(data.get("url") or "").rstrip("/") + "/" + str(data.get("baseurl") or "").strip("/")
    permalink = str(data.get("permalink") or "date")
    return JekyllSite(url=url.rstrip("/") if data.get("url") else "",
                      permalink=_PERMALINK_STYLES.get(permalink, permalink),
                      excerpt_separator=str(data.get("excerpt_separator") or ""))


def old_permalink(filename: str, data: Mapping[str, Any], site: JekyllSite) -> str:
    """The URL path Jekyll gave the post, from its permalink pattern."""
    pattern = str(data.get("permalink") or site.permalink)
    pattern = _PERMALINK_STYLES.get(pattern, pattern)
    match = _POST_NAME.match(filename)
    when = as_datetime(data.get("date"))
    if when is None and match:
        when = datetime(int(match["y"]), int(match["m"]), int(match["d"]))
    title = str(data.get("slug") or (match["slug"] if match else Path(filename).stem))
    categories = as_list(data.get("categories") or data.get("category"), split_words=True)
    values = {
        ":categories": "/".join(c.lower().replace(" ", "-") for c in categories),
        ":output_ext": ".html", ":title": title, ":slug": title,
    }
    if when is not None:
        values |= {":year": f"{when.year:04d}", ":month": f"{when.month:02d}", ":day": f"{when.day:02d}",
                   ":i_month": str(when.month), ":i_day": str(when.day), ":short_year": f"{when.year % 100:02d}",
                   ":hour": f"{when.hour:02d}", ":minute": f"{when.minute:02d}", ":second": f"{when.second:02d}",
                   ":y_day": f"{when.timetuple().tm_yday:03d}"}
    path = pattern
    for token in sorted(values, key=len, reverse=True):
        path = path.replace(token, values[token])
    path = re.sub(r"/{2,}", "/", "/" + path)
    return path


def parse_jekyll_post(text: str, rel: str, site: JekyllSite = JekyllSite()) -> Parsed:
    """One post file -> one item; a post without title or body is reported as skipped."""
    try:
        data, body = split_front_matter(text)
    except FrontMatterError as exc:
        return Parsed(skipped=(Problem("error", rel, exc.line, str(exc)),))
    name = rel.rsplit("/", 1)[-1]
    match = _POST_NAME.match(name)
    title = str(data.get("title") or "").strip()
    if not title:
        return Parsed(skipped=(skipped(rel, "the post has no title", "add 'title:' to its front matter"),))
    body, leftovers = convert_liquid(body, site.post_urls)
    if name.lower().endswith(".html"):
        body = html_to_markdown(body)
    summary, body = split_summary(body, (str(data.get("excerpt_separator") or site.excerpt_separator),
                                         *MORE_MARKERS))
    if not body.strip():
        return Parsed(skipped=(skipped(rel, "the post has no body text"),))
    date = as_datetime(data.get("date"))
    if date is None and match:
        date = datetime(int(match["y"]), int(match["m"]), int(match["d"]))
    old = old_permalink(name, data, site)
    url = site.url + old if site.url else ""
    notes = []
    if leftovers:
        notes.append(warning(rel, "Liquid left as text: " + ", ".join(leftovers),
                             "replace it by hand in the imported file"))
    tags = as_list(data.get("categories") or data.get("category"), split_words=True)
    tags += [t for t in as_list(data.get("tags"), split_words=True) if t not in tags]
    item = ImportedItem(
        source_ref=url or f"jekyll:{rel}",
        origin=rel,
        title=title,
        date=date,
        updated=as_datetime(data.get("last_modified_at") or data.get("updated")),
        body=body,
        lang=data.get("lang") or data.get("language"),
        slug=str(data.get("slug") or (match["slug"] if match else Path(name).stem)),
        tags=tuple(tags),
        authors=as_authors(data),
        summary=str(data.get("excerpt") or data.get("description") or summary).strip(),
        image=as_image(data),
        draft=rel.startswith("_drafts/") or data.get("published") is False,
        source_url=url,
        aliases=tuple(dict.fromkeys([old, *path_aliases(data.get("redirect_from"))])),
    )
    return Parsed(items=(item,), warnings=tuple(notes))


_RAW = re.compile(r"{%-?\s*raw\s*-?%}(.*?){%-?\s*endraw\s*-?%}", re.DOTALL)
_HIGHLIGHT = re.compile(r"{%-?\s*highlight\s+([\w+#-]+)[^%]*%}\n?(.*?)\n?{%-?\s*endhighlight\s*-?%}", re.DOTALL)
_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.DOTALL)
_SITE_URL = re.compile(r"{{-?\s*site\.(?:baseurl|url)\s*-?}}")
_URL_FILTER = re.compile(r"{{-?\s*['\"]([^'\"]*)['\"]\s*\|\s*(?:relative_url|absolute_url)\s*-?}}")
_POST_URL = re.compile(r"{%-?\s*(?:post_url|link)\s+(\S+?)\s*-?%}")
_LIQUID = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)


def convert_liquid(text: str, post_urls: Mapping[str, str]) -> tuple[str, list[str]]:
    """Liquid with a clear meaning converted; the rest listed (and left in the text)."""
    kept: list[str] = []

    def hold(content: str) -> str:
        kept.append(content)
        return f"\0{len(kept) - 1}\0"

    text = _RAW.sub(lambda m: hold(m[1]), text)
    text = _HIGHLIGHT.sub(lambda m: hold(f"```{m[1]}\n{m[2]}\n```"), text)
    text = _COMMENT.sub("", text)
    text = _SITE_URL.sub("", text)
    text = _URL_FILTER.sub(lambda m: m[1], text)

    def post_link(match: re.Match[str]) -> str:
        target = match[1].strip("'\"")
        stem = Path(target).stem
        if stem in post_urls:
            return post_urls[stem]
        return match[0] if target.startswith("_posts/") else "/" + target.lstrip("/")

    text = _POST_URL.sub(post_link, text)
    leftovers = list(dict.fromkeys(" ".join(m.split()) for m in _LIQUID.findall(text)))
    for number, content in enumerate(kept):
        text = text.replace(f"\0{number}\0", content)
    return text, leftovers
