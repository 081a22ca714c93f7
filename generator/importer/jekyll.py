"""Format `jekyll`: a Jekyll site folder (`_posts/`, `_drafts/`, `_config.yml`).

Front matter is mapped to ours, the date comes from the file name when the front matter
has none, `<!-- more -->` (or the site's excerpt separator) ends the summary, and Liquid
is converted where its meaning is clear; what is left is kept as text and named in one
warning per file. The old permalink is computed from `_config.yml` so that old links
become aliases. The front-matter helpers here are shared with `hugo`.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from generator import safe_yaml
from generator.errors import ImportFailure, Problem
from generator.importer import ImportedItem, Job, Parsed, ParseOptions, skipped, warning
from generator.importer.dates import key_line, parse_date, zone_of
from generator.importer.markdown_convert import html_to_markdown
from generator.importer.media import find_media, own_path

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
    #: Post file stem, and every document's path -> old URL path, for `{% post_url %}` and `{% link %}`.
    post_urls: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    root: str = ""
    base_path: str = ""
    #: The `permalink` setting as written ("pretty", "date", a pattern).
    style: str = "date"
    timezone: str = ""
    collections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    #: (scope path, scope type, values) of `defaults`.
    defaults: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()
    exclude: tuple[str, ...] = ()
    #: Author id -> display name.
    authors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Old URL path -> file (relative to the site) of the static files of published collections.
    collection_files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


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
            data = _yaml_front(raw) if fence == "---" else tomllib.loads(raw)
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


def _yaml_front(raw: str) -> Any:
    """YAML front matter; a retry without trailing tabs, which Jekyll's YAML reader accepts."""
    try:
        return safe_yaml.load(raw)
    except yaml.YAMLError:
        cleaned = re.sub(r"[ \t]+$", "", raw, flags=re.MULTILINE)
        if cleaned == raw:
            raise
        return safe_yaml.load(cleaned)


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
    """One job per post (`_posts/`, `_drafts/`), page and published collection document."""
    if not source.is_dir() or not (source / "_posts").is_dir():
        raise ImportFailure("not a Jekyll site", [Problem(
            "error", str(source), None, "a jekyll SOURCE must be a site folder with a _posts/ folder")])
    site = read_site_config(source)
    files = site_files(source, site)
    urls: dict[str, str] = {}
    for path, rel, kind in files:
        try:
            data, _ = split_front_matter(path.read_text(encoding="utf-8"))
        except (FrontMatterError, OSError, UnicodeDecodeError):
            data = {}
        try:
            url = old_permalink(rel, data, site, kind)
        except ValueError:
            continue
        urls[rel] = url
        if kind == "post":
            urls.setdefault(path.stem, url)
    site = replace(site, post_urls=MappingProxyType(urls), root=str(source), authors=MappingProxyType(
        read_authors(source)), collection_files=MappingProxyType(collection_static_files(source, site)))
    jobs = []
    for path, rel, kind in files:
        if options.section and not (rel.startswith(options.section.strip("/") + "/") or kind == options.section):
            continue
        jobs.append(Job(path, rel, partial(parse_jekyll_post, rel=rel, site=site, kind=kind)))
    authors = site.collections.get("authors", {})
    pages = [p for p in sorted((source / "_authors").rglob("*")) if p.suffix.lower() in POST_SUFFIXES] if (
        authors.get("output") and (source / "_authors").is_dir()) else []
    if pages and not options.section:
        # Not a page of its own: say so once in the report, never drop them silently.
        note = warning("_authors/", (
            f"{len(pages)} author page(s) of the authors collection (published at "
            f"{authors.get('permalink') or '/:collection/:path:output_ext'}) give the articles their authors' names and "
            "are not imported as pages; Vestka lists each author's articles on its own author pages"),
            "their old URLs get no redirect: add `aliases` to pages of your own if other sites link to them")
        jobs.append(Job(source / "_config.yml", "_authors/", lambda _text: Parsed(warnings=(note,))))
    return jobs


