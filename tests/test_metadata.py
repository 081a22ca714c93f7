"""Head metadata of built pages: canonical, description, Open Graph, Twitter, JSON-LD; related articles."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import article
from test_feeds import HOSTILE, Built, discovery_build, discovery_site


class Head(HTMLParser):
    """Collects <meta>, <link> and <script> elements (attributes decoded, script text raw)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta":
            self.meta.append(values)
        elif tag == "link":
            self.links.append(values)
        elif tag == "script":
            self._script, self._text = values, []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None

    def prop(self, name: str) -> list[str]:
        return [m["content"] for m in self.meta if m.get("property") == name or m.get("name") == name]

    def one(self, name: str) -> str:
        found = self.prop(name)
        assert len(found) == 1, (name, found)
        return found[0]

    def link(self, rel: str, **match: str) -> list[str]:
        return [x["href"] for x in self.links if x.get("rel") == rel and all(x.get(k) == v for k, v in match.items())]

    def json_ld(self) -> list[dict[str, object]]:
        return [json.loads(text) for attrs, text in self.scripts if attrs.get("type") == "application/ld+json"]


def head_of(built: Built, rel: str) -> Head:
    parser = Head()
    parser.feed(built.text(rel))
    return parser


@pytest.fixture
def built(make_site: Callable[..., Path]) -> Built:
    return discovery_build(discovery_site(make_site))


def test_article_has_canonical_description_and_social_tags(built: Built) -> None:
    head = head_of(built, "en/2012/12/report/index.html")
    url = "https://example.org/en/2012/12/report/"
    assert head.link("canonical") == [url]
    assert head.one("description") == built.bodies["content/en/2012/report.md"].summary_text
    assert head.one("og:type") == "article"
    assert head.one("og:title") == "Annual report 2012"
    assert head.one("og:url") == url
    assert head.one("og:description") == head.one("description") == head.one("twitter:description")
    assert head.one("og:site_name") == "Test archive"
    assert head.one("og:locale") == "en"
    assert head.one("og:image") == "https://example.org/en/2012/chart.png"
    assert head.one("article:published_time") == "2012-12-10T11:00:00+03:00"
    assert head.one("article:modified_time") == "2013-01-05T09:30:00+03:00"
    assert head.prop("article:tag") == ["Belarus", "Reports"]
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("twitter:title") == "Annual report 2012"
    assert head.one("twitter:image") == "https://example.org/en/2012/chart.png"


def test_description_comes_from_the_summary(built: Built) -> None:
    head = head_of(built, "en/2011/03/mikhalevich/index.html")
    assert head.one("description") == head.one("og:description") == "The candidate left the country."
    (data,) = head.json_ld()
    assert data["description"] == "The candidate left the country."
    assert data["author"] == [{"@type": "Person", "name": "Viasna", "url": "https://example.org/en/authors/viasna/"}]


def test_article_json_ld_is_a_news_article(built: Built) -> None:
    (data,) = head_of(built, "en/2012/12/report/index.html").json_ld()
    url = "https://example.org/en/2012/12/report/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Annual report 2012"
    assert data["datePublished"] == "2012-12-10T11:00:00+03:00"
    assert data["dateModified"] == "2013-01-05T09:30:00+03:00"
    assert data["inLanguage"] == "en"
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert data["author"] == [{"@type": "Person", "name": "Ales Bialiatski",
                               "url": "https://example.org/en/authors/ales-bialiatski/"}]
    assert data["publisher"] == {"@type": "Organization", "name": "Test archive", "url": "https://example.org/"}
    assert data["image"] == ["https://example.org/en/2012/chart.png"]
    assert data["keywords"] == ["Belarus", "Reports"]


def test_article_without_update_or_image_or_author(built: Built) -> None:
    head = head_of(built, "en/2021/02/hostile/index.html")
    assert head.one("article:modified_time") == head.one("article:published_time") == "2021-02-01T12:00:00+03:00"
    assert head.prop("og:image") == [] and head.one("twitter:card") == "summary"
    (data,) = head.json_ld()
    assert data["dateModified"] == data["datePublished"]
    assert "image" not in data
    assert data["author"] == [{"@type": "Organization", "name": "Test archive", "url": "https://example.org/"}]


