"""discover: the site's source files, and output/ as the last build left it (None when checking).

The two are found side by side, output/ in a forked process (see `parallel.beside`): both are
mostly `stat` calls, too short each for two threads to overlap.
"""

from __future__ import annotations

from generator import sources, write
from generator.config import Config
from generator.errors import Report


def discover(config: Config, report: Report, *, checking: bool) -> tuple[sources.Inputs, write.Target | None]:
    """The source files, and output/ checked against its manifest, side by side (at 10k articles,
    about 30,000 `stat` calls in all)."""
    def find() -> sources.Inputs:
        return sources.find_inputs(config, report, checking=checking)

    if checking:
        return find(), None
    target, inputs = write.open_target(config.output_dir, config.cache_dir, find)
    return inputs, target
