"""The build pipeline: the only module that knows the order of the stages.

    load config -> discover -> read and convert Markdown -> assemble -> render -> write

Pages are written into a folder of the build state (see write.Places) as they render (by the render workers), and
output/ is swapped for it only when everything succeeded: a failure anywhere leaves the previous
output/ as it was. Each stage is timed; the CLI prints the timings with --verbose.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from generator import active_content, brand, feeds, images, search, sitemap, sources, write
from generator import cache as page_cache
from generator.assemble import assemble
from generator.config import Config
from generator.errors import ContentError, Problem, Report, sort_problems
from generator.i18n import Strings
from generator.manifest import NO_BUILD, BuildCheck, check_build, load_stats
from generator.markup import MarkdownRenderer
from generator.model import BuildResult, OutputFile, Page, RenderedBody, Site, SourceFile
from generator.parallel import ordered_imap
from generator.read import read_source
from generator.render import Renderer, builtin_theme_dir, make_environment, templates_fingerprint, theme_dirs

#: Called with (stage name, done, total) while a long stage runs.
Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class Options:
    """How to build."""

    drafts: bool = False
    future: bool = False
    strict: bool = False
    #: Validate everything but write nothing (`vestka check`).
    check_only: bool = False
    #: Use and update the parsed-page cache in .vestka-cache/.
    use_cache: bool = True
    now: datetime | None = None
    progress: Progress | None = None


def build(config: Config, options: Options | None = None) -> BuildResult:
    """Build the site of `config` into its output folder; raise ContentError when input is bad."""
    try:
        return _build(config, options or Options())
    finally:
        gc.unfreeze()


def _build(config: Config, options: Options) -> BuildResult:
    result = BuildResult(output_dir=config.output_dir)
    report = Report(strict=options.strict)
    timer = _Timer(result.timings)
    tz = ZoneInfo(config.timezone)
    writing = not options.check_only

    with timer("discover"):
        found = sources.discover(config.content_dir, config.ignore)
        static, static_problems = sources.static_layers(
            [d / "static" for d in reversed(theme_dirs(config))] + [config.static_dir])
        report.extend(found.problems + static_problems)
        report.extend(active_content.check_assets(found.assets, sanitize=config.sanitize, checking=options.check_only))
        places = write.places_for(config.output_dir, config.cache_dir) if writing else None
        output, recorded = NO_BUILD, {}
        if places is not None:
            write.migrate_old_state(places)
            recorded = load_stats(places.stats)
            output = check_build(config.output_dir, recorded.get("output", {}))
        spare = _Once(lambda: check_build(places.spare, recorded.get("previous", {})) if places else NO_BUILD)
        state = page_cache.OutputState.open(config, enabled=options.use_cache and writing, output=output,
                                            spare=spare)
        templates = templates_fingerprint(config)
        inputs = state.inputs_key(found, static, options, templates)
        if state.unchanged(inputs, config.output_dir, time.time()) and not report.problems:
            return state.result_of_unchanged(result)
    with timer("read+markdown"):
        store = page_cache.PageCache.open(config, enabled=options.use_cache)
        pages, bodies = read_pages(found.pages, config, tz, store, report, options.progress)
        result.pages_from_cache = store.hits
        found.pages.clear()  # read now; a big archive's file list is memory every worker would share
    with timer("assemble"):
        now = options.now or datetime.now().astimezone()
        site, problems = assemble(pages, config, drafts=options.drafts, future=options.future, now=now,
                                  related_memo=store.related)
        store.put_related(site.related_memo)
        report.extend(problems)
        due = result.next_due = next_due(pages, now, options)
        # The site is read and stays until the end: the garbage collector need not walk it
        # again and again, and forked workers then share its memory instead of copying it.
        gc.freeze()
        bodies = {source: bodies[source] for source in site.pages}  # drafts and future pages left out
        report.extend(check_links(site, bodies, found, static, config.content_dir))
        if options.check_only and "csp" not in config.params:
            report.extend(blocked_resources(bodies))
        report.extend(brand.check_links(config, site, static))
        del pages
    if report.errors:
        raise ContentError(_count_line(report.errors), report.problems)
    with timer("images"):
        photos = images.prepare(found.assets, config, encode=writing, use_cache=options.use_cache,
                                list_gps=not writing, progress=options.progress)
        report.extend(photos.problems + images.check_pages(site.pages, bodies, photos, config.site_dir))
    with timer("render"):
        strings = Strings([d / "i18n" for d in reversed(theme_dirs(config))] + [config.site_dir / "i18n"], config)
        env = make_environment(config, _jinja_cache(config) if options.use_cache else None)
        renderer = Renderer(site, bodies, config, strings, env, show_drafts=options.drafts, images=photos)
        renderer.job_list = list(renderer.jobs())
        common = f"{config.fingerprint()}|{templates}"
        pages_out, keys = render_outputs(renderer, common, config, state, serial=not writing,
                                         progress=options.progress)
        result.sidebar_updates = len(renderer.splice_from)
        outputs: list[OutputFile] = []
    with timer("feeds"):
        plans = feeds.plan_feeds(site, config, strings)

        def reuse_feed(plan: feeds.FeedPlan) -> str | None:
            keys[plan.path] = renderer.output_key(common, "feed", plan.path, plan.identity, plan.items)
            return state.reusable({plan.path: keys[plan.path]}, config.output_dir).get(plan.path)

        # Made while the write stage stores them, one at a time, after the pages.
        feed_files = feeds.render_feeds(site, bodies, config, plans, reuse_feed)
        outputs += sitemap.render_sitemap(site, config, memo=state.sitemap_memo)
        outputs += search.index_files(site, bodies, config, strings, cache=options.use_cache) if writing else []
        outputs += brand.stylesheet(config)
        outputs += [OutputFile(f"{a.rel_path}", copy_from=a.path, sources=(f"content/{a.rel_path}",))
                    for a in found.assets if not photos.handles(a.rel_path)] + photos.outputs
        outputs += [OutputFile(f"static/{rel}", copy_from=f.path, sources=(_static_source(f, config),))
                    for rel, f in static.items()]
        claims = [(job.output_path, renderer.job_source(job)) for job in renderer.job_list]
        claims += [(item.path, item.sources[0] if item.copy_from is not None and item.sources
                    else f"the generated file {item.path}") for item in outputs]
        claims += [(plan.path, f"the generated file {plan.path}") for plan in plans]
        # The paths of an archive rarely change between builds; the same paths passed last time.
        state.claims = hashlib.blake2b("\0".join(f"{p}\0{s}" for p, s in claims).encode(
            "utf-8", "surrogatepass"), digest_size=16).hexdigest()
        if state.claims != state.data.get("claims"):
            report.extend(write.check_claims(claims))
        report.extend(strings.problems)
        if not writing:
            report.extend(strings.missing_problems())
    result.pages = len(site.pages)
    result.listings = sum(len(v) for v in site.listings.values())
    if report.failed:
        raise ContentError(_count_line(report.errors or report.warnings), report.problems)
    if writing:
        assert places is not None
        with timer("render+write"), write.lock(places):
            write.check_output_dir(config.output_dir, config.site_dir)
            write.clean_leftovers(places)
            manifest, written, unchanged, removed = write.publish(
                itertools.chain(pages_out, feed_files, outputs), places, output=output, spare=spare(),
                on_destination=lambda dest: setattr(renderer, "destination", dest))
            result.manifest, result.files_written, result.files_unchanged, result.files_removed = (
                manifest, written, unchanged, removed)
    # Before the state is saved: a no-op build reports the warnings stored with it.
    result.problems = sort_problems(report.problems)
    if writing:
        with timer("cache"):
            store.save()
            state.save(inputs, keys, manifest, config.output_dir, result, due)
    return result


def render_outputs(renderer: Renderer, common: str, config: Config, state: page_cache.OutputState, *, serial: bool,
                   progress: Progress | None) -> tuple[Iterator[OutputFile], dict[str, str]]:
    """Render every page whose inputs changed since the last build; reuse the rest as they are.

    Pages are yielded as they are rendered (on all cores), so the write stage can store them
    one by one instead of holding a whole archive's HTML in memory.
    """
    jobs = renderer.job_list
    keys = {job.output_path: renderer.job_key(job, common) for job in jobs}
    reuse = state.reusable(keys, config.output_dir)
    if _splice_safe(config):
        renderer.splice_from = state.spliceable(keys, config.output_dir)
    todo = [job for job in jobs if job.output_path not in reuse]
    if serial:  # checking: render everything now so that every template error is found
        rendered: Iterator[OutputFile] = iter([renderer.render(job) for job in todo])
    else:
        rendered = ordered_imap(renderer.render, todo)

    def in_order() -> Iterator[OutputFile]:
        done = 0
        for job in jobs:
            if job.output_path in reuse:
                yield OutputFile(job.output_path, digest=reuse[job.output_path])
                continue
            item = next(rendered)
            done += 1
            if progress is not None and done % 500 == 0:
                progress("render", done, len(todo))
            yield item

    return in_order(), keys


def _splice_safe(config: Config) -> bool:
    """Sidebars may be replaced in old pages only when the built-in templates made them: a
    site's own templates might show the latest news elsewhere in the page too."""
    site_templates = config.themes_dir / config.theme / "templates"
    builtin = builtin_theme_dir().resolve()
    return not site_templates.is_dir() or site_templates.resolve() == (builtin / "templates")


