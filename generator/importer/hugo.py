"""Format `hugo`: a Hugo site folder (`content/` plus hugo.toml or config.*).

Pages in a section folder (content/posts/...) become articles; pages directly in content/
become standalone pages. Shortcodes with a plain meaning (figure, youtube, vimeo, gist,
tweet, highlight) are converted; the others are kept as text and named in one warning per
file. Old URLs (`url`, `aliases`, or Hugo's default /section/slug/) become aliases.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ImportFailure, Problem
from generator.importer import ImportedItem, Job, Parsed, ParseOptions, skipped, warning
from generator.importer.jekyll import (
    MORE_MARKERS,
    FrontMatterError,
    as_authors,
    as_datetime,
    as_image,
    as_list,
    path_aliases,
    split_front_matter,
    split_summary,
)
from generator.importer.markdown_convert import html_to_markdown

CONFIG_NAMES = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
                "config.json")
_SUFFIXES = (".md", ".markdown", ".html")
_LANG_SUFFIX = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?)$")


@dataclass(frozen=True, slots=True)
class HugoSite:
    """What pages need to know about their site."""

    base_url: str = ""
    default_language: str = ""
    #: Language codes of a multilingual site (first folder under content/ may be one of them).
    languages: tuple[str, ...] = ()


def plan(source: Path, options: ParseOptions) -> list[Job]:
    """One job per content file of the Hugo site folder `source`."""
    content = source / "content"
    if not source.is_dir() or not content.is_dir():
        raise ImportFailure("not a Hugo site", [Problem(
            "error", str(source), None, "a hugo SOURCE must be a site folder with a content/ folder")])
    site = read_site_config(source)
    files = sorted((p for p in content.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES),
                   key=lambda p: p.relative_to(content).as_posix())
    jobs = []
    for path in files:
        rel = path.relative_to(source).as_posix()
        jobs.append(Job(path, rel, partial(parse_hugo_page, rel=rel, site=site)))
    return jobs


def read_site_config(source: Path) -> HugoSite:
    for name in CONFIG_NAMES:
        path = source / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            if name.endswith(".toml"):
                data = tomllib.loads(text)
            elif name.endswith(".json"):
                data = json.loads(text)
            else:
                data = yaml.safe_load(text) or {}
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
            raise ImportFailure(f"{name} cannot be read", [Problem("error", name, None, str(exc))]) from None
        return site_from_config(data if isinstance(data, dict) else {})
    return HugoSite()


def site_from_config(data: Mapping[str, Any]) -> HugoSite:
    languages = data.get("languages")
    return HugoSite(
        base_url=str(data.get("baseURL") or data.get("baseurl") or "").rstrip("/"),
        default_language=str(data.get("defaultContentLanguage") or ""),
        languages=tuple(languages) if isinstance(languages, dict) else (),
    )


def parse_hugo_page(text: str, rel: str, site: HugoSite = HugoSite()) -> Parsed:
    """One content file -> one item; section lists and pages without title/body are skipped."""
    parts = rel.split("/")[1:]  # below content/
    name = parts[-1]
    if name.startswith("_index."):
        return Parsed(skipped=(skipped(rel, "section list page (_index) is not an article"),))
    try:
        data, body = split_front_matter(text)
    except FrontMatterError as exc:
        return Parsed(skipped=(Problem("error", rel, exc.line, str(exc)),))
    title = str(data.get("title") or "").strip()
    if not title:
        return Parsed(skipped=(skipped(rel, "the page has no title", "add 'title' to its front matter"),))
    body, leftovers = convert_shortcodes(body)
    if name.lower().endswith(".html"):
        body = html_to_markdown(body)
    summary, body = split_summary(body, MORE_MARKERS)
    if not body.strip():
        return Parsed(skipped=(skipped(rel, "the page has no body text"),))

    stem = Path(name).stem
    lang = data.get("lang") or data.get("language")
    suffix = _LANG_SUFFIX.match(stem)
    if suffix and (not site.languages or suffix["lang"] in site.languages):
        stem, lang = suffix["stem"], lang or suffix["lang"]
    folders = parts[:-1]
    if folders and folders[0] in site.languages:
        lang = lang or folders[0]
        folders = folders[1:]
    bundle = stem == "index" and bool(folders)
    if bundle:
        stem, folders = folders[-1], folders[:-1]
    slug = str(data.get("slug") or stem)
    old = str(data.get("url") or "")
    if not old:
        prefix = [lang] if lang and site.languages and lang != site.default_language else []
        old = "/" + "/".join([*prefix, *(f.lower() for f in folders), slug]) + "/"
    url = site.base_url + "/" + old.lstrip("/") if site.base_url else ""
    notes = []
    if leftovers:
        notes.append(warning(rel, "Hugo shortcodes left as text: " + ", ".join(leftovers),
                             "replace them by hand in the imported file"))
    tags = as_list(data.get("tags"))
    tags += [c for c in as_list(data.get("categories")) if c not in tags]
    item = ImportedItem(
        source_ref=url or f"hugo:{rel}",
        origin=rel,
        title=title,
        date=as_datetime(data.get("date") or data.get("publishDate") or data.get("pubdate")),
        updated=as_datetime(data.get("lastmod")),
        body=body,
        lang=lang,
        slug=slug,
        kind="article" if folders else "page",
        tags=tuple(tags),
        authors=as_authors(data),
        summary=str(data.get("summary") or data.get("description") or summary).strip(),
        image=as_image(data),
        draft=bool(data.get("draft")),
        source_url=url,
        aliases=tuple(dict.fromkeys([old if old.startswith("/") else "/" + old,
                                     *path_aliases(data.get("aliases"))])),
        translation_key=str(data.get("translationKey") or ""),
    )
    return Parsed(items=(item,), warnings=tuple(notes))


_HIGHLIGHT = re.compile(r"{{[<%]\s*highlight\s+([\w+#-]+)[^>%]*[>%]}}\n?(.*?)\n?{{[<%]\s*/highlight\s*[>%]}}",
                        re.DOTALL)
_SHORTCODE = re.compile(r"{{([<%])\s*(?P<name>[\w/-]+)(?P<args>.*?)\s*[>%]}}", re.DOTALL)
_ARG = re.compile(r"(?:([\w-]+)=)?(?:\"([^\"]*)\"|`([^`]*)`|(\S+))")


def convert_shortcodes(text: str) -> tuple[str, list[str]]:
    """Shortcodes with a plain meaning as Markdown; the rest listed (and left in the text)."""
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
        leftovers.append(" ".join(match[0].split()))
        return match[0]

    text = _SHORTCODE.sub(replace, text)
    for number, content in enumerate(fences):
        text = text.replace(f"\0{number}\0", content)
    return text, list(dict.fromkeys(leftovers))

