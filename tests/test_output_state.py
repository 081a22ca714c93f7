"""Vestka's state lives in .vestka-cache/, and a build repairs output files edited by hand."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import age_files, article

from generator.build import Options, build
from generator.config import load_config

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
