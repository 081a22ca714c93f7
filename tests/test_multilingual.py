"""An inline three-language site: translations, hreflang, localized dates and plurals, lang/dir, chooser."""

from __future__ import annotations

import dataclasses
import posixpath
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import article

from generator.build import Options, build
from generator.config import load_config

CONFIG = """\
title: Test archive
base_url: https://example.org/
timezone: Europe/Minsk
default_language: en
languages:
  - {code: en, name: English, title: Archive}
  - {code: ru, name: Русский, title: Архив}
  - {code: be, name: Беларуская, title: Архіў}
per_page: 10
latest_news: 4
search: false
"""
DAY = "2011-03-14T12:00:00+02:00"


def three_languages() -> dict[str, str]:
    files = {
        "config.yaml": CONFIG,
        # one story in three languages, matched by file stem
        "content/en/2011/prize.md": article("Prize for the volunteers", DAY, "English text.", tags=["Belarus"]),
        "content/ru/2011/prize.md": article("Премия волонтёрам", DAY, "Русский текст.",
                                            tags=["Политзаключённые", "Выборы", "Belarus"]),
        "content/be/2011/prize.md": article("Прэмія валанцёрам", DAY, "Беларускі тэкст.",
                                            tags=["Палітвязні", "Выбары"]),
        # one story in two languages, matched by translation_key
        "content/en/2020/mass-detentions.md": article("Mass detentions", "2020-08-10T08:00:00+03:00",
                                                      translation_key="detentions"),
        "content/ru/2020/massovye-zaderzhaniya.md": article("Массовые задержания", "2020-08-10T08:00:00+03:00",
                                                            translation_key="detentions",
                                                            tags=["Политзаключённые", "Выборы", "Belarus"]),
        # English only
        "content/en/2012/only-english.md": article("Only in English", "2012-05-05T10:00:00+03:00"),
    }
    for i, year in enumerate(("2012", "2013", "2014"), 3):
        files[f"content/ru/{year}/r{i}.md"] = article(f"Русская новость {i}", f"{year}-06-0{i}T10:00:00+03:00",
                                                      tags=["Политзаключённые"] + (["Суды"] if i == 3 else []))
    for i, year in enumerate(("2012", "2013", "2014", "2015"), 2):
        files[f"content/be/{year}/b{i}.md"] = article(f"Беларуская навіна {i}", f"{year}-06-0{i}T10:00:00+03:00",
                                                      tags=["Палітвязні"] + (["Выбары"] if i == 2 else [])
                                                      + (["Суды"] if i == 3 else []))
    return files


def build_site_at(site: Path, **options: object) -> Path:
    config = load_config(site)
    build(config, Options(**options))  # type: ignore[arg-type]
    return config.output_dir


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three-language site built once for every read-only test of this module."""
    site = tmp_path_factory.mktemp("multilingual") / "site"
    for rel, text in three_languages().items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return build_site_at(site)


def read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags_of(html: str, name: str) -> list[dict[str, str]]:
    parser = _Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == name]


def alternates(html: str) -> dict[str, str]:
    """hreflang -> href of the page's <link rel="alternate" hreflang> elements."""
    return {a["hreflang"]: a["href"] for a in tags_of(html, "link") if a.get("rel") == "alternate" and "hreflang" in a}


def language_nav(html: str) -> dict[str, str]:
    """hreflang -> href of the links in the page's language navigation."""
    nav = html.split('<nav class="language-nav"', 1)[1].split("</nav>", 1)[0] if 'class="language-nav"' in html else ""
    return {a["hreflang"]: a["href"] for a in tags_of(nav, "a") if "hreflang" in a}


def translation_links(html: str) -> dict[str, str]:
    """hreflang -> href of the switcher's links to translations (rel="alternate")."""
    nav = html.split('<nav class="language-nav"', 1)[1].split("</nav>", 1)[0] if 'class="language-nav"' in html else ""
    return {a["hreflang"]: a["href"] for a in tags_of(nav, "a") if a.get("rel") == "alternate"}


def file_of(out: Path, page: str, href: str) -> Path:
    if href.startswith("https://example.org/"):
        rel = unquote(href.removeprefix("https://example.org/"))
    else:
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(href)))
    target = out / rel
    return target / "index.html" if href.endswith("/") or target.is_dir() else target


