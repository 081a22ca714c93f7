"""`vestka serve` end to end in headless Chromium: open tabs follow every save, by themselves.

Each test starts the real command on 127.0.0.1 (see test_serve.Running), opens a page, waits
until its live-reload socket is connected, edits the site's files, and waits for the page to
change without ever calling reload. The default theme's Content-Security-Policy stays on, so
these also prove the injected scripts work under it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import article
from test_serve import Running, write_site
from theme_support import chromium_path

from generator.theme import builtin_theme_dir

pytestmark = pytest.mark.browser

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JS_CONNECTED = ("() => window.LiveReload && window.LiveReload.connector"
                " && window.LiveReload.connector._isSocketConnected()")
#: Generous bound for one save to show in the tab (a rebuild of these sites takes about a second).
UPDATE_TIMEOUT_MS = 20_000

OLD = "content/en/2020/old-news.md"
MID = "content/en/2021/mid-news.md"
OLD_URL = "/en/2020/03/old-news/"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROME_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site", {
        OLD: article("Old news", "2020-03-01T10:00:00Z", "The first version of the story."),
        MID: article("Middle news", "2021-05-01T10:00:00Z", "Another story."),
        "content/en/2019/older.md": article("Older news", "2019-01-01T10:00:00Z", "An older story."),
    })


@pytest.fixture
def server(site: Path, tmp_path: Path) -> Iterator[Running]:
    running = Running(site, "--port", "0", cwd=tmp_path)
    yield running
    assert running.stop() == 0


@pytest.fixture
def page(browser, server: Running) -> Iterator[object]:
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.errors = errors  # checked by tests that care (CSP violations show up here)
    yield tab
    context.close()


def open_page(tab, server: Running, path: str) -> None:
    tab.goto(server.url.rstrip("/") + path)
    tab.wait_for_function(JS_CONNECTED, timeout=10_000)


def wait_text(tab, selector: str, text: str, present: bool = True) -> None:
    check = "!==" if not present else "==="
    script = (f"() => {{ const el = document.querySelector({selector!r});"
              f" return (el !== null && el.textContent.includes({text!r})) {check} true; }}")
    tab.wait_for_function(script, timeout=UPDATE_TIMEOUT_MS, polling=50)


def test_edit_shows_in_the_open_page_without_a_manual_reload(page, server: Running, site: Path) -> None:
    other = page.context.new_page()
    open_page(other, server, "/en/2021/05/mid-news/")
    open_page(page, server, OLD_URL)
    assert "The first version" in page.text_content("main")
    page.evaluate("() => { window.__marker = 'still the same document'; }")
    started = time.monotonic()
    (site / OLD).write_text(article("Old news, corrected", "2020-03-01T10:00:00Z", "The second version."))
    wait_text(page, "main", "The second version.")
    elapsed = time.monotonic() - started
    assert page.evaluate("() => window.__marker") is None  # the page did reload, by itself
    assert "Old news, corrected" in page.text_content("h1")
    # Another open article lists the new title in its sidebar: no page is left stale.
    wait_text(other, ".latest-news", "Old news, corrected")
    assert elapsed < 10, elapsed
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors


def test_newer_articles_appear_in_the_sidebar_of_the_open_page(page, server: Running, site: Path) -> None:
    open_page(page, server, OLD_URL)
    assert "Older news" in page.text_content(".latest-news")
    # Two files at once, as a `git pull` writes them; the newest-3 set changes.
    (site / "content/en/2022").mkdir(parents=True)
    (site / "content/en/2022/new-a.md").write_text(article("New report A", "2022-06-01T10:00:00Z", "A."))
    (site / "content/en/2022/new-b.md").write_text(article("New report B", "2022-07-01T10:00:00Z", "B."))
    wait_text(page, ".latest-news", "New report B")
    sidebar = page.text_content(".latest-news")
    assert "New report A" in sidebar and "Middle news" in sidebar
    assert "Older news" not in sidebar  # pushed out of the newest three, on this very page


def test_two_saves_half_a_second_apart_both_reach_the_browser(page, server: Running, site: Path) -> None:
    open_page(page, server, OLD_URL)
    (site / OLD).write_text(article("Old news", "2020-03-01T10:00:00Z", "Edit number one."))
    time.sleep(0.5)
    (site / OLD).write_text(article("Old news", "2020-03-01T10:00:00Z", "Edit number two."))
    wait_text(page, "main", "Edit number two.")
    time.sleep(1.5)  # and it stays: no late build of the first save brings it back
    assert "Edit number two." in page.text_content("main")


def test_broken_front_matter_shows_file_and_line_then_recovers(page, server: Running, site: Path) -> None:
    open_page(page, server, OLD_URL)
    (site / OLD).write_text("---\ntitle: Old news\ndate: 2020-03-01T10:00:00Z\ntags: [unclosed\n---\n\nBroken.\n")
    page.wait_for_selector("#vestka-build-error", timeout=UPDATE_TIMEOUT_MS)
    banner = page.text_content("#vestka-build-error")
    assert f"{OLD}:" in banner and "error:" in banner and "YAML" in banner
    line = int(banner.split(f"{OLD}:")[1].split(":")[0])
    assert 2 <= line <= 5, banner
    assert "The first version" in page.text_content("main")  # the last good page stays under the banner
    assert page.is_visible("#vestka-build-error")
    (site / OLD).write_text(article("Old news", "2020-03-01T10:00:00Z", "Fixed and working."))
    wait_text(page, "main", "Fixed and working.")
    assert page.query_selector("#vestka-build-error") is None


def test_deleting_an_article_makes_its_url_a_404(page, server: Running, site: Path) -> None:
    open_page(page, server, OLD_URL)
    (site / OLD).unlink()
    page.wait_for_function("() => document.body && document.body.classList.contains('kind-404')",
                           timeout=UPDATE_TIMEOUT_MS, polling=50)
    response = page.request.get(server.url.rstrip("/") + OLD_URL)
    assert response.status == 404
    assert "Old news" not in page.text_content(".latest-news")


def test_theme_change_reaches_every_open_page(browser, server: Running, site: Path) -> None:
    context = browser.new_context()
    try:
        article_tab, home_tab = context.new_page(), context.new_page()
        open_page(article_tab, server, OLD_URL)
        open_page(home_tab, server, "/en/")
        base = (builtin_theme_dir() / "templates" / "base.html").read_text(encoding="utf-8")
        assert "</footer>" in base
        override = site / "themes" / "default" / "templates" / "base.html"
        override.parent.mkdir(parents=True)
        override.write_text(base.replace("</footer>", '<p id="theme-mark">Theme edited</p></footer>'))
        for tab in (article_tab, home_tab):
            wait_text(tab, "#theme-mark", "Theme edited")
    finally:
        context.close()


def test_drafts_show_a_badge_and_stay_out_of_the_build(browser, site: Path, tmp_path: Path,
                                                        build_site) -> None:
    (site / "content/en/2021/plan.md").write_text(
        article("Draft plan", "2021-07-01T10:00:00Z", "Not yet public.", draft=True))
    running = Running(site, "--port", "0", "--drafts", cwd=tmp_path)
    context = browser.new_context()
    try:
        tab = context.new_page()
        open_page(tab, running, "/en/2021/07/plan/")
        assert tab.text_content("h1 .badge").strip() == "Draft"
        assert not (site / "output").exists()
    finally:
        context.close()
        assert running.stop() == 0
    build_site(site)
    built = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert "Old news" in built and "Draft plan" not in built


def test_a_tab_that_missed_a_reload_while_loading_catches_up(page, server: Running, site: Path) -> None:
    # Edit while the tab is still connecting: the reload message finds no socket, and the page
    # must notice on connecting that a newer build exists.
    page.goto(server.url.rstrip("/") + OLD_URL, wait_until="commit")
    (site / OLD).write_text(article("Old news", "2020-03-01T10:00:00Z", "Written while the tab loaded."))
    wait_text(page, "main", "Written while the tab loaded.")


def test_stopping_leaves_no_process_and_keeps_the_preview_for_reuse(server: Running, site: Path) -> None:
    assert server.stop() == 0
    assert "Stopped." in server.output
    preview = site / ".vestka-cache" / "preview" / "0"
    assert (preview / "index.html").is_file()
    shutil.rmtree(site / ".vestka-cache")  # safe to delete, like every cache
