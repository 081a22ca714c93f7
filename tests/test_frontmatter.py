"""Front matter: splitting, encodings, YAML error lines, dates in the site's time zone, list coercion."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator import frontmatter, frontmatter_check
from generator.config import Config, parse_config
from generator.frontmatter import FrontMatterError
from generator.model import Page
from generator.read import read_page

MINSK = ZoneInfo("Europe/Minsk")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config("timezone: Europe/Minsk\nlanguages: [en, ru, be]\n", tmp_path)


def split_problem(text: str) -> str:
    with pytest.raises(FrontMatterError) as caught:
        frontmatter.split(text, "content/en/a.md")
    return str(caught.value.problem)


def page_of(text: str, config: Config, rel: str = "content/en/2011/a.md") -> Page:
    page, problems = read_page(rel, text, config)
    assert problems == []
    assert page is not None
    return page


def problems_of(text: str, config: Config, rel: str = "content/en/2011/a.md") -> list[str]:
    page, problems = read_page(rel, text, config)
    assert page is None
    return [str(p) for p in problems]


# --- split ------------------------------------------------------------------------------------


def test_split_returns_data_body_and_body_line() -> None:
    parts = frontmatter.split("---\ntitle: A\ndate: 2011-03-14\n---\n\nFirst paragraph.\n", "a.md")
    # Dates stay text here: read.py turns them into datetimes and reports impossible ones on their line.
    assert parts.data == {"title": "A", "date": "2011-03-14"}
    assert parts.body == "\nFirst paragraph.\n"
    assert parts.body_line == 5
    assert parts.yaml_line == 2
    assert parts.yaml_text == "title: A\ndate: 2011-03-14\n"


def test_split_accepts_an_empty_front_matter_and_no_body() -> None:
    assert frontmatter.split("---\n---\nbody", "a.md").data == {}
    parts = frontmatter.split("---\ntitle: A\n---\n", "a.md")
    assert (parts.data, parts.body, parts.body_line) == ({"title": "A"}, "", 4)


def test_split_strips_a_byte_order_mark() -> None:
    parts = frontmatter.split("\ufeff---\ntitle: A\n---\nBody\n", "a.md")
    assert parts.data == {"title": "A"}
    assert parts.body == "Body\n"


def test_split_reads_crlf_and_cr_line_ends() -> None:
    crlf = frontmatter.split("\ufeff---\r\ntitle: A\r\ndate: 2011-03-14\r\n---\r\n\r\nBody\r\nMore\r\n", "a.md")
    assert crlf.data["title"] == "A"
    assert crlf.body == "\nBody\nMore\n"
    assert crlf.body_line == 5
    cr = frontmatter.split("---\rtitle: B\r---\rBody\r", "a.md")
    assert (cr.data, cr.body, cr.body_line) == ({"title": "B"}, "Body\n", 4)


def test_a_later_horizontal_rule_is_part_of_the_body() -> None:
    parts = frontmatter.split("---\ntitle: A\n---\nOne\n\n---\n\nTwo\n", "a.md")
    assert parts.body == "One\n\n---\n\nTwo\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("title: A\n", "content/en/a.md:1: error: the file does not start with front matter"),
    ("---\ntitle: A\n", "content/en/a.md:1: error: the front matter is not closed"
                         " — add a line '---' after the last front-matter key"),
    ("--- x\ntitle: A\n---\n", "content/en/a.md:1: error: the first line must be exactly '---'"),
    ("---\n- a\n- b\n---\n", "content/en/a.md:2: error: front matter must be a mapping of keys to values, not list"),
    ("---\ntitle: A\n---\nbinary\0data\n", "content/en/a.md:4: error: the file contains a NUL character"),
])
def test_split_errors_name_file_and_line(text: str, expected: str) -> None:
    assert split_problem(text).startswith(expected)


def test_yaml_error_names_the_line_in_the_file() -> None:
    text = "---\ntitle: A\nsummary: fine\ndate: 2011: 03\ntags: [a]\n---\nBody\n"
    assert split_problem(text) == (
        "content/en/a.md:4: error: front matter is not valid YAML: mapping values are not allowed in this context"
        " — check the indentation, and quote values containing ':', '#', '[' or '{'"
    )


def test_yaml_error_line_counts_crlf_and_bom() -> None:
    text = "\ufeff---\r\ntitle: A\r\n\r\nsummary: x\r\n  bad: indent\r\n---\r\nBody\r\n"
    assert split_problem(text).startswith("content/en/a.md:5: error: front matter is not valid YAML:")


def test_yaml_error_of_an_unclosed_quote_names_the_line_where_the_quote_opens() -> None:
    # The parser only notices at the end of the front matter; the line to fix is where the quote opens.
    text = "---\ntitle: \"Unclosed\ndate: 2011-03-14\ntags: [a]\n---\nBody\n"
    assert split_problem(text).startswith("content/en/a.md:2: error: front matter is not valid YAML:")


def test_yaml_bombs_are_refused() -> None:
    lines = ["---", "a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"k{i}: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]" for i in range(12)]
    text = "\n".join([*lines, "---", "Body"]) + "\n"
    assert "uses YAML aliases more than 100 times" in split_problem(text)


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    # with an offset: kept as written
    ("2011-03-14T16:32:26+02:00", datetime(2011, 3, 14, 16, 32, 26, tzinfo=ZoneInfo("Etc/GMT-2"))),
    ("2011-03-14T14:32:26Z", datetime(2011, 3, 14, 14, 32, 26, tzinfo=ZoneInfo("UTC"))),
    ("2011-03-14T16:32:26+0200", datetime(2011, 3, 14, 16, 32, 26, tzinfo=ZoneInfo("Etc/GMT-2"))),
    # without an offset: the site's time zone, with the offset it had on that day
    ("2011-03-14T10:00:00", datetime(2011, 3, 14, 10, 0, tzinfo=MINSK)),
    ("2011-03-14 10:00", datetime(2011, 3, 14, 10, 0, tzinfo=MINSK)),
    ("2020-08-10", datetime(2020, 8, 10, 0, 0, tzinfo=MINSK)),
])
def test_date_strings(value: str, expected: datetime) -> None:
    result = frontmatter.to_datetime(value, MINSK)
    assert result == expected
    assert result is not None and result.utcoffset() == expected.utcoffset()


def test_dates_without_offset_take_the_site_zone_offset_of_that_day(config: Config) -> None:
    # Minsk was UTC+2 in winter until 27 March 2011 and UTC+3 since.
    winter = page_of("---\ntitle: A\ndate: 2011-03-14 10:00\n---\nx\n", config).date
    summer = page_of("---\ntitle: A\ndate: 2020-08-10\n---\nx\n", config).date
    assert winter.isoformat() == "2011-03-14T10:00:00+02:00"
    assert summer.isoformat() == "2020-08-10T00:00:00+03:00"


def test_yaml_timestamps_with_offset_keep_it(config: Config) -> None:
    page = page_of("---\ntitle: A\ndate: 2011-03-14T16:32:26+02:00\nupdated: 2011-03-15 09:00:00+01:00\n---\nx\n",
                   config)
    assert page.date.isoformat() == "2011-03-14T16:32:26+02:00"
    assert page.updated is not None and page.updated.utcoffset() == timedelta(hours=1)
    assert page.updated.astimezone(ZoneInfo("UTC")).hour == 8


def test_yaml_timestamp_without_offset_is_in_the_site_zone(config: Config) -> None:
    page = page_of("---\ntitle: A\ndate: 2011-03-14 16:32:26\n---\nx\n", config)
    assert page.date.isoformat() == "2011-03-14T16:32:26+02:00"


@pytest.mark.parametrize("value", ["yesterday", "14.03.2011", "[2011]", "true"])
def test_unparseable_dates_are_errors_on_their_line(value: str, config: Config) -> None:
    found = problems_of(f"---\ntitle: A\nsummary: s\ndate: {value}\n---\nx\n", config)
    assert len(found) == 1
    assert found[0].startswith("content/en/2011/a.md:4: error: cannot read date ")


@pytest.mark.parametrize(("value", "message"), [
    ("2011-02-30", "date '2011-02-30': the day does not exist (February 2011 has 28 days) — correct the day"),
    ("2100-02-29T10:00:00+02:00", "date '2100-02-29T10:00:00+02:00': the day does not exist (February 2100 has 28 "
                                  "days) — correct the day"),
    ("2011-04-31", "date '2011-04-31': the day does not exist (April 2011 has 30 days) — correct the day"),
    ("2011-13-01", "date '2011-13-01': there is no month 13 — write the month as 01 to 12"),
])
def test_impossible_dates_say_what_does_not_exist(value: str, message: str, config: Config) -> None:
    assert problems_of(f"---\ntitle: A\ndate: {value}\n---\nx\n", config) == [f"content/en/2011/a.md:3: error: {message}"]


def test_a_leap_day_is_a_date(config: Config) -> None:
    assert page_of("---\ntitle: A\ndate: 2012-02-29\n---\nx\n", config).date.day == 29


# --- tabs, empty files, empty bodies -----------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "column"), [
    ("---\ntitle: x\n\tdate: 2011-03-14\n---\n", 3, 1),
    ("---\ntitle: x\ntags:\n\t- a\n---\n", 4, 1),
    ("---\ntitle: x\nauthors:\n  - a\n  \t- b\n---\n", 5, 3),
])
def test_a_tab_in_the_indentation_is_named(text: str, line: int, column: int) -> None:
    assert split_problem(text) == (f"content/en/a.md:{line}: error: YAML does not allow tabs for indentation "
                                   f"(line {line}, column {column}) — indent with spaces; an editor's "
                                   "'convert indentation to spaces' does it")


def test_a_tab_inside_a_quoted_value_is_text() -> None:
    assert frontmatter.split('---\ntitle: "a\tb"\n---\n', "a.md").data == {"title": "a\tb"}


@pytest.mark.parametrize("text", ["", "\n\n", "  \n\t\n", "\ufeff"])
def test_an_empty_file_is_said_to_be_empty(text: str) -> None:
    assert split_problem(text).startswith("content/en/a.md:1: error: the file is empty — ")


def test_a_missing_body_is_a_warning_and_the_page_is_kept(config: Config) -> None:
    page, problems = read_page("content/en/2011/a.md", "---\ntitle: A\ndate: 2011-03-14\n---\n\n  \n", config)
    assert page is not None and page.title == "A"
    assert [str(p) for p in problems] == [
        "content/en/2011/a.md:4: warning: the article has no body: only its title is published"
        " — write the text below the closing '---', or set draft: true until it is ready"]


def test_a_draft_without_a_body_is_not_warned_about(config: Config) -> None:
    assert page_of("---\ntitle: A\ndate: 2011-03-14\ndraft: true\n---\n", config).draft is True


# --- unknown keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "near"), [("tag", "tags"), ("autors", "authors"), ("Title_", "title"),
                                           ("aliasses", "aliases"), ("sumary", "summary"), ("dates", "date"),
                                           ("translation-key", "translation_key")])
def test_a_key_two_edits_from_a_known_one_is_a_warning_with_a_hint(key: str, near: str, config: Config) -> None:
    page, problems = read_page("content/en/2011/a.md", f"---\ntitle: A\ndate: 2011-03-14\n{key}: [x]\n---\nx\n",
                               config)
    assert page is not None and page.meta == {key: ["x"]}
    assert [str(p) for p in problems] == [
        f"content/en/2011/a.md:4: warning: unknown front-matter key '{key}' — did you mean '{near}'? — rename it to "
        f"'{near}', or list '{key}' under front_matter: extra_keys: in config.yaml if the theme uses it"]


@pytest.mark.parametrize("key", ["subtitle", "category", "import_source", "layout", "weight", "id", "ta"])
def test_other_unknown_keys_reach_meta_without_a_warning(key: str, config: Config) -> None:
    assert page_of(f"---\ntitle: A\ndate: 2011-03-14\n{key}: v\n---\nx\n", config).meta == {key: "v"}


def test_extra_keys_in_the_config_silence_the_hint(tmp_path: Path) -> None:
    config = parse_config("languages: [en]\nfront_matter:\n  extra_keys: [tag]\n", tmp_path)
    assert config.front_matter.extra_keys == ("tag",)
    assert page_of("---\ntitle: A\ndate: 2011-03-14\ntag: v\n---\nx\n", config).meta == {"tag": "v"}


def test_front_matter_config_is_checked(tmp_path: Path) -> None:
    from generator.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config("front_matter:\n  extra_key: [a]\n", tmp_path)
    assert "unknown key 'front_matter.extra_key' — did you mean 'extra_keys'?" in str(caught.value)


def test_edit_distance_counts_single_edits() -> None:
    assert [frontmatter_check.edit_distance(a, b) for a, b in [("tag", "tags"), ("autors", "authors"), ("abc", "abc"),
                                                         ("kitten", "sitting"), ("", "ab")]] == [1, 1, 0, 3, 2]


# --- coercion of known keys ------------------------------------------------------------------


def test_tags_are_strings_trimmed_and_empty_ones_dropped(config: Config) -> None:
    page = page_of("---\ntitle: A\ndate: 2011-03-14\ntags: [Belarus, 2011, 2.5, '  spaced  out ', '']\n---\nx\n",
                   config)
    assert page.tags == ("Belarus", "2011", "2.5", "spaced out")


def test_tags_as_a_block_list(config: Config) -> None:
    page = page_of("---\ntitle: A\ndate: 2011-03-14\ntags:\n  - Курапаты\n  - Суды\n---\nx\n", config)
    assert page.tags == ("Курапаты", "Суды")


def test_tags_given_as_a_string_are_an_error_on_their_line(config: Config) -> None:
    assert problems_of("---\ntitle: A\ndate: 2011-03-14\ntags: Belarus, courts\n---\nx\n", config) == [
        "content/en/2011/a.md:4: error: tags must be a list of strings, not str"
        " — write tags: [first, second] or one '- item' per line"
    ]


def test_tags_holding_mappings_are_an_error(config: Config) -> None:
    found = problems_of("---\ntitle: A\ndate: 2011-03-14\ntags: [{a: b}]\n---\nx\n", config)
    assert found == ["content/en/2011/a.md:4: error: tags must be a list of strings, not list"
                     " — write tags: [first, second] or one '- item' per line"]


@pytest.mark.parametrize(("front", "expected"), [
    ("authors: [Алесь Бяляцкі, Valiantsin Stefanovich]", ("Алесь Бяляцкі", "Valiantsin Stefanovich")),
    ("authors: One Person", ("One Person",)),
    ("author: Viasna", ("Viasna",)),
    ("author: [A, B]", ("A", "B")),
    ("authors: [A]\nauthor: Ignored", ("A",)),
    ("", ()),
])
def test_authors_accept_a_list_or_one_string(front: str, expected: tuple[str, ...], config: Config) -> None:
    page = page_of(f"---\ntitle: A\ndate: 2011-03-14\n{front}\n---\nx\n", config)
    assert page.authors == expected


def test_unknown_keys_reach_templates_as_meta(config: Config) -> None:
    page = page_of("---\ntitle: A\ndate: 2011-03-14\nregion: Homel\nviews: 12\n---\nx\n", config)
    assert dict(page.meta) == {"region": "Homel", "views": 12}


def test_language_comes_from_front_matter_then_folder_then_default(config: Config) -> None:
    text = "---\ntitle: A\ndate: 2011-03-14\n---\nx\n"
    assert page_of(text, config, "content/be/2011/a.md").lang == "be"
    assert page_of(text, config, "content/news/a.md").lang == "en"
    assert page_of("---\ntitle: A\ndate: 2011-03-14\nlang: ru\n---\nx\n", config, "content/be/a.md").lang == "ru"


def test_slug_defaults_to_the_file_stem_and_url_follows_the_pattern(config: Config) -> None:
    page = page_of("---\ntitle: Праваабаронцы\ndate: 2011-03-14\n---\nx\n", config, "content/be/2011/Вясна Навіны.md")
    assert page.slug == "viasna-naviny"
    assert page.url_path == "/be/2011/03/viasna-naviny/"
    assert page.output_path == "be/2011/03/viasna-naviny/index.html"
    page = page_of("---\ntitle: X\ndate: 2011-03-14\nslug: Праваабаронцы пра выбары\n---\nx\n", config,
                   "content/be/2011/x.md")
    assert page.url_path == "/be/2011/03/pravaabarontsy-pra-vybary/"


def test_body_line_is_kept_on_the_page(config: Config) -> None:
    page = page_of("---\ntitle: A\ndate: 2011-03-14\n---\n\nBody\n", config)
    assert page.body_line == 5
    assert page.body_md == "\nBody\n"


def test_missing_title_and_date_are_both_reported(config: Config) -> None:
    assert problems_of("---\nsummary: s\n---\nx\n", config) == [
        "content/en/2011/a.md:1: error: missing title — add a line 'title: ...' to the front matter",
        "content/en/2011/a.md:1: error: missing date"
        " — add a line such as 'date: 2011-03-14T16:32:26+02:00' to the front matter",
    ]


def test_draft_must_be_a_boolean(config: Config) -> None:
    assert problems_of("---\ntitle: A\ndate: 2011-03-14\ndraft: maybe\n---\nx\n", config) == [
        "content/en/2011/a.md:4: error: draft must be true or false, not 'maybe' — write draft: true"
    ]


def test_unsafe_aliases_are_refused(config: Config) -> None:
    found = problems_of("---\ntitle: A\ndate: 2011-03-14\naliases: [/ok/, ../../etc/passwd, /a/../../b]\n---\nx\n",
                        config)
    assert found == [
        "content/en/2011/a.md:4: error: alias '../../etc/passwd' is not a safe site path: must start with '/'"
        " — write old URLs as paths from the site root, such as /en/news/15782",
        "content/en/2011/a.md:4: error: alias '/a/../../b' is not a safe site path: contains a '.' or '..' segment"
        " — write old URLs as paths from the site root, such as /en/news/15782",
    ]
