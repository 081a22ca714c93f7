"""Hostile metadata is inert everywhere it appears; `sanitize: true` cleans Markdown bodies.

Every front-matter field that reaches a page (title, tags, authors, summary, image, aliases,
source, translation key and free meta keys) carries script, attribute-breaking and
`javascript:` payloads. Every HTML file of the build is then parsed the way a browser would
tokenise it: no inline script other than JSON-LD, no event-handler attribute, no
`javascript:` URL, and JSON-LD that cannot be closed early. Feeds and the sitemap must be
well-formed XML carrying the payloads as text.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG, article

from generator.build import Options, build
from generator.config import load_config

XSS_TITLE = 'Title <script>alert("T")</script> "><img src=x onerror=alert("T2")> </script><script>alert(3)</script>'
XSS_TAG = '"><svg onload=alert("TAG")>'
XSS_AUTHOR = "<script>alert('AUTHOR')</script>"
XSS_SUMMARY = "</script><script>alert('SUM')</script><!--"
XSS_IMAGE = 'javascript:alert("IMG")//"><img src=x onerror=alert(1)>'
XSS_SOURCE = "javascript:alert('SOURCE')"
XSS_META = {"<script>alert('KEY')</script>": "<img src=x onerror=alert('VAL')>",
            "description": '" onmouseover="alert(1)', "canonical": "javascript:alert(2)"}
PAYLOAD_MARKERS = ["alert(", "onerror", "onload", "onmouseover"]

_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "srcset",
              "ping", "cite", "longdesc", "manifest", "codebase", "icon"}
_BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html|livescript)\s*:", re.IGNORECASE)


class _Inspector(HTMLParser):
    """Collects the active content a browser would run from one HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.json_ld: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}={value!r}>")
            if name in _URL_ATTRS and _BAD_SCHEME.match(re.sub(r"[\x00-\x20]", "", value)):
                self.findings.append(f"<{tag} {name}={value!r}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            target = (values.get("content") or "").split("url=", 1)[-1]
            if _BAD_SCHEME.match(target):
                self.findings.append(f"refresh to {target!r}")
        if tag in ("iframe", "object", "embed", "svg", "form", "base"):
            self.findings.append(f"<{tag}> element")
        if tag == "script":
            self._script = values
            self._script_text = []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self._script is None:
            return
        kind = (self._script.get("type") or "").lower()
        text = "".join(self._script_text)
        if kind == "application/ld+json":
            self.json_ld.append(text)
        elif not self._script.get("src") or text.strip():
            self.findings.append(f"inline script {text[:80]!r}")
        elif _BAD_SCHEME.match(self._script["src"] or "") or "://" in (self._script["src"] or ""):
            self.findings.append(f"script from {self._script['src']!r}")
        self._script = None


def inspect_html(html: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def hostile_site(make_site, **config_lines: str) -> Path:
    config = BASIC_CONFIG + "".join(f"{k}: {v}\n" for k, v in config_lines.items())
    hostile = article(XSS_TITLE, "2011-03-14T10:00:00+02:00", "An ordinary body with a [link](/en/).",
                      tags=[XSS_TAG, "plain"], authors=[XSS_AUTHOR], summary=XSS_SUMMARY, image=XSS_IMAGE,
                      source=XSS_SOURCE, translation_key='"><script>alert("TK")</script>',
                      aliases=['/old/"><script>alert("ALIAS")<', "/old/story.php?id=<script>"], **XSS_META)
    neighbour = article("Neighbour", "2011-03-15T10:00:00+02:00", "Next to it.", tags=[XSS_TAG, "plain"],
                        authors=[XSS_AUTHOR])
    page = article(XSS_TITLE, "2011-03-14", "A page.", summary=XSS_SUMMARY, image=XSS_IMAGE)
    return make_site({"config.yaml": config, "content/en/2011/hostile.md": hostile,
                      "content/en/2011/neighbour.md": neighbour, "content/en/pages/about.md": page,
                      "content/ru/2011/hostile.md": hostile.replace("/old/", "/old-ru/")})


@pytest.fixture(scope="module")
def hostile_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("inject")

    def make(files: dict[str, str]) -> Path:
        site = root / "site"
        for rel, text in {"config.yaml": BASIC_CONFIG, **files}.items():
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_text(text, encoding="utf-8")
        return site

    site = hostile_site(make)
    build(load_config(site), Options(use_cache=False))
    return site / "output"


def _html_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if p.is_file())


def test_every_kind_of_page_was_built(hostile_output: Path) -> None:
    names = {p.relative_to(hostile_output).as_posix() for p in _html_files(hostile_output)}
    for expected in ("index.html", "404.html", "en/index.html", "en/2011/03/hostile/index.html",
                     "ru/2011/03/hostile/index.html", "en/about/index.html", "en/tags/index.html",
                     "en/authors/index.html", "en/archive/index.html", "en/2011/index.html",
                     "en/2011/03/index.html", "en/tags/plain/index.html"):
        assert expected in names, expected
    assert (hostile_output / "old/story.php").is_file(), "the alias redirect page is missing"
    tag_pages = [n for n in names if n.startswith("en/tags/") and n.count("/") == 3 and "/plain/" not in n]
    author_pages = [n for n in names if n.startswith("en/authors/") and n.count("/") == 3]
    assert tag_pages and author_pages, sorted(names)


def test_no_page_runs_anything_a_payload_brought(hostile_output: Path) -> None:
    failures = []
    for path in _html_files(hostile_output):
        found = inspect_html(path.read_text(encoding="utf-8"))
        failures += [f"{path.relative_to(hostile_output)}: {f}" for f in found.findings]
    assert not failures, "\n".join(failures[:40])


def test_payloads_appear_only_escaped_in_html(hostile_output: Path) -> None:
    raw_payloads = ["<script>alert", "<img src=x onerror", "<svg onload", '" onmouseover="']
    failures = []
    for path in _html_files(hostile_output):
        text = path.read_text(encoding="utf-8")
        failures += [f"{path.relative_to(hostile_output)}: {p!r}" for p in raw_payloads if p in text]
    assert not failures, "\n".join(failures[:40])


def test_the_title_reaches_readers_as_text(hostile_output: Path) -> None:
    html = (hostile_output / "en/2011/03/hostile/index.html").read_text(encoding="utf-8")
    heading = re.search(r"<h1>(.*?)</h1>", html, re.DOTALL)
    assert heading is not None
    import html as html_lib

    assert html_lib.unescape(heading.group(1)).strip().startswith(XSS_TITLE.split(" </script>")[0])


def test_json_ld_cannot_be_closed_early_and_keeps_the_values(hostile_output: Path) -> None:
    path = hostile_output / "en/2011/03/hostile/index.html"
    found = inspect_html(path.read_text(encoding="utf-8"))
    assert found.json_ld, "the article page has no JSON-LD block"
    for block in found.json_ld:
        assert "</script" not in block.lower() and "<!--" not in block and "<script" not in block.lower()
        data = json.loads(block)
        assert data["headline"] == XSS_TITLE
        assert XSS_AUTHOR in json.dumps(data, ensure_ascii=False)


def test_the_original_url_is_never_a_javascript_link(hostile_output: Path) -> None:
    """`source:` is shown as a link to the original; a javascript: URL must not become one."""
    html = (hostile_output / "en/2011/03/hostile/index.html").read_text(encoding="utf-8")
    assert 'href="javascript:' not in html.replace("&#39;", "'").lower()
    assert not inspect_html(html).findings


def _xml_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.xml") if p.is_file())


def test_feeds_and_sitemap_are_well_formed_and_inert(hostile_output: Path) -> None:
    files = _xml_files(hostile_output)
    assert any(p.name in ("feed.xml", "rss.xml") for p in files), "the build wrote no feeds"
    titles = []
    for path in files:
        root = ET.parse(path).getroot()  # well-formed, or this raises
        for el in root.iter():
            for name, value in el.attrib.items():
                assert not _BAD_SCHEME.match(value), f"{path.name}: {el.tag} {name}={value!r}"
            tag = el.tag.rsplit("}", 1)[-1]
            text = el.text or ""
            if tag in ("link", "loc", "id", "guid", "uri", "url"):
                assert not _BAD_SCHEME.match(text), f"{path.name}: <{tag}>{text}"
            if tag == "title":
                titles.append(text)
            if tag in ("content", "summary", "description") and (el.get("type") in (None, "html")):
                findings = inspect_html(text).findings
                assert not findings, f"{path.relative_to(hostile_output)} <{tag}>: {findings}"
    assert XSS_TITLE in titles, "the hostile title should reach feeds as text, escaped by XML"


def test_sitemap_lists_no_script_urls(hostile_output: Path) -> None:
    sitemap = hostile_output / "sitemap.xml"
    assert sitemap.exists(), "the build wrote no sitemap.xml"
    for path in [sitemap, *hostile_output.glob("sitemap-*.xml")]:
        root = ET.parse(path).getroot()
        for el in root.iter():
            if el.tag.endswith("loc"):
                assert (el.text or "").startswith("https://example.org/"), el.text
                assert "<" not in (el.text or "") and '"' not in (el.text or "")


def test_search_index_is_inert(hostile_output: Path) -> None:
    for path in hostile_output.rglob("*.json"):
        if path.name == ".vestka-manifest.json":
            continue
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # well-formed
        assert "</script" not in text.lower(), path


# --- sanitize: true -------------------------------------------------------------------------

ACTIVE_BODY = """\
Intro paragraph.

<script>alert('BODY')</script>

<img src="x.png" onerror="alert('IMG')" alt="photo">

<a href="javascript:alert('A')">click</a> and [md link](javascript:alert('MD')) and
[spaced](  JaVaScRiPt:alert('MIXED')) and <a href="&#106;avascript:alert('ENT')">entity</a>.

<iframe src="https://evil.example/"></iframe>
<object data="x.swf"></object><embed src="x.swf">
<svg onload="alert('SVG')"><circle r="1"/></svg>
<style>body { display: none }</style>
<form action="https://evil.example/"><input name="p"><button>Go</button></form>
<div onclick="alert('DIV')" style="background:url(javascript:alert('CSS'))">div text</div>
<p><a href="data:text/html,<script>alert('DATA')</script>">data link</a></p>
<math><mtext><table><mglyph><style><img src=x onerror=alert('MXSS')></style></mglyph></table></mtext></math>
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0; url=javascript:alert('META')">

Kept: **bold**, [a link](https://example.org/), and ![an image](photo.png).

| a | b |
|---|---|
| 1 | 2 |
"""


@pytest.fixture(scope="module")
def sanitized_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("sanitize") / "site"
    files = {"config.yaml": BASIC_CONFIG + "sanitize: true\n",
             "content/en/2011/active.md": article("Active", "2011-03-14T10:00:00+02:00", ACTIVE_BODY)}
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text, encoding="utf-8")
    build(load_config(site), Options(use_cache=False))
    return site / "output"


