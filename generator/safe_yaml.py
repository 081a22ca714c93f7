"""The one way Vestka reads YAML: the safe loader, with limits on nesting, aliases and expansion.

Every YAML file Vestka reads (config.yaml, front matter, string tables, the configs and front matter
of imported Jekyll and Hugo sites) goes through `load`, or through `check_limits` before a parse of its
own. The limits are checked on the event stream, which expands nothing, so a "billion laughs" or a
thousand levels of nesting is refused in microseconds, with the line, before any value is built.

Refusals are `YAMLLimitError`, a `yaml.MarkedYAMLError`: code that already turns YAML syntax errors
into `path:line: message` reports does the same for them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

#: Deeper nesting than this is refused: no config or front matter needs it, and Python's recursion
#: limit is reached (by the composer, the cache or templates) somewhere past a few hundred levels.
MAX_DEPTH = 20
#: More alias uses than this in one document is treated as a YAML bomb.
MAX_ALIASES = 100
#: More values than this, counting what aliases repeat, is refused.
MAX_EXPANDED = 200_000

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INDENT = re.compile(r"^[ \t]*", re.MULTILINE)


class YAMLLimitError(yaml.MarkedYAMLError):
    """Valid YAML refused because it nests too deep, repeats aliases too often or expands too much."""


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping that writes one key twice; `context_mark` is the first, `problem_mark` the second."""


class UniqueKeyLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader that refuses a key written twice in one mapping (YAML says keys are unique;
    PyYAML would silently keep the last, so `draft: true` then `draft: false` would publish a draft)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if first is not None:
                raise DuplicateKeyError(
                    f"key {key!r} first written on line {first.start_mark.line + 1}", first.start_mark,
                    f"key {key!r} is written twice (lines {first.start_mark.line + 1} and "
                    f"{key_node.start_mark.line + 1})", key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def load(text: str, *, loader: type = SafeLoader) -> Any:
    """Parse one YAML document with the safe loader after `check_limits`."""
    check_limits(text)
    return yaml.load(text, Loader=loader)


def check_limits(text: str) -> None:
    """Raise YAMLLimitError when `text` nests deeper than MAX_DEPTH, uses more than MAX_ALIASES aliases
    or expands to more than MAX_EXPANDED values. Syntax errors are left to the parse that follows."""
    if not _may_exceed(text):
        return
    aliases = 0
    sizes: dict[str, int] = {}
    stack: list[tuple[str | None, int]] = [(None, 0)]  # (anchor, values so far) per open collection

    def refuse(event: yaml.Event, problem: str) -> YAMLLimitError:
        return YAMLLimitError(problem=problem, problem_mark=event.start_mark)

    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise refuse(event, f"uses YAML aliases more than {MAX_ALIASES} times")
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
                    raise refuse(event, f"is nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, count = stack.pop()
                if anchor:
                    sizes[anchor] = count
                parent_anchor, parent_count = stack[-1]
                stack[-1] = (parent_anchor, parent_count + count)
            if stack[-1][1] > MAX_EXPANDED or sum(c for _, c in stack) > MAX_EXPANDED:
                raise refuse(event, f"expands to more than {MAX_EXPANDED:,} values")
    except YAMLLimitError:
        raise
    except yaml.YAMLError:
        return  # the full parse reports it with its line


def _may_exceed(text: str) -> bool:
    """False only when no limit can be reached, so that ordinary files skip the event pass.

    Every nesting level is opened by a flow bracket, a block entry ("- "), an explicit key ("?") or a
    deeper indentation; "[" and "- " can open two (a sequence and a one-pair mapping in it). Their
    count bounds the depth; without aliases nothing expands beyond the text itself.
    """
    if "*" in text:
        return True
    entries = text.count("- ") + text.count("-\n") + text.count("-\r") + text.count("-\t")
    openers = 2 * (text.count("[") + entries) + text.count("{") + text.count("?")
    if openers + 2 > MAX_DEPTH:
        return True
    return max(map(len, _INDENT.findall(text)), default=0) + openers + 2 > MAX_DEPTH
