"""The writer: idempotence, hand edits, force, dry run, slug clashes, path safety, run errors."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from generator.config import parse_config
from generator.errors import ImportFailure
from generator.importer import ImportedItem, run_import
from generator.importer.save import file_hash, is_untouched, save_items, stored_hash

META = "2011 2011-03-14T16:32:26+0200 1970-01-01T03:00:00+0300 en"


def site(tmp_path: Path, extra: str = ""):
    return parse_config("languages: [en, be]\ntimezone: Europe/Minsk\n" + extra, tmp_path)


def dumps(tmp_path: Path, files: dict[str, str], urls: str = "") -> Path:
    folder = tmp_path / "dumps"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    if urls:
        (folder / "urls.txt").write_text(urls, encoding="utf-8")
    return folder


def item(ref: str, title: str = "Same title", **kwargs) -> ImportedItem:
    values = {"source_ref": ref, "origin": ref, "title": title, "date": datetime(2012, 5, 1, 10, 0),
              "body": "Body of " + ref, **kwargs}
    return ImportedItem(**values)


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")[4:].split("\n---\n", 1)[0])


def test_second_import_reports_unchanged_and_touches_nothing(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"}, "a.txt https://ex.org/en/news/1\n")
    first = run_import("dump", [source], config)
    assert first.written == [("content/en/2011/title-a.md", "https://ex.org/en/news/1")]
    target = tmp_path / "content/en/2011/title-a.md"
    before = target.stat().st_mtime_ns
    second = run_import("dump", [source], config)
    assert second.written == []
    assert second.unchanged == first.written
    assert target.stat().st_mtime_ns == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["title-a.md"]


def test_written_file_has_front_matter_then_blank_line_body_and_final_newline(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"}, "a.txt https://ex.org/en/news/1?x=2\n")
    report = run_import("dump", [source], config)
    text = (tmp_path / report.written[0][0]).read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Title A\ndate: '2011-03-14T16:32:26+02:00'\n")
    assert text.endswith("---\n\nBody.\n")
    data = front(tmp_path / report.written[0][0])
    assert "aliases" not in data  # a query string cannot be an alias
    assert any("query string" in p.message for p in report.warnings)
    assert is_untouched(text) and stored_hash(text) == file_hash(text)


def test_hand_edited_file_is_a_conflict_until_forced(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"})
    run_import("dump", [source], config)
    target = tmp_path / "content/en/2011/title-a.md"
    edited = target.read_text(encoding="utf-8").replace("Body.", "Body, corrected by hand.")
    target.write_text(edited, encoding="utf-8")
    (source / "a.txt").write_text(f"Title A\n\n{META}\n\nNew body.\n", encoding="utf-8")

    report = run_import("dump", [source], config)
    assert report.written == []
    assert [p.file for p in report.conflicts] == ["content/en/2011/title-a.md"]
    assert "--force" in report.conflicts[0].hint
    assert target.read_text(encoding="utf-8") == edited

    forced = run_import("dump", [source], config, force=True)
    assert forced.written == [("content/en/2011/title-a.md", "dump:a.txt")]
    assert "New body." in target.read_text(encoding="utf-8")


def test_unedited_earlier_import_is_updated_when_the_source_changes(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"})
    run_import("dump", [source], config)
    (source / "a.txt").write_text(f"Title A\n\n{META}\n\nBody v2.\n", encoding="utf-8")
    report = run_import("dump", [source], config)
    assert report.conflicts == [] and len(report.written) == 1
    assert (tmp_path / "content/en/2011/title-a.md").read_text(encoding="utf-8").endswith("\nBody v2.\n")


def test_file_not_made_by_the_importer_is_a_conflict(tmp_path: Path) -> None:
    config = site(tmp_path)
    target = tmp_path / "content/en/2011/title-a.md"
    target.parent.mkdir(parents=True)
    target.write_text("---\ntitle: Mine\n---\n\nHand written.\n", encoding="utf-8")
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"})
    report = run_import("dump", [source], config)
    assert report.written == [] and len(report.conflicts) == 1
    assert "not made by the importer" in report.conflicts[0].message
    assert target.read_text(encoding="utf-8").endswith("Hand written.\n")


def test_dry_run_writes_nothing_and_lists_what_it_would_write(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"})
    report = run_import("dump", [source], config, dry_run=True)
    assert report.written == [("content/en/2011/title-a.md", "dump:a.txt")]
    assert not (tmp_path / "content").exists()
    lines = report.summary_lines()
    assert "would write 1" in lines[0]
    assert any("content/en/2011/title-a.md" in line for line in lines)


def test_clashing_slugs_get_stable_suffixes_in_source_order(tmp_path: Path) -> None:
    config = site(tmp_path)
    result = save_items([item("https://ex.org/b"), item("https://ex.org/a")], config)
    assert sorted(result.written) == [("content/en/2012/same-title-2.md", "https://ex.org/b"),
                                      ("content/en/2012/same-title.md", "https://ex.org/a")]
    # A later run with a third item keeps the first two where they are.
    again = save_items([item("https://ex.org/0"), item("https://ex.org/b"), item("https://ex.org/a")], config)
    assert ("content/en/2012/same-title-3.md", "https://ex.org/0") in again.written
    assert sorted(again.unchanged) == sorted(result.written)
    assert front(tmp_path / "content/en/2012/same-title-2.md")["slug"] == "same-title-2"


def test_same_source_twice_in_one_run_keeps_both_under_stable_identities(tmp_path: Path) -> None:
    config = site(tmp_path)
    items = [item("https://ex.org/a", origin="x.xml#1"), item("https://ex.org/a", origin="x.xml#2", body="Other")]
    result = save_items(items, config)
    assert sorted(result.written) == [("content/en/2012/same-title-2.md", "https://ex.org/a#x.xml#2"),
                                      ("content/en/2012/same-title.md", "https://ex.org/a")]
    assert not result.skipped
    assert any("same identity" in p.message for p in result.warnings)
    again = save_items(items, config)
    assert again.written == [] and len(again.unchanged) == 2


def test_item_keeps_its_earlier_file_when_its_title_changes(tmp_path: Path) -> None:
    config = site(tmp_path)
    save_items([item("https://ex.org/a", title="Old title")], config)
    again = save_items([item("https://ex.org/a", title="New title")], config)
    assert again.written == [("content/en/2012/old-title.md", "https://ex.org/a")]
    assert front(tmp_path / "content/en/2012/old-title.md")["title"] == "New title"


@pytest.mark.parametrize("lang", ["../../evil", "en/../../x", ".."])
def test_a_language_that_tries_to_leave_content_is_skipped(tmp_path: Path, lang: str) -> None:
    config = site(tmp_path)
    result = save_items([item("https://ex.org/a", lang=lang)], config)
    assert result.written == [] and len(result.skipped) == 1
    assert not any(p.suffix == ".md" for p in tmp_path.rglob("*"))


def test_a_slug_that_tries_to_leave_content_stays_inside(tmp_path: Path) -> None:
    config = site(tmp_path)
    result = save_items([item("https://ex.org/a", slug="../../../etc/passwd")], config)
    assert result.written == [("content/en/2012/etc-passwd.md", "https://ex.org/a")]


def test_naive_dates_take_the_site_time_zone(tmp_path: Path) -> None:
    config = site(tmp_path)
    save_items([item("https://ex.org/a", title="Naive")], config)
    assert front(tmp_path / "content/en/2012/naive.md")["date"] == "2012-05-01T10:00:00+03:00"


def test_force_lang_overrides_the_source_language_and_lang_only_fills_in(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"})
    report = run_import("dump", [source], config, lang="be", dry_run=True)
    assert report.written[0][0] == "content/en/2011/title-a.md"  # the dump says "en"
    report = run_import("dump", [source], config, force_lang="be")
    assert report.written[0][0] == "content/be/2011/title-a.md"
    undeclared = save_items([item("https://ex.org/u")], config, lang="be", dry_run=True)
    assert undeclared.written[0][0] == "content/be/2012/same-title.md"


def test_language_not_in_the_site_is_skipped_with_a_hint(tmp_path: Path) -> None:
    config = site(tmp_path)
    result = save_items([item("https://ex.org/a", lang="de")], config)
    assert "not a language of this site" in result.skipped[0].message
    assert "--lang" in result.skipped[0].hint


def test_pages_go_to_the_pages_folder(tmp_path: Path) -> None:
    config = site(tmp_path)
    result = save_items([item("https://ex.org/about", title="About", kind="page")], config)
    assert result.written == [("content/en/pages/about.md", "https://ex.org/about")]


def test_unknown_format_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure) as caught:
        run_import("blogger", [tmp_path], site(tmp_path))
    assert "dump, html, wordpress, feed, jekyll, hugo" in caught.value.problems[0].hint


def test_missing_source_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure) as caught:
        run_import("dump", [tmp_path / "nope"], site(tmp_path))
    assert caught.value.problems[0].file.endswith("nope")


def test_unknown_lang_argument_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure):
        run_import("dump", [tmp_path], site(tmp_path), lang="../x")


def test_progress_is_reported_per_file(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"A\n\n{META}\n\nBody.\n", "b.txt": f"B\n\n{META}\n\nBody.\n"})
    calls = []
    run_import("dump", [source], config, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


def test_reimport_after_urls_txt_appears_or_changes_updates_the_same_file(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"})
    first = run_import("dump", [source], config)
    assert first.written == [("content/en/2011/title-a.md", "dump:a.txt")]
    (source / "urls.txt").write_text("a.txt https://ex.org/en/news/1\n", encoding="utf-8")
    second = run_import("dump", [source], config)
    assert second.written == [("content/en/2011/title-a.md", "https://ex.org/en/news/1")]
    (source / "urls.txt").write_text("a.txt https://ex.org/en/news/7\n", encoding="utf-8")
    third = run_import("dump", [source], config)
    assert third.written == [("content/en/2011/title-a.md", "https://ex.org/en/news/7")]
    assert sorted(p.name for p in (tmp_path / "content/en/2011").iterdir()) == ["title-a.md"]
    assert front(tmp_path / "content/en/2011/title-a.md")["aliases"] == ["/en/news/7"]


# --- --fetch-media, against a real HTTP server on 127.0.0.1 ------------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def media_server():
    import http.server  # noqa: PLC0415
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            if self.path == "/slow.png":
                time.sleep(1.5)
            answers = {"/a.png": ("image/png", PNG), "/slow.png": ("image/png", PNG),
                       "/big.pdf": ("application/pdf", b"%PDF" + b"x" * 5000),
                       "/page.jpg": ("text/html", b"<html>not a picture</html>")}
            if self.path not in answers:
                self.send_error(404)
                return
            kind, body = answers[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # the client may have given up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_fetch_media_downloads_checks_and_caches(tmp_path: Path, media_server) -> None:
    from generator.importer.fetch import fetch_remote_media  # noqa: PLC0415

    base, hits = media_server
    body = "".join(f"![{name}]({base}/{name}) " for name in ("a.png", "slow.png", "big.pdf", "page.jpg", "gone.png"))
    items = [item("https://ex.org/a", body=body, image=f"{base}/a.png")]
    cache = tmp_path / "cache"
    fetched, notes = fetch_remote_media(items, cache, timeout=0.5, max_bytes=1000)
    assert [ref for ref, _, _ in fetched[0].media] == [f"{base}/a.png"]
    host = base.removeprefix("http://").replace(":", "_")
    assert fetched[0].media[0][2] == f"/media/{host}/a.png"
    reasons = sorted(n.message.split(" not fetched: ")[1] for n in notes)
    assert reasons[0].startswith("5004 bytes is more than the limit")
    assert reasons[1].startswith("cannot be fetched") and "timed out" in reasons[1]
    assert reasons[2] == "content type 'text/html' is not a picture, sound, video or document"
    assert reasons[3] == "the server answered 404 Not Found"
    # A second run asks the server nothing for what is cached.
    before = list(hits)
    again, _ = fetch_remote_media(items, cache, timeout=0.5, max_bytes=1000)
    assert again[0].media == fetched[0].media
    assert "/a.png" not in hits[len(before):]


def test_import_with_fetch_media_writes_the_file_and_rewrites_links(tmp_path: Path, media_server) -> None:
    base, _ = media_server
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n2011 2011-03-14T16:32:26+0200 1970-01-01T03:00:00+0300 en "
                                       f"{base}/a.png\n\nBody.\n"})
    report = run_import("dump", [source], config, fetch_media=True)
    host = base.removeprefix("http://").replace(":", "_")
    assert report.media == [f"/media/{host}/a.png"]
    assert (tmp_path / f"content/media/{host}/a.png").read_bytes() == PNG
    assert front(tmp_path / "content/en/2011/title-a.md")["image"] == f"/media/{host}/a.png"
    offline = run_import("dump", [source], config)
    assert offline.media == [] and front(tmp_path / "content/en/2011/title-a.md")["image"] == f"{base}/a.png"


def test_a_file_saved_with_crlf_by_an_editor_keeps_its_identity_and_hash(tmp_path: Path) -> None:
    config = site(tmp_path)
    source = dumps(tmp_path, {"a.txt": f"Title A\n\n{META}\n\nBody.\n"}, "a.txt https://ex.org/en/news/1\n")
    run_import("dump", [source], config)
    target = tmp_path / "content/en/2011/title-a.md"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))

    again = run_import("dump", [source], config)

    assert sorted(p.name for p in target.parent.iterdir()) == ["title-a.md"]  # no duplicate beside it
    assert again.conflicts == []
    assert stored_hash(target.read_text(encoding="utf-8")) == file_hash(target.read_text(encoding="utf-8"))