def site_files(source: Path, site: JekyllSite) -> list[tuple[Path, str, str]]:
    """(file, path relative to the site, kind) of every post, draft, page and collection document.

    kind is "post", "draft", "page" or the collection's name. Folders Jekyll never publishes
    (names starting with "_" or ".", `exclude`, the authors collection) are left out.
    """
    out = []
    for path in sorted(source.rglob("*"), key=lambda p: p.as_posix()):
        if not path.is_file() or path.suffix.lower() not in POST_SUFFIXES:
            continue
        rel = path.relative_to(source).as_posix()
        parts = rel.split("/")
        if any(part.startswith(".") for part in parts) or _excluded(rel, site.exclude):
            continue
        if "_posts" in parts[:-1] or "_drafts" in parts[:-1]:
            inner = parts.index("_posts") if "_posts" in parts[:-1] else parts.index("_drafts")
            if any(part.startswith("_") for part in parts[:inner]):
                continue
            out.append((path, rel, "post" if parts[inner] == "_posts" else "draft"))
            continue
        if parts[0].startswith("_"):
            name = parts[0][1:]
            if name in site.collections and site.collections[name].get("output") and name != "authors":
                out.append((path, rel, name))
            continue
        if any(part.startswith("_") for part in parts) or parts[0] in ("node_modules", "vendor"):
            continue
        try:
            head = path.read_bytes()[:4]
        except OSError:
            continue
        if head.startswith(b"---"):
            out.append((path, rel, "page"))
    return out


def collection_static_files(source: Path, site: JekyllSite) -> dict[str, str]:
    """Old URL path -> file of each static file (a PDF, an image) in a published collection.

    Jekyll publishes them at the collection's permalink with `:path` the file's path in the
    collection without its extension, then adds the extension (Jekyll's StaticFile#url):
    `_principles/guide.pdf` with `permalink: /partnership-principles/:path/` is served at
    `/partnership-principles/guide.pdf`.
    """
    found: dict[str, str] = {}
    for name, settings in site.collections.items():
        folder = source / f"_{name}"
        if not settings.get("output") or not folder.is_dir():
            continue
        pattern = str(settings.get("permalink") or "/:collection/:path:output_ext")
        pattern = _PERMALINK_STYLES.get(pattern, pattern)
        for path in sorted(folder.rglob("*")):
            inside = path.relative_to(folder).as_posix()
            if (not path.is_file() or path.suffix.lower() in POST_SUFFIXES
                    or any(part.startswith((".", "_")) for part in inside.split("/"))):
                continue
            stem, ext = posixpath.splitext(inside)
            values = {":collection": name, ":path": "/" + stem.rstrip("."), ":output_ext": "",
                      ":name": posixpath.basename(stem), ":title": ""}
            url = re.sub(r":(?:categories|year|month|day|i_month|i_day|short_year|hour|minute|second|"
                         r"y_day|week|short_day|long_day|short_month|long_month|slug|basename)\b", "", pattern)
            for token in sorted(values, key=len, reverse=True):
                url = url.replace(token, values[token])
            found[_clean_path(url, site).rstrip("/") + ext] = path.relative_to(source).as_posix()
    return found


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        pattern = pattern.strip("/")
        if rel == pattern or rel.startswith(pattern + "/") or fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(
                rel.split("/")[0], pattern):
            return True
    return False


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


