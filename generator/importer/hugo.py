"""Format `hugo`: a Hugo site folder (`content/` plus hugo.toml or config.*).

Pages in a section folder (content/posts/...) become articles; pages directly in content/
become standalone pages. Shortcodes with a plain meaning (figure, youtube, vimeo, gist,
tweet, highlight) are converted; the others are kept as text and named in one warning per
file. Old URLs (`url`, `aliases`, or Hugo's default /section/slug/) become aliases.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from generator import safe_yaml
from generator.errors import ImportFailure, Problem
from generator.importer import ImportedItem, Job, Parsed, ParseOptions, skipped, warning
from generator.importer.dates import key_line, parse_date
from generator.importer.jekyll import (
    MORE_MARKERS,
    FrontMatterError,
    as_authors,
    as_image,
    as_list,
    split_front_matter,
    split_summary,
)
from generator.importer.markdown_convert import html_to_markdown
from generator.importer.media import find_media, map_targets, own_path

CONFIG_NAMES = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
                "config.json")
_SUFFIXES = (".md", ".markdown", ".html", ".htm")
_LANG_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?)$")
_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: Front-matter keys that have a meaning here; the rest are kept under `meta`.
_KNOWN = {"title", "date", "publishdate", "pubdate", "published", "lastmod", "modified", "draft", "tags",
          "categories", "author", "authors", "summary", "description", "excerpt", "images", "image", "translationkey",
          "slug", "url", "aliases", "lang", "language", "weight", "layout", "type", "menu", "featured_image",
          "cover", "thumbnail", "expirydate", "keywords", "linktitle", "toc", "headless", "_build", "build",
          "outputs", "cascade", "markup"}
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class HugoSite:
    """What pages need to know about their site (from its configuration)."""

    #: Folder of the site (to find static files and page bundles); empty in pure tests.
    root: str = ""
    base_url: str = ""
    default_language: str = "en"
    default_in_subdir: bool = False
    #: Language key -> what pages of that language need: code, content folder, permalinks.
    languages: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    content_dir: str = "content"
    #: Section (or page kind) -> permalink pattern.
    permalinks: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: True, or the sections with ugly URLs (/a/b.html instead of /a/b/).
    ugly_urls: bool | frozenset[str] = False
    timezone: str = ""
    lower_paths: bool = True
    #: Sections whose pages are news articles; the rest become standalone pages.
    main_sections: tuple[str, ...] = ()
    static_dirs: tuple[str, ...] = ("static",)
    themes: tuple[str, ...] = ()
    #: Content path (below its content folder, language suffix kept) -> old URL path.
    page_urls: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Hugo's embedded link render hook is on: Markdown links that name a page's content path
    #: ("/docs/faq") lead to that page's URL.
    link_hook: bool = False


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per content file of the Hugo site folder `source`."""
    if not source.is_dir():
        raise ImportFailure("not a Hugo site", [Problem(
            "error", str(source), None, "a hugo SOURCE must be a site folder with a content/ folder")])
    site = read_site_config(source)
    files = list(content_files(source, site))
    if not files:
        raise ImportFailure("not a Hugo site", [Problem(
            "error", str(source), None, "a hugo SOURCE must be a site folder with a content/ folder")])
    counts: dict[str, int] = {}
    urls: dict[str, str] = {}
    for path, rel, lang_key in files:
        try:
            data, _ = split_front_matter(path.read_text(encoding="utf-8"))
        except (FrontMatterError, OSError, UnicodeDecodeError):
            data = {}
        where = locate(rel, lang_key, site)
        if where.section and where.lang == site.default_language:
            counts[where.section] = counts.get(where.section, 0) + 1
        try:
            urls[rel] = old_url(where, data, site)
        except ValueError:
            continue
    if not site.main_sections and counts:
        # Hugo's own rule for mainSections: the section with the most pages.
        busiest = max(sorted(counts), key=lambda name: counts[name])
        site = replace(site, main_sections=(busiest,))
    site = replace(site, root=str(source), page_urls=MappingProxyType(urls),
                   link_hook=site.link_hook and not _own_link_hook(source, site))
    jobs = []
    for path, rel, lang_key in files:
        where = locate(rel, lang_key, site)
        if options.section and not _in_section(where, options.section):
            continue
        jobs.append(Job(path, rel, partial(parse_hugo_page, rel=rel, site=site, lang_key=lang_key)))
    unread = _unread_files(source, site, {path for path, _, _ in files})
    if unread and not options.section:
        folders = sorted({"/".join(path.relative_to(source).parts[:-1][:len(Path(site.content_dir).parts) + 1]) + "/"
                          for path in unread})
        note = warning(site.content_dir + "/", (
            f"{len(unread)} content file(s) in folders that no language of the configuration reads "
            f"({', '.join(folders[:10])}): Hugo does not publish them; not imported"),
            "add the language to the Hugo configuration and import again if these pages were published")
        jobs.append(Job(unread[0], site.content_dir + "/", lambda _text: Parsed(warnings=(note,))))
    return jobs


