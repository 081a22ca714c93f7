"""Plan the outputs: every file the build will write, known before any is made.

Pages, feeds, the sitemap and the files of photos are `Job`s, each with the inputs record
its making reads (pages and feeds made later by the render workers; photos' files planned and
made by the images stage, before any page, and copied from its cache); the sitemap's files,
robots.txt, the search index (each of its files from a record of its own, see `search`) and
copied files are made here. The claims (every output path with what produces it) are checked
before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from generator import brand, feeds, sitemap, urls
from generator.config import Config
from generator.i18n import Strings
from generator.images import Photos
from generator.markup import SOURCE
from generator.model import (
    AliasInputs,
    ArticleInputs,
    IndexInputs,
    Job,
    LanguageInputs,
    ListInputs,
    OutputFile,
    RenderedBody,
    Site,
    SourceFile,
)
from generator.site_paths import INDEX_PAGES, list_url, translations_of
from generator.views import Views


@dataclass(slots=True)
class Plan:
    jobs: list[Job]
    #: Jobs of kind "feed" (see `feeds.plan_feeds`).
    feeds: list[Job]
    #: The sitemap's job (its files are made with the plan: see `sitemap.sitemap_files`).
    sitemap: Job
    #: Jobs of kind "image": every file of every photo (see `images.plan_photo`).
    images: list[Job] = field(default_factory=list)
    #: Files made or copied as they are: sitemap, robots.txt, search fallback, assets, static files.
    files: list[OutputFile] = field(default_factory=list)
    #: This build's sitemap entries by their `SitemapUrl`, for the next build.
    sitemap_entries: dict[Any, str] = field(default_factory=dict)
    #: Folders the build fills by itself ({folder/: what fills it}): nothing else may write into them.
    reserved: dict[str, str] = field(default_factory=dict)

    def claims(self) -> list[tuple[str, str]]:
        """(output path, what produces it) of every planned file."""
        out = [(job.output_path, job.source) for job in self.jobs]
        out += [(item.path, item.sources[0] if item.copy_from is not None and item.sources
                 else f"the generated file {item.path}") for item in self.files]
        out += [(job.output_path, f"the generated file {job.output_path}") for job in self.feeds]
        out += [(job.output_path, job.source) for job in self.images]
        out += list(self.reserved.items())  # a path ending in "/" claims the whole folder
        return out


def page_jobs(site: Site, bodies: dict[str, RenderedBody], config: Config, views: Views) -> Iterator[Job]:
    """Every page to render, in a fixed order, each with the inputs its render reads."""
    per_page = config.per_page
    source_urls = {source: page.url_path for source, page in site.pages.items()}
    home_of: dict[str, ListInputs] = {}

    def links(lang: str, kind: str, key: str = "") -> tuple[str, ...]:
        return tuple(item["url"] for item in views.language_links(lang, kind, key))

    for source in site.pages:
        yield page_job(site, bodies, source_urls, source)
    for code in config.language_codes:
        for kind in ("home", "tag", "author", "year", "month"):
            for index, listing in enumerate(site.listings[(code, kind)]):
                total = urls.page_count(len(listing.pages), per_page)
                switcher = links(listing.lang, listing.kind, listing.key)
                home_sidebar = repr(views.home_sidebar(listing.lang)) if kind == "home" else ""
                for number in range(1, total + 1):
                    url = urls.paginated_path(listing.url_path, number)
                    inputs = ListInputs(listing.lang, listing.kind, listing.key, listing.title, listing.url_path,
                                        len(listing.pages), listing.pages[(number - 1) * per_page: number * per_page],
                                        switcher, "", home_sidebar, listing.lang)
                    if kind == "home" and number == 1:
                        home_of[code] = inputs
                    yield Job("list", url, urls.output_path_for(url), (code, kind, index), number, total, inputs)
        for name in INDEX_PAGES:
            items = tuple((item.kind, item.key, item.title, item.url_path, len(item.pages))
                          for kind in INDEX_PAGES[name] for item in site.listings[(code, kind)])
            yield Job(name, list_url(code, name), urls.output_path_for(list_url(code, name)), code,
                      inputs=IndexInputs(code, items, links(code, name), code))
        if config.search:
            yield Job("search", list_url(code, "search"), urls.output_path_for(list_url(code, "search")), code,
                      inputs=LanguageInputs(code, links(code, "search"), code))
    code = config.default_language
    home = home_of[code]
    total = urls.page_count(home.count, per_page)
    if config.root == "home":
        root: object = replace(home, root="home")
    else:
        root = LanguageInputs(code, (), "")
    yield Job("root", "/", "index.html", code, 1, total, root)
    yield Job("404", "/404.html", "404.html", code, inputs=LanguageInputs(code, links(code, "404"), code))
    for alias in site.aliases:
        yield Job("alias", alias.url_path, alias.output_path, alias.target, inputs=AliasInputs(alias.target))


def page_job(site: Site, bodies: Mapping[str, RenderedBody], source_urls: dict[str, str], source: str) -> Job:
    """The job of the article or standalone page `source` (`source_urls`: the URL of every page)."""
    page = site.pages[source]
    older, newer = site.neighbours.get(source, (None, None))
    linked = tuple(source_urls.get(link[len(SOURCE):].partition("#")[0], "")
                   for link in bodies[source].internal_links if link.startswith(SOURCE))
    inputs = ArticleInputs(source, page.template, linked, translations_of(site, page), older, newer,
                           site.related.get(source, ()), page.lang)
    return Job("article" if page.kind == "article" else "page", page.url_path, page.output_path, source,
               inputs=inputs)


def plan_outputs(site: Site, bodies: dict[str, RenderedBody], config: Config, strings: Strings, views: Views,
                 assets: list[SourceFile], static: dict[str, SourceFile],
                 sitemap_entries: dict[tuple[Any, ...], str] | None, *, search_cache: bool | None,
                 photos: Photos | None = None, search_defer: bool = False,
                 progress: Callable[[str, int, int], None] | None = None) -> Plan:
    """Every output of the build. `search_cache`: whether the search index keeps its work in the
    cache (None: no index at all, when checking); `search_defer`: see `search.index_files`."""
    # Here, not above: a text edit plans its page with this module, and without search it needs
    # no stemmer (their import is a fortieth of such a build).
    from generator import search

    plan = Plan(list(page_jobs(site, bodies, config, views)), feeds.plan_feeds(site, config, strings),
                sitemap.plan_sitemap(site, config))
    files, plan.sitemap_entries = sitemap.sitemap_files(plan.sitemap, config, last=sitemap_entries)
    plan.files += files
    if search_cache is not None:
        plan.files += search.index_files(site, bodies, config, strings, cache=search_cache, defer=search_defer,
                                         progress=progress)
    if config.search:  # also when checking: what would land in the index is found by `vestka check` too
        plan.reserved.update({search.index_folder(code): f"the search index of {code}"
                              for code in config.language_codes})
    plan.files += brand.stylesheet(config)
    plan.files += [OutputFile(a.rel_path, copy_from=a.path, sources=(f"content/{a.rel_path}",)) for a in assets
                   if photos is None or not photos.handles(a.rel_path)]
    plan.images = photos.jobs if photos is not None else []
    plan.files += [OutputFile(f"static/{rel}", copy_from=f.path, sources=(_static_source(f, config),))
                   for rel, f in static.items()]
    return plan


def _static_source(source: SourceFile, config: Config) -> str:
    try:
        return source.path.relative_to(config.site_dir).as_posix()
    except ValueError:
        return f"the theme's static/{source.rel_path}"
