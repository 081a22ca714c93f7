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


def test_new_refuses_a_folder_that_is_not_empty_as_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "keep.txt").write_text("mine", encoding="utf-8")
    result = run([*vestka_exe(), "new", "site"], cwd=tmp_path)
    assert result.returncode == 2
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


def test_new_article_refuses_a_repeated_title_unless_a_slug_is_given(new_site: Path) -> None:
    year = datetime.now(ZoneInfo("Europe/Minsk")).year
    first = new_site / f"content/en/{year}/same-title.md"
    assert run([*vestka_exe(), "new-article", "Same title"], cwd=new_site).returncode == 0
    first.write_text(first.read_text(encoding="utf-8") + "Edited by hand.\n", encoding="utf-8")
    before = snapshot(new_site)
    again = run([*vestka_exe(), "new-article", "Same title"], cwd=new_site)
    assert again.returncode == 1
    assert again.stderr == (f"content/en/{year}/same-title.md: error: an article with this slug already exists this "
                            "year; it is left as it is — edit that file, or give the new one its own slug: "
                            "vestka new-article --slug OTHER-SLUG ...\n")
    assert snapshot(new_site) == before
    other = run([*vestka_exe(), "new-article", "--slug", "same-title-again", "Same title"], cwd=new_site)
    assert other.returncode == 0, other.stderr
    assert other.stdout == f"content/en/{year}/same-title-again.md\n"
    assert "Edited by hand." in first.read_text(encoding="utf-8")


@pytest.mark.parametrize(("lang", "body"), [("en", "Write the article here."), ("be", "Напішыце артыкул тут."),
                                            ("ru", "Напишите статью здесь.")])
def test_new_article_body_is_in_the_language_of_the_article(new_site: Path, lang: str, body: str) -> None:
    from generator.config import load_config
    from generator.scaffold import new_article

    path = new_article(load_config(new_site), "Title", lang)
    assert path.read_text(encoding="utf-8").endswith(f"---\n\n{body}\n\n")


def test_a_site_can_reword_the_placeholder_body(new_site: Path) -> None:
    from generator.config import load_config
    from generator.scaffold import new_article

    _add(new_site, "i18n/be.yaml", "new_article_body: Тэкст тут.\n")
    assert new_article(load_config(new_site), "Title", "be").read_text(encoding="utf-8").endswith("Тэкст тут.\n\n")


def test_new_article_with_unknown_language_is_a_usage_error_said_once(new_site: Path) -> None:
    result = run([*vestka_exe(), "new-article", "--lang", "de", "Titel"], cwd=new_site)
    assert result.returncode == 2
    assert result.stderr == "site: error: --lang 'de' is not a language of this site — use one of: en, be, ru\n"


def test_check_writes_nothing(new_site: Path) -> None:
    before = snapshot(new_site)
    result = run([*vestka_exe(), "check", "--site", str(new_site)], cwd=new_site.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK: 3 pages, 12 lists, 0 warnings"
    assert snapshot(new_site) == before
    assert not (new_site / "output").exists()
    assert sorted(p.name for p in new_site.parent.iterdir()) == ["elsewhere", "mysite"]


def test_check_lists_errors_and_warnings_and_says_check_failed(new_site: Path) -> None:
    _add(new_site, "content/en/2011/broken.md", "---\ntitle: Broken\ndate: 2011-02-30\n---\nx\n")
    _add(new_site, "content/en/2011/typo.md", "---\ntitle: Typo\ndate: 2011-03-14\ntag: [Courts]\n---\nx\n")
    _add(new_site, "content/en/2011/empty-body.md", "---\ntitle: Empty\ndate: 2011-03-14\n---\n")
    result = run([*vestka_exe(), "check"], cwd=new_site)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/en/2011/broken.md:3: error: date '2011-02-30': the day does not exist (February 2011 has 28 days)"
        " — correct the day",
        "content/en/2011/empty-body.md:4: warning: the article has no body: only its title is published"
        " — write the text below the closing '---', or set draft: true until it is ready",
        "content/en/2011/typo.md:4: warning: unknown front-matter key 'tag' — did you mean 'tags'? — rename it to"
        " 'tags', or list 'tag' under front_matter: extra_keys: in config.yaml if the theme uses it",
        "check failed: 1 error and 2 warnings in 3 files",
    ]
    assert "build" not in result.stderr


