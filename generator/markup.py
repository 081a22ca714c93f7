"""Markdown to HTML with one configured Python-Markdown instance per build (or per worker).

Extensions, fixed and documented in README: `extra` (tables, footnotes, fenced code, attribute
lists, definition lists, abbreviations, Markdown in HTML), `toc` (heading ids) and `sane_lists`.

Links inside a body are resolved here to paths from the site root ("/en/2016/05/report/"),
and made relative only at render time by `render.relink`. That keeps the HTML of a body the
same wherever the page lives, so it can be cached; raw HTML links written from the root are
made relative by the same pass.
"""

from __future__ import annotations

import html as html_lib
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import markdown
from markdown import util
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from generator.model import Page, RenderedBody

#: The content format: Python-Markdown with `extra`, `toc` and `sane_lists`.
EXTENSIONS = ["extra", "toc", "sane_lists"]


def _extensions() -> list[markdown.Extension]:
    """`EXTENSIONS` as objects, `extra` as the extensions it registers, in its order: named,
    Markdown looks each up among the entry points of every installed package, which took a
    one-article edit 35 ms."""
    from markdown.extensions import extra
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension
    from markdown.extensions.toc import TocExtension

    parts = {"fenced_code": FencedCodeExtension, "footnotes": FootnoteExtension, "attr_list": AttrListExtension,
             "def_list": DefListExtension, "tables": TableExtension, "abbr": AbbrExtension,
             "md_in_html": MarkdownInHtmlExtension}
    assert list(parts) == extra.extensions, "Python-Markdown's extra changed: list its extensions anew"
    return [*(make() for make in parts.values()), TocExtension(permalink=False), SaneListExtension()]
