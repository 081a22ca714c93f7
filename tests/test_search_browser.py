"""Site search in headless Chromium: Pagefind over http, the fallback index from file://.

The site is built, indexed with the real Pagefind binary, served by `python -m http.server`
on 127.0.0.1 in a subprocess, and searched by typing into the search page. Every request the
browser makes is recorded; any to another host fails the test.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import BASIC_CONFIG, article
from test_feeds import Built, discovery_build, discovery_site
from theme_support import chromium_path

from generator.render import builtin_theme_dir
from generator.search import FALLBACK_NAME, run_pagefind, search_fallback_index

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: The theme's own Content-Security-Policy stays in force (Pagefind runs its WebAssembly in a worker).
SEARCH_CONFIG = BASIC_CONFIG.replace("search: false", "search: true")
WAIT_MS = 15_000


def marked_theme(site: Path) -> str:
    """Config lines that make the article template mark its content for Pagefind.

    The default theme's article.html gets `data-pagefind-body` on its <article>; until it has it,
    the site uses a copy of it that does (without it Pagefind would index list pages too).
    """
    source = (builtin_theme_dir() / "templates" / "article.html").read_text(encoding="utf-8")
    if "data-pagefind-body" in source:
        return ""
    marked = source.replace('<article class="article"', '<article class="article" data-pagefind-body', 1)
    assert marked != source
    target = site / "themes" / "marked" / "templates" / "article.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(marked, encoding="utf-8")
    return "theme: marked\n"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("search")

    def make(files: dict[str, str | bytes], name: str = "site") -> Path:
        root = folder / name
        for rel, content in {"config.yaml": SEARCH_CONFIG, **files}.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
        return root

    site = discovery_site(make, config=SEARCH_CONFIG)
    (site / "config.yaml").write_text(SEARCH_CONFIG + marked_theme(site), encoding="utf-8")
    built = discovery_build(site)
    seconds = run_pagefind(built.out, built.config)
    assert 0 < seconds < 60
    assert (built.out / "pagefind" / "pagefind.js").is_file()
    return built


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(indexed: Built) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                             "--directory", str(indexed.out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, "http.server exited"
                assert time.monotonic() < deadline, "http.server did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    import playwright.sync_api as playwright

    executable = chromium_path()
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROME_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[tuple[object, list[str]]]:
    """A fresh page, and the list of every URL it requests; requests off loopback are refused."""
    context = browser.new_context()
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    blocked: list[str] = []
    context.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    def guard(route: object) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    try:
        yield tab, requested
        assert blocked == []
    finally:
        context.close()


def only_local(requested: list[str]) -> None:
    assert requested, "no request was recorded"
    strangers = [u for u in requested
                 if not (u.startswith(("file://", "data:", "blob:")) or urlsplit(u).hostname == "127.0.0.1")]
    assert strangers == []


def search(tab: object, query: str) -> tuple[str, list[dict[str, str]]]:
    """Type `query`, wait for the results to settle; return the engine used and the results."""
    tab.fill("#search-input", "")
    tab.type("#search-input", query, delay=20)
    tab.wait_for_function(
        "q => { const b = document.getElementById('search-results');"
        " return b.dataset.engine && !b.hasAttribute('aria-busy') && b.querySelector('.search-count')"
        " && document.getElementById('search-input').value === q; }", arg=query, timeout=WAIT_MS)
    tab.wait_for_timeout(400)  # let a search started by the last keystroke replace earlier results
    tab.wait_for_function("() => !document.getElementById('search-results').hasAttribute('aria-busy')")
    engine = tab.get_attribute("#search-results", "data-engine")
    results = tab.eval_on_selector_all(
        "#search-results li a", "links => links.map(a => ({title: a.textContent, href: a.getAttribute('href')}))")
    return engine, results


@pytest.mark.browser
def test_http_search_uses_pagefind_in_the_page_language(indexed: Built, server: str, page: tuple) -> None:
    tab, requested = page
    tab.goto(server + "en/search/")
    engine, results = search(tab, "detentions")
    assert engine == "pagefind"
    assert {"title": "Mass detentions", "href": "../../en/2020/08/detentions/index.html"} in results
    assert all("/ru/" not in r["href"] for r in results)
    # Only articles are indexed, not the list pages that show them.
    assert all(r["href"].count("/") == 6 and "/tags/" not in r["href"] for r in results), results
    # Full text: "blog" is only in the body of this article, not in its title, tags or summary.
    engine, results = search(tab, "blog")
    assert engine == "pagefind"
    assert [r["title"] for r in results] == ["Mikhalevich fled"]
    tab.click("#search-results li a")
    tab.wait_for_url("**/en/2011/03/mikhalevich/index.html")
    assert tab.text_content("h1").startswith("Mikhalevich fled")
    tab.goto(server + "ru/search/")
    engine, results = search(tab, "задержания")
    assert engine == "pagefind"
    assert [r["title"] for r in results] == ["Массовые задержания"]
    tab.goto(server + "en/search/")
    engine, results = search(tab, "задержания")
    assert (engine, results) == ("pagefind", [])
    assert tab.text_content(".search-count") == "No articles found."
    only_local(requested)


@pytest.mark.browser
def test_file_search_uses_the_fallback_index(indexed: Built, page: tuple) -> None:
    tab, requested = page
    tab.goto((indexed.out / "en" / "search" / "index.html").as_uri())
    engine, results = search(tab, "detentions")
    assert engine == "fallback"
    assert results == [{"title": "Mass detentions", "href": "../../en/2020/08/detentions/index.html"}]
    engine, results = search(tab, "courts")  # a tag
    assert [r["title"] for r in results] == [indexed.site.pages["content/en/2021/hostile.md"].title,
                                             "Mass detentions"]
    assert tab.text_content(".search-count") == "Found: 2"
    engine, results = search(tab, "DETENTIONS minsk")  # every word, any case, summary text
    assert [r["title"] for r in results] == ["Mass detentions"]
    tab.click("#search-results li a")
    tab.wait_for_url("**/en/2020/08/detentions/index.html")
    assert tab.text_content("h1").startswith("Mass detentions")
    # The query in the address fills the box and searches at once.
    tab.goto((indexed.out / "en" / "search" / "index.html").as_uri() + "?q=annual")
    tab.wait_for_selector("#search-results li a")
    assert tab.text_content("#search-results li a") == "Annual report 2012"
    assert all(u.startswith("file://") for u in requested)
    only_local(requested)


@pytest.mark.browser
def test_http_search_falls_back_when_pagefind_cannot_load(indexed: Built, server: str, page: tuple) -> None:
    tab, requested = page
    tab.route("**/pagefind/**", lambda route: route.fulfill(status=404, body="gone"))
    tab.goto(server + "en/search/")
    engine, results = search(tab, "report")
    assert engine == "fallback"
    assert [r["title"] for r in results] == ["Annual report 2012"]
    only_local(requested)


def test_fallback_index_is_a_plain_script_with_relative_links(indexed: Built) -> None:
    text = (indexed.out / "en" / "search" / FALLBACK_NAME).read_text(encoding="utf-8")
    prefix = "window.vestkaSearch = "
    assert text.startswith(prefix) and text.endswith(";\n")
    assert "</script" not in text
    data = json.loads(text[len(prefix):-2])
    assert data["lang"] == "en"
    titles = [item["title"] for item in data["items"]]
    assert titles[:4] == [indexed.site.pages["content/en/2021/hostile.md"].title, "Mass detentions",
                          "Annual report 2012", "Mikhalevich fled"]
    assert "Unfinished draft" not in titles and "From the future" not in titles
    report = data["items"][2]
    assert report == {"title": "Annual report 2012", "url": "../../en/2012/12/report/index.html",
                      "date": "2012-12-10", "tags": ["Belarus", "Reports"],
                      "summary": indexed.bodies["content/en/2012/report.md"].summary_text}


def test_search_false_turns_everything_off(make_site: Callable[..., Path]) -> None:
    built = discovery_build(discovery_site(make_site))  # BASIC_CONFIG has search: false
    assert search_fallback_index(built.site, built.bodies, built.config) == []
    assert run_pagefind(built.out, built.config) == 0.0
    assert not (built.out / "pagefind").exists()
    assert not (built.out / "en" / "search").exists()
    assert "search/" not in built.text("en/index.html")


def test_portable_false_links_to_folders(make_site: Callable[..., Path]) -> None:
    config = SEARCH_CONFIG + "portable: false\n"
    site = make_site({"config.yaml": config,
                      "content/en/2020/a.md": article("Alpha", "2020-01-01T10:00:00+03:00", "Text.")})
    built = discovery_build(site)
    text = (built.out / "en" / "search" / FALLBACK_NAME).read_text(encoding="utf-8")
    assert '"url":"../../en/2020/01/a/"' in text
    html = built.text("en/search/index.html")
    assert 'data-portable="false"' in html and 'data-pagefind="../../pagefind/pagefind.js"' in html
