"""Split a content file into its YAML front matter and Markdown body, and coerce known keys.

Everything here is pure: text in, values or `Problem`s out, with lines counted in the file.
"""

from __future__ import annotations

import calendar
import re
import reprlib
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

import yaml

from generator.errors import Problem
from generator.safe_yaml import (  # noqa: F401 - the limits are part of this module's story
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_EXPANDED,
    DuplicateKeyError,
    UniqueKeyLoader,
    YAMLLimitError,
    check_limits,
)


class _Loader(UniqueKeyLoader):
    """The C safe loader, refusing duplicate keys, without YAML's own timestamp type: dates reach
    `to_datetime` as text, so an impossible date ("2011-02-30") is reported on its line."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in UniqueKeyLoader.yaml_implicit_resolvers.items()
}
#: Values quoted in messages: short, and never expanded in full.
SHORT = reprlib.Repr()
SHORT.maxstring = 60
SHORT.maxother = 60
SHORT.maxlevel = 2
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Split:
    """A file's parts: the parsed front matter, its body and where the body starts."""

    data: dict[str, Any]
    body: str
    #: 1-based line of the first body line.
    body_line: int
    #: 1-based line of the first front-matter line (after the opening ---).
    yaml_line: int
    yaml_text: str


class FrontMatterError(Exception):
    """A front matter that cannot be read; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def split(text: str, file: str) -> Split:
    """Split `text` of `file` into front matter and body; raise FrontMatterError when broken."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise FrontMatterError(Problem("error", file, 1, "the file is empty",
                                       "write the front matter (title, date) and the article below it, "
                                       "or delete the file"))
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise FrontMatterError(Problem("error", file, line, "the file contains a NUL character",
                                       "this looks like a binary file; remove it from content/ or fix its encoding"))
    if not text.startswith("---"):
        raise FrontMatterError(Problem("error", file, 1, "the file does not start with front matter",
                                       "begin the file with a line '---', the YAML keys (title, date, ...), "
                                       "and another line '---'"))
    first_nl = text.find("\n")
    if first_nl == -1 or text[:first_nl].strip() != "---":
        raise FrontMatterError(Problem("error", file, 1, "the first line must be exactly '---'",
                                       "put the front matter between two lines that hold only '---'"))
    closing = _FENCE.search(text, first_nl + 1)
    if closing is None:
        raise FrontMatterError(Problem("error", file, 1, "the front matter is not closed",
                                       "add a line '---' after the last front-matter key"))
    yaml_text = text[first_nl + 1:closing.start()]
    body_start = closing.end() + 1
    body_line = text.count("\n", 0, min(body_start, len(text))) + 1
    data = parse_yaml(yaml_text, file, line_offset=1)
    return Split(data, text[body_start:], body_line, 2, yaml_text)