#: Marks a link to another Markdown source (content/...md), resolved to its page URL later.
SOURCE = "vestka-src:"
SUMMARY_LENGTH = 200
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class _LinkCollector(Treeprocessor):
    """Rewrites link targets to site paths and records them; fills `lazy` on images."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.source_dir = ""
        self.links: list[str] = []

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if el.tag == "a":
                self._fix(el, "href")
            elif el.tag == "img":
                self._fix(el, "src")
                el.set("loading", "lazy")
                el.set("decoding", "async")

    def _fix(self, el: etree.Element, attr: str) -> None:
        value = el.get(attr)
        if value is None:
            return
        # Python-Markdown hides e-mail autolinks (<x@example.org>) as character references
        # behind a placeholder; decoded they are mailto: links, not site paths.
        if util.AMP_SUBSTITUTE in value and _SCHEME.match(
                html_lib.unescape(value.replace(util.AMP_SUBSTITUTE, "&"))):
            return
        target = resolve_link(value, self.source_dir)
        if target is not None:
            self.links.append(target)
            el.set(attr, target)


def resolve_link(value: str, source_dir: str) -> str | None:
    """A body link as a site path ("/en/a/") or source ref; None for external or fragment links.

    `source_dir` is the folder of the Markdown file below content/ ("en/2016").
    """
    value = value.strip()
    if not value or value.startswith(("#", "//")) or _SCHEME.match(value):
        return None
    parts = urlsplit(value)
    path = unquote(parts.path)
    suffix = ("?" + parts.query if parts.query else "") + ("#" + parts.fragment if parts.fragment else "")
    if not path:
        return None
    if path.startswith("/"):
        resolved = posixpath.normpath(path)
    else:
        resolved = posixpath.normpath("/" + posixpath.join(source_dir, path))
    if resolved.startswith("//") or ".." in resolved.split("/"):
        return None
    if path.endswith("/") and not resolved.endswith("/"):
        resolved += "/"
    if resolved.endswith((".md", ".markdown")) and not path.startswith("/"):
        return SOURCE + "content" + resolved + suffix
    return resolved + suffix


#: For each of Python-Markdown's inline patterns, strings one of which the text must contain
#: for the pattern to match anywhere in it (its regular expression cannot match without).
_PATTERN_NEEDS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",), "escape": ("\\",), "footnote": ("[",), "reference": ("[",), "link": ("[",),
    "image_link": ("[",), "image_reference": ("[",), "short_reference": ("[",), "short_image_ref": ("[",),
    "autolink": ("<",), "automail": ("<",), "linebreak": ("  \n",), "html": ("<",), "entity": ("&",),
    "em_strong": ("*", "_"), "em_strong2": ("_",), "not_strong": ("*", "_"), "strong_em": ("*",),
    "strong": ("*",), "emphasis": ("*",), "emphasis2": ("_",),
}


class _QuickInlineProcessor(InlineProcessor):
    """Python-Markdown's inline stage, which skips a pattern when the text holds none of the
    characters it needs. Most text of news prose holds none of `, \\, [, <, &, * or _, and
    trying a dozen patterns on every piece of text is a fifth of the conversion time. The
    result is the same as the stock stage's (a test compares the two on random text)."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.needs = self._needs(self.inlinePatterns)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data
        patterns = self.inlinePatterns
        needs = self.needs
        start = 0
        count = len(patterns)
        while patternIndex < count:
            need = needs[patternIndex]
            if need is not None and not any(text in data for text in need):
                patternIndex += 1
                start = 0
                continue
            data, matched, start = self._InlineProcessor__applyPattern(  # type: ignore[attr-defined]
                patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data

    def _needs(self, patterns: util.Registry) -> list[tuple[str, ...] | None]:
        """What each pattern needs, by its index (None: unknown, so always tried)."""
        found: list[tuple[str, ...] | None] = [None] * len(patterns)
        for name, need in _PATTERN_NEEDS.items():
            if name in patterns:
                found[patterns.get_index_for_name(name)] = need
        return found


class MarkdownRenderer:
    """One Python-Markdown instance, reset between documents (building one costs ~1 ms)."""

    def __init__(self, sanitize: bool = False, quick: bool = True) -> None:
        self.md = markdown.Markdown(extensions=_extensions(), output_format="html")
        self.collector = _LinkCollector(self.md)
        self.md.treeprocessors.register(self.collector, "vestka-links", 1)
        if quick:
            self.md.treeprocessors.register(_QuickInlineProcessor(self.md), "inline", 20)
        self.sanitize: Callable[[str], str] | None = _sanitizer() if sanitize else None

    def render(self, page: Page) -> RenderedBody:
        parts = page.source.split("/")
        self.collector.source_dir = "/".join(parts[1:-1])
        self.collector.links = []
        self.md.reset()
        html = self.md.convert(page.body_md)
        if self.sanitize is not None:
            html = self.sanitize(html)
        toc = getattr(self.md, "toc", "") if getattr(self.md, "toc_tokens", None) else ""
        links = self.collector.links + _raw_html_links(self.md.htmlStash.rawHtmlBlocks)
        return RenderedBody.of(html, first_paragraph_text(html), toc, tuple(links))


_RAW_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["'](/(?!/)[^"'\s]*)["']""", re.IGNORECASE)


def _raw_html_links(blocks: list) -> list[str]:
    """Links written from the site root inside raw HTML blocks, which Markdown's tree never sees."""
    return [resolve_link(match, "") or match for block in blocks if isinstance(block, str)
            for match in _RAW_LINK.findall(block)]


_SRCSET = re.compile(r'(\ssrcset=")([^"]*)"')
_SITE_LINK = re.compile(r'(\s(?:href|src)=")(/(?!/)[^"]*|' + re.escape(SOURCE) + r'[^"]*)"')


def rewrite_site_links(html: str, source_urls: dict[str, str], link_for: Callable[[str], str]) -> str:
    """Replace each link of a body that is written from the site root (or names a Markdown
    source) by `link_for(site path with its #fragment)`: relative on pages, absolute in feeds."""
    if '="/' not in html and SOURCE not in html:
        return html

    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if target.startswith(SOURCE):
            ref, _, fragment = target[len(SOURCE):].partition("#")
            page_url = source_urls.get(ref)
            if page_url is None:
                return match.group(0)
            target = page_url + ("#" + fragment if fragment else "")
        return f'{match.group(1)}{link_for(target)}"'

    html = _SITE_LINK.sub(fix, html)
    if " srcset=\"/" not in html:
        return html

    def fix_set(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match.group(2).split(", "):
            target, space, descriptor = candidate.partition(" ")
            candidates.append((link_for(target) if target.startswith("/") and not target.startswith("//")
                               else target) + space + descriptor)
        return f'{match.group(1)}{", ".join(candidates)}"'

    return _SRCSET.sub(fix_set, html)


_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&(#x?[0-9a-fA-F]+|[a-zA-Z]+);")


def first_paragraph_text(html: str, limit: int = SUMMARY_LENGTH) -> str:
    """The first non-empty paragraph as plain text, cut at a word boundary near `limit`."""
    for match in _PARAGRAPH.finditer(html):
        text = " ".join(html_lib.unescape(_TAG.sub("", match.group(1))).split())
        if text:
            return cut_text(text, limit)
    return ""


def cut_text(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """`text` cut at the last word boundary before `limit`, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-—") + "…"


def _sanitizer() -> Callable[[str], str]:
    """nh3 with the tags Markdown produces, our link markers allowed, active content removed."""
    import nh3

    tags = set(nh3.ALLOWED_TAGS) | {"figure", "figcaption", "details", "summary", "mark", "del", "ins"}
    tags -= {"script", "style", "iframe", "object", "embed", "form", "input", "button"}
    attributes = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "div", "span", "table", "td", "th", "sup", "a", "ol"):
        attributes.setdefault(tag, set()).update({"id", "class"})
    attributes.setdefault("img", set()).update({"src", "alt", "title", "width", "height", "loading", "decoding"})
    attributes.setdefault("a", set()).update({"href", "title", "rel"})
    attributes["a"].discard("rel")
    schemes = set(nh3.ALLOWED_URL_SCHEMES) | {"vestka-src"}
    cleaner = nh3.Cleaner(tags=tags, attributes=attributes, url_schemes=schemes, link_rel=None)
    return cleaner.clean
