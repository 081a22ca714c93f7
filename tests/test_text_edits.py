"""`vestka build` after a text edit: only the edited page, its feeds and its index terms are redone."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
from datetime import UTC
from pathlib import Path

from conftest import BASIC_CONFIG, age_files, article

from generator.build import Options, build
from generator.config import load_config
from generator.incremental.text_edits import SNAPSHOT_SUFFIX


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def make(make_site, **extra: str) -> Path:
    files = {"config.yaml": BASIC_CONFIG.replace("search: false", "search: true")}
    for n in range(6):
        lang = ("en", "ru")[n % 2]
        files[f"content/{lang}/2011/a{n}.md"] = article(
            f"Article {n}", f"2011-03-{10 + n}", f"First paragraph {n}.\n\nSecond paragraph about courts {n}.",
            tags=["Courts"], translation_key=f"story-{n // 2}")
    files.update(extra)
    return make_site(files)


def append(site: Path, rel: str, text: str) -> None:
    path = site / rel
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def clean_build(site: Path, into: Path) -> dict[str, bytes]:
    shutil.rmtree(into, ignore_errors=True)
    build(dataclasses.replace(load_config(site), output_override=into), Options(use_cache=False))
    return tree(into)


def built(site: Path, **options) -> tuple[dict, dict[str, bytes]]:
    result = build(load_config(site), Options(**options))
    return result, tree(load_config(site).output_dir)


def test_a_text_edit_takes_the_text_edit_path_and_gives_the_bytes_of_a_clean_build(make_site, tmp_path):
    site = make(make_site)
    first = build(load_config(site), Options())
    age_files(site)
    append(site, "content/en/2011/a0.md", "A new paragraph about палітвязні and repressions.")
    result, output = built(site)
    # Nothing of the archive was read, assembled or planned: discovery, then the text edit.
    assert list(result.timings) == ["discover", "text edits"]
    assert output == clean_build(site, tmp_path / "clean")
    assert result.problems == first.problems
    page = (load_config(site).output_dir / "en/2011/03/a0/index.html").read_text(encoding="utf-8")
    assert "палітвязні and repressions" in page
    # The search index has its new terms: the words are in a term shard of the English index.
    index = load_config(site).output_dir / "en/search/index/t"
    assert any("repress" in p.read_text(encoding="utf-8") for p in index.iterdir())


def test_text_edits_one_after_another_build_on_each_other(make_site, tmp_path):
    """A feed carries the text of every article in it: the second edit's feed must show the first's text."""
    site = make(make_site)
    build(load_config(site), Options())
    age_files(site)
    append(site, "content/en/2011/a0.md", "First addition.")
    assert list(built(site)[0].timings) == ["discover", "text edits"]
    age_files(site)
    append(site, "content/en/2011/a2.md", "Second addition.")
    result, output = built(site)
    assert list(result.timings) == ["discover", "text edits"]
    assert output == clean_build(site, tmp_path / "clean")
    feed = (load_config(site).output_dir / "en/feed.xml").read_text(encoding="utf-8")
    assert "First addition." in feed and "Second addition." in feed
    # And the full build after them starts from what they left.
    age_files(site)
    (site / "content/en/2011/a4.md").write_text(article("Renamed", "2011-03-14", "Other text."), encoding="utf-8")
    result, output = built(site)
    assert "read+markdown" in result.timings
    assert output == clean_build(site, tmp_path / "clean")


def test_a_change_other_pages_show_takes_the_full_build(make_site, tmp_path):
    site = make(make_site)
    build(load_config(site), Options())
    for change in ("First paragraph 0.", "Другі загаловак"):
        age_files(site)
        path = site / "content/en/2011/a0.md"
        if change.startswith("First"):  # the summary lists show
            path.write_text(path.read_text(encoding="utf-8").replace(change, "A new first paragraph."),
                            encoding="utf-8")
        else:  # the title
            path.write_text(path.read_text(encoding="utf-8").replace("Article 0", change), encoding="utf-8")
        result, output = built(site)
        assert "text edits" in result.timings and "read+markdown" in result.timings
        assert output == clean_build(site, tmp_path / "clean")


def test_a_text_edit_that_changes_a_warning_takes_the_full_build(make_site, tmp_path):
    site = make(make_site)
    build(load_config(site), Options())
    age_files(site)
    append(site, "content/en/2011/a0.md", "![](/nowhere.jpg)")  # a new image: the links changed
    result, _ = built(site)
    assert "read+markdown" in result.timings
    assert any("nowhere.jpg" in p.message for p in result.problems)
    age_files(site)
    path = site / "content/en/2011/a0.md"
    # The same broken image, two lines lower: the warning names another line.
    path.write_text(path.read_text(encoding="utf-8").replace("![](/nowhere.jpg)", "More.\n\nText.\n\n![](/nowhere.jpg)"),
                    encoding="utf-8")
    result, output = built(site)
    assert "text edits" in result.timings and "read+markdown" in result.timings
    assert output == clean_build(site, tmp_path / "clean")
    lines = [p.line for p in result.problems if "nowhere.jpg" in p.message]
    age_files(site)
    append(site, "content/en/2011/a0.md", "A plain paragraph.")  # the warnings as they were: a text edit
    result, output = built(site)
    assert list(result.timings) == ["discover", "text edits"]
    assert [p.line for p in result.problems if "nowhere.jpg" in p.message] == lines != []
    assert output == clean_build(site, tmp_path / "clean")


def test_without_the_snapshot_of_the_last_build_a_text_edit_takes_the_full_build(make_site, tmp_path):
    site = make(make_site)
    build(load_config(site), Options())
    cache = load_config(site).cache_dir
    (snapshot,) = cache.glob(f"output-*{SNAPSHOT_SUFFIX}")
    for damage in ("missing", "damaged"):
        if damage == "missing":
            snapshot.unlink()
        else:
            data = bytearray(snapshot.read_bytes())
            data[len(data) // 2] ^= 0xFF
            snapshot.write_bytes(bytes(data))
        age_files(site)
        append(site, "content/en/2011/a0.md", f"Addition when {damage}.")
        result, output = built(site)
        assert "text edits" in result.timings and "read+markdown" in result.timings
        assert output == clean_build(site, tmp_path / "clean")


def test_a_strict_build_a_file_edited_in_output_or_a_due_article_take_the_full_build(make_site, tmp_path):
    site = make(make_site, **{"content/en/2011/later.md": article("Later", "2099-01-01", "Scheduled.")})
    build(load_config(site), Options())
    age_files(site)
    append(site, "content/en/2011/a0.md", "Strict addition.")
    assert "read+markdown" in built(site, strict=True)[0].timings
    age_files(site)
    output_dir = load_config(site).output_dir
    (output_dir / "en/2011/03/a2/index.html").write_text("edited by hand", encoding="utf-8")
    append(site, "content/en/2011/a0.md", "Addition beside a hand edit.")
    result, output = built(site)
    assert "read+markdown" in result.timings
    assert output == clean_build(site, tmp_path / "clean")
    age_files(site)
    append(site, "content/en/2011/a0.md", "Addition when the scheduled article is due.")
    from datetime import datetime
    result = build(load_config(site), Options(now=datetime(2100, 1, 1, tzinfo=UTC)))
    assert "read+markdown" in result.timings


def test_a_text_edit_interrupted_before_its_state_is_saved_is_made_again(make_site, tmp_path, monkeypatch):
    site = make(make_site)
    build(load_config(site), Options())
    age_files(site)
    append(site, "content/en/2011/a0.md", "Interrupted addition.")
    from generator.incremental import Incremental

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Incremental, "save_edited", interrupted)
    with contextlib.suppress(KeyboardInterrupt):
        build(load_config(site), Options())
    monkeypatch.undo()
    result, output = built(site)
    assert output == clean_build(site, tmp_path / "clean")
    assert os.path.exists(load_config(site).output_dir / "en/2011/03/a0/index.html")


def test_the_vestka_command_keeps_the_site_in_a_forked_child_and_takes_the_text_edit_path(make_site, tmp_path):
    """In a fresh interpreter without threads, the snapshot is written by a forked child (the
    test process runs threads, so its own builds write it in-process)."""
    import subprocess
    import sys

    site = make(make_site)
    root = Path(__file__).resolve().parents[1]

    def vestka(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "generator", *args, "--site", str(site)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(root)}, check=True)
        return done.stdout

    vestka("build")
    snapshots = list(load_config(site).cache_dir.glob(f"output-*{SNAPSHOT_SUFFIX}"))
    assert len(snapshots) == 1 and snapshots[0].stat().st_size > 0
    assert not list(load_config(site).cache_dir.glob("*.tmp"))  # written in full, renamed into place
    age_files(site)
    append(site, "content/ru/2011/a1.md", "Новы абзац пра суд.")
    out = vestka("build", "-v")
    assert "text edits" in out and "read+markdown" not in out
    assert tree(load_config(site).output_dir) == clean_build(site, tmp_path / "clean")


def test_warnings_are_kept_whatever_the_output_folder_is_called(make_site, tmp_path):
    """The last build's warnings are reported again but for its write stage's, told apart by
    where they came from, not by their path: here output/ is called `content` too."""
    site = make(make_site, **{"content/en/2011/broken.md": article(
        "Broken", "2011-03-30", "First.\n\nA [link](/nowhere/) and ![](/missing.jpg).")})
    into = tmp_path / "www" / "content"
    config = dataclasses.replace(load_config(site), output_override=into)
    first = build(config, Options())
    assert any("/nowhere/" in p.message for p in first.problems)
    (into / "added-by-hand.txt").write_text("not made by the build\n", encoding="utf-8")
    second = build(config, Options())  # a full one: reports the file added by hand
    assert any("added-by-hand.txt" in p.file for p in second.problems)
    (into / "added-by-hand.txt").unlink()
    append(site, "content/en/2011/a0.md", "A paragraph.")
    age_files(site)  # the edit too: the build after the next one is then a no-op
    third = build(config, Options())
    assert list(third.timings) == ["discover", "text edits"]
    assert third.problems == [p for p in second.problems if "added-by-hand.txt" not in p.file]
    fourth = build(config, Options())
    assert list(fourth.timings) == ["discover"] and fourth.problems == third.problems


def test_a_body_missing_from_the_page_cache_makes_the_full_build_run(make_site, tmp_path):
    site = make(make_site)
    build(load_config(site), Options())
    cache = load_config(site).cache_dir
    for shard in cache.glob("bodies-*.bin"):  # every body gone from the cache, and the search index
        shard.unlink()
    shutil.rmtree(cache / "search")
    age_files(site)
    append(site, "content/en/2011/a0.md", "A paragraph when the cache is damaged.")
    result, output = built(site)
    assert "text edits" in result.timings and "read+markdown" in result.timings
    assert output == clean_build(site, tmp_path / "clean")


def test_the_build_command_called_in_a_process_that_goes_on_leaves_garbage_collection_on(make_site):
    """Only `entry` (the `vestka` command, which ends with the build) turns collection off."""
    import gc

    from generator import cli

    site = make(make_site)
    assert gc.isenabled()
    assert cli.main(["build", "--site", str(site), "-q"]) == 0
    assert gc.isenabled()
