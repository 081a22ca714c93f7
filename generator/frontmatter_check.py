"""Check the keys of one file's front matter, in the style of config._Checker: every problem is
collected with the line of its key, known keys are coerced into a `FrontMatter` record, and
unknown keys are kept for `article.meta` (a likely typo of a known key is warned about).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import unquote

from generator.errors import Problem
from generator.frontmatter import SHORT, Split, date_problem, key_line, to_datetime, to_str_list

#: Front-matter keys with a meaning of their own; the rest reach templates as `article.meta`.
KNOWN_KEYS = ("title", "date", "updated", "lang", "slug", "tags", "authors", "author", "summary", "image",
              "draft", "translation_key", "aliases", "source", "template")
_TEXT_KEYS = ("summary", "image", "translation_key", "source", "template", "slug")
_WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.html$")
#: Control characters that have no place in a title or tag (invalid in XML feeds too).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TAGS = 1000
MAX_TITLE = 1000


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The known keys of one file, checked and coerced; where the page goes is decided elsewhere."""

    title: str
    date: datetime
    updated: datetime | None
    #: The `lang` key, or "" when the file does not say (its folder or the default decides).
    lang: str
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    aliases: tuple[str, ...]
    draft: bool
    #: slug, summary, image, translation_key, source and template as text ("" when absent).
    text: dict[str, str]
    #: Keys Vestka does not know, for `article.meta`.
    meta: dict[str, Any]


