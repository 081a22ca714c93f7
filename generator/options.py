"""How to build (`Options`, given by the CLI, `vestka serve` and tests) and the stages' timer."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Called with (stage name, done, total) while a long stage runs, and with (stage name, 0, 0) as
#: each stage starts; it may raise to stop the build.
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
    #: Kept by `vestka serve`: a full build hands it what it made (see generator.session).
    session: Any = None

    @property
    def wants_the_site(self) -> bool:
        """A session that holds no build yet: even a build with nothing to do must assemble the site."""
        return self.session is not None and self.session.memory is None


def stage_timer(timings: dict[str, float],
                progress: Progress | None = None) -> Callable[[str], contextlib.AbstractContextManager[None]]:
    """`with timer("name"):` records the seconds the block took under that name.

    `progress` is called with (name, 0, 0) as each stage starts: a caller that stops builds by
    raising from it (`vestka serve`, when a save comes during a search index update) stops
    this one at the next stage, not only inside the long ones. Not as "save" starts: by then
    the new output is in place, and the state that goes with it must be saved.
    """
    @contextlib.contextmanager
    def timed(name: str) -> Iterator[None]:
        if progress is not None and name != "save":
            progress(name, 0, 0)
        start = time.perf_counter()
        try:
            yield
        finally:
            timings[name] = time.perf_counter() - start

    return timed
