"""The site's own look (brand, menu, footer) and the reader's fixes of the default theme.

Small sites are built inline; the sample archive (which sets every brand key) is built once.
The same settings in a real browser, axe-core and the HTML checker: test_theme_browser.py,
test_html_valid.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import BASIC_CONFIG, article
from theme_support import REPO, build_sample

from generator import colours
from generator.brand import footer_html
from generator.config import parse_config
from generator.errors import ConfigError
from generator.scaffold import new_site

LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5"/></svg>\n'


def vestka(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True,
                          timeout=120, encoding="utf-8")


def build(site: Path) -> Path:
    done = vestka("build", "--site", str(site), "--no-cache")
    assert done.returncode == 0, done.stderr
    return site / "output"


def read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def problems_of(text: str, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path)
    return [str(p) for p in caught.value.problems]


class _Anchors(HTMLParser):
    """Every <a> inside the element with the given class: (attributes, text)."""

    def __init__(self, css_class: str) -> None:
        super().__init__(convert_charrefs=True)
        self.css_class, self.depth, self.found = css_class, 0, []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if self.depth:
            self.depth += tag not in ("img", "br", "meta", "link", "input")
        elif self.css_class in attributes.get("class", "").split():
            self.depth = 1
        if self.depth and tag == "a":
            self._current = attributes
            self.found.append([attributes, ""])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._current = None
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.found[-1][1] += data


def anchors(html: str, css_class: str) -> list[tuple[dict[str, str], str]]:
    parser = _Anchors(css_class)
    parser.feed(html)
    return [(a, t.strip()) for a, t in parser.found]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("brand") / "output")


# --- config: validated with line numbers --------------------------------------------------------


def test_brand_menu_and_footer_are_read(tmp_path: Path) -> None:
    config = parse_config(
        "languages: [{code: en, name: English}, {code: be, name: Беларуская}]\n"
        "brand: {logo: static/logo.svg, favicon: icon.png, accent: '#8A1C1C', show_title: true}\n"
        "menu:\n"
        "  en: [{title: About, url: /en/about}, {title: Donate, url: 'https://example.org/donate'}]\n"
        "footer: {be: '© 2025 *Вясна*'}\n", tmp_path)
    assert (config.brand.logo, config.brand.favicon, config.brand.accent) == ("logo.svg", "icon.png", "#8a1c1c")
    assert config.brand.show_title is True
    assert [(m.title, m.url) for m in config.menu["en"]] == [("About", "/en/about/"),
                                                            ("Donate", "https://example.org/donate")]
    assert config.menu["en"][0].line == 4
    assert "be" not in config.menu and dict(config.footer) == {"be": "© 2025 *Вясна*"}


def test_every_brand_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    found = problems_of(
        "languages: [{code: en, name: English}]\n"  # 1
        "brand:\n"                                  # 2
        "  logo: ../secret.svg\n"                   # 3
        "  favicon: icon.bmp\n"                     # 4
        "  accent: red\n"                           # 5
        "  colour: '#000'\n"                        # 6
        "menu:\n"                                   # 7
        "  en:\n"                                   # 8
        "    - {title: Home, url: 'javascript:alert(1)'}\n"  # 9
        "    - {title: Lost}\n"                     # 10
        "  de: []\n"                                # 11
        "footer: {en: [not, text]}\n",              # 12
        tmp_path)
    assert found == [
        "config.yaml:3: error: brand.logo must be a file inside static/, not '../secret.svg' — for example: logo: logo.svg",
        "config.yaml:4: error: brand.favicon must be an image file (.svg, .png, .ico), not 'icon.bmp'",
        "config.yaml:5: error: brand.accent must be a colour written #rrggbb or #rgb, not 'red' — for example: "
        "accent: '#8a1c1c' (quote it: YAML reads # as a comment)",
        "config.yaml:6: error: unknown key 'brand.colour' — valid keys here: logo, show_title, favicon, accent, accent_dark",
        "config.yaml:9: error: menu url 'javascript:alert(1)' must start with / (a page of this site) or be a full "
        "http(s), mailto: or tel: URL — write a site path such as /en/about/ or a full URL such as "
        "https://example.org/donate",
        "config.yaml:10: error: a menu entry needs both a title and a url — menu: {en: [{title: About, url: /en/about/}, "
        "{title: Donate, url: 'https://example.org/donate'}]}",
        "config.yaml:11: error: menu: the site has no language 'de' — use one of: en",
        "config.yaml:12: error: 'footer.en' must be a text (Markdown), not a list (['not', 'text']) — write footer: "
        "{en: 'Text © 2025 Our organisation. [Contacts](/en/contacts/)'}",
    ]


def test_low_contrast_accent_is_refused_with_the_ratio_found(tmp_path: Path) -> None:
    found = problems_of("brand:\n  accent: '#ff9900'\n  accent_dark: '#333'\n", tmp_path)
    assert found == [
        "config.yaml:2: error: brand.accent #ff9900 has a contrast of 2.14:1 against the light page background "
        "#ffffff; WCAG AA needs at least 4.5:1 for text — use a darker shade, such as #a86500",
        "config.yaml:3: error: brand.accent_dark #333333 has a contrast of 1.48:1 against the dark page background "
        "#121212; WCAG AA needs at least 4.5:1 for text — use a lighter shade, such as #7e7e7e",
    ]
    # the suggested shades do pass
    assert colours.contrast("#a86500", colours.LIGHT_BACKGROUND) >= 4.5
    assert colours.contrast("#7e7e7e", colours.DARK_BACKGROUND) >= 4.5


def test_contrast_is_computed_as_wcag_does() -> None:
    assert round(colours.contrast("#000000", "#ffffff"), 2) == 21.0
    assert round(colours.contrast("#777777", "#ffffff"), 2) == 4.48  # the classic "just fails" grey
    assert colours.shown_ratio(4.4999) == "4.49:1"  # rounded down: never shown as a passing 4.50
    assert colours.normalize("#ABC") == "#aabbcc" and colours.normalize("blue") is None


def test_check_refuses_a_low_contrast_accent_exit_1_naming_the_ratio(make_site: Callable[..., Path]) -> None:
    site = make_site({"config.yaml": BASIC_CONFIG + "brand:\n  accent: '#ff9900'\n",
                      "content/en/a.md": article("A", "2011-03-14")})
    for command in ("check", "build"):
        done = vestka(command, "--site", str(site))
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "config.yaml:12: error: brand.accent #ff9900 has a contrast of 2.14:1" in done.stderr, done.stderr
        assert "at least 4.5:1" in done.stderr
    assert not (site / "output").exists()


def test_missing_logo_file_is_named(make_site: Callable[..., Path]) -> None:
    site = make_site({"config.yaml": BASIC_CONFIG + "brand: {logo: logo.svg}\n",
                      "content/en/a.md": article("A", "2011-03-14")})
    done = vestka("check", "--site", str(site))
    assert done.returncode == 1
    assert "config.yaml:11: error: brand.logo: there is no file static/logo.svg in the site" in done.stderr


# --- what pages show ----------------------------------------------------------------------------

MENU_CONFIG = BASIC_CONFIG + """\
brand: {logo: logo.svg, favicon: logo.svg, accent: '#8a1c1c'}
menu:
  en:
    - {title: About, url: /en/about/}
    - {title: Reports, url: '/en/tags/reports/#latest'}
    - {title: Donate, url: 'https://example.org/donate'}
    - {title: Nowhere, url: /en/nowhere/}
  ru:
    - {title: О нас, url: /ru/about/}