def read_authors(source: Path) -> dict[str, str]:
    """Author id -> display name, from `_authors/*.md` and `_data/authors.{yml,yaml,json}`."""
    names: dict[str, str] = {}
    for path in sorted((source / "_data").glob("authors.*")) if (source / "_data").is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else safe_yaml.load(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            continue
        entries = data.items() if isinstance(data, Mapping) else (
            (entry.get("id") or entry.get("key") or entry.get("name"), entry) for entry in data or []
            if isinstance(entry, Mapping))
        for key, value in entries:
            name = _author_name(value) if isinstance(value, Mapping) else str(value or "")
            if key and name:
                names[str(key)] = name
    folder = source / "_authors"
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            try:
                data, _ = split_front_matter(path.read_text(encoding="utf-8"))
            except (FrontMatterError, OSError, UnicodeDecodeError):
                continue
            name = _author_name(data)
            if name:
                names[str(data.get("name") or path.stem)] = name
                names.setdefault(path.stem, name)
    return names


def _author_name(data: Mapping[str, Any]) -> str:
    for key in ("full_name", "display_name", "title"):
        if data.get(key):
            return str(data[key]).strip()
    first, last = data.get("first_name"), data.get("last_name")
    if first or last:
        return " ".join(str(x).strip() for x in (first, last) if x).strip()
    return str(data.get("name") or "").strip()


def site_from_config(data: Mapping[str, Any]) -> JekyllSite:
    url = str(data.get("url") or "").rstrip("/") + "/" + str(data.get("baseurl") or "").strip("/")
    permalink = str(data.get("permalink") or "date")
    collections: dict[str, Mapping[str, Any]] = {}
    raw = data.get("collections")
    if isinstance(raw, list):
        raw = {str(name): {} for name in raw}
    for name, value in (raw or {}).items():
        collections[str(name)] = MappingProxyType(dict(value) if isinstance(value, Mapping) else {})
    defaults = []
    for entry in data.get("defaults") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("values"), Mapping):
            scope = entry.get("scope") if isinstance(entry.get("scope"), Mapping) else {}
            defaults.append((str(scope.get("path") or ""), str(scope.get("type") or ""),
                             MappingProxyType(dict(entry["values"]))))
    return JekyllSite(url=url.rstrip("/") if data.get("url") else "",
                      base_path="/" + str(data.get("baseurl") or "").strip("/") if data.get("baseurl") else "",
                      permalink=_PERMALINK_STYLES.get(permalink, permalink),
                      style=permalink,
                      excerpt_separator=str(data.get("excerpt_separator") or ""),
                      timezone=str(data.get("timezone") or ""),
                      collections=MappingProxyType(collections),
                      defaults=tuple(defaults),
                      exclude=tuple(str(x) for x in data.get("exclude") or ()))


def with_defaults(rel: str, kind: str, data: Mapping[str, Any], site: JekyllSite) -> dict[str, Any]:
    """Front matter with the site's `defaults` filled in (more specific scopes win)."""
    doc_type = {"post": "posts", "draft": "drafts", "page": "pages"}.get(kind, kind)
    merged: dict[str, Any] = {}
    for path, scope_type, values in sorted(site.defaults, key=lambda d: (len(d[0]), bool(d[1]))):
        if scope_type and scope_type != doc_type and not (scope_type == "posts" and kind == "draft"):
            continue
        if path and not (fnmatch.fnmatch(rel, path) or rel.startswith(path.strip("/") + "/") or rel == path):
            continue
        merged.update(values)
    merged.update(data)
    return merged


def _slugify(text: str, pretty: bool = False) -> str:
    """Jekyll's slugify: "default" mode (lower case, runs of non-alphanumerics become '-') or
    "pretty" mode, which :title uses (case kept, ._~!$&'()+,;=@ kept)."""
    if pretty:
        slug = re.sub(r"(?:[^\w.~!$&'()+,;=@]|_)+", "-", text.rstrip("."))
        return slug.strip("-")
    return re.sub(r"(?:\W|_)+", "-", text).strip("-").lower()


