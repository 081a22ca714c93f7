"""The default theme in a real headless Chromium, opened from file:// as from a USB stick.

- axe-core finds no WCAG 2.1 A/AA or best-practice violation on the home, an article, a tag
  page, an archive page and the search page of every language, in light and dark schemes;
- a reader clicks home -> article -> tag -> next page -> translation -> search and lands on
  the right page each time, with and without JavaScript, and the browser asks no host at all;
- the layout holds at 320 px, focus is visible, print hides the navigation, and an article
  page weighs under 30 KB before images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from theme_support import AXE_JS, LANGUAGES, REPO, build_sample, chromium, require_file, run_axe

pytestmark = pytest.mark.browser

ARTICLE_BUDGET = 30 * 1024
#: An article of each language that has no translation.
UNTRANSLATED = {"en": "2011/03/lawyer-disbarred/index.html", "ru": "2010/12/zaderzhaniya-posle-vyborov/index.html",
                "be": "2009/09/shtrafy-za-pikety/index.html"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("theme") / "output")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _href(page: object, selector: str) -> str:
    """The absolute URL a link points at (first match), as the browser resolved it."""
    return page.eval_on_selector(selector, "a => a.href")


def key_pages(page: object, sample: Path, lang: str) -> dict[str, str]:
    """file:// URLs of one page of each kind in `lang`, found by following the theme's own links."""
    page.goto((sample / lang / "index.html").as_uri())
    found = {"home": page.url,
             "archive": _href(page, ".site-nav a[href$='archive/index.html']"),
             "search": _href(page, ".site-nav a[href$='search/index.html']")}
    # The article with the most translations, so the language switcher is on it.
    found["article"] = _href(page, "main article.summary h2 a")
    for candidate in page.eval_on_selector_all("main article.summary h2 a", "as => as.map(a => a.href)"):
        page.goto(candidate)
        if page.locator(".language-nav a[rel='alternate']").count() >= 1 and page.locator(".tags a").count() >= 1:
            found["article"] = candidate
            break
    page.goto(found["article"])
    found["tag"] = _href(page, ".tags a")
    page.goto(found["archive"])
    found["month"] = _href(page, ".archive-months a")
    # A standalone page from the header menu, and an article nobody translated.
    page.goto(found["home"])
    found["menu page"] = _href(page, ".site-nav .menu-item a")
    found["untranslated"] = (sample / lang / UNTRANSLATED[lang]).as_uri()
    return found


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation(sample: Path, browser: object, scheme: str) -> None:
    require_file(AXE_JS, "axe-core")
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)  # CSP would refuse the injected axe
    page = context.new_page()
    report = {}
    visited = 0
    for lang in LANGUAGES:
        for kind, url in key_pages(page, sample, lang).items():
            page.goto(url)
            assert page.evaluate("document.documentElement.lang") == lang, url
            violations = run_axe(page)
            visited += 1
            if violations:
                report[f"{lang} {kind} {url}"] = violations
    context.close()
    assert visited == len(LANGUAGES) * 8
    assert report == {}, report


