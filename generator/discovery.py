"""discover: the site's source files, and output/ as the last build left it (None when checking).

The two are found side by side, in two threads: both are mostly `stat` calls, which release
the interpreter to the other thread. The thread has ended before any later stage forks workers.
"""

from __future__ import annotations

import threading

from generator import sources, write
from generator.config import Config
from generator.errors import Report


def discover(config: Config, report: Report, *, checking: bool) -> tuple[sources.Inputs, write.Target | None]:
    """The source files, and output/ checked against its manifest, side by side: both are mostly
    `stat` calls, which let the other thread run (at 10k articles, about 30,000 of them)."""
    if checking:
        return sources.find_inputs(config, report, checking=True), None
    found: list[write.Target] = []
    failed: list[BaseException] = []

    def check_output() -> None:
        try:
            found.append(write.open_target(config.output_dir, config.cache_dir))
        except BaseException as exc:  # raised again in the build's own thread
            failed.append(exc)

    worker = threading.Thread(target=check_output, name="vestka-check-output")
    worker.start()
    try:
        inputs = sources.find_inputs(config, report, checking=False)
    finally:
        worker.join()
    if failed:
        raise failed[0]
    return inputs, found[0]