def old_permalink(rel: str, data: Mapping[str, Any], site: JekyllSite, kind: str = "post") -> str:
    """The URL path Jekyll gave the document `rel`, from its permalink pattern."""
    data = with_defaults(rel, kind, data, site)
    filename = rel.rsplit("/", 1)[-1]
    stem, ext = posixpath.splitext(filename)
    output_ext = ".html" if ext.lower() in (".md", ".markdown", ".mdown", ".mkd", ".html") else ext
    if kind == "page":
        if data.get("permalink"):
            return _clean_path(str(data["permalink"]), site)
        folder = posixpath.dirname(rel)
        if stem == "index":
            return _clean_path("/" + folder + "/", site)
        if site.style in ("pretty",) or site.permalink.endswith("/"):
            return _clean_path("/" + posixpath.join(folder, stem) + "/", site)
        return _clean_path("/" + posixpath.join(folder, stem + output_ext), site)
    collection = kind if kind not in ("post", "draft") else "posts"
    pattern = str(data.get("permalink") or site.collections.get(collection, {}).get("permalink") or (
        site.permalink if collection == "posts" else "/:collection/:path:output_ext"))
    pattern = _PERMALINK_STYLES.get(pattern, pattern)
    match = _POST_NAME.match(filename)
    when = parse_date(data.get("date"), site.timezone)
    if when is None and match:
        when = datetime(int(match["y"]), int(match["m"]), int(match["d"]))
    slug_text = match["slug"] if match else stem
    title = _slugify(str(data.get("slug") or slug_text), pretty=True)
    categories = as_list(data.get("categories") or data.get("category"), split_words=True)
    if collection == "posts":
        parts = rel.split("/")
        inner = parts.index("_posts") if "_posts" in parts else (parts.index("_drafts") if "_drafts" in parts else 0)
        categories = [*parts[:inner], *categories]
    folder_in_collection = rel.split("/", 1)[1] if "/" in rel else rel
    values = {
        ":categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        ":output_ext": output_ext, ":title": title, ":slug": _slugify(str(data.get("slug") or slug_text)),
        ":name": _slugify(stem), ":collection": collection,
        ":path": posixpath.splitext(folder_in_collection)[0],
        ":basename": stem,
    }
    if when is not None:
        values |= {":year": f"{when.year:04d}", ":month": f"{when.month:02d}", ":day": f"{when.day:02d}",
                   ":i_month": str(when.month), ":i_day": str(when.day), ":short_year": f"{when.year % 100:02d}",
                   ":hour": f"{when.hour:02d}", ":minute": f"{when.minute:02d}", ":second": f"{when.second:02d}",
                   ":y_day": f"{when.timetuple().tm_yday:03d}", ":week": f"{when.isocalendar()[1]:02d}",
                   ":short_day": when.strftime("%a"), ":long_day": when.strftime("%A"),
                   ":short_month": when.strftime("%b"), ":long_month": when.strftime("%B")}
    path = pattern
    for token in sorted(values, key=len, reverse=True):
        path = path.replace(token, values[token])
    return _clean_path(path, site)


def _clean_path(path: str, site: JekyllSite) -> str:
    path = re.sub(r"/{2,}", "/", "/" + path)
    return (site.base_path + path) if site.base_path else path


def parse_jekyll_post(text: str, rel: str, site: JekyllSite = JekyllSite(), kind: str = "") -> Parsed:
    """One post, page or collection document -> one item."""
    kind = kind or ("draft" if rel.startswith("_drafts/") else "post")
    try:
        data, body = split_front_matter(text)
    except FrontMatterError as exc:
        return Parsed(skipped=(Problem("error", rel, exc.line, str(exc)),))
    name = rel.rsplit("/", 1)[-1]
    if kind == "page" and name.lower().endswith(".html") and re.search(r"{%-?\s*(for|include|if)\b", body):
        return Parsed(skipped=(skipped(rel, "HTML page made of Liquid template code (lists, includes), "
                                            "not of content: Vestka makes its own lists"),))
    if kind == "page" and name.lower().endswith(".html") and not body.strip():
        return Parsed(skipped=(skipped(rel, "HTML page with front matter only: a layout shell, not content"),))
    merged = with_defaults(rel, kind, data, site)
    match = _POST_NAME.match(name)
    title = str(data.get("title") or "").strip()
    body, leftovers = convert_liquid(body, site.post_urls, page=merged, includes=_includes(site))
    if name.lower().endswith(".html"):
        body = html_to_markdown(body)
    summary, body = split_summary(body, (str(data.get("excerpt_separator") or site.excerpt_separator),
                                         *MORE_MARKERS))
    try:
        date = parse_date(data.get("date"), site.timezone)
    except ValueError as exc:
        return Parsed(skipped=(Problem("error", rel, key_line(text, "date"), str(exc),
                                       "write the date as Jekyll reads it, e.g. 2016-03-21 12:00:00 -0400"),))
    if date is None and match:
        date = datetime(int(match["y"]), int(match["m"]), int(match["d"]))
        zone = zone_of(site.timezone)
        date = date.replace(tzinfo=zone) if zone else date
    try:
        updated = parse_date(data.get("last_modified_at") or data.get("updated"), site.timezone)
    except ValueError:
        updated = None
    draft = kind == "draft" or data.get("published") is False
    old = old_permalink(rel, data, site, kind)
    # A draft never had a public URL: no redirect and no `source` for it.
    url = site.url.removesuffix(site.base_path) + old if site.url and not draft else ""
    tags = as_list(data.get("categories") or data.get("category"), split_words=True)
    tags += [t for t in as_list(data.get("tags"), split_words=True) if t not in tags]
    authors = tuple(site.authors.get(a, a) for a in as_authors(data))
    image = as_image(data)
    media, missing = ((), ())
    if site.root:
        media, missing = find_media([body, image], partial(_resolve_media, old=old, site=site),
                                    (urlsplit(site.url).hostname or "",) if site.url else ())
    is_post = kind in ("post", "draft")
    item = ImportedItem(
        source_ref=url or f"jekyll:{rel}",
        origin=rel,
        title=title,
        date=date,
        updated=updated,
        body=body,
        lang=data.get("lang") or data.get("language"),
        slug=str(data.get("slug") or (match["slug"] if match else Path(name).stem if Path(name).stem != "index"
                                      else (rel.rsplit("/", 2)[-2] if "/" in rel else "index"))),
        kind="article" if is_post else "page",
        tags=tuple(tags),
        authors=authors,
        summary=str(data.get("excerpt") or data.get("description") or summary).strip(),
        image=image,
        draft=draft,
        source_url=url,
        aliases=() if draft else tuple(dict.fromkeys([old, *(_clean_path(a, site) if a.startswith("/") else a
                                                             for a in path_aliases(data.get("redirect_from")))])),
        meta=MappingProxyType({k: v for k, v in data.items() if k not in _KNOWN}),
        media=media,
    )
    return Parsed(items=(item,), missing_media=tuple(f"{rel}: {m}" for m in missing),
                  leftovers=tuple((f"Liquid {tag}", rel) for tag in leftovers))


