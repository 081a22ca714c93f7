"""WordPress, HTML and feed imports on synthetic inputs covering each quirk."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from generator.config import parse_config
from generator.importer import run_import
from generator.importer.feed import parse_feed
from generator.importer.html_page import parse_html_page
from generator.importer.markdown_convert import html_to_markdown
from generator.importer.wordpress import parse_wxr, shortcodes_to_html, wp_date, wpautop

FIXTURES = Path(__file__).parent / "fixtures" / "import"
PLUS3 = timezone(timedelta(hours=3))


def front(path: Path) -> tuple[dict, str]:
    head, body = path.read_text(encoding="utf-8")[4:].split("\n---\n\n", 1)
    return yaml.safe_load(head), body


# --- sanitising -----------------------------------------------------------------------------


def test_no_active_content_survives_conversion() -> None:
    html = ('<p onclick="x()">Hi <a href="javascript:alert(1)">j</a> <a href="https://ok.org/">ok</a></p>'
            '<script>alert(2)</script><style>p{}</style><iframe src="https://evil.org/"></iframe>'
            '<img src="javascript:alert(3)" onerror="x()"><img src="https://ok.org/a.png" alt="A">')
    markdown = html_to_markdown(html)
    for bad in ("alert", "javascript", "onclick", "onerror", "iframe", "evil.org", "p{}"):
        assert bad not in markdown
    assert "[ok](https://ok.org/)" in markdown
    assert "![A](https://ok.org/a.png)" in markdown


# --- wordpress ----------------------------------------------------------------------------------


def test_wp_date_derives_the_offset_from_local_and_gmt() -> None:
    assert wp_date("2012-05-15 13:45:53", "2012-05-15 10:45:53") == datetime(2012, 5, 15, 13, 45, 53, tzinfo=PLUS3)
    assert wp_date("2013-01-02 09:00:00", "0000-00-00 00:00:00") == datetime(2013, 1, 2, 9, 0)
    assert wp_date("0000-00-00 00:00:00", "0000-00-00 00:00:00") is None


def test_wpautop_makes_paragraphs_and_line_breaks_but_keeps_blocks() -> None:
    html = wpautop("One\ntwo\n\n<ul><li>x</li></ul>\n\n<pre>a\n\nb</pre>\n\nThree")
    assert html == "<p>One<br />\ntwo</p>\n<ul><li>x</li></ul>\n<pre>a\n\nb</pre>\n<p>Three</p>"


def test_shortcodes_known_are_converted_unknown_are_marked() -> None:
    html, leftovers = shortcodes_to_html('[caption id="a" width="3"]<img src="i.jpg" alt="I"> Cap[/caption]'
                                         '[embed]https://v.org/1[/embed][contact-form-7 id="4"]')
    assert '<figure><img src="i.jpg" alt="I"><figcaption>Cap</figcaption></figure>' in html
    assert '<a href="https://v.org/1">https://v.org/1</a>' in html
    assert '<code>[contact-form-7 id="4"]</code>' in html
    assert leftovers == ["contact-form-7"]


def test_wordpress_export_imports_posts_drafts_pages_and_lists_attachments(tmp_path: Path) -> None:
    config = parse_config("languages: [en, be]\ntimezone: Europe/Minsk\n", tmp_path)
    report = run_import("wordpress", [FIXTURES / "wordpress" / "export.xml"], config)
    written = sorted(rel for rel, _ in report.written)
    assert written == ["content/en/2012/court-postpones-trial.md", "content/en/2013/nezavershany-charnavik.md",
                       "content/en/pages/about.md"]
    assert report.attachments == ["https://rights.example.org/wp-content/uploads/court.jpg"]
    assert [p.file for p in report.skipped] == ["export.xml#10"]
    messages = [p.message for p in report.warnings]
    # [gallery ids="7,8"]: the export has attachment 7 only; WordPress shows it alone.
    assert any(m.startswith("[gallery] names 1 image(s) the export has no attachment for (ids 8)") for m in messages)
    assert any("nav_menu_item" in m for m in messages)

    post, body = front(tmp_path / "content/en/2012/court-postpones-trial.md")
    assert post["title"] == "Court “postpones” trial – again"
    assert post["date"] == "2012-05-15T13:45:53+03:00"
    assert post["tags"] == ["Courts", "Brest"]
    assert post["authors"] == ["Anna Kovalenko"]
    assert post["summary"] == "The trial was postponed again."
    assert post["aliases"] == ["/2012/05/court-postpones-trial/"]
    assert post["source"] == "https://rights.example.org/2012/05/court-postpones-trial/"
    assert "draft" not in post
    assert body.startswith("The hearing was postponed\u00a0again.\\\nThe judge gave no reason.\n\n")
    assert "[![Court building](https://rights.example.org/wp-content/uploads/court-300x200.jpg)]" in body
    assert "*The court in Brest*" in body
    assert "- First point\n- Second point" in body
    court = "https://rights.example.org/wp-content/uploads/court.jpg"
    assert f"[![]({court})]({court})" in body and "[gallery" not in body
    assert "alert" not in body and "javascript" not in body

    draft, _ = front(tmp_path / "content/en/2013/nezavershany-charnavik.md")
    assert draft["draft"] is True
    assert draft["date"] == "2013-01-02T09:00:00+03:00"
    assert draft["authors"] == ["Pavel Ivanou"]
    assert "aliases" not in draft

    page, body = front(tmp_path / "content/en/pages/about.md")
    assert page["slug"] == "about" and page["aliases"] == ["/about/"]
    assert body.startswith("## Who we are\n\nWe defend human rights.")


def test_broken_export_is_skipped_with_the_line() -> None:
    parsed = parse_wxr("<rss><channel><item></channel></rss>", "bad.xml")
    assert parsed.items == () and parsed.skipped[0].line == 1


def test_percent_encoded_post_name_is_decoded_before_slugging(tmp_path: Path) -> None:
    text = (FIXTURES / "wordpress" / "export.xml").read_text(encoding="utf-8").replace(
        "<![CDATA[court-postpones-trial]]>", "<![CDATA[%d1%81%d1%83%d0%b4]]>")
    parsed = parse_wxr(text, "x.xml")
    assert parsed.items[0].slug == "суд"


# --- html ---------------------------------------------------------------------------------------


def test_html_page_keeps_structure_and_metadata() -> None:
    parsed = parse_html_page((FIXTURES / "html" / "article.html").read_text(encoding="utf-8"), "article.html")
    item = parsed.items[0]
    assert item.title == "Big news about things"
    assert item.date == datetime(2012, 5, 15, 13, 45, 53, tzinfo=PLUS3)
    assert item.lang == "be"
    assert item.authors == ("Ales Bialiatski",)
    assert item.aliases == ("/be/news/123",)
    body = item.body
    assert not body.startswith("# Big news")  # the title is not repeated as a heading
    assert "## Subheading here" in body
    assert "- Item one\n- Item two" in body
    assert "> Quoted words of a witness" in body
    assert "![A picture](https://example.org/img/a.jpg)" in body
    assert "| Name | Fine |" in body
    assert "[link](https://example.org/x)" in body
    for bad in ("alert", "javascript", "onclick", "evil", "Copyright footer"):
        assert bad not in body


def test_html_without_article_is_skipped() -> None:
    parsed = parse_html_page("<html><body></body></html>", "empty.html")
    assert parsed.items == () and "no article text" in parsed.skipped[0].message


# --- feed ---------------------------------------------------------------------------------------

RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>T</title><language>be</language>
<item><title>A &amp; B</title><link>https://ex.org/be/news/1</link><guid>https://ex.org/be/news/1</guid>
<pubDate>Tue, 15 May 2012 13:45:53 +0300</pubDate><dc:creator>Ales</dc:creator><category>Courts</category>
<description>Short &lt;b&gt;sum&lt;/b&gt;</description>
<content:encoded><![CDATA[<p>Full <b>text</b></p><script>x()</script>]]></content:encoded>
<enclosure url="https://ex.org/a.jpg" type="image/jpeg" length="1"/></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru"><title>F</title>
<entry><title type="html">X &lt;i&gt;y&lt;/i&gt;</title><link rel="alternate" href="https://ex.org/ru/2/"/><id>urn:x:2</id>
<published>2013-02-25T12:14:00+03:00</published><updated>2013-02-26T10:00:00+03:00</updated>
<author><name>Ivan</name></author><author><name>Olga</name></author>
<content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>"""


