"""Make the planned pages: reuse, splice or render each one, and hand it to the write sink.

Pages are rendered on all cores; each worker stores the pages it makes through `sink` (given
as an argument, before any worker starts) and passes on only their hashes, so an archive's
HTML is never held in one process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping

from generator.incremental import Decision
from generator.incremental.splice import splice
from generator.model import Job, OutputFile
from generator.parallel import ordered_imap
from generator.render import Renderer

#: Stores one file: (path in output/, bytes, SHA-256 of the bytes).
Sink = Callable[[str, bytes, str], None]
Progress = Callable[[str, int, int], None]


#: Makers of the jobs that are not pages, by job kind (a feed: `feeds.FeedMaker.file`).
Makers = Mapping[str, Callable[[Job], OutputFile]]


def make(renderer: Renderer, decision: Decision, job: Job, makers: Makers | None = None) -> OutputFile:
    """The file of `job`: its old file with a new sidebar when that is all that changed, else rendered."""
    maker = makers.get(job.kind) if makers else None
    if maker is not None:
        return maker(job)
    old = decision.splice.get(job.output_path)
    if old is not None:
        fragment = renderer.sidebar_of(job)
        data = splice(old, str(fragment)) if fragment is not None else None
        if data is not None:
            return OutputFile(job.output_path, data)
    return renderer.render(job)


def pages(jobs: list[Job], decision: Decision, renderer: Renderer, sink: Sink | None, *,
          progress: Progress | None = None, makers: Makers | None = None) -> Iterator[OutputFile]:
    """The file of every job, in job order: reused ones by their hash, the others made and stored.
    Jobs of a kind in `makers` are made by it, beside the pages and on the same cores.

    Without a sink (checking only), every page is made in this process and kept.
    """
    todo = [job for job in jobs if job.output_path not in decision.reuse]

    def task(job: Job) -> OutputFile:
        made = make(renderer, decision, job, makers)
        assert made.data is not None
        # Hashed (and stored) here, on the worker's core, not in the process that keeps the books.
        digest = hashlib.sha256(made.data).hexdigest()
        if sink is None:
            return OutputFile(made.path, made.data, digest=digest, sources=made.sources)
        sink(made.path, made.data, digest)
        return OutputFile(made.path, digest=digest, sources=made.sources, stored=True)

    rendered = iter([task(job) for job in todo]) if sink is None else ordered_imap(task, todo)
    done = 0
    for job in jobs:
        if job.output_path in decision.reuse:
            yield OutputFile(job.output_path, digest=decision.reuse[job.output_path])
            continue
        item = next(rendered)
        done += 1
        if progress is not None and done % 500 == 0:
            progress("render", done, len(todo))
        yield item
