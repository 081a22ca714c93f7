"""Vestka's state lives in .vestka-cache/, and a build repairs output files edited by hand."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import age_files, article

from generator import parallel, write
from generator.build import Options, build
from generator.config import load_config
from generator.errors import ContentError

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def vestka(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, env=ENV,
                          timeout=300)


def small_site(make_site) -> Path:
    site = make_site({
        f"content/en/2011/a{n}.md": article(f"Article {n}", f"2011-03-{10 + n:02d}", f"Text {n}.", tags=["X"])
        for n in range(4)
    })
    age_files(site)
    return site


def listed(output: Path) -> dict[str, str]:
    return json.loads((output / ".vestka-manifest.json").read_text(encoding="utf-8"))["files"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_deploy_refuses_a_hand_edited_file_until_a_build_repairs_it(make_site, tmp_path):
    site = small_site(make_site)
    output = site / "output"
    assert vestka("build", "--site", str(site)).returncode == 0
    assert vestka("build", "--site", str(site)).returncode == 0  # a second build: the spare shares inodes
    good = (output / "index.html").read_bytes()
    with open(output / "index.html", "ab") as handle:  # in place: the build before last shares this inode
        handle.write(b"x\n")
    target = tmp_path / "www"
    refused = vestka("deploy", "--site", str(site), f"file://{target}")
    assert refused.returncode != 0
    assert "index.html: error: changed after the build" in refused.stderr
    assert not (target / "index.html").exists()

    result = build(load_config(site), Options())
    assert "render+write" in result.timings  # not the no-op path
    assert result.files_written == 1  # only the edited file, no full rebuild
    assert (output / "index.html").read_bytes() == good
    assert all(sha(output / rel) == digest for rel, digest in listed(output).items())

    deployed = vestka("deploy", "--site", str(site), f"file://{target}")
    assert deployed.returncode == 0, deployed.stderr
    assert (target / "index.html").read_bytes() == good
    again = build(load_config(site), Options())
    assert list(again.timings) == ["discover"]  # repaired, and the next build is a no-op again


def test_a_build_without_cache_repairs_a_hand_edited_file_too(make_site):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options(use_cache=False))
    build(load_config(site), Options(use_cache=False))
    good = (output / "en/2011/03/a1/index.html").read_bytes()
    (output / "en/2011/03/a1/index.html").write_bytes(b"replaced by hand\n")
    result = build(load_config(site), Options(use_cache=False))
    assert result.files_written == 1
    assert (output / "en/2011/03/a1/index.html").read_bytes() == good


def test_a_file_deleted_from_output_comes_back(make_site):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    good = (output / "en/tags/x/index.html").read_bytes()
    (output / "en/tags/x/index.html").unlink()
    result = build(load_config(site), Options())
    assert result.files_written == 1
    assert (output / "en/tags/x/index.html").read_bytes() == good


def test_a_file_touched_but_unchanged_keeps_the_no_op_path(make_site):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    os.utime(output / "index.html")  # new time, same bytes: hashed once, found equal
    result = build(load_config(site), Options())
    assert list(result.timings) == ["discover"]


def test_every_piece_of_state_lives_in_the_cache_folder(make_site):
    site = small_site(make_site)
    for _ in range(2):  # the second build keeps the first as the build before last
        build(load_config(site), Options())
    (site / "content/en/2011/a0.md").write_text(article("Changed", "2011-03-10", "New."), encoding="utf-8")
    build(load_config(site), Options())
    assert sorted(p.name for p in site.iterdir()) == [".vestka-cache", "config.yaml", "content", "output"]
    builds = list((site / ".vestka-cache" / "builds").iterdir())
    assert len(builds) == 1
    assert sorted(p.name for p in builds[0].iterdir()) == ["lock", "previous", "stats.bin"]


def test_state_files_of_an_older_vestka_are_moved_on_the_first_build(make_site):
    site = small_site(make_site)
    build(load_config(site), Options())
    old_spare = site / ".vestka-previous-output"
    shutil.copytree(site / "output", old_spare)
    moved = old_spare.stat().st_ino
    (site / ".vestka-lock-output").write_bytes(b"")
    shutil.rmtree(site / ".vestka-cache" / "builds")  # as an older Vestka left the site
    (site / "content/en/2011/a0.md").write_text(article("Changed", "2011-03-10", "New."), encoding="utf-8")
    result = build(load_config(site), Options())
    assert sorted(p.name for p in site.iterdir()) == [".vestka-cache", "config.yaml", "content", "output"]
    assert (site / "output").stat().st_ino == moved  # the moved folder was filled and swapped in
    spare = next((site / ".vestka-cache" / "builds").iterdir()) / "previous"
    assert (spare / ".vestka-manifest.json").is_file()  # the old output/, kept as the build before last
    assert result.files_written > 0


@pytest.mark.parametrize("apart", [True, False], ids=["forked", "in-process"])
def test_output_checked_in_a_forked_process_finds_what_the_in_process_check_finds(make_site, monkeypatch, tmp_path,
                                                                                   apart):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    build(load_config(site), Options())  # the build before last now shares every inode
    reference = {rel: (output / rel).read_bytes() for rel in listed(output)}
    calls = tmp_path / "compared-in"
    real = write.compare

    def recording(*args):
        with open(calls, "a", encoding="utf-8") as handle:  # a file: the child's memory is its own
            handle.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(write, "compare", recording)
    monkeypatch.setattr(write, "CHECK_APART_FROM", 0 if apart else 10**9)
    with open(output / "index.html", "ab") as handle:  # edited in place
        handle.write(b"x\n")
    (output / "en/tags/x/index.html").unlink()
    os.utime(output / "en/feed.xml")  # touched, same bytes

    result = build(load_config(site), Options())
    assert result.files_written == 2
    assert {rel: (output / rel).read_bytes() for rel in listed(output)} == reference
    again = build(load_config(site), Options())
    assert list(again.timings) == ["discover"]  # the touched file's new time was kept
    checked_in = calls.read_text(encoding="utf-8").split()
    assert len(checked_in) == 2
    assert (str(os.getpid()) not in checked_in) == apart


def test_a_failing_child_leaves_its_task_to_this_process(tmp_path):
    here = os.getpid()
    marks = tmp_path / "marks"

    def task() -> int:
        with open(marks, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
        if os.getpid() != here:
            raise OSError("the child cannot do it")
        return 7

    assert parallel.beside(task, lambda: "meanwhile") == (7, "meanwhile")
    pids = marks.read_text(encoding="utf-8").split()
    assert len(pids) == 2 and pids[1] == str(here) and pids[0] != str(here)


def test_a_failure_meanwhile_is_raised_and_the_child_is_not_left_behind(tmp_path):
    child = tmp_path / "child"

    def task() -> bytes:
        child.write_text(str(os.getpid()), encoding="utf-8")
        return b"x" * (1 << 20)  # more than a pipe holds: the child waits to write

    def failing() -> None:
        while not child.exists() or not child.read_text(encoding="utf-8"):  # written, not only made
            time.sleep(0.01)
        raise ValueError("meanwhile failed")

    with pytest.raises(ValueError, match="meanwhile failed"):
        parallel.beside(task, failing)
    with pytest.raises(ChildProcessError):
        os.waitpid(int(child.read_text(encoding="utf-8")), os.WNOHANG)  # already waited for


def test_a_first_build_leaves_its_files_linked_as_the_build_before_last(make_site):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    spare = write.places_for(output, site / ".vestka-cache").spare
    assert listed(spare) == listed(output)
    assert all((spare / rel).stat().st_ino == (output / rel).stat().st_ino for rel in listed(output))
    (site / "content/en/2011/a1.md").write_text(article("Article 1", "2011-03-11", "New text.", tags=["X"]),
                                                encoding="utf-8")
    before = {rel: (output / rel).stat().st_ino for rel in listed(output)}
    result = build(load_config(site), Options())
    assert result.files_written >= 1
    # Prepared in that folder: a file the edit did not touch keeps its inode in the new output/,
    # and the old output/ is now the build before last, whole.
    after = {rel: (output / rel).stat().st_ino for rel in listed(output)}
    assert after["en/2011/03/a2/index.html"] == before["en/2011/03/a2/index.html"]
    assert after["en/2011/03/a1/index.html"] != before["en/2011/03/a1/index.html"]
    assert (spare / "en/2011/03/a1/index.html").stat().st_ino == before["en/2011/03/a1/index.html"]


def test_a_build_before_last_cut_short_is_not_used(make_site):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    spare = write.places_for(output, site / ".vestka-cache").spare
    (spare / ".vestka-manifest.json").unlink()  # as if the first build had been killed while linking
    (spare / "en/2011/03/a0/index.html").unlink()
    (site / "content/en/2011/a1.md").write_text(article("Article 1", "2011-03-11", "New text.", tags=["X"]),
                                                encoding="utf-8")
    build(load_config(site), Options())
    clean = make_site({**{f"content/en/2011/a{n}.md": article(f"Article {n}", f"2011-03-{10 + n:02d}", f"Text {n}.",
                                                              tags=["X"]) for n in range(4)},
                       "content/en/2011/a1.md": article("Article 1", "2011-03-11", "New text.", tags=["X"])},
                      folder="clean")
    build(load_config(clean), Options())
    assert {rel: (output / rel).read_bytes() for rel in listed(output)} == {
        rel: (clean / "output" / rel).read_bytes() for rel in listed(clean / "output")}


def test_what_a_writing_build_needs_is_looked_for_by_children_it_waits_for(make_site, monkeypatch, tmp_path):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    build(load_config(site), Options())
    (output / "notes.txt").write_text("added by hand\n", encoding="utf-8")
    calls = tmp_path / "looked-in"
    real = write.added_by_hand

    def recording(*args):
        with open(calls, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(write, "added_by_hand", recording)
    monkeypatch.setattr(write, "CHECK_APART_FROM", 0)
    (site / "content/en/2011/a1.md").write_text(article("Article 1", "2011-03-11", "New text.", tags=["X"]),
                                                encoding="utf-8")
    result = build(load_config(site), Options())
    assert any(p.file == "output/notes.txt" for p in result.problems)  # kept, with its warning
    assert (output / "notes.txt").read_text(encoding="utf-8") == "added by hand\n"
    looked_in = calls.read_text(encoding="utf-8").split()
    assert len(looked_in) == 1 and looked_in[0] != str(os.getpid())
    with pytest.raises(ChildProcessError):
        os.waitpid(int(looked_in[0]), os.WNOHANG)  # waited for


def test_a_build_that_fails_ends_the_children_it_started_and_a_no_op_starts_none(make_site, monkeypatch):
    site = small_site(make_site)
    build(load_config(site), Options())
    started: list[int] = []

    class Recording(parallel.Later):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self._child)

    monkeypatch.setattr(write, "Later", Recording)
    monkeypatch.setattr(write, "CHECK_APART_FROM", 0)
    assert list(build(load_config(site), Options()).timings) == ["discover"]
    assert started == []
    (site / "content/en/2011/a1.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    with pytest.raises(ContentError):
        build(load_config(site), Options())
    assert len(started) == 2 and all(started)
    for child in started:
        with pytest.raises(ChildProcessError):
            os.waitpid(child, os.WNOHANG)  # ended and waited for


def test_a_child_still_at_work_when_asked_is_ended_and_its_task_done_here():
    here = os.getpid()

    def task() -> str:
        if os.getpid() != here:
            time.sleep(30)  # a child starved at the lowest priority
        return f"done in {os.getpid()}"

    later = parallel.Later(task)
    child = later._child
    assert child
    assert later.result() == f"done in {here}"
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # killed and waited for, not left sleeping


def test_a_waited_child_still_at_work_when_asked_is_waited_for_not_redone_here():
    here = os.getpid()

    def task() -> int:
        if os.getpid() != here:
            time.sleep(0.5)  # still at work when asked
        return os.getpid()

    later = parallel.Later(task, waited=True)
    child = later._child
    assert child
    assert later.result() == child  # the child's result: the task did not run here
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)


def test_a_file_added_by_hand_and_deleted_before_the_write_is_not_looked_for(make_site, monkeypatch):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    (output / "kept.txt").write_text("added by hand\n", encoding="utf-8")
    real = write.added_by_hand
    monkeypatch.setattr(write, "added_by_hand", lambda *args: [*real(*args), "gone.txt", "gone-folder/"])
    monkeypatch.setattr(write, "CHECK_APART_FROM", 0)
    (site / "content/en/2011/a1.md").write_text(article("Article 1", "2011-03-11", "New text.", tags=["X"]),
                                                encoding="utf-8")
    result = build(load_config(site), Options())  # found early, deleted since: no error, no warning
    assert [p.file for p in result.problems if "by hand" in p.message or "not made by" in p.message] == [
        "output/kept.txt"]
    assert (output / "kept.txt").is_file() and not (output / "gone.txt").exists()


def test_a_build_before_last_whose_files_are_all_damaged_is_not_written_through(make_site):
    site = small_site(make_site)
    output = site / "output"
    build(load_config(site), Options())
    build(load_config(site), Options())  # output/ and the build before last share every inode
    rels = sorted(listed(output))
    for rel in rels:  # edited in place: both builds' copies are damaged
        with open(output / rel, "ab") as handle:
            handle.write(b"edited by hand\n")
    edited = {rel: (output / rel).read_bytes() for rel in rels}
    opened = {rel: open(output / rel, "rb") for rel in rels}  # noqa: SIM115 - the inodes as they are
    try:
        build(load_config(site), Options())
        # Every file was replaced by a new inode: the old ones still hold what the hand wrote.
        assert {rel: handle.read() for rel, handle in opened.items()} == edited
    finally:
        for handle in opened.values():
            handle.close()
    assert all(sha(output / rel) == digest for rel, digest in listed(output).items())


def test_a_build_does_not_collect_garbage_in_its_own_process_and_restores_collection(make_site, monkeypatch):
    from generator import stages

    site = small_site(make_site)
    seen: list[bool] = []
    real = stages.read
    monkeypatch.setattr(stages, "read", lambda *args, **kwargs: seen.append(gc.isenabled()) or real(*args, **kwargs))
    build(load_config(site), Options(use_cache=False))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        build(load_config(site), Options(use_cache=False))
        assert seen == [False, False] and not gc.isenabled()  # as it found it
    finally:
        gc.enable()


def test_forked_workers_collect_garbage_as_usual():
    gc.disable()
    try:
        found = list(parallel.ordered_imap(lambda _: gc.isenabled(), list(range(parallel.MIN_PARALLEL_ITEMS)),
                                           workers=2))
    finally:
        gc.enable()
    assert found and all(found)


def test_output_s_manifest_is_read_from_the_record_while_its_file_is_the_one_the_build_wrote(make_site):
    from generator.manifest import MANIFEST, load_output_record, read_manifest

    site = small_site(make_site)
    config = load_config(site)
    build(config, Options())
    places = write.places_for(config.output_dir, config.cache_dir)
    listed = read_manifest(config.output_dir)
    stats, files = load_output_record(places.stats, config.output_dir)
    assert files == listed and set(stats) == set(listed)
    # The JSON file edited by hand: the record no longer stands for it, the file is read.
    data = json.loads((config.output_dir / MANIFEST).read_text(encoding="utf-8"))
    gone = sorted(data["files"])[0]
    del data["files"][gone]
    (config.output_dir / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    stats, files = load_output_record(places.stats, config.output_dir)
    assert files == read_manifest(config.output_dir) and gone not in files
    # And the build after it makes the file anew, listed again.
    build(config, Options())
    assert gone in read_manifest(config.output_dir)
    assert load_output_record(places.stats, config.output_dir)[1] == read_manifest(config.output_dir)
