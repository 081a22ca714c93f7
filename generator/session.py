"""The build session `vestka serve` keeps: the last build in memory, for the quick update of a text edit.

Most saves in a newsroom change the text of one article and nothing else that other pages show
of it. For such a save a full build would still discover, load and assemble the whole archive
and key every output, to find that one page and the feeds that carry the article's text have
changed. The session keeps the assembled site, the bodies, the renderer and the plan of the last
full build, and when every changed file is an article whose page record (title, dates, tags,
URL, summary, links, images: everything but its text's hash) and whose warnings are as they
were, it renders only that article's page and the feeds that carry it, writes them into the
preview folder, and leaves the rest as it is. Anything else (a new, removed or renamed file, a
front-matter change, a first paragraph that other pages show as the summary, a template, a
photo, a failed build) runs the full incremental build, which the session then remembers.

The search index is left behind, as in any build of `vestka serve` (see `search_behind`): the
server brings it up to date a moment later with `Session.update_index`, which runs the index
stage alone on the site the session holds. The output folder stays one that a full build
trusts: its manifest lists the new hashes, so the next build reuses no file of the old text
(see `incremental.output_state`), and each file is replaced in one step.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.build import Options, build
from generator.config import Config
from generator.edits import Edit, read_edit, same_warnings
from generator.model import BuildResult, Job, OutputFile, RenderedBody, SourceFile

if TYPE_CHECKING:
    from generator.plan import Plan
    from generator.render import Renderer

#: The name of the quick update in a result's timings.
QUICK = "quick update"


@dataclass(slots=True)
class Remembered:
    """What one full build made, as `build` hands it over (see `Options.session`)."""

    config: Config
    site: Any
    bodies: dict[str, RenderedBody]
    renderer: Renderer
    plan: Plan
    inputs: Any
    photos: Any
    result: BuildResult
    places: Any
    #: Page source -> the jobs that render it (its page, never an alias).
    jobs: dict[str, list[Job]] = field(default_factory=dict)
    #: Converts the Markdown of edited files, made on first use.
    converter: Any = None


class Session:
    """The last full build of a site, kept between the builds of `vestka serve`."""

    def __init__(self, stopped: type[BaseException] | None = None) -> None:
        self.memory: Remembered | None = None
        #: What the caller raises from a build's progress calls to stop it. Every progress call
        #: comes before the new output is swapped in, so a build stopped so leaves the preview as
        #: the session knows it.
        self.stopped = stopped

    def remember(self, config: Config, site: Any, bodies: dict[str, RenderedBody], renderer: Renderer, plan: Plan,
                 inputs: Any, photos: Any, result: BuildResult, places: Any) -> None:
        """Called by `build` at the end of a full build made with this session."""
        memory = Remembered(config, site, bodies, renderer, plan, inputs, photos, result, places)
        for job in plan.jobs:
            if job.kind in ("article", "page"):
                memory.jobs.setdefault(job.ref, []).append(job)
        self.memory = memory

    def forget(self) -> None:
        self.memory = None

    def build(self, config: Config, options: Options, changed: Iterable[str] = ()) -> BuildResult:
        """Bring `config`'s output up to date after `changed` (site-relative paths): quickly when
        the session can, else with a full build that it remembers. A failure forgets the session."""
        try:
            changed = tuple(changed)
            if changed and self.memory is not None and self.memory.config is config:
                result = _quick(self.memory, changed)
                if result is not None:
                    return result
            return build(config, replace(options, session=self))
        except BaseException as exc:
            if self.stopped is None or not isinstance(exc, self.stopped):
                self.memory = None
            raise


    def update_index(self, config: Config, options: Options) -> BuildResult:
        """Bring the search index of `config`'s output up to date after builds that left it behind:
        from the session's site when it has one (the index files that changed are replaced, as
        the quick update replaces pages), else with a full build."""
        memory = self.memory
        if memory is None or memory.config is not config or not config.search:
            return self.build(config, options)
        try:
            return _index(memory, options)
        except BaseException as exc:
            if self.stopped is None or not isinstance(exc, self.stopped):
                self.memory = None
            raise


def _quick(memory: Remembered, changed: tuple[str, ...]) -> BuildResult | None:
    """The quick update for `changed`, or None when one of them is more than a text edit."""
    started = time.perf_counter()
    edits = []
    for rel in changed:
        edit = _text_edit(memory, rel)
        if edit is None:
            return None
        edits.append(edit)
    return _apply(memory, edits, started)


def _text_edit(memory: Remembered, rel: str) -> Edit | None:
    """The new page and body of `rel` when only its text changed."""
    config, site = memory.config, memory.site
    old_page, old_body = site.pages.get(rel), memory.bodies.get(rel)
    if old_page is None or old_body is None or rel not in memory.jobs:
        return None  # a new file, a draft, a removed one, not a page: the full build knows what to do
    try:
        st = os.stat(config.site_dir / rel)
    except OSError:
        return None
    from generator.markup import MarkdownRenderer

    source = SourceFile(rel.removeprefix("content/"), "page", str(config.site_dir / rel), st.st_size, st.st_mtime_ns)
    if memory.converter is None:
        memory.converter = MarkdownRenderer(sanitize=config.sanitize)
    return read_edit(config, source, old_page, old_body, memory.converter)


def _apply(memory: Remembered, edits: list[Edit], started: float) -> BuildResult | None:
    from generator import feeds, produce, write
    from generator.incremental import Decision
    from generator.search_behind import mark_behind

    config, site, bodies, renderer = memory.config, memory.site, memory.bodies, memory.renderer
    previous = {edit.rel: (site.pages[edit.rel], bodies[edit.rel]) for edit in edits}
    for edit in edits:
        site.pages[edit.rel], bodies[edit.rel], renderer.bodies[edit.rel] = edit.page, edit.body, edit.body
    if not same_warnings(site, edits, memory.inputs.found.assets, memory.inputs.static, memory.photos, config,
                         memory.result.problems):
        for back, (old_page, old_body) in previous.items():  # as it was: the full build starts from disk
            site.pages[back], bodies[back], renderer.bodies[back] = old_page, old_body, old_body
        return None
    for rel in previous:
        renderer.views.forget(rel)
    made: list[OutputFile] = []
    for rel in previous:
        made += [produce.make(renderer, Decision(), job) for job in memory.jobs[rel]]
    changed = set(previous)
    made += feeds.render_feeds(site, bodies, config, [job for job in memory.plan.feeds
                                                      if changed.intersection(job.inputs.items)])
    manifest = dict(memory.result.manifest)
    output_dir = config.output_dir
    replaced: dict[str, str] = {}
    with write.lock(memory.places):
        for item in made:
            assert item.data is not None
            digest = hashlib.sha256(item.data).hexdigest()
            if manifest.get(item.path) == digest:
                continue
            _replace(write.safe_target(output_dir, item.path), item.data)
            replaced[item.path] = manifest[item.path]
            manifest[item.path] = digest
        if replaced:
            _patch_manifest(output_dir, manifest, replaced)
    memory.result.manifest = manifest
    # The page cache is not saved: the next full build reads these few files again.
    if config.search:
        mark_behind(config.cache_dir / "search", output_dir, True)
    old = memory.result
    result = BuildResult(output_dir=output_dir, pages=old.pages, listings=old.listings, files_written=len(replaced),
                         files_unchanged=len(manifest) - len(replaced), problems=list(old.problems), manifest=manifest,
                         next_due=old.next_due)
    result.timings[QUICK] = time.perf_counter() - started
    return result


def _index(memory: Remembered, options: Options) -> BuildResult:
    from generator import search, write
    from generator.search_behind import mark_behind

    started = time.perf_counter()
    config = memory.config
    made = search.index_files(memory.site, memory.bodies, config, memory.renderer.strings, cache=True,
                              progress=options.progress)
    folders = tuple(search.index_folder(code) for code in config.language_codes)
    manifest = dict(memory.result.manifest)
    fresh = {item.path: item for item in made}
    gone = [path for path in manifest if path.startswith(folders) and path not in fresh]
    output_dir = config.output_dir
    replaced: dict[str, str] = {}
    with write.lock(memory.places):
        for path, item in fresh.items():
            if manifest.get(path) == item.digest:
                continue
            data = item.data if item.data is not None else write.read_bytes(item.copy_from)  # type: ignore[arg-type]
            _replace(write.safe_target(output_dir, path), data)
            replaced[path] = manifest.get(path, "")
            manifest[path] = item.digest
        for path in gone:
            target = write.safe_target(output_dir, path)
            target.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a build leaves no empty folder
                target.parent.rmdir()
            del manifest[path]
        if gone or "" in replaced.values():
            _write_manifest(output_dir, dict(sorted(manifest.items())))
        elif replaced:
            _patch_manifest(output_dir, manifest, replaced)
    mark_behind(config.cache_dir / "search", output_dir, False)
    memory.result.manifest = manifest
    old = memory.result
    result = BuildResult(output_dir=output_dir, pages=old.pages, listings=old.listings, files_written=len(replaced),
                         files_unchanged=len(manifest) - len(replaced), files_removed=len(gone),
                         problems=list(old.problems), manifest=manifest, next_due=old.next_due)
    result.timings["search index"] = time.perf_counter() - started
    return result


def _replace(target: Path, data: bytes) -> None:
    """Put `data` at `target` by renaming a new file over it: a new inode, since the build before
    last may share the old one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_manifest(output_dir: Path, manifest: dict[str, str]) -> None:
    from generator.manifest import MANIFEST, manifest_bytes

    _replace(output_dir / MANIFEST, manifest_bytes(manifest))


def _patch_manifest(output_dir: Path, manifest: dict[str, str], replaced: dict[str, str]) -> None:
    """Write output/'s manifest with the new hashes of `replaced` (path -> old hash).

    The bytes are those `manifest_bytes` makes, got by replacing each old hash on its path's
    line: writing an archive's manifest anew costs a fifth of a second.
    """
    import json

    from generator.manifest import MANIFEST, manifest_bytes

    target = output_dir / MANIFEST
    try:
        data = target.read_bytes()
    except OSError:
        data = b""
    for path, old in replaced.items():
        line = f"{json.dumps(path, ensure_ascii=False)}: ".encode()
        before, after = line + f'"{old}"'.encode(), line + f'"{manifest[path]}"'.encode()
        if data.count(before) != 1:
            data = manifest_bytes(manifest)
            break
        data = data.replace(before, after)
    _replace(target, data)
