"""Run a stage's work on every core, with results in the same order as a serial run.

Workers are forked after the site is assembled, so they inherit it without pickling; only
the results travel back. Output is byte-identical to a serial build because each worker
handles a fixed slice and the slices are joined in order.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1

#: Below this many items, forking costs more than it saves.
MIN_PARALLEL_ITEMS = 300

# The function a forked worker runs. Set by `_init` in the worker process only, once, before any
# task: a process-local slot, because a forked pool cannot be handed an unpicklable closure any
# other way.
_worker_task: list[Callable[[Any], Any]] = []


def _init(task: Callable[[Any], Any], parent: int) -> None:
    # Ctrl+C is the parent's to handle: it stops the pool; workers would only print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.enable()  # the build turned collection off in its own process (see build.build), not for workers
    _die_with_parent(parent)
    _worker_task[:] = [task]


def _die_with_parent(parent: int) -> None:
    """End this worker the moment the build that forked it dies, even by SIGKILL.

    An orphaned worker would go on writing pages into the folder the next build prepares, and
    hold the output folder's lock it inherited (see write.lock). Linux only; elsewhere orphans
    end when they next talk to their dead parent.
    """
    import ctypes  # here, in the forked process: the build's own process need not load it

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the C library of this process
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


def _run_slice(items: Sequence[Any]) -> list[Any]:
    task = _worker_task[0]
    return [task(item) for item in items]


def workers_available() -> int:
    """Cores this process may use (honours CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def ordered_imap(task: Callable[[T], R], items: Sequence[T], workers: int | None = None,
                 slice_size: int = 64, work: int | None = None) -> Iterator[R]:
    """`task(item)` for each item, spread over forked worker processes when it pays, yielded in
    order as they come, so the results need not all fit in memory. `work`: how many items'
    worth of work `items` stand for, when each item is a batch (default: their number)."""
    import multiprocessing  # here, not above: it costs a no-op build a tenth of its time

    workers = workers or workers_available()
    work = len(items) if work is None else work
    if workers < 2 or len(items) < 2 or work < MIN_PARALLEL_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        for item in items:
            yield task(item)
        return
    size = max(1, min(slice_size, -(-len(items) // (workers * 4))))
    slices = [items[i:i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init, initargs=(task, os.getpid())) as pool:
        # A few slices in flight per worker, never all: when the consumer is slower than the
        # workers (writing files), finished results would otherwise pile up in memory.
        pending: deque[AsyncResult[list[Any]]] = deque()
        ahead = workers * 3
        for part in slices:
            pending.append(pool.apply_async(_run_slice, (part,)))
            if len(pending) >= ahead:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()


class Later(Generic[R]):
    """`task()`, worked on by a forked child from now on; `result()` waits for it.

    For work a build may not need (a no-op build needs none of it): `close()` ends the child
    unread. Without `eager` the child runs at the lowest priority, on a core this process leaves
    idle, so that a build which never asks is not slowed; `result()` then does the task here if
    the child is still at work, unless `waited` (for work that must not slow the build's busy
    stages, but is worth waiting for: once this process waits, a core is idle). Only the result
    travels back. Where fork is missing, or other threads run (a fork would copy their locks as
    they are), or the child fails, `result()` runs `task` here instead.
    """

    def __init__(self, task: Callable[[], R], *, eager: bool = False, waited: bool = False) -> None:
        self._task = task
        self._eager = eager
        self._waited = waited
        self._child = 0
        self._pipe: BinaryIO | None = None
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        reading, writing = os.pipe()
        parent = os.getpid()
        try:
            child = os.fork()
        except OSError:  # no memory or no process left for it: the task runs here when asked
            os.close(reading)
            os.close(writing)
            return
        if child == 0:  # pragma: no cover - runs in the child, which never returns
            status = 1
            try:
                os.close(reading)
                _die_with_parent(parent)  # a killed build leaves no process behind
                if not eager:
                    os.nice(19)
                data = pickle.dumps(task(), protocol=pickle.HIGHEST_PROTOCOL)
                with open(writing, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        self._child = child
        _open.add(self)
        os.close(writing)
        self._pipe = open(reading, "rb")  # noqa: SIM115 - closed by result or close

    def result(self) -> R:
        if self._child == 0:
            return self._task()
        assert self._pipe is not None
        if not self._eager and not self._waited and not select.select([self._pipe], [], [], 0)[0]:
            # Still at work at the lowest priority, which a busy machine may hardly run: done
            # here, it costs what it cost before there was a child.
            self.close()
            return self._task()
        try:
            data = self._pipe.read()
        except BaseException:
            self.close()
            raise
        status = self._end()
        return pickle.loads(data) if status == 0 else self._task()

    def close(self) -> None:
        """End the child unread, if it is still there."""
        if self._child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child, signal.SIGKILL)  # it only reads: nothing is left half-done
            self._end()

    def _end(self) -> int:
        if self._pipe is not None:
            self._pipe.close()  # a child still writing stops at its write
        try:
            _, status = os.waitpid(self._child, 0)
        except ChildProcessError:  # already reaped (SIGCHLD ignored): how it ended is unknown
            status = 1
        self._child = 0
        _open.discard(self)
        return status


#: Children of `Later` not yet waited for (see `close_all`).
_open: set[Later[Any]] = set()


def close_all() -> None:
    """End the children of every `Later` whose result was never asked for."""
    for later in list(_open):
        later.close()


def beside(task: Callable[[], R], meanwhile: Callable[[], T]) -> tuple[R, T]:
    """`task()` in a forked child while this process runs `meanwhile()`; both results.

    For two jobs of mostly `stat` calls, which threads would only take turns at: each call
    is too short to let the other thread run for long.
    """
    later = Later(task, eager=True)
    try:
        here = meanwhile()
    except BaseException:
        later.close()
        raise
    return later.result(), here