def sidebar_titles(html: str) -> list[str]:
    side = html.split('<ul class="latest-news">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="[^"]*">([^<]*)</a>', side)


# --- translations and hreflang on article pages ----------------------------------------------


def test_article_links_to_its_translations_by_language_name(out: Path) -> None:
    page = "en/2011/03/prize/index.html"
    html = read(out, page)
    assert '<a href="../../../../ru/2011/03/prize/index.html" lang="ru" hreflang="ru" rel="alternate">Русский</a>' in html
    assert '<a href="../../../../be/2011/03/prize/index.html" lang="be" hreflang="be" rel="alternate">Беларуская</a>' in html
    for href in language_nav(html).values():
        assert file_of(out, page, href).is_file()
    assert set(language_nav(html)) == {"en", "ru", "be"}  # every language, the current one marked


def test_article_has_hreflang_alternates_for_every_translation(out: Path) -> None:
    for lang in ("en", "ru", "be"):
        page = f"{lang}/2011/03/prize/index.html"
        found = alternates(read(out, page))
        for other in ("en", "ru", "be"):
            assert found[other] == f"https://example.org/{other}/2011/03/prize/"
            assert file_of(out, page, found[other]).is_file()


def test_article_has_an_x_default_alternate(out: Path) -> None:
    # issue 6: "<link rel="alternate" hreflang="..."> for each, plus x-default" (the default language's version)
    for lang in ("en", "ru", "be"):
        found = alternates(read(out, f"{lang}/2011/03/prize/index.html"))
        assert found.get("x-default") == "https://example.org/en/2011/03/prize/", lang


def test_translation_key_links_across_different_file_names(out: Path) -> None:
    page = "ru/2020/08/massovye-zaderzhaniya/index.html"
    html = read(out, page)
    assert translation_links(html) == {"en": "../../../../en/2020/08/mass-detentions/index.html"}
    assert alternates(html)["en"] == "https://example.org/en/2020/08/mass-detentions/"
    assert "be" not in alternates(html)
    back = read(out, "en/2020/08/mass-detentions/index.html")
    assert translation_links(back) == {"ru": "../../../../ru/2020/08/massovye-zaderzhaniya/index.html"}


def test_untranslated_article_has_no_translation_links(out: Path) -> None:
    html = read(out, "en/2012/05/only-english/index.html")
    assert alternates(html) == {}
    assert translation_links(html) == {}
    # but its switcher still leads to the other languages' home pages, saying so
    assert language_nav(html) == {"en": "../../../../en/2012/05/only-english/index.html",
                                  "ru": "../../../../ru/index.html", "be": "../../../../be/index.html"}
    assert ">Русский (главная)</a>" in html and ">Беларуская (галоўная)</a>" in html


# --- list pages link to the same kind of page in the other languages --------------------------


@pytest.mark.parametrize(("page", "expected"), [
    ("en/index.html", {"en": "en/index.html", "ru": "ru/index.html", "be": "be/index.html"}),
    ("ru/tags/index.html", {"en": "en/tags/index.html", "ru": "ru/tags/index.html", "be": "be/tags/index.html"}),
    ("be/archive/index.html",
     {"en": "en/archive/index.html", "ru": "ru/archive/index.html", "be": "be/archive/index.html"}),
    ("en/2011/index.html", {"en": "en/2011/index.html", "ru": "ru/2011/index.html", "be": "be/2011/index.html"}),
    ("en/2011/03/index.html",
     {"en": "en/2011/03/index.html", "ru": "ru/2011/03/index.html", "be": "be/2011/03/index.html"}),
    # no Belarusian news in 2020: the switcher falls back to the Belarusian archive
    ("ru/2020/index.html", {"en": "en/2020/index.html", "ru": "ru/2020/index.html", "be": "be/archive/index.html"}),
])
def test_list_pages_link_to_the_same_kind_of_page_in_every_language(out: Path, page: str,
                                                                    expected: dict[str, str]) -> None:
    links = language_nav(read(out, page))
    resolved = {lang: file_of(out, page, href).relative_to(out).as_posix() for lang, href in links.items()}
    assert resolved == expected
    assert all((out / rel).is_file() for rel in resolved.values())


