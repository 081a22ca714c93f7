"""One test per bad input, through the real CLI: exact `path:line` message, exit code 1, output/ untouched."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import article

TIMEOUT = 120
GOOD = {
    "content/en/2011/good.md": article("Good article", "2011-03-14T16:32:26+02:00", "Fine.", tags=["Belarus"]),
    "content/ru/2011/good.md": article("Хорошая статья", "2011-03-14T16:32:26+02:00", "Хорошо."),
}


def vestka(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder below `folder` with its hash and mtime: any write shows."""
    out: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[rel] = (digest, path.stat().st_mtime_ns)
    return out


@pytest.fixture
def built_site(make_site: Callable[..., Path]) -> Path:
    """A site that built once, so output/ holds a previous good build."""
    site = make_site(GOOD)
    result = vestka("build", "--site", str(site), cwd=site.parent)
    assert result.returncode == 0, result.stderr
    assert (site / "output/en/2011/03/good/index.html").is_file()
    return site


def fails_with(site: Path, files: dict[str, str | bytes], expected: list[str]) -> subprocess.CompletedProcess[str]:
    """Add `files`, build, and check the exit code, the exact problem lines and the untouched output/."""
    before = snapshot(site / "output")
    siblings = sorted(p.name for p in site.iterdir())
    for rel, content in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    result = vestka("build", "--site", str(site), cwd=site.parent)
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    problems = [line.strip() for line in lines if line.startswith("  ")]
    assert problems == expected
    assert lines[0].startswith("error: build failed: ")
    assert "Traceback" not in result.stderr
    assert "Built" not in result.stdout
    assert snapshot(site / "output") == before
    assert sorted(p.name for p in site.iterdir()) == siblings + [n for n in files if "/" not in n]  # no staging left
    return result


def test_yaml_syntax_error_names_the_line_inside_the_file(built_site: Path) -> None:
    bad = "---\ntitle: Broken\nsummary: fine\ndate: 2011: 03\n---\nBody.\n"
    fails_with(built_site, {"content/en/2011/broken.md": bad}, [
        "content/en/2011/broken.md:4: error: front matter is not valid YAML: mapping values are not allowed in this"
        " context — check the indentation, and quote values containing ':', '#', '[' or '{'",
    ])


def test_missing_title(built_site: Path) -> None:
    fails_with(built_site, {"content/en/2011/untitled.md": "---\nsummary: s\ndate: 2011-03-14\n---\nBody.\n"}, [
        "content/en/2011/untitled.md:1: error: missing title — add a line 'title: ...' to the front matter",
    ])


def test_missing_date(built_site: Path) -> None:
    fails_with(built_site, {"content/en/2011/undated.md": "---\ntitle: No date\nsummary: s\n---\nBody.\n"}, [
        "content/en/2011/undated.md:1: error: missing date"
        " — add a line such as 'date: 2011-03-14T16:32:26+02:00' to the front matter",
    ])


def test_unparseable_date(built_site: Path) -> None:
    bad = "---\ntitle: Bad date\nsummary: s\ndate: 14.03.2011\n---\nBody.\n"
    fails_with(built_site, {"content/en/2011/baddate.md": bad}, [
        "content/en/2011/baddate.md:4: error: cannot read date '14.03.2011'"
        " — write it as ISO 8601, e.g. 2011-03-14 or 2011-03-14T16:32:26+02:00",
    ])


def test_impossible_calendar_date_says_the_day_does_not_exist(built_site: Path) -> None:
    bad = "---\ntitle: Bad date\nsummary: s\ndate: 2011-02-30\n---\nBody.\n"
    fails_with(built_site, {"content/en/2011/feb30.md": bad}, [
        "content/en/2011/feb30.md:4: error: date '2011-02-30': the day does not exist (February 2011 has 28 days)"
        " — correct the day",
    ])


def test_a_tab_in_the_indentation_is_named_with_its_line_and_column(built_site: Path) -> None:
    bad = "---\ntitle: Tabs\ndate: 2011-03-14\ntags:\n\t- Belarus\n---\nBody.\n"
    fails_with(built_site, {"content/en/2011/tabs.md": bad}, [
        "content/en/2011/tabs.md:5: error: YAML does not allow tabs for indentation (line 5, column 1)"
        " — indent with spaces; an editor's 'convert indentation to spaces' does it",
    ])


def test_an_empty_file_is_said_to_be_empty(built_site: Path) -> None:
    fails_with(built_site, {"content/en/2011/empty.md": "\n"}, [
        "content/en/2011/empty.md:1: error: the file is empty"
        " — write the front matter (title, date) and the article below it, or delete the file",
    ])


def test_unknown_language(built_site: Path) -> None:
    bad = "---\ntitle: Language\ndate: 2011-03-14\nlang: xx\n---\nBody.\n"
    fails_with(built_site, {"content/en/2011/lang.md": bad}, [
        "content/en/2011/lang.md:4: error: unknown language 'xx' — use one of the configured languages: en, ru, be",
    ])


def test_tags_not_a_list(built_site: Path) -> None:
    bad = "---\ntitle: Tags\ndate: 2011-03-14\ntags: Belarus, courts\n---\nBody.\n"
    fails_with(built_site, {"content/en/2011/tags.md": bad}, [
        "content/en/2011/tags.md:4: error: tags must be a list of strings, not str"
        " — write tags: [first, second] or one '- item' per line",
    ])