def _jinja_cache(config: Config) -> Path | None:
    folder = config.cache_dir / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # no cache folder (a read-only site): templates are compiled each time
    return folder


def _static_source(source: SourceFile, config: Config) -> str:
    try:
        return source.path.relative_to(config.site_dir).as_posix()
    except ValueError:
        return f"the theme's static/{source.rel_path}"


def next_due(pages: list[Page], now: datetime, options: Options) -> float | None:
    """When the earliest future-dated article becomes due (a rebuild must then show it)."""
    if options.future:
        return None
    due = [p.date.timestamp() for p in pages if p.date > now]
    return min(due) if due else None


def read_pages(files: list[SourceFile], config: Config, tz: ZoneInfo, store: page_cache.PageCache,
               report: Report, progress: Progress | None) -> tuple[list[Page], dict[str, RenderedBody]]:
    """Every page with its body as HTML, and all problems, in file order.

    Unchanged files come from the cache; the others are read and converted on all cores in one
    pass, so an archive's Markdown never has to be held in memory: only the (compressed) HTML
    comes back from the workers.
    """
    cached: dict[str, tuple[Page, list[Problem], RenderedBody]] = {}
    todo = []
    for source in files:
        rel = f"content/{source.rel_path}"
        hit = store.page(rel, source)
        body = store.body(hit[0]) if hit is not None else None
        if hit is not None and body is not None:
            cached[rel] = (hit[0], hit[1], body)
        else:
            todo.append(source)
    converter: list[MarkdownRenderer] = []  # one per process, made on first use

    def read_and_convert(source: SourceFile) -> tuple[Page | None, list[Problem], RenderedBody | None]:
        page, problems = read_source(source, config, f"content/{source.rel_path}", tz)
        if page is None:
            return None, problems, None
        if not converter:
            converter.append(MarkdownRenderer(sanitize=config.sanitize))
        return replace(page, body_md=""), problems, converter[0].render(page)

    fresh = ordered_imap(read_and_convert, todo)
    pages: list[Page] = []
    bodies: dict[str, RenderedBody] = {}
    for done, source in enumerate(files, 1):
        rel = f"content/{source.rel_path}"
        entry = cached.get(rel)
        if entry is None:
            page, problems, body = next(fresh)
            if page is not None and body is not None:
                store.put_page(rel, source, page, problems)
                store.put_body(page, body)
        else:
            page, problems, body = entry
        report.extend(problems)
        if page is not None and body is not None:
            pages.append(page)
            bodies[page.source] = body
        if progress is not None and done % 500 == 0:
            progress("read", done, len(files))
    return pages, bodies


