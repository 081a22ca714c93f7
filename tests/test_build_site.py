"""Build small inline sites and check specific strings in specific output files."""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import BASIC_CONFIG, age_files, article

from generator.build import Options, build
from generator.config import load_config

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
PDF = b"%PDF-1.4\n% a tiny report\n"
MANIFEST = ".vestka-manifest.json"


def news_files() -> dict[str, str | bytes]:
    """Five published English articles (two of them in one month), a draft, a future one, a Russian one."""
    return {
        "content/en/2011/mikhalevich.md": article(
            "Mikhalevich fled from Belarus", "2011-03-14T16:32:26+02:00",
            "The candidate has written in his blog.\n\nSecond paragraph.",
            tags=["Belarus", "Torture"], authors=["Viasna"]),
        "content/en/2011/lawyer.md": article(
            "Lawyer disbarred", "2011-03-20T10:00:00+02:00", "A lawyer lost her licence.",
            tags=["belarus", "Courts"], authors=["Viasna"]),
        "content/en/2012/report.md": article(
            "Annual report 2012", "2012-12-10T11:00:00+03:00", "The year in review.",
            tags=["BELARUS", "Reports"], author="Ales Bialiatski"),
        "content/en/2020/detentions.md": article(
            "Mass detentions", "2020-08-10T08:15:00+03:00", "First data on detentions.",
            tags=["Belarus", "Courts"]),
        "content/en/2020/okrestina.md": article(
            "Okrestina conditions", "2020-08-28T19:00:00+03:00",
            "Former detainees speak.\n\n![Cell](photo.jpg)\n\n[The report](files/report.pdf) and"
            " [the earlier story](../2011/mikhalevich.md).",
            tags=["Belarus"], aliases=["/news/15782/", "/en/old/okrestina.html"]),
        "content/en/2020/photo.jpg": PHOTO,
        "content/en/2020/files/report.pdf": PDF,
        "content/en/2010/draft.md": article("Unfinished draft", "2010-01-01", "Not yet.", draft=True,
                                            tags=["Belarus"]),
        "content/en/2099/future.md": article("From the future", "2099-01-01", "Not yet either.", tags=["Belarus"]),
        "content/ru/2011/pravozashchitniki.md": article("Правозащитники", "2021-01-01", "Русский текст.",
                                                        tags=["Belarus"]),
        "content/en/pages/about.md": article("About us", "2009-01-01", "Who we are."),
        "static/custom.css": "body { color: black; }\n",
    }


def news_site(make_site: Callable[..., Path]) -> Path:
    return make_site(news_files())


def build_into(site: Path, out: Path | None = None, **options: object) -> Path:
    config = load_config(site)
    if out is not None:
        config = dataclasses.replace(config, output_override=out)
    build(config, Options(**options))  # type: ignore[arg-type]
    return config.output_dir


def read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))


def links(html: str, tag: str | None = None) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [value for t, _, value in parser.links if tag is None or t == tag]


def resolve(out: Path, page_rel: str, href: str) -> Path:
    """The output file a relative link in `page_rel` points at."""
    path = unquote(href.split("#")[0].split("?")[0])
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page_rel), path))
    if href.endswith("/") or (out / target).is_dir():
        target = posixpath.join(target, "index.html")
    return out / target


def section(html: str, start: str, end: str) -> str:
    """The text between the first `start` and the next `end`."""
    head, found, rest = html.partition(start)
    assert found, f"{start!r} not in page"
    return rest.split(end, 1)[0]


def titles_in(html: str) -> list[str]:
    return re.findall(r'<h2><a href="[^"]*">([^<]*)</a>', html)


def sidebar_titles(html: str) -> list[str]:
    return re.findall(r'<li><a href="[^"]*">([^<]*)</a> <time', section(html, '<ul class="latest-news">', "</ul>"))


