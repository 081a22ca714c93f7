"""The build pipeline: the only module that knows the order of the stages.

    discover -> [text edits] -> read -> assemble -> check links -> images -> templates -> plan
    -> check claims -> decide -> render+write -> save

All is read and assembled into one `Site`; every output is planned and checked, then reused,
spliced or rendered (`generator.incremental`) into a folder swapped in as output/ only when all
succeeded. "text edits" redoes the few articles whose text alone changed, and ends the build
(`generator.edits`). Stages are timed (`vestka build -v`) and described in `generator.stages`.
"""

from __future__ import annotations

import gc

from generator import discovery, incremental, parallel, write
from generator.config import Config
from generator.errors import Report, sort_problems
from generator.model import BuildResult
from generator.options import Options, stage_timer
from generator.search_behind import index_left_behind


def build(config: Config, options: Options | None = None) -> BuildResult:
    """Build the site of `config` into its output folder; raise ContentError when input is bad."""
    # No cyclic garbage collection here while it builds: the build's objects live to its end,
    # and walking them again and again was a tenth of an edit. Workers collect (see parallel).
    collecting, _ = gc.isenabled(), gc.disable()
    try:
        with write.disk_errors(config.site_dir, config.output_dir):  # a full or read-only disk is no bug
            return _build(config, options or Options())
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
        parallel.close_all()  # a build that returned early never asked what its children looked for


def _build(config: Config, options: Options) -> BuildResult:
    result, report = BuildResult(output_dir=config.output_dir), Report(strict=options.strict)
    timer, checking, progress = stage_timer(result.timings, options.progress), options.check_only, options.progress
    with timer("discover"):
        inputs, target = discovery.discover(config, report, checking=checking)
        layer = incremental.open_layer(config, target if options.use_cache else None)
        if (layer.unchanged(inputs, options, result) and not report.problems and not options.wants_the_site
                and not index_left_behind(config, deferring=options.defer_search)):
            return result
        if target is not None:
            target.look_ahead()
        edits = layer.text_edits(inputs, options) if not report.problems else None
    if edits is not None:
        from generator.edits import apply_edits  # Markdown, Jinja, Babel, but no page of the archive

        with timer("text edits"):
            if apply_edits(edits, config, inputs, target, layer, report, result, options.drafts, progress):
                return result
    from generator import stages  # Markdown, Jinja, Pillow: a no-op build never loads them

    with timer("read+markdown"):
        pages, bodies = stages.read(inputs, config, layer, report, result, progress)
    with timer("assemble"):
        site, bodies = stages.assemble(pages, bodies, config, layer, report, drafts=options.drafts,
                                       future=options.future, now=options.now, result=result)
        del pages
    with timer("check links"):
        stages.check_links(site, bodies, inputs, config, report, checking=checking)
    stages.stop_on(report.errors, report)
    with timer("images"):
        photos = stages.prepare_images(site, bodies, inputs, config, report, writing=target is not None,
                                       use_cache=options.use_cache, progress=progress)
    with timer("templates"):
        renderer, strings = stages.load_templates(site, bodies, config, photos, drafts=options.drafts,
                                                  use_cache=options.use_cache)
    with timer("plan+sitemap+search index"):
        plan = stages.plan(site, bodies, config, renderer, strings, inputs, layer, photos, writing=target is not None,
                           use_cache=options.use_cache, defer_search=options.defer_search, progress=progress)
    with timer("check claims"):
        stages.check_claims(plan, layer, strings, report)
    if target is None:
        with timer("render"):
            stages.render_to_check(plan, renderer, strings, report)
    stages.stop_on((report.errors or report.warnings) if report.failed else [], report)
    if target is not None:
        with timer("decide"):
            decision = stages.decide(plan, site, renderer, photos, bodies, layer, drafts=options.drafts,
                                     result=result)
        with timer("render+write"):
            stages.render_and_write(target, config, site, bodies, plan, decision, renderer, photos, layer, report,
                                    result, progress)
    result.problems = sort_problems(report.problems)  # before saving: a no-op build reports them again
    if target is not None:
        with timer("save"):
            layer.save(result, config.output_dir)
        if options.session is not None:
            options.session.remember(config, site, bodies, renderer, plan, inputs, photos, result, target.places)
    return result
