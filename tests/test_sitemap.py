"""sitemap.xml, the sitemap index past the protocol's limits, and robots.txt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG
from lxml import etree
from test_feeds import Built, discovery_build, discovery_site

from generator import urls
from generator.sitemap import render_sitemap

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
SM = "{" + NS["s"] + "}"
BASE = "https://example.org"


@pytest.fixture
def built(make_site: Callable[..., Path]) -> Built:
    # An alias, so that the test can see it is left out.
    site = discovery_site(make_site, config=BASIC_CONFIG + "root: home\n")
    path = site / "content/en/2011/mikhalevich.md"
    path.write_text(path.read_text().replace("---\n\n", "aliases: [/news/15782/]\n---\n\n", 1))
    return discovery_build(site)


def entries(data: bytes) -> dict[str, dict[str, object]]:
    """loc -> {lastmod, alternates: {hreflang: href}} of a <urlset>."""
    tree = etree.fromstring(data)
    assert tree.tag == SM + "urlset"
    out = {}
    for url in tree.findall("s:url", NS):
        loc = url.findtext("s:loc", namespaces=NS)
        assert loc not in out, f"{loc} listed twice"
        out[loc] = {"lastmod": url.findtext("s:lastmod", namespaces=NS),
                    "alternates": {a.get("hreflang"): a.get("href") for a in url.findall("x:link", NS)}}
    return out


def test_sitemap_lists_every_page_and_list_page_once(built: Built) -> None:
    found = entries((built.out / "sitemap.xml").read_bytes())
    for page in built.site.pages.values():
        assert BASE + page.url_path in found, page.url_path
    for code in ("en", "ru", "be"):
        for name in ("", "tags/", "archive/", "authors/"):
            assert f"{BASE}/{code}/{name}" in found
    # per_page is 2: the English home has 4 articles, so 2 pages; the Belarus tag 3, so 2 pages.
    assert f"{BASE}/en/page/2/" in found and f"{BASE}/en/page/3/" not in found
    assert f"{BASE}/en/tags/belarus/page/2/" in found
    for kind in ("tag", "author", "year", "month"):
        for listing in built.site.listings[("en", kind)]:
            assert BASE + listing.url_path in found
    assert f"{BASE}/en/2011/03/" in found and f"{BASE}/en/authors/viasna/" in found


def test_sitemap_leaves_out_drafts_future_posts_aliases_and_search(built: Built) -> None:
    text = (built.out / "sitemap.xml").read_text()
    for fragment in ("draft", "future", "/news/15782", "/search/", "404"):
        assert fragment not in text
    assert f"<loc>{BASE}/</loc>" not in text  # with root: home, "/" repeats /en/ (canonical /en/)


def test_lastmod_is_the_update_time_with_offset(built: Built) -> None:
    found = entries((built.out / "sitemap.xml").read_bytes())
    assert found[f"{BASE}/en/2012/12/report/"]["lastmod"] == "2013-01-05T09:30:00+03:00"
    assert found[f"{BASE}/en/2011/03/mikhalevich/"]["lastmod"] == "2011-03-14T16:32:26+02:00"
    # A list page changes when its newest article does.
    assert found[f"{BASE}/en/"]["lastmod"] == "2021-02-01T12:00:00+03:00"
    assert found[f"{BASE}/en/tags/reports/"]["lastmod"] == "2013-01-05T09:30:00+03:00"


def test_translations_announce_each_other_both_ways(built: Built) -> None:
    found = entries((built.out / "sitemap.xml").read_bytes())
    pair = {"en": f"{BASE}/en/2020/08/detentions/", "ru": f"{BASE}/ru/2020/08/detentions/"}
    for loc in pair.values():
        assert found[loc]["alternates"] == {**pair, "x-default": pair["en"]}
    assert found[f"{BASE}/en/2011/03/mikhalevich/"]["alternates"] == {}
    homes = {code: f"{BASE}/{code}/" for code in ("en", "ru", "be")}
    for loc in homes.values():
        assert found[loc]["alternates"] == {**homes, "x-default": f"{BASE}/en/"}
    assert found[f"{BASE}/ru/tags/"]["alternates"]["be"] == f"{BASE}/be/tags/"
    assert found[f"{BASE}/ru/tags/"]["alternates"]["x-default"] == f"{BASE}/en/tags/"
    # Paginated pages and tag pages have no counterpart in other languages.
    assert found[f"{BASE}/en/page/2/"]["alternates"] == {}
    assert found[f"{BASE}/en/tags/courts/"]["alternates"] == {}


def test_translations_without_the_default_language_have_no_x_default(make_site: Callable[..., Path]) -> None:
    extra = {"content/be/2020/detentions.md": "---\ntitle: Затрыманні\ndate: 2020-08-10T09:00:00+03:00\n"
                                               "translation_key: solo\n---\n\nТэкст.\n",
             "content/ru/2020/solo.md": "---\ntitle: Соло\ndate: 2020-08-10T09:00:00+03:00\n"
                                        "translation_key: solo\n---\n\nТекст.\n"}
    built = discovery_build(discovery_site(make_site, **extra))
    found = entries((built.out / "sitemap.xml").read_bytes())
    assert found[f"{BASE}/be/2020/08/detentions/"]["alternates"] == {
        "ru": f"{BASE}/ru/2020/08/solo/", "be": f"{BASE}/be/2020/08/detentions/"}


def test_robots_txt_names_the_sitemap(built: Built) -> None:
    assert (built.out / "robots.txt").read_text() == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}/sitemap.xml\n"


def test_chooser_root_is_listed(make_site: Callable[..., Path]) -> None:
    built = discovery_build(discovery_site(make_site, config=BASIC_CONFIG + "root: chooser\n"))
    assert f"{BASE}/" in entries((built.out / "sitemap.xml").read_bytes())


@pytest.mark.parametrize("limits", [{"max_urls": 3}, {"max_bytes": 1200}])
def test_large_site_gets_an_index_of_per_language_sitemaps(built: Built, limits: dict[str, int]) -> None:
    single = entries((built.out / "sitemap.xml").read_bytes())
    files = {f.path: f.data for f in render_sitemap(built.site, built.config, **limits)}
    index = etree.fromstring(files.pop("sitemap.xml"))
    assert index.tag == SM + "sitemapindex"
    assert files.pop("robots.txt").endswith(b"Sitemap: https://example.org/sitemap.xml\n")
    listed = [s.findtext("s:loc", namespaces=NS) for s in index.findall("s:sitemap", NS)]
    assert listed == [urls.absolute_url(built.config.base_url, "/" + name) for name in files]
    assert "sitemap-en.xml" in files and "sitemap-en-2.xml" in files and "sitemap-ru.xml" in files
    merged: dict[str, dict[str, object]] = {}
    for name, data in files.items():
        part = entries(data)
        assert len(part) <= limits.get("max_urls", 50_000)
        assert len(data) <= limits.get("max_bytes", 50 * 1024 * 1024) or len(part) == 1
        lang = name.split("-")[1].removesuffix(".xml")
        assert all(loc.startswith(f"{BASE}/{lang}/") for loc in part), name
        merged.update(part)
    assert merged == single  # the same URLs, lastmods and alternates, only split