@pytest.mark.parametrize("page", ["en/index.html", "ru/tags/index.html", "be/archive/index.html"])
def test_list_pages_have_hreflang_alternates_with_x_default(out: Path, page: str) -> None:
    # issue 6 acceptance: "translation links and hreflang on article and list pages"
    found = alternates(read(out, page))
    assert set(found) == {"en", "ru", "be", "x-default"}
    for href in found.values():
        assert file_of(out, page, href).is_file()


# --- localized dates and plurals ---------------------------------------------------------------


@pytest.mark.parametrize(("lang", "text"), [("en", "14 March 2011"), ("ru", "14 марта 2011"),
                                            ("be", "14 сакавіка 2011")])
def test_dates_are_localized_with_iso_datetime(out: Path, lang: str, text: str) -> None:
    html = read(out, f"{lang}/2011/03/prize/index.html")
    assert f'<time datetime="2011-03-14T12:00:00+02:00">{text}</time>' in html


@pytest.mark.parametrize(("lang", "heading"), [("en", "March 2011"), ("ru", "март 2011"), ("be", "сакавік 2011")])
def test_month_archive_headings_are_localized(out: Path, lang: str, heading: str) -> None:
    assert f"{heading}</h1>" in read(out, f"{lang}/2011/03/index.html")


@pytest.mark.parametrize(("page", "expected"), [
    ("ru/tags/index.html", [("Политзаключённые", "5 статей"), ("Belarus", "2 статьи"), ("Выборы", "2 статьи"),
                            ("Суды", "1 статья")]),
    ("be/tags/index.html", [("Палітвязні", "5 артыкулаў"), ("Выбары", "2 артыкулы"), ("Суды", "1 артыкул")]),
    ("en/tags/index.html", [("Belarus", "1 article")]),
])
def test_tag_index_shows_counts_with_plural_forms(out: Path, page: str, expected: list[tuple[str, str]]) -> None:
    found = re.findall(r'<a href="[^"]*">([^<]*)</a> <span class="count">\(([^)]*)\)</span>', read(out, page))
    assert found == expected


@pytest.mark.parametrize(("page", "count"), [
    ("ru/tags/sudy/index.html", "1 статья"),
    ("ru/tags/vybory/index.html", "2 статьи"),
    ("ru/tags/politzaklyuchyonnye/index.html", "5 статей"),
    ("be/tags/sudy/index.html", "1 артыкул"),
    ("be/tags/vybary/index.html", "2 артыкулы"),
    ("be/tags/palitviazni/index.html", "5 артыкулаў"),
])
def test_tag_pages_show_the_article_count_in_the_right_plural(out: Path, page: str, count: str) -> None:
    assert f'<p class="count">{count}</p>' in read(out, page)


# --- lang and dir ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ru", "be"])
def test_html_lang_and_dir_follow_the_page_language(out: Path, lang: str) -> None:
    for page in (f"{lang}/index.html", f"{lang}/2011/03/prize/index.html", f"{lang}/tags/index.html",
                 f"{lang}/archive/index.html"):
        assert f'<html lang="{lang}" dir="ltr">' in read(out, page), page


def test_rtl_language_renders_dir_rtl(make_site: Callable[..., Path]) -> None:
    files = three_languages()
    files["config.yaml"] = CONFIG.replace(
        "  - {code: be, name: Беларуская, title: Архіў}\n",
        "  - {code: be, name: Беларуская, title: Архіў}\n  - {code: ar, name: العربية, title: أرشيف, direction: rtl}\n")
    files["content/ar/2011/prize.md"] = article("جائزة للمتطوعين", DAY, "نص عربي.", tags=["بيلاروس"])
    out = build_site_at(make_site(files))
    for page in ("ar/index.html", "ar/2011/03/prize/index.html", "ar/tags/index.html", "ar/archive/index.html"):
        assert '<html lang="ar" dir="rtl">' in read(out, page), page
    assert '<html lang="en" dir="ltr">' in read(out, "en/2011/03/prize/index.html")
    assert alternates(read(out, "en/2011/03/prize/index.html"))["ar"] == "https://example.org/ar/2011/03/prize/"
    assert '<a href="../../../../ar/2011/03/prize/index.html" lang="ar" hreflang="ar" rel="alternate">العربية</a>' in read(
        out, "en/2011/03/prize/index.html")


