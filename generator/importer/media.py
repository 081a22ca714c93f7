"""Files and links of imported items: local media copied into content/, own old links rewritten.

Format modules call `find_media` while parsing (they know where the old site kept its files);
the writer calls `place` and `rewrite_links` once every item has its new file, because a link
can only be pointed at a page whose path is settled.
"""

from __future__ import annotations

import filecmp
import posixpath
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from generator.errors import Problem
from generator.urls import check_url_path

if TYPE_CHECKING:
    from generator.importer import ImportedItem
    from generator.importer.save import SaveResult

#: Link targets in Markdown (inline links and images, reference definitions) and in raw HTML.
#: An escaped `\](` is text, not a link.
_TARGETS = re.compile(
    r"(?P<md>(?<!\\)\]\(\s*<?)(?P<a>[^)\s>]+)"
    r"|(?P<ref>^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)(?P<b>[^\s>]+)"
    r"|(?P<attr>\b(?:href|src|poster|data-src)\s*=\s*[\"'])(?P<c>[^\"'\s]+)",
    re.MULTILINE | re.IGNORECASE)
#: Extensions of pages rather than files: links to them are page links, not media.
_PAGE_SUFFIXES = {"", ".html", ".htm", ".md", ".markdown", ".php", ".asp", ".aspx", ".jsp", ".shtml", ".xml",
                  ".rss", ".atom", ".cfm"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
REDIRECTS_BEGIN = "# vestka import: begin (old URLs with a query string; Netlify syntax)"
REDIRECTS_END = "# vestka import: end"


def link_targets(text: str) -> list[str]:
    """Every link or image target written in `text`, in order."""
    return [m["a"] or m["b"] or m["c"] for m in _TARGETS.finditer(text)]


def map_targets(text: str, new_target: Callable[[str], str | None],
                html_target: Callable[[str], str | None] | None = None, html: bool = True) -> str:
    """`text` with each link target replaced by `new_target(target)` when that is not None.

    Targets in HTML attributes go through `html_target` when it is given, and are left alone
    when `html` is false (rules that hold for Markdown links only).
    """
    def fix(match: re.Match[str]) -> str:
        lead = match["md"] or match["ref"] or match["attr"]
        target = match["a"] or match["b"] or match["c"]
        if match["attr"] and not html:
            return match[0]
        new = (html_target or new_target)(target) if match["attr"] else new_target(target)
        return match[0] if new is None else lead + new

    return _TARGETS.sub(fix, text)


def own_path(target: str, hosts: Iterable[str]) -> str | None:
    """The site path ("/a/b.png?x#y") of a link to the old site itself, or None."""
    if target.startswith("//"):
        target = "https:" + target
    if _SCHEME.match(target):
        try:
            parts = urlsplit(target)
            host = (parts.hostname or "").lower().rstrip(".")
        except ValueError:
            return None
        if parts.scheme not in ("http", "https") or not host:
            return None
        if host not in hosts and host.removeprefix("www.") not in {h.removeprefix("www.") for h in hosts}:
            return None
        return (parts.path or "/") + ("?" + parts.query if parts.query else "") + (
            "#" + parts.fragment if parts.fragment else "")
    return target if target.startswith("/") else None


def is_media_target(target: str) -> bool:
    path = target.split("?")[0].split("#")[0]
    if "//" in path:
        path = path.split("//", 1)[1].partition("/")[2]  # the path after the host name
    path = unquote(path)
    return posixpath.splitext(path.rsplit("/", 1)[-1])[1].lower() not in _PAGE_SUFFIXES


def find_media(texts: Iterable[str], resolve: Callable[[str], tuple[Path, str] | None],
               hosts: Iterable[str] = ()) -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """Local files that `texts` (a body, an image field) refer to, and references to no file.

    `resolve(target)` gives (file on disk, site path to publish it at) for a target that names a
    file of the old site, or None. Remote files are not media here (see `--fetch-media`).
    """
    hosts = tuple(hosts)
    found: dict[str, tuple[str, str, str]] = {}
    missing: list[str] = []
    for text in texts:
        targets = link_targets(text) if ("(" in text or "=" in text or "]:" in text) else []
        if text and not targets and "\n" not in text and " " not in text:
            targets = [text]  # a bare front-matter value such as image: /img/a.png
        for target in targets:
            if target in found or target in missing or target.startswith(("#", "mailto:", "data:")):
                continue
            if (_SCHEME.match(target) or target.startswith("//")) and own_path(target, hosts) is None:
                continue
            if not is_media_target(target):
                continue
            hit = resolve(target)
            if hit is None:
                missing.append(target)
                continue
            local, site_path = hit
            if not check_url_path(site_path):
                found[target] = (target, str(local), site_path)
    return tuple(found.values()), tuple(missing)


def place(item: ImportedItem, content_dir: Path, dry_run: bool, result: SaveResult) -> tuple[str, str]:
    """Copy the item's local media into content/ at their old paths and point the body at them.

    The build publishes files under content/ at the same path, so a file keeps its old URL
    (links to a report's PDF from elsewhere keep working).
    """
    if not item.media:
        return item.body, item.image
    moved: dict[str, str] = {}
    for ref, local, site_path in item.media:
        target = content_dir / site_path.lstrip("/")
        if not target.resolve().is_relative_to(content_dir.resolve()):
            continue
        source = Path(local)
        if target.exists() and not filecmp.cmp(source, target, shallow=False):
            result.warnings.append(Problem("warning", item.origin, None,
                                           f"content{site_path} exists with other content; not overwritten",
                                           "compare the two files and keep the right one"))
        elif not target.exists():
            if not dry_run:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            if site_path not in result.media:
                result.media.append(site_path)
        moved[ref] = quote(site_path, safe="/:@!$&'()*+,;=-._~")
    body = map_targets(item.body, moved.get)
    return body, moved.get(item.image, item.image)


def rewrite_links(body: str, rel: str, old_paths: Mapping[str, str], hosts: Iterable[str],
                  page_urls: Mapping[str, str] | None = None, loose: Mapping[str, str] | None = None) -> str:
    """Links to old URLs of imported items point at their new Markdown files.

    `rel` is the item's own file below content/; `old_paths` maps old URL paths to files.
    The build turns a relative link to a .md file into the page's URL, whatever the permalinks;
    it does not look into raw HTML, so a link there gets the page's new URL from `page_urls`.
    `loose` (from `loose_paths`) finds a page when the link and the old URL differ only in
    the forms static hosts serve alike: /a/b, /a/b/, /a/b.html and /a/b/index.html.
    """
    hosts = frozenset(hosts)
    folder = posixpath.dirname(rel)

    def target_file(target: str) -> tuple[str, str] | None:
        path = own_path(target, hosts)
        if path is None:
            return None
        path, _, fragment = path.partition("#")
        path = unquote(path)
        for key in _candidates(path):
            found = old_paths.get(key)
            if found is not None:
                return found, fragment
        if loose is not None and "?" not in path:
            found = loose.get(loose_key(path))
            if found is not None:
                return found, fragment
        return None

    def new_target(target: str) -> str | None:
        hit = target_file(target)
        if hit is None:
            return None
        found, fragment = hit
        link = posixpath.relpath(found, folder or ".")
        return quote(link, safe="/-._~") + ("#" + fragment if fragment else "")

    def html_target(target: str) -> str | None:
        hit = target_file(target)
        if hit is None or page_urls is None or hit[0] not in page_urls:
            return new_target(target)
        found, fragment = hit
        return quote(page_urls[found], safe="/-._~") + ("#" + fragment if fragment else "")

    return map_targets(body, new_target, html_target)


def loose_key(path: str) -> str:
    """/a/b, /a/b/, /a/b.html and /a/b/index.html alike (static hosts serve them as one page)."""
    path = path.removesuffix("index.html").removesuffix("index.htm")
    for suffix in (".html", ".htm"):
        path = path.removesuffix(suffix)
    return path.rstrip("/") or "/"


def loose_paths(old_paths: Mapping[str, str]) -> dict[str, str]:
    """Old URL paths by `loose_key`, each kept only when it names one file."""
    found: dict[str, set[str]] = {}
    for path, rel in old_paths.items():
        if "?" not in path:
            found.setdefault(loose_key(path), set()).add(rel)
    return {key: next(iter(rels)) for key, rels in found.items() if len(rels) == 1}


def _candidates(path: str) -> list[str]:
    keys = [path]
    if path.endswith("/index.html"):
        keys.append(path.removesuffix("index.html"))
    elif not path.endswith("/") and "?" not in path and "." not in path.rsplit("/", 1)[-1]:
        keys.append(path + "/")
    return keys


def write_redirects(path: Path, redirects: list[tuple[str, str]], dry_run: bool, result: SaveResult) -> None:
    """Write the importer's block of `_redirects` (Netlify syntax), keeping every other line."""
    lines = [REDIRECTS_BEGIN]
    for old, new in sorted(set(redirects)):
        where, _, query = old.partition("?")
        params = " ".join(query.split("&"))
        lines.append(f"{where} {params} {new} 301")
    lines.append(REDIRECTS_END)
    block = "\n".join(lines) + "\n"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if REDIRECTS_BEGIN in text and REDIRECTS_END in text:
        before, rest = text.split(REDIRECTS_BEGIN, 1)
        after = rest.split(REDIRECTS_END, 1)[1].lstrip("\n")
        new_text = before + block + after
    else:
        new_text = text + ("\n" if text and not text.endswith("\n") else "") + block
    for old, new in sorted(set(redirects)):
        result.warnings.append(Problem("warning", "", None,
                                       f"old URL {old} has a query string: no redirect page can serve it; "
                                       f"content/_redirects (published as /_redirects) sends it to {new} on hosts that read that file"))
    if new_text != text and not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_text, encoding="utf-8")