def _unread_files(source: Path, site: HugoSite, read: set[Path]) -> list[Path]:
    """Content files below the content folder that no language's contentDir covers."""
    base = source / site.content_dir
    if not base.is_dir():
        return []
    return [path for path in sorted(base.rglob("*"), key=lambda p: p.as_posix())
            if path.is_file() and path.suffix.lower() in _SUFFIXES and path not in read
            and not any(part.startswith(".") for part in path.relative_to(base).parts)]


def _own_link_hook(source: Path, site: HugoSite) -> bool:
    """A render-link template of the site or its theme, which replaces Hugo's embedded one."""
    folders = [source / "layouts", *(source / "themes" / theme / "layouts" for theme in site.themes)]
    names = ("_markup/render-link.html", "_default/_markup/render-link.html")
    return any((folder / name).is_file() for folder in folders for name in names)


def _in_section(where: Location, section: str) -> bool:
    wanted = section.strip("/")
    path = "/".join(where.folders)
    return path == wanted or path.startswith(wanted + "/") or where.section == wanted


def content_files(source: Path, site: HugoSite) -> list[tuple[Path, str, str]]:
    """(file, path relative to the site folder, language key or "") of every content file."""
    out: list[tuple[Path, str, str]] = []
    dirs: list[tuple[str, str]] = []
    for key, lang in site.languages.items():
        if lang.get("contentdir"):
            dirs.append((str(lang["contentdir"]).strip("/"), key))
    if not site.languages or any(not lang.get("contentdir") for lang in site.languages.values()):
        dirs.append((site.content_dir, ""))
    seen: set[Path] = set()
    for folder, key in sorted(dirs, key=lambda d: (-len(d[0]), d[0])):
        base = source / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*"), key=lambda p: p.as_posix()):
            if path in seen or not path.is_file() or path.suffix.lower() not in _SUFFIXES:
                continue
            if any(part.startswith(".") for part in path.relative_to(base).parts):
                continue
            seen.add(path)
            out.append((path, path.relative_to(source).as_posix(), key))
    out.sort(key=lambda entry: entry[1])
    return out


def read_site_config(source: Path, environment: str = "production") -> HugoSite:
    """The site's configuration: hugo.* / config.* at the root, merged with config/_default/
    and config/ENVIRONMENT/ (files named for a key, `NAME.LANG.ext` for one language)."""
    data: dict[str, Any] = {}
    for name in CONFIG_NAMES:
        if (source / name).is_file():
            data = _lower(_load(source / name, name))
            break
    for folder in ("_default", environment):
        base = source / "config" / folder
        if not base.is_dir():
            continue
        for path in sorted(base.iterdir()):
            if path.suffix not in (".toml", ".yaml", ".yml", ".json") or not path.is_file():
                continue
            part = _lower(_load(path, f"config/{folder}/{path.name}"))
            stem = path.stem.lower()
            name, _, lang = stem.partition(".")
            if name in ("hugo", "config"):
                _merge(data, part)
            elif lang and name == "languages":
                _merge(data, {"languages": {lang: part}})
            elif lang:
                _merge(data, {"languages": {lang: {name: part}}})
            else:
                _merge(data, {name: part})
    return site_from_config(data)


