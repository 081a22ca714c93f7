"""The build pipeline: the only module that knows the order of the stages.

    discover -> read -> assemble -> check links -> plan -> check claims -> decide -> render+write -> save

First everything is read and assembled into one `Site`, so that links, lists and sidebars can
see all of it; then every output is planned and checked before anything is written; then each
page is reused, spliced or rendered (see `generator.incremental`) and written into the build
state folder, which is swapped in as output/ only when everything succeeded: a failure
anywhere leaves the previous output/ as it was. Each stage is timed (`vestka build -v`).
"""

from __future__ import annotations

import functools
import gc
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from generator import active_content, brand, feeds, images, incremental, produce, search, sources, write
from generator.assemble import assemble, next_due
from generator.config import Config
from generator.errors import ContentError, Problem, Report, sort_problems
from generator.i18n import Strings
from generator.incremental.keys import Keys
from generator.links import blocked_resources, check_links
from generator.model import BuildResult
from generator.plan import plan_outputs
from generator.reading import read_pages
from generator.render import Renderer, bytecode_folder, make_environment
from generator.theme import templates_fingerprint, theme_dirs

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
    #: Reuse what earlier builds left in .vestka-cache/ (see generator.incremental).
    use_cache: bool = True
    now: datetime | None = None
    progress: Progress | None = None
    #: Keep the search index of the last build as it is (`vestka serve` reloads the edited page
    #: first, and brings the index up to date in a build after; see search.index_files).
    defer_search: bool = False


def build(config: Config, options: Options | None = None) -> BuildResult:
    """Build the site of `config` into its output folder; raise ContentError when input is bad."""
    try:
        with write.disk_errors(config.site_dir, config.output_dir):  # a full or read-only disk is no bug
            return _build(config, options or Options())
    finally:
        gc.unfreeze()


def _build(config: Config, options: Options) -> BuildResult:
    result, report = BuildResult(output_dir=config.output_dir), Report(strict=options.strict)
    timer = _Timer(result.timings)
    with timer("discover"):
        found = sources.discover(config.content_dir, config.ignore)
        static, problems = sources.static_layers([d / "static" for d in reversed(theme_dirs(config))]
                                                 + [config.static_dir])
        report.extend(found.problems + problems)
        report.extend(active_content.check_assets(found.assets, sanitize=config.sanitize, checking=options.check_only))
        target = None if options.check_only else write.open_target(config.output_dir, config.cache_dir)
        layer = incremental.open_layer(config, target if options.use_cache else None)
        templates = templates_fingerprint(config)
        if (layer.unchanged(found, static, options, templates, result) and not report.problems
                and (options.defer_search or not search.index_behind(config))):
            return result
    with timer("read+markdown"):
        pages, bodies = read_pages(found.pages, config, ZoneInfo(config.timezone), layer.pages, report,
                                   options.progress)
        result.pages_from_cache = layer.pages.hits
        found.pages.clear()  # read now; a big archive's file list is memory every worker would share
    with timer("assemble"):
        now = options.now or datetime.now().astimezone()
        site, problems = assemble(pages, config, drafts=options.drafts, future=options.future, now=now,
                                  related_memo=layer.pages.related)
        layer.pages.put_related(site.related_memo)
        report.extend(problems)
        result.next_due = next_due(pages, now, options.future)
        # The site stays until the end: the garbage collector need not walk it again and again,
        # and forked workers share its memory instead of copying it.
        gc.freeze()
        bodies = {source: bodies[source] for source in site.pages}  # drafts and future pages left out
        del pages
    with timer("check links"):
        report.extend(check_links(site, bodies, found.assets, static, config.content_dir))
        if options.check_only and "csp" not in config.params:
            report.extend(blocked_resources(bodies))
        report.extend(brand.check_links(config, site, static))
    if report.errors:
        raise ContentError(_count_line(report.errors), report.problems)
    with timer("images"):
        photos = images.prepare(found.assets, config, encode=target is not None, use_cache=options.use_cache,
                                list_gps=target is None, progress=options.progress)
        report.extend(photos.problems + images.check_pages(site.pages, bodies, photos, config.site_dir))
    with timer("plan+sitemap+search"):
        strings = Strings([d / "i18n" for d in reversed(theme_dirs(config))] + [config.site_dir / "i18n"], config)
        env = make_environment(config, bytecode_folder(config) if options.use_cache else None)
        renderer = Renderer(site, bodies, config, strings, env, show_drafts=options.drafts, images=photos)
        plan = plan_outputs(site, bodies, config, strings, renderer.views, found.assets, static, layer.sitemap_memo,
                            search_cache=options.use_cache if target is not None else None, photos=photos,
                            search_defer=options.defer_search, progress=options.progress)
    with timer("check claims"):
        claims = plan.claims()
        if layer.claims_changed(claims):
            report.extend(write.check_claims(claims))
        report.extend(strings.problems)
    if target is None:  # checking: render every page now, so that every template error is found
        with timer("render"):
            for _ in produce.pages(plan.jobs, incremental.Decision(), renderer, None):
                pass
        report.extend(strings.missing_problems())
    result.pages, result.listings = len(site.pages), sum(len(v) for v in site.listings.values())
    if report.failed:
        raise ContentError(_count_line(report.errors or report.warnings), report.problems)
    if target is None:
        result.problems = sort_problems(report.problems)
        return result
    with timer("decide"):
        keys = Keys(site, renderer.views, f"{config.fingerprint()}|{templates}", show_drafts=options.drafts,
                    shown_of=lambda source: photos.page_key(site.pages[source], bodies.get(source)))
        decision = layer.decide(plan, keys)
        result.sidebar_updates = len(decision.splice)
    with timer("render+feeds+write"), write.lock(target.places):
        write.check_output_dir(config.output_dir, config.site_dir)
        write.clean_leftovers(target.places)
        with write.open_destination(target.places, target.output, target.spare()) as dest:
            made = itertools.chain(
                produce.pages(plan.jobs, decision, renderer, functools.partial(write.store, dest),
                              progress=options.progress),
                feeds.render_feeds(site, bodies, config, plan.feeds, layer.feed_reuse(keys)), plan.files)
            result.manifest, result.files_written, result.files_unchanged, result.files_removed = write.commit(
                dest, made)
    report.extend(dest.problems)
    result.problems = sort_problems(report.problems)  # before saving: a no-op build reports them again
    with timer("save"):
        layer.save(result, config.output_dir)
    return result


def _count_line(problems: list[Problem]) -> str:
    files = {p.file for p in problems}
    kind = "error" if problems and problems[0].severity == "error" else "warning"
    return f"build failed: {len(problems)} {kind}{'s' if len(problems) != 1 else ''} in {len(files)} file" + (
        "s" if len(files) != 1 else "")


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
