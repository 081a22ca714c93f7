"""Photos' files as planned jobs: each is made from its `ImageInputs` record and the original's
bytes alone, is cached under the record's key, and is claimed in the plan by its photo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG, REPO, article

from generator.build import Options, build
from generator.config import load_config
from generator.errors import ContentError
from generator.images import cache_name, make_image_files, prepare
from generator.sources import discover

sys.path.insert(0, str(REPO / "benchmarks"))
from make_photos import make_jpeg, make_png  # noqa: E402


def small_photo_site(make_site) -> Path:
    return make_site({
        "config.yaml": BASIC_CONFIG + "images: {widths: [200, 400, 600]}\n",
        "content/en/2020/court.md": article("Court", "2020-08-10", "![The hall](hall.png)", image="court.jpg",
                                            image_alt="A court"),
        "content/en/2020/court.jpg": make_jpeg(900, 600, seed=1, orientation=6),
        "content/en/2020/hall.png": make_png(500, 300),
    })


def photo_jobs(site: Path) -> list:
    config = load_config(site)
    return prepare(discover(config.content_dir, config.ignore).assets, config, encode=False).jobs


def cached_names(site: Path) -> set[str]:
    return {p.name for p in (site / ".vestka-cache/images").glob("*/*")}


def test_each_file_is_made_from_its_record_and_the_original_alone(make_site) -> None:
    site = small_photo_site(make_site)
    build(load_config(site), Options())
    jobs = photo_jobs(site)
    assert {job.kind for job in jobs} == {"image"} and len(jobs) > 8
    assert cached_names(site) == {cache_name(job.inputs) for job in jobs}
    for job in jobs:
        original = (site / "content" / job.inputs.source).read_bytes()
        # Made alone, without the other files of its photo: the bytes the build published.
        made = make_image_files(original, [job.inputs])
        assert made == {job.inputs: (site / "output" / job.output_path).read_bytes()}, job.output_path


def test_other_image_settings_give_other_cache_names_and_files(make_site) -> None:
    site = small_photo_site(make_site)
    build(load_config(site), Options())
    before = {job.output_path: cache_name(job.inputs) for job in photo_jobs(site)}
    published = {path: (site / "output" / path).read_bytes() for path in before}
    config = site / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("widths:", "quality: 50, widths:"),
                      encoding="utf-8")
    build(load_config(site), Options())
    after = {job.output_path: cache_name(job.inputs) for job in photo_jobs(site)}
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {"en/2020/court-200.jpg", "en/2020/court-400.jpg", "en/2020/court-600.jpg"}
    for path in before:
        assert ((site / "output" / path).read_bytes() != published[path]) == (path in changed), path
    assert cached_names(site) == set(after.values())  # the files of the old quality are gone


def test_a_copy_and_a_photo_of_its_name_are_reported_as_a_clash(make_site) -> None:
    site = small_photo_site(make_site)
    (site / "content/en/2020/court-400.jpg").write_bytes(make_jpeg(300, 200, seed=2))
    with pytest.raises(ContentError) as failure:
        build(load_config(site), Options())
    clash = [p for p in failure.value.problems if "en/2020/court-400.jpg" in p.message]
    assert clash, failure.value.problems
    assert "content/en/2020/court.jpg" in str(clash[0]) and "content/en/2020/court-400.jpg" in str(clash[0])
    assert not (site / "output").exists()