def tree(out: Path) -> dict[str, tuple[str, int]]:
    """Every file below `out`: relative path -> (SHA-256, mtime in ns)."""
    return {p.relative_to(out).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The news site built once for every read-only test of this module."""
    site = tmp_path_factory.mktemp("news") / "site"
    for rel, content in {"config.yaml": BASIC_CONFIG, **news_files()}.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return build_into(site)


# --- articles --------------------------------------------------------------------------------


def test_article_page_has_title_date_authors_tags_and_body(built: Path) -> None:
    html = read(built, "en/2011/03/mikhalevich/index.html")
    assert '<html lang="en" dir="ltr">' in html
    assert "<title>Mikhalevich fled from Belarus — Test archive</title>" in html
    assert "<h1>Mikhalevich fled from Belarus</h1>" in html
    assert '<time datetime="2011-03-14T16:32:26+02:00">14 March 2011</time>' in html
    assert '<a href="../../../../en/authors/viasna/index.html" rel="author">Viasna</a>' in html
    assert '<a href="../../../../en/tags/belarus/index.html" rel="tag">Belarus</a>' in html
    assert '<a href="../../../../en/tags/torture/index.html" rel="tag">Torture</a>' in html
    assert "<p>The candidate has written in his blog.</p>\n<p>Second paragraph.</p>" in html
    assert '<link rel="canonical" href="https://example.org/en/2011/03/mikhalevich/">' in html
    assert '<meta name="description" content="The candidate has written in his blog.">' in html


def test_every_spelling_of_a_tag_links_to_the_one_tag_page(built: Path) -> None:
    # The articles spell it "belarus" and "BELARUS"; each shows the tag page's own spelling.
    assert "<h1>Tag: Belarus</h1>" in read(built, "en/tags/belarus/index.html")
    for rel in ("en/2011/03/lawyer/index.html", "en/2012/12/report/index.html"):
        html = read(built, rel)
        assert '<a href="../../../../en/tags/belarus/index.html" rel="tag">Belarus</a>' in html


def test_author_string_is_one_author(built: Path) -> None:
    html = read(built, "en/2012/12/report/index.html")
    assert '<a href="../../../../en/authors/ales-bialiatski/index.html" rel="author">Ales Bialiatski</a>' in html


def test_standalone_page_uses_the_page_pattern_and_is_not_listed(built: Path) -> None:
    assert "<h1>About us</h1>" in read(built, "en/about/index.html")
    for rel in ("en/index.html", "en/page/2/index.html", "en/page/3/index.html", "en/archive/index.html"):
        assert "About us" not in read(built, rel)
    assert not (built / "en/2009").exists()


# --- home and pagination ----------------------------------------------------------------------


def test_home_is_paginated_newest_first_with_per_page(built: Path) -> None:
    assert titles_in(read(built, "en/index.html")) == ["Okrestina conditions", "Mass detentions"]
    assert titles_in(read(built, "en/page/2/index.html")) == ["Annual report 2012", "Lawyer disbarred"]
    assert titles_in(read(built, "en/page/3/index.html")) == ["Mikhalevich fled from Belarus"]
    assert not (built / "en/page/4").exists()
    assert not (built / "en/page/1").exists()  # page 1 is the home itself


def test_home_pages_link_prev_next_and_numbers(built: Path) -> None:
    first = section(read(built, "en/index.html"), '<nav class="pagination"', "</nav>")
    assert "<p>Page 1 of 3</p>" in first
    assert 'rel="prev"' not in first
    assert '<li><a href="../en/page/2/index.html" rel="next">Next</a></li>' in first
    assert '<li><a href="../en/index.html" aria-current="page">1</a></li>' in first
    assert '<li><a href="../en/page/3/index.html">3</a></li>' in first
    middle = section(read(built, "en/page/2/index.html"), '<nav class="pagination"', "</nav>")
    assert "<p>Page 2 of 3</p>" in middle
    assert '<li><a href="../../../en/index.html" rel="prev">Previous</a></li>' in middle
    assert '<li><a href="../../../en/page/3/index.html" rel="next">Next</a></li>' in middle
    last = section(read(built, "en/page/3/index.html"), '<nav class="pagination"', "</nav>")
    assert 'rel="next"' not in last
    assert "<title>Test archive (Page 3 of 3)</title>" in read(built, "en/page/3/index.html")


def test_home_items_show_summary_date_and_read_more(built: Path) -> None:
    html = read(built, "en/page/3/index.html")
    item = section(html, '<article class="summary">', "</article>")
    assert '<time datetime="2011-03-14T16:32:26+02:00">14 March 2011</time> · Viasna' in item
    assert "<p>The candidate has written in his blog.</p>" in item
    assert '<a href="../../../en/2011/03/mikhalevich/index.html">Read more' in item


def test_home_with_one_page_has_no_pagination(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/en/a.md": article("Only one", "2011-03-14")})
    out = build_into(site)
    assert 'class="pagination"' not in read(out, "en/index.html")
    assert titles_in(read(out, "en/index.html")) == ["Only one"]


def test_empty_language_still_has_a_home(built: Path) -> None:
    html = read(built, "be/index.html")
    assert '<html lang="be" dir="ltr">' in html
    assert titles_in(html) == []


# --- tags -------------------------------------------------------------------------------------


def test_tag_identity_is_case_insensitive_one_page_in_the_most_used_form(built: Path) -> None:
    tag_dirs = sorted(p.name for p in (built / "en/tags").iterdir() if p.is_dir())
    assert tag_dirs == ["belarus", "courts", "reports", "torture"]
    html = read(built, "en/tags/belarus/index.html")
    assert "<title>Belarus — Test archive</title>" in html
    assert "<h1>Tag: Belarus</h1>" in html
    assert '<p class="count">5 articles</p>' in html
    assert titles_in(html) == ["Okrestina conditions", "Mass detentions"]
    assert titles_in(read(built, "en/tags/belarus/page/2/index.html")) == ["Annual report 2012", "Lawyer disbarred"]
    assert titles_in(read(built, "en/tags/belarus/page/3/index.html")) == ["Mikhalevich fled from Belarus"]
    assert not (built / "en/tags/belarus/page/4").exists()


def test_tag_identity_is_unicode_normalised(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "content/en/a.md": article("A", "2011-03-14", tags=["Caf\u00e9"]),
        "content/en/b.md": article("B", "2011-03-15", tags=["Cafe\u0301"]),
        "content/en/c.md": article("C", "2011-03-16", tags=["CAF\u00c9"]),
    })
    out = build_into(site)
    assert sorted(p.name for p in (out / "en/tags").iterdir() if p.is_dir()) == ["cafe"]
    assert '<p class="count">3 articles</p>' in read(out, "en/tags/cafe/index.html")


def test_tag_index_sorted_by_count_then_name_with_counts(built: Path) -> None:
    html = read(built, "en/tags/index.html")
    items = re.findall(r'<li><a href="([^"]*)">([^<]*)</a> <span class="count">\(([^)]*)\)</span>', html)
    assert items == [
        ("../../en/tags/belarus/index.html", "Belarus", "5 articles"),
        ("../../en/tags/courts/index.html", "Courts", "2 articles"),
        ("../../en/tags/reports/index.html", "Reports", "1 article"),
        ("../../en/tags/torture/index.html", "Torture", "1 article"),
    ]


def test_tag_index_ties_are_broken_by_name_ignoring_case(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "content/en/a.md": article("A", "2011-03-14", tags=["Zeta", "alpha", "Belarus"]),
        "content/en/b.md": article("B", "2011-03-15", tags=["alpha", "Zeta", "Belarus", "beta"]),
        "content/en/c.md": article("C", "2011-03-16", tags=["Belarus"]),
    })
    html = read(build_into(site), "en/tags/index.html")
    assert re.findall(r'<li><a href="[^"]*">([^<]*)</a>', section(html, '<ul class="term-list">', "</ul>")) == [
        "Belarus", "alpha", "Zeta", "beta"]


# --- archives ---------------------------------------------------------------------------------


def test_archive_lists_years_with_counts_and_months(built: Path) -> None:
    html = read(built, "en/archive/index.html")
    years = re.findall(r'<li><a href="([^"]*)">(\d{4})</a> <span class="count">\(([^)]*)\)</span>', html)
    assert years == [
        ("../../en/2020/index.html", "2020", "2 articles"),
        ("../../en/2012/index.html", "2012", "1 article"),
        ("../../en/2011/index.html", "2011", "2 articles"),
    ]
    assert '<a href="../../en/2011/03/index.html">March 2011</a> <span class="count">(2)</span>' in html
    assert '<a href="../../en/2020/08/index.html">August 2020</a>' in html


def test_year_and_month_archives_list_their_articles(built: Path) -> None:
    year = read(built, "en/2011/index.html")
    assert "<h1>Archive: 2011</h1>" in year
    assert titles_in(year) == ["Lawyer disbarred", "Mikhalevich fled from Belarus"]
    month = read(built, "en/2011/03/index.html")
    assert "<h1>Archive: March 2011</h1>" in month
    assert titles_in(month) == ["Lawyer disbarred", "Mikhalevich fled from Belarus"]
    assert titles_in(read(built, "en/2012/12/index.html")) == ["Annual report 2012"]
    assert not (built / "en/2010").exists()  # only a draft there
    assert not (built / "en/2099").exists()  # only a future article there


# --- authors ----------------------------------------------------------------------------------


def test_author_pages_and_index(built: Path) -> None:
    html = read(built, "en/authors/viasna/index.html")
    assert "<h1>Articles by Viasna</h1>" in html
    assert titles_in(html) == ["Lawyer disbarred", "Mikhalevich fled from Belarus"]
    index = read(built, "en/authors/index.html")
    assert re.findall(r'<li><a href="([^"]*)">([^<]*)</a> <span class="count">\(([^)]*)\)', index) == [
        ("../../en/authors/ales-bialiatski/index.html", "Ales Bialiatski", "1 article"),
        ("../../en/authors/viasna/index.html", "Viasna", "2 articles"),
    ]


def test_author_pages_are_paginated(make_site: Callable[..., Path]) -> None:
    site = make_site({f"content/en/a{i}.md": article(f"Story {i}", f"2011-03-1{i}", authors=["Ales"])
                      for i in range(1, 6)})
    out = build_into(site)
    assert titles_in(read(out, "en/authors/ales/index.html")) == ["Story 5", "Story 4"]
    assert titles_in(read(out, "en/authors/ales/page/3/index.html")) == ["Story 1"]


# --- sidebar ----------------------------------------------------------------------------------


def test_sidebar_is_latest_n_of_the_language_newest_first_without_the_article(built: Path) -> None:
    assert sidebar_titles(read(built, "en/2020/08/okrestina/index.html")) == [
        "Mass detentions", "Annual report 2012", "Lawyer disbarred"]
    assert sidebar_titles(read(built, "en/2011/03/mikhalevich/index.html")) == [
        "Okrestina conditions", "Mass detentions", "Annual report 2012"]
    assert sidebar_titles(read(built, "en/2020/08/detentions/index.html")) == [
        "Okrestina conditions", "Annual report 2012", "Lawyer disbarred"]


def test_sidebar_items_carry_their_dates_and_link_to_existing_pages(built: Path) -> None:
    html = read(built, "en/2011/03/mikhalevich/index.html")
    side = section(html, '<ul class="latest-news">', "</ul>")
    assert ('<li><a href="../../../../en/2020/08/okrestina/index.html">Okrestina conditions</a>'
            ' <time datetime="2020-08-28T19:00:00+03:00">28 August 2020</time></li>') in side
    for href in links(side):
        assert resolve(built, "en/2011/03/mikhalevich/index.html", href).is_file()


def test_sidebar_is_on_every_list_page(built: Path) -> None:
    expected = ["Okrestina conditions", "Mass detentions", "Annual report 2012"]
    # (the home page's sidebar shows tags and years instead: its list is the latest news)
    for rel in ("en/tags/index.html", "en/tags/courts/index.html", "en/archive/index.html", "en/2011/index.html", "en/2011/03/index.html", "en/authors/index.html",
                "en/authors/viasna/index.html"):
        assert sidebar_titles(read(built, rel)) == expected, rel


def test_sidebar_holds_no_drafts_future_or_other_languages(built: Path) -> None:
    for rel in ("en/tags/index.html", "en/2011/03/mikhalevich/index.html"):
        html = read(built, rel)
        side = section(html, '<ul class="latest-news">', "</ul>")
        for title in ("Unfinished draft", "From the future", "Правозащитники"):
            assert title not in side
    assert sidebar_titles(read(built, "ru/tags/index.html")) == ["Правозащитники"]


# --- root, 404, static, assets, aliases --------------------------------------------------------


def test_root_index_is_the_default_language_home(built: Path) -> None:
    html = read(built, "index.html")
    assert '<html lang="en" dir="ltr">' in html
    assert titles_in(html) == ["Okrestina conditions", "Mass detentions"]
    assert '<a href="en/2020/08/okrestina/index.html">Okrestina conditions</a>' in html
    assert '<link rel="canonical" href="https://example.org/en/">' in html
    assert '<link rel="stylesheet" href="static/site.css">' in html


def test_root_index_follows_default_language(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "config.yaml": BASIC_CONFIG + "default_language: ru\n",
        "content/en/a.md": article("English one", "2011-03-14"),
        "content/ru/a.md": article("Русская", "2011-03-14"),
    })
    html = read(build_into(site), "index.html")
    assert '<html lang="ru" dir="ltr">' in html
    assert titles_in(html) == ["Русская"]


def test_404_page_links_from_the_site_root(built: Path) -> None:
    html = read(built, "404.html")
    assert "<h1>Page not found</h1>" in html
    assert '<link rel="stylesheet" href="/static/site.css">' in html
    assert '<a href="/en/">News</a>' in html


def test_404_page_links_from_the_base_path(make_site: Callable[..., Path]) -> None:
    site = make_site({"config.yaml": BASIC_CONFIG.replace("https://example.org/", "https://example.org/archive/"),
                      "content/en/a.md": article("A", "2011-03-14")})
    html = read(build_into(site), "404.html")
    assert '<link rel="stylesheet" href="/archive/static/site.css">' in html
    assert '<a href="/archive/en/">News</a>' in html


def test_theme_and_site_static_files_are_under_static(built: Path) -> None:
    assert (built / "static/site.css").is_file()
    assert read(built, "static/custom.css") == "body { color: black; }\n"


def test_site_static_file_overrides_the_theme_one(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/en/a.md": article("A", "2011-03-14"), "static/site.css": "/* mine */\n"})
    assert read(build_into(site), "static/site.css") == "/* mine */\n"


def test_content_assets_are_copied_so_relative_references_work(built: Path) -> None:
    assert (built / "en/2020/photo.jpg").read_bytes() == PHOTO
    assert (built / "en/2020/files/report.pdf").read_bytes() == PDF
    rel = "en/2020/08/okrestina/index.html"
    html = read(built, rel)
    body = section(html, '<div class="body">', "</div>")
    img = links(body, "img")
    assert img == ["../../../../en/2020/photo.jpg"]
    assert resolve(built, rel, img[0]).read_bytes() == PHOTO
    anchors = links(body, "a")
    assert anchors == ["../../../../en/2020/files/report.pdf", "../../../../en/2011/03/mikhalevich/index.html"]
    for href in anchors:
        assert resolve(built, rel, href).is_file()


def test_aliases_become_redirect_pages(built: Path) -> None:
    for rel, refresh in [("news/15782/index.html", "../../en/2020/08/okrestina/index.html"),
                         ("en/old/okrestina.html", "../../en/2020/08/okrestina/index.html")]:
        html = read(built, rel)
        assert '<link rel="canonical" href="https://example.org/en/2020/08/okrestina/">' in html
        assert f'<meta http-equiv="refresh" content="0; url={refresh}">' in html
        assert f'<a href="{refresh}">Okrestina conditions</a>' in html
        assert '<meta name="robots" content="noindex">' in html
        assert resolve(built, rel, refresh) == built / "en/2020/08/okrestina/index.html"


# --- drafts and future ------------------------------------------------------------------------


def test_drafts_and_future_articles_are_left_out_by_default(built: Path) -> None:
    assert not (built / "en/2010/01/draft").exists()
    assert not (built / "en/2099/01/future").exists()
    assert '<p class="count">5 articles</p>' in read(built, "en/tags/belarus/index.html")


def test_drafts_are_built_with_drafts_option(make_site: Callable[..., Path]) -> None:
    out = build_into(news_site(make_site), drafts=True)
    html = read(out, "en/2010/01/draft/index.html")
    assert '<h1>Unfinished draft <span class="badge">Draft</span></h1>' in html
    assert '<p class="count">6 articles</p>' in read(out, "en/tags/belarus/index.html")
    assert not (out / "en/2099").exists()


def test_future_articles_are_built_with_future_option(make_site: Callable[..., Path]) -> None:
    out = build_into(news_site(make_site), future=True)
    assert "<h1>From the future</h1>" in read(out, "en/2099/01/future/index.html")
    assert titles_in(read(out, "en/index.html"))[0] == "From the future"
    assert not (out / "en/2010").exists()


# --- determinism and rebuilds -----------------------------------------------------------------


def test_two_builds_are_byte_identical(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = news_site(make_site)
    first = build_into(site, tmp_path / "one", use_cache=False)
    second = build_into(site, tmp_path / "two", use_cache=True)
    third = build_into(site, tmp_path / "three", use_cache=True)  # from the cache the second build made
    a, b, c = ({k: v[0] for k, v in tree(out).items()} for out in (first, second, third))
    assert len(a) > 40
    assert a == b == c


def test_same_site_in_another_folder_gives_the_same_bytes(make_site: Callable[..., Path], tmp_path: Path) -> None:
    one = build_into(news_site(make_site), tmp_path / "one")
    other_site = make_site(dict.fromkeys([], ""), folder="elsewhere/deeper")
    for path in sorted((tmp_path / "site").rglob("*")):
        if path.is_file() and "output" not in path.parts and ".vestka-cache" not in path.parts:
            target = other_site / path.relative_to(tmp_path / "site")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    two = build_into(other_site, tmp_path / "two")
    assert {k: v[0] for k, v in tree(one).items()} == {k: v[0] for k, v in tree(two).items()}


def test_rebuild_keeps_mtime_of_unchanged_files(make_site: Callable[..., Path]) -> None:
    site = news_site(make_site)
    out = build_into(site)
    before = tree(out)
    time.sleep(0.05)
    source = site / "content/en/2011/mikhalevich.md"
    source.write_text(source.read_text(encoding="utf-8").replace("Second paragraph.", "Second, edited."),
                      encoding="utf-8")
    after = tree(build_into(site))
    assert set(before) == set(after)
    same_bytes_new_mtime = sorted(rel for rel in after if after[rel][0] == before[rel][0]
                                  and after[rel][1] != before[rel][1] and rel != MANIFEST)
    assert same_bytes_new_mtime == []
    changed_pages = sorted(rel for rel in after if after[rel][0] != before[rel][0] and rel.endswith(".html"))
    assert changed_pages == ["en/2011/03/mikhalevich/index.html"]  # the second paragraph is in no summary
    assert "Second, edited." in read(out, "en/2011/03/mikhalevich/index.html")


def test_rebuild_without_changes_rewrites_nothing(make_site: Callable[..., Path]) -> None:
    site = news_site(make_site)
    age_files(site)  # sources changed within 2 s of a build are read again: this one must be a no-op
    out = build_into(site)
    before = tree(out)
    time.sleep(0.05)
    again = build(load_config(site), Options())
    assert list(again.timings) == ["discover"]
    after = tree(out)
    assert set(after) == set(before)
    assert {k: v for k, v in after.items() if k != MANIFEST} == {k: v for k, v in before.items() if k != MANIFEST}


def test_rebuild_without_changes_keeps_the_manifest_mtime(make_site: Callable[..., Path]) -> None:
    # The manifest is a file of output/ like any other: same bytes, same mtime (rsync and caches rely on it).
    site = news_site(make_site)
    age_files(site)
    out = build_into(site)
    before = tree(out)[MANIFEST]
    time.sleep(0.05)
    again = build(load_config(site), Options())
    assert list(again.timings) == ["discover"]
    assert tree(out)[MANIFEST] == before


def test_rebuild_after_a_change_keeps_the_manifest_mtime_when_its_bytes_stay(make_site: Callable[..., Path]) -> None:
    # The rendering path too: a touched file makes a full pass whose output equals the last one.
    site = news_site(make_site)
    out = build_into(site)
    before = tree(out)[MANIFEST]
    time.sleep(0.05)
    (site / "content/en/2011/lawyer.md").touch()
    again = build(load_config(site), Options())
    assert "render+write" in again.timings
    assert tree(out)[MANIFEST] == before


def test_removed_article_disappears_from_output(make_site: Callable[..., Path]) -> None:
    site = news_site(make_site)
    out = build_into(site)
    (site / "content/en/2012/report.md").unlink()
    build_into(site)
    assert not (out / "en/2012").exists()
    assert not (out / "en/authors/ales-bialiatski").exists()
    assert not (out / "en/tags/reports").exists()


def test_build_result_counts(make_site: Callable[..., Path]) -> None:
    site = news_site(make_site)
    result = build(load_config(site), Options())
    assert result.pages == 7  # 5 English articles, 1 Russian, 1 standalone page
    assert result.files_unchanged == 0
    again = build(load_config(site), Options())
    assert again.files_written == 0
    assert again.files_unchanged == result.files_written


def test_two_builds_with_the_search_index_are_byte_identical(make_site: Callable[..., Path], tmp_path: Path) -> None:
    files = news_files()
    files["config.yaml"] = BASIC_CONFIG.replace("search: false", "search: true")
    files["content/be/2011/viasna.md"] = article("Вясна", "2011-03-14", "Беларускі тэкст.")
    site = make_site(files)
    # Three indexed languages: an index that lists them in hash order differs between runs 5 times in 6.
    outputs = [build_into(site, tmp_path / f"out{n}", use_cache=False) for n in range(5)]
    trees = [{k: v[0] for k, v in tree(out).items()} for out in outputs]
    assert any(rel.startswith("be/search/index/t/") for rel in trees[0])
    for other in trees[1:]:
        assert sorted(rel for rel in trees[0] if trees[0][rel] != other.get(rel)) == []