def check_links(site: Site, bodies: dict[str, RenderedBody], found: sources.Found,
                static: dict, content_dir: Path | None = None) -> list[Problem]:
    """Warnings for body links to site paths that no page, asset or static file provides."""
    known_files = {a.rel_path for a in found.assets} | {f"static/{rel}" for rel in static}
    list_urls = {listing.url_path for group in site.listings.values() for listing in group} | {"/"}
    alias_urls = {alias.url_path.casefold() for alias in site.aliases}
    for code in {page.lang for page in site.pages.values()}:
        list_urls.update(f"/{code}/{name}" for name in ("", "tags/", "archive/", "authors/", "search/"))
    problems = []
    for source, body in bodies.items():
        for link in body.internal_links:
            path = link.split("#")[0].split("?")[0]
            if path.startswith("vestka-src:"):
                ok = path[len("vestka-src:"):] in site.pages
            elif path.endswith("/"):
                ok = path in site.url_index or path in list_urls
            else:
                ok = path.lstrip("/") in known_files or path in site.url_index
            ok = ok or path.casefold() in alias_urls or (path + "/").casefold() in alias_urls
            if not ok:
                problems.append(Problem("warning", source, _link_line(site.pages[source], link, content_dir),
                                        f"link to {link.removeprefix('vestka-src:')} points at no page or file",
                                        "fix the link, or check that the target is not a draft"))
    return problems


