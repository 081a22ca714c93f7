r"""HTML to Markdown for every importer: sanitise, convert, tidy, and neutralise raw HTML last.

Sanitising comes before conversion so that nothing active (scripts, styles, iframes, event
handlers, `javascript:` links) survives as markup. Conversion then writes every text node so that it
stays text: `<` becomes `&lt;`, entity-like `&` becomes `&amp;` (Python-Markdown does not treat `\<`
as an escape), and whatever Markdown or Python-Markdown's extensions would act on (emphasis, links,
code, `{: attributes}`, tables, headings, lists, fences, definition lists) is escaped. Text that was
`&lt;script&gt;` in the source is therefore never a tag in the page or the feeds. As the last step,
any `<` that would still open an HTML tag outside code is escaped too. The output is deterministic:
the same HTML always gives the same bytes, which re-imports rely on to report "unchanged".
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
    """markdownify that keeps text as text (see the module's doc) and figure captions as an
    emphasised line under the image."""

    def escape(self, text, parent_tags):  # noqa: ANN001, ANN201 - markdownify's API
        return escape_markdown(text) if text else ""

    def convert_figcaption(self, el, text, parent_tags):  # noqa: ANN001, ANN201
        text = text.strip()
        return f"\n\n*{text}*\n\n" if text else ""

    def convert_img(self, el, text, parent_tags):  # noqa: ANN001, ANN201
        alt = escape_markdown(" ".join((el.attrs.get("alt") or "").split()))
        if "_inline" in parent_tags and el.parent.name not in self.options["keep_inline_images_in"]:
            return alt
        title = el.attrs.get("title") or ""
        title_part = f' "{_title(title)}"' if title else ""
        return f"![{alt}]({_url(el.attrs.get('src') or '')}{title_part})"

    def convert_a(self, el, text, parent_tags):  # noqa: ANN001, ANN201
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = markdownify.chomp(text)
        href = el.get("href")
        if not text or not href:
            return f"{prefix}{text}{suffix}"
        title = el.get("title")
        title_part = f' "{_title(title)}"' if title else ""
        return f"{prefix}[{text}]({_url(href)}{title_part}){suffix}"


_TEXT_SPECIAL = re.compile(r"[\\`*_{}\[\]|]")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_LINE_MARK = re.compile(r"^([ \t]*)(?:([#>+\-])|(\d+)([.)])|([=:~]))", re.MULTILINE)
_URL_UNSAFE = re.compile(r"[\s()<>\"\\]")


def escape_markdown(text: str) -> str:
    """`text` written so that Python-Markdown (with extra) renders exactly that text, no element."""
    text = _TEXT_SPECIAL.sub(r"\\\g<0>", text)
    text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")

    def mark(m: re.Match[str]) -> str:
        if m.group(2):
            return f"{m.group(1)}\\{m.group(2)}"
        if m.group(3):
            return f"{m.group(1)}{m.group(3)}\\{m.group(4)}"
        return f"{m.group(1)}&#{ord(m.group(5))};"  # not escapable with a backslash

    return _LINE_MARK.sub(mark, text)


def _url(url: str) -> str:
    """A link target that cannot end the Markdown link early (spaces, brackets, quotes encoded)."""
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), url.strip())


def _title(title: str) -> str:
    return " ".join(title.split()).replace("\\", "&#92;").replace('"', "&quot;").replace("<", "&lt;")


_FENCE_LINE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_RAW_TAG = re.compile(r"<(?=[A-Za-z/!?])(?!(?:https?|ftp)://[^<>\s]*>|[^<>\s!]+@[^@<>\s]+>)")


def neutralise_raw_html(markdown_text: str) -> str:
    """Escape every `<` that would open an HTML tag, comment or declaration outside code.

    The last step of every conversion: whatever the steps before missed, no HTML element can come
    out of imported Markdown except through Markdown syntax. Autolinks (<https://…>) are kept.
    """
    out: list[str] = []
    in_fence = False
    for line in markdown_text.split("\n"):
        if _FENCE_LINE.match(line):
            in_fence = not in_fence
        elif not in_fence and "<" in line:
            parts, last = [], 0
            for code in _CODE_SPAN.finditer(line):
                parts.append(_RAW_TAG.sub("&lt;", line[last:code.start()]))
                parts.append(code.group(0))
                last = code.end()
            parts.append(_RAW_TAG.sub("&lt;", line[last:]))
            line = "".join(parts)
        out.append(line)
    return "\n".join(out)


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
        escape_asterisks=False,  # escape_markdown does these and more
        escape_underscores=False,
        newline_style="backslash",
        table_infer_header=True,
    ).convert(clean)
    return neutralise_raw_html(tidy_markdown(text))


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


def escape_text(paragraph: str) -> str:
    """Plain text as a Markdown paragraph that renders as exactly that text.

    Only characters Markdown would act on are escaped, so ordinary prose (quotes, dashes,
    Cyrillic) is written unchanged.
    """
    return escape_markdown(paragraph)


def html_to_text(html: str) -> str:
    """Plain one-line text of an HTML fragment (for summaries and titles)."""
    stripped = nh3.clean(html, tags=set(), clean_content_tags=_DROP_WITH_CONTENT, strip_comments=True)
    return " ".join(unescape(stripped).split())
