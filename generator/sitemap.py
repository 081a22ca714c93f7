"""sitemap.xml (or a sitemap index with per-language sitemaps) and robots.txt.

The sitemap protocol caps one file at 50,000 URLs and 50 MB uncompressed. A site under both
limits gets one /sitemap.xml; a larger one gets /sitemap.xml as an index of
/sitemap-LANG.xml files (split again, /sitemap-LANG-2.xml and on, when one language alone is
too big). Every sitemap lives at the site root because a sitemap may only list URLs below its
own folder, and article permalinks need not start with the language.

Translations are announced with `xhtml:link rel="alternate" hreflang` on every member of the
group, itself included, as search engines require, plus `x-default` for the default language's
version (the one the pages' own hreflang links name too). Drafts, future posts and alias pages are
not in `site.pages`, so they never reach the sitemap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from generator import urls
from generator.config import Config
from generator.model import Job, OutputFile, Site, SitemapInputs
from generator.site_paths import list_url, translations_of
from generator.xmltext import xml_text

MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
SITEMAP_NAME = "sitemap.xml"

_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
         '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')
_TAIL = "</urlset>\n"
_INDEX_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
               '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
_INDEX_TAIL = "</sitemapindex>\n"
#: Index pages every language has, besides its home; they are each other's translations.
_INDEXES = ("tags", "archive", "authors")


class SitemapUrl(NamedTuple):
    """One <url> entry; paths are from the site root. A tuple: it is its entry's memo key."""

    path: str
    lastmod: datetime | None
    #: (hreflang, path) of every version of this page, itself included; empty when it has none.
    alternates: tuple[tuple[str, str], ...] = ()


def sitemap_urls(site: Site, config: Config) -> dict[str, list[SitemapUrl]]:
    """lang -> its URLs: pages in site order, then list pages and their later pages, then indexes."""
    codes = config.language_codes
    # Each page's date once: every list page takes the newest of its pages' (tens of thousands).
    dated = {source: page.updated or page.date for source, page in site.pages.items()}
    newest = {code: _newest(dated, site.articles.get(code, ())) for code in codes}
    out: dict[str, list[SitemapUrl]] = {code: [] for code in codes}
    for source, page in site.pages.items():
        group = translations_of(site, page)
        alternates = ()
        if group:
            members = sorted([source, *group], key=lambda s: codes.index(site.pages[s].lang))
            alternates = _with_default(tuple((site.pages[s].lang, site.pages[s].url_path) for s in members),
                                       config.default_language)
        out.setdefault(page.lang, []).append(SitemapUrl(page.url_path, page.updated or page.date, alternates))
    per_page = config.per_page
    for code in codes:
        for kind in ("home", "tag", "author", "year", "month"):
            for listing in site.listings.get((code, kind), ()):
                alternates = _with_default(tuple((c, list_url(c)) for c in codes), config.default_language) \
                    if kind == "home" and len(codes) > 1 else ()
                total = urls.page_count(len(listing.pages), per_page)
                for number in range(1, total + 1):
                    chunk = listing.pages[(number - 1) * per_page: number * per_page]
                    out[code].append(SitemapUrl(urls.paginated_path(listing.url_path, number), _newest(dated, chunk),
                                                alternates if number == 1 else ()))
        for name in _INDEXES:
            alternates = _with_default(tuple((c, list_url(c, name)) for c in codes), config.default_language) \
                if len(codes) > 1 else ()
            out[code].append(SitemapUrl(list_url(code, name), newest[code], alternates))
    if config.root == "chooser":
        # The language chooser is a page of its own; with root "home" "/" repeats a home, canonically.
        out[config.default_language].insert(0, SitemapUrl("/", max(filter(None, newest.values()), default=None)))
    return out


def _with_default(alternates: tuple[tuple[str, str], ...], default: str) -> tuple[tuple[str, str], ...]:
    """`alternates` and, when the default language has a version, that version as x-default."""
    paths = dict(alternates)
    return (*alternates, ("x-default", paths[default])) if default in paths else alternates


def _newest(dated: dict[str, datetime], sources: Iterable[str]) -> datetime | None:
    return max(map(dated.__getitem__, sources), default=None)


