"""config.yaml validation: every problem at once, with its line, a "did you mean" and the wrong value."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import Config, Language, Permalinks, load_config, parse_config
from generator.errors import ConfigError


def problems_of(text: str, tmp_path: Path) -> list[str]:
    """The problems `parse_config` reports for `text`, each as printed."""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path)
    return [str(p) for p in caught.value.problems]


def test_minimal_config_gets_every_default_from_one_place(tmp_path: Path) -> None:
    config = parse_config("title: Archive\n", tmp_path)
    assert config.title == "Archive"
    assert config.per_page == Config(site_dir=tmp_path).per_page == 20
    assert config.latest_news == 10
    assert config.timezone == "UTC"
    assert config.slugs == "ascii"
    assert config.theme == "default"
    assert config.root == "home"
    assert config.permalinks == Permalinks("/{lang}/{year}/{month}/{slug}/", "/{lang}/{slug}/")
    assert config.languages == (Language("en", "English"),)
    assert config.default_language == "en"
    assert dict(config.params) == {}


def test_empty_config_is_valid(tmp_path: Path) -> None:
    assert parse_config("", tmp_path).title == Config(site_dir=tmp_path).title


def test_full_config_is_read(tmp_path: Path) -> None:
    config = parse_config(
        "title: Archive\n"
        "base_url: https://example.org/archive\n"
        "timezone: Europe/Minsk\n"
        "default_language: be\n"
        "languages:\n"
        "  - {code: en, name: English}\n"
        "  - {code: be, name: Беларуская, title: Архіў, date_format: long, direction: ltr}\n"
        "  - {code: ar, name: العربية, direction: rtl}\n"
        "per_page: 7\n"
        "latest_news: 4\n"
        "permalinks: {article: '/{lang}/news/{year}/{slug}/'}\n"
        "slugs: unicode\n"
        "params: {donate_url: 'https://example.org/donate', show_map: true}\n",
        tmp_path,
    )
    assert config.base_url == "https://example.org/archive/"  # a missing final slash is added
    assert config.default_language == "be"
    assert config.language_codes == ("en", "be", "ar")
    assert config.language("be").title == "Архіў"
    assert config.language("be").date_format == "long"
    assert config.language("en").title == "Archive"  # defaults to the site title
    assert config.language("ar").direction == "rtl"
    assert (config.per_page, config.latest_news) == (7, 4)
    assert config.permalinks.article == "/{lang}/news/{year}/{slug}/"
    assert config.permalinks.page == "/{lang}/{slug}/"
    assert config.slugs == "unicode"
    assert config.params["donate_url"] == "https://example.org/donate"
    assert config.params["show_map"] is True


def test_unknown_key_names_the_nearest_valid_one(tmp_path: Path) -> None:
    assert problems_of("title: X\nper_pgae: 5\n", tmp_path) == [
        "config.yaml:2: error: unknown key 'per_pgae' — did you mean 'per_page'?"
    ]


def test_unknown_key_inside_a_language_names_the_nearest_valid_one(tmp_path: Path) -> None:
    found = problems_of("languages:\n  - code: en\n    name: English\n    direcion: rtl\n", tmp_path)
    assert found == ["config.yaml:4: error: unknown key 'languages.0.direcion' — did you mean 'direction'?"]


def test_unknown_key_without_a_near_match_lists_the_valid_keys(tmp_path: Path) -> None:
    (problem,) = problems_of("zzzzzz: 1\n", tmp_path)
    assert problem.startswith("config.yaml:1: error: unknown key 'zzzzzz' — valid keys here: title, description,")
    assert "per_page" in problem and "latest_news" in problem


def test_wrong_type_names_key_expected_type_and_value(tmp_path: Path) -> None:
    assert problems_of("title: X\nper_page: ten\n", tmp_path) == [
        "config.yaml:2: error: 'per_page' must be a whole number, not a string ('ten') — for example: per_page: 20"
    ]


def test_boolean_is_not_accepted_as_a_number(tmp_path: Path) -> None:
    assert problems_of("latest_news: true\n", tmp_path) == [
        "config.yaml:1: error: 'latest_news' must be a whole number, not true/false (True) — for example: latest_news: 10"
    ]


def test_every_problem_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = (
        "title: 42\n"                                  # 1: wrong type
        "per_pgae: 5\n"                                # 2: unknown key
        "per_page: 0\n"                                # 3: out of range
        "timezone: Mars/Olympus\n"                     # 4: unknown zone
        "slugs: latin\n"                               # 5: not a choice
        "base_url: example.org\n"                      # 6: not absolute
        "permalinks:\n"                                # 7
        "  article: '/{lang}/{yaer}/{slug}/'\n"        # 8: unknown token
        "languages: [en]\n"                            # 9
        "default_language: de\n"                       # 10: not declared
    )
    found = problems_of(text, tmp_path)
    assert found == [
        "config.yaml:1: error: 'title' must be a string, not a number (42) — for example: title: My news archive",
        "config.yaml:2: error: unknown key 'per_pgae' — did you mean 'per_page'?",
        "config.yaml:3: error: 'per_page' must be between 1 and 1000, not 0",
        "config.yaml:4: error: unknown time zone 'Mars/Olympus' — use an IANA name such as Europe/Minsk or UTC",
        "config.yaml:5: error: 'slugs' must be one of ascii, unicode, not 'latin'",
        "config.yaml:6: error: 'base_url' must be an absolute http(s) URL, not 'example.org'"
        " — for example: base_url: https://example.org/archive/",
        "config.yaml:8: error: permalink 'article' uses unknown token {yaer}; known: {lang}, {year}, {month},"
        " {day}, {slug}, {section} — for example: /{lang}/{year}/{month}/{slug}/",
        "config.yaml:10: error: default_language 'de' is not among the languages — use one of: en",
    ]


def test_default_language_must_be_declared_even_when_languages_is_left_out(tmp_path: Path) -> None:
    # Without `languages:` the site has the one default language (en); "de" would crash the render.
    assert problems_of("default_language: de\n", tmp_path) == [
        "config.yaml:1: error: default_language 'de' is not among the languages — use one of: en"
    ]


def test_language_problems(tmp_path: Path) -> None:
    found = problems_of(
        "languages:\n"
        "  - {code: en, name: English}\n"
        "  - {code: en, name: Again}\n"
        "  - {code: 'Not a code', name: X}\n"
        "  - {code: be, name: Беларуская, direction: sideways}\n",
        tmp_path,
    )
    assert found == [
        "config.yaml:3: error: language 'en' is declared twice",
        "config.yaml:4: error: language code 'Not a code' is not a valid language tag — use codes such as en, be, ru",
        "config.yaml:5: error: 'direction' must be one of ltr, rtl, not 'sideways'",
    ]


def test_permalink_without_slug_is_refused(tmp_path: Path) -> None:
    assert problems_of("permalinks:\n  page: /{lang}/\n", tmp_path) == [
        "config.yaml:2: error: permalink 'page' must contain {slug} so that every page gets its own URL"
        " — for example: /{lang}/{year}/{month}/{slug}/"
    ]


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    found = problems_of("title: Archive\nper_page: 10\ntimezone: UTC\n  nested: oops\n", tmp_path)
    assert len(found) == 1
    assert found[0].startswith("config.yaml:4: error: YAML syntax error: mapping values are not allowed here")


def test_yaml_syntax_error_in_a_flow_list_names_its_line(tmp_path: Path) -> None:
    found = problems_of("title: Archive\nlanguages: [en, be\nper_page: 3\n", tmp_path)
    assert len(found) == 1
    assert found[0].startswith("config.yaml:3: error: YAML syntax error:")


def test_config_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert problems_of("- a\n- b\n", tmp_path) == [
        "config.yaml: error: the file must be a mapping of keys to values — write lines like 'title: My archive'"
    ]


def test_load_config_without_a_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "config.yaml: error: no config.yaml in the site folder"
        " — run vestka inside a site, pass --site DIR, or create one with 'vestka new DIR'"
    ]


def test_load_config_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_bytes("title: Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    (problem,) = caught.value.problems
    assert str(problem).startswith("config.yaml: error: not UTF-8 text")
    assert problem.hint == "save the file as UTF-8"


def test_load_config_reads_the_site_folder(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("title: Вясна\n", encoding="utf-8")
    config = load_config(tmp_path)
    assert config.title == "Вясна"
    assert config.site_dir == tmp_path.resolve()
    assert config.content_dir == tmp_path.resolve() / "content"
    assert config.output_dir == tmp_path.resolve() / "output"


def test_language_mapping_form_is_accepted(tmp_path: Path) -> None:
    config = parse_config("languages:\n  be: Беларуская\n  en: {name: English}\n", tmp_path)
    assert config.language_codes == ("be", "en")
    assert config.language("be").name == "Беларуская"
    assert config.default_language == "be"  # the first language when none is named


def test_fingerprint_changes_with_settings_that_change_pages(tmp_path: Path) -> None:
    a = parse_config("per_page: 5\n", tmp_path)
    b = parse_config("per_page: 6\n", tmp_path)
    c = parse_config("per_page: 5\nserve: {port: 9000}\n", tmp_path)
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == c.fingerprint()
