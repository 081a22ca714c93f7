"""Text edits: redo only what shows the text of articles whose text alone changed.

A file is a text edit when its page record as read now (title, dates, tags, URL, template,
image: everything but its text's hash) equals the one the site holds, its summary and the
links and images in its body are the same, and the warnings it gives, made as a full build
makes them (reading, links, images), are those of the last build. Then no other page shows
anything new: what changes is its own page, the feeds that carry its text, and its terms in
the search index.

`vestka serve` makes text edits on the site it keeps in memory (`generator.session`);
`vestka build` on the snapshot the last full build left (`generator.incremental.text_edits`),
with `apply_edits`. Either way the result has the bytes of a full build, which the property tests
check (tests/test_incremental.py, tests/test_session.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from generator.config import Config
from generator.errors import Problem, Report, sort_problems
from generator.model import BuildResult, OutputFile, Page, RenderedBody, Site, SourceFile


@dataclass(frozen=True, slots=True)
class Edit:
    """A file whose text alone changed: its page as read now, its body and its reading's warnings."""

    rel: str
    source: SourceFile
    page: Page
    body: RenderedBody
    problems: list[Problem]


def read_edit(config: Config, source: SourceFile, old_page: Page, old_body: RenderedBody, converter: Any) -> Edit | None:
    """`source` read and converted again, when only its text changed since `old_page` and `old_body`."""
    from generator.read import read_source

    rel = f"content/{source.rel_path}"
    page, problems = read_source(source, config, rel, ZoneInfo(config.timezone))
    if page is None or any(p.severity == "error" for p in problems):
        return None
    body = converter.render(page)
    page = replace(page, body_md="")
    if (replace(page, digest=old_page.digest) != old_page or body.summary_text != old_body.summary_text
            or body.internal_links != old_body.internal_links):
        return None
    return Edit(rel, source, page, body, problems)


def same_warnings(site: Site, edits: Iterable[Edit], assets: list[SourceFile], static: dict[str, SourceFile],
                  photos: Any, config: Config, last: list[Problem]) -> bool:
    """Whether each edited file gives the warnings it gave in the last build (`last`: all of them).

    `site` must hold the edited pages already. A changed line number, or a new image without
    alt text, is the full build's to report.
    """
    from generator import images, links

    photos = replace(photos, page_memo={}, memo_path=None)  # the memo is the full build's to keep
    for edit in edits:
        rel, page, body = edit.rel, edit.page, edit.body
        found = (list(edit.problems) + links.check_links(site, {rel: body}, assets, static, config.content_dir)
                 + images.check_pages({rel: page}, {rel: body}, photos, config.site_dir))
        if sort_problems(found) != sort_problems([p for p in last if p.file == rel]):
            return False
    return True


class _NotCached(Exception):
    """A body the page cache does not hold: the full build reads its file."""


class StoredBodies(dict):  # type: ignore[type-arg]
    """The body of every page of `site`: the edited ones as given, the others from the page cache
    when first asked for. A page whose body is not cached stops the text edit (`_NotCached`):
    nothing may be shown without it."""

    def __init__(self, site: Site, cache: Any) -> None:
        super().__init__()
        self.site, self.cache = site, cache

    def __missing__(self, source: str) -> RenderedBody:
        body = self.cache.stored_body(self.site.pages[source])
        if body is None:
            raise _NotCached(source)
        self[source] = body
        return body

    def get(self, source: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[source] if source in self.site.pages else default

    def __contains__(self, source: object) -> bool:
        return source in self.site.pages


def apply_edits(edits: Any, config: Config, inputs: Any, target: Any, layer: Any, report: Report,
                result: BuildResult, drafts: bool, progress: Any) -> bool:
    """Redo the text edits `edits` (see `generator.incremental.text_edits`) into output/; False,
    with nothing written, when one of them is more than a text edit: the full build then runs."""
    from generator import feeds, images, produce, stages
    from generator.incremental import Decision
    from generator.incremental.page_cache import PageCache
    from generator.markup import MarkdownRenderer
    from generator.plan import page_job
    from generator.render import TemplateError

    # Each file is compared with its page as the page cache holds it first: a change that is more
    # than a text edit is found without loading the site (at 100k articles, a second and a half).
    cache = PageCache.open_lazily(config)
    converter = MarkdownRenderer(sanitize=config.sanitize)
    made: list[Edit] = []
    cached: dict[str, Page] = {}
    for source in edits.changed:
        rel = f"content/{source.rel_path}"
        old = cache.stored_page(rel)
        body = cache.stored_body(old) if old is not None else None
        edit = read_edit(config, source, old, body, converter) if old is not None and body is not None else None
        if edit is None:
            return False
        made.append(edit)
        cached[rel] = old  # type: ignore[assignment]
    site = edits.site()
    # The site must hold those very pages: not a draft, not a future article, not another version.
    if site is None or any(site.pages.get(rel) != old for rel, old in cached.items()):
        return False
    bodies = StoredBodies(site, cache)
    try:
        for edit in made:
            site.pages[edit.rel], bodies[edit.rel] = edit.page, edit.body
        last = list(layer.state.data.get("problems", []))
        photos = images.prepare(inputs.found.assets, config, encode=True, progress=progress)
        if not same_warnings(site, made, inputs.found.assets, inputs.static, photos, config, last):
            return False
        renderer, strings = stages.load_templates(site, bodies, config, photos, drafts=drafts, use_cache=True)
        source_urls = {source: page.url_path for source, page in site.pages.items()}
        files = [produce.make(renderer, Decision(), page_job(site, bodies, source_urls, edit.rel)) for edit in made]
        changed = {edit.rel for edit in made}
        files += feeds.render_feeds(site, bodies, config, [job for job in feeds.plan_feeds(site, config, strings)
                                                           if changed.intersection(job.inputs.items)])
        # Patched in its cache: a patch cut short leaves files the next build finds damaged
        # (each is checked against its hash), and rebuilds.
        languages = {edit.page.lang for edit in made}  # the other languages' indexes stay as they are
        index, folders = [], ()
        if config.search:  # (its import, the stemmers', is a fortieth of a text edit without search)
            from generator import search

            index = search.index_files(site, bodies, config, strings, cache=True, progress=progress,
                                       languages=languages)
            folders = tuple(search.index_folder(code) for code in sorted(languages))
    except (_NotCached, TemplateError):
        return False
    redone = {item.path for item in files}
    kept = [OutputFile(path, digest=digest) for path, digest in target.output.files.items()
            if path not in redone and not (folders and path.startswith(folders))]
    stages.write_out(target, config, lambda dest: [*kept, *files, *index], result, report)
    data = layer.state.data
    result.pages, result.listings, result.next_due = data.get("pages", 0), data.get("listings", 0), data.get("next_due")
    # The warnings of the last build, but those of its write stage: this one's are in `report`.
    written = layer.state.data.get("write_problems", [])
    report.extend([p for p in last if p not in written])
    result.problems = sort_problems(report.problems)
    for edit in made:
        cache.patch(edit.rel, edit.source, edit.page, edit.problems, edit.body)
    layer.save_edited(result, config.output_dir, edits, {edit.rel: edit.page for edit in made})
    return True