def url_xml(item: SitemapUrl, base_url: str) -> str:
    x = xml_text
    parts = [f"<url><loc>{x(urls.absolute_url(base_url, item.path))}</loc>"]
    if item.lastmod is not None:
        parts.append(f"<lastmod>{item.lastmod.isoformat(timespec='seconds')}</lastmod>")
    parts += [f'<xhtml:link rel="alternate" hreflang="{x(lang)}" href="{x(urls.absolute_url(base_url, path))}"/>'
              for lang, path in item.alternates]
    parts.append("</url>\n")
    return "".join(parts)


def plan_sitemap(site: Site, config: Config) -> Job:
    """The sitemap's job: its `SitemapInputs`, all that `sitemap_files` reads but the config."""
    inputs = SitemapInputs(tuple((code, tuple(items)) for code, items in sitemap_urls(site, config).items()))
    return Job("sitemap", "/" + SITEMAP_NAME, SITEMAP_NAME, inputs=inputs)


#: Entry text by its `SitemapUrl`: what a build hands the next one.
Entries = dict[SitemapUrl, str]


def sitemap_files(job: Job, config: Config, *, last: Mapping[SitemapUrl, str] | None = None,
                  max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES) -> tuple[list[OutputFile], Entries]:
    """sitemap.xml (split into an index of per-language sitemaps past the limits) and robots.txt,
    with the text of every entry by its `SitemapUrl` (`last`: the last build's, reused)."""
    base = config.base_url
    inputs: SitemapInputs = job.inputs
    old = last if last is not None else {}
    fresh: Entries = {}

    def entry(item: SitemapUrl) -> str:
        text = fresh[item] = old.get(item) or url_xml(item, base)
        return text

    by_lang = {code: [entry(item) for item in items] for code, items in inputs.by_lang}
    lastmods = {code: max((i.lastmod for i in items if i.lastmod), default=None) for code, items in inputs.by_lang}
    every = [entry for entries in by_lang.values() for entry in entries]
    overhead = len((_HEAD + _TAIL).encode())
    out: list[OutputFile] = []
    if len(every) <= max_urls and overhead + sum(len(e.encode()) for e in every) <= max_bytes:
        out.append(OutputFile(job.output_path, (_HEAD + "".join(every) + _TAIL).encode("utf-8")))
    else:
        index = []
        for code, entries in by_lang.items():
            for number, chunk in enumerate(_chunks(entries, max_urls, max_bytes - overhead), 1):
                name = f"sitemap-{code}.xml" if number == 1 else f"sitemap-{code}-{number}.xml"
                out.append(OutputFile(name, (_HEAD + "".join(chunk) + _TAIL).encode("utf-8")))
                lastmod = lastmods[code]
                index.append(f"<sitemap><loc>{xml_text(urls.absolute_url(base, '/' + name))}</loc>"
                             + (f"<lastmod>{lastmod.isoformat(timespec='seconds')}</lastmod>" if lastmod else "")
                             + "</sitemap>\n")
        out.insert(0, OutputFile(job.output_path, (_INDEX_HEAD + "".join(index) + _INDEX_TAIL).encode("utf-8")))
    out.append(OutputFile("robots.txt", robots_txt(config).encode("utf-8")))
    return out, fresh


def render_sitemap(site: Site, config: Config, *, max_urls: int = MAX_URLS,
                   max_bytes: int = MAX_BYTES) -> list[OutputFile]:
    """The sitemap files of `site`, made afresh (`plan_sitemap`, then `sitemap_files`)."""
    return sitemap_files(plan_sitemap(site, config), config, max_urls=max_urls, max_bytes=max_bytes)[0]


def _chunks(entries: list[str], max_urls: int, max_bytes: int) -> Iterable[list[str]]:
    """Consecutive runs of entries under both limits (a language with no URL still gets one file)."""
    chunk: list[str] = []
    size = 0
    for entry in entries:
        length = len(entry.encode())
        if chunk and (len(chunk) >= max_urls or size + length > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += length
    yield chunk


def robots_txt(config: Config) -> str:
    """Allow everything and name the sitemap (crawlers read robots.txt only at a host's root)."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {urls.absolute_url(config.base_url, '/' + SITEMAP_NAME)}\n"
