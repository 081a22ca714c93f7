"""Render the site's pages with Jinja2: articles, list pages, indexes, redirects, 404.

One Jinja environment per build; template lookup goes through the site's theme and falls back
to the built-in default theme, so a site overrides only the templates it changes. Every link
a template writes goes through `url()`, which makes it relative to the page being rendered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from generator import urls, write
from generator.assemble import list_url, translations_of
from generator.brand import BrandViews
from generator.config import Config
from generator.errors import Problem, TemplateError
from generator.i18n import Strings
from generator.images import Photos, pictures_in
from generator.markup import SOURCE, rewrite_site_links
from generator.model import Listing, OutputFile, RenderedBody, Site
from generator.views import Views

_PACKAGE_DIR = Path(__file__).resolve().parent
#: Marks of the "Latest news" fragment in pages, so a rebuild can replace it without a render.
SIDEBAR_START = "<!--vestka:latest-->"
#: Stands for the way up to the site root in fragments shared by pages of different depths.
_ROOT_MARK = "\x00vestka-root\x00"
#: Item fragments one render process keeps before starting afresh.
MAX_FRAGMENTS = 20_000
SIDEBAR_END = "<!--/vestka:latest-->"


def builtin_theme_dir() -> Path:
    """The default theme: inside the installed package, or at the top of a source checkout."""
    for candidate in (_PACKAGE_DIR / "themes" / "default", _PACKAGE_DIR.parent / "themes" / "default"):
        if (candidate / "templates").is_dir():
            return candidate
    raise TemplateError("the built-in default theme is missing; reinstall vestka")


def theme_dirs(config: Config) -> list[Path]:
    """Theme folders from most to least specific: the site's chosen theme, then the default."""
    dirs = []
    chosen = config.themes_dir / config.theme
    if chosen.is_dir():
        dirs.append(chosen)
    elif config.theme != "default":
        raise TemplateError(f"theme {config.theme!r} not found", [Problem(
            "error", "config.yaml", None, f"there is no folder themes/{config.theme}/ in the site",
            "create it, or set theme: default")])
    builtin = builtin_theme_dir()
    if builtin.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(builtin)
    return dirs


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates on disk, each file with a SHA-256 of its contents.

    Jinja checks only that the template's source is unchanged; a damaged file could still load
    as wrong code. With the checksum, a damaged file is ignored and compiled again.
    """

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            blob = open(self._get_cache_filename(bucket), "rb").read()  # noqa: SIM115
        except OSError:
            return
        digest, data = blob[:64], blob[64:]
        if hashlib.sha256(data).hexdigest().encode("ascii") != digest:
            return
        try:
            bucket.bytecode_from_string(data)
        except Exception:  # marshal raises several kinds on data it cannot read
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = bucket.bytecode_to_string()
        path = self._get_cache_filename(bucket)
        tmp = f"{path}.{os.getpid()}.tmp"
        with contextlib.suppress(OSError):  # a read-only or full disk only costs a compile next time
            with open(tmp, "wb") as handle:
                handle.write(hashlib.sha256(data).hexdigest().encode("ascii") + data)
            os.replace(tmp, path)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja, with `item.title` on a plain dict looked up as a key first.

    Jinja tries the attribute first and falls back to the key after an AttributeError: every
    page shows hundreds of fields of dicts, and the raised errors cost a tenth of the render.
    Names that are attributes of dict (`items`, `keys`, ...) still go the usual way, so a
    template sees exactly what stock Jinja would give it.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment(config: Config, cache_dir: Path | None = None) -> jinja2.Environment:
    loaders = [jinja2.FileSystemLoader(str(d / "templates")) for d in theme_dirs(config)]
    # Compiled templates are kept in the site's cache folder: compiling costs ~0.1 s per build.
    bytecode = _TemplateCache(str(cache_dir)) if cache_dir is not None else None
    env = _Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
                             bytecode_cache=bytecode)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def templates_fingerprint(config: Config) -> str:
    """A hash of every template and string table the build can use (for cache keys)."""
    digest = hashlib.sha256()
    for folder in [*theme_dirs(config), config.site_dir]:
        for sub in ("templates", "i18n"):
            base = folder / sub
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    if path.is_file():
                        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def relink(html: str, from_path: str, portable: bool, source_urls: dict[str, str]) -> str:
    """Make the links of a body written from the site root relative to the page at `from_path`."""

    def relative(target: str) -> str:
        path, sep, rest = target.partition("#")
        return (urls.relative_url(from_path, path, portable) if path else "") + sep + rest

    return rewrite_site_links(html, source_urls, relative)


@dataclass(frozen=True, slots=True)
class Job:
    """One output page to render: which template, where, and the key of what it shows."""

    kind: str
    url_path: str
    output_path: str
    #: The page source, listing key or other identity, as the renderer needs it.
    ref: Any = None
    number: int = 1
    total: int = 1


class Renderer:
    """Renders every page of one site; templates are looked up once per build."""

    def __init__(self, site: Site, bodies: dict[str, RenderedBody], config: Config, strings: Strings,
                 env: jinja2.Environment, *, show_drafts: bool = False, images: Photos | None = None) -> None:
        self.site = site
        self.bodies = bodies
        self.config = config
        self.strings = strings
        self.env = env
        self.views = Views(site, bodies, config, strings)
        self.brand = BrandViews(config)
        self.show_drafts = show_drafts
        #: The build's photos: <picture> markup for bodies, and the image helpers of templates.
        self.images = images or Photos(config.images)
        env.globals.update(self.images.template_globals())
        #: Every page of the build (set by the build from `jobs()`, shared with the workers).
        self.job_list: list[Job] = []
        #: Output path -> previous file, for pages that need only a new sidebar (see `splice`).
        self.splice_from: dict[str, Path] = {}
        #: Where rendered pages are stored, once the write stage has chosen the folder.
        self.destination: write.Destination | None = None
        self.source_urls = {source: page.url_path for source, page in site.pages.items()}
        self._templates: dict[str, jinja2.Template] = {}
        self.root_path = urls.base_path(config.base_url)
        self._page_keys: dict[str, str] = {}
        self._fragments: dict[tuple[Any, ...], Markup] = {}
        self._urls: dict[tuple[int, str], str] = {}
        self._sidebar_keys: dict[str, str] = {}

    def template(self, name: str) -> jinja2.Template:
        found = self._templates.get(name)
        if found is None:
            try:
                found = self._templates[name] = self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError("a theme template has a syntax error", [Problem(
                    "error", _template_file(exc.filename, exc.name), exc.lineno, exc.message or "syntax error")]) from None
            except jinja2.TemplateNotFound as exc:
                raise TemplateError(f"template {exc.name} not found", [Problem(
                    "error", "themes", None, f"no template {exc.name} in the theme or the default theme")]) from None
        return found

    # --- the list of pages ---------------------------------------------------------------

    def jobs(self) -> Iterator[Job]:
        """Every page to render, in a fixed order."""
        per_page = self.config.per_page
        for source, page in self.site.pages.items():
            yield Job("article" if page.kind == "article" else "page", page.url_path, page.output_path, source)
        for code in self.config.language_codes:
            for kind in ("home", "tag", "author", "year", "month"):
                for index, listing in enumerate(self.site.listings[(code, kind)]):
                    total = urls.page_count(len(listing.pages), per_page)
                    for number in range(1, total + 1):
                        url = urls.paginated_path(listing.url_path, number)
                        yield Job("list", url, urls.output_path_for(url), (code, kind, index), number, total)
            yield Job("tags", list_url(code, "tags"), urls.output_path_for(list_url(code, "tags")), code)
            yield Job("authors", list_url(code, "authors"), urls.output_path_for(list_url(code, "authors")), code)
            yield Job("archive", list_url(code, "archive"), urls.output_path_for(list_url(code, "archive")), code)
            if self.config.search:
                yield Job("search", list_url(code, "search"), urls.output_path_for(list_url(code, "search")), code)
        yield Job("root", "/", "index.html", self.config.default_language)
        yield Job("404", "/404.html", "404.html", self.config.default_language)
        for alias in self.site.aliases:
            yield Job("alias", alias.url_path, alias.output_path, alias.target)

    # --- what each page depends on -------------------------------------------------------

    def job_key(self, job: Job, common: str) -> str:
        """A hash of everything the page of `job` shows; equal keys mean equal bytes.

        `common` covers the generator version, config and templates. Other pages enter a key
        through `page_key`, which changes whenever anything shown of them changes. The key is
        "MAIN:SIDEBAR": when only the sidebar part changed (a new article), the page can be
        made from the previous build's file by replacing its sidebar (see `splice`).
        """
        parts: list[Any] = [common, job.kind, job.url_path, job.number, job.total, self.show_drafts]
        side = ""
        if job.kind in ("article", "page"):
            page = self.site.pages[job.ref]
            older, newer = self.site.neighbours.get(page.source, (None, None))
            links = [self.source_urls.get(link[len(SOURCE):].partition("#")[0], "")
                     for link in self.bodies[page.source].internal_links if link.startswith(SOURCE)]
            side = self.sidebar_key(page.lang)
            parts += [self.page_key(page.source), page.template, links,
                      [self.page_key(s) for s in self._translations(page.source)],
                      self.page_key(older) if older else "", self.page_key(newer) if newer else "",
                      [self.page_key(s) for s in self.site.related.get(page.source, ())]]
        elif job.kind in ("list", "root"):
            if job.kind == "root":
                parts.append(self.config.root)
                job = Job("list", "/", "index.html", (job.ref, "home", 0), 1,
                          urls.page_count(len(self.site.listings[(job.ref, "home")][0].pages), self.config.per_page))
            listing = self._listing(job)
            chunk = listing.pages[(job.number - 1) * self.config.per_page: job.number * self.config.per_page]
            side = self.sidebar_key(listing.lang)
            parts += [listing.kind, listing.key, listing.title, listing.url_path, len(listing.pages),
                      [self.page_key(s) for s in chunk], self._links_key(listing.lang, listing.kind, listing.key)]
            if listing.kind == "home":  # its sidebar shows the most used tags and the years
                parts.append(self.views.home_sidebar(listing.lang))
        elif job.kind in ("tags", "authors", "archive"):
            kinds = {"tags": ("tag",), "authors": ("author",), "archive": ("year", "month")}[job.kind]
            parts += [[(item.title, item.url_path, len(item.pages)) for kind in kinds
                       for item in self.site.listings[(job.ref, kind)]],
                      self._links_key(job.ref, job.kind, "")]
            side = self.sidebar_key(job.ref)
        elif job.kind in ("search", "404"):
            parts += [self._links_key(job.ref, job.kind, "")]
            side = self.sidebar_key(job.ref)
        elif job.kind == "alias":
            parts.append(self.page_key(job.ref))
        return _hash("\x1f".join(map(_flat, parts))) + ":" + side

    def output_key(self, common: str, kind: str, path: str, title: str, sources: tuple[str, ...]) -> str:
        """Key of a generated file (a feed) that shows `sources` under `title`."""
        return _hash(repr([common, kind, path, title, [self.page_key(s) for s in sources]]))

    def page_key(self, source: str) -> str:
        """Identity of everything other pages show of `source` (its text, URL and term links)."""
        key = self._page_keys.get(source)
        if key is None:
            page = self.site.pages[source]
            key = self._page_keys[source] = _hash("|".join([
                page.source, page.digest, page.url_path, self.views.term_urls(page),
                self.images.page_key(page, self.bodies.get(source))]), 8)
        return key

    def sidebar_key(self, lang: str) -> str:
        key = self._sidebar_keys.get(lang)
        if key is None:
            key = self._sidebar_keys[lang] = _hash(";".join(self.page_key(s) for s in self.site.latest.get(lang, ())))
        return key

    def _translations(self, source: str) -> tuple[str, ...]:
        return translations_of(self.site, self.site.pages[source])

    def _links_key(self, lang: str, kind: str, key: str) -> str:
        return repr([item["url"] for item in self.views.language_links(lang, kind, key)])

    def job_source(self, job: Job) -> str:
        """What produces the page of `job`, for messages: a content file or the page's name."""
        if job.kind in ("article", "page", "alias"):
            return job.ref
        return f"the {job.kind} page {job.url_path}"

    def render(self, job: Job) -> OutputFile:
        """The page of `job`; stored by this process when the write stage has told its folder."""
        made = self._make(job)
        assert made.data is not None
        # Hashed (and stored) here, on the worker's core, not in the process that keeps the books.
        digest = hashlib.sha256(made.data).hexdigest()
        if self.destination is None:
            return OutputFile(made.path, made.data, digest=digest, sources=made.sources)
        write.store(self.destination, made.path, made.data, digest)
        return OutputFile(made.path, digest=digest, sources=made.sources, stored=True)

    def _make(self, job: Job) -> OutputFile:
        if job.output_path in self.splice_from:
            spliced = self.splice(job, self.splice_from[job.output_path])
            if spliced is not None:
                return spliced
        handler = getattr(self, "_render_" + job.kind)
        name, context, sources = handler(job)
        try:
            html = self.template(name).render(context)
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {name} failed while rendering {job.url_path}", [Problem(
                "error", f"templates/{name}", getattr(exc, "lineno", None), str(exc))]) from None
        except Exception as exc:  # a theme's bug must name the template and page, not crash
            raise TemplateError(f"template {name} failed while rendering {job.url_path}", [Problem(
                "error", f"templates/{name}", _template_line(exc), f"{type(exc).__name__}: {exc}")]) from None
        return OutputFile(job.output_path, html.encode("utf-8"), sources=sources)

    # --- fragments shared by many pages ---------------------------------------------------
    # Links are relative, so a fragment is the same on every page at the same folder depth:
    # the "Latest news" sidebar of a language and a list item are rendered once per depth,
    # not once per page (an archive has thousands of pages showing the same ten items).

    def fragment_sidebar(self, lang: str, current: str, exclude: str | None, absolute: bool) -> Markup:
        latest = self.site.latest.get(lang, ())
        shown = exclude if exclude in latest[: self.config.latest_news] else None
        key = ("sidebar", lang, urls.depth(current), shown, absolute)
        found = self._fragments.get(key)
        if found is None:
            context = self.base_context(lang, current, "fragment", absolute)
            context["latest_news"] = self.views.latest(lang, exclude=shown)
            html = self.template("partials/sidebar.html").render(context)
            found = self._fragments[key] = Markup(f"{SIDEBAR_START}{html}{SIDEBAR_END}")
        return found

    def sidebar_of(self, job: Job) -> Markup | None:
        """The sidebar fragment the page of `job` shows (as `fragment_sidebar` makes it for that page)."""
        if job.kind in ("article", "page"):
            page = self.site.pages[job.ref]
            return self.fragment_sidebar(page.lang, page.url_path, page.source, False)
        if job.kind == "list":
            listing = self._listing(job)
            return self.fragment_sidebar(listing.lang, job.url_path, None, False)
        if job.kind in ("tags", "authors", "archive", "search"):
            return self.fragment_sidebar(job.ref, job.url_path, None, False)
        if job.kind == "root" and self.config.root == "home":
            return self.fragment_sidebar(job.ref, "/", None, False)
        if job.kind == "404":
            return self.fragment_sidebar(job.ref, "/", None, True)
        return None

    def splice(self, job: Job, old: Path) -> OutputFile | None:
        """The page of `job` made from its previous version `old` with only the sidebar replaced.

        Used when nothing but the "Latest news" list changed (adding one article changes it on
        every page of its language): a string replacement instead of a render. None when the
        old file does not hold exactly one marked sidebar.
        """
        fragment = self.sidebar_of(job)
        try:
            text = old.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        start = text.find(SIDEBAR_START)
        end = text.find(SIDEBAR_END, start)
        if fragment is None or start < 0 or end < 0 or text.count(SIDEBAR_START) != 1:
            return None
        data = text[:start] + str(fragment) + text[end + len(SIDEBAR_END):]
        return OutputFile(job.output_path, data.encode("utf-8"), sources=())

    def fragment_item(self, item: dict[str, Any], lang: str, current: str, absolute: bool) -> Markup:
        """One list item. It is rendered once with its links written from `_ROOT_MARK`, which
        each page then replaces by its own way up to the root ("../../"): an article is listed
        on pages of many depths (home, year, month, tag, author, and their later pages)."""
        depth = urls.depth(current)
        if absolute or depth < 1:  # (a link to the root itself is "./" at depth 0, not a prefix)
            key: tuple[Any, ...] = ("item", item["source"], depth, absolute)
            found = self._fragments.get(key)
            if found is None:
                context = self.base_context(lang, current, "fragment", absolute)
                context["item"] = item
                found = self._fragments[key] = Markup(self.template("partials/article_item.html").render(context))
            return found
        key = ("item", item["source"])
        found = self._fragments.get(key)
        if found is None:
            if len(self._fragments) > MAX_FRAGMENTS:
                self._fragments.clear()  # an archive's every item, kept at once, is memory for little
            context = self.base_context(lang, current, "fragment", from_root_mark=True)
            context["item"] = item
            found = self._fragments[key] = Markup(self.template("partials/article_item.html").render(context))
        return Markup(found.replace(_ROOT_MARK, "../" * depth))

    # --- context --------------------------------------------------------------------------

    def base_context(self, lang: str, current: str, kind: str, absolute_links: bool = False,
                     exclude: str | None = None, from_root_mark: bool = False) -> dict[str, Any]:
        portable = self.config.portable
        root = self.root_path

        prefix_depth = urls.depth(current)
        known = self._urls

        def url(path: str) -> str:
            if not path:
                return ""
            if "://" in path or path.startswith(("mailto:", "#", "data:")):
                return path
            if absolute_links:
                return root + path.lstrip("/")
            if from_root_mark:
                link = urls.relative_url("/", path, portable)
                return _ROOT_MARK + ("" if link == "./" else link)
            # The same links appear on thousands of pages: remember them per folder depth.
            found = known.get((prefix_depth, path))
            if found is None:
                found = known[(prefix_depth, path)] = urls.relative_url(current, path, portable)
            return found

        language = self.config.language(lang)
        strings = self.strings

        def t(key: str, n: int | None = None, **values: Any) -> str:
            return strings.get(lang, key, n, **values)

        return {
            "site": {
                "title": language.title or self.config.title,
                "description": language.description or self.config.description,
                "base_url": self.config.base_url,
                "default_language": self.config.default_language,
                "languages": [{"code": lg.code, "name": lg.name, "url": list_url(lg.code)} for lg in self.config.languages],
                "params": self.config.params,
                "search": self.config.search,
                **self.brand.site_values(lang),
            },
            "config": self.config,
            "lang": language,
            "current_url": current,
            "page_kind": kind,
            "url": url,
            "abs_url": lambda path: urls.absolute_url(self.config.base_url, path),
            "t": t,
            "format_date": lambda value, pattern=None: strings.date(value, lang, pattern),
            "show_drafts": self.show_drafts,
            "alternates": [],
            "x_default": "",
            "sidebar_html": lambda: self.fragment_sidebar(lang, current, exclude, absolute_links),
            "item_html": lambda item: self.fragment_item(item, lang, current, absolute_links),
            "footer_html": lambda: self.brand.footer(lang, url),
        }

    def _render_article(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        page = self.site.pages[job.ref]
        body = self.bodies[page.source]
        context = self.base_context(page.lang, page.url_path, job.kind, exclude=page.source)
        context["alternates"] = self.views.article_alternates(page)
        context["x_default"] = self.views.x_default(context["alternates"])
        older, newer = self.site.neighbours.get(page.source, (None, None))
        context.update(
            article=self.views.article(page.source),
            body=relink(pictures_in(body.html, self.images), page.url_path, self.config.portable, self.source_urls),
            toc=body.toc,
            older=self.views.article(older) if older else None,
            newer=self.views.article(newer) if newer else None,
            translations=self.views.translations(page),
            related=[self.views.article(s) for s in self.site.related.get(page.source, ())],
            latest_news=self.views.latest(page.lang, exclude=page.source),
            language_links=self.views.article_language_links(page),
        )
        name = page.template or ("article.html" if page.kind == "article" else "page.html")
        return name, context, (page.source,)

    _render_page = _render_article

    def _listing(self, job: Job) -> Listing:
        code, kind, index = job.ref
        return self.site.listings[(code, kind)][index]

    def _render_list(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        listing = self._listing(job)
        per_page = self.config.per_page
        chunk = listing.pages[(job.number - 1) * per_page: job.number * per_page]
        context = self.base_context(listing.lang, job.url_path, listing.kind)
        view = self.views.listing(listing)
        if listing.kind == "month":
            year, month = listing.key.split("/")
            view["title"] = self.strings.month(int(year), int(month), listing.lang)
        context["alternates"] = self.views.alternates(listing.lang, listing.kind, listing.key)
        context["x_default"] = self.views.x_default(context["alternates"])
        context.update(
            listing=view,
            articles=[self.views.article(s) for s in chunk],
            pagination=self.views.pagination(listing.url_path, job.number, job.total),
            latest_news=self.views.latest(listing.lang),
            language_links=self.views.language_links(listing.lang, listing.kind, listing.key),
            home_sidebar=self.views.home_sidebar(listing.lang) if listing.kind == "home" else None,
        )
        return "list.html", context, chunk

    def _index(self, job: Job, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        code = job.ref
        context = self.base_context(code, job.url_path, kind)
        context["alternates"] = self.views.alternates(code, kind)
        context["x_default"] = self.views.x_default(context["alternates"])
        context.update(latest_news=self.views.latest(code), language_links=self.views.language_links(code, kind))
        return context, [self.views.listing(item) for item in self.site.listings[(code, {"tags": "tag", "authors": "author"}.get(kind, "year"))]]

    def _render_tags(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context, items = self._index(job, "tags")
        context.update(tags=items)
        return "tags.html", context, ()

    def _render_authors(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context, items = self._index(job, "authors")
        context.update(authors=sorted(items, key=lambda a: (a["title"].casefold(), a["key"])))
        return "authors.html", context, ()

    def _render_archive(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context, years = self._index(job, "archive")
        months_by_year: dict[str, list[dict[str, Any]]] = {}
        for month in self.site.listings[(job.ref, "month")]:
            view = self.views.listing(month)
            year, number = month.key.split("/")
            view["title"] = self.strings.month(int(year), int(number), job.ref)
            months_by_year.setdefault(year, []).append(view)
        for year in years:
            year["months"] = months_by_year.get(year["key"], [])
        context.update(years=years)
        return "archive.html", context, ()

    def _render_search(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context = self.base_context(job.ref, job.url_path, "search")
        context["alternates"] = self.views.alternates(job.ref, "search")
        context["x_default"] = self.views.x_default(context["alternates"])
        context.update(latest_news=self.views.latest(job.ref), language_links=self.views.language_links(job.ref, "search"))
        return "search.html", context, ()

    def _render_root(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        if self.config.root == "chooser":
            context = self.base_context(job.ref, "/", "chooser")
            return "chooser.html", context, ()
        home = self.site.listings[(job.ref, "home")][0]
        total = urls.page_count(len(home.pages), self.config.per_page)
        name, context, sources = self._render_list(Job("list", "/", "index.html", (job.ref, "home", 0), 1, total))
        context["current_url"] = "/"
        context["canonical_url"] = home.url_path
        return name, context, sources

    def _render_404(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        # Servers show 404.html at any depth, so its links start from the site's base path.
        context = self.base_context(job.ref, "/", "404", absolute_links=True)
        context.update(latest_news=self.views.latest(job.ref), language_links=self.views.language_links(job.ref, "404"))
        return "404.html", context, ()

    def _render_alias(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        page = self.site.pages[job.ref]
        context = self.base_context(page.lang, job.url_path, "alias")
        context.update(article=self.views.article(page.source), target=page.url_path)
        return "redirect.html", context, (page.source,)


def _flat(part: Any) -> str:
    if isinstance(part, (list, tuple)):
        return "[" + "\x1e".join(map(_flat, part)) + "]"
    return str(part)


def _hash(text: str, size: int = 16) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()


def _template_file(filename: str | None, name: str | None) -> str:
    if filename and "/themes/" in filename.replace("\\", "/"):
        return "themes/" + filename.replace("\\", "/").split("/themes/", 1)[1]
    return f"templates/{name}" if name else "templates"


def _template_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".html"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
