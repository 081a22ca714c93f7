"""`vestka serve`'s build session: its quick updates must give the bytes of clean builds."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

from conftest import BASIC_CONFIG, age_files, article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_incremental import Site, operation, tree

from generator import watch
from generator.build import Options, build
from generator.config import load_config
from generator.manifest import MANIFEST
from generator.search_behind import index_behind
from generator.session import QUICK, Session
from generator.theme import builtin_theme_dir

#: Appends a paragraph: what other pages show of the article (its first paragraph) stays.
append = st.tuples(st.just("append"), st.integers(0, 9), st.text("abc xyz\nсуд палітвязняў", min_size=1, max_size=30))
#: The search index of a serve build is brought up to date by the build after it.
_INDEX = re.compile(r"^[a-z]+/search/index/")


class ServedSite(Site):
    """The property test's site, with the edit an editor makes most: a paragraph added at the end."""

    def apply(self, op: tuple) -> None:
        if op[0] != "append":
            return super().apply(op)
        n, text = op[1], op[2]
        if n in self.articles:
            self.articles[n]["body"] += "\n\n" + (" ".join(text.split()) or "x")
            self.write(n)


def without_index(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files but the search index, and the manifest's lines but those of the index."""
    kept = {path: data for path, data in files.items() if not _INDEX.match(path)}
    listed = json.loads(kept.pop(MANIFEST))["files"]
    kept[MANIFEST] = json.dumps({path: digest for path, digest in listed.items() if not _INDEX.match(path)}).encode()
    return kept


def clean_build(config, folder: Path) -> dict[str, bytes]:
    shutil.rmtree(folder, ignore_errors=True)
    build(dataclasses.replace(config, output_override=folder), Options(use_cache=False))
    return tree(folder)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.one_of(operation, *[append] * 6), min_size=1, max_size=8))
def test_a_serve_session_gives_the_bytes_of_clean_builds(tmp_path_factory, ops):
    """As `vestka serve` drives it: the changed files found by the watcher, the search index
    deferred, then brought up to date by the next full build."""
    base = tmp_path_factory.mktemp("session")
    site = ServedSite(base / "site")
    site.apply(("add", 0, "en", 0, 0))
    site.apply(("add", 1, "ru", 3, 2))
    site.apply(("add", 2, "be", 4, 3))
    roots = watch.Roots(site.root, builtin_theme_dir())
    config = dataclasses.replace(load_config(site.root), output_override=base / "preview")
    session = Session()
    session.build(config, Options(defer_search=True))
    snapshot = watch.scan(roots)
    for op in ops:
        site.apply(op)
        new = watch.scan(roots)
        batch = watch.classify(watch.changed_files(snapshot, new), roots, config.ignore)
        snapshot = new
        session.build(config, Options(defer_search=True), batch.paths)
        clean = clean_build(config, base / "clean")
        assert without_index(tree(base / "preview")) == without_index(clean), f"the preview differs after {op}"
        session.update_index(config, Options())  # what `vestka serve` runs after a quiet spell
        assert tree(base / "preview") == clean, f"the preview differs after {op} and the index update"


def test_a_text_edit_is_a_quick_update_of_the_page_and_its_feeds(make_site, tmp_path):
    root = make_site({
        "content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z", "First paragraph."),
        "content/en/2020/b.md": article("Beta", "2020-01-02T00:00:00Z", "Other text."),
    })
    age_files(root)
    config = dataclasses.replace(load_config(root), output_override=tmp_path / "preview")
    session = Session()
    session.build(config, Options())
    page = tmp_path / "preview/en/2020/01/a/index.html"
    (root / "content/en/2020/a.md").write_text(
        article("Alpha", "2020-01-01T00:00:00Z", "First paragraph.\n\nA second paragraph, new."), encoding="utf-8")

    result = session.build(config, Options(), ["content/en/2020/a.md"])

    assert list(result.timings) == [QUICK], "the save went through the full build"
    assert "A second paragraph, new." in page.read_text(encoding="utf-8")
    # The article's page and the language's feeds that carry its text, nothing else.
    assert result.files_written == 1 + sum(1 for job in session.memory.plan.feeds if "content/en/2020/a.md" in job.inputs.items)
    assert tree(tmp_path / "preview") == clean_build(config, tmp_path / "clean")
    # A later build of the same folder starts from a manifest that names the new bytes.
    age_files(root)
    build(config, Options())
    assert tree(tmp_path / "preview") == clean_build(config, tmp_path / "clean")


