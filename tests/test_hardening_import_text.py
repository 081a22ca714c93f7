"""Text stays text through every importer and the build: escaped markup in a source never becomes a tag.

A fragment of HTML is drawn at random: a few harmless structural tags around text that is full of
escaped markup (`&lt;script&gt;`, event handlers, `javascript:` links) and of Markdown syntax that
Python-Markdown and its extensions would turn into elements (links, images, headings, tables,
`{: onclick=...}` attribute lists, fences, footnotes, definition lists). The fragment goes into a
WordPress export, an RSS feed, an Atom feed (XHTML content), a web page, a Jekyll and a Hugo site and,
as plain text, a scraped dump; each is imported into one site, which is then built. In every article
body and every feed entry, each element must be one of the fragment's structural tags (or a paragraph
or line break), with no event-handler attribute and no `javascript:` URL.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from generator.build import Options, build
from generator.config import load_config
from generator.importer import run_import

CONFIG = """\
title: Import archive
base_url: https://example.org/
timezone: Europe/Minsk
languages:
  - {code: en, name: English}
search: false
"""
PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=//evil.example/>",
    "<svg onload=alert(1)>", "<a href='javascript:alert(1)'>x</a>", "\\<script>alert(2)\\</script>",
    "&lt;b&gt; double escaped", "[x](javascript:alert(1))", "![i](x.png)", "<https://autolink.example>",
    "# Heading", "* item", "1. item", "> quote", "`code`", '{: onclick="alert(1)"}', "a | b",
    "--- | ---", "Term\n: definition", "[^1]", "[^1]: note", "*[HTML]: Hyper", "<!-- comment -->",
    "~~~", "```", "---", "===", "<details open ontoggle=alert(1)>", "**bold** _em_", "&amp; &#60;x&#62;",
]
TEXT = st.lists(st.one_of(st.sampled_from(PAYLOADS), st.text(alphabet="<>&*_[]`#{}|:!-=~ \n\\ab/1.;\"'",
                                                               max_size=12)), min_size=1, max_size=5)
STRUCTURE = ["p", "em", "strong", "li", "blockquote", "h2"]


def fragment_html(blocks: list[tuple[str, list[str]]]) -> tuple[str, set[str]]:
    out, used = [], {"p"}
    for tag, pieces in blocks:
        text = html.escape(" ".join(pieces))
        if tag == "li":
            out.append(f"<ul><li>{text}</li></ul>")
            used |= {"ul", "li"}
        elif tag == "blockquote":
            out.append(f"<blockquote><p>{text}</p></blockquote>")
            used.add("blockquote")
        elif tag in ("em", "strong"):
            out.append(f"<p>Lead <{tag}>{text}</{tag}> tail.</p>")
            used.add(tag)
        else:
            out.append(f"<{tag}>{text}</{tag}>")
            used.add(tag)
    return "\n".join(out), used


FILLER = ("<p>This paragraph is long enough for an extractor to keep the article: it talks about the "
          "courts, detentions and appeals in several regions over many years.</p>")


def write_sources(root: Path, frag: str, plain: str) -> dict[str, Path]:
    cdata = frag.replace("]]>", "]]]]><![CDATA[>")
    files = {
        "wordpress/export.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>W</title><link>https://w.example.org</link>
<language>en</language><wp:wxr_version>1.2</wp:wxr_version>
<item><title>WordPress post</title><link>https://w.example.org/2012/05/wp-post/</link>
<dc:creator><![CDATA[anna]]></dc:creator><content:encoded><![CDATA[{cdata}]]></content:encoded>
<wp:post_id>1</wp:post_id><wp:post_date><![CDATA[2012-05-15 13:45:53]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2012-05-15 10:45:53]]></wp:post_date_gmt><wp:post_name><![CDATA[wp-post]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type></item></channel></rss>
""",
        "rss/feed.xml": f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>F</title>
<link>https://f.example.org/</link><item><title>RSS item</title><link>https://f.example.org/rss-item</link>
<pubDate>Tue, 15 May 2012 10:45:53 +0000</pubDate><description>{html.escape(frag)}</description></item>
</channel></rss>""",
        "atom/feed.xml": f"""<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>A</title><id>urn:a</id><updated>2012-05-15T10:00:00Z</updated><entry><title>Atom entry</title>
<id>urn:a:1</id><link href="https://a.example.org/atom-entry"/><updated>2012-05-15T10:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{frag}</div></content></entry></feed>""",
        "html/page.html": f"""<!DOCTYPE html><html lang="en"><head><title>Web page</title>