_EXTERNAL = re.compile(r"""<(img|audio|video|source|iframe|embed|track)\b[^>]*?\bsrc\s*=\s*["']((?:https?:)?//[^"']+)""",
                       re.IGNORECASE)


def blocked_resources(bodies: dict[str, RenderedBody]) -> list[Problem]:
    """One warning per file whose body loads pictures, sound or frames from other hosts: the
    default theme's Content-Security-Policy blocks them, so readers would see nothing."""
    problems = []
    for source, body in bodies.items():
        html = body.html
        if "//" not in html:
            continue
        found = _EXTERNAL.findall(html)
        if found:
            kinds = ", ".join(f"{tag.lower()} {url}" for tag, url in found[:3]) + (", …" if len(found) > 3 else "")
            problems.append(Problem("warning", source, None,
                                    f"{len(found)} external resource(s) the theme's Content-Security-Policy blocks: "
                                    + kinds,
                                    "import with --fetch-media, or copy the files into the site and link them"))
    return problems


def _link_line(page: Page, link: str, content_dir: Path | None) -> int:
    """The line of the page's file where `link` is written (found by its last part), else the
    body's first. The file is read again: bodies are not kept, and broken links are few."""
    target = link.removeprefix("vestka-src:").split("#")[0].rstrip("/")
    needle = target.rsplit("/", 1)[-1] or target
    if content_dir is None:
        return page.body_line
    try:
        lines = (content_dir / page.source.removeprefix("content/")).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return page.body_line
    for number in range(page.body_line - 1, len(lines)):
        if needle and needle in lines[number]:
            return number + 1
    return page.body_line


def _count_line(problems: list[Problem]) -> str:
    files = {p.file for p in problems}
    kind = "error" if problems and problems[0].severity == "error" else "warning"
    return f"build failed: {len(problems)} {kind}{'s' if len(problems) != 1 else ''} in {len(files)} file" + (
        "s" if len(files) != 1 else "")


class _Once:
    """A value computed on first use."""

    def __init__(self, make: Callable[[], BuildCheck]) -> None:
        self.make = make
        self.value: BuildCheck | None = None

    def __call__(self) -> BuildCheck:
        if self.value is None:
            self.value = self.make()
        return self.value


class _Timer:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def __call__(self, name: str) -> _Timer:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = time.perf_counter() - self.start