def test_a_change_other_pages_show_runs_the_full_build(make_site, tmp_path):
    root = make_site({
        "content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z", "First paragraph."),
        "content/en/2020/b.md": article("Beta", "2020-01-02T00:00:00Z", "See [gone](/en/nowhere/).\n\nEnd."),
    })
    config = dataclasses.replace(load_config(root), output_override=tmp_path / "preview")
    session = Session()
    session.build(config, Options())
    edits = {
        "a title": ("content/en/2020/a.md", article("Alpha 2", "2020-01-01T00:00:00Z", "First paragraph.")),
        # The summary list pages show, when the front matter has none.
        "the first paragraph": ("content/en/2020/a.md", article("Alpha 2", "2020-01-01T00:00:00Z", "New start.")),
        "a new link": ("content/en/2020/a.md", article("Alpha 2", "2020-01-01T00:00:00Z", "New start.\n\n[b](/en/)")),
        # The broken link's warning names another line now.
        "a warning's line": ("content/en/2020/b.md",
                             article("Beta", "2020-01-02T00:00:00Z", "Intro.\n\nSee [gone](/en/nowhere/).\n\nEnd.")),
    }
    for what, (rel, text) in edits.items():
        (root / rel).write_text(text, encoding="utf-8")
        result = session.build(config, Options(), [rel])
        assert QUICK not in result.timings and "discover" in result.timings, f"{what}: no full build"
        assert tree(tmp_path / "preview") == clean_build(config, tmp_path / "clean"), what
    warning = [p for p in result.problems if p.file == "content/en/2020/b.md"]
    assert [p.line for p in warning] == [8], warning
    # And the text edit after them is quick again, its warnings those of the full build.
    (root / "content/en/2020/b.md").write_text(
        article("Beta", "2020-01-02T00:00:00Z", "Intro.\n\nSee [gone](/en/nowhere/).\n\nEnd, and more."),
        encoding="utf-8")
    result = session.build(config, Options(), ["content/en/2020/b.md"])
    assert list(result.timings) == [QUICK]
    assert [p for p in result.problems if p.file == "content/en/2020/b.md"] == warning


def test_a_failed_build_forgets_the_session(make_site, tmp_path):
    root = make_site({"content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z", "First paragraph.")})
    config = dataclasses.replace(load_config(root), output_override=tmp_path / "preview")
    session = Session()
    session.build(config, Options())
    (root / "content/en/2020/b.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    try:
        session.build(config, Options(), ["content/en/2020/b.md"])
    except Exception:
        pass
    else:
        raise AssertionError("a broken file must fail the build")
    assert session.memory is None
    (root / "content/en/2020/b.md").unlink()
    (root / "content/en/2020/a.md").write_text(
        article("Alpha", "2020-01-01T00:00:00Z", "First paragraph.\n\nMore."), encoding="utf-8")
    result = session.build(config, Options(), ["content/en/2020/a.md"])
    assert "discover" in result.timings and session.memory is not None


def test_a_build_stopped_by_the_server_keeps_the_session(make_site, tmp_path):
    """`vestka serve` stops a search index update when a save comes: that save is still quick."""

    class Stopped(Exception):
        pass

    def stop_at_plan(stage: str, done: int, total: int) -> None:
        if stage.startswith("plan"):
            raise Stopped

    root = make_site({"content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z", "First paragraph.")})
    config = dataclasses.replace(load_config(root), output_override=tmp_path / "preview")
    session = Session(stopped=Stopped)
    session.build(config, Options())
    (root / "content/en/2020/a.md").write_text(
        article("Alpha", "2020-01-01T00:00:00Z", "First paragraph.\n\nMore."), encoding="utf-8")
    try:
        session.build(config, Options(progress=stop_at_plan))
    except Stopped:
        pass
    else:
        raise AssertionError("the build was not stopped at its plan stage")
    assert session.memory is not None
    result = session.build(config, Options(), ["content/en/2020/a.md"])
    assert list(result.timings) == [QUICK]
    assert tree(tmp_path / "preview") == clean_build(config, tmp_path / "clean")


def test_the_index_update_after_a_quick_update_patches_the_index_in_the_session(make_site, tmp_path):
    root = make_site({
        "config.yaml": BASIC_CONFIG.replace("search: false", "search: true"),
        "content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z", "First paragraph."),
        "content/en/2020/b.md": article("Beta", "2020-01-02T00:00:00Z", "Other text."),
    })
    config = dataclasses.replace(load_config(root), output_override=tmp_path / "preview")
    session = Session()
    session.build(config, Options(defer_search=True))
    (root / "content/en/2020/a.md").write_text(
        article("Alpha", "2020-01-01T00:00:00Z", "First paragraph.\n\nThe zephyrquokka spoke."), encoding="utf-8")
    assert list(session.build(config, Options(defer_search=True), ["content/en/2020/a.md"]).timings) == [QUICK]
    assert index_behind(config)

    result = session.update_index(config, Options())

    assert list(result.timings) == ["search index"], "the index was updated by a full build"
    assert result.files_written and not index_behind(config)
    assert tree(tmp_path / "preview") == clean_build(config, tmp_path / "clean")