def parse_yaml(yaml_text: str, file: str, line_offset: int) -> dict[str, Any]:
    """Parse front-matter YAML; errors name the line in the file (`line_offset` lines precede it)."""
    try:
        check_limits(yaml_text)
        data = yaml.load(yaml_text, Loader=_Loader)
    except YAMLLimitError as exc:
        raise FrontMatterError(Problem(
            "error", file, exc.problem_mark.line + 1 + line_offset, f"front matter {exc.problem}",
            "write the values out instead of nesting or repeating anchors (a YAML 'bomb' expands a few "
            "lines into millions of values)")) from None
    except DuplicateKeyError as exc:
        first, second = exc.context_mark.line + 1 + line_offset, exc.problem_mark.line + 1 + line_offset
        key = exc.problem.partition(" is written")[0].removeprefix("key ")
        raise FrontMatterError(Problem(
            "error", file, second, f"front matter writes {key} twice, on lines {first} and {second}",
            "keep one of them: YAML keys are unique, and which one counts is otherwise a guess")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.index >= len(yaml_text.rstrip()):
            mark = context  # an unclosed quote or bracket: point at where it was opened
        line = mark.line + 1 + line_offset if mark is not None else line_offset + 1
        problem_mark = getattr(exc, "problem_mark", None)
        tab = _indenting_tab(yaml_text, problem_mark.line) if problem_mark is not None else None
        if tab is not None:
            row, column = tab[0] + 1 + line_offset, tab[1] + 1
            raise FrontMatterError(Problem(
                "error", file, row, f"YAML does not allow tabs for indentation (line {row}, column {column})",
                "indent with spaces; an editor's 'convert indentation to spaces' does it")) from None
        what = getattr(exc, "problem", None) or "invalid YAML"
        raise FrontMatterError(Problem("error", file, line, f"front matter is not valid YAML: {what}",
                                       "check the indentation, and quote values containing ':', '#', '[' or '{'"
                                       )) from None
    except (RecursionError, ValueError, OverflowError) as exc:
        raise FrontMatterError(Problem("error", file, line_offset + 1,
                                       f"front matter cannot be read: {type(exc).__name__}",
                                       "simplify the front matter to plain keys and values")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(Problem("error", file, line_offset + 1,
                                       f"front matter must be a mapping of keys to values, not {type(data).__name__}",
                                       "write one 'key: value' per line"))
    return data


def _indenting_tab(yaml_text: str, error_line: int) -> tuple[int, int] | None:
    """(line, column), 0-based, of a tab in the indentation where YAML stopped, or None.

    The scanner reports a tab sometimes on its own line and sometimes on the next token's, so
    both the error line and the one before it are looked at.
    """
    lines = yaml_text.split("\n")
    for row in (error_line, error_line - 1):
        if 0 <= row < len(lines):
            lead = re.match(r"[ \t-]*", lines[row]).group(0)
            if "\t" in lead:
                return row, lead.index("\t")
    return None



def key_line(yaml_text: str, key: str, line_offset: int) -> int | None:
    """The line in the file where top-level `key` is written (for messages; not on the hot path)."""
    pattern = re.compile(r"^" + re.escape(key) + r"\s*:", re.MULTILINE)
    found = pattern.search(yaml_text)
    if found is None:
        return None
    return yaml_text.count("\n", 0, found.start()) + 1 + line_offset


def to_datetime(value: Any, tz: tzinfo) -> datetime | None:
    """A YAML date, datetime or ISO 8601 string as an aware datetime; None when it is none of those."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        text = value.strip()
        if re.search(r"[+-]\d{4}$", text) and "T" in text:  # "+0200": ISO basic offset
            text = text[:-2] + ":" + text[-2:]
        try:
            result = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            return None
    else:
        return None
    if result.tzinfo is None:
        result = result.replace(tzinfo=tz)
    return result


_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ])")


def date_problem(value: Any, label: str = "date") -> tuple[str, str]:
    """Why `value` (which `to_datetime` refused) is not a date: (what is wrong, how to fix it).

    `label` names the value in the message ("date", "updated date").
    """
    text = value.strip() if isinstance(value, str) else ""
    day = _ISO_DAY.match(text)
    if day is not None:
        year, month, number = (int(part) for part in day.groups())
        if not 1 <= month <= 12:
            return f"{label} {text!r}: there is no month {month}", "write the month as 01 to 12"
        last = calendar.monthrange(year, month)[1] if year >= 1 else 31
        if not 1 <= number <= last:
            return (f"{label} {text!r}: the day does not exist ({calendar.month_name[month]} {year} has {last} days)",
                    "correct the day")
    return (f"cannot read {label} {SHORT.repr(value)}",
            "write it as ISO 8601, e.g. 2011-03-14 or 2011-03-14T16:32:26+02:00")


def to_str_list(value: Any) -> tuple[str, ...] | None:
    """A list of scalars as strings; None when `value` is not a list of scalars."""
    if value is None:
        return ()
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            return None
        text = str(item).strip()
        if text:
            out.append(text)
    return tuple(out)

