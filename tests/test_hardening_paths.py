"""Names that try to leave output/: nothing is ever written outside it, and the build says so.

Slugs, tag and author names are made into safe URL parts (that is their job), so for them the
build may succeed as long as every file lands inside output/ under a tame name. Aliases, static
file names and assets are written as given, so a dangerous one must fail the build with a
problem that names the source file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import article

from generator.build import Options, build
from generator.config import load_config
from generator.errors import VestkaError
from generator.urls import check_url_path


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every path under `root` except the output folders a build may legitimately change."""
    state: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[1:2] and rel.split("/")[1].startswith(("output", ".vestka-")):
            continue
        if path.is_symlink():
            state[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            state[rel] = path.read_bytes()
        else:
            state[rel] = "dir"
    return state


def output_is_tame(output: Path) -> list[str]:
    """Output files whose path is unsafe, or which resolve outside output/."""
    bad = []
    real = output.resolve()
    for path in output.rglob("*"):
        rel = path.relative_to(output).as_posix()
        escapes = path.is_symlink() or not path.resolve().is_relative_to(real)
        if escapes or (rel != ".vestka-manifest.json" and check_url_path("/" + rel)):
            bad.append(rel)
    return bad


def attempt(tmp_path: Path, make_site, files: dict[str, str | bytes]) -> tuple[Path, VestkaError | None]:
    """Build a site holding `files`; assert that nothing outside site/output changed."""
    (tmp_path / "victim").mkdir(exist_ok=True)
    (tmp_path / "victim" / "keep.txt").write_text("do not touch")
    site = make_site(files)
    before = snapshot(tmp_path)
    error = None
    try:
        build(load_config(site), Options(use_cache=False))
    except VestkaError as exc:
        error = exc
    after = snapshot(tmp_path)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the build changed files outside output/: {changed}"
    # Sources may carry "pwn" in their names; anything else named so was written by the build.
    own = ("content", "static", "output")
    stray = [p for p in tmp_path.rglob("*pwn*")
             if not (p.relative_to(tmp_path).parts[:1] == ("site",) and p.relative_to(tmp_path).parts[1:2]
                     and p.relative_to(tmp_path).parts[1].startswith((*own, ".vestka-")))]
    assert not stray, f"written outside output/: {stray}"
    if (site / "output").exists():
        assert output_is_tame(site / "output") == []
    return site, error


def assert_reported(error: VestkaError | None, source: str) -> None:
    assert error is not None, f"the build accepted {source} silently"
    text = "\n".join(str(p) for p in error.problems)
    assert any(p.file == source for p in error.problems), f"no problem names {source}:\n{error}"
    assert source in text


A = "content/en/2011/a.md"


def _a(**front: object) -> dict[str, str]:
    return {A: article("Story", "2011-03-14", **front)}


# --- aliases are written as given, so a bad one must be refused -----------------------------

@pytest.mark.parametrize("alias", [
    "/../../pwn/", "/en/../../../pwn/", "C:/pwn/", "C:\\pwn\\", "\\\\server\\share\\pwn",
    "/a\\..\\..\\pwn/", "/a\0b/", "/en/con/", "/en/AUX.html", "/en/lpt1/x/", "/en/x./", "/en/x /",
    "/%2e%2e/%2e%2e/pwn/", "/x/%2E%2E%2F%2E%2E%2Fpwn.html", "/x/%2e%2e%5c%2e%2e%5cpwn/", "/x/..%2fpwn/",
    "/%00/pwn/", "/.vestka-manifest.json", "/.htaccess", "/.git/config",
])
def test_an_alias_that_tries_to_escape_or_clobber_is_reported(tmp_path: Path, make_site, alias: str) -> None:
    site, error = attempt(tmp_path, make_site, _a(aliases=[alias]))
    assert_reported(error, A)


def test_an_absolute_file_system_path_as_alias_is_reported(tmp_path: Path, make_site) -> None:
    target = tmp_path / "victim" / "pwn"
    site, error = attempt(tmp_path, make_site, _a(aliases=[str(target) + "/"]))
    # "/tmp/.../victim/pwn/" is a valid site path; it must land inside output/, never at that place.
    assert not target.exists()
    if error is None:
        assert (site / "output" / str(target).lstrip("/") / "index.html").is_file()


# --- slugs, tags and authors are slugified; they may build, but only into tame names ---------

@pytest.mark.parametrize("front", [
    {"slug": "../../pwn"}, {"slug": "/etc/pwn"}, {"slug": "..\\..\\pwn"}, {"slug": "%2e%2e/%2e%2e/pwn"},
    {"slug": "CON"}, {"slug": "nul.txt"}, {"slug": "a\0pwn"}, {"slug": "."}, {"slug": ".."}, {"slug": "COM1"},
    {"tags": ["../../pwn", "/etc/pwn", "..\\pwn", "%2e%2e", "NUL", "aux", ".", "..", "a\0b"]},
    {"authors": ["../../pwn", "C:\\pwn", "PRN", "%2E%2E%2Fpwn", "lpt9"]},
    {"lang": "../pwn"}, {"template": "../../../../pwn.html"}, {"image": "../../../../pwn"},
    {"translation_key": "../../pwn"},
])
def test_slug_tag_and_author_names_never_leave_output(tmp_path: Path, make_site, front: dict) -> None:
    site, error = attempt(tmp_path, make_site, _a(**front))
    if error is not None:
        assert_reported(error, A)


def test_slugs_in_unicode_mode_never_leave_output(tmp_path: Path, make_site) -> None:
    from conftest import BASIC_CONFIG

    files = {"config.yaml": BASIC_CONFIG + "slugs: unicode\n",
             A: article("Story", "2011-03-14", slug="..／..／pwn", tags=["..\\pwn", "ＣＯＮ", "‥"])}
    site, error = attempt(tmp_path, make_site, files)
    if error is not None:
        assert_reported(error, A)


# --- files under content/ and static/ keep their names, so bad names must be refused ---------

@pytest.mark.parametrize("name", ["con.txt", "NUL", "Aux.JPG", "com1.png", "lpt3", "a\\..\\..\\pwn.txt",
                                  "trailing.", "trailing "])
def test_an_asset_with_a_dangerous_name_is_reported(tmp_path: Path, make_site, name: str) -> None:
    source = f"content/en/2011/{name}"
    site, error = attempt(tmp_path, make_site, {**_a(), source: b"data"})
    assert_reported(error, source)


@pytest.mark.parametrize("name", ["con.css", "a\\..\\pwn.css", "PRN.js"])
def test_a_static_file_with_a_dangerous_name_is_reported(tmp_path: Path, make_site, name: str) -> None:
    source = f"static/{name}"
    site, error = attempt(tmp_path, make_site, {**_a(), source: b"data"})
    assert_reported(error, source)


def test_a_markdown_file_named_like_a_device_builds_under_a_tame_name(tmp_path: Path, make_site) -> None:
    site, error = attempt(tmp_path, make_site, {"content/en/2011/con.md": article("Device", "2011-03-14")})
    assert error is None, str(error)
    assert (site / "output/en/2011/03/con-1/index.html").is_file()


def test_a_literal_percent_name_stays_a_literal_file_inside_output(tmp_path: Path, make_site) -> None:
    site, error = attempt(tmp_path, make_site, {**_a(), "content/en/img/%2e%2e": b"x"})
    assert error is None, str(error)
    assert (site / "output/en/img/%2e%2e").read_bytes() == b"x"


# --- names that differ only by case clash on case-insensitive file systems -------------------

def test_two_assets_differing_only_in_case_are_reported_with_both_files(tmp_path: Path, make_site) -> None:
    site, error = attempt(tmp_path, make_site, {**_a(), "content/en/img/Photo.png": b"1",
                                                "content/en/img/photo.png": b"2"})
    assert_reported(error, "content/en/img/photo.png")
    assert "content/en/img/Photo.png" in str(error)


def test_two_static_files_differing_only_in_case_are_reported_with_both_files(tmp_path: Path, make_site) -> None:
    site, error = attempt(tmp_path, make_site, {**_a(), "static/Site.css": b"1", "static/site.CSS": b"2"})
    assert error is not None
    assert "static/Site.css" in str(error) and "static/site.CSS" in str(error), str(error)
    assert all(p.file.startswith("static/") for p in error.problems), str(error)


def test_pages_whose_urls_differ_only_in_case_are_reported(tmp_path: Path, make_site) -> None:
    files = {"content/en/pages/About.md": article("About", "2011-03-14"),
             "content/en/pages/about.md": article("about", "2011-03-14")}
    site, error = attempt(tmp_path, make_site, files)
    assert error is not None
    assert "content/en/pages/About.md" in str(error) and "content/en/pages/about.md" in str(error)


def test_an_asset_file_where_a_page_needs_a_folder_of_another_case_is_reported(tmp_path: Path, make_site) -> None:
    site, error = attempt(tmp_path, make_site, {**_a(), "content/en/2011/03/A": b"x"})
    assert error is not None
    assert "content/en/2011/03/A" in str(error) and A in str(error), str(error)


# --- symbolic links inside content/ and static/ ----------------------------------------------

def test_links_out_of_the_site_are_skipped_and_reported(tmp_path: Path, make_site) -> None:
    secret = tmp_path / "victim" / "secret.md"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(article("SECRET-TITLE", "2011-03-14", "SECRET-BODY"))
    (tmp_path / "victim" / "passwd").write_text("SECRET-PASSWD")
    site = make_site(_a())
    links = {"content/en/2011/evil.md": secret, "content/en/2011/passwd": tmp_path / "victim" / "passwd",
             "content/en/outside": tmp_path / "victim", "static/evil.css": tmp_path / "victim" / "passwd",
             "content/en/2011/abs.md": Path("/etc/hostname")}
    for rel, target in links.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).symlink_to(target)
    result = build(load_config(site), Options(use_cache=False))
    output = site / "output"
    for path in output.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"SECRET" not in data, f"{path} carries a file from outside the site"
    assert output_is_tame(output) == []
    warned = {p.file for p in result.problems}
    assert set(links) <= warned, f"links not reported: {set(links) - warned}"


