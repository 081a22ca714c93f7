"""The same output works at any path: every link is relative and lands on a file, and a browser
visiting the site under a sub-path of a local server meets no 404.

Absolute URLs are allowed only where standards require them (canonical and alternate links)
and for links out of the site written in article bodies. 404.html is the one page whose links
start at the site's base path, because a server shows it at any depth (see docs/theme.md).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from theme_support import REPO, build_sample, chromium, serve_under

PREFIX = "/archive/viasna/"
BASE_URL = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["base_url"]
#: <link rel=...> values whose href must be absolute by standard (search engines, feed readers).
ABSOLUTE_RELS = {"canonical", "alternate"}
#: Lazy images below the fold are fetched only on scroll: load them all, name the broken ones.
LOAD_ALL_IMAGES = """async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.filter(img => !img.complete || img.naturalWidth === 0).map(img => img.getAttribute('src'));
}"""
_REFRESH = re.compile(r"^\s*\d+\s*;\s*url=(.+)$", re.IGNORECASE)


class _Links(HTMLParser):
    """Every reference of a page: (tag, attribute, rel, value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        rel = values.get("rel", "").lower()
        for name in ("href", "src", "action", "poster", "data", "formaction"):
            if name in values:
                self.found.append((tag, name, rel, values[name]))
        if "srcset" in values:
            for candidate in values["srcset"].split(","):
                if candidate.strip():
                    self.found.append((tag, "srcset", rel, candidate.split()[0]))
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH.match(values.get("content", ""))
            assert match, f"unreadable refresh: {values.get('content')}"
            self.found.append((tag, "refresh", rel, match.group(1).strip()))


def references(page: Path) -> list[tuple[str, str, str, str]]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("portable") / "output")


def _target_file(root: Path, page: Path, link: str) -> Path | None:
    """The file a relative link from `page` opens, as file:// would, or None when it leaves the site."""
    parts = urlsplit(link)
    path = unquote(parts.path)
    if not path:
        return page
    resolved = (page.parent / path).resolve()
    return resolved if resolved.is_relative_to(root.resolve()) else None


def test_every_reference_is_relative_and_lands_on_a_file(sample: Path) -> None:
    pages = sorted(p for p in sample.rglob("*.html") if p.name != "404.html")
    assert len(pages) > 100
    site_host = urlsplit(BASE_URL).netloc
    problems = []
    checked = 0
    for page in pages:
        rel_page = page.relative_to(sample).as_posix()
        for tag, attr, rel, link in references(page):
            where = f"{rel_page}: <{tag} {attr}={link!r}>"
            split = urlsplit(link)
            if link.startswith("#") or split.scheme == "data":  # no request at all
                continue
            if split.scheme or link.startswith("//"):
                if tag == "link" and set(rel.split()) & ABSOLUTE_RELS:
                    if not link.startswith(BASE_URL):
                        problems.append(f"{where}: absolute link outside base_url")
                elif tag == "a" and split.scheme in ("http", "https", "mailto") and split.netloc != site_host:
                    pass  # a link out of the site that the reader chooses to follow
                else:
                    problems.append(f"{where}: must be relative")
                continue
            if link.startswith("/"):
                problems.append(f"{where}: root-relative, breaks under a sub-path and from file://")
                continue
            target = _target_file(sample, page, link)
            checked += 1
            if target is None:
                problems.append(f"{where}: leaves the site")
            elif target.is_dir():
                problems.append(f"{where}: a folder; file:// shows no index.html for it")
            elif not target.is_file():
                problems.append(f"{where}: no such file")
    assert problems == [], "\n".join(problems[:60])
    assert checked > 2000


def test_the_404_page_links_from_the_base_path(sample: Path) -> None:
    base = urlsplit(BASE_URL).path
    links = [(tag, link) for tag, _, rel, link in references(sample / "404.html")
             if not (tag == "link" and set(rel.split()) & ABSOLUTE_RELS) and not link.startswith(("#", "data:"))]
    assert links
    for tag, link in links:
        assert link.startswith(base), f"<{tag}> {link}"
        target = unquote(link[len(base):])
        assert (sample / (target + "index.html" if target.endswith("/") or not target else target)).is_file(), link


@pytest.mark.browser
@pytest.mark.slow
def test_no_404_when_served_under_a_sub_path(sample: Path) -> None:
    pages = sorted(p.relative_to(sample).as_posix() for p in sample.rglob("*.html") if p.name != "404.html")
    requests: list[str] = []
    failures: list[str] = []
    with serve_under(sample, PREFIX) as base, chromium() as browser:
        context = browser.new_context()
        context.on("request", lambda r: requests.append(r.url))
        # The browser cuts some fetches short itself (ERR_ABORTED): the icon when the next page
        # opens, a lazy thumbnail when LOAD_ALL_IMAGES makes it eager and it starts again. Such a
        # cancellation says nothing of the file, so each of those URLs is fetched again below.
        aborted: set[str] = set()
        context.on("requestfailed", lambda r: aborted.add(r.url) if r.failure == "net::ERR_ABORTED"
                   else failures.append(f"{r.url}: {r.failure}"))
        context.on("response", lambda r: r.status >= 400 and failures.append(f"{r.url}: HTTP {r.status}"))
        page = context.new_page()
        page.on("pageerror", lambda e: failures.append(f"script error: {e}"))
        redirects = [(rel, link) for rel in pages for tag, attr, _, link in references(sample / rel) if attr == "refresh"]
        assert redirects
        for rel in sorted(set(pages) - {rel for rel, _ in redirects}):
            response = page.goto(urljoin(base, rel), wait_until="load", timeout=15_000)
            assert response is not None and response.ok, rel
            broken = page.evaluate(LOAD_ALL_IMAGES)
            assert broken == [], f"{rel}: images that did not load: {broken}"
        # The redirect pages of old URLs land on their article under the sub-path too.
        for rel, link in redirects:
            page.goto(urljoin(base, rel), wait_until="commit", timeout=15_000)
            page.wait_for_url(urljoin(urljoin(base, rel), link), timeout=15_000)
        for url in sorted(aborted):
            if url.startswith(base):
                again = context.request.get(url)
                if not again.ok:
                    failures.append(f"{url}: cut short, then HTTP {again.status}")
        context.close()
    assert failures == [], "\n".join(failures[:40])
    outside = [u for u in requests if not u.startswith(base)]
    assert outside == [], outside[:20]
    assert any(u.endswith("/static/site.css") for u in requests)
    assert len(requests) > len(pages)