def test_rss_entry_keeps_offset_tags_author_image_and_summary() -> None:
    item = parse_feed(RSS, "news.rss").items[0]
    assert item.title == "A & B"
    assert item.date == datetime(2012, 5, 15, 13, 45, 53, tzinfo=PLUS3)
    assert item.lang == "be" and item.tags == ("Courts",) and item.authors == ("Ales",)
    assert item.image == "https://ex.org/a.jpg"
    assert item.summary == "Short sum"
    assert item.body == "Full **text**"
    assert item.aliases == ("/be/news/1",)


def test_atom_entry_with_several_authors_and_updated(tmp_path: Path) -> None:
    item = parse_feed(ATOM, "news.atom").items[0]
    assert item.title == "X y"
    assert item.authors == ("Ivan", "Olga")
    assert item.updated == datetime(2013, 2, 26, 10, 0, tzinfo=PLUS3)
    assert item.lang == "ru" and item.body == "Body"


def test_feed_import_writes_every_entry(tmp_path: Path) -> None:
    config = parse_config("languages: [be, ru]\n", tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "in" / "b.atom").write_text(ATOM, encoding="utf-8")
    report = run_import("feed", [tmp_path / "in"], config)
    assert sorted(rel for rel, _ in report.written) == ["content/be/2012/a-b.md", "content/ru/2013/x-y.md"]


