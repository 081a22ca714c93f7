"""Site search in headless Chromium, over http and from file://, with the theme's own CSP.

The site is built with search on, served by `python -m http.server` on 127.0.0.1 in a
subprocess, and searched through the search page as a reader would. Every request the
browser makes is recorded; any to another host fails the test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import BASIC_CONFIG, article
from theme_support import chromium_path

from generator.build import Options, build
from generator.config import load_config

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SEARCH_CONFIG = BASIC_CONFIG.replace("search: false", "search: true").replace(
    "  - {code: be, name: Беларуская}", "  - {code: be, name: Беларуская, date_format: d MMMM y}")
WAIT_MS = 15_000

FILES = {
    "content/be/2022/zaiava.md": article(
        "Сумесная заява праваабаронцаў", "2022-05-18T12:00:00+03:00",
        "Колькасць палітвязняў у Беларусі перавысіла тысячу. Сярод іх журналісты.\n\n"
        "Мы патрабуем вызваліць усіх палітвязняў.", tags=["Заявы"]),
        "content/be/2020/listy.md": article(
        "Лісты палітвязням", "2020-10-01T10:00:00+03:00",
        "Напішыце ліст. Сям’я атрымала адказ з калоніі.", tags=["Кампаніі"]),
    "content/be/2019/sud.md": article(
        "Суд у Брэсце", "2019-04-02T10:00:00+03:00", "Суд пакараў актывістаў штрафам.", tags=["Суды"]),
    "content/ru/2021/zakl.md": article(
        "Доклад о пытках", "2021-03-01T10:00:00+03:00",
        "Число политзаключённых растёт; среди политзаключенных — журналисты.", tags=["Доклады"]),
    "content/ru/2020/zad.md": article(
        "Массовые задержания", "2020-08-10T10:00:00+03:00", "Первые данные о задержаниях.", tags=["Выборы"]),
    "content/en/2020/report.md": article(
        "Annual review", "2020-12-10T10:00:00+03:00",
        "The year brought new repressions against journalists and lawyers.", tags=["Reports"]),
    "content/en/2021/repression.md": article(
        "Repression of lawyers", "2021-01-10T10:00:00+03:00", "Licences were taken away.", tags=["Lawyers"]),
}
FILES.update({f"content/en/2015/note-{n}.md": article(f"Court note {n}", f"2015-01-{n + 1:02d}T10:00:00+03:00",
                                                       "A court hearing on lawyers.") for n in range(14)})


@pytest.fixture(scope="module")
def site_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search-site")
    for rel, text in {"config.yaml": SEARCH_CONFIG, **FILES}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    config = load_config(root)
    build(config, Options())
    return config.output_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(site_out: Path) -> Iterator[str]:
    with serving(site_out) as url:
        yield url


class serving:  # noqa: N801 - a context manager used like a function
    """`python -m http.server` over `folder` on 127.0.0.1; the base URL while it runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> str:
        port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                                      "--directory", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return f"http://127.0.0.1:{port}/"
            except OSError:
                assert self.proc.poll() is None, "http.server exited"
                assert time.monotonic() < deadline, "http.server did not start"
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


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
    problems: list[str] = []
    context.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    context.on("weberror", lambda e: problems.append(str(e.error)))

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
        assert problems == []
    finally:
        context.close()


def only_local(requested: list[str]) -> None:
    assert requested, "no request was recorded"
    strangers = [u for u in requested
                 if not (u.startswith(("file://", "data:", "blob:")) or urlsplit(u).hostname == "127.0.0.1")]
    assert strangers == []


def results(tab: object) -> list[dict[str, str]]:
    return tab.eval_on_selector_all("#search-results li", """items => items.map(li => ({
        title: li.querySelector('a').textContent, href: li.querySelector('a').getAttribute('href'),
        date: li.querySelector('time') ? li.querySelector('time').textContent : '',
        marked: Array.from(li.querySelectorAll('mark')).map(m => m.textContent)}))""")


def open_query(tab: object, url: str) -> list[dict[str, str]]:
    """Open a search page whose address carries ?q=..., wait for its results."""
    tab.goto(url)
    tab.wait_for_selector("#search-results[data-done]")
    return results(tab)