#: Front-matter keys with a meaning here; the rest are kept under `meta`.
_KNOWN = {"title", "date", "last_modified_at", "updated", "categories", "category", "tags", "author", "authors",
          "excerpt", "description", "image", "images", "featured_image", "cover", "thumbnail", "published",
          "permalink", "redirect_from", "slug", "lang", "language", "layout", "excerpt_separator"}


def _includes(site: JekyllSite) -> Path | None:
    return Path(site.root) / "_includes" if site.root else None


def _resolve_media(target: str, old: str, site: JekyllSite) -> tuple[Path, str] | None:
    root = Path(site.root)
    path = own_path(target, (urlsplit(site.url).hostname or "",)) if "://" in target else target
    if path is None:
        return None
    path = unquote(path.split("?")[0].split("#")[0])
    if not path.startswith("/"):
        page_dir = old if old.endswith("/") else old.rsplit("/", 1)[0] + "/"
        path = posixpath.normpath(page_dir + path)
    local_path = path[len(site.base_path):] if site.base_path and path.startswith(site.base_path + "/") else path
    local = root / local_path.lstrip("/")
    if not local.is_file() and path in site.collection_files:
        local = root / site.collection_files[path]
    if local.is_file() and local.resolve().is_relative_to(root.resolve()):
        return local, path
    return None


_RAW = re.compile(r"{%-?\s*raw\s*-?%}(.*?){%-?\s*endraw\s*-?%}", re.DOTALL)
_HIGHLIGHT = re.compile(r"{%-?\s*highlight\s+([\w+#-]+)[^%]*%}\n?(.*?)\n?{%-?\s*endhighlight\s*-?%}", re.DOTALL)
_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.DOTALL)
_SITE_URL = re.compile(r"{{-?\s*site\.(?:baseurl|url)\s*-?}}")
_URL_FILTER = re.compile(r"{{-?\s*['\"]([^'\"]*)['\"]\s*\|\s*(?:relative_url|absolute_url)\s*-?}}")
_POST_URL = re.compile(r"{%-?\s*(?:post_url|link)\s+(\S+?)\s*-?%}")
_LIQUID = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)


_PAGE_VALUE = re.compile(r"{{-?\s*page\.([A-Za-z_][\w-]*)(?:\[(\d+)\])?\s*(?:\|\s*(?:relative_url|absolute_url)\s*)?-?}}")
_INCLUDE = re.compile(r"{%-?\s*include\s+([\w./-]+)(?P<params>[^%]*?)-?%}")
_INCLUDE_PARAM = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_INCLUDE_VALUE = re.compile(r"{{-?\s*include\.([A-Za-z_][\w-]*)\s*-?}}")
#: Includes inside includes, as deep as this (an include that includes itself stops here).
_INCLUDE_DEPTH = 8
#: page.* variables Jekyll fills in itself; their values are not in the front matter.
_PAGE_BUILTINS = {"url", "content", "excerpt", "date", "id", "path", "next", "previous", "collection", "dir",
                  "name", "relative_path", "output", "categories", "tags"}