# --- root chooser ------------------------------------------------------------------------------


def test_root_chooser_lists_each_language_by_its_own_name(make_site: Callable[..., Path]) -> None:
    files = three_languages()
    files["config.yaml"] = CONFIG + "root: chooser\n"
    out = build_site_at(make_site(files))
    html = read(out, "index.html")
    chooser = html.split('<ul class="language-chooser">', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<a href="([^"]*)" lang="([^"]*)" hreflang="[^"]*">([^<]*)</a>', chooser) == [
        ("en/index.html", "en", "English"), ("ru/index.html", "ru", "Русский"), ("be/index.html", "be", "Беларуская")]
    for href in re.findall(r'href="([^"]*)"', chooser):
        assert (out / href).is_file()
    assert 'class="latest-news"' not in html


def test_root_defaults_to_the_default_language_home(out: Path) -> None:
    html = read(out, "index.html")
    assert '<html lang="en" dir="ltr">' in html
    assert 'class="language-chooser"' not in html


# --- UI strings --------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Latest news", "Tags", "Archive", "Read more"]),
    ("ru", ["Последние новости", "Темы", "Архив", "Читать дальше"]),
    ("be", ["Апошнія навіны", "Тэмы", "Архіў", "Чытаць далей"]),
])
def test_ui_strings_are_translated(out: Path, lang: str, words: list[str]) -> None:
    html = read(out, f"{lang}/2011/index.html")  # a list with the "Latest news" sidebar
    for word in words:
        assert word in html


def test_site_can_override_one_string(make_site: Callable[..., Path]) -> None:
    files = three_languages()
    files["i18n/be.yaml"] = "latest_news: Свежыя навіны\n"
    out = build_site_at(make_site(files))
    html = read(out, "be/2011/index.html")
    assert '<h2 id="latest-news-heading">Свежыя навіны</h2>' in html
    assert "Тэмы" in html  # the rest of the table is still there


def test_missing_string_falls_back_to_english_with_a_warning_from_check(make_site: Callable[..., Path]) -> None:
    files = three_languages()
    files["config.yaml"] = CONFIG + "theme: mine\n"
    files["themes/mine/templates/partials/sidebar.html"] = (
        '<aside class="sidebar"><p class="donate">{{ t("donate") }}</p></aside>\n')
    files["themes/mine/i18n/en.yaml"] = "donate: Support our work\n"
    files["themes/mine/i18n/ru.yaml"] = "donate: Поддержите нашу работу\n"
    site = make_site(files)
    check = subprocess.run([sys.executable, "-m", "generator", "check", "--site", str(site)], capture_output=True,
                           text=True, timeout=120, encoding="utf-8")
    assert check.returncode == 0, check.stderr
    assert ("i18n/be.yaml: warning: no translation for UI string 'donate'; English is used"
            " — add 'donate: ...' to i18n/be.yaml in the site or theme") in check.stderr
    assert "i18n/ru.yaml: warning" not in check.stderr
    assert check.stdout.strip().endswith("1 warning")
    assert not (site / "output").exists()
    out = build_site_at(site)
    assert '<p class="donate">Support our work</p>' in read(out, "be/2011/index.html")
    assert '<p class="donate">Поддержите нашу работу</p>' in read(out, "ru/2011/index.html")


def test_missing_string_table_falls_back_to_english_for_a_new_language(make_site: Callable[..., Path]) -> None:
    files = three_languages()
    files["config.yaml"] = CONFIG.replace(
        "  - {code: be, name: Беларуская, title: Архіў}\n",
        "  - {code: be, name: Беларуская, title: Архіў}\n  - {code: pl, name: Polski}\n")
    files["content/pl/2011/prize.md"] = article("Nagroda", DAY)
    out = build_site_at(make_site(files))
    html = read(out, "pl/2011/03/prize/index.html")
    assert '<html lang="pl" dir="ltr">' in html
    assert '<time datetime="2011-03-14T12:00:00+02:00">14 marca 2011</time>' in html  # Babel still localizes dates
    home = read(out, "pl/2011/index.html")
    assert '<h2 id="latest-news-heading">Latest news</h2>' in home
    assert ">Read more<" in home


