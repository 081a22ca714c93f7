"""`head_meta.head_meta`: the metadata tags of a page's <head>, made from plain values.

Whole pages with these tags are checked in test_metadata.py; here the function alone, with the
exact text it writes, since the tags must stay the bytes the Jinja template once wrote.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2
import pytest

from generator.head_meta import SiteMeta, head_meta, site_meta

HOSTILE = 'Say "no" & <b>stop</b> </script><script>alert(1)</script> \'it\''
#: The policy of the build's Jinja environment (render.make_environment).
JSON_KWARGS = {"sort_keys": True, "ensure_ascii": False}


@pytest.fixture
def site() -> SiteMeta:
    return site_meta("https://example.org/archive/", "Human rights & <news>", "News of a centre.", "en_GB", JSON_KWARGS)


def view(**changes: Any) -> dict[str, Any]:
    """An article view as `views.Views.article` makes it (the fields head_meta reads)."""
    base: dict[str, Any] = {
        "title": "Mass detentions", "kind": "article", "url": "/en/2020/08/detentions/", "lang": "en",
        "source": "content/en/2020/detentions.md", "date_iso": "2020-08-10T08:15:00+03:00", "updated_iso": "",
        "summary": "", "image": "", "tags": [], "authors": [],
    }
    return base | changes


def json_ld(html: str) -> str:
    start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    return html[start:html.index("</script>\n", start)]


def test_article_with_everything_writes_every_tag(site: SiteMeta) -> None:
    article = view(
        image="detentions.jpg", updated_iso="2020-08-11T10:00:00+03:00",
        tags=[{"name": "Belarus", "url": "/en/tags/belarus/"}, {"name": "Courts", "url": ""}],
        authors=[{"name": "Viasna", "url": "/en/authors/viasna/"}, {"name": "A. Guest", "url": ""}])
    html = head_meta(site, feeds=("../../../feed.xml", "../../../rss.xml"), canonical=article["url"],
                     description="First data on detentions.", article=article,
                     alternates=[{"lang": "en", "url": "/en/2020/08/detentions/"},
                                 {"lang": "ru", "url": "/ru/2020/08/задержания/"}],
                     x_default="/en/2020/08/detentions/", alternate_locales=["ru_RU"])
    page = "https://example.org/archive/en/2020/08/detentions/"
    image = "https://example.org/archive/en/2020/detentions.jpg"
    assert html == (
        '<meta name="description" content="First data on detentions.">\n'
        f'<link rel="canonical" href="{page}">\n'
        f'<link rel="alternate" hreflang="en" href="{page}">\n'
        '<link rel="alternate" hreflang="ru" href="https://example.org/archive/ru/2020/08/'
        '%D0%B7%D0%B0%D0%B4%D0%B5%D1%80%D0%B6%D0%B0%D0%BD%D0%B8%D1%8F/">\n'
        f'<link rel="alternate" hreflang="x-default" href="{page}">\n'
        '<link rel="alternate" type="application/atom+xml" title="Human rights &amp; &lt;news&gt;" href="../../../feed.xml">\n'
        '<link rel="alternate" type="application/rss+xml" title="Human rights &amp; &lt;news&gt; (RSS)" href="../../../rss.xml">\n'
        '<meta property="og:site_name" content="Human rights &amp; &lt;news&gt;">\n'
        '<meta property="og:title" content="Mass detentions">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{page}">\n'
        '<meta property="og:description" content="First data on detentions.">\n'
        '<meta property="og:locale" content="en_GB">\n'
        '<meta property="og:locale:alternate" content="ru_RU">\n'
        f'<meta property="og:image" content="{image}">\n'
        '<meta property="article:published_time" content="2020-08-10T08:15:00+03:00">\n'
        '<meta property="article:modified_time" content="2020-08-11T10:00:00+03:00">\n'
        '<meta property="article:tag" content="Belarus">\n'
        '<meta property="article:tag" content="Courts">\n'
        '<meta name="twitter:card" content="summary_large_image">\n'
        '<meta name="twitter:title" content="Mass detentions">\n'
        '<meta name="twitter:description" content="First data on detentions.">\n'
        f'<meta name="twitter:image" content="{image}">\n'
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
        '"author": [{"@type": "Person", "name": "Viasna", "url": "https://example.org/archive/en/authors/viasna/"}, '
        '{"@type": "Person", "name": "A. Guest"}], "dateModified": "2020-08-11T10:00:00+03:00", '
        '"datePublished": "2020-08-10T08:15:00+03:00", "description": "First data on detentions.", '
        f'"headline": "Mass detentions", "image": ["{image}"], "inLanguage": "en", '
        f'"keywords": ["Belarus", "Courts"], "mainEntityOfPage": {{"@id": "{page}", "@type": "WebPage"}}, '
        '"publisher": {"@type": "Organization", "name": "Human rights \\u0026 \\u003cnews\\u003e", '
        f'"url": "https://example.org/archive/"}}, "url": "{page}"}}</script>\n')


def test_article_without_authors_tags_image_or_description(site: SiteMeta) -> None:
    html = head_meta(site, feeds=("f", "r"), canonical="/en/2020/08/detentions/", article=view())
    assert '<meta name="description" content="News of a centre.">\n' in html  # the site's
    assert '<meta name="twitter:card" content="summary">\n' in html
    assert "og:image" not in html and "twitter:image" not in html and "article:tag" not in html
    assert "hreflang" not in html and "og:locale:alternate" not in html
    assert '<meta property="article:modified_time" content="2020-08-10T08:15:00+03:00">\n' in html
    ld = json.loads(json_ld(html))
    assert ld["author"] == [{"@type": "Organization", "name": "Human rights & <news>",
                             "url": "https://example.org/archive/"}]
    assert ld["author"] == [ld["publisher"]]
    assert ld["description"] == "News of a centre."
    assert "image" not in ld and "keywords" not in ld


@pytest.mark.parametrize(("image", "expected"), [
    ("https://img.example.net/a.jpg?x=1&y=2", "https://img.example.net/a.jpg?x=1&amp;y=2"),
    ("/static/lead.png", "https://example.org/archive/static/lead.png"),
    ("photos/lead.jpg", "https://example.org/archive/en/2020/photos/lead.jpg"),
])
def test_lead_image_is_absolute(site: SiteMeta, image: str, expected: str) -> None:
    html = head_meta(site, feeds=("f", "r"), article=view(image=image))
    assert f'<meta property="og:image" content="{expected}">\n' in html
    assert f'<meta name="twitter:image" content="{expected}">\n' in html


def test_hostile_title_is_escaped_in_tags_and_inert_in_json_ld(site: SiteMeta) -> None:
    html = head_meta(site, feeds=("f", "r"), canonical="/en/a/", description=HOSTILE,
                     article=view(title=HOSTILE, tags=[{"name": "<tag> & 'q'", "url": ""}],
                                  authors=[{"name": 'O"Brien </script>', "url": ""}]))
    escaped = "Say &#34;no&#34; &amp; &lt;b&gt;stop&lt;/b&gt; &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &#39;it&#39;"
    assert f'<meta property="og:title" content="{escaped}">\n' in html
    assert f'<meta name="twitter:description" content="{escaped}">\n' in html
    assert '<meta property="article:tag" content="&lt;tag&gt; &amp; &#39;q&#39;">\n' in html
    # One script element, closed where it should be: no <, >, & or ' of a value left in it.
    assert html.count("<script") == 1 and html.count("</script") == 1
    text = json_ld(html)
    assert not set("<>&'") & set(text)
    assert '"headline": "Say \\"no\\" \\u0026 \\u003cb\\u003estop\\u003c/b\\u003e \\u003c/script\\u003e' in text
    ld = json.loads(text)
    assert ld["headline"] == HOSTILE and ld["author"] == [{"@type": "Person", "name": 'O"Brien </script>'}]


def test_json_ld_is_what_the_tojson_filter_writes(site: SiteMeta) -> None:
    article = view(title="Суд над «Вясной» & 'им'", authors=[{"name": "Алесь", "url": "/be/authors/алесь/"}],
                   tags=[{"name": "Суды", "url": ""}], image="a.jpg")
    text = json_ld(head_meta(site, feeds=("f", "r"), canonical="/be/a/", article=article))
    env = jinja2.Environment(autoescape=True)
    env.policies["json.dumps_kwargs"] = JSON_KWARGS
    assert env.from_string("{{ ld | tojson }}").render(ld=json.loads(text)) == text
    assert "Суд над «Вясной»" in text  # ensure_ascii is off, as in the build's environment


def test_plain_page_is_a_website_without_json_ld(site: SiteMeta) -> None:
    html = head_meta(site, feeds=("f", "r"), canonical="/en/about/", article=view(kind="page", title="About us"))
    assert '<meta property="og:type" content="website">\n' in html
    assert '<meta property="og:title" content="About us">\n' in html
    assert "article:published_time" not in html and "ld+json" not in html


def test_list_page_takes_its_title_and_a_tag_feed(site: SiteMeta) -> None:
    html = head_meta(site, feeds=("../../feed.xml", "../../rss.xml"), canonical="/en/tags/courts/",
                     listing_title="Courts", listing_feed=("Tag: Courts", "feed.xml"))
    assert ('<link rel="alternate" type="application/atom+xml" title="Tag: Courts — Human rights &amp; &lt;news&gt;" '
            'href="feed.xml">\n') in html
    assert '<meta property="og:title" content="Courts">\n' in html
    assert '<meta property="og:type" content="website">\n' in html
    home = head_meta(site, feeds=("feed.xml", "rss.xml"), canonical="/en/")
    assert '<meta property="og:title" content="Human rights &amp; &lt;news&gt;">\n' in home
    assert home.count("application/atom+xml") == 1


def test_without_canonical_there_is_no_url(site: SiteMeta) -> None:
    html = head_meta(site, feeds=("f", "r"), article=view())
    assert "canonical" not in html and "og:url" not in html
    assert json.loads(json_ld(html))["url"] == ""