def test_not_a_feed_is_skipped() -> None:
    parsed = parse_feed("just text", "x.xml")
    assert parsed.items == () and parsed.skipped


def test_wordpress_reimport_is_unchanged(tmp_path: Path) -> None:
    config = parse_config("languages: [en]\ntimezone: Europe/Minsk\n", tmp_path)
    source = FIXTURES / "wordpress" / "export.xml"
    first = run_import("wordpress", [source], config)
    second = run_import("wordpress", [source], config)
    assert second.written == [] and sorted(second.unchanged) == sorted(first.written)


def test_wordpress_items_sharing_an_id_or_link_are_all_imported_and_build(tmp_path: Path) -> None:
    from generator.cli import main  # noqa: PLC0415 - the command a user runs after importing

    (tmp_path / "config.yaml").write_text("languages: [en]\ntimezone: UTC\n", encoding="utf-8")
    config = parse_config("languages: [en]\ntimezone: UTC\n", tmp_path)
    report = run_import("wordpress", [FIXTURES / "wordpress" / "duplicates.xml"], config)
    assert report.skipped == []
    assert sorted(rel for rel, _ in report.written) == [
        "content/en/2012/template-sticky-2.md", "content/en/2012/template-sticky.md", "content/en/2013/empty.md",
        "content/en/2013/links.md", "content/en/2013/no-title.md"]
    assert report.kinds == {"articles": 5, "items with front matter only": 1}
    messages = " ".join(p.message for p in report.warnings)
    assert "same identity" in messages and "no title" in messages and "front matter only" in messages
    # Old URLs with a query string: a _redirects line each, published at the site root.
    redirects = (tmp_path / "content/_redirects").read_text(encoding="utf-8")
    assert "/ p=568 /en/2012/01/template-sticky/ 301" in redirects
    _, body = front(tmp_path / "content/en/2013/links.md")
    assert "[the empty post](empty.md)" in body and "[the sticky one](../2012/template-sticky.md)" in body
    again = run_import("wordpress", [FIXTURES / "wordpress" / "duplicates.xml"], config)
    assert again.written == [] and len(again.unchanged) == 5
    assert main(["build", "--site", str(tmp_path)]) == 0
    assert (tmp_path / "output/_redirects").is_file()
    assert (tmp_path / "output/2013/01/11/empty/index.html").is_file()


