"""The `vestka` command as a person uses it, run in a subprocess."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 120
COMMANDS = ["build", "check", "new", "new-article", "serve", "import", "deploy"]


def vestka_exe() -> list[str]:
    """The installed console script when there is one, else the module."""
    script = Path(sys.executable).parent / "vestka"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "generator"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    # Files keep their bytes and modification time; folders only have to exist (a rebuild swaps
    # in the folder tree of the build before last, whose folders have times of their own).
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            if p.is_file() else ("dir", 0)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def new_site(tmp_path: Path) -> Path:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run([*vestka_exe(), "new", "../mysite"], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    return tmp_path / "mysite"


def test_new_creates_a_site_with_one_article_per_language(new_site: Path) -> None:
    year = datetime.now(ZoneInfo("Europe/Minsk")).year
    assert (new_site / "config.yaml").is_file()
    articles = sorted(p.relative_to(new_site).as_posix() for p in (new_site / "content").rglob("*.md"))
    assert [a.split("/")[1] for a in articles] == ["be", "en", "ru"]
    assert f"content/en/{year}/welcome-to-the-archive.md" in articles
    assert (new_site / "themes").is_dir() and (new_site / "static").is_dir()
    config = yaml.safe_load((new_site / "config.yaml").read_text(encoding="utf-8"))
    assert [lang["code"] for lang in config["languages"]] == ["en", "be", "ru"]


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "keep.txt").write_text("mine", encoding="utf-8")
    result = run([*vestka_exe(), "new", "site"], cwd=tmp_path)
    assert result.returncode == 1
    assert "vestka new only creates sites in new or empty folders" in result.stderr
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["keep.txt"]


def test_new_site_builds_from_another_folder(new_site: Path, tmp_path: Path) -> None:
    result = run([*vestka_exe(), "build", "--site", str(new_site)], cwd=tmp_path / "elsewhere")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 3 pages and ")
    assert "files written, 0 unchanged" in result.stdout
    out = new_site / "output"
    for rel in ("index.html", "404.html", "static/site.css", "en/index.html", "be/index.html", "ru/index.html"):
        assert (out / rel).is_file(), rel
    home = (out / "be/index.html").read_text(encoding="utf-8")
    assert "Вітаем у архіве" in home
    assert not (tmp_path / "elsewhere" / "output").exists()


def test_rebuilding_an_unchanged_new_site_rewrites_no_file(new_site: Path) -> None:
    # The scaffolded site has search on, so this covers the search index too.
    first = run([*vestka_exe(), "build"], cwd=new_site)
    assert first.returncode == 0, first.stderr
    before = snapshot(new_site / "output")
    again = run([*vestka_exe(), "build"], cwd=new_site)
    assert again.returncode == 0, again.stderr
    assert ": 0 files written, " in again.stdout
    after = snapshot(new_site / "output")
    assert set(after) == set(before)
    assert [rel for rel in after if after[rel] != before[rel]] == []


def test_new_site_builds_from_inside_with_default_site(new_site: Path) -> None:
    result = run([*vestka_exe(), "build"], cwd=new_site)
    assert result.returncode == 0, result.stderr
    assert (new_site / "output/en/index.html").is_file()


def test_build_output_option(new_site: Path, tmp_path: Path) -> None:
    target = tmp_path / "public"
    result = run([*vestka_exe(), "build", "--site", str(new_site), "--output", str(target)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (target / "index.html").is_file()
    assert not (new_site / "output").exists()


def test_new_article_writes_a_transliterated_file_and_prints_its_path(new_site: Path, tmp_path: Path) -> None:
    year = datetime.now(ZoneInfo("Europe/Minsk")).year
    result = run([*vestka_exe(), "new-article", "--site", str(new_site), "--lang", "be", "Праваабаронцы пра выбары"],
                 cwd=tmp_path / "elsewhere")
    assert result.returncode == 0, result.stderr
    expected = new_site / f"content/be/{year}/pravaabarontsy-pra-vybary.md"
    assert expected.is_file()
    printed = Path(result.stdout.strip())
    if not printed.is_absolute():
        printed = tmp_path / "elsewhere" / printed
    assert printed.resolve() == expected.resolve()
    text = expected.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == "Праваабаронцы пра выбары"
    assert front["lang"] == "be"
    assert str(front["date"]).startswith(str(year))
    # the new article builds and lands at its transliterated URL
    build = run([*vestka_exe(), "build", "--site", str(new_site)], cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    month = f"{datetime.fromisoformat(str(front['date'])).month:02d}"
    assert (new_site / f"output/be/{year}/{month}/pravaabarontsy-pra-vybary/index.html").is_file()


def test_new_article_prints_a_relative_path_inside_the_site(new_site: Path) -> None:
    year = datetime.now(ZoneInfo("Europe/Minsk")).year
    result = run([*vestka_exe(), "new-article", "--lang", "ru", "Обыски у правозащитников"], cwd=new_site)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"content/ru/{year}/obyski-u-pravozashchitnikov.md"


def test_new_article_never_overwrites(new_site: Path) -> None:
    year = datetime.now(ZoneInfo("Europe/Minsk")).year
    for _ in range(2):
        assert run([*vestka_exe(), "new-article", "Same title"], cwd=new_site).returncode == 0
    assert (new_site / f"content/en/{year}/same-title.md").is_file()
    assert (new_site / f"content/en/{year}/same-title-2.md").is_file()


def test_new_article_with_unknown_language_exits_1(new_site: Path) -> None:
    result = run([*vestka_exe(), "new-article", "--lang", "de", "Titel"], cwd=new_site)
    assert result.returncode == 1
    assert "config.yaml: error: the site has no language 'de' — use one of: en, be, ru" in result.stderr


def test_check_writes_nothing(new_site: Path) -> None:
    before = snapshot(new_site)
    result = run([*vestka_exe(), "check", "--site", str(new_site)], cwd=new_site.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK: 3 pages, 12 lists, 0 warnings"
    assert snapshot(new_site) == before
    assert not (new_site / "output").exists()
    assert sorted(p.name for p in new_site.parent.iterdir()) == ["elsewhere", "mysite"]


def test_check_reports_content_errors_with_exit_1_and_writes_nothing(new_site: Path) -> None:
    bad = new_site / "content/en/broken.md"
    bad.write_text("---\ntitle: Broken\ndate: someday\n---\nx\n", encoding="utf-8")
    before = snapshot(new_site)
    result = run([*vestka_exe(), "check"], cwd=new_site)
    assert result.returncode == 1
    assert "content/en/broken.md:3: error: cannot read date 'someday'" in result.stderr
    assert snapshot(new_site) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(command: str, tmp_path: Path) -> None:
    result = run([*vestka_exe(), command, "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: vestka {command}")
    assert "--help" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_top_level_help_lists_every_command(tmp_path: Path) -> None:
    result = run([*vestka_exe(), "--help"], cwd=tmp_path)
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_python_dash_m_generator_is_the_same_cli(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "generator", "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: vestka")
    for command in COMMANDS:
        assert command in result.stdout
    version = run([sys.executable, "-m", "generator", "--version"], cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("vestka ")


def test_console_script_is_installed() -> None:
    script = shutil.which("vestka", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    assert script is not None


def _add(site: Path, rel: str, text: str) -> None:
    (site / rel).parent.mkdir(parents=True, exist_ok=True)
    (site / rel).write_text(text, encoding="utf-8")


def test_build_drafts_and_future_flags(new_site: Path) -> None:
    _add(new_site, "content/en/2010/draft.md", "---\ntitle: Draft\ndate: 2010-01-05\ndraft: true\n---\nx\n")
    _add(new_site, "content/en/2099/later.md", "---\ntitle: Later\ndate: 2099-01-05\n---\nx\n")
    draft, later = new_site / "output/en/2010/01/draft/index.html", new_site / "output/en/2099/01/later/index.html"
    assert run([*vestka_exe(), "build"], cwd=new_site).returncode == 0
    assert not draft.exists() and not later.exists()
    assert run([*vestka_exe(), "build", "--drafts"], cwd=new_site).returncode == 0
    assert draft.is_file() and not later.exists()
    assert run([*vestka_exe(), "build", "--future"], cwd=new_site).returncode == 0
    assert later.is_file() and not draft.exists()


def test_strict_makes_warnings_fatal(new_site: Path) -> None:
    _add(new_site, "content/en/2011/linked.md", "---\ntitle: Linked\ndate: 2011-03-14\n---\n[gone](/en/nowhere/)\n")
    plain = run([*vestka_exe(), "build"], cwd=new_site)
    assert plain.returncode == 0, plain.stderr
    assert "content/en/2011/linked.md:5: warning: link to /en/nowhere/ points at no page or file" in plain.stderr
    before = snapshot(new_site / "output")
    strict = run([*vestka_exe(), "build", "--strict"], cwd=new_site)
    assert strict.returncode == 1
    assert "content/en/2011/linked.md:5: warning: link to /en/nowhere/ points at no page or file" in strict.stderr
    assert snapshot(new_site / "output") == before