def test_a_link_loop_inside_content_ends_and_does_not_multiply_pages(tmp_path: Path, make_site) -> None:
    """Links that point back up (loop -> ..) must not be walked forever nor copy the site into itself.

    Built in a child process with a time limit, so that an endless walk fails the test instead of hanging it.
    """
    site = make_site(_a())
    (site / "content/en/2011/loop").symlink_to("..")  # content/en/2011/loop -> content/en
    (site / "content/en/self").symlink_to(".")
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", "--site", str(site), "--no-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the build walked a link loop for more than 30 s")
    if proc.returncode != 0:
        assert "Traceback" not in err, err[-3000:]
        assert "content/en/2011/loop" in err or "content/en/self" in err, err[-3000:]
        return
    assert "Built 1 pages" in out, out
    assert output_is_tame(site / "output") == []
    copies = [p for p in (site / "output").rglob("*") if "loop" in p.parts or "self" in p.parts]
    assert not copies, copies[:5]


def test_an_output_folder_that_is_a_link_is_refused(tmp_path: Path, make_site) -> None:
    site = make_site(_a())
    (tmp_path / "victim").mkdir(exist_ok=True)
    (tmp_path / "victim" / "keep.txt").write_text("do not touch")
    (site / "output").symlink_to(tmp_path / "victim")
    with pytest.raises(VestkaError):
        build(load_config(site), Options(use_cache=False))
    assert sorted(p.name for p in (tmp_path / "victim").iterdir()) == ["keep.txt"]


