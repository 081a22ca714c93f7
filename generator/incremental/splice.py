"""Pages made from their previous version with only the "Latest news" sidebar replaced.

Adding one article changes the sidebar on every page of its language: a string replacement in
the previous build's file instead of a render. Only safe when the built-in templates made the
pages (a site's own templates might show the latest news elsewhere in the page too).
"""

from __future__ import annotations

from pathlib import Path

from generator.config import Config
from generator.model import SIDEBAR_END, SIDEBAR_START
from generator.theme import site_templates_are_builtin


def splice_safe(config: Config) -> bool:
    return site_templates_are_builtin(config)


def splice(old: Path, fragment: str) -> bytes | None:
    """The file `old` with its marked sidebar replaced by `fragment` (which carries the marks).

    None when the old file cannot be read or does not hold exactly one marked sidebar.
    """
    try:
        text = old.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    start = text.find(SIDEBAR_START)
    end = text.find(SIDEBAR_END, start)
    if start < 0 or end < 0 or text.count(SIDEBAR_START) != 1:
        return None
    return (text[:start] + fragment + text[end + len(SIDEBAR_END):]).encode("utf-8")