def _load(path: Path, name: str) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        if name.endswith(".toml"):
            return tomllib.loads(text)
        if name.endswith(".json"):
            return json.loads(text)
        return safe_yaml.load(text) or {}
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ImportFailure(f"{name} cannot be read", [Problem("error", name, None, str(exc))]) from None


def _lower(value: Any) -> Any:
    """Hugo's configuration keys are case-insensitive."""
    if isinstance(value, Mapping):
        return {str(k).lower(): _lower(v) for k, v in value.items()}
    return value


def _merge(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def site_from_config(data: Mapping[str, Any]) -> HugoSite:
    data = _lower(data)
    languages = {}
    for key, value in (data.get("languages") or {}).items():
        if not isinstance(value, Mapping) or value.get("disabled"):
            continue
        code = key if _CODE.match(key) else str(value.get("languagecode") or value.get("locale") or key)
        languages[str(key)] = MappingProxyType({
            "code": code, "contentdir": str(value.get("contentdir") or ""),
            "permalinks": MappingProxyType(_permalinks(value.get("permalinks"))),
            "weight": value.get("weight") or 0})
    ugly = data.get("uglyurls", False)
    ugly_urls: bool | frozenset[str] = (frozenset(k for k, v in ugly.items() if v) if isinstance(ugly, Mapping)
                                        else bool(ugly))
    params = data.get("params") if isinstance(data.get("params"), Mapping) else {}
    main = params.get("mainsections") or data.get("mainsections") or ()
    static = data.get("staticdir") or "static"
    return HugoSite(
        link_hook=_link_hook(data, languages),
        base_url=str(data.get("baseurl") or "").rstrip("/"),
        default_language=str(data.get("defaultcontentlanguage") or "en"),
        default_in_subdir=bool(data.get("defaultcontentlanguageinsubdir")),
        languages=MappingProxyType(languages),
        content_dir=str(data.get("contentdir") or "content").strip("/"),
        permalinks=MappingProxyType(_permalinks(data.get("permalinks"))),
        ugly_urls=ugly_urls,
        timezone=str(data.get("timezone") or "UTC"),  # Hugo reads dates without an offset as UTC
        lower_paths=not data.get("disablepathtolower"),
        main_sections=tuple(as_list(main)),
        static_dirs=tuple(as_list(static)),
        themes=tuple(str(t) for t in as_list(data.get("theme"))),
    )


def _link_hook(data: Mapping[str, Any], languages: Mapping[str, Any]) -> bool:
    """Whether Hugo renders Markdown links through its embedded link render hook: when the
    configuration says so, and by default on a multilingual single-host site that does not
    duplicate resource files (Hugo 0.123 and later). A site's own render-link template wins;
    `plan` checks for one."""
    goldmark = ((data.get("markup") or {}).get("goldmark") or {}) if isinstance(data.get("markup"), Mapping) else {}
    hooks = goldmark.get("renderhooks") if isinstance(goldmark, Mapping) else None
    link = hooks.get("link") if isinstance(hooks, Mapping) else None
    if isinstance(link, Mapping) and link.get("enabledefault") is not None:
        return bool(link.get("enabledefault"))
    all_languages = data.get("languages") if isinstance(data.get("languages"), Mapping) else {}
    multihost = any(isinstance(v, Mapping) and v.get("baseurl") for v in all_languages.values())
    return len(languages) > 1 and not multihost and not goldmark.get("duplicateresourcefiles")


def _permalinks(value: Any) -> dict[str, str]:
    """Section -> pattern, from the old form ({posts: ...}) or the new one ({page: {posts: ...}})."""
    out: dict[str, str] = {}
    if not isinstance(value, Mapping):
        return out
    for key, pattern in value.items():
        if isinstance(pattern, Mapping):
            if key == "page":
                out.update({str(k): str(v) for k, v in pattern.items()})
        else:
            out.setdefault(str(key), str(pattern))
    return out


@dataclass(frozen=True, slots=True)
class Location:
    """Where a content file sits, in Hugo's terms."""

    lang: str
    #: Folders below the language's content folder, the bundle's own folder left out.
    folders: tuple[str, ...]
    #: File name without extension and language suffix ("index" for a leaf bundle).
    stem: str
    bundle: bool
    section: str


def locate(rel: str, lang_key: str, site: HugoSite) -> Location:
    """Language, section and folders of the file `rel` (relative to the site folder)."""
    folder = site.languages[lang_key]["contentdir"] if lang_key else site.content_dir
    parts = rel[len(folder) + 1:].split("/") if rel.startswith(folder + "/") else rel.split("/")[1:]
    name = parts[-1]
    stem = name.rsplit(".", 1)[0]
    lang = lang_key
    suffix = _LANG_SUFFIX.match(stem)
    if suffix and (suffix["lang"] in site.languages or (not site.languages and suffix["lang"] != "index")):
        stem = suffix["stem"]
        lang = lang or suffix["lang"]
    folders = tuple(parts[:-1])
    if not lang and folders and site.languages and folders[0] in site.languages and not any(
            v["contentdir"] for v in site.languages.values()):
        lang, folders = folders[0], folders[1:]  # old layout: content/LANG/... without contentDir
    lang = lang or site.default_language
    bundle = stem == "index" and bool(folders)
    return Location(lang, folders, stem, bundle, folders[0] if folders else "")


def hugo_urlize(text: str, lower: bool = True) -> str:
    """Hugo's path sanitizing: spaces to '-', only letters, digits and a few marks kept."""
    out = []
    for char in text.strip():
        if char.isalnum() or char in "./\\_-#+~":
            out.append(char)
        elif char.isspace():
            out.append("-")
    path = "".join(out)
    return path.lower() if lower else path


def old_url(where: Location, data: Mapping[str, Any], site: HugoSite, when: datetime | None = None) -> str:
    """The URL path Hugo published the page at (base path of baseURL included)."""
    base_path = urlsplit(site.base_url).path.rstrip("/") if site.base_url else ""
    lang_prefix = ""
    if site.languages and (where.lang != site.default_language or site.default_in_subdir):
        lang_prefix = "/" + where.lang
    url = str(data.get("url") or "")
    if url:
        if "://" in url:
            return urlsplit(url).path or "/"
        return base_path + "/" + url.lstrip("/")
    if where.stem == "_index":  # a section's list page lives at the section's path
        path = "/" + "/".join(where.folders) + ("/" if where.folders else "")
        return base_path + lang_prefix + (hugo_urlize(path) if site.lower_paths else path)
    name = where.folders[-1] if where.bundle else where.stem
    folders = where.folders[:-1] if where.bundle else where.folders
    slug = str(data.get("slug") or "")
    title = str(data.get("title") or "")
    pattern = ""
    if where.section:
        per_lang = site.languages.get(where.lang, {}).get("permalinks") or {}
        pattern = per_lang.get(where.section) or site.permalinks.get(where.section, "")
    if pattern:
        if when is None:
            when = parse_date(data.get("date") or data.get("publishdate") or data.get("pubdate"), site.timezone)
        path = expand_hugo_permalink(pattern, where, slug, title, name, when, site.lower_paths)
    else:
        path = "/" + "/".join([*folders, slug or name]) + "/"
        if site.lower_paths:
            path = hugo_urlize(path)
    ugly = site.ugly_urls is True or (isinstance(site.ugly_urls, frozenset) and where.section in site.ugly_urls)
    if ugly and path.endswith("/") and path != "/":
        path = path.rstrip("/") + ".html"
    return base_path + lang_prefix + re.sub(r"/{2,}", "/", path)


def expand_hugo_permalink(pattern: str, where: Location, slug: str, title: str, name: str,
                          when: datetime | None, lower: bool = True) -> str:
    """A Hugo permalink pattern with every token of Hugo's table filled in."""
    sections = list(where.folders[:-1] if where.bundle else where.folders)
    urlized_title = hugo_urlize(title, lower)

    def sections_slice(match: re.Match[str]) -> str:
        first, colon, last = match[1].partition(":")
        if not colon:
            index = int(first) if first.lstrip("-").isdigit() else 0
            return sections[index] if -len(sections) <= index < len(sections) else ""
        start = int(first) if first else 0
        end = int(last) if last else len(sections)
        return "/".join(sections[start:end])

    path = re.sub(r":sections\[(-?\d*:?-?\d*)\]", sections_slice, pattern)
    values = {
        ":slugorfilename": slug or name, ":slugorcontentbasename": slug or name,
        ":contentbasenameorslug": name or slug,
        ":contentbasename": name, ":filename": name, ":sections": "/".join(sections),
        ":section": where.section, ":title": urlized_title, ":slug": slug or urlized_title,
    }
    if when is not None:
        values |= {":year": f"{when.year:04d}", ":month": f"{when.month:02d}", ":monthname": when.strftime("%B").lower(),
                   ":day": f"{when.day:02d}", ":weekdayname": _DAY_NAMES[when.weekday()].lower(),
                   ":weekday": str((when.weekday() + 1) % 7), ":yearday": str(when.timetuple().tm_yday)}
    for token in sorted(values, key=len, reverse=True):
        path = path.replace(token, values[token])
    if lower:
        path = path.lower()
    return "/" + path.lstrip("/")


def parse_hugo_page(text: str, rel: str, site: HugoSite = HugoSite(), lang_key: str = "") -> Parsed:
    """One content file -> one item (section lists, headless and unrendered pages are skipped)."""
    where = locate(rel, lang_key, site)
    name = rel.rsplit("/", 1)[-1]
    if name.startswith("_index."):
        return Parsed(skipped=(skipped(rel, "section list page (_index): Vestka makes its own lists"),))
    try:
        data, body = split_front_matter(text)
    except FrontMatterError as exc:
        return Parsed(skipped=(Problem("error", rel, exc.line, str(exc)),))
    keys = {str(k).lower(): k for k in data}
    data = {str(k).lower(): v for k, v in data.items()}
    build = data.get("_build") or data.get("build") or {}
    if data.get("headless") or (isinstance(build, Mapping) and str(build.get("render", "")).lower() in (
            "never", "false")):
        return Parsed(skipped=(skipped(rel, "headless page (Hugo does not publish it on its own)"),))
    notes: list[Problem] = []
    title = str(data.get("title") or "").strip()
    body, leftovers = convert_shortcodes(body, lambda target: _ref(target, rel, where, site))
    if name.lower().endswith((".html", ".htm")):
        body = html_to_markdown(body)
    else:
        body = commonmark_non_links(body)
        if site.link_hook:
            body = map_targets(body, lambda target: _hook_link(target, rel, where, site), html=False)
    summary, body = split_summary(body, MORE_MARKERS)

    try:
        date = parse_date(data.get("date") or data.get("publishdate") or data.get("pubdate")
                          or data.get("published"), site.timezone)
        updated = parse_date(data.get("lastmod") or data.get("modified"), site.timezone)
    except ValueError as exc:
        key = next((k for k in ("date", "publishdate", "pubdate", "published", "lastmod", "modified")
                    if data.get(k)), "date")
        return Parsed(skipped=(Problem("error", rel, key_line(text, keys.get(key, key)), str(exc),
                                       "write the date as Hugo reads it, e.g. 2016-03-21T12:00:00-04:00"),))
    old = old_url(where, data, site, date)
    url = _absolute(site.base_url, old)
    lang_entry = site.languages.get(where.lang) or {}
    lang = str(data.get("lang") or data.get("language") or lang_entry.get("code") or where.lang)
    tags = as_list(data.get("tags"))
    tags += [c for c in as_list(data.get("categories")) if c not in tags]
    is_article = bool(where.section) and (not site.main_sections or where.section in site.main_sections)
    image = as_image(data)
    media, missing = (), ()
    if site.root:
        media, missing = find_media([body, image], partial(_resolve_media, rel=rel, where=where, old=old,
                                                            site=site), _hosts(site))
    translation = str(data.get("translationkey") or "")
    if not translation and site.languages:
        translation = "hugo:" + "/".join(where.folders if where.bundle else [*where.folders, where.stem])
    item = ImportedItem(
        source_ref=url or f"hugo:{rel}",
        origin=rel,
        title=title,
        date=date,
        updated=updated,
        body=body,
        lang=lang,
        slug=str(data.get("slug") or (where.folders[-1] if where.bundle else where.stem)),
        kind="article" if is_article else "page",
        tags=tuple(tags),
        authors=as_authors(data),
        summary=str(data.get("summary") or data.get("description") or data.get("excerpt") or summary).strip(),
        image=image,
        draft=bool(data.get("draft")),
        source_url=url,
        aliases=tuple(dict.fromkeys([old, *(_alias(a, where, site) for a in as_list(data.get("aliases")))])),
        translation_key=translation,
        meta=MappingProxyType({keys[k]: v for k, v in data.items() if k not in _KNOWN}),
        media=media,
    )
    return Parsed(items=(item,), warnings=tuple(notes), missing_media=tuple(f"{rel}: {m}" for m in missing),
                  leftovers=tuple((f"Hugo shortcode {{{{< {name} >}}}}", rel) for name in leftovers))


def _absolute(base_url: str, path: str) -> str:
    """`source`: the real base URL's scheme and host plus the old path; nothing when unknown."""
    if not base_url or "://" not in base_url:
        return ""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}{path}"


