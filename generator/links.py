"""Check the links in article bodies against every page, list page and file of the site."""

from __future__ import annotations

import re
from pathlib import Path

from generator.errors import Problem
from generator.model import Page, RenderedBody, Site, SourceFile
from generator.site_paths import FIXED_PAGES


def check_links(site: Site, bodies: dict[str, RenderedBody], assets: list[SourceFile],
                static: dict[str, SourceFile], content_dir: Path | None = None) -> list[Problem]:
    """Warnings for body links to site paths that no page, asset or static file provides."""
    known_files = {a.rel_path for a in assets} | {f"static/{rel}" for rel in static}
    list_urls = {listing.url_path for group in site.listings.values() for listing in group} | {"/"}
    alias_urls = {alias.url_path.casefold() for alias in site.aliases}
    for code in {page.lang for page in site.pages.values()}:
        list_urls.update(f"/{code}/{name}" for name in ("", *(f"{page}/" for page in FIXED_PAGES)))
    problems = []
    for source, body in bodies.items():
        for link in body.internal_links:
            path = link.split("#")[0].split("?")[0]
            if path.startswith("vestka-src:"):
                ok = path[len("vestka-src:"):] in site.pages
            elif path.endswith("/"):
                ok = path in site.url_index or path in list_urls
            else:
                ok = path.lstrip("/") in known_files or path in site.url_index
            ok = ok or path.casefold() in alias_urls or (path + "/").casefold() in alias_urls
            if not ok:
                problems.append(Problem("warning", source, _link_line(site.pages[source], link, content_dir),
                                        f"link to {link.removeprefix('vestka-src:')} points at no page or file",
                                        "fix the link, or check that the target is not a draft"))
    return problems


def _link_line(page: Page, link: str, content_dir: Path | None) -> int:
    """The line of the page's file where `link` is written (found by its last part), else the
    body's first. The file is read again: bodies are not kept, and broken links are few."""
    target = link.removeprefix("vestka-src:").split("#")[0].rstrip("/")
    needle = target.rsplit("/", 1)[-1] or target
    if content_dir is None:
        return page.body_line
    try:
        lines = (content_dir / page.source.removeprefix("content/")).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return page.body_line
    for number in range(page.body_line - 1, len(lines)):
        if needle and needle in lines[number]:
            return number + 1
    return page.body_line


_EXTERNAL = re.compile(r"""<(img|audio|video|source|iframe|embed|track)\b[^>]*?\bsrc\s*=\s*["']((?:https?:)?//[^"']+)""",
                       re.IGNORECASE)


def blocked_resources(bodies: dict[str, RenderedBody]) -> list[Problem]:
    """One warning per file whose body loads pictures, sound or frames from other hosts: the
    default theme's Content-Security-Policy blocks them, so readers would see nothing."""
    problems = []
    for source, body in bodies.items():
        html = body.html
        if "//" not in html:
            continue
        found = _EXTERNAL.findall(html)
        if found:
            kinds = ", ".join(f"{tag.lower()} {url}" for tag, url in found[:3]) + (", …" if len(found) > 3 else "")
            problems.append(Problem("warning", source, None,
                                    f"{len(found)} external resource(s) the theme's Content-Security-Policy blocks: "
                                    + kinds,
                                    "import with --fetch-media, or copy the files into the site and link them"))
    return problems