def test_a_misspelt_key_passes_check_with_a_warning_and_fails_it_under_strict(new_site: Path) -> None:
    _add(new_site, "content/en/2011/typo.md", "---\ntitle: Typo\ndate: 2011-03-14\nautors: [Ales]\n---\nx\n")
    plain = run([*vestka_exe(), "check"], cwd=new_site)
    assert plain.returncode == 0
    assert "typo.md:4: warning: unknown front-matter key 'autors' — did you mean 'authors'?" in plain.stderr
    strict = run([*vestka_exe(), "check", "--strict"], cwd=new_site)
    assert strict.returncode == 1
    assert strict.stderr.splitlines()[-1] == "check failed: 0 errors and 1 warning in 1 file"
    (new_site / "config.yaml").write_text((new_site / "config.yaml").read_text(encoding="utf-8")
                                          + "front_matter:\n  extra_keys: [autors]\n", encoding="utf-8")
    silenced = run([*vestka_exe(), "check", "--strict"], cwd=new_site)
    assert silenced.returncode == 0, silenced.stderr
    assert silenced.stderr == ""


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


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_a_description_an_example_the_docs_and_the_common_options(
        command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from generator import cli

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    description = text.split("\n\n")[1]
    assert description.endswith(".") and "\n" not in description, description
    example = text.split("example:\n  ", 1)[1].splitlines()[0]
    assert example.startswith(f"vestka {command}") or example.startswith("vestka new mysite")
    docs = text.split("docs: ", 1)[1].split(" in Vestka's source")[0]
    assert (REPO / docs.split(",")[0]).is_file(), docs
    assert "-v, --verbose" in text and "-q, --quiet" in text
    if command != "new":
        assert "-s DIR, --site DIR" in text


def test_deploy_help_lists_every_target_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    from generator import cli
    from generator.deploy import METHODS

    with pytest.raises(SystemExit):
        cli.main(["deploy", "--help"])
    text = capsys.readouterr().out
    listed = text.split("target schemes:\n")[1].split("\n\n")[0]
    assert {scheme for scheme in METHODS if f"{scheme}://" not in listed} == set()


def test_serve_help_shows_the_defaults_of_the_site_config(new_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from generator import cli

    (new_site / "config.yaml").write_text((new_site / "config.yaml").read_text(encoding="utf-8")
                                          + "serve: {host: 127.0.0.2, port: 8765}\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["serve", "-s", str(new_site), "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 127.0.0.2, from serve.host in config.yaml)" in text
    assert "(default: 8765, from serve.port in config.yaml;" in text


def test_import_formats_of_the_cli_are_the_importer_formats() -> None:
    from generator import cli
    from generator.importer import FORMATS

    assert tuple(FORMATS) == cli.IMPORT_FORMATS


@pytest.mark.parametrize(("args", "said"), [
    (["import", "dmp", "x"], "argument FORMAT: invalid choice: 'dmp'"),
    (["import", "--lang", "xx", "dump", "."], "site: error: --lang 'xx' is not a language of this site"),
    (["deploy", "nowhere"], "config.yaml: error: no target named 'nowhere' under 'deploy'"),
    (["deploy", "ftp://example.org/site"], "error: cannot deploy to 'ftp://example.org/site': unknown scheme 'ftp://'"),
    (["new", "."], "error: vestka new only creates sites in new or empty folders"),
    (["build", "-v", "-q"], "argument -q/--quiet: not allowed with argument -v/--verbose"),
])
def test_usage_errors_exit_2_and_are_said_once(new_site: Path, args: list[str], said: str) -> None:
    result = run([*vestka_exe(), *args], cwd=new_site)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and said in lines[0], result.stderr


def test_short_options_and_quiet_and_verbose(new_site: Path, tmp_path: Path) -> None:
    quiet = run([*vestka_exe(), "build", "-q", "-s", str(new_site), "-o", str(tmp_path / "out")], cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert (tmp_path / "out/index.html").is_file()
    loud = run([*vestka_exe(), "build", "-v", "-s", str(new_site), "-o", str(tmp_path / "out")], cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert loud.stdout.startswith("Built 3 pages") and loud.stdout.splitlines()[1].startswith("  discover ")
    check = run([*vestka_exe(), "check", "-q", "-s", str(new_site)], cwd=tmp_path)
    assert (check.returncode, check.stdout) == (0, "")


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