def _hosts(site: HugoSite) -> tuple[str, ...]:
    host = urlsplit(site.base_url).hostname if site.base_url else None
    return (host.lower(),) if host else ()


def _alias(alias: str, where: Location, site: HugoSite) -> str:
    """Hugo aliases are site paths; relative ones are relative to the page's folder."""
    if "://" in alias:
        return alias
    base_path = urlsplit(site.base_url).path.rstrip("/") if site.base_url else ""
    if alias.startswith("/"):
        prefix = "/" + where.lang if site.languages and (
            where.lang != site.default_language or site.default_in_subdir) else ""
        return base_path + (prefix if not alias.startswith(prefix + "/") else "") + alias
    folders = where.folders[:-1] if where.bundle else where.folders
    return base_path + "/" + "/".join([*folders, alias])


def _resolve_media(target: str, rel: str, where: Location, old: str, site: HugoSite) -> tuple[Path, str] | None:
    """A file of the old site for `target`: page bundle, then static folders."""
    root = Path(site.root)
    path = own_path(target, _hosts(site)) if "://" in target else target
    if path is None:
        return None
    path = unquote(path.split("?")[0].split("#")[0])
    base_path = urlsplit(site.base_url).path.rstrip("/") if site.base_url else ""
    if not path.startswith("/"):
        if where.bundle:
            local = (root / rel).parent / path
            if local.is_file() and local.resolve().is_relative_to(root.resolve()):
                page_dir = old if old.endswith("/") else old.rsplit("/", 1)[0] + "/"
                return local, posixpath.normpath(page_dir + path)
        page_dir = old if old.endswith("/") else old.rsplit("/", 1)[0] + "/"
        path = posixpath.normpath(page_dir + path)
    if base_path and path.startswith(base_path + "/"):
        path = path[len(base_path):]
    for static in site.static_dirs:
        local = root / static / path.lstrip("/")
        if local.is_file() and local.resolve().is_relative_to(root.resolve()):
            return local, path
    # Files in a content folder are published at their path below it (as resources of the
    # section or bundle they sit in), under the language's prefix unless it is the default one.
    lang_prefix = "/" + where.lang
    below = path[len(lang_prefix):] if path.startswith(lang_prefix + "/") else path
    default = replace(where, lang=site.default_language)
    for folder in dict.fromkeys((_content_folder(where, site), _content_folder(default, site))):
        local = root / folder / below.lstrip("/")
        if local.is_file() and local.suffix.lower() not in _SUFFIXES and local.resolve().is_relative_to(
                root.resolve()):
            return local, path
    return None


