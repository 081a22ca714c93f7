"""Page keys are a hash of the `inputs` record the renderer reads: tested here without rendering."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import article

from generator import sources
from generator.assemble import assemble
from generator.config import load_config
from generator.errors import Report
from generator.feeds import plan_feeds
from generator.i18n import Strings
from generator.incremental.keys import Keys
from generator.incremental.page_cache import PageCache
from generator.model import Job
from generator.plan import page_jobs
from generator.reading import read_pages
from generator.theme import theme_dirs
from generator.views import Views

NOW = datetime(2024, 1, 1).astimezone()


def plan_keys(site_dir: Path) -> tuple[list[Job], dict[str, str]]:
    """The jobs of the site in `site_dir` and their keys; nothing is rendered."""
    config = load_config(site_dir)
    found = sources.discover(config.content_dir, config.ignore)
    pages, bodies = read_pages(found.pages, config, ZoneInfo(config.timezone), PageCache.open(config, enabled=False),
                               Report(), None)
    site, _ = assemble(pages, config, now=NOW)
    strings = Strings([d / "i18n" for d in reversed(theme_dirs(config))], config)
    views = Views(site, bodies, config, strings)
    jobs = list(page_jobs(site, bodies, config, views))
    keys = Keys(site, views, "common")
    return jobs, {job.output_path: keys.job(job) for job in jobs}


def three_articles(make_site) -> Path:
    return make_site({
        "content/en/2011/a.md": article("A", "2011-03-10", "Text a.", tags=["X"]),
        "content/en/2011/b.md": article("B", "2011-03-11", "Text b, see [a](a.md).", tags=["X"]),
        "content/en/2011/c.md": article("C", "2011-03-12", "Text c.", tags=["Y"]),
        "content/ru/2011/d.md": article("D", "2011-03-13", "Текст.", tags=["Z"]),
    })


def test_equal_inputs_give_equal_keys(make_site):
    site = three_articles(make_site)
    assert plan_keys(site)[1] == plan_keys(site)[1]


def test_every_field_of_a_record_is_in_its_key(make_site):
    # The key cannot leave out a value the renderer reads: change any one field, the key changes.
    jobs, _ = plan_keys(three_articles(make_site))
    config = load_config(three_articles(make_site))
    found = sources.discover(config.content_dir, config.ignore)
    pages, bodies = read_pages(found.pages, config, ZoneInfo(config.timezone), PageCache.open(config, enabled=False),
                               Report(), None)
    site, _ = assemble(pages, config, now=NOW)
    keys = Keys(site, Views(site, bodies, config, Strings([], config)), "common")
    # Feeds are keyed as pages are: by their `FeedInputs`.
    jobs += plan_feeds(site, config, Strings([d / "i18n" for d in reversed(theme_dirs(config))], config))
    other_source = "content/ru/2011/d.md"
    checked = set()
    for job in jobs:
        for field in dataclasses.fields(job.inputs):
            value = getattr(job.inputs, field.name)
            if field.name in job.inputs.SOURCES:
                changed = other_source if isinstance(value, str) or value is None else (*value, other_source)
                if value == other_source:
                    changed = "content/en/2011/a.md"
            elif field.name == "sidebar":
                changed = "ru" if value != "ru" else "en"
            elif isinstance(value, str):
                changed = value + "-changed"
            elif isinstance(value, int):
                changed = value + 1
            else:
                changed = (*value, "x")
            other = dataclasses.replace(job, inputs=dataclasses.replace(job.inputs, **{field.name: changed}))
            assert keys.job(other) != keys.job(job), f"{type(job.inputs).__name__}.{field.name} is not in the key"
            checked.add(type(job.inputs).__name__)
    assert checked >= {"ArticleInputs", "ListInputs", "IndexInputs", "LanguageInputs", "FeedInputs"}


def test_a_neighbour_title_changes_the_key_of_the_article_that_links_to_it(make_site):
    site = three_articles(make_site)
    _, before = plan_keys(site)
    (site / "content/en/2011/a.md").write_text(article("A, renamed", "2011-03-10", "Text a.", tags=["X"]),
                                               encoding="utf-8")
    _, after = plan_keys(site)
    changed = {path for path in before if before[path] != after[path]}
    assert "en/2011/03/b/index.html" in changed  # a is b's older neighbour and linked from its body
    assert "en/2011/03/a/index.html" in changed
    assert "ru/2011/03/d/index.html" not in changed  # another language shows nothing of a


def test_a_new_article_changes_only_the_sidebar_part_of_old_articles(make_site):
    site = three_articles(make_site)
    _, before = plan_keys(site)
    (site / "content/en/2012").mkdir()
    (site / "content/en/2012/e.md").write_text(article("E", "2012-01-01", "Newest."), encoding="utf-8")
    _, after = plan_keys(site)
    old, new = before["en/2011/03/a/index.html"], after["en/2011/03/a/index.html"]
    assert old.split(":")[0] == new.split(":")[0]  # what the page itself shows: unchanged
    assert old.split(":")[1] != new.split(":")[1]  # its "Latest news": changed
    assert before["ru/2011/03/d/index.html"] == after["ru/2011/03/d/index.html"]


def photo_jobs(**settings: object) -> list[Job]:
    """The jobs of the files of a made-up 2000×1333 JPEG taken sideways; nothing is read or made."""
    from generator.config import ImagesConfig
    from generator.images import plan_photo

    probe = {"width": 2000, "height": 1333, "format": "JPEG", "digest": "ab" * 32, "orientation": 6, "gps": False}
    info = plan_photo("en/2020/court.jpg", probe, ImagesConfig(**settings))
    return [info.original, *info.copies]


def test_every_field_of_a_photo_file_record_is_in_its_key():
    # A photo's file is made from its `ImageInputs` and the original's bytes alone: change any
    # one field, the key (its name in the image cache) changes; equal records, equal keys.
    from generator.images import cache_name
    from generator.incremental.keys import record_key

    jobs = photo_jobs()
    assert [record_key(job.inputs) for job in jobs] == [record_key(job.inputs) for job in photo_jobs()]
    assert len({record_key(job.inputs) for job in jobs}) == len(jobs) > 5
    for job in jobs:
        inputs = job.inputs
        assert cache_name(inputs) == f"{record_key(inputs)}.{'webp' if inputs.format == 'WEBP' else 'jpg'}"
        for field in dataclasses.fields(inputs):
            value = getattr(inputs, field.name)
            if isinstance(value, bool):
                changed = not value
            elif isinstance(value, int):
                changed = value + 1
            elif isinstance(value, str):
                changed = value + "-changed"
            else:
                changed = (*value, (10, 7))
            other = dataclasses.replace(inputs, **{field.name: changed})
            assert record_key(other) != record_key(inputs), f"ImageInputs.{field.name} is not in the key"


def test_a_setting_changes_the_keys_of_the_files_it_shapes_only():
    from generator.incremental.keys import record_key

    def keys(**settings: object) -> dict[str, str]:
        return {job.output_path: record_key(job.inputs) for job in photo_jobs(**settings)}

    before = keys()
    jpeg = {path for path in before if path.endswith(".jpg") and path != "en/2020/court.jpg"}
    webp = {path for path in before if path.endswith(".webp")}
    assert jpeg and webp
    quality = keys(quality=60)
    assert {path for path in before if before[path] != quality[path]} == jpeg
    webp_quality = keys(webp_quality=60)
    assert {path for path in before if before[path] != webp_quality[path]} == webp
    # The original is turned upright, so it is encoded again: keeping metadata publishes it as it is.
    kept = keys(keep_metadata=True)
    assert {path for path in before if before[path] != kept[path]} == {"en/2020/court.jpg"}
    # Each width is resized from the next wider one: another set of widths changes the narrower copies.
    widths = keys(widths=(320, 640, 1600))
    assert before["en/2020/court-1600.jpg"] == widths["en/2020/court-1600.jpg"]
    assert before["en/2020/court-640.jpg"] != widths["en/2020/court-640.jpg"]
