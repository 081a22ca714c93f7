"""Every YAML file Vestka reads goes through one loader with limits: config.yaml, front matter, string
tables, and the configs and front matter of imported Jekyll and Hugo sites.

Each hostile file is read in a child process with a 768 MB address-space cap and a time limit, so a
guard that does not hold fails the test instead of taking the machine down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.build import Options, build
from generator.config import load_config
from generator.errors import VestkaError

#: Nine levels of nine: 9**9 (387 million) leaves from only 72 alias uses.
LAUGHS = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)) + "all: *l8\n"
#: 999 levels of nesting without any anchor (block style, then flow style).
DEEP_BLOCK = "".join(f"{' ' * i}k{i}:\n" for i in range(999)) + " " * 999 + "end: 1\n"
DEEP_FLOW = "deep: " + "[" * 999 + "]" * 999 + "\n"
CONFIG = "title: T\nbase_url: https://example.org/\nsearch: false\nlanguages:\n  - {code: en, name: English}\n"
ARTICLE = "---\ntitle: A\ndate: 2011-01-01\n---\n\nbody\n"

_RUNNER = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (768 * 2**20, 768 * 2**20))
    from pathlib import Path
    from generator.build import Options, build
    from generator.config import load_config
    from generator.errors import VestkaError
    kind, site = sys.argv[1], Path(sys.argv[2])
    try:
        if kind == "build":
            build(load_config(site), Options(use_cache=False))
        else:
            from generator.importer import run_import
            report = run_import(kind, [site / "source"], load_config(site), dry_run=True)
            for p in report.skipped + report.warnings:
                print("PROBLEM", p)
        print("DONE")
    except VestkaError as exc:
        print("REFUSED")
        for p in exc.problems:
            print("PROBLEM", p)
""")


def run_capped(kind: str, site: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", _RUNNER, kind, str(site)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"reading the hostile YAML did not finish in 60 s:\n{out}")
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{out}\n{err[-3000:]}"
    return out


def site_with(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"config.yaml": CONFIG, "content/en/a.md": ARTICLE, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


HOSTILE = {"laughs": LAUGHS, "deep block": DEEP_BLOCK, "deep flow": DEEP_FLOW}
REFUSAL = r"(aliases more than|nested more than 20 levels|expands to more than)"


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize(("where", "kind", "files", "shown"), [
    ("config.yaml", "build", lambda y: {"config.yaml": CONFIG + y}, "config.yaml"),
    ("front matter", "build", lambda y: {"content/en/b.md": f"---\ntitle: B\n{y}---\n\nbody\n"},
     "content/en/b.md"),
    ("string table", "build", lambda y: {"i18n/en.yaml": y}, "i18n/en.yaml"),
    ("Jekyll _config.yml", "jekyll", lambda y: {"source/_config.yml": y,
                                                 "source/_posts/2011-01-01-a.md": ARTICLE}, "_config.yml"),
    ("Jekyll front matter", "jekyll", lambda y: {"source/_posts/2011-01-01-a.md": f"---\ntitle: A\n{y}---\n\nx\n"},
     "2011-01-01-a.md"),
    ("Hugo config.yaml", "hugo", lambda y: {"source/config.yaml": y, "source/content/a.md": ARTICLE},
     "config.yaml"),
    ("Hugo front matter", "hugo", lambda y: {"source/config.yaml": "title: x\n",
                                             "source/content/a.md": f"---\ntitle: A\n{y}---\n\nx\n"}, "a.md"),
])
def test_hostile_yaml_is_refused_with_its_file_wherever_vestka_reads_yaml(
        tmp_path: Path, name: str, where: str, kind: str, files, shown: str) -> None:
    import re

    site = site_with(tmp_path / "site", files(HOSTILE[name]))
    out = run_capped(kind, site)
    problems = [line for line in out.splitlines() if line.startswith("PROBLEM") and shown in line]
    assert problems, f"{where}: no problem names {shown}:\n{out}"
    assert any(re.search(REFUSAL, p) for p in problems), f"{where}: not refused by the limits:\n{out}"


def test_a_999_level_front_matter_fails_before_output_changes_and_later_builds_work(tmp_path: Path) -> None:
    site = site_with(tmp_path / "site", {})
    build(load_config(site), Options(use_cache=True))
    before = sorted((p.relative_to(site / "output").as_posix(), p.read_bytes())
                    for p in (site / "output").rglob("*") if p.is_file())
    bad = site / "content/en/deep.md"
    bad.write_text(f"---\ntitle: Deep\n{DEEP_FLOW}---\n\nbody\n", encoding="utf-8")

    with pytest.raises(VestkaError) as info:
        build(load_config(site), Options(use_cache=True))

    [problem] = info.value.problems
    assert (problem.file, problem.line) == ("content/en/deep.md", 3)
    assert "nested more than 20 levels deep" in problem.message
    after = sorted((p.relative_to(site / "output").as_posix(), p.read_bytes())
                   for p in (site / "output").rglob("*") if p.is_file())
    assert after == before
    bad.write_text("---\ntitle: Deep no more\ndate: 2011-02-02\n---\n\nbody\n", encoding="utf-8")
    build(load_config(site), Options(use_cache=True))
    assert "Deep no more" in "".join(p.read_text() for p in (site / "output").rglob("*.html"))


def test_nesting_at_the_limit_is_read_and_one_deeper_is_refused() -> None:
    from generator import safe_yaml

    at_limit = "[" * safe_yaml.MAX_DEPTH + "]" * safe_yaml.MAX_DEPTH
    assert safe_yaml.load(at_limit) is not None
    with pytest.raises(safe_yaml.YAMLLimitError, match="nested more than 20"):
        safe_yaml.load("[" + at_limit + "]")


@pytest.mark.parametrize("text", [
    "title: x\ndate: 2011-01-01\ntags: [a, b]\naliases:\n  - /old/1.html\n",
    "a:\n  b:\n    c: [1, {d: [2, 3]}]\n",
    "- - - - x\n",
])
def test_the_quick_gate_never_skips_a_document_deeper_than_it_guesses(text: str) -> None:
    """Where the event pass is skipped, the real depth must be within the limit."""
    import yaml

    from generator import safe_yaml

    def depth(node: yaml.Node) -> int:
        if isinstance(node, yaml.MappingNode):
            return 1 + max((depth(v) for _, v in node.value), default=0)
        if isinstance(node, yaml.SequenceNode):
            return 1 + max((depth(v) for v in node.value), default=0)
        return 0

    if not safe_yaml._may_exceed(text):
        assert depth(yaml.compose(text, Loader=yaml.SafeLoader)) <= safe_yaml.MAX_DEPTH


def test_a_key_written_twice_in_front_matter_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    site = site_with(tmp_path / "site", {
        "content/en/draft.md": "---\ntitle: Secret\ndraft: true\ndate: 2011-01-01\ndraft: false\n---\n\nx\n"})
    with pytest.raises(VestkaError) as info:
        build(load_config(site), Options(use_cache=False))
    [problem] = info.value.problems
    assert (problem.file, problem.line) == ("content/en/draft.md", 5)
    assert "writes 'draft' twice, on lines 3 and 5" in problem.message
    assert not (site / "output").exists()


def test_a_key_written_twice_in_config_is_an_error_with_its_lines(tmp_path: Path) -> None:
    site = site_with(tmp_path / "site", {"config.yaml": CONFIG + "title: Other\n"})
    with pytest.raises(VestkaError) as info:
        load_config(site)
    [problem] = info.value.problems
    assert problem.file == "config.yaml" and problem.line == 6
    assert "'title' is written twice (lines 1 and 6)" in problem.message