def _hook_link(target: str, rel: str, where: Location, site: HugoSite) -> str | None:
    """The old URL Hugo's embedded link render hook gives a Markdown link: the page that
    `.Page.GetPage` finds for the destination's path, its query and fragment kept."""
    if not target or target.startswith(("#", "//")) or _SCHEME.match(target):
        return None
    parts = urlsplit(target)
    path = unquote(parts.path).removeprefix("./")
    url = _get_page(path, rel, where, site) if path else None
    if url is None:
        return None
    return url + ("?" + parts.query if parts.query else "") + ("#" + parts.fragment if parts.fragment else "")


def _get_page(path: str, rel: str, where: Location, site: HugoSite) -> str | None:
    """Hugo's GetPage: a content path, from the page's folder or the language's content folder."""
    folder = _content_folder(where, site)
    bare = path.strip("/")
    candidates = [f"{folder}/{bare}" if bare else folder] if path.startswith("/") else [
        posixpath.normpath(posixpath.join(posixpath.dirname(rel), bare)), f"{folder}/{bare}"]
    for candidate in candidates:
        if candidate in site.page_urls and candidate.endswith(_SUFFIXES):
            return site.page_urls[candidate]
        for suffix in (f".{where.lang}.md", ".md", "/index.md", f"/index.{where.lang}.md", "/_index.md",
                       f"/_index.{where.lang}.md", ".html", "/index.html", "/_index.html"):
            if candidate + suffix in site.page_urls:
                return site.page_urls[candidate + suffix]
    return None