def test_an_output_folder_not_made_by_vestka_is_left_alone(tmp_path: Path, make_site) -> None:
    site = make_site({**_a(), "output/thesis.docx": b"years of work"})
    with pytest.raises(VestkaError) as caught:
        build(load_config(site), Options(use_cache=False))
    assert "not made by Vestka" in str(caught.value)
    assert (site / "output/thesis.docx").read_bytes() == b"years of work"


def test_an_output_folder_containing_the_site_is_refused(tmp_path: Path, make_site) -> None:
    import dataclasses

    site = make_site(_a())
    config = dataclasses.replace(load_config(site), output_override=tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(VestkaError):
        build(config, Options(use_cache=False))
    assert snapshot(tmp_path) == before


def test_the_html_importer_skips_a_link_out_of_its_source_with_a_warning(tmp_path: Path) -> None:
    from generator.config import parse_config
    from generator.importer import run_import

    secret = tmp_path / "private" / "secret.html"
    secret.parent.mkdir()
    secret.write_text("<html><body><article><h1>Secret</h1><p>" + "Private notes of a lawyer. " * 20
                      + "</p></article></body></html>")
    source = tmp_path / "pages"
    (source / "news").mkdir(parents=True)
    (source / "news" / "leak.html").symlink_to(secret)
    (source / "news" / "inside.html").symlink_to(source / "real.html")
    (source / "real.html").write_text("<html><body><article><h1>Real</h1><p>" + "Public report text. " * 20
                                      + "</p></article></body></html>")
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    config = parse_config("title: T\nlanguages:\n  - {code: en, name: English}\n", site)

    report = run_import("html", [source], config, lang="en")

    assert [str(w) for w in report.warnings if "leak" in w.file] == [
        "news/leak.html: warning: a symbolic link to a file outside the import source; skipped — copy the "
        "file into the folder being imported if it belongs there"]
    written = "".join(p.read_text() for p in (site / "content").rglob("*.md"))
    assert "Private notes" not in written
    assert "Public report text" in written


# --- failures that must be clear errors, leave output/ as it was, and not wedge later builds ------------

LONG = "x" * 300


def _output_state(site: Path) -> dict[str, bytes]:
    out = site / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _fails_cleanly(site: Path, *, file: str, line: int | None, words: str) -> None:
    """A CLI build of `site` exits 1 with `file[:line]: error: …words…`, output/ untouched."""
    before = _output_state(site)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "generator", "build", "--site", str(site)], env=env,
                          capture_output=True, text=True, timeout=120)
    where = f"{file}:{line}" if line else file
    assert proc.returncode == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert f"{where}: error: " in proc.stderr and words in proc.stderr, proc.stderr
    assert _output_state(site) == before