def test_wordpress_uploads_beside_the_export_are_copied_and_linked(tmp_path: Path) -> None:
    config = parse_config("languages: [en, be]\ntimezone: Europe/Minsk\n", tmp_path)
    report = run_import("wordpress", [FIXTURES / "wordpress-uploads"], config)
    assert report.media == ["/wp-content/uploads/court-300x200.jpg"]
    assert (tmp_path / "content/wp-content/uploads/court-300x200.jpg").is_file()
    _, body = front(tmp_path / "content/en/2012/court-postpones-trial.md")
    assert "[![Court building](/wp-content/uploads/court-300x200.jpg)]" in body
    assert report.missing_media == ["export.xml#101: https://rights.example.org/wp-content/uploads/court.jpg"]


def test_wordpress_gallery_and_caption_from_the_exports_attachments(tmp_path: Path) -> None:
    from generator.cli import main  # noqa: PLC0415 - the command a user runs after importing

    (tmp_path / "config.yaml").write_text("languages: [en]\ntimezone: UTC\n", encoding="utf-8")
    config = parse_config("languages: [en]\ntimezone: UTC\n", tmp_path)
    report = run_import("wordpress", [FIXTURES / "wordpress-gallery"], config)
    _, body = front(tmp_path / "content/en/2012/court-photos.md")
    door, hall = "/wp-content/uploads/2012/door.jpg", "/wp-content/uploads/2012/hall.jpg"
    # [gallery]: the post's own images (not its PDF) by menu order, each linked to its file,
    # with its caption and alt text; ids="..." in their order; link="none" bare.
    attached = (f"[![]({door})]({door})\n[![Hall & benches]({hall})]({hall})\n\n*The hall of the court*\n\n"
                "Named, bare:\n\n")
    named = f"![]({door})\n![Hall & benches]({hall})\n\n*The hall of the court*\n\n"
    assert attached in body and named in body and "ruling.pdf" not in body
    assert f"![Hall]({hall})\n\n*The hall*" in body
    assert (tmp_path / "content/wp-content/uploads/2012/door.jpg").is_file()
    # An id the export does not have is left out, as WordPress does, and named in one warning;
    # a gallery with none of its images, and one of a post with no images, stay as text, counted
    # in one warning. The trashed post (not imported) is named in neither.
    assert (f'court*\n\n[![Hall & benches]({hall})]({hall})\n\n*The hall of the court*\n\n'
            '`[gallery ids="98,99"]`') in body
    assert '`[gallery ids="11,99"]`' not in body
    _, empty = front(tmp_path / "content/en/2012/no-pictures.md")
    assert "`[gallery]`" in empty
    assert "[https://media.example.net/hearing.mp3](https://media.example.net/hearing.mp3)" in empty
    gallery = [p.message for p in report.warnings if "[gallery]" in p.message]
    assert gallery == [
        "[gallery] names 1 image(s) the export has no attachment for (ids 99); the galleries show "
        "their other images, as WordPress does: 1 file(s): export.xml#10",
        "WordPress shortcode [gallery] left as text: 2 time(s) in 2 file(s): export.xml#10, export.xml#20"]
    assert not [p for p in report.warnings if "[audio]" in p.message]
    assert main(["build", "--site", str(tmp_path)]) == 0