def convert_liquid(text: str, post_urls: Mapping[str, str], page: Mapping[str, Any] | None = None,
                   includes: Path | None = None, depth: int = 0) -> tuple[str, list[str]]:
    """Liquid with a clear meaning converted; the kinds of what is left listed (left in the text).

    `page` is the document's front matter (for `{{ page.x }}`); `includes` the site's
    `_includes/` folder. An included file is put in place when its own Liquid converts
    completely: includes inside it, `{{ include.x }}` from the tag's parameters, `page.*`
    and `site.baseurl`. Otherwise the tag stays (and is listed), never half a template.
    """
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
        if target in post_urls:
            return post_urls[target]
        stem = Path(target).stem
        if stem in post_urls:
            return post_urls[stem]
        return match[0] if target.startswith("_posts/") else "/" + target.lstrip("/")

    text = _POST_URL.sub(post_link, text)

    def page_value(match: re.Match[str]) -> str:
        key = match[1]
        if page is None or (key in _PAGE_BUILTINS and key not in page):
            return match[0]
        value = page.get(key)
        if isinstance(value, list) and match[2] is not None:
            value = value[int(match[2])] if int(match[2]) < len(value) else None
        if isinstance(value, (Mapping, list)):
            return match[0]
        return "" if value is None else str(value)  # Liquid prints nothing for an unset value

    text = _PAGE_VALUE.sub(page_value, text)

    def include(match: re.Match[str]) -> str:
        if includes is None or depth >= _INCLUDE_DEPTH:
            return match[0]
        target = (includes / match[1]).resolve()
        if not target.is_file() or not target.is_relative_to(includes.resolve()):
            return match[0]
        try:
            content = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return match[0]
        params = _include_params(match["params"], page)
        if params is None:
            return match[0]
        content = _INCLUDE_VALUE.sub(lambda m: params.get(m[1], ""), content)  # unset prints nothing
        content = _INCLUDE.sub(lambda m: _pass_params(m, params), content)
        content, left = convert_liquid(content, post_urls, page, includes, depth + 1)
        return match[0] if left else content.strip()

    text = _INCLUDE.sub(include, text)
    leftovers = [_liquid_kind(m) for m in _LIQUID.findall(text)]
    for number, content in enumerate(kept):
        text = text.replace(f"\0{number}\0", content)
    return text, leftovers


def _pass_params(match: re.Match[str], params: Mapping[str, str]) -> str:
    """An include tag inside an included file, its `x=include.y` parameters given their values."""
    def value(param: re.Match[str]) -> str:
        text = params.get(param[2], "")
        quote = "'" if '"' in text else '"'
        return param[0] if quote in text else f"{param[1]}={quote}{text}{quote}"

    if "include." not in match["params"]:
        return match[0]
    return match[0].replace(match["params"], re.sub(r"([\w-]+)\s*=\s*include\.([\w-]+)", value, match["params"]))


def _include_params(text: str, page: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The parameters of an include tag: quoted strings, and `page.x` values of the front
    matter; None when one is a variable whose value only Jekyll knows."""
    params: dict[str, str] = {}
    rest = _INCLUDE_PARAM.sub("", text).strip()
    if rest:
        return None
    for match in _INCLUDE_PARAM.finditer(text):
        value = match[2] if match[2] is not None else match[3]
        if value is None:
            name = match[4]
            key = name.removeprefix("page.")
            if page is None or name == key or key in _PAGE_BUILTINS or not isinstance(
                    page.get(key), (str, int, float)):
                return None
            value = str(page[key])
        params[match[1]] = value
    return params


def _liquid_kind(code: str) -> str:
    """`{% include x %}` -> "{% include %}", `{{ site.title }}` -> "{{ site.title }}"."""
    inner = code.strip("{}%-").strip()
    word = re.match(r"[\w.]+", inner)
    name = word[0] if word else inner[:20]
    if not word and "|" in inner:
        name = "... | " + inner.split("|", 1)[1].strip().split()[0]
    return f"{{% {name} %}}" if code.startswith("{%") else f"{{{{ {name} }}}}"
