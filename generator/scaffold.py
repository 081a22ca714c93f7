"""`vestka new` and `vestka new-article`: files a person starts from. Never overwrites."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from generator import urls
from generator.config import Config
from generator.errors import ConfigError, Problem

_CONFIG = """\
# Site settings; every key is described in Vestka's README.
title: My news archive
description: News of our organisation.
base_url: https://example.org/
timezone: Europe/Minsk
default_language: en
languages:
  - code: en
    name: English
  - code: be
    name: Беларуская
    title: Архіў навін
  - code: ru
    name: Русский
    title: Архив новостей
per_page: 20
latest_news: 10
theme: default
# Your organisation's look (docs/theme.md): remove the "# " to use a setting.
# brand:
#   logo: logo.svg            # a file in static/, shown in the header
#   show_title: true          # the site title beside the logo
#   favicon: logo.svg         # the browser tab icon (.svg, .png or .ico in static/)
#   accent: "#8a1c1c"         # links, buttons, focus ring: at least 4.5:1 against white
#   accent_dark: "#ff9f8f"    # the same in dark mode: at least 4.5:1 against the dark page
# menu:                       # header links per language: site paths or full URLs
#   en:
#     - {title: About, url: /en/about/}
#     - {title: Donate, url: "https://example.org/donate"}
#   be:
#     - {title: Пра нас, url: /be/about/}
# footer:                     # short Markdown per language, on every page
#   en: "© 2025 Our organisation · [Contacts](/en/about/) · texts under CC BY 4.0"
#   be: "© 2025 Наша арганізацыя · [Кантакты](/be/about/)"
"""

#: What `vestka new` tells git to leave out: the built site and all of Vestka's state (both safe to delete).
GITIGNORE = "/output/\n/.vestka-cache/\n"

_EXAMPLES = {
    "en": ("Welcome to the archive", "This is the first article of the archive. Edit it in `{path}`."),
    "be": ("Вітаем у архіве", "Гэта першы артыкул архіва. Рэдагуйце яго ў `{path}`."),
    "ru": ("Добро пожаловать в архив", "Это первая статья архива. Редактируйте её в `{path}`."),
}


def new_site(folder: Path, now: datetime | None = None) -> list[Path]:
    """Create a site skeleton in `folder` (which must be missing or empty)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"{folder} already exists and is not empty",
                          [Problem("error", str(folder), None, "vestka new only creates sites in new or empty folders",
                                   "choose another folder name")], usage=True)
    now = now or datetime.now(ZoneInfo("Europe/Minsk")).replace(microsecond=0)
    created = [_write(folder / "config.yaml", _CONFIG)]
    for code, (title, text) in _EXAMPLES.items():
        slug = urls.slugify(title, code)
        rel = f"content/{code}/{now.year}/{slug}.md"
        front = {"title": title, "date": now.isoformat(), "lang": code, "tags": ["welcome"],
                 "translation_key": "welcome"}
        created.append(_write(folder / rel, _article(front, text.format(path=rel))))
    for empty in ("themes", "static"):
        (folder / empty).mkdir(parents=True, exist_ok=True)
        created.append(_write(folder / empty / ".gitkeep", ""))
    created.append(_write(folder / ".gitignore", GITIGNORE))
    return created


def new_article(config: Config, title: str, lang: str | None = None, now: datetime | None = None,
                slug: str | None = None) -> Path:
    """Write content/LANG/YYYY/SLUG.md with its front matter and a placeholder body; return its path.

    The slug comes from the title unless given. An article of the same year with the same slug
    is never overwritten nor silently renamed: the call fails and says to pass a slug.
    """
    lang = lang or config.default_language
    if lang not in config.language_codes:
        raise ConfigError(f"unknown language {lang!r}", [Problem(
            "error", "", None, f"--lang {lang!r} is not a language of this site",
            f"use one of: {', '.join(config.language_codes)}")], usage=True)
    if not title.strip():
        raise ConfigError("the title is empty", [Problem("error", "", None, "the title is empty",
                                                         "give the article a title")], usage=True)
    now = now or datetime.now(ZoneInfo(config.timezone)).replace(microsecond=0)
    name = urls.slugify(slug or title, lang, config.slugs)
    path = config.content_dir / lang / f"{now.year:04d}" / f"{name}.md"
    if path.exists():
        rel = path.relative_to(config.site_dir).as_posix()
        raise ConfigError(f"{rel} already exists", [Problem(
            "error", rel, None, "an article with this slug already exists this year; it is left as it is",
            "edit that file, or give the new one its own slug: vestka new-article --slug OTHER-SLUG ...")])
    front = {"title": title.strip(), "date": now.isoformat(), "lang": lang, "tags": [], "authors": []}
    _write(path, _article(front, placeholder_body(config, lang)))
    return path


def placeholder_body(config: Config, lang: str) -> str:
    """The theme's "write the article here" in `lang` (English when the theme lacks it)."""
    from generator.i18n import Strings
    from generator.render import theme_dirs

    strings = Strings([d / "i18n" for d in reversed(theme_dirs(config))] + [config.site_dir / "i18n"], config)
    return strings.get(lang, "new_article_body") + "\n"


def _article(front: dict, body: str) -> str:
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{head}---\n\n{body}\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path
