"""The theme: its folders, from the site's own to the built-in default, and their fingerprint."""

from __future__ import annotations

import hashlib
from pathlib import Path

from generator.config import Config
from generator.errors import Problem, TemplateError

_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_theme_dir() -> Path:
    """The default theme: inside the installed package, or at the top of a source checkout."""
    for candidate in (_PACKAGE_DIR / "themes" / "default", _PACKAGE_DIR.parent / "themes" / "default"):
        if (candidate / "templates").is_dir():
            return candidate
    raise TemplateError("the built-in default theme is missing; reinstall vestka")


def theme_dirs(config: Config) -> list[Path]:
    """Theme folders from most to least specific: the site's chosen theme, then the default."""
    dirs = []
    chosen = config.themes_dir / config.theme
    if chosen.is_dir():
        dirs.append(chosen)
    elif config.theme != "default":
        raise TemplateError(f"theme {config.theme!r} not found", [Problem(
            "error", "config.yaml", None, f"there is no folder themes/{config.theme}/ in the site",
            "create it, or set theme: default")])
    builtin = builtin_theme_dir()
    if builtin.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(builtin)
    return dirs


def templates_fingerprint(config: Config) -> str:
    """A hash of every template and string table the build can use (for cache keys)."""
    digest = hashlib.sha256()
    for folder in [*theme_dirs(config), config.site_dir]:
        for sub in ("templates", "i18n"):
            base = folder / sub
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    if path.is_file():
                        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def site_templates_are_builtin(config: Config) -> bool:
    """True when the site uses the built-in templates (has no templates of its own)."""
    site_templates = config.themes_dir / config.theme / "templates"
    builtin = builtin_theme_dir().resolve()
    return not site_templates.is_dir() or site_templates.resolve() == (builtin / "templates")