def _content_folder(where: Location, site: HugoSite) -> str:
    entry = site.languages.get(where.lang) or {}
    return str(entry.get("contentdir") or site.content_dir).strip("/")


def _ref(target: str, rel: str, where: Location, site: HugoSite) -> str | None:
    """The old URL of the page a `ref`/`relref` names (it redirects to the imported page)."""
    target, _, fragment = target.partition("#")
    target = target.strip().lstrip("/")
    fragment = "#" + fragment if fragment else ""
    if not target:
        return fragment or None
    folder = site.languages[where.lang]["contentdir"] if where.lang in site.languages and site.languages[
        where.lang]["contentdir"] else site.content_dir
    here = posixpath.dirname(rel)
    candidates = [posixpath.normpath(posixpath.join(here, target)), f"{folder}/{target}"]
    for candidate in list(candidates):
        for suffix in (".md", "/index.md", "/_index.md", f".{where.lang}.md"):
            candidates.append(candidate + suffix)
    for candidate in candidates:
        if candidate in site.page_urls:
            return site.page_urls[candidate] + fragment
    stem = target.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    matches = [url for path, url in site.page_urls.items() if path.rsplit("/", 1)[-1].rsplit(".", 1)[0] == stem
               and path.startswith(folder + "/")]
    return matches[0] + fragment if len(matches) == 1 else None


