"""Read every source file and convert its Markdown, on all cores, with the page cache.

Unchanged files come from the cache; the others are read and converted in one pass, so an
archive's Markdown is never held in memory: only the (compressed) HTML comes back from the
workers.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from generator.config import Config
from generator.errors import Problem, Report
from generator.incremental.page_cache import PageCache
from generator.markup import MarkdownRenderer
from generator.model import Page, RenderedBody, SourceFile
from generator.parallel import ordered_imap
from generator.read import read_source

#: Called with (stage name, done, total) while a long stage runs.
Progress = Callable[[str, int, int], None]


def read_pages(files: list[SourceFile], config: Config, tz: ZoneInfo, store: PageCache,
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
    converted: list[Page] = []
    for done, source in enumerate(files, 1):
        rel = f"content/{source.rel_path}"
        entry = cached.get(rel)
        if entry is None:
            page, problems, body = next(fresh)
            if page is not None and body is not None:
                store.put_page(rel, source, page, problems)
                store.put_body(page, body)
                converted.append(page)
        else:
            page, problems, body = entry
        report.extend(problems)
        if page is not None and body is not None:
            pages.append(page)
            bodies[page.source] = body
        if progress is not None and done % 500 == 0:
            progress("read", done, len(files))
    # Written now, not at the end of the build: the HTML of fresh bodies is then read from the
    # cache when a page needs it, instead of staying in memory (a whole archive's, in a cold build).
    store.save_bodies()
    for page in converted:
        bodies[page.source] = store.body(page) or bodies[page.source]
    if converted:
        _return_freed_memory()
    return pages, bodies


def _return_freed_memory() -> None:
    # The HTML just freed lies between pages that stay; glibc keeps such holes from the system
    # until asked (elsewhere there is no such call, and nothing to do).
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).malloc_trim(0)