def ask(tab: object, query: str) -> list[dict[str, str]]:
    """Type `query` into the open search page and submit it; the results once shown."""
    before = tab.get_attribute("#search-results", "data-done") or ""
    tab.fill("#search-input", query)
    tab.press("#search-input", "Enter")
    tab.wait_for_function("b => { const d = document.getElementById('search-results').dataset.done;"
                          " return d && d !== b; }", arg=before)
    tab.wait_for_timeout(300)  # a search started by typing must not replace these results later
    tab.wait_for_function("() => !document.getElementById('search-results').hasAttribute('aria-busy')")
    return results(tab)


def both_ways(server: str, out: Path, lang: str, query: str) -> list[str]:
    """The http and file:// addresses of `lang`'s search page with `query` in them."""
    return [f"{server}{lang}/search/?q={quote(query)}",
            (out / lang / "search" / "index.html").as_uri() + f"?q={quote(query)}"]


@pytest.mark.browser
@pytest.mark.parametrize(("lang", "query", "title", "marked"), [
    ("be", "палітвязні", "Сумесная заява праваабаронцаў", "палітвязняў"),
    ("be", "сям'я", "Лісты палітвязням", "Сям’я"),
    ("ru", "политзаключённые", "Доклад о пытках", "политзаключённых"),
    ("en", "repression", "Repression of lawyers", "Repression"),
])
def test_inflected_words_are_found_the_same_over_http_and_file(site_out: Path, server: str, page: tuple,
                                                               lang: str, query: str, title: str, marked: str) -> None:
    tab, requested = page
    seen = []
    for url in both_ways(server, site_out, lang, query):
        found = open_query(tab, url)
        assert tab.input_value("#search-input") == query
        hit = [r for r in found if r["title"] == title]
        assert hit and marked in hit[0]["marked"], found
        seen.append(found)
    assert seen[0] == seen[1]
    only_local(requested)


@pytest.mark.browser
def test_body_words_find_articles_and_titles_rank_first(site_out: Path, server: str, page: tuple) -> None:
    tab, requested = page
    tab.goto(server + "be/search/")
    found = ask(tab, "палітвязням")  # in one title, in another article's body only
    assert [r["title"] for r in found] == ["Лісты палітвязням", "Сумесная заява праваабаронцаў"]
    assert found[1]["marked"] == ["палітвязняў", "палітвязняў"]
    assert found[0]["date"] == "1 кастрычніка 2020"  # the language's date_format, written by Babel
    assert found[0]["href"] == "../../be/2020/10/listy/index.html"
    tab.click("#search-results li a")
    tab.wait_for_url("**/be/2020/10/listy/index.html")
    tab.goto(server + "en/search/")
    found = ask(tab, "repressions")
    assert [r["title"] for r in found] == ["Repression of lawyers", "Annual review"]
    assert found[1]["date"] == "Dec 10, 2020" or found[1]["date"].endswith("2020")
    assert ask(tab, "задержания") == []
    assert tab.text_content(".search-count") == "No articles found."
    only_local(requested)


@pytest.mark.browser
def test_more_results_come_ten_at_a_time(site_out: Path, server: str, page: tuple) -> None:
    tab, _ = page
    tab.goto(server + "en/search/")
    found = ask(tab, "lawyers court")
    assert tab.text_content(".search-count") == "Found: 14"
    assert len(found) == 10
    tab.click(".search-more")
    tab.wait_for_function("() => document.querySelectorAll('#search-results li').length === 14")
    assert tab.query_selector(".search-more") is None


@pytest.mark.browser
def test_without_javascript_the_page_says_so_and_links_to_tags_and_archive(site_out: Path, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto((site_out / "ru" / "search" / "index.html").as_uri())
        text = tab.inner_text("main")
        assert "Для поиска нужен JavaScript" in text
        links = tab.eval_on_selector_all("main noscript a, main p a", "as => as.map(a => a.getAttribute('href'))")
        assert "../../ru/tags/index.html" in links and "../../ru/archive/index.html" in links
    finally:
        context.close()


def test_search_false_turns_everything_off(make_site: Callable[..., Path]) -> None:
    site = make_site({"config.yaml": BASIC_CONFIG, **FILES})
    config = load_config(site)
    build(config, Options())
    assert not (config.output_dir / "en" / "search").exists()
    assert not (config.cache_dir / "search").exists()
    assert "search/" not in (config.output_dir / "en" / "index.html").read_text(encoding="utf-8")
