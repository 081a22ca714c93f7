"""Build the repository's sample archive into a temporary folder and check it end to end."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from generator.build import Options, build
from generator.config import load_config
from generator.read import read_page

REPO = Path(__file__).resolve().parents[1]
LANGS = ("en", "ru", "be")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "output"
    config = dataclasses.replace(load_config(REPO), output_override=out)
    build(config, Options(use_cache=False))  # no cache: nothing is written into the repository
    return out


@pytest.fixture(scope="module")
def html_files(sample: Path) -> dict[str, str]:
    return {p.relative_to(sample).as_posix(): p.read_text(encoding="utf-8") for p in sorted(sample.rglob("*.html"))}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name) is not None:
                self.refs.append(values[name])  # type: ignore[arg-type]
        if values.get("srcset"):
            self.refs += [part.strip().split(" ")[0] for part in values["srcset"].split(",")]  # type: ignore[union-attr]
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.refs.append((values.get("content") or "").split("url=", 1)[-1])


def refs(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    return parser.refs


def target_of(out: Path, page: str, ref: str, base_url: str) -> Path | None:
    """The output file `ref` (found in `page`) points at, or None for links that leave the site."""
    if ref.startswith(base_url):
        ref = "/" + ref[len(base_url):]
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith(("#", "mailto:", "data:")) or not parts.path:
        return None
    path = unquote(parts.path)
    if path.startswith("/"):
        rel = posixpath.normpath(path.lstrip("/")) if path != "/" else ""
    else:
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if rel.startswith(".."):
        return out / "OUTSIDE-THE-SITE" / rel
    target = out / rel if rel not in ("", ".") else out
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


def test_every_internal_link_resolves_to_a_file(sample: Path, html_files: dict[str, str]) -> None:
    base_url = load_config(REPO).base_url
    broken = []
    checked = 0
    for page, html in html_files.items():
        for ref in refs(html):
            target = target_of(sample, page, ref, base_url)
            if target is None:
                continue
            checked += 1
            if not target.is_file():
                broken.append(f"{page}: {ref}")
    assert broken == []
    assert checked > 3000


def test_links_are_relative_except_on_the_404_page(html_files: dict[str, str]) -> None:
    root_links = [f"{page}: {ref}" for page, html in html_files.items() if page != "404.html"
                  for ref in refs(html) if ref.startswith("/") and not ref.startswith("//")]
    assert root_links == []


def test_every_page_kind_exists(sample: Path) -> None:
    for rel in [
        "index.html", "404.html", "static/site.css",
        "en/2011/03/mikhalevich-fled-from-belarus/index.html",  # the real Viasna article
        "en/2016/monitoring-chart.svg",  # a content asset
        "en/about/index.html", "ru/about/index.html", "be/about/index.html",
    ]:
        assert (sample / rel).is_file(), rel
    for lang in LANGS:
        for rel in ["", "page/2/", "tags/", "archive/", "authors/"]:
            assert (sample / lang / rel / "index.html").is_file(), f"{lang}/{rel}"
        tag_pages = [p for p in (sample / lang / "tags").iterdir() if p.is_dir()]
        author_pages = [p for p in (sample / lang / "authors").iterdir() if p.is_dir()]
        years = [p for p in (sample / lang).iterdir() if re.fullmatch(r"\d{4}", p.name)]
        months = [m for y in years for m in y.iterdir() if re.fullmatch(r"\d{2}", m.name)]
        assert len(tag_pages) >= 5, lang
        assert len(author_pages) >= 2, lang
        assert len(years) >= 5, lang
        assert all((m / "index.html").is_file() for m in months)
        assert all((y / "index.html").is_file() for y in years)


def test_sample_has_an_alias_redirect(html_files: dict[str, str]) -> None:
    redirects = [page for page, html in html_files.items() if 'http-equiv="refresh"' in html]
    assert redirects
    for page in redirects:
        assert '<link rel="canonical" href="https://archive.example.org/' in html_files[page]


def test_real_article_is_in_the_sample(html_files: dict[str, str]) -> None:
    html = html_files["en/2011/03/mikhalevich-fled-from-belarus/index.html"]
    assert "<h1>Presidential candidate and former KGB prisoner Aliaksei Mikhalevich fled from Belarus</h1>" in html
    assert '<time datetime="2011-03-14T16:32:26+02:00">14 March 2011</time>' in html


def test_root_is_the_english_home(html_files: dict[str, str]) -> None:
    assert '<html lang="en" dir="ltr">' in html_files["index.html"]
    assert '<link rel="canonical" href="https://archive.example.org/en/">' in html_files["index.html"]


def _sample_pages() -> list:
    config = load_config(REPO)
    pages = []
    for path in sorted((REPO / "content").rglob("*.md")):
        rel = path.relative_to(REPO).as_posix()
        page, problems = read_page(rel, path.read_text(encoding="utf-8"), config)
        assert problems == [], problems
        pages.append(page)
    return pages


def test_sample_has_30_articles_in_three_languages_with_tags_and_authors() -> None:
    articles = [p for p in _sample_pages() if p.kind == "article" and not p.draft]
    assert len(articles) >= 30
    for lang in LANGS:
        mine = [p for p in articles if p.lang == lang]
        assert len(mine) >= 8, lang
        assert all(p.tags for p in mine), lang
        assert all(p.authors for p in mine), lang
    assert len({p.date.year for p in articles}) >= 8


def test_sample_has_at_least_five_stories_translated_into_all_three_languages(html_files: dict[str, str]) -> None:
    groups: dict[str, set[str]] = {}
    for page in _sample_pages():
        if page.kind == "article" and page.translation_key:
            groups.setdefault(page.translation_key, set()).add(page.lang)
    full = sorted(key for key, langs in groups.items() if langs == set(LANGS))
    assert len(full) >= 5, full
    # and the pages show it: each English one links to its two translations
    linked = [page for page, html in html_files.items() if page.startswith("en/")
              and html.count('<link rel="alternate" hreflang=') >= 3 and 'class="language-nav"' in html]
    assert len(linked) >= 5