<meta property="article:published_time" content="2012-05-15T13:45:53+03:00"></head><body><article>
<h1>Web page</h1>{FILLER}{frag}{FILLER}</article></body></html>""",
        "jekyll/_posts/2012-05-15-jekyll-post.html": f"---\ntitle: Jekyll post\n---\n{frag}\n",
        "hugo/config.yaml": "title: H\nbaseURL: https://h.example.org/\n",
        "hugo/content/posts/hugo-post.html": f"---\ntitle: Hugo post\ndate: 2012-05-15\n---\n{frag}\n",
        "dump/article.txt": f"Dump article\n\n2012 2012-05-15T13:45:53+0300 2012-05-15T13:45:53+0300 en\n\n{plain}\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return {"wordpress": root / "wordpress/export.xml", "feed": root / "rss/feed.xml",
            "atom": root / "atom/feed.xml", "html": root / "html/page.html", "jekyll": root / "jekyll",
            "hugo": root / "hugo", "dump": root / "dump"}


class _Elements(HTMLParser):
    """Every start tag inside <div class="body"> of an article (or the whole input), with attributes."""

    def __init__(self, *, whole: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 1 if whole else 0
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.found.append((tag, attrs))
            if tag not in ("br", "img", "hr"):
                self.depth += 1
        elif tag == "div" and ("class", "body") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in ("br", "img", "hr"):
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def bad_elements(markup: str, allowed: set[str], *, whole: bool = False) -> list[str]:
    parser = _Elements(whole=whole)
    parser.feed(markup)
    bad = []
    for tag, attrs in parser.found:
        if tag not in allowed:
            bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or re.match(r"\s*(javascript|vbscript|data):", value or "", re.I):
                bad.append(f"<{tag} {name}={value!r}>")
    return bad


def import_and_build(root: Path, blocks: list[tuple[str, list[str]]]) -> tuple[Path, set[str], list[str]]:
    frag, used = fragment_html(blocks)
    plain = "\n\n".join(" ".join(pieces).replace("\n", " ") for _, pieces in blocks)
    site = root / "site"
    (site / "content").mkdir(parents=True)
    (site / "config.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config(site)
    imported = []
    for fmt, source in write_sources(root / "sources", frag, plain).items():
        report = run_import("feed" if fmt == "atom" else fmt, [source], config, lang="en")
        imported += [path for path, _ in report.written]
    build(load_config(site), Options(use_cache=False))
    return site, used | {"p", "br"}, imported


def check_site(site: Path, allowed: set[str]) -> list[str]:
    problems = []
    pages = 0
    for page in sorted((site / "output").rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if '<article class="article"' in text:
            pages += 1
            problems += [f"{page.relative_to(site)}: {b}" for b in bad_elements(text, allowed)]
    for feed in sorted((site / "output").rglob("*.xml")):
        root = ET.parse(feed).getroot()
        for el in root.iter():
            name = el.tag.rsplit("}", 1)[-1]
            atom_text = el.tag.startswith("{http://www.w3.org/2005/Atom}") and el.get("type", "text") == "text"
            if name in ("content", "description", "summary") and el.text and not atom_text:
                problems += [f"{feed.relative_to(site)}: {b}" for b in bad_elements(el.text, allowed, whole=True)]
    assert pages >= 7, f"only {pages} article pages were built"
    return problems


@settings(max_examples=6, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(blocks=st.lists(st.tuples(st.sampled_from(STRUCTURE), TEXT), min_size=1, max_size=4))
def test_escaped_markup_never_becomes_a_tag_through_any_importer_and_the_build(
        tmp_path_factory: pytest.TempPathFactory, blocks: list[tuple[str, list[str]]]) -> None:
    site, allowed, imported = import_and_build(tmp_path_factory.mktemp("import"), blocks)
    assert len(imported) == 7, imported
    assert check_site(site, allowed) == []


def test_the_reported_payloads_stay_visible_text_in_every_importer(tmp_path: Path) -> None:
    """The cases of the report: `&lt;script&gt;alert(1)&lt;/script&gt;` in each kind of source."""
    payload = "<script>alert(1)</script>"
    site, allowed, imported = import_and_build(tmp_path, [("p", [payload, "and", "\\<script>x"])])
    assert len(imported) == 7, imported
    assert check_site(site, allowed) == []
    for page in sorted((site / "output").rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if '<article class="article"' in text:
            parser = _Elements(whole=False)
            parser.feed(text)
            body = " ".join("".join(parser.text).split())
            assert payload in body, f"{page.relative_to(site)}: {body[:300]!r}"
            assert "\\<script>x" in body, f"{page.relative_to(site)}: {body[:300]!r}"
