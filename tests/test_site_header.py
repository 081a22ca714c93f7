"""The site header (title and main navigation): one fragment per language, folder depth and
marked link, shared by every page it fits; aria-current on the page's own link only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import BASIC_CONFIG, article
from test_brand import anchors, build, read

from generator import sources
from generator.assemble import assemble
from generator.config import load_config
from generator.errors import Report
from generator.images import Photos
from generator.incremental.page_cache import PageCache
from generator.reading import read_pages
from generator.render import Renderer
from generator.stages import load_templates

CONFIG = BASIC_CONFIG + """\
menu:
  en:
    - {title: Start, url: /}
    - {title: About, url: /en/about/}
    - {title: Reports, url: '/en/tags/reports/#latest'}
    - {title: Donate, url: 'https://example.org/donate'}
"""


@pytest.fixture
def site_dir(make_site: Callable[..., Path]) -> Path:
    return make_site({
        "config.yaml": CONFIG,
        "content/en/pages/about.md": article("About us", "2011-01-01"),
        "content/en/2011/a.md": article("First", "2011-03-14", tags=["Reports"]),
        "content/ru/2011/b.md": article("Первая", "2011-03-15"),
    })


def renderer_of(site_dir: Path) -> Renderer:
    config = load_config(site_dir)
    found = sources.discover(config.content_dir, config.ignore)
    pages, bodies = read_pages(found.pages, config, ZoneInfo(config.timezone), PageCache.open(config, enabled=False),
                               Report(), None)
    site, _ = assemble(pages, config)
    renderer, _ = load_templates(site, bodies, config, Photos(config.images), drafts=False, use_cache=False)
    return renderer


def marked(html: str) -> list[tuple[str, str | None]]:
    return [(text, a.get("aria-current")) for a, text in anchors(f'<div class="probe">{html}</div>', "probe")
            if a.get("aria-current")]


@pytest.mark.parametrize(("current", "mark", "home_link"), [
    ("/", "Start", "en/index.html"),                       # depth 0: a menu entry to the site root
    ("/en/", "News", "../en/index.html"),                  # depth 1
    ("/en/tags/", "Tags", "../../en/index.html"),          # depth 2
    ("/en/about/", "About", "../../en/index.html"),        # depth 2, a menu entry
    ("/en/2011/", None, "../../en/index.html"),            # depth 2, no link of the header
    ("/en/tags/reports/", "Reports", "../../../en/index.html"),  # the menu entry's path, its #fragment aside
])
def test_header_marks_the_current_link_at_each_depth(site_dir: Path, current: str, mark: str | None,
                                                     home_link: str) -> None:
    renderer = renderer_of(site_dir)
    html = renderer.fragment_header("en", current, False)
    assert marked(html) == ([(mark, "page")] if mark else [])
    assert f'<a href="{home_link}">' in html  # the site title's link, relative to the page's depth


def test_header_is_rendered_once_per_key(site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = renderer_of(site_dir)
    template = renderer.template("partials/site_header.html")
    rendered: list[Any] = []
    original = template.render

    def counting(context: dict[str, Any]) -> str:
        rendered.append(context["current_url"])
        return original(context)

    monkeypatch.setattr(template, "render", counting)
    pages = ["/en/2011/", "/en/2012/", "/en/tags/", "/en/tags/", "/en/2011/03/", "/en/2011/03/a/", "/en/2012/04/",
             "/ru/2011/", "/en/2013/", "/", "/"]
    headers = [renderer.fragment_header(page[1:3] if page != "/" else "en", page, False) for page in pages]
    assert rendered == ["", "/en/tags/", "", "", "", "/"]  # once per language, depth and marked link
    assert headers[0] is headers[1] is headers[8]  # other pages of one depth share the fragment
    assert headers[4] is headers[6] and headers[2] is headers[3] and headers[9] is headers[10]
    assert sorted(key for key in renderer._fragments if key[0] == "header") == [
        ("header", "en", 0, "/", False), ("header", "en", 2, "", False), ("header", "en", 2, "/en/tags/", False),
        ("header", "en", 3, "", False), ("header", "en", 4, "", False), ("header", "ru", 2, "", False)]
    # 404.html writes its links from the base path, whatever the depth: a fragment of its own.
    assert 'href="/en/' in renderer.fragment_header("en", "/", True)


def test_pages_show_the_header_of_their_depth(site_dir: Path) -> None:
    out = build(site_dir)
    tags = anchors(read(out, "en/tags/index.html"), "site-nav")
    assert [(a.get("href"), a.get("aria-current")) for a, text in tags if text == "Tags"] == [
        ("../../en/tags/index.html", "page")]
    first = anchors(read(out, "en/2011/03/a/index.html"), "site-nav")
    assert [text for a, text in first if a.get("aria-current")] == []
    assert [a.get("href") for a, text in first if text == "Tags"] == ["../../../../en/tags/index.html"]
    about = anchors(read(out, "en/about/index.html"), "site-nav")
    assert [text for a, text in about if a.get("aria-current")] == ["About"]
    assert [text for a, text in anchors(read(out, "index.html"), "site-nav") if a.get("aria-current")] == ["Start"]
    assert "Start" not in read(out, "ru/index.html")  # the menu is English only


def test_a_theme_header_sees_only_the_marked_link(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "config.yaml": CONFIG + "theme: mine\n",
        "themes/mine/templates/partials/site_header.html":
            '  <p class="probe">[{{ current_url }}] {{ page_kind }} <a href="{{ url(\'/en/\') }}">{{ site.title }}</a></p>\n',
        "content/en/pages/about.md": article("About us", "2011-01-01"),
        "content/en/2011/a.md": article("First", "2011-03-14", tags=["Reports"]),
    })
    out = build(site)
    assert '<p class="probe">[/en/tags/] fragment <a href="../../en/index.html">Test archive</a></p>' in read(
        out, "en/tags/index.html")
    article_page = read(out, "en/2011/03/a/index.html")
    assert '<p class="probe">[] fragment <a href="../../../../en/index.html">Test archive</a></p>' in article_page
    assert 'class="site-nav"' not in article_page
    assert '<nav class="language-nav"' in article_page  # still the page's own, from base.html
