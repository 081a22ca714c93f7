"""The quick inline stage gives exactly the HTML of Python-Markdown's own, on any text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.markup import MarkdownRenderer
from generator.model import Page

# Pieces that start, end or nearly make every inline construct, mixed with plain words, so
# that random text hits the patterns (and their near misses) often.
PIECES = ["`", "``", "\\", "\\\\", "[", "]", "(", ")", "![", "[^1]", "<", ">", "&", "&amp;", "&#1046;", "*", "**",
          "_", "__", "  \n", "\n", "\n\n", "    ", "<b>", "</b>", "<https://example.org/a>", "<a@b.org>",
          "[x](/en/a/)", "[x][r]", "[r]: /en/b/\n", "![i](p.jpg)", "*[HTML]: Hyper Text", "HTML", "# ", "- ",
          "1. ", "> ", "| a | b |\n|---|---|\n| 1 | 2 |\n", "```\ncode\n```\n", "{: #id }", " ", "word",
          "праваабаронцы", "Вясна", ".", ":", "!", "~", "|", "-", "=", "+"]

BASE = Page(source="content/en/2020/a.md", body_line=5, title="A", date=datetime(2020, 1, 1, tzinfo=UTC),
            updated=None, slug="a", lang="en", section="news", kind="article", tags=(), authors=(), summary="",
            image="", draft=False, translation_key="", aliases=(), original_url="", template="",
            meta=MappingProxyType({}), body_md="", url_path="/en/a/", output_path="en/a/index.html")


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_quick_inline_stage_matches_the_stock_one(pieces: list[str]) -> None:
    page = replace(BASE, body_md="".join(pieces))
    quick = MarkdownRenderer(quick=True).render(page)
    stock = MarkdownRenderer(quick=False).render(page)
    assert quick.html == stock.html
    assert (quick.summary_text, quick.toc, quick.internal_links) == (
        stock.summary_text, stock.toc, stock.internal_links)


def test_the_quick_stage_is_in_use_and_knows_every_pattern() -> None:
    """Every inline pattern of the fixed extension set is gated; a new one would be tried always."""
    renderer = MarkdownRenderer()
    inline = renderer.md.treeprocessors["inline"]
    assert type(inline).__name__ == "_QuickInlineProcessor"
    needs = inline._needs(renderer.md.inlinePatterns)
    unknown = [renderer.md.inlinePatterns[i] for i, need in enumerate(needs) if need is None]
    assert unknown == []
