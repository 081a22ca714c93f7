"""Render the site's pages with Jinja2: articles, list pages, indexes, redirects, 404.

One Jinja environment per build; template lookup goes through the site's theme and falls back
to the built-in default theme, so a site overrides only the templates it changes. Every link
a template writes goes through `url()`, which makes it relative to the page being rendered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from generator import urls
from generator.brand import BrandViews
from generator.config import Config
from generator.errors import Problem, TemplateError
from generator.head_meta import SiteMeta, head_meta, site_meta
from generator.i18n import Strings
from generator.images import Photos, pictures_in
from generator.markup import rewrite_site_links
from generator.model import (
    SIDEBAR_END,
    SIDEBAR_START,
    AliasInputs,
    ArticleInputs,
    IndexInputs,
    Job,
    LanguageInputs,
    ListInputs,
    OutputFile,
    RenderedBody,
    Site,
)
from generator.site_paths import list_url
from generator.theme import theme_dirs
from generator.views import Views

#: Stands for the way up to the site root in fragments shared by pages of different depths.
_ROOT_MARK = "\x00vestka-root\x00"
#: Item fragments one render process keeps before starting afresh.
MAX_FRAGMENTS = 20_000
#: The pages of a language the site header links to (as `partials/site_header.html` lists
#: them), below the language's folder; the search page's only when it is built.
_NAV_PATHS = ("", "tags/", "archive/", "authors/")


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


def bytecode_folder(config: Config) -> Path | None:
    """Where compiled templates are kept (None when the site's cache folder cannot be made)."""
    folder = config.cache_dir / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only site: templates are compiled each time
    return folder


def make_environment(config: Config, cache_dir: Path | None = None) -> jinja2.Environment:
    loaders = [jinja2.FileSystemLoader(str(d / "templates")) for d in theme_dirs(config)]
    # Compiled templates are kept in the site's cache folder: compiling costs ~0.1 s per build.
    bytecode = _TemplateCache(str(cache_dir)) if cache_dir is not None else None
    env = _Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
                             bytecode_cache=bytecode)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def relink(html: str, from_path: str, portable: bool, source_urls: dict[str, str]) -> str:
    """Make the links of a body written from the site root relative to the page at `from_path`."""

    def relative(target: str) -> str:
        path, sep, rest = target.partition("#")
        return (urls.relative_url(from_path, path, portable) if path else "") + sep + rest

    return rewrite_site_links(html, source_urls, relative)


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
        self.source_urls = {source: page.url_path for source, page in site.pages.items()}
        self._templates: dict[str, jinja2.Template] = {}
        self.root_path = urls.base_path(config.base_url)
        self._fragments: dict[tuple[Any, ...], Markup] = {}
        self._urls: dict[tuple[int, str], str] = {}
        self._nav_targets: dict[str, frozenset[str]] = {}
        self._site_metas: dict[str, SiteMeta] = {}
        #: How each kind of job is rendered: (template name, context, sources) from a job.
        self._handlers: dict[str, Callable[[Job], tuple[str, dict[str, Any], tuple[str, ...]]]] = {
            "article": self._render_article, "page": self._render_article, "list": self._render_list,
            "tags": self._render_tags, "authors": self._render_authors, "archive": self._render_archive,
            "search": self._render_search, "root": self._render_root, "404": self._render_404,
            "alias": self._render_alias,
        }

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

    def render(self, job: Job) -> OutputFile:
        """The page of `job`."""
        name, context, sources = self._handlers[job.kind](job)
        try:
            html = self.template(name).render(context)
        except TemplateError:
            raise
        except jinja2.TemplateNotFound as exc:  # an include or import inside the template
            raise TemplateError(f"template {name} failed while rendering {job.url_path}", [Problem(
                "error", f"templates/{name}", _template_line(exc), f"includes {exc.name!r}, which is not found "
                "in the theme or the default theme", "check the name, or add that file to the theme's "
                "templates/ folder")]) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template {name} failed while rendering {job.url_path}", [Problem(
                "error", f"templates/{name}", getattr(exc, "lineno", None), str(exc))]) from None
        except Exception as exc:  # a theme's bug must name the template and page, not crash
            raise TemplateError(f"template {name} failed while rendering {job.url_path}", [Problem(
                "error", f"templates/{name}", _template_line(exc), f"{type(exc).__name__}: {exc}")]) from None
        return OutputFile(job.output_path, html.encode("utf-8"), sources=sources)

    # --- fragments shared by many pages ---------------------------------------------------
    # Links are relative, so a fragment is the same on every page at the same folder depth:
    # the "Latest news" sidebar of a language, the site header and a list item are rendered
    # once per depth, not once per page (an archive has thousands of pages showing the same
    # ten items).

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
        inputs = job.inputs
        if not inputs.sidebar:
            return None
        if isinstance(inputs, ArticleInputs):
            page = self.site.pages[inputs.source]
            return self.fragment_sidebar(inputs.sidebar, page.url_path, page.source, False)
        if job.kind == "root":
            return self.fragment_sidebar(inputs.sidebar, "/", None, False)
        if job.kind == "404":
            return self.fragment_sidebar(inputs.sidebar, "/", None, True)
        return self.fragment_sidebar(inputs.sidebar, job.url_path, None, False)

    def fragment_header(self, lang: str, current: str, absolute: bool) -> Markup:
        """The site's title and main navigation. A page marks its link there with aria-current
        only when it is one of the links, so the fragment's context gets `current_url` only as
        that link: a theme's partial cannot depend on more of the page than the memo's key."""
        highlighted = current if current in self._header_targets(lang) else ""
        key = ("header", lang, urls.depth(current), highlighted, absolute)
        found = self._fragments.get(key)
        if found is None:
            context = self.base_context(lang, current, "fragment", absolute)
            context["current_url"] = highlighted
            found = self._fragments[key] = Markup(self.template("partials/site_header.html").render(context))
        return found

    def _header_targets(self, lang: str) -> frozenset[str]:
        """The site paths the header of `lang` links to: its own pages and the menu's."""
        found = self._nav_targets.get(lang)
        if found is None:
            code = self.config.language(lang).code
            paths = _NAV_PATHS + (("search/",) if self.config.search else ())
            menu = self.brand.site_values(lang)["menu"]
            found = self._nav_targets[lang] = frozenset(
                [f"/{code}/{path}" for path in paths] + [item["path"] for item in menu if item["path"]])
        return found

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

    def head_meta(self, lang: str, url: Callable[[str], str], *, article: dict[str, Any] | None = None,
                  listing: dict[str, Any] | None = None, description: str | None = None,
                  canonical: str | None = None, translations: list[dict[str, Any]] | None = None,
                  alternates: Iterable[dict[str, Any]] = (), x_default: str = "") -> Markup:
        """`head_meta()` of templates: the page's metadata tags (see `generator/head_meta.py`),
        from the values `partials/head_meta.html` passes and the page's `url()`."""
        site = self._site_metas.get(lang)
        language = self.config.language(lang)
        if site is None:
            site = self._site_metas[lang] = site_meta(
                self.config.base_url, language.title or self.config.title,
                language.description or self.config.description, language.locale or language.code,
                self.env.policies["json.dumps_kwargs"])
        listing_feed = None
        if listing and listing.get("kind") in ("tag", "author"):
            heading = self.strings.get(lang, "tag_heading" if listing["kind"] == "tag" else "author_heading",
                                       name=listing["title"])
            listing_feed = (heading, url(listing["url"] + "feed.xml"))
        code = language.code
        return head_meta(
            site, feeds=(url(f"/{code}/feed.xml"), url(f"/{code}/rss.xml")), canonical=canonical or "",
            description=description or "", article=article or None,
            listing_title=(listing.get("title") or "") if listing else "", listing_feed=listing_feed,
            alternates=alternates, x_default=x_default,
            alternate_locales=[self.config.language(tr["lang"]).locale or tr["lang"] for tr in translations or ()])

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
            "header_html": lambda: self.fragment_header(lang, current, absolute_links),
            "head_meta": lambda **values: self.head_meta(lang, url, **values),
        }

    def _render_article(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        inputs: ArticleInputs = job.inputs
        page = self.site.pages[inputs.source]
        body = self.bodies[page.source]
        context = self.base_context(page.lang, page.url_path, job.kind, exclude=page.source)
        context["alternates"] = self.views.article_alternates(page, inputs.translations)
        context["x_default"] = self.views.x_default(context["alternates"])
        context.update(
            article=self.views.article(page.source),
            body=relink(pictures_in(body.html, self.images), page.url_path, self.config.portable, self.source_urls),
            toc=body.toc,
            older=self.views.article(inputs.older) if inputs.older else None,
            newer=self.views.article(inputs.newer) if inputs.newer else None,
            translations=self.views.translations(inputs.translations),
            related=[self.views.article(s) for s in inputs.related],
            latest_news=self.views.latest(inputs.sidebar, exclude=page.source),
            language_links=self.views.article_language_links(page, inputs.translations),
        )
        name = inputs.template or ("article.html" if page.kind == "article" else "page.html")
        return name, context, (page.source,)

    def _render_list(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        inputs: ListInputs = job.inputs
        current = "/" if inputs.root else job.url_path
        context = self.base_context(inputs.lang, current, inputs.kind)
        view = {"kind": inputs.kind, "lang": inputs.lang, "key": inputs.key, "title": inputs.title,
                "url": inputs.url_path, "count": inputs.count}
        if inputs.kind == "month":
            year, month = inputs.key.split("/")
            view["title"] = self.strings.month(int(year), int(month), inputs.lang)
        context["alternates"] = self.views.alternates(inputs.lang, inputs.kind, inputs.key)
        context["x_default"] = self.views.x_default(context["alternates"])
        number, total = (1, urls.page_count(inputs.count, self.config.per_page)) if inputs.root else (job.number,
                                                                                                      job.total)
        context.update(
            listing=view,
            articles=[self.views.article(s) for s in inputs.shown],
            pagination=self.views.pagination(inputs.url_path, number, total),
            latest_news=self.views.latest(inputs.sidebar),
            language_links=self.views.language_links(inputs.lang, inputs.kind, inputs.key),
            home_sidebar=self.views.home_sidebar(inputs.lang) if inputs.kind == "home" else None,
        )
        if inputs.root:
            context["canonical_url"] = inputs.url_path
        return "list.html", context, inputs.shown

    def _index(self, job: Job, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        inputs: IndexInputs = job.inputs
        code = inputs.lang
        context = self.base_context(code, job.url_path, kind)
        context["alternates"] = self.views.alternates(code, kind)
        context["x_default"] = self.views.x_default(context["alternates"])
        context.update(latest_news=self.views.latest(inputs.sidebar),
                       language_links=self.views.language_links(code, kind))
        return context, [{"kind": k, "lang": code, "key": key, "title": title, "url": url, "count": count}
                         for k, key, title, url, count in inputs.items]

    def _render_tags(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context, items = self._index(job, "tags")
        context.update(tags=items)
        return "tags.html", context, ()

    def _render_authors(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context, items = self._index(job, "authors")
        context.update(authors=sorted(items, key=lambda a: (a["title"].casefold(), a["key"])))
        return "authors.html", context, ()

    def _render_archive(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        context, items = self._index(job, "archive")
        years = [item for item in items if item["kind"] == "year"]
        months_by_year: dict[str, list[dict[str, Any]]] = {}
        for view in items:
            if view["kind"] == "month":
                year, number = view["key"].split("/")
                view["title"] = self.strings.month(int(year), int(number), view["lang"])
                months_by_year.setdefault(year, []).append(view)
        for year in years:
            year["months"] = months_by_year.get(year["key"], [])
        context.update(years=years)
        return "archive.html", context, ()

    def _render_search(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        inputs: LanguageInputs = job.inputs
        context = self.base_context(inputs.lang, job.url_path, "search")
        context["alternates"] = self.views.alternates(inputs.lang, "search")
        context["x_default"] = self.views.x_default(context["alternates"])
        context.update(latest_news=self.views.latest(inputs.sidebar),
                       language_links=self.views.language_links(inputs.lang, "search"))
        return "search.html", context, ()

    def _render_root(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        if isinstance(job.inputs, LanguageInputs):  # the language chooser
            return "chooser.html", self.base_context(job.inputs.lang, "/", "chooser"), ()
        return self._render_list(job)

    def _render_404(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        inputs: LanguageInputs = job.inputs
        # Servers show 404.html at any depth, so its links start from the site's base path.
        context = self.base_context(inputs.lang, "/", "404", absolute_links=True)
        context.update(latest_news=self.views.latest(inputs.sidebar),
                       language_links=self.views.language_links(inputs.lang, "404"))
        return "404.html", context, ()

    def _render_alias(self, job: Job) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        inputs: AliasInputs = job.inputs
        page = self.site.pages[inputs.target]
        context = self.base_context(page.lang, job.url_path, "alias")
        context.update(article=self.views.article(page.source), target=page.url_path)
        return "redirect.html", context, (page.source,)


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