@pytest.mark.parametrize(("pattern", "words"), [
    ("/{year}/./{slug}/", "'.' or '..' segment"), ("/{year}/.x/{slug}/", "hidden name"),
    ("/con/{slug}/", "reserved name 'con'"), ("/a\\tb/{slug}/", "control character"),
    ("/a\\nb/{slug}/", "control character"), ("/a\\0b/{slug}/", "NUL"),
    ("/news./{slug}/", "ending in a dot"), ("/ /{slug}/", "ending in a dot or space"),
    (f"/{LONG}/{{slug}}/", "longer than 255 bytes"), ("/a\\x7f/{slug}/", "control character"),
    ("/a\\x85/{slug}/", "control character"), ("/a\\u202e/{slug}/", "control character"),
])
def test_an_unsafe_permalink_is_a_config_error_with_its_line(tmp_path: Path, make_site, pattern: str,
                                                             words: str) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    (site / "config.yaml").write_text((site / "config.yaml").read_text() + f'permalinks:\n  article: "{pattern}"\n')
    line = (site / "config.yaml").read_text().count("\n")

    _fails_cleanly(site, file="config.yaml", line=line, words=words)


@pytest.mark.parametrize(("alias", "words"), [
    (f"/old/{LONG}/", "longer than 255 bytes"), ("/old/a\\x7fb.html", "control character"),
    ("/old/a\\x85b.html", "control character"), ("/old/gpj\\u202eexe.html", "control character"),
    ("/old/" + "ж" * 128 + "/", "longer than 255 bytes"),
])
def test_an_unsafe_alias_is_an_error_with_its_line_and_the_next_build_works(tmp_path: Path, make_site,
                                                                            alias: str, words: str) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    (site / "content/en/2011/a.md").write_text(f'---\ntitle: A\ndate: 2011-03-14\naliases: ["{alias}"]\n---\n\nx\n')

    _fails_cleanly(site, file="content/en/2011/a.md", line=4, words=words)

    (site / "content/en/2011/a.md").write_text('---\ntitle: Fixed\ndate: 2011-03-14\naliases: ["/old/a.html"]\n---\n\nx\n')
    build(load_config(site), Options())
    assert (site / "output/old/a.html").is_file()


