"""UI strings and localized dates for themes.

Strings live in YAML tables, one file per language (`i18n/LANG.yaml`), looked up in the site's
`i18n/` folder, then the site theme's, then the built-in default theme's. We chose YAML over
gettext catalogs because the people who run an NGO archive edit YAML already (config, front
matter), need no compile step, and can override one string by writing one line. Plural forms
and dates come from Babel's CLDR data, so "5 статей" and "14 сакавіка 2011" are right.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime

from generator import safe_yaml
from generator.config import Config, Language
from generator.errors import Problem

BASE_LANGUAGE = "en"
#: Babel's named formats; anything else is taken as a CLDR pattern.
_NAMED_FORMATS = ("short", "medium", "long", "full")


class Strings:
    """The merged string tables of one build, with plural rules and date formats per language."""

    def __init__(self, folders: list[Path], config: Config) -> None:
        self.config = config
        self.tables: dict[str, dict[str, Any]] = {}
        self.problems: list[Problem] = []
        self.missing: set[tuple[str, str]] = set()
        self._dates: dict[tuple[str, str, str], str] = {}
        self._entries: dict[tuple[str, str], Any] = {}
        codes = {BASE_LANGUAGE, *config.language_codes}
        for folder in folders:  # later folders override earlier ones
            for code in sorted(codes):
                path = folder / f"{code}.yaml"
                if path.is_file():
                    self.tables.setdefault(code, {}).update(self._load(path))
        self.locales: dict[str, Locale] = {}
        for lang in config.languages:
            try:
                self.locales[lang.code] = Locale.parse(lang.locale or lang.code)
            except (UnknownLocaleError, ValueError):
                self.problems.append(Problem("warning", "config.yaml", None,
                                             f"Babel has no locale {lang.locale!r} for language {lang.code}; "
                                             "dates and plurals use English rules",
                                             "set 'locale:' on that language to a known locale"))
                self.locales[lang.code] = Locale.parse("en")

    def _load(self, path: Path) -> dict[str, Any]:
        try:
            data = safe_yaml.load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problems.append(Problem("error", self._label(path), mark.line + 1 if mark else None,
                                         f"cannot read string table: {getattr(exc, 'problem', None) or exc}",
                                         "quote strings that contain ':' or '#'"))
            return {}
        if not isinstance(data, dict):
            self.problems.append(Problem("error", self._label(path), None, "a string table must map names to strings"))
            return {}
        return {str(k): v for k, v in data.items()}

    def _label(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.config.site_dir).as_posix()
        except ValueError:
            return "/".join(path.parts[-4:])

    def chain(self, lang: str) -> list[str]:
        """Languages to look a string up in, in order."""
        order = [lang]
        try:
            fallback = self.config.language(lang).fallback
        except KeyError:
            fallback = None
        if fallback:
            order.append(fallback)
        if BASE_LANGUAGE not in order:
            order.append(BASE_LANGUAGE)
        return order

    def _entry(self, lang: str, key: str) -> Any:
        found = self._entries.get((lang, key), self)
        if found is self:
            found = None
            for code in self.chain(lang):
                table = self.tables.get(code, {})
                if key in table:
                    found = table[key]
                    if code != lang:
                        self.missing.add((lang, key))
                    break
            if found is None:
                self.missing.add((lang, key))
            self._entries[(lang, key)] = found
        return found

    def get(self, lang: str, key: str, n: int | None = None, **values: Any) -> str:
        """The string `key` in `lang`, with plural form for `n`, and {placeholders} filled."""
        entry = self._entry(lang, key)
        if entry is None:
            return key
        if isinstance(entry, dict):
            form = self.locales.get(lang, self.locales.get(BASE_LANGUAGE) or Locale.parse("en")).plural_form(n or 0)
            entry = entry.get(form, entry.get("other", next(iter(entry.values()), key)))
        text = str(entry)
        if n is not None:
            values.setdefault("n", n)
        if values:
            try:
                text = text.format(**values)
            except (KeyError, IndexError, ValueError):
                self.missing.add((lang, key))
        return text

    def missing_problems(self) -> list[Problem]:
        """Warnings for strings a language lacks (shown by `vestka check`)."""
        return [Problem("warning", f"i18n/{lang}.yaml", None, f"no translation for UI string {key!r}; English is used",
                        f"add '{key}: ...' to i18n/{lang}.yaml in the site or theme")
                for lang, key in sorted(self.missing) if lang != BASE_LANGUAGE]

    def date(self, value: datetime, lang: str, pattern: str | None = None) -> str:
        """`value` formatted for `lang` (default pattern: the language's date_format)."""
        language = self._language(lang)
        pattern = pattern or language.date_format
        key = (value.date().isoformat(), lang, pattern)
        cached = self._dates.get(key)
        if cached is None:
            locale = self.locales.get(lang) or Locale.parse("en")
            fmt = pattern if pattern in _NAMED_FORMATS else pattern
            cached = format_date(value.date(), format=fmt, locale=locale)
            self._dates[key] = cached
        return cached

    def datetime(self, value: datetime, lang: str, pattern: str = "d MMMM y, HH:mm") -> str:
        return format_datetime(value, format=pattern, locale=self.locales.get(lang) or Locale.parse("en"),
                               tzinfo=value.tzinfo)

    def month(self, year: int, month: int, lang: str) -> str:
        """A month archive's heading: "March 2011", "сакавік 2011"."""
        return self.date(datetime(year, month, 1), lang, "LLLL y")

    def _language(self, lang: str) -> Language:
        try:
            return self.config.language(lang)
        except KeyError:
            return Language(lang, lang)