class Checker:
    """Checks one file's front matter and collects every problem with the line of the key at fault."""

    def __init__(self, file: str, parts: Split) -> None:
        self.file = file
        self.parts = parts
        self.data = parts.data
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        return key_line(self.parts.yaml_text, key, 1) or 1

    def error(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem("error", self.file, self.line(key), message, hint))

    def warning(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem("warning", self.file, self.line(key), message, hint))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def unknown_keys(self, extra_keys: tuple[str, ...]) -> dict[str, Any]:
        """Unknown keys, kept for `article.meta`; one that looks like a typo of a known key is a warning."""
        meta = {}
        for key in self.data:
            name = str(key)
            if name in KNOWN_KEYS:
                continue
            meta[name] = self.data[key]
            if name in extra_keys:
                continue
            near = nearest_key(name, KNOWN_KEYS)
            if near:
                self.warning(name, f"unknown front-matter key '{name}' — did you mean '{near}'?",
                             f"rename it to '{near}', or list '{name}' under front_matter: extra_keys: in "
                             "config.yaml if the theme uses it")
        return meta

    def title(self) -> str:
        title = self.data.get("title")
        if title is None or (isinstance(title, str) and not title.strip()):
            self.problems.append(Problem("error", self.file, 1, "missing title",
                                        "add a line 'title: ...' to the front matter"))
            return ""
        if not isinstance(title, (str, int, float)) or isinstance(title, bool):
            self.error("title", f"title must be text, not {type(title).__name__}", 'quote it: title: "..."')
            return ""
        title = clean_text(str(title))
        if len(title) > MAX_TITLE:
            self.error("title", f"title is {len(title)} characters long (at most {MAX_TITLE})", "shorten the title")
        return title

    def date(self, key: str, tz: tzinfo) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if key == "date":
                self.problems.append(Problem(
                    "error", self.file, 1, "missing date",
                    "add a line such as 'date: 2011-03-14T16:32:26+02:00' to the front matter"))
            return None
        result = to_datetime(value, tz)
        if result is None:
            what, hint = date_problem(value, "date" if key == "date" else f"{key} date")
            self.error(key, what, hint)
        return result

    def lang(self, languages: tuple[str, ...]) -> str:
        lang = self.data.get("lang")
        if lang is None or lang == "":
            return ""
        if not isinstance(lang, str) or lang not in languages:
            self.error("lang", f"unknown language {SHORT.repr(lang)}",
                       f"use one of the configured languages: {', '.join(languages)}")
            return ""
        return lang

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if isinstance(value, str) and key != "tags":
            value = [value]
        result = to_str_list(value)
        if result is None:
            self.error(key, f"{key} must be a list of strings, not {type(value).__name__}",
                       f"write {key}: [first, second] or one '- item' per line")
            return ()
        return result

    def tags(self) -> tuple[str, ...]:
        tags = self.str_list("tags")
        if len(tags) > MAX_TAGS:
            self.error("tags", f"{len(tags)} tags (at most {MAX_TAGS})", "keep the tags that describe the article")
            tags = tags[:MAX_TAGS]
        return tuple(t for t in map(clean_text, tags) if t)

    def authors(self) -> tuple[str, ...]:
        authors = self.str_list("authors")
        if not authors and self.data.get("author") is not None:
            authors = self.str_list("author")  # "author: Name" is one author
        return tuple(a for a in map(clean_text, authors) if a)

    def aliases(self) -> tuple[str, ...]:
        from generator.urls import check_url_path

        out = []
        for alias in self.str_list("aliases"):
            # Old URLs are often percent-encoded (Cyrillic, spaces): the file must carry the decoded name.
            path = unquote(alias.split("?")[0].split("#")[0])
            problem = "must start with '/'" if not path.startswith("/") else check_url_path(path)
            if problem:
                self.error("aliases", f"alias {alias[:200]!r} is not a safe site path: {problem}",
                           "write old URLs as paths from the site root, such as /en/news/15782")
            else:
                out.append(path)
        return tuple(out)

    def draft(self) -> bool:
        draft = self.data.get("draft", False)
        if not isinstance(draft, bool):
            self.error("draft", f"draft must be true or false, not {SHORT.repr(draft)}", "write draft: true")
            return False
        return draft

    def text(self) -> dict[str, str]:
        out = {}
        for key in _TEXT_KEYS:
            value = self.data.get(key)
            if value is None:
                out[key] = ""
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out[key] = clean_text(str(value))
            else:
                self.error(key, f"{key} must be text, not {type(value).__name__}", f'quote it: {key}: "..."')
                out[key] = ""
        if out["template"] and not _TEMPLATE_NAME.match(out["template"]):
            self.error("template", f"template {out['template']!r} must be a .html file name of the theme")
            out["template"] = ""
        if out["source"] and not _WEB_URL.match(out["source"]):
            # Not fatal (imports bring odd values), but never a link that could run anything.
            self.warning("source", f"source {out['source'][:200]!r} is not a web address; it is left out",
                         "write the original URL of the article, starting with http:// or https://")
            out["source"] = ""
        return out

    def body(self) -> None:
        if not self.parts.body.strip():
            self.problems.append(Problem(
                "warning", self.file, self.parts.body_line - 1, "the article has no body: only its title is published",
                "write the text below the closing '---', or set draft: true until it is ready"))


def check(parts: Split, file: str, *, languages: tuple[str, ...], tz: tzinfo,
          extra_keys: tuple[str, ...] = ()) -> tuple[FrontMatter | None, list[Problem]]:
    """Check every key of `parts`; the FrontMatter is None when any error was found."""
    c = Checker(file, parts)
    title = c.title()
    date = c.date("date", tz)
    updated = c.date("updated", tz)
    front = FrontMatter(title=title, date=date, updated=updated, lang=c.lang(languages), tags=c.tags(),  # type: ignore[arg-type]
                        authors=c.authors(), aliases=c.aliases(), draft=c.draft(), text=c.text(),
                        meta=c.unknown_keys(extra_keys))
    if not front.draft:
        c.body()
    if c.failed or date is None:
        return None, c.problems
    return front, c.problems


def nearest_key(key: str, known: tuple[str, ...]) -> str:
    """The known key `key` is most likely a typo of: within 2 edits, and fewer than half its letters; else ""."""
    limit = min(2, len(key) // 2)
    best, best_distance = "", limit + 1
    for candidate in known:
        if abs(len(candidate) - len(key)) <= limit:
            distance = edit_distance(key.lower(), candidate)
            if distance < best_distance:
                best, best_distance = candidate, distance
    return best


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def clean_text(text: str) -> str:
    """Text for a title or tag: NFC, control characters removed, whitespace folded."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())