def test_axe_is_awake(browser: object, tmp_path: Path) -> None:
    """The same axe call does find violations on a bad page (so zero above means something)."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><title>x</title><p style='color:#bbb;background:#fff'>low</p>"
                   "<img src='x.png'><a href='a.html'></a>", encoding="utf-8")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(bad.as_uri())
    found = {v["id"] for v in run_axe(page)}
    context.close()
    assert {"html-has-lang", "image-alt", "link-name", "color-contrast"} <= found


def _expect_heading(page: object, text: str) -> None:
    heading = page.locator("main h1").first.inner_text().strip()
    assert text.strip() in heading, f"expected {text!r} in the heading {heading!r} at {page.url}"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reader_walks_the_site_from_file(sample: Path, browser: object, javascript: bool) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())  # nothing may leave the disk
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    root = sample.resolve().as_uri() + "/"

    # home (the site root) -> the first article
    page.goto(root + "index.html")
    assert page.evaluate("getComputedStyle(document.querySelector('.layout')).display") == "grid", \
        "the stylesheet did not load from file://"
    link = page.locator("main article.summary h2 a").first
    title = link.inner_text()
    link.click()
    page.wait_for_load_state()
    assert page.url.startswith(root) and page.url.endswith("/index.html")
    _expect_heading(page, title)
    assert page.locator("article time[datetime]").count() >= 1

    # -> one of its tags
    tag = page.locator(".tags a").first
    tag_name = tag.inner_text()
    tag.click()
    page.wait_for_load_state()
    _expect_heading(page, tag_name)
    assert page.locator(f"main article.summary h2 a:text-is({title!r})").count() == 1

    # -> the news list, and its next page
    page.locator(".site-nav a").first.click()
    page.wait_for_load_state()
    assert page.locator(".pagination [aria-current='page']").inner_text().strip() == "1"
    first_page_titles = page.locator("main article.summary h2 a").all_inner_texts()
    page.locator(".pagination a[rel='next']").click()
    page.wait_for_load_state()
    assert page.url.endswith("/en/page/2/index.html")
    assert page.locator(".pagination [aria-current='page']").inner_text().strip() == "2"
    second_page_titles = page.locator("main article.summary h2 a").all_inner_texts()
    assert second_page_titles and not set(second_page_titles) & set(first_page_titles)

    # -> an article that has translations, and its translation
    translated = None
    for href in page.eval_on_selector_all("main article.summary h2 a", "as => as.map(a => a.href)") + [
            root + "en/2012/12/annual-report-2012/index.html"]:
        page.goto(href)
        if page.locator("nav.language-nav a[rel='alternate']").count():
            translated = href
            break
    assert translated, "no article with a translation was found"
    other = page.locator("nav.language-nav a[rel='alternate']").first
    other_lang = other.get_attribute("hreflang")
    other.click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == other_lang
    assert page.url.startswith(root + other_lang + "/")
    assert page.locator("nav.language-nav a[hreflang='en']").count() == 1  # and back again

    # -> search, in that language
    page.locator(".site-nav a[href$='search/index.html']").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/{other_lang}/search/index.html")
    if javascript:
        # Search for the title of an article in the sidebar: it must be found and open.
        wanted = page.locator(".sidebar .latest-news a").first
        query = wanted.inner_text().strip()
        target = page.evaluate("a => a.href", wanted.element_handle())
        page.fill("#search-input", query)
        page.press("#search-input", "Enter")
        hit = page.locator("#search-results a").first
        hit.wait_for(timeout=10_000)
        hits = page.eval_on_selector_all("#search-results a", "as => as.map(a => a.href)")
        assert target in hits, (target, hits)
        page.locator("#search-results a").nth(hits.index(target)).click()
        page.wait_for_load_state()
        assert page.url == target
        _expect_heading(page, query)
    else:
        # Without JavaScript the page says so and offers the tag and archive lists instead.
        assert page.locator("main form[role='search'] input[type='search']").count() == 1
        assert "noscript" in page.content()

    context.close()
    assert errors == []
    assert requests and all(u.startswith("file://") for u in requests), [u for u in requests if not u.startswith("file://")]


def test_narrow_screens_keep_everything_on_screen(sample: Path, browser: object) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    too_wide = []
    for lang in LANGUAGES:
        for kind, url in key_pages(page, sample, lang).items():
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                too_wide.append(f"{lang} {kind}: {width}px")
    context.close()
    assert too_wide == []


def test_focus_is_visible_and_the_skip_link_works(sample: Path, browser: object) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto((sample / "en" / "index.html").as_uri())
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const a = document.activeElement, s = getComputedStyle(a),
        r = a.getBoundingClientRect();
        return {cls: a.className, outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                visible: r.left >= 0 && r.top >= 0 && r.width > 0}; }""")
    assert focused["cls"] == "skip-link" and focused["visible"], focused
    assert focused["outline"] != "none" and focused["width"] >= 2, focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside main, with a visible outline
    inside = page.evaluate("""() => { const a = document.activeElement, s = getComputedStyle(a);
        return {inMain: !!a.closest('main'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }""")
    assert inside["inMain"] and inside["outline"] != "none" and inside["width"] >= 2, inside
    context.close()