"""


@pytest.fixture
def menu_site(make_site: Callable[..., Path]) -> Path:
    return make_site({
        "config.yaml": MENU_CONFIG,
        "static/logo.svg": LOGO,
        "content/en/pages/about.md": article("About us", "2011-01-01", translation_key="about"),
        "content/ru/pages/about.md": article("О нас", "2011-01-01", translation_key="about"),
        "content/en/2011/a.md": article("First", "2011-03-14", tags=["Reports"]),
    })


def test_menu_marks_the_current_page_only(menu_site: Path) -> None:
    out = build(menu_site)
    about = anchors(read(out, "en/about/index.html"), "site-nav")
    menu = [(a.get("href"), text, a.get("aria-current")) for a, text in about][-4:]
    assert menu == [("../../en/about/index.html", "About", "page"),
                    ("../../en/tags/reports/index.html#latest", "Reports", None),
                    ("https://example.org/donate", "Donate", None),
                    ("../../en/nowhere/index.html", "Nowhere", None)]
    assert [a.get("rel") for a, text in about if text == "Donate"] == ["noopener"]
    home = anchors(read(out, "en/index.html"), "site-nav")
    assert [text for a, text in home if a.get("aria-current")] == ["News"]  # not a menu entry
    ru = anchors(read(out, "ru/about/index.html"), "site-nav")
    assert [(text, a.get("aria-current")) for a, text in ru][-1] == ("О нас", "page")
    assert "Donate" not in read(out, "be/index.html")  # be has no menu


def test_menu_link_to_no_page_is_a_warning_with_its_line(menu_site: Path) -> None:
    done = vestka("check", "--site", str(menu_site))
    assert done.returncode == 0, done.stderr
    assert ("config.yaml:17: warning: menu entry 'Nowhere' (en) links to /en/nowhere/, which is no page or file "
            "of the site") in done.stderr
    assert "About" not in done.stderr and "Reports" not in done.stderr


def test_logo_favicon_and_colours_are_files_of_the_site(menu_site: Path) -> None:
    out = build(menu_site)
    html = read(out, "en/2011/03/a/index.html")
    assert '<img class="site-logo" src="../../../../static/logo.svg" alt="Test archive">' in html
    assert '<link rel="icon" href="../../../../static/logo.svg" type="image/svg+xml">' in html
    assert '<link rel="stylesheet" href="../../../../static/brand.css">' in html
    css = read(out, "static/brand.css")
    assert ":root { --accent: #8a1c1c;" in css
    # no accent_dark: dark mode gets the nearest shade readable on the dark page
    dark = re.search(r"prefers-color-scheme: dark\) \{ :root \{ --accent: (#[0-9a-f]{6})", css).group(1)
    assert colours.contrast(dark, colours.DARK_BACKGROUND) >= 4.5
    assert (out / "static/logo.svg").read_text() == LOGO
    for rel in ("en/index.html", "404.html", "en/about/index.html"):  # no inline style anywhere (CSP)
        assert " style=" not in read(out, rel) and "<style" not in read(out, rel)


def test_a_site_that_sets_nothing_looks_as_before(make_site: Callable[..., Path]) -> None:
    out = build(make_site({"content/en/2011/a.md": article("First", "2011-03-14")}))
    html = read(out, "en/2011/03/a/index.html")
    assert '<p class="site-title"><a href="../../../../en/index.html">Test archive</a></p>' in html
    assert '<link rel="icon" href="data:,">' in html
    assert "brand.css" not in html and not (out / "static/brand.css").exists()
    assert '<footer class="site-footer">\n<p>Test archive</p>\n</footer>' in html
    assert 'class="menu-item"' not in html


def test_footer_markdown_is_rendered_and_sanitized(make_site: Callable[..., Path]) -> None:
    footer = ("# Big heading\n\n© 2025 **Viasna** · [About](/en/about/) · [mail](mailto:info@example.org)\n\n"
              "<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3)) "
              '<a href="/en/about/" onclick="alert(4)" style="color:red">styled</a> '
              "<iframe src='https://evil.example'></iframe>")
    site = make_site({"config.yaml": BASIC_CONFIG + yaml.safe_dump({"footer": {"en": footer}}, allow_unicode=True),
                      "content/en/pages/about.md": article("About", "2011-01-01"),
                      "content/en/2011/a.md": article("First", "2011-03-14")})
    out = build(site)
    html = read(out, "en/2011/03/a/index.html")
    text = html.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]
    for bad in ("<script", "alert(1)", "<img", "onerror", "javascript:", "onclick", "style=", "<iframe", "evil",
                "<h1"):
        assert bad not in text, bad
    assert "<strong>Viasna</strong>" in text and "Big heading" in text
    assert '<a href="../../../../en/about/index.html">About</a>' in text  # site links relative to the page
    assert '<a href="mailto:info@example.org">mail</a>' in text
    assert html.count("<h1") == 1
    assert '<a href="../en/about/index.html">About</a>' in read(out, "en/index.html").split("site-footer", 1)[1]
    assert "Test archive" not in text  # the footer text replaces the description line
    # and the same in a language without a footer keeps the description
    assert "<p>Test archive</p>" in read(out, "ru/index.html").split("site-footer", 1)[1]


def test_footer_html_keeps_only_text_and_links() -> None:
    assert footer_html("*a* <b onclick='x'>b</b> <span style='x'>c</span>") == "<p><em>a</em> <b>b</b> <span>c</span></p>"
    assert footer_html("") == ""


# --- the reader's fixes, on the sample archive ----------------------------------------------------


def test_switcher_on_an_untranslated_article_goes_to_the_homes(sample: Path) -> None:
    for rel in ("en/2011/03/lawyer-disbarred/index.html", "en/2016/09/trial-monitoring-results/index.html"):
        links = anchors(read(sample, rel), "language-nav")
        shown = [(a["hreflang"], a["href"], text, a.get("aria-current"), a.get("rel")) for a, text in links]
        own = "../../../../" + rel
        assert shown == [("en", own, "English", "true", None),
                         ("ru", "../../../../ru/index.html", "Русский (главная)", None, None),
                         ("be", "../../../../be/index.html", "Беларуская (галоўная)", None, None)], rel
        assert all((sample / rel).parent.joinpath(a["href"]).resolve().is_file() for a, _ in links)


def test_switcher_on_a_translated_article_goes_to_the_translations(sample: Path) -> None:
    links = anchors(read(sample, "en/2012/12/annual-report-2012/index.html"), "language-nav")
    assert [(a["hreflang"], a.get("rel"), text) for a, text in links] == [
        ("en", None, "English"), ("ru", "alternate", "Русский"), ("be", "alternate", "Беларуская")]
    assert links[1][0]["href"].startswith("../../../../ru/2012/12/")


def test_every_page_has_a_language_switcher(sample: Path) -> None:
    pages = [p for p in sample.rglob("*.html") if "http-equiv=\"refresh\"" not in p.read_text(encoding="utf-8")]
    without = [p.relative_to(sample).as_posix() for p in pages
               if 'class="language-nav"' not in p.read_text(encoding="utf-8")]
    assert len(pages) > 100 and without == []


def test_home_sidebar_shows_most_used_tags_and_years_not_its_own_list(sample: Path) -> None:
    for lang in ("en", "ru", "be"):
        html = read(sample, f"{lang}/index.html")
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        aside = html.split("<aside", 1)[1].split("</aside>", 1)[0]
        listed = set(re.findall(r'<h2><a href="([^"]+)"', main))
        linked = set(re.findall(r'href="([^"]+)"', aside))
        assert listed and not listed & linked, lang
        assert 'class="latest-news"' not in aside
        tags = [(a["href"], text) for a, text in anchors("<div class='x'>" + aside + "</div>", "top-tags")]
        index = read(sample, f"{lang}/tags/index.html").split('<ul class="term-list">', 1)[1].split("</ul>", 1)[0]
        most_used = re.findall(r'<li><a href="\.\./\.\./([^"]+)">([^<]+)</a>', index)  # by count, most first
        assert len(tags) == min(10, len(most_used)) >= 5, lang
        assert [(h.removeprefix("../"), t) for h, t in tags] == most_used[: len(tags)], lang
        years = re.findall(r'<a href="\.\./' + lang + r'/(\d{4})/index.html">', aside)
        assert years == sorted({p.name for p in (sample / lang).glob("[12][0-9][0-9][0-9]")}, reverse=True)
    # the root page is the default language's home, with the same sidebar
    assert "top-tags" in read(sample, "index.html")


def test_tags_are_shown_as_their_tag_page_spells_them(sample: Path) -> None:
    # content/en/2020/protest-detentions-2020.md writes "political prisoners"
    source = (REPO / "content/en/2020/protest-detentions-2020.md").read_text(encoding="utf-8")
    assert "political prisoners" in source
    html = read(sample, "en/2020/08/protest-detentions-2020/index.html")
    assert 'rel="tag">Political prisoners</a>' in html and ">political prisoners<" not in html
    assert '<meta property="article:tag" content="Political prisoners">' in html
    assert "<h1>Tag: Political prisoners</h1>" in read(sample, "en/tags/political-prisoners/index.html")
    feed = read(sample, "en/feed.xml")
    assert 'term="Political prisoners"' in feed and 'term="political prisoners"' not in feed


def test_sample_uses_the_brand_settings(sample: Path) -> None:
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    assert config["brand"]["logo"] and config["brand"]["accent"]
    html = read(sample, "be/index.html")
    assert 'class="site-logo"' in html and "static/brand.css" in html
    nav = [text for _, text in anchors(html, "site-nav")]
    assert nav[-2:] == ["Пра нас", "Падтрымаць"]
    for lang in ("en", "ru", "be"):
        assert (sample / lang / "about" / "index.html").is_file() and (sample / lang / "donate" / "index.html").is_file()


# --- vestka new -----------------------------------------------------------------------------------


def test_new_site_config_has_a_commented_brand_example_that_is_valid(tmp_path: Path) -> None:
    new_site(tmp_path / "site")
    text = (tmp_path / "site" / "config.yaml").read_text(encoding="utf-8")
    assert "# brand:" in text and "# menu:" in text and "# footer:" in text
    plain = parse_config(text, tmp_path)
    assert plain.brand.accent == "" and not plain.menu and not plain.footer
    # with the "# " removed, the example is a valid configuration
    start = text.index("# brand:")
    uncommented = text[:start] + re.sub(r"(?m)^# ", "", text[start:])
    config = parse_config(uncommented, tmp_path)
    assert config.brand.accent and config.menu["en"] and config.footer["be"]
