"""Shared fixtures: tiny sites written inline into a temporary folder."""

from __future__ import annotations

import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

BASIC_CONFIG = """\
title: Test archive
base_url: https://example.org/
timezone: Europe/Minsk
languages:
  - {code: en, name: English}
  - {code: ru, name: Русский}
  - {code: be, name: Беларуская}
per_page: 2
latest_news: 3
search: false
"""


def article(title: str, date: str, body: str = "Body text.", **front: object) -> str:
    """An article file's text with the given front matter."""
    import yaml

    data = {"title": title, "date": date, **front}
    head = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return f"---\n{head}---\n\n{textwrap.dedent(body).strip()}\n"


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write files {relative path: text or bytes} into a new site folder and return it."""

    def make(files: dict[str, str | bytes], folder: str = "site") -> Path:
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        files = {"config.yaml": BASIC_CONFIG, **files}
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def build_site() -> Callable[..., object]:
    """Build a site folder in-process and return the BuildResult."""
    from generator.build import Options, build
    from generator.config import load_config

    def run(site: Path, **options: object) -> object:
        return build(load_config(site), Options(**options))

    return run


def age_files(root: Path, seconds: float = 60) -> None:
    """Date every file below `root` `seconds` in the past.

    A build trusts a file's size and time only when it was not changed within the last two
    seconds before the state was saved (a "racy" file is read again): a test of the no-op path
    must age its files first, or its second build is not a no-op at all.
    """
    import os
    import time

    then = time.time() - seconds
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        if path.is_file() and rel[0] != "output" and not rel[0].startswith(".vestka"):
            os.utime(path, (then, then))


def ctrl_c_as_in_a_terminal() -> None:
    """A `preexec_fn` for a server the test stops with Ctrl+C (SIGINT).

    A test run started in the background of a script inherits SIGINT ignored (POSIX shells do
    that to background jobs), and Python then keeps ignoring it: give the server a terminal's.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