def test_duplicate_url_names_both_files(built_site: Path) -> None:
    result = fails_with(built_site, {"content/en/good.md": article("Same URL", "2011-03-20")}, [
        # the newer article claims the URL first; the older one is reported naming it
        "content/en/2011/good.md: error: URL /en/2011/03/good/ is also claimed by content/en/good.md"
        " — give one of them another slug (or date), or remove the duplicate",
    ])
    assert "content/en/good.md" in result.stderr and "content/en/2011/good.md" in result.stderr


def test_alias_that_collides_with_a_page_names_both_files(built_site: Path) -> None:
    bad = article("Alias", "2012-01-01", aliases=["/en/2011/03/good/"])
    fails_with(built_site, {"content/en/2012/alias.md": bad}, [
        "content/en/2012/alias.md: error: alias /en/2011/03/good/ is also claimed by content/en/2011/good.md"
        " — give one of them another slug (or date), or remove the duplicate",
    ])


def test_file_not_utf8(built_site: Path) -> None:
    bad = "---\ntitle: Caf\u00e9\ndate: 2011-03-14\n---\nBody.\n".encode("latin-1")
    fails_with(built_site, {"content/en/2011/latin1.md": bad}, [
        "content/en/2011/latin1.md:2: error: the file is not UTF-8 text (byte 0xe9) — re-save the file as UTF-8",
    ])


def test_unclosed_front_matter(built_site: Path) -> None:
    fails_with(built_site, {"content/en/2011/open.md": "---\ntitle: Open\ndate: 2011-03-14\nBody.\n"}, [
        "content/en/2011/open.md:1: error: the front matter is not closed"
        " — add a line '---' after the last front-matter key",
    ])


def test_all_problems_of_a_build_are_reported_together(built_site: Path) -> None:
    result = fails_with(built_site, {
        "content/en/2011/a-yaml.md": "---\ntitle: A\nsummary: s\ndate: 2011: 03\n---\nx\n",
        "content/en/2011/b-title.md": "---\nsummary: s\ndate: 2011-03-14\n---\nx\n",
        "content/en/2011/c-date.md": "---\ntitle: C\nsummary: s\ndate: someday\n---\nx\n",
        "content/en/2011/d-lang.md": "---\ntitle: D\ndate: 2011-03-14\nlang: de\n---\nx\n",
        "content/en/2011/e-tags.md": "---\ntitle: E\ndate: 2011-03-14\ntags: {a: b}\n---\nx\n",
        "content/en/2011/f-bytes.md": b"---\ntitle: \xff\ndate: 2011-03-14\n---\nx\n",
    }, [
        "content/en/2011/a-yaml.md:4: error: front matter is not valid YAML: mapping values are not allowed in this"
        " context — check the indentation, and quote values containing ':', '#', '[' or '{'",
        "content/en/2011/b-title.md:1: error: missing title — add a line 'title: ...' to the front matter",
        "content/en/2011/c-date.md:4: error: cannot read date 'someday'"
        " — write it as ISO 8601, e.g. 2011-03-14 or 2011-03-14T16:32:26+02:00",
        "content/en/2011/d-lang.md:4: error: unknown language 'de' — use one of the configured languages: en, ru, be",
        "content/en/2011/e-tags.md:4: error: tags must be a list of strings, not dict"
        " — write tags: [first, second] or one '- item' per line",
        "content/en/2011/f-bytes.md:2: error: the file is not UTF-8 text (byte 0xff) — re-save the file as UTF-8",
    ])
    assert result.stderr.splitlines()[0] == "error: build failed: 6 errors in 6 files"


def test_config_error_exits_1_and_leaves_output(built_site: Path) -> None:
    before = snapshot(built_site / "output")
    (built_site / "config.yaml").write_text("title: X\nper_pgae: 3\n", encoding="utf-8")
    result = vestka("build", "--site", str(built_site), cwd=built_site.parent)
    assert result.returncode == 1
    assert "config.yaml:2: error: unknown key 'per_pgae' — did you mean 'per_page'?" in result.stderr
    assert snapshot(built_site / "output") == before


def test_broken_theme_template_exits_1_and_leaves_output(built_site: Path) -> None:
    before = snapshot(built_site / "output")
    config = (built_site / "config.yaml").read_text(encoding="utf-8") + "theme: mine\n"
    (built_site / "config.yaml").write_text(config, encoding="utf-8")
    template = built_site / "themes/mine/templates/article.html"
    template.parent.mkdir(parents=True)
    template.write_text('{% extends "base.html" %}\n{% block main %}\n{% if %}\n{% endblock %}\n', encoding="utf-8")
    result = vestka("build", "--site", str(built_site), cwd=built_site.parent)
    assert result.returncode == 1, result.stderr
    assert "themes/mine/templates/article.html:3: error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(built_site / "output") == before


def test_missing_config_exits_1(tmp_path: Path) -> None:
    result = vestka("build", "--site", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert ("config.yaml: error: no config.yaml in the site folder"
            " — run vestka inside a site, pass --site DIR, or create one with 'vestka new DIR'") in result.stderr
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("args", [
    [],
    ["build", "--no-such-option"],
    ["build", "--site"],
    ["frobnicate"],
    ["new-article", "--lang", "be"],
    ["new"],
    ["check", "extra-argument"],
])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    result = vestka(*args, cwd=tmp_path)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    assert "usage: vestka" in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


