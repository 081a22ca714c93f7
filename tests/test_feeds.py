"""Atom and RSS feeds: parsed back with feedparser and lxml from a small multilingual site.

`discovery_build` builds the site in full, then writes the files of feeds, sitemap and search
into its output the way the build will once they are wired into it; the other discovery tests
import it from here.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import BASIC_CONFIG, article
from lxml import etree

from generator import sources
from generator.assemble import assemble
from generator.build import Options, build
from generator.config import Config, load_config
from generator.errors import Report
from generator.feeds import Entry, Feed, atom_xml, plan_feeds, render_feeds, rss_xml, xml_text
from generator.i18n import Strings
from generator.incremental.page_cache import PageCache
from generator.model import OutputFile, RenderedBody, Site
from generator.reading import read_pages
from generator.render import theme_dirs
from generator.search import index_files
from generator.sitemap import render_sitemap

MINSK = ZoneInfo("Europe/Minsk")
HOSTILE = 'Say "no" & <b>stop</b> </script><script>alert(1)</script> \'it\''
ATOM = "http://www.w3.org/2005/Atom"


@dataclass
class Built:
    config: Config
    site: Site
    bodies: dict[str, RenderedBody]
    strings: Strings
    out: Path
    files: list[OutputFile]

    def text(self, rel: str) -> str:
        return (self.out / rel).read_text(encoding="utf-8")


def discovery_build(site_dir: Path, **options: object) -> Built:
    """Build `site_dir`, then add feeds, sitemap and the search index to its output."""
    config = load_config(site_dir)
    build(config, Options(use_cache=False, **options))
    found = sources.discover(config.content_dir, config.ignore)
    store = PageCache.open(config, enabled=False)
    pages, bodies = read_pages(found.pages, config, ZoneInfo(config.timezone), store, Report(), None)
    site, problems = assemble(pages, config, drafts=bool(options.get("drafts")), future=bool(options.get("future")))
    assert not [p for p in problems if p.severity == "error"]
    bodies = {source: bodies[source] for source in site.pages}
    strings = Strings([d / "i18n" for d in reversed(theme_dirs(config))] + [config.site_dir / "i18n"], config)
    files = list(render_feeds(site, bodies, config, plan_feeds(site, config, strings))) + render_sitemap(site, config)
    files += index_files(site, bodies, config, strings, cache=False)
    for item in files:
        path = config.output_dir / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.data)
    return Built(config, site, bodies, strings, config.output_dir, files)


def discovery_site(make_site: Callable[..., Path], config: str = BASIC_CONFIG, folder: str = "site",
                   **extra: str | bytes) -> Path:
    """Four English articles (one translated into Russian), a draft, a future post and a standalone page."""
    files: dict[str, str | bytes] = {
        "config.yaml": config,
        "content/en/2011/mikhalevich.md": article(
            "Mikhalevich fled", "2011-03-14T16:32:26+02:00",
            "The candidate wrote [in his blog](/en/tags/belarus/) and [before](../2012/report.md).",
            tags=["Belarus", "Torture"], authors=["Viasna"], summary="The candidate left the country."),
        "content/en/2012/report.md": article(
            "Annual report 2012", "2012-12-10T11:00:00+03:00", "The year \x01in\x0b review\x1f.\n\n![Chart](chart.png)",
            tags=["Belarus", "Reports"], author="Ales Bialiatski", updated="2013-01-05T09:30:00+03:00",
            image="chart.png"),
        "content/en/2012/chart.png": b"\x89PNG\r\n\x1a\n" + bytes(32),
        "content/en/2020/detentions.md": article(
            "Mass detentions", "2020-08-10T08:15:00+03:00", "First data on **detentions** in Minsk.",
            tags=["Belarus", "Courts"], authors=["Viasna"], translation_key="detentions"),
        "content/ru/2020/detentions.md": article(
            "Массовые задержания", "2020-08-10T08:20:00+03:00", "Первые данные о задержаниях.",
            tags=["Беларусь"], translation_key="detentions"),
        "content/en/2021/hostile.md": article(
            HOSTILE, "2021-02-01T12:00:00+03:00", "Text with </script> and ]]> inside & more.", tags=["Courts"]),
        "content/en/2010/draft.md": article("Unfinished draft", "2010-01-01", "Not yet.", draft=True, tags=["Belarus"]),
        "content/en/2099/future.md": article("From the future", "2099-01-01", "Not yet either.", tags=["Belarus"]),
        "content/en/pages/about.md": article("About us", "2009-01-01", "Who we are."),
    }
    files.update(extra)
    return make_site(files, folder)


@pytest.fixture
def built(make_site: Callable[..., Path]) -> Built:
    return discovery_build(discovery_site(make_site))


def parse(built: Built, rel: str) -> feedparser.FeedParserDict:
    data = (built.out / rel).read_bytes()
    etree.fromstring(data)  # well-formed XML, or this raises
    return feedparser.parse(data)


def stamp(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


EN_NEWEST_FIRST = ["hostile", "Mass detentions", "Annual report 2012", "Mikhalevich fled"]


def test_language_atom_feed_lists_its_articles_newest_first_with_offsets(built: Built) -> None:
    feed = parse(built, "en/feed.xml")
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Test archive"
    assert feed.feed.link == "https://example.org/en/"
    titles = [e.title for e in feed.entries]
    assert titles[0] == HOSTILE and titles[1:] == EN_NEWEST_FIRST[1:]
    report = feed.entries[2]
    assert report.id == report.link == "https://example.org/en/2012/12/report/"
    assert report.published == "2012-12-10T11:00:00+03:00"
    assert report.updated == "2013-01-05T09:30:00+03:00"
    assert calendar.timegm(report.published_parsed) == stamp("2012-12-10T11:00:00+03:00")
    assert [t.term for t in report.tags] == ["Belarus", "Reports"]
    assert [a.name for a in report.authors] == ["Ales Bialiatski"]
    assert report.enclosures[0].href == "https://example.org/en/2012/chart.png"
    # The feed's own time is its newest change, not the build time: rebuilds give the same bytes.
    assert feed.feed.updated == "2021-02-01T12:00:00+03:00"


def test_feeds_leave_out_drafts_future_posts_pages_and_other_languages(built: Built) -> None:
    for rel in ("en/feed.xml", "en/rss.xml", "en/tags/belarus/feed.xml"):
        titles = {e.title for e in parse(built, rel).entries}
        assert not titles & {"Unfinished draft", "From the future", "About us", "Массовые задержания"}, rel
    assert [e.title for e in parse(built, "ru/feed.xml").entries] == ["Массовые задержания"]


def test_rss_feed_has_guids_dates_and_full_text(built: Built) -> None:
    feed = parse(built, "en/rss.xml")
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.link == "https://example.org/en/"
    assert len(feed.entries) == 4
    first = feed.entries[-1]
    assert first.title == "Mikhalevich fled"
    assert first.id == first.link == "https://example.org/en/2011/03/mikhalevich/"
    assert '<guid isPermaLink="true">https://example.org/en/2011/03/mikhalevich/</guid>' in built.text("en/rss.xml")
    assert calendar.timegm(first.published_parsed) == stamp("2011-03-14T16:32:26+02:00")
    assert first.published.endswith("+0200")
    assert first.summary == "The candidate left the country."
    assert first.author == "Viasna"
    assert "The candidate wrote" in first.content[0].value
    assert len({e.id for e in feed.entries}) == 4


def test_full_content_links_are_absolute(built: Built) -> None:
    feed = parse(built, "en/feed.xml")
    body = next(e for e in feed.entries if e.title == "Mikhalevich fled").content[0].value
    assert 'href="https://example.org/en/tags/belarus/"' in body
    assert 'href="https://example.org/en/2012/12/report/"' in body  # a link to another Markdown file
    report = next(e for e in feed.entries if e.title == "Annual report 2012").content[0].value
    assert 'src="https://example.org/en/2012/chart.png"' in report


def test_control_characters_are_stripped_and_markup_stays_text(built: Built) -> None:
    raw = built.text("en/feed.xml")
    assert "\x01" not in raw and "\x0b" not in raw and "\x1f" not in raw
    assert "</script>" not in raw and "<b>" not in raw  # all escaped
    feed = parse(built, "en/feed.xml")
    report = next(e for e in feed.entries if e.title == "Annual report 2012")
    assert "The year in review." in report.content[0].value
    hostile = feed.entries[0]
    assert hostile.title == HOSTILE
    # The body's raw HTML (a stray </script>, "]]>") reaches readers exactly as written, as escaped text.
    tree = etree.fromstring((built.out / "en/feed.xml").read_bytes())
    content = tree.find(f"{{{ATOM}}}entry/{{{ATOM}}}content")
    assert content.text == built.bodies["content/en/2021/hostile.md"].html
    assert "Text with </script> and ]]&gt; inside &amp; more." in content.text


def test_xml_writer_survives_any_text() -> None:
    nasty = "a\x00b\x08c\x0bd\x0ce\x1ff\ufffeg\uffffh\ud800i <&> \"' ]]>"
    when = datetime(2011, 3, 14, 16, 32, 26, tzinfo=MINSK)
    entry = Entry(id="https://example.org/x/", url="https://example.org/x/", title=nasty, published=when,
                  updated=when, summary=nasty, content_html=f"<p>{nasty}</p>", tags=(nasty,), authors=(nasty,),
                  image="")
    feed = Feed(title=nasty, subtitle=nasty, lang="en", page_url="https://example.org/", self_url="https://example.org/f",
                publisher=nasty, entries=(entry,))
    for data in (atom_xml(feed), rss_xml(feed)):
        etree.fromstring(data)
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.entries[0].title == "abcdefghi <&> \"' ]]>"
    assert xml_text("<&>\"\x07") == "&lt;&amp;&gt;&quot;"


def test_tag_and_author_feeds_hold_only_their_articles(built: Built) -> None:
    courts = parse(built, "en/tags/courts/feed.xml")
    assert not courts.bozo
    assert [e.title for e in courts.entries] == [HOSTILE, "Mass detentions"]
    assert courts.feed.title == "Tag: Courts — Test archive"
    assert courts.feed.link == "https://example.org/en/tags/courts/"
    viasna = parse(built, "en/authors/viasna/feed.xml")
    assert not viasna.bozo
    assert [e.title for e in viasna.entries] == ["Mass detentions", "Mikhalevich fled"]
    assert parse(built, "ru/tags/belarus/feed.xml").entries[0].title == "Массовые задержания"
    # Every tag and author page of every language has its feed.
    for (_lang, kind), listings in built.site.listings.items():
        if kind in ("tag", "author"):
            for listing in listings:
                assert (built.out / listing.url_path.lstrip("/") / "feed.xml").is_file()


def test_feed_ids_are_unique_and_stable_across_builds(built: Built, make_site: Callable[..., Path]) -> None:
    again = discovery_build(discovery_site(make_site, folder="again"))
    for rel in ("en/feed.xml", "en/rss.xml", "en/tags/belarus/feed.xml"):
        assert built.text(rel) == again.text(rel)
    ids = [e.id for e in parse(built, "en/feed.xml").entries]
    assert len(ids) == len(set(ids))


def test_feed_items_limits_and_summary_mode(make_site: Callable[..., Path]) -> None:
    config = BASIC_CONFIG + "feed_items: 2\nfeed_content: summary\n"
    built = discovery_build(discovery_site(make_site, config=config))
    for rel in ("en/feed.xml", "en/rss.xml"):
        feed = parse(built, rel)
        assert not feed.bozo
        assert [e.title for e in feed.entries] == [HOSTILE, "Mass detentions"]
        assert all("content" not in e for e in feed.entries)
        assert feed.entries[1].summary == "First data on detentions in Minsk."
    assert len(parse(built, "en/tags/belarus/feed.xml").entries) == 2


def test_language_without_articles_gets_a_valid_empty_feed(built: Built) -> None:
    for rel in ("be/feed.xml", "be/rss.xml"):
        feed = parse(built, rel)
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.entries == []


def test_absolute_urls_follow_a_base_url_with_a_path(make_site: Callable[..., Path]) -> None:
    config = BASIC_CONFIG.replace("https://example.org/", "https://example.org/archive/")
    built = discovery_build(discovery_site(make_site, config=config))
    feed = parse(built, "en/feed.xml")
    assert feed.feed.link == "https://example.org/archive/en/"
    assert feed.entries[-1].link == "https://example.org/archive/en/2011/03/mikhalevich/"
    assert 'href="https://example.org/archive/en/tags/belarus/"' in feed.entries[-1].content[0].value
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "https://example.org/archive/en/feed.xml"


def test_pages_link_to_their_feeds(built: Built) -> None:
    article_html = built.text("en/2011/03/mikhalevich/index.html")
    assert '<link rel="alternate" type="application/atom+xml" title="Test archive" href="../../../../en/feed.xml">' \
        in article_html
    assert 'type="application/rss+xml"' in article_html
    tag_html = built.text("en/tags/courts/index.html")
    assert 'title="Tag: Courts — Test archive" href="../../../en/tags/courts/feed.xml"' in tag_html
    author_html = built.text("en/authors/viasna/index.html")
    assert 'href="../../../en/authors/viasna/feed.xml"' in author_html