# --- each language is its own stream -----------------------------------------------------------


def test_latest_news_is_per_language(out: Path) -> None:
    assert sidebar_titles(read(out, "ru/2011/03/prize/index.html")) == [
        "Массовые задержания", "Русская новость 5", "Русская новость 4", "Русская новость 3"]
    assert sidebar_titles(read(out, "be/2011/03/prize/index.html")) == [
        "Беларуская навіна 5", "Беларуская навіна 4", "Беларуская навіна 3", "Беларуская навіна 2"]
    assert sidebar_titles(read(out, "en/2011/03/prize/index.html")) == ["Mass detentions", "Only in English"]


def test_home_and_archives_are_per_language(out: Path) -> None:
    home = read(out, "en/index.html")
    assert "Only in English" in home and "Премия" not in home and "Прэмія" not in home
    assert sorted(p.name for p in (out / "be").iterdir() if p.name.isdigit()) == ["2011", "2012", "2013", "2014",
                                                                                   "2015"]
    assert sorted(p.name for p in (out / "en").iterdir() if p.name.isdigit()) == ["2011", "2012", "2020"]
    assert "Русская новость" not in read(out, "en/2012/index.html")


def test_a_tag_shared_across_languages_is_separate_per_language(out: Path) -> None:
    en = read(out, "en/tags/belarus/index.html")
    ru = read(out, "ru/tags/belarus/index.html")
    assert '<p class="count">1 article</p>' in en
    assert '<p class="count">2 статьи</p>' in ru
    assert "Prize for the volunteers" in en and "Премия" not in en
    assert "Премия волонтёрам" in ru and "Массовые задержания" in ru and "Prize for" not in ru
    assert not (out / "be/tags/belarus").exists()


def test_article_tags_link_to_their_own_language(out: Path) -> None:
    html = read(out, "ru/2011/03/prize/index.html")
    assert '<a href="../../../../ru/tags/belarus/index.html" rel="tag">Belarus</a>' in html


# --- unicode slugs ----------------------------------------------------------------------------


def test_unicode_slugs_keep_cyrillic_urls_percent_encoded_in_links(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "config.yaml": CONFIG + "slugs: unicode\n",
        "content/be/2011/Праваабаронцы.md": article("Праваабаронцы", DAY, tags=["Выбары"]),
    })
    out = build_site_at(site)
    assert (out / "be/2011/03/праваабаронцы/index.html").is_file()
    assert (out / "be/tags/выбары/index.html").is_file()
    home = read(out, "be/index.html")
    encoded = "%D0%BF%D1%80%D0%B0%D0%B2%D0%B0%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%BD%D1%86%D1%8B"
    assert f'<a href="../be/2011/03/{encoded}/index.html">Праваабаронцы</a>' in home
    article_html = read(out, "be/2011/03/праваабаронцы/index.html")
    assert '<link rel="canonical" href="https://example.org/be/2011/03/' + encoded + '/">' in article_html
    tag_href = re.findall(r'<a href="([^"]*)" rel="tag">Выбары</a>', article_html)
    assert tag_href == ["../../../../be/tags/%D0%B2%D1%8B%D0%B1%D0%B0%D1%80%D1%8B/index.html"]
    assert file_of(out, "be/2011/03/праваабаронцы/index.html", tag_href[0]).is_file()


def test_ascii_slugs_transliterate_cyrillic_tags_and_files(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "config.yaml": CONFIG,
        "content/be/2011/Праваабаронцы пра выбары.md": article("Праваабаронцы пра выбары", DAY, tags=["Ўсё"]),
    })
    out = build_site_at(site)
    assert (out / "be/2011/03/pravaabarontsy-pra-vybary/index.html").is_file()
    assert (out / "be/tags/usio/index.html").is_file()


def test_outputs_do_not_depend_on_the_output_folder(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(three_languages())
    config = load_config(site)
    a = dataclasses.replace(config, output_override=tmp_path / "a")
    b = dataclasses.replace(config, output_override=tmp_path / "deeper" / "b")
    build(a, Options())
    build(b, Options(use_cache=False))
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    files_b = {p.relative_to(tmp_path / "deeper/b"): p.read_bytes() for p in (tmp_path / "deeper/b").rglob("*")
               if p.is_file()}
    assert files_a == files_b