#: Code that Markdown shows as written: fenced blocks and code spans.
_MARKDOWN_CODE = re.compile(r"^(?P<fence>```|~~~).*?^(?P=fence)[ \t]*$|(?P<ticks>`+).+?(?P=ticks)", re.MULTILINE | re.DOTALL)
#: `[text](/a. b)`: a space in the destination that is not followed by a title.
_SPACED_LINK = re.compile(r"(?<!\\)\[(?P<text>[^\]\n]*)\](?=\([^\s()<>]+[ \t]+[^\s\"'(][^)\n]*\))")


def commonmark_non_links(text: str) -> str:
    """`[text](/a. b)` escaped so that it stays text, as on the Hugo site.

    Hugo's Markdown (CommonMark) allows no space in a link destination, so a typo such as
    `[der](/certs/root. der)` was shown as written; Python-Markdown would make it a broken link.
    """
    out: list[str] = []
    last = 0
    for match in _MARKDOWN_CODE.finditer(text):
        out.append(_SPACED_LINK.sub(r"\\[\g<text>\\]", text[last:match.start()]))
        out.append(match[0])
        last = match.end()
    out.append(_SPACED_LINK.sub(r"\\[\g<text>\\]", text[last:]))
    return "".join(out)


_HIGHLIGHT = re.compile(r"{{[<%]\s*highlight\s+([\w+#-]+)[^>%]*[>%]}}\n?(.*?)\n?{{[<%]\s*/highlight\s*[>%]}}",
                        re.DOTALL)
