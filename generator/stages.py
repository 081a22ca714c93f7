"""What each build stage does after discovery, one function per stage; `build` calls them in order.

`build` imports this module only when discovery found work to do: these stages bring in
Markdown, Jinja, Babel and Pillow, whose import was a third of a no-op build of a 10k archive. Each function takes the data of the stages before it and gives its own;
problems go into the build's `Report`.
"""

from __future__ import annotations

import functools
import gc
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from generator import brand, feeds, images, produce, write
from generator.assemble import assemble as assemble_site
from generator.assemble import next_due
from generator.config import Config
from generator.errors import ContentError, Problem, Report
from generator.i18n import Strings
from generator.incremental import Decision, NullIncremental
from generator.incremental.keys import Keys
from generator.links import blocked_resources
from generator.links import check_links as find_broken_links
from generator.model import BuildResult, OutputFile, Page, RenderedBody, Site
from generator.plan import Plan, plan_outputs
from generator.reading import read_pages
from generator.render import Renderer, bytecode_folder, make_environment
from generator.sources import Inputs
from generator.theme import theme_dirs

Bodies = dict[str, RenderedBody]


def read(inputs: Inputs, config: Config, layer: NullIncremental, report: Report, result: BuildResult,
         progress: produce.Progress | None) -> tuple[list[Page], Bodies]:
    """read+markdown: every page and its body HTML (unchanged files from the page cache)."""
    pages, bodies = read_pages(inputs.found.pages, config, ZoneInfo(config.timezone), layer.pages, report, progress)
    result.pages_from_cache = layer.pages.hits
    inputs.found.pages.clear()  # read now; a big archive's file list is memory every worker would share
    return pages, bodies


def assemble(pages: list[Page], bodies: Bodies, config: Config, layer: NullIncremental, report: Report, *,
             drafts: bool, future: bool, now: datetime | None, result: BuildResult) -> tuple[Site, Bodies]:
    """assemble: the `Site` of the published pages, and their bodies (drafts and future pages left
    out); the layer starts keeping the site for the text edits of the next build."""
    now = now or datetime.now().astimezone()
    site, problems = assemble_site(pages, config, drafts=drafts, future=future, now=now,
                                   related_memo=layer.pages.related)
    layer.pages.put_related(site.related_memo)
    report.extend(problems)
    result.next_due = next_due(pages, now, future)
    result.pages, result.listings = len(site.pages), sum(len(v) for v in site.listings.values())
    # The site stays until the end: the garbage collector need not walk it again and again,
    # and forked workers share its memory instead of copying it.
    gc.freeze()
    # Kept for the text edits of the next build by a child forked now, while this process is
    # at its smallest: the child's memory counts with the build's.
    layer.keep_site(site)
    return site, {source: bodies[source] for source in site.pages}


def check_links(site: Site, bodies: Bodies, inputs: Inputs, config: Config, report: Report, *,
                checking: bool) -> None:
    """check links: warnings for links to nothing (and, when checking, to other hosts without a CSP)."""
    report.extend(find_broken_links(site, bodies, inputs.found.assets, inputs.static, config.content_dir))
    if checking and "csp" not in config.params:
        report.extend(blocked_resources(bodies))
    report.extend(brand.check_links(config, site, inputs.static))


def prepare_images(site: Site, bodies: Bodies, inputs: Inputs, config: Config, report: Report, *,
                   writing: bool, use_cache: bool, progress: produce.Progress | None) -> images.Photos:
    """images: the jobs of the photos' files (made, when writing, if their key is not in the cache)
    and the checks of the pages that show them."""
    photos = images.prepare(inputs.found.assets, config, encode=writing, use_cache=use_cache,
                            list_gps=not writing, progress=progress)
    report.extend(photos.problems + images.check_pages(site.pages, bodies, photos, config.site_dir))
    return photos


def load_templates(site: Site, bodies: Bodies, config: Config, photos: images.Photos, *,
                   drafts: bool, use_cache: bool) -> tuple[Renderer, Strings]:
    """templates: the string tables and the Jinja environment, ready to render."""
    strings = Strings([d / "i18n" for d in reversed(theme_dirs(config))] + [config.site_dir / "i18n"], config)
    env = make_environment(config, bytecode_folder(config) if use_cache else None)
    return Renderer(site, bodies, config, strings, env, show_drafts=drafts, images=photos), strings


