"""The dump parser on synthetic dumps, one quirk each."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from generator.config import parse_config
from generator.errors import ImportFailure
from generator.importer import ParseOptions, run_import
from generator.importer.dump import parse_dump, parse_url_list

META = "2011 2011-03-14T16:32:26+0200 1970-01-01T03:00:00+0300 en"
ORG = "Free Press Union"


def one(text: str, **kwargs):
    parsed = parse_dump(text, "a.txt", **kwargs)
    assert parsed.skipped == ()
    assert len(parsed.items) == 1
    return parsed.items[0], parsed


def paragraphs(item) -> list[str]:
    return item.body.split("\n\n")


def test_full_shape_with_header_byline_and_navigation() -> None:
    text = (f"site on patreon\n\nTitle here\n\n{META} {ORG} {ORG}\n{ORG}\n\nFirst “para”.\n\n"
            "Second para.\n\nLatest news\n\nPartnership\n\nMembership\n")
    item, parsed = one(text)
    assert item.title == "Title here"
    assert item.date == datetime(2011, 3, 14, 16, 32, 26, tzinfo=timezone(timedelta(hours=2)))
    assert item.updated is None
    assert item.lang == "en"
    assert item.authors == (ORG,)
    assert item.extra["publisher"] == ORG
    assert paragraphs(item) == ["First “para”.", "Second para."]
    assert parsed.warnings == ()


def test_no_header_and_no_navigation_and_lines_joined_inside_a_block() -> None:
    text = f"Title\n\n{META} {ORG} {ORG}\n{ORG}\n\nLine one.\nLine two.\n\nThe list:\nA, B, C."
    item, _ = one(text)
    assert paragraphs(item) == ["Line one. Line two.", "The list: A, B, C."]


def test_partial_navigation_followed_by_blank_line() -> None:
    item, _ = one(f"Title\n\n{META}\n\nBody text.\n\nLatest news\n\n")
    assert paragraphs(item) == ["Body text."]


def test_image_caption_under_byline_and_repeated_as_first_paragraph() -> None:
    text = (f"Title\n\n{META} https://ex.org/a.gif {ORG} {ORG}\n{ORG}\nViktar C\n\nViktar C\n\n"
            "Real body.\n\nLatest news\n")
    item, _ = one(text)
    assert item.image == "https://ex.org/a.gif"
    assert paragraphs(item) == ["Real body."]


def test_image_without_author_takes_the_line_under_the_metadata_as_caption() -> None:
    text = f"Title\n\n{META} https://ex.org/a.jpg\nA caption\n\nA caption\n\nBody.\n"
    item, _ = one(text)
    assert item.authors == ()
    assert item.extra["publisher"] is None
    assert paragraphs(item) == ["Body."]


def test_metadata_line_without_image_author_or_byline() -> None:
    item, _ = one(f"A sentence used as title.\n\n{META}\n\nBody one.\n\nBody two.\n")
    assert item.authors == () and item.image == ""
    assert paragraphs(item) == ["Body one.", "Body two."]


def test_whitespace_only_lines_are_blank() -> None:
    item, _ = one(f"T\n\n{META}\n\nOne.\n\n \n\nTwo.\n\u00a0\nThree.\n\t\nПоследние новости\n")
    assert paragraphs(item) == ["One.", "Two.", "Three."]


def test_translated_navigation_is_removed() -> None:
    item, _ = one(f"T\n\n{META}\n\nАдзін.\n\nАпошнія навіны\n\nПартнёрства\n\nСяброўства")
    assert paragraphs(item) == ["Адзін."]


def test_real_modified_date_becomes_updated() -> None:
    text = "T\n\n2012 2012-05-15T13:45:53+0300 2012-05-16T09:00:00+0300 ru\n\nТекст.\n"
    item, _ = one(text)
    assert item.updated == datetime(2012, 5, 16, 9, 0, tzinfo=timezone(timedelta(hours=3)))


def test_cut_off_last_paragraph_is_kept() -> None:
    item, _ = one(f"T\n\n{META}\n\nFirst.\n\nThe text stops in the middle of a wo")
    assert paragraphs(item)[-1] == "The text stops in the middle of a wo"


def test_configured_boilerplate_lines_are_dropped() -> None:
    options = ParseOptions(boilerplate=("Subscribe to our channel", "Донаты"))
    item, _ = one(f"T\n\n{META}\n\nBody.\n\nSubscribe to our channel\n\nДонаты\n", options=options)
    assert paragraphs(item) == ["Body."]


def test_unknown_navigation_run_of_three_is_dropped_with_a_warning() -> None:
    item, parsed = one(f"T\n\n{META}\n\nBody.\n\nNaviny\n\nPartnery\n\nUdzel\n")
    assert paragraphs(item) == ["Body."]
    assert "Naviny / Partnery / Udzel" in parsed.warnings[0].message


def test_short_unknown_last_line_is_kept_with_a_warning() -> None:
    item, parsed = one(f"T\n\n{META}\n\nBody.\n\nDonate today\n")
    assert paragraphs(item) == ["Body.", "Donate today"]
    assert "importer.boilerplate" in parsed.warnings[0].message


def test_author_and_publisher_that_differ_are_split_at_the_byline() -> None:
    item, parsed = one(f"T\n\n{META} Ales Bialiatski Viasna Centre\nAles Bialiatski\n\nBody.\n")
    assert item.authors == ("Ales Bialiatski",)
    assert item.extra["publisher"] == "Viasna Centre"
    assert parsed.warnings == ()


def test_markdown_characters_in_text_are_escaped() -> None:
    item, _ = one(f"T\n\n{META}\n\n# not a heading *and* [this]\n\n1. not a list\n")
    assert paragraphs(item) == ["\\# not a heading \\*and\\* \\[this\\]", "1\\. not a list"]


def test_title_keeps_its_characters() -> None:
    item, _ = one(f"viasna on patreon\n\n«Дзень Волі» -- \"акцыя\"\n\n{META}\n\nBody.\n")
    assert item.title == "«Дзень Волі» -- \"акцыя\""


def test_source_url_gives_alias_and_identity() -> None:
    item, _ = one(f"T\n\n{META}\n\nBody.\n", source_url="https://spring96.org./be/news/2738")
    assert item.aliases == ("/be/news/2738",)
    assert item.source_ref == item.source_url == "https://spring96.org./be/news/2738"
    assert item.extra["source_id"] == "2738"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "no metadata line"),
    ("Just some text\n\nwithout metadata.\n", "no metadata line"),
    (f"{META}\n\nBody.\n", "no title"),
    (f"T\n\n{META}\n\nLatest news\n", "no body"),
    ("T\n\n2011 2011-13-14T16:32:26+0200 1970-01-01T03:00:00+0300 en\n\nBody.\n", "bad date"),
])
def test_files_that_do_not_fit_are_skipped_with_the_reason(text: str, reason: str) -> None:
    parsed = parse_dump(text, "bad.txt")
    assert parsed.items == ()
    assert parsed.skipped[0].file == "bad.txt"
    assert reason in parsed.skipped[0].message


def test_url_list_accepts_both_orders_and_reports_bad_lines() -> None:
    urls, problems = parse_url_list("# comment\na.txt https://x.org/1\nhttps://x.org/2 b.txt\nc.txt\n", "urls.txt")
    assert urls == {"a.txt": "https://x.org/1", "b.txt": "https://x.org/2"}
    assert [p.line for p in problems] == [4]


def test_bad_url_list_stops_the_run(tmp_path) -> None:
    config = parse_config("languages: [en]\n", tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(f"T\n\n{META}\n\nBody.\n", encoding="utf-8")
    (tmp_path / "d" / "urls.txt").write_text("a.txt\n", encoding="utf-8")
    with pytest.raises(ImportFailure):
        run_import("dump", [tmp_path / "d"], config)


def test_non_dump_file_in_a_folder_is_skipped_and_the_rest_imported(tmp_path) -> None:
    config = parse_config("languages: [en]\n", tmp_path)
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.txt").write_text(f"T\n\n{META}\n\nBody.\n", encoding="utf-8")
    (folder / "b.txt").write_text("notes to self\n", encoding="utf-8")
    (folder / "c.txt").write_bytes(b"\xff\xfe not utf-8")
    report = run_import("dump", [folder], config)
    assert [rel for rel, _ in report.written] == ["content/en/2011/t.md"]
    assert sorted(p.file for p in report.skipped) == ["b.txt", "c.txt"]
