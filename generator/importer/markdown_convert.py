"""HTML to Markdown for every importer: sanitise first, then convert, then tidy.

Sanitising comes before conversion so that nothing active (scripts, styles, iframes, event
handlers, `javascript:` links) can reach the Markdown, whatever the source was. The output
is deterministic: the same HTML always gives the same bytes, which re-imports rely on to
report "unchanged".
"""

from __future__ import annotations

import re
from html import unescape

import markdownify
import nh3

# Structure worth keeping in an article; anything else is unwrapped to its text.
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "code": {"class"},
    "pre": {"class"},
}
# Content of these tags is dropped with the tag (nh3 keeps the text of other removed tags).
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg",
                      "math", "form", "select", "textarea", "button"}
_URL_SCHEMES = {"http", "https", "mailto", "ftp", "tel"}


def sanitize_html(html: str) -> str:
    """HTML with only harmless tags, attributes and URL schemes left."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


class _Converter(markdownify.MarkdownConverter):
    """markdownify with figure captions kept as an emphasised line under the image."""

    def convert_figcaption(self, el, text, parent_tags):  # noqa: ANN001, ANN201 - markdownify's API
        text = text.strip()
        return f"\n\n*{text}*\n\n" if text else ""


_CODE_CLASS = re.compile(r"(?:language|lang|highlight)-([\w+#-]+)")


def _code_language(el) -> str:  # noqa: ANN001 - a BeautifulSoup tag
    for node in (el, el.find("code")):
        if node is None:
            continue
        for cls in node.get("class") or []:
            match = _CODE_CLASS.match(cls)
            if match:
                return match.group(1)
    return ""


def html_to_markdown(html: str) -> str:
    """Sanitised Markdown for an HTML fragment; "" when nothing is left."""
    clean = sanitize_html(html)
    text = _Converter(
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        code_language_callback=_code_language,
        escape_misc=False,
        newline_style="backslash",
        table_infer_header=True,
    ).convert(clean)
    return tidy_markdown(text)


def tidy_markdown(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank start or end.

    Lines inside fenced code blocks are left as they are.
    """
    out: list[str] = []
    in_fence = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence:
            line = line.rstrip()
            if not line.strip():
                line = ""
            if line == "" and out and out[-1] == "":
                continue
        out.append(line)
    return "\n".join(out).strip("\n")


_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])(?=\s|$)")


def escape_text(paragraph: str) -> str:
    """Plain text as a Markdown paragraph that renders as exactly that text.

    Only characters Markdown would act on are escaped, so ordinary prose (quotes, dashes,
    Cyrillic) is written unchanged.
    """
    text = _INLINE_SPECIAL.sub(r"\\\1", paragraph)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                            else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def html_to_text(html: str) -> str:
    """Plain one-line text of an HTML fragment (for summaries and titles)."""
    stripped = nh3.clean(html, tags=set(), clean_content_tags=_DROP_WITH_CONTENT, strip_comments=True)
    return " ".join(unescape(stripped).split())
