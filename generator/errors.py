"""The exception family and the `Problem` record every stage reports with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, said so that a person can fix it."""

    severity: Severity
    #: Site-relative POSIX path of the file at fault ("" when no file is involved).
    file: str
    #: 1-based line inside `file`, or None when the line is not known.
    line: int | None
    message: str
    #: What to do about it; empty when the message says it all.
    hint: str = ""

    def __str__(self) -> str:
        where = self.file or "site"
        if self.line is not None:
            where = f"{where}:{self.line}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in a stable order: by file, then line, then text."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.severity, p.message))


@dataclass(slots=True)
class Report:
    """Collects problems during a run; `strict` makes warnings fatal."""

    strict: bool = False
    problems: list[Problem] = field(default_factory=list)

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def failed(self) -> bool:
        return bool(self.errors) or (self.strict and bool(self.warnings))


class VestkaError(Exception):
    """Base of every error Vestka reports to the user (never a traceback)."""

    #: The message counts the problems ("build failed: 3 errors in 2 files") rather than restating one.
    summary = False

    def __init__(self, message: str, problems: list[Problem] | None = None, usage: bool = False) -> None:
        super().__init__(message)
        self.problems: list[Problem] = sort_problems(problems or [])
        #: A command-line argument is wrong (exit code 2), not the site's files.
        self.usage = usage

    def __reduce__(self) -> tuple:
        # Errors raised in worker processes travel back pickled, problems included.
        return (type(self), (self.args[0] if self.args else "", self.problems, self.usage))

    def __str__(self) -> str:
        head = self.args[0] if self.args else ""
        if not self.problems:
            return head
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ConfigError(VestkaError):
    """config.yaml is missing, unreadable or invalid."""


class ContentError(VestkaError):
    """One or more content files are invalid."""

    summary = True


class TemplateError(VestkaError):
    """A theme template failed to load or render."""


class DeployError(VestkaError):
    """A deploy could not be planned or carried out."""


class ImportFailure(VestkaError):
    """An import could not run (named so as not to shadow the builtin ImportError)."""