def test_hostile_title_stays_text_everywhere(built: Built) -> None:
    rel = "en/2021/02/hostile/index.html"
    html = built.text(rel)
    head = head_of(built, rel)
    # The JSON-LD block is the only script element: nothing the title says became one.
    assert [attrs.get("type") for attrs, _ in head.scripts] == ["application/ld+json"]
    assert "<script>alert(1)" not in html
    (data,) = head.json_ld()
    assert data["headline"] == HOSTILE
    assert head.one("og:title") == head.one("twitter:title") == HOSTILE
    ld_text = next(text for attrs, text in head.scripts if attrs.get("type") == "application/ld+json")
    assert "</" not in ld_text and "<" not in ld_text


def test_translations_give_locale_alternates(built: Built) -> None:
    head = head_of(built, "en/2020/08/detentions/index.html")
    assert head.prop("og:locale:alternate") == ["ru"]
    assert head.link("alternate", hreflang="ru") == ["https://example.org/ru/2020/08/detentions/"]
    ru = head_of(built, "ru/2020/08/detentions/index.html")
    assert ru.one("og:locale") == "ru" and ru.prop("og:locale:alternate") == ["en"]


def test_list_pages_have_canonical_and_website_cards(built: Built) -> None:
    head = head_of(built, "en/page/2/index.html")
    assert head.link("canonical") == ["https://example.org/en/page/2/"]
    assert head.one("og:type") == "website"
    assert head.json_ld() == []
    root = head_of(built, "index.html")
    assert root.link("canonical") == ["https://example.org/en/"]
    tag = head_of(built, "en/tags/courts/index.html")
    assert tag.one("og:title") == "Courts"
    assert tag.link("alternate", type="application/atom+xml") == ["../../../en/feed.xml",
                                                                  "../../../en/tags/courts/feed.xml"]
    assert tag.link("alternate", type="application/rss+xml") == ["../../../en/rss.xml"]


def test_search_page_is_not_indexed(make_site: Callable[..., Path]) -> None:
    from conftest import BASIC_CONFIG

    built = discovery_build(discovery_site(make_site, config=BASIC_CONFIG.replace("search: false", "search: true")))
    head = head_of(built, "en/search/index.html")
    assert head.one("robots") == "noindex, follow"
    assert head.link("canonical") == ["https://example.org/en/search/"]


# --- related articles (assemble._related, shown by article.html) ------------------------------


def related_titles(built: Built, rel: str) -> list[str]:
    html = built.text(rel)
    if 'class="related"' not in html:
        return []
    section = html.split('class="related"', 1)[1].split("</section>", 1)[0]
    return [part.split("</a>", 1)[0].split(">", 1)[1] for part in section.split("<a ")[1:]]


def test_related_articles_rank_by_shared_tags_then_nearest_date(make_site: Callable[..., Path]) -> None:
    files = {
        "content/en/2015/base.md": article("Base", "2015-06-15T12:00:00+03:00", tags=["a", "b", "c"]),
        # Three shared tags beat two, two beat one, whatever the dates.
        "content/en/2001/three.md": article("Three tags", "2001-01-01T12:00:00+03:00", tags=["a", "b", "c"]),
        "content/en/2024/two.md": article("Two tags", "2024-01-01T12:00:00+03:00", tags=["A", "b"]),
        # One shared tag each: nearest in time first.
        "content/en/2015/near.md": article("One tag near", "2015-06-20T12:00:00+03:00", tags=["c"]),
        "content/en/2014/mid.md": article("One tag mid", "2014-06-15T12:00:00+03:00", tags=["a"]),
        "content/en/2010/far.md": article("One tag far", "2010-06-15T12:00:00+03:00", tags=["b"]),
        "content/en/2009/farther.md": article("One tag farther", "2009-06-15T12:00:00+03:00", tags=["b"]),
        "content/en/2015/none.md": article("No shared tag", "2015-06-16T12:00:00+03:00", tags=["z"]),
        "content/ru/2015/other.md": article("Other language", "2015-06-15T12:00:00+03:00", tags=["a", "b", "c"]),
        "content/en/2015/draft.md": article("Draft", "2015-06-15T12:00:00+03:00", tags=["a", "b", "c"], draft=True),
    }
    built = discovery_build(make_site(files))
    expected = ["Three tags", "Two tags", "One tag near", "One tag mid", "One tag far"]
    assert related_titles(built, "en/2015/06/base/index.html") == expected  # 5 at most; "farther" is 6th
    again = discovery_build(make_site(files, "again"))
    assert related_titles(again, "en/2015/06/base/index.html") == expected
    assert related_titles(built, "en/2015/06/none/index.html") == []
    assert "Other language" not in related_titles(built, "en/2001/01/three/index.html")