def _body_of(html: str) -> str:
    match = re.search(r'<div class="body">(.*?)</div>\s*(?:<footer|</article>)', html, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_sanitize_strips_active_content_from_bodies(sanitized_output: Path) -> None:
    html = (sanitized_output / "en/2011/03/active/index.html").read_text(encoding="utf-8")
    body = _body_of(html)
    findings = inspect_html(body).findings
    assert not findings, findings
    for marker in ("alert(", "<style", "<iframe", "<object", "<embed", "<form", "<input", "<base", "<meta"):
        assert marker not in body.lower(), f"{marker!r} survived sanitizing:\n{body}"


def test_sanitize_keeps_ordinary_markdown(sanitized_output: Path) -> None:
    body = _body_of((sanitized_output / "en/2011/03/active/index.html").read_text(encoding="utf-8"))
    assert "<strong>bold</strong>" in body
    assert 'href="https://example.org/"' in body
    assert "<table>" in body and "<td>1</td>" in body
    assert re.search(r'<img [^>]*src="[^"]*photo.png"', body), body


def test_sanitize_cleans_feeds_too(sanitized_output: Path) -> None:
    feeds = [p for p in sanitized_output.rglob("*.xml") if p.name in ("feed.xml", "rss.xml")]
    assert feeds, "the build wrote no feeds"
    for path in feeds:
        for el in ET.parse(path).getroot().iter():
            if el.tag.rsplit("}", 1)[-1] in ("content", "description", "summary", "encoded"):
                assert not inspect_html(el.text or "").findings, path
                assert "alert(" not in (el.text or ""), path


def test_without_sanitize_trusted_raw_html_is_kept(tmp_path: Path, make_site) -> None:
    """Raw HTML is a feature for trusted authors: without `sanitize` it passes through."""
    site = make_site({"content/en/2011/raw.md": article("Raw", "2011-03-14", '<div class="map">kept</div>')})
    build(load_config(site), Options(use_cache=False))
    html = (site / "output/en/2011/03/raw/index.html").read_text(encoding="utf-8")
    assert '<div class="map">kept</div>' in html


# --- active content in files copied from content/ ------------------------------------------------------

ACTIVE_ASSETS = {
    "content/en/img/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "content/en/img/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "content/en/img/link.svg": ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                                '<a xlink:href="java&#x09;script:alert(1)"><text>x</text></a></svg>'),
    "content/en/img/anim.svg": ('<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName="href" '
                                'values="javascript:alert(1)"/><text>x</text></a></svg>'),
    "content/en/old/page.html": "<html><body><p>Old page</p><img src=x onerror=alert(1)></body></html>",
    "content/en/old/frame.htm": "<p>x</p><iframe src='https://evil.example/'></iframe>",
}
PLAIN_ASSETS = {
    "content/en/img/plain.svg": '<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>',
    "content/en/old/plain.html": "<html><body><p>Old page, no script</p></body></html>",
}


