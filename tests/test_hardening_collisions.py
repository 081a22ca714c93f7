"""Two sources that claim one URL or one file are an error that names every file involved."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import article

from generator.build import Options, build
from generator.config import load_config
from generator.errors import VestkaError


def failure(site: Path) -> VestkaError:
    with pytest.raises(VestkaError) as caught:
        build(load_config(site), Options(use_cache=False))
    assert not (site / "output").exists(), "a failed first build must not leave an output folder"
    return caught.value


def assert_names_all(error: VestkaError, *files: str) -> None:
    text = str(error)
    missing = [f for f in files if f not in text]
    assert not missing, f"{missing} not named in:\n{text}"
    assert error.problems and all(p.file for p in error.problems), text
    named = {p.file for p in error.problems}
    assert named & set(files), f"no problem is filed under one of {files}:\n{text}"


def test_two_articles_with_the_same_url_name_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("Report", "2011-03-14", slug="report"),
                      "content/en/2011/b.md": article("Report again", "2011-03-20", slug="report")})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/b.md")


def test_three_articles_with_the_same_url_name_all_three(make_site) -> None:
    files = {f"content/en/2011/{n}.md": article(f"Same {n}", "2011-03-14", slug="same") for n in "abc"}
    assert_names_all(failure(make_site(files)), *files)


def test_files_in_different_folders_that_make_one_url_name_both(make_site) -> None:
    site = make_site({"content/en/2011/report.md": article("One", "2011-03-14"),
                      "content/en/archive-2011/report.md": article("Two", "2011-03-02")})
    assert_names_all(failure(site), "content/en/2011/report.md", "content/en/archive-2011/report.md")


def test_an_alias_pointing_at_an_existing_article_names_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/en/2011/b.md": article("B", "2011-04-01", aliases=["/en/2011/03/a/"])})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/b.md")


def test_an_alias_without_trailing_slash_pointing_at_an_article_names_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/en/2011/b.md": article("B", "2011-04-01", aliases=["/en/2011/03/a"])})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/b.md")


def test_an_alias_pointing_at_the_article_itself_is_reported(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", aliases=["/en/2011/03/a/"])})
    assert_names_all(failure(site), "content/en/2011/a.md")


def test_two_articles_with_the_same_alias_name_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", aliases=["/old/1.html"]),
                      "content/en/2011/b.md": article("B", "2011-04-01", aliases=["/old/1.html"])})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/b.md")


@pytest.mark.parametrize("alias", ["/en/", "/en/tags/", "/en/archive/", "/en/2011/", "/en/2011/03/",
                                   "/en/tags/belarus/", "/index.html", "/404.html", "/static/site.css",
                                   "/en/feed.xml", "/sitemap.xml", "/robots.txt"])
def test_an_alias_over_a_generated_page_or_file_names_the_article(make_site, alias: str) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", tags=["Belarus"], aliases=[alias])})
    error = failure(site)
    assert_names_all(error, "content/en/2011/a.md")
    assert alias.rstrip("/").rsplit("/", 1)[-1] in str(error)


def test_an_alias_over_an_asset_names_both_files(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", aliases=["/en/2011/photo.jpg"]),
                      "content/en/2011/photo.jpg": b"\xff\xd8jpeg"})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/photo.jpg")


def test_two_tags_that_make_the_same_slug_name_both_files(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", tags=["Human rights!"]),
                      "content/en/2011/b.md": article("B", "2011-03-15", tags=["human-rights?"])})
    error = failure(site)
    assert_names_all(error, "content/en/2011/a.md", "content/en/2011/b.md")
    assert "Human rights!" in str(error) and "human-rights?" in str(error)


def test_two_authors_that_make_the_same_slug_name_both_files(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", authors=["Ales Bialiatski"]),
                      "content/en/2011/b.md": article("B", "2011-03-15", authors=["Ales  Bialiatski."])})
    # Whitespace is folded when reading, so only the final dot differs: same slug, different names.
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/b.md")


def test_tags_differing_only_in_case_are_one_tag_not_an_error(make_site, build_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", tags=["Belarus"]),
                      "content/en/2011/b.md": article("B", "2011-03-15", tags=["belarus"])})
    build_site(site, use_cache=False)
    assert (site / "output/en/tags/belarus/index.html").is_file()


def test_a_page_whose_slug_takes_a_built_in_list_url_is_named(make_site) -> None:
    site = make_site({"content/en/pages/tags.md": article("Tags page", "2011-03-14")})
    error = failure(site)
    assert_names_all(error, "content/en/pages/tags.md")
    assert "/en/tags/" in str(error)


def test_an_article_whose_url_is_a_tag_page_is_named(make_site) -> None:
    config_extra = "permalinks:\n  article: /{lang}/tags/{slug}/\n"
    from conftest import BASIC_CONFIG

    site = make_site({"config.yaml": BASIC_CONFIG + config_extra,
                      "content/en/2011/belarus.md": article("Belarus", "2011-03-14", tags=["Belarus"])})
    assert_names_all(failure(site), "content/en/2011/belarus.md")


def test_a_file_and_a_folder_with_the_same_name_name_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/en/2011/03/a": b"a file where a folder must go"})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/03/a")


def test_an_asset_folder_and_an_asset_file_of_one_name_name_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/en/files/report": b"file",
                      "content/en/Files/report/page.pdf": b"pdf"})
    assert_names_all(failure(site), "content/en/files/report", "content/en/Files/report/page.pdf")


def test_an_asset_and_a_page_writing_one_file_name_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/en/2011/03/a/index.html": b"<p>hand-made</p>"})
    assert_names_all(failure(site), "content/en/2011/a.md", "content/en/2011/03/a/index.html")


def test_a_content_file_over_a_static_file_names_both(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/static/app.js": b"one", "static/app.js": b"two"})
    assert_names_all(failure(site), "content/static/app.js", "static/app.js")


def test_every_collision_is_reported_at_once(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", slug="x"),
                      "content/en/2011/b.md": article("B", "2011-03-15", slug="x"),
                      "content/en/2011/c.md": article("C", "2011-04-14", slug="y"),
                      "content/en/2011/d.md": article("D", "2011-04-15", slug="y")})
    assert_names_all(failure(site), *(f"content/en/2011/{n}.md" for n in "abcd"))


def test_two_assets_whose_names_differ_only_in_unicode_normalisation_clash(make_site) -> None:
    nfc, nfd = "caf\u00e9.pdf", "cafe\u0301.pdf"
    site = make_site({"content/en/a.md": article("A", "2011-01-01"),
                      f"content/en/{nfc}": b"one", f"content/en/{nfd}": b"two"})
    error = failure(site)
    assert_names_all(error, f"content/en/{nfc}", f"content/en/{nfd}")
    assert "Unicode normalisation" in str(error)
    assert not (site / "output").exists()


SEARCH_CONFIG = "title: T\nbase_url: https://example.org/\nlanguages:\n  - {code: en, name: English}\n"


def test_a_file_or_alias_at_a_generated_search_file_is_an_error_naming_it(make_site) -> None:
    site = make_site({"config.yaml": SEARCH_CONFIG,
                      "content/en/a.md": article("A", "2011-01-01", aliases=["/en/search/index/meta.js"])})
    error = failure(site)
    assert ("content/en/a.md: error: en/search/index/meta.js would be written by the generated file "
            "en/search/index/meta.js and by content/en/a.md") in str(error)


@pytest.mark.parametrize(("extra", "source", "path"), [
    # An alias at a name the index does not make today, but may as the archive grows.
    ({"content/en/a.md": article("A", "2011-01-01", aliases=["/en/search/index/part-9.js"])},
     "content/en/a.md", "en/search/index/part-9.js"),
    ({"content/en/search/index/notes.txt": b"a file of content/ inside the index folder"},
     "content/en/search/index/notes.txt", "en/search/index/notes.txt"),
    ({"content/en/search/index": b"a file where the index folder must go"},
     "content/en/search/index", "en/search/index"),
])
def test_anything_landing_in_the_search_index_folder_is_an_error_naming_both(
        make_site, extra: dict[str, object], source: str, path: str) -> None:
    site = make_site({"config.yaml": SEARCH_CONFIG, "content/en/a.md": article("A", "2011-01-01"), **extra})
    error = failure(site)
    assert (f"{source}: error: {path} (from {source}) would be written into en/search/index/, the folder of the "
            "search index of en, which the build fills by itself") in str(error)
    # `vestka check` makes no index, and still finds it.
    with pytest.raises(VestkaError) as checked:
        build(load_config(site), Options(check_only=True, use_cache=False))
    assert f"{path} (from {source}) would be written into en/search/index/" in str(checked.value)


def test_search_output_is_byte_identical_across_builds_on_tmpfs(make_site, tmp_path: Path) -> None:
    import shutil
    import tempfile

    files = {"config.yaml": SEARCH_CONFIG, **{f"content/en/n{i}.md": article(
        f"Court case {i}", f"2011-01-0{i}", f"Detentions and appeals, story {i}.", tags=["courts", f"t{i}"])
        for i in range(1, 6)}}
    shm = Path("/dev/shm")
    assert shm.is_dir(), "this test needs a tmpfs at /dev/shm"
    outputs = []
    with tempfile.TemporaryDirectory(dir=shm) as scratch:
        for name in ("one", "two"):
            site = make_site(files, folder=name)
            copy = Path(scratch) / name
            shutil.copytree(site, copy)
            build(load_config(copy), Options(use_cache=False))
            outputs.append({p.relative_to(copy / "output").as_posix(): p.read_bytes()
                            for p in sorted((copy / "output").rglob("*")) if p.is_file()})
    assert any(p.startswith("en/search/index/") for p in outputs[0])
    assert outputs[0] == outputs[1]
