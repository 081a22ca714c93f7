"""Split a content file into its YAML front matter and Markdown body, and coerce known keys.

Everything here is pure: text in, values or `Problem`s out, with lines counted in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

import yaml

from generator.errors import Problem

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The C safe loader without YAML's own timestamp type: dates reach `to_datetime` as text,
    so an impossible date ("2011-02-30") is reported on its line with a helpful message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)
#: More alias uses than this in one front matter is treated as a YAML bomb.
MAX_ALIASES = 100
#: Deeper nesting than this is refused: nothing in front matter needs it.
MAX_DEPTH = 20
#: More values than this, counting what aliases repeat, is refused.
MAX_EXPANDED = 200_000


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
    if "*" in yaml_text and "&" in yaml_text:
        _refuse_bombs(yaml_text, file, line_offset)
    try:
        data = yaml.load(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.index >= len(yaml_text.rstrip()):
            mark = context  # an unclosed quote or bracket: point at where it was opened
        line = mark.line + 1 + line_offset if mark is not None else line_offset + 1
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


def _refuse_bombs(yaml_text: str, file: str, line_offset: int) -> None:
    """Refuse alias bombs and deep nesting, using the event parser, which expands nothing.

    Each value's expanded size is counted (an alias counts as everything its anchor holds), so
    "billion laughs" is refused however few aliases it takes, before anything is built.
    """
    aliases = 0
    sizes: dict[str, int] = {}
    stack: list[tuple[str | None, int]] = [(None, 0)]  # (anchor, nodes so far) per open collection

    def refuse(event: yaml.Event, message: str) -> FrontMatterError:
        return FrontMatterError(Problem("error", file, event.start_mark.line + 1 + line_offset, message,
                                        "write the values out instead of repeating anchors (a YAML 'bomb' "
                                        "expands a few lines into millions of values)"))

    try:
        for event in yaml.parse(yaml_text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise refuse(event, f"front matter uses YAML aliases more than {MAX_ALIASES} times")
                anchor, count = stack[-1]
                stack[-1] = (anchor, count + sizes.get(event.anchor, 1))
            elif isinstance(event, yaml.ScalarEvent):
                anchor, count = stack[-1]
                stack[-1] = (anchor, count + 1)
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append((event.anchor, 1))
                if len(stack) - 1 > MAX_DEPTH:
                    raise refuse(event, f"front matter is nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, count = stack.pop()
                if anchor:
                    sizes[anchor] = count
                parent_anchor, parent_count = stack[-1]
                stack[-1] = (parent_anchor, parent_count + count)
            if stack[-1][1] > MAX_EXPANDED or sum(c for _, c in stack) > MAX_EXPANDED:
                raise refuse(event, f"front matter expands to more than {MAX_EXPANDED:,} values")
    except yaml.YAMLError:
        return  # the full parse reports it with its line


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