_SHORTCODE = re.compile(r"{{([<%])\s*(?P<name>[\w/-]+)(?P<args>.*?)\s*[>%]}}", re.DOTALL)
_ARG = re.compile(r"(?:([\w-]+)=)?(?:\"([^\"]*)\"|`([^`]*)`|(\S+))")


def convert_shortcodes(text: str, ref: Callable[[str], str | None] | None = None) -> tuple[str, list[str]]:
    """Shortcodes with a plain meaning as Markdown; the rest listed (and left in the text).

    `ref(target)` gives the old URL of the page a `ref`/`relref` names, or None.
    """
    fences: list[str] = []

    def fence(match: re.Match[str]) -> str:
        fences.append(f"```{match[1]}\n{match[2]}\n```")
        return f"\0{len(fences) - 1}\0"

    text = _HIGHLIGHT.sub(fence, text)
    leftovers: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        named: dict[str, str] = {}
        positional: list[str] = []
        for arg in _ARG.finditer(match["args"]):
            value = arg[2] if arg[2] is not None else arg[3] if arg[3] is not None else arg[4] or ""
            if arg[1]:
                named[arg[1]] = value
            elif value:
                positional.append(value)

        def get(key: str, index: int) -> str:
            return named.get(key) or (positional[index] if len(positional) > index else "")

        if name == "figure" and get("src", 0):
            alt = named.get("alt") or named.get("title") or ""
            caption = named.get("caption") or named.get("title") or ""
            image = f"![{alt}]({get('src', 0)})"
            if named.get("link"):
                image = f"[{image}]({named['link']})"
            return image + (f"\n\n*{html_to_markdown(caption)}*" if caption else "")
        links = {
            "youtube": lambda: f"https://www.youtube.com/watch?v={get('id', 0)}",
            "vimeo": lambda: f"https://vimeo.com/{get('id', 0)}",
            "gist": lambda: f"https://gist.github.com/{get('user', 0)}/{get('id', 1)}",
            "tweet": lambda: f"https://twitter.com/{get('user', 0)}/status/{get('id', 1)}",
        }
        if name in links and get("id", 0):
            url = links[name]()
            return f"<{escape(url)}>"
        if name in ("ref", "relref") and ref is not None and get("path", 0):
            found = ref(get("path", 0))
            if found is not None:
                return found
        if not name.startswith("/"):
            leftovers.append(name)
        return match[0]

    text = _SHORTCODE.sub(replace, text)
    for number, content in enumerate(fences):
        text = text.replace(f"\0{number}\0", content)
    return text, leftovers

