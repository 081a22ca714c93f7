"""Whether a build left the search index behind its pages (`vestka serve` does, on purpose).

A module of its own, outside `generator.search`, so that a no-op build can ask without loading
the index code, its stemmers and Babel.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from generator.config import Config

#: The marker file, in the search cache: it holds the output folder whose index is behind.
_BEHIND = "behind"


def index_behind(config: Config) -> bool:
    """Whether the last build into `config`'s output folder kept a search index older than its pages."""
    marker = config.cache_dir / "search" / _BEHIND
    try:
        return config.search and marker.read_text(encoding="utf-8") == str(config.output_dir)
    except OSError:
        return False


def index_left_behind(config: Config, *, deferring: bool) -> bool:
    """Whether a build with nothing else to do must still run, to bring the index up to date."""
    return not deferring and index_behind(config)


def mark_behind(folder: Path, output_dir: Path, behind: bool) -> None:
    """Record whether the index just put into `output_dir` is behind its pages."""
    marker = folder / _BEHIND
    if behind:
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(output_dir), encoding="utf-8")
    else:
        # Only the output folder that was marked is up to date now: a preview's marker stays
        # when output/ is built.
        with contextlib.suppress(OSError):
            if marker.read_text(encoding="utf-8") == str(output_dir):
                marker.unlink()