def test_print_shows_the_article_without_navigation(sample: Path, browser: object) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto((sample / "en" / "index.html").as_uri())
    page.locator("main article.summary h2 a").first.click()
    page.wait_for_load_state()
    page.emulate_media(media="print")
    shown = page.evaluate("""() => Object.fromEntries(['.site-nav', '.sidebar', '.skip-link', 'main h1', '.body']
        .map(s => [s, document.querySelector(s) ? getComputedStyle(document.querySelector(s)).display : 'absent']))""")
    assert shown[".site-nav"] == "none" and shown[".sidebar"] == "none" and shown[".skip-link"] == "none", shown
    assert shown["main h1"] != "none" and shown[".body"] != "none", shown
    assert page.pdf(format="A4")[:4] == b"%PDF"
    context.close()


def test_dark_scheme_changes_colours(sample: Path, browser: object) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto((sample / "en" / "index.html").as_uri())
        colours[scheme] = page.evaluate("[getComputedStyle(document.body).backgroundColor,"
                                        " getComputedStyle(document.body).color]")
        context.close()
    assert colours["light"] != colours["dark"]
    assert colours["dark"][0] != "rgb(255, 255, 255)"


def test_an_article_page_weighs_under_30_kb_before_images(sample: Path, browser: object) -> None:
    context = browser.new_context()
    loaded: list[str] = []
    context.on("requestfinished", lambda r: loaded.append(r.url))
    page = context.new_page()
    heaviest = (0, "")
    for lang in LANGUAGES:
        for path in sorted((sample / lang).glob("20*/*/*/index.html")):
            loaded.clear()
            page.goto(path.as_uri(), wait_until="load")
            files = [Path(unquote(u.removeprefix("file://"))) for u in loaded if not u.lower().endswith(IMAGE_SUFFIXES)]
            size = sum(f.stat().st_size for f in files)
            assert any(f.name == "site.css" for f in files)
            heaviest = max(heaviest, (size, path.relative_to(sample).as_posix()))
    context.close()
    assert 0 < heaviest[0] < ARTICLE_BUDGET, heaviest


def test_switcher_on_an_untranslated_article_leads_to_the_other_home(sample: Path, browser: object) -> None:
    context = browser.new_context()
    context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
    page = context.new_page()
    page.goto((sample / "en" / UNTRANSLATED["en"]).as_uri())
    assert page.locator("nav.language-nav a[rel='alternate']").count() == 0  # no translation...
    link = page.locator("nav.language-nav a[hreflang='be']")
    assert link.inner_text() == "Беларуская (галоўная)"  # ...yet a way to the Belarusian site
    link.click()
    page.wait_for_load_state()
    assert page.url == (sample / "be" / "index.html").as_uri()
    assert page.evaluate("document.documentElement.lang") == "be"
    context.close()


def test_archive_keeps_each_year_with_its_months_in_one_column(sample: Path, browser: object) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for lang in LANGUAGES:
        page.goto((sample / lang / "archive" / "index.html").as_uri())
        columns = page.evaluate("""() => [...document.querySelectorAll('.archive-years > li')].map(li =>
            ({year: li.firstElementChild.textContent, boxes: li.getClientRects().length,
              left: Math.round(li.getBoundingClientRect().left)}))""")
        assert len({c["left"] for c in columns}) == 2, (lang, columns)  # two columns at this width
        split = [c["year"] for c in columns if c["boxes"] != 1]  # a year cut by a column break has two boxes
        assert split == [], (lang, split)
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_brand_logo_and_accent_show_from_file(sample: Path, browser: object, scheme: str) -> None:
    import yaml

    from generator import brand, config

    settings = config.load_config(REPO)
    accent = brand.accents(settings)[scheme]
    expected = "rgb({}, {}, {})".format(*(int(accent[i:i + 2], 16) for i in (1, 3, 5)))
    context = browser.new_context(color_scheme=scheme)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto((sample / "ru" / "index.html").as_uri())
    shown = page.evaluate("""() => { const logo = document.querySelector('.site-title img.site-logo');
        return {logo: logo.complete && logo.naturalWidth > 0, alt: logo.alt, height: logo.getBoundingClientRect().height,
                title: document.querySelector('.site-title').innerText.trim(),
                link: getComputedStyle(document.querySelector('main h2 a')).color}; }""")
    assert shown["logo"] and shown["height"] > 30, shown
    assert shown["title"] == yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["languages"][1]["title"]
    assert shown["link"] == expected, shown
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the skip link, onto the logo's link
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert outline == expected
    assert all(u.startswith("file://") for u in requests)
    context.close()