def test_with_sanitize_svg_and_html_files_that_can_run_script_are_refused(tmp_path: Path, make_site) -> None:
    site = make_site({"config.yaml": BASIC_CONFIG + "sanitize: true\n",
                      "content/en/a.md": article("A", "2011-01-01"), **PLAIN_ASSETS})
    build(load_config(site), Options(use_cache=False))
    before = sorted(p.relative_to(site / "output").as_posix() for p in (site / "output").rglob("*"))
    for rel, text in ACTIVE_ASSETS.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)

    from generator.errors import VestkaError

    with pytest.raises(VestkaError) as info:
        build(load_config(site), Options(use_cache=False))

    refused = {p.file: p.message for p in info.value.problems if p.severity == "error"}
    assert sorted(refused) == sorted(ACTIVE_ASSETS)
    assert "<script>" in refused["content/en/img/chart.svg"]
    assert "'onload'" in refused["content/en/img/logo.svg"]
    assert "'xlink:href'" in refused["content/en/img/link.svg"]
    assert "'values'" in refused["content/en/img/anim.svg"]
    assert "'onerror'" in refused["content/en/old/page.html"]
    assert "<iframe>" in refused["content/en/old/frame.htm"]
    assert sorted(p.relative_to(site / "output").as_posix() for p in (site / "output").rglob("*")) == before
    assert (site / "output/en/img/plain.svg").is_file() and (site / "output/en/old/plain.html").is_file()


def test_without_sanitize_check_warns_about_active_content_in_assets(tmp_path: Path, make_site) -> None:
    import subprocess
    import sys

    site = make_site({"content/en/a.md": article("A", "2011-01-01"), **ACTIVE_ASSETS, **PLAIN_ASSETS})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "generator", "check", "--site", str(site)], env=env,
                          capture_output=True, text=True, timeout=120)

    assert proc.returncode == 0, proc.stderr
    for rel in ACTIVE_ASSETS:
        assert f"{rel}: warning: holds " in proc.stderr, proc.stderr
    assert "plain.svg" not in proc.stderr and "plain.html" not in proc.stderr
    assert "sanitize: true" in proc.stderr