def plan(site: Site, bodies: Bodies, config: Config, renderer: Renderer, strings: Strings, inputs: Inputs,
         layer: NullIncremental, photos: images.Photos, *, writing: bool, use_cache: bool, defer_search: bool,
         progress: produce.Progress | None) -> Plan:
    """plan+sitemap+search index: every output of the build; the sitemap and search index are made here."""
    made = plan_outputs(site, bodies, config, strings, renderer.views, inputs.found.assets, inputs.static,
                        layer.sitemap_entries, search_cache=use_cache if writing else None, photos=photos,
                        search_defer=defer_search, progress=progress)
    layer.keep_sitemap(made.sitemap_entries)
    return made


def check_claims(plan: Plan, layer: NullIncremental, strings: Strings, report: Report) -> None:
    """check claims: unsafe or clashing output paths (checked only when the paths changed)."""
    claims = plan.claims()
    if layer.claims_changed(claims):
        report.extend(write.check_claims(claims))
    report.extend(strings.problems)


def render_to_check(plan: Plan, renderer: Renderer, strings: Strings, report: Report) -> None:
    """render (checking only): every page, in this process, so that every template error is found."""
    for _ in produce.pages(plan.jobs, Decision(), renderer, None):
        pass
    report.extend(strings.missing_problems())


def decide(plan: Plan, site: Site, renderer: Renderer, photos: images.Photos, bodies: Bodies,
           layer: NullIncremental, *, drafts: bool, result: BuildResult) -> Decision:
    """decide: for each planned page, reuse the last build's file, splice its sidebar, or render it."""
    keys = Keys(site, renderer.views, layer.common, show_drafts=drafts,
                shown_of=lambda source: photos.page_key(site.pages[source], bodies.get(source)))
    decision = layer.decide(plan, keys)
    result.sidebar_updates = len(decision.splice)
    return decision


def render_and_write(target: write.Target, config: Config, site: Site, bodies: Bodies, plan: Plan,
                     decision: Decision, renderer: Renderer, photos: images.Photos, layer: NullIncremental,
                     report: Report, result: BuildResult, progress: produce.Progress | None) -> None:
    """render+write: pages (reused, spliced or rendered on all cores), feeds, sitemap, photos' files
    and copied files written into the build state folder, which is then swapped in as output/."""
    # Feeds are made by the render workers too, after the pages: made here, they were a second
    # of one core at the end of a cold build of 10k articles, with the workers idle.
    reuse = layer.feed_reuse()
    kept = {job.output_path: digest for job in plan.feeds if reuse is not None and (digest := reuse(job))}
    fresh = [job for job in plan.feeds if job.output_path not in kept]
    # (Its tables span the archive: not made when every feed is kept.)
    makers = {"feed": feeds.FeedMaker(site, bodies, config).file} if fresh else {}

    def made(dest: write.Destination) -> Iterable[OutputFile]:
        return itertools.chain(
            produce.pages(plan.jobs + fresh, decision, renderer, functools.partial(write.store, dest),
                          progress=progress, makers=makers),
            (OutputFile(job.output_path, digest=kept[job.output_path], sources=job.inputs.items)
             for job in plan.feeds if job.output_path in kept), plan.files, photos.files(plan.images))

    write_out(target, config, made, result, report)


def write_out(target: write.Target, config: Config, made: Callable[[write.Destination], Iterable[OutputFile]],
              result: BuildResult, report: Report) -> None:
    """Write the files `made(destination)` gives into the build state folder and swap it in as output/."""
    with write.lock(target.places):
        write.check_output_dir(config.output_dir, config.site_dir, built=bool(target.output.files))
        write.clean_leftovers(target.places)
        with write.open_destination(target.places, target.output, target.spare(), target.hand_added) as dest:
            result.manifest, result.files_written, result.files_unchanged, result.files_removed = write.commit(
                dest, made(dest))
    report.extend(dest.problems)
    result.write_problems = list(dest.problems)



def stop_on(problems: list[Problem], report: Report) -> None:
    """Fail the build with everything found so far when `problems` (its errors, or warnings with
    --strict) is not empty."""
    if not problems:
        return
    files = {p.file for p in problems}
    kind = "error" if problems[0].severity == "error" else "warning"
    raise ContentError(f"build failed: {len(problems)} {kind}{'s' if len(problems) != 1 else ''} in "
                       f"{len(files)} file{'s' if len(files) != 1 else ''}", report.problems)
