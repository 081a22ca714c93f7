"""Active content in files copied from content/: HTML, SVG and XML files that can run script.

Markdown bodies are cleaned by `sanitize: true`, but files beside them are copied as they are, and a
browser runs the script of an SVG or HTML file opened from the site (over http and from file://).
With `sanitize: true` such a file is an error naming what it holds (a `<script>`, an event-handler
attribute, a `javascript:` URL, ...); without it, `vestka check` warns about each one.

Detection tokenises the file as a browser's HTML parser would (entities in attribute values decoded,
namespace prefixes ignored), and treats what it cannot see through (XML entity declarations, style
sheets that may be XSLT, compressed SVG) as active. It errs on the side of reporting.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from generator.errors import Problem
from generator.model import SourceFile

#: Files a browser may run script from when they are opened directly.
ACTIVE_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".svg", ".svgz", ".xml", ".xsl", ".xslt")
#: Elements that run script or embed other documents.
_ACTIVE_ELEMENTS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet",
                              "foreignobject", "handler", "listener", "base", "portal"})
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application/xhtml")


@functools.cache
def _finder() -> type[Any]:
    # html.parser is imported when an HTML or SVG file is checked, not by every build (a no-op one).
    from html.parser import HTMLParser

    class _Finder(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.found = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self.found:
                return
            name = tag.rpartition(":")[2]
            if name in _ACTIVE_ELEMENTS:
                self.found = f"a <{tag}> element"
                return
            for attr, value in attrs:
                local = attr.rpartition(":")[2]
                plain = _INVISIBLE.sub("", value or "").lower()
                if local.startswith("on"):
                    self.found = f"an event-handler attribute {attr!r} on <{tag}>"
                elif any(scheme in plain for scheme in _SCHEMES):
                    self.found = f"a script URL in the {attr!r} attribute of <{tag}>"
                elif name == "meta" and local == "http-equiv" and plain == "refresh":
                    self.found = "a <meta http-equiv=refresh> redirect"
                if self.found:
                    return

        handle_startendtag = handle_starttag

        def handle_pi(self, data: str) -> None:
            if not self.found and data.lower().startswith("xml-stylesheet"):
                self.found = "an xml-stylesheet instruction (XSLT can run script)"

        def handle_decl(self, decl: str) -> None:
            if not self.found and "<!entity" in f"<!{decl}".lower():
                self.found = "an XML entity declaration"

        def unknown_decl(self, data: str) -> None:
            self.handle_decl(data)

    return _Finder


def find_active(data: bytes, suffix: str) -> str:
    """What in `data` can run script when a browser opens it, or "" for nothing found."""
    if suffix == ".svgz":
        return "compressed SVG, which cannot be checked"
    text = data.decode("utf-8", errors="replace")
    if "<!entity" in text.lower():
        return "an XML entity declaration"
    finder = _finder()()
    finder.feed(text)
    finder.close()
    return finder.found


def check_assets(assets: list[SourceFile], *, sanitize: bool, checking: bool) -> list[Problem]:
    """Errors (with `sanitize`) or warnings (when `checking`) for content/ files with active content."""
    if not sanitize and not checking:
        return []
    problems = []
    for asset in assets:
        suffix = os.path.splitext(asset.rel_path)[1].lower()  # no Path per file: an archive has many
        if suffix not in ACTIVE_SUFFIXES:
            continue
        try:
            found = find_active(asset.path.read_bytes(), suffix)
        except OSError as exc:
            found = f"a file that cannot be read ({exc.strerror})"
        if not found:
            continue
        where = f"content/{asset.rel_path}"
        if sanitize:
            problems.append(Problem("error", where, None, f"holds {found}, which would run in visitors' "
                                    "browsers; with 'sanitize: true' it is not published",
                                    "remove that part, convert the page with 'vestka import html', or move "
                                    "the file to static/ if it is trusted"))
        else:
            problems.append(Problem("warning", where, None, f"holds {found}, which runs in visitors' browsers "
                                    "when the file is opened", "if this file came from an untrusted source, set "
                                    "'sanitize: true' in config.yaml to refuse such files"))
    return problems