@pytest.mark.parametrize("name", ["a\x7fb.css", "a\x85b.css", "gpj\u202eexe.css"])
def test_a_static_file_with_a_control_character_in_its_name_is_an_error(tmp_path: Path, make_site,
                                                                       name: str) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / name).write_text("body {}")

    _fails_cleanly(site, file=f"static/{name}", line=None, words="control character")


@pytest.mark.parametrize("folder", ["content/en", "static"])
def test_a_symlink_loop_pair_is_an_error_naming_both_links(tmp_path: Path, make_site, folder: str) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    (site / folder).mkdir(parents=True, exist_ok=True)
    (site / folder / "a").symlink_to("b")
    (site / folder / "b").symlink_to("a")

    _fails_cleanly(site, file=f"{folder}/a", line=None, words="symbolic link loop")
    _fails_cleanly(site, file=f"{folder}/b", line=None, words="symbolic link loop")

    (site / folder / "a").unlink()
    (site / folder / "b").unlink()
    build(load_config(site), Options())


def test_a_wordpress_link_with_a_300_byte_segment_is_imported_without_that_alias_and_a_warning(tmp_path: Path, make_site) -> None:
    from generator.importer import run_import

    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    export = tmp_path / "export.xml"
    export.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<title>W</title><link>https://w.example.org</link><language>en</language><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Long link</title><link>https://w.example.org/2012/05/{LONG}/</link>
<content:encoded><![CDATA[<p>Text.</p>]]></content:encoded><wp:post_id>1</wp:post_id>
<wp:post_date><![CDATA[2012-05-15 13:45:53]]></wp:post_date><wp:post_name><![CDATA[long-link]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type></item></channel></rss>""")
    report = run_import("wordpress", [export], load_config(site), lang="en")

    [warned] = [str(w) for w in report.warnings if "longer than 255 bytes" in w.message]
    assert warned.startswith("export.xml#1: warning: old URL path '/2012/05/xxx") and "no redirect page made" in warned
    build(load_config(site), Options())  # the item is imported without the unusable alias
    assert (site / "output/en/2012/long-link/index.html").is_file() or any(
        "long-link" in p.as_posix() for p in (site / "output").rglob("index.html"))


def test_a_theme_include_that_is_missing_names_the_including_template_and_says_not_found(
        tmp_path: Path, make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "themes/t/templates/article.html": '{% extends "base.html" %}{% block main %}\n'
                                                         '{% include "partials/nope.html" %}{% endblock %}'})
    build(load_config(site), Options())  # the default theme
    (site / "config.yaml").write_text((site / "config.yaml").read_text() + "theme: t\n")

    _fails_cleanly(site, file="templates/article.html", line=2, words="includes 'partials/nope.html', which is not found")
