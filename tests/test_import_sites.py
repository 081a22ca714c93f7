"""Jekyll and Hugo site folders: front matter mapping, dates, summaries, Liquid and shortcodes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from generator.config import parse_config
from generator.errors import ImportFailure
from generator.importer import run_import
from generator.importer.hugo import convert_shortcodes, parse_hugo_page
from generator.importer.jekyll import JekyllSite, convert_liquid, old_permalink, parse_jekyll_post


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def front(path: Path) -> tuple[dict, str]:
    head, body = path.read_text(encoding="utf-8")[4:].split("\n---\n\n", 1)
    return yaml.safe_load(head), body


# --- jekyll -------------------------------------------------------------------------------------

POST = """---
title: "Trial postponed"
categories: courts brest
tags: [appeal]
author:
  name: Anna K
excerpt_separator: <!--cut-->
---
Lead paragraph with a [link]({{ site.baseurl }}/about/) and {% post_url 2010-7-1-older %}.
<!-- more -->
{% highlight python %}
print("{{ not liquid }}")
{% endhighlight %}

{% raw %}{{ kept as is }}{% endraw %}

{% include gallery.html %}
"""


def test_jekyll_post_maps_front_matter_dates_summary_and_liquid() -> None:
    site = JekyllSite(url="https://old.example.org", post_urls={"2010-7-1-older": "/2010/07/01/older.html"})
    parsed = parse_jekyll_post(POST, "_posts/2011-3-4-trial.md", site)
    item = parsed.items[0]
    assert item.title == "Trial postponed"
    assert item.date == datetime(2011, 3, 4)
    assert item.slug == "trial"
    assert item.tags == ("courts", "brest", "appeal")
    assert item.authors == ("Anna K",)
    assert item.summary == "Lead paragraph with a [link](/about/) and /2010/07/01/older.html."
    assert "<!-- more -->" not in item.body
    assert '```python\nprint("{{ not liquid }}")\n```' in item.body
    assert "{{ kept as is }}" in item.body and "{% raw %}" not in item.body
    assert item.aliases == ("/courts/brest/2011/03/04/trial.html",)
    assert item.source_url == "https://old.example.org/courts/brest/2011/03/04/trial.html"
    assert parsed.leftovers == (("Liquid {% include %}", "_posts/2011-3-4-trial.md"),)
    assert "{% include gallery.html %}" in item.body  # no _includes/ to take it from


def test_jekyll_permalink_styles_and_front_matter_date() -> None:
    site = JekyllSite(permalink="/:year/:title/")
    data = {"date": "2012-05-15 13:45:53 +0300", "slug": "custom"}
    assert old_permalink("2012-05-14-x.md", data, site) == "/2012/custom/"
    item = parse_jekyll_post("---\ntitle: T\ndate: 2012-05-15 13:45:53 +0300\n---\nBody\n", "_posts/2012-05-14-x.md")
    assert item.items[0].date == datetime(2012, 5, 15, 13, 45, 53, tzinfo=timezone(timedelta(hours=3)))


@pytest.mark.parametrize("text", ["---\ncategories: x\n---\nBody\n", "---\ntitle: T\n---\n\n"])
def test_jekyll_posts_without_title_or_body_are_still_items(text: str) -> None:
    # Published is published: the writer names them and warns (see the site import below).
    parsed = parse_jekyll_post(text, "_posts/2011-01-01-a.md")
    assert len(parsed.items) == 1 and parsed.skipped == ()


def test_jekyll_post_with_unreadable_yaml_is_reported_with_its_line() -> None:
    parsed = parse_jekyll_post("---\ntitle: [unclosed\n---\nBody\n", "_posts/2011-01-01-a.md")
    assert parsed.items == () and "not valid YAML" in parsed.skipped[0].message


def test_liquid_conversion_lists_what_is_left() -> None:
    text, left = convert_liquid("a {{ site.url }}/x {{ '/y' | relative_url }} {% youtube abc %}", {})
    assert text == "a /x /y {% youtube abc %}"
    assert left == ["{% youtube %}"]


def test_liquid_includes_inside_includes_with_parameters(tmp_path: Path) -> None:
    includes = write(tmp_path / "_includes", {
        "figure.html": '<figure><img src="{{ site.baseurl }}{{ include.src }}" alt="{{ include.alt }}">'
                       "{% include caption.html text=include.alt %}</figure>",
        "caption.html": "<figcaption>{{ include.text }}{{ include.unset }}</figcaption>",
        "icon.svg": "<svg></svg>",
        "loop.html": "{% include loop.html %}",
        "template.html": "{% for x in site.posts %}{{ x.title }}{% endfor %}",
    })
    page = {"photo": "/img/a.png", "url": "/not/from/front/matter/"}
    text, left = convert_liquid(
        "A {% include figure.html src=page.photo alt='Court' %} B {% include icon.svg %}\n"
        "C {% include figure.html src=page.url %} D {% include loop.html %} E {% include template.html %}",
        {}, page=page, includes=includes)
    assert text.startswith('A <figure><img src="/img/a.png" alt="Court"><figcaption>Court</figcaption></figure>'
                           " B <svg></svg>\n")
    # A parameter only Jekyll knows, an include that never ends, a template: the tag stays, listed.
    assert text.endswith("C {% include figure.html src=page.url %} D {% include loop.html %} "
                         "E {% include template.html %}")
    assert left == ["{% include %}"] * 3


def test_jekyll_site_import_with_drafts_and_reports(tmp_path: Path) -> None:
    source = write(tmp_path / "blog", {
        "_config.yml": "url: https://old.example.org\npermalink: pretty\n",
        "_posts/2011-03-04-trial.md": POST,
        "_posts/2011-03-05-untitled.md": "---\nlayout: post\n---\nText\n",
        "_drafts/next-thing.md": "---\ntitle: Next thing\ndate: 2012-01-02\nlang: be\n---\nDraft body\n",
    })
    config = parse_config("languages: [en, be]\n", tmp_path / "site")
    report = run_import("jekyll", [source], config)
    assert sorted(rel for rel, _ in report.written) == ["content/be/2012/next-thing.md",
                                                        "content/en/2011/trial.md", "content/en/2011/untitled.md"]
    assert report.skipped == []
    assert any("no title" in p.message and "_posts/2011-03-05-untitled.md" in p.message for p in report.warnings)
    draft, _ = front(tmp_path / "site/content/be/2012/next-thing.md")
    assert draft["draft"] is True
    post, _ = front(tmp_path / "site/content/en/2011/trial.md")
    assert post["aliases"] == ["/courts/brest/2011/03/04/trial/"]
    assert post["authors"] == ["Anna K"]


def test_jekyll_source_must_be_a_site_folder(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure):
        run_import("jekyll", [tmp_path], parse_config("languages: [en]\n", tmp_path))


# --- hugo ---------------------------------------------------------------------------------------


def test_hugo_shortcodes_converted_or_listed() -> None:
    text, left = convert_shortcodes(
        '{{< figure src="/img/a.jpg" alt="A" caption="The court" >}}\n'
        "{{< youtube w7Ft2ymGmfc >}}\n"
        "{{< highlight go >}}\nfmt.Println(1)\n{{< /highlight >}}\n"
        '{{< ref "other.md" >}} {{% notice %}}')
    assert "![A](/img/a.jpg)\n\n*The court*" in text
    assert "<https://www.youtube.com/watch?v=w7Ft2ymGmfc>" in text
    assert "```go\nfmt.Println(1)\n```" in text
    assert left == ["ref", "notice"]


def test_hugo_toml_front_matter_and_language_from_file_name() -> None:
    text = ('+++\ntitle = "Суд"\ndate = 2013-02-25T12:14:00+03:00\nlastmod = 2013-02-26\n'
            'tags = ["a"]\ncategories = ["b"]\nauthors = ["Ivan", "Olga"]\ndraft = true\n'
            'aliases = ["old/path"]\ntranslationKey = "court"\nimages = ["/i.jpg"]\n+++\n'
            "Lead.\n<!--more-->\nRest.\n")
    item = parse_hugo_page(text, "content/posts/court.ru.md").items[0]
    assert item.lang == "ru" and item.slug == "court"
    assert item.date == datetime(2013, 2, 25, 12, 14, tzinfo=timezone(timedelta(hours=3)))
    assert item.updated == datetime(2013, 2, 26)
    assert item.tags == ("a", "b") and item.authors == ("Ivan", "Olga")
    assert item.draft is True and item.translation_key == "court" and item.image == "/i.jpg"
    assert item.summary == "Lead." and item.body == "Lead.\n\nRest."
    # Hugo resolves an alias without a leading slash against the page's folder.
    assert item.aliases == ("/posts/court/", "/posts/old/path")


def test_hugo_site_import(tmp_path: Path) -> None:
    source = write(tmp_path / "hugo", {
        "hugo.toml": 'baseURL = "https://old.example.org/"\n',
        "content/_index.md": "---\ntitle: Home\n---\nHi\n",
        "content/about.md": "---\ntitle: About\ndate: 2010-01-01\n---\nWho we are.\n",
        "content/news/trial/index.md": "---\ntitle: Trial\ndate: 2011-03-04T10:00:00+02:00\n---\nText.\n",
        "content/news/empty.md": "---\ntitle: Empty\ndate: 2011-01-01\n---\n",
        "content/news/bad.md": "---\ntitle: [x\n---\nText\n",
    })
    config = parse_config("languages: [en]\n", tmp_path / "site")
    report = run_import("hugo", [source], config)
    assert sorted(rel for rel, _ in report.written) == ["content/en/2011/empty.md", "content/en/2011/trial.md",
                                                        "content/en/pages/about.md"]
    assert sorted(p.file for p in report.skipped) == ["content/_index.md", "content/news/bad.md"]
    assert any("front matter only" in p.message and "content/news/empty.md" in p.message for p in report.warnings)
    post, _ = front(tmp_path / "site/content/en/2011/trial.md")
    assert post["aliases"] == ["/news/trial/"]
    assert post["source"] == "https://old.example.org/news/trial/"


# --- real-site rules, on the fixture sites ---------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def new_site(site: Path, text: str):
    """A site folder with its config.yaml, so that `vestka build` can run in it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "config.yaml").write_text(text, encoding="utf-8")
    return parse_config(text, site)


def build_site(site: Path) -> int:
    from generator.cli import main  # noqa: PLC0415 - the command a user runs after importing

    return main(["build", "--site", str(site)])


def imported(site: Path) -> dict[str, dict]:
    """import_source -> front matter of every imported file."""
    out = {}
    for path in sorted((site / "content").rglob("*.md")):
        meta, body = front(path)
        out[meta["import_source"]] = {**meta, "_file": path.relative_to(site).as_posix(), "_body": body}
    return out


def test_hugo_site_keeps_old_urls_languages_media_and_builds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    config = new_site(site, "languages: [en, ru]\ntimezone: UTC\n")
    report = run_import("hugo", [FIXTURES / "hugo-site"], config)
    items = imported(site)
    by_title = {meta["title"]: meta for meta in items.values()}
    # [permalinks] with tokens, config/_default + languages file, the date in the site's timezone.
    podcast = by_title["Podcast 900"]
    assert podcast["aliases"] == ["/p/2024/03/09/podcast-900/", "/old/podcast-900/"]
    assert podcast["source"] == "https://old.example.org/p/2024/03/09/podcast-900/"
    assert podcast["date"] == "2024-03-09T10:00:00+03:00"
    assert podcast["summary"] == "The nine hundredth episode." and podcast["meta"] == {"episode": 900}
    # A language named "russian" with languageCode ru-ru and its own contentDir.
    russian = by_title["Подкаст 900"]
    assert russian["lang"] == "ru" and russian["_file"] == "content/ru/2024/podcast-900.md"
    assert russian["aliases"] == ["/russian/p/2024/03/09/podcast-900/"]
    # uglyURLs for one section, `url` front matter, page bundles with their files.
    assert by_title["Same A"]["aliases"] == ["/news/same.html"]
    assert by_title["Moved"]["aliases"] == ["/archive/moved-here/"]
    bundle = by_title["A bundle"]
    assert bundle["aliases"] == ["/p/2023/05/01/a-bundle/"]
    assert "![Photo](/p/2023/05/01/a-bundle/photo.png)" in bundle["_body"]
    assert (site / "content/p/2023/05/01/a-bundle/photo.png").is_file()
    assert (site / "content/images/logo.png").is_file()
    assert report.missing_media == ["content/en/posts/bundle/index.md: /images/gone.png"]
    # Links to the old site and relref point at the new files.
    assert "[the podcast](../2024/podcast-900.md)" in bundle["_body"]
    assert "[bundle post](../2023/bundle.md)" in podcast["_body"]
    # Nothing published dropped: one slug twice, undated and front-matter-only pages.
    assert by_title["Same B"]["import_source"] == "https://old.example.org/news/same.html#content/en/news/same-b.md"
    assert by_title["Same B"].get("aliases") is None
    assert {by_title["Dup one"]["aliases"][0], by_title["Dup two"]["aliases"][0]} == {
        "/p/2022/01/01/dup/", "/p/2022/01/02/dup/"}
    assert by_title["About"]["_file"] == "content/en/pages/about.md"
    # A space in a link's destination: no link in Hugo's CommonMark, so text here too (not a
    # broken link, nor a missing file in the report); code is left as written.
    assert "Our root: \\[der\\](/images/logo. png) (a typo" in by_title["About"]["_body"]
    assert "`[a](b c)`" in by_title["About"]["_body"]
    assert by_title["FAQ"]["_file"] == "content/en/pages/faq.md" and by_title["FAQ"]["_body"] == "\n"
    assert sorted((p.file, p.line) for p in report.skipped) == [("content/en/news/_index.md", None),
                                                               ("content/en/posts/bad-date.md", 3)]
    assert report.kinds == {"articles": 8, "pages": 2, "undated pages": 2, "items with front matter only": 1}
    warnings = " ".join(p.message for p in report.warnings)
    assert "Hugo shortcode {{< custom-thing >}} left as text: 1 time(s)" in warnings
    assert "same identity" in warnings
    # content/uz/: no configured language reads it, so Hugo never published it; said once.
    assert "Not configured" not in by_title
    assert ("1 content file(s) in folders that no language of the configuration reads (content/uz/): "
            "Hugo does not publish them; not imported") in warnings
    assert build_site(site) == 0
    output = site / "output"
    for meta in items.values():
        for alias in meta.get("aliases") or []:
            target = output / (alias.lstrip("/") if alias.endswith(".html") else alias.lstrip("/") + "index.html")
            assert target.is_file(), alias
    page = next(output.glob("en/2024/*/podcast-900/index.html")).read_text(encoding="utf-8")
    assert 'href="&#109;&#97;&#105;&#108;&#116;&#111;&#58;' in page and "amp%03" not in page
    about = (output / "en/about/index.html").read_text(encoding="utf-8")
    assert "[der](/images/logo. png)" in about and "logo.%20png" not in about


def test_hugo_section_option_imports_one_section(tmp_path: Path) -> None:
    config = parse_config("languages: [en, ru]\n", tmp_path / "site")
    report = run_import("hugo", [FIXTURES / "hugo-site"], config, section="news", dry_run=True)
    assert sorted(ref for _, ref in report.written) == [
        "https://old.example.org/archive/moved-here/", "https://old.example.org/news/same.html",
        "https://old.example.org/news/same.html#content/en/news/same-b.md"]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("/:year/:month/:day/:slug/", "/2024/03/09/my-slug/"),
    ("/:section/:title/", "/posts/a-title/"),
    ("/:sections/:filename/", "/posts/deep/file/"),
    ("/:sections[0]/:slugorfilename/", "/posts/my-slug/"),
    ("/:sections[1:]/:contentbasename/", "/deep/file/"),
    ("/:monthname/:weekdayname/:yearday/:weekday/", "/march/saturday/69/6/"),
    ("/:slugorcontentbasename/", "/my-slug/"),
])
def test_hugo_permalink_tokens(pattern: str, expected: str) -> None:
    from generator.importer.hugo import Location, expand_hugo_permalink  # noqa: PLC0415

    where = Location("en", ("posts", "deep"), "file", False, "posts")
    when = datetime(2024, 3, 9, 10, 0)
    assert expand_hugo_permalink(pattern, where, "my-slug", "A Title", "file", when) == expected


@pytest.mark.parametrize("layout", ["hugo.yaml", "config.json", "config/_default/hugo.toml"])
def test_hugo_configuration_in_every_place_and_format(tmp_path: Path, layout: str) -> None:
    from generator.importer.hugo import read_site_config  # noqa: PLC0415

    text = {"hugo.yaml": "baseURL: https://a.example/\nuglyURLs: true\npermalinks:\n  posts: /:year/:slug/\n",
            "config.json": '{"baseURL": "https://a.example/", "uglyURLs": true, "permalinks": {"posts": "/:year/:slug/"}}',
            "config/_default/hugo.toml": 'baseURL = "https://a.example/"\nuglyURLs = true\n[permalinks.page]\nposts = "/:year/:slug/"\n'}
    write(tmp_path, {layout: text[layout], "config/production/hugo.toml": 'timezone = "Europe/Minsk"\n'})
    site = read_site_config(tmp_path)
    assert site.base_url == "https://a.example" and site.ugly_urls is True
    assert site.permalinks == {"posts": "/:year/:slug/"}
    assert site.timezone == "Europe/Minsk"  # config/production/ is merged over every layout


def test_jekyll_site_keeps_dates_urls_authors_media_and_builds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    config = new_site(site, "languages: [en]\ntimezone: UTC\n")
    report = run_import("jekyll", [FIXTURES / "jekyll-site"], config)
    by_title = {meta["title"]: meta for meta in imported(site).values()}
    edt = by_title["Dated in EDT"]
    assert edt["date"] == "2016-03-21T12:00:00-04:00"
    assert edt["authors"] == ["Melody Kramer", "Olga Ivanova"]
    assert edt["summary"] == "The short version." and edt["meta"] == {"filename": "kept-under-meta"}
    assert "<svg" in edt["_body"] and "![Picture](/assets/pic.png)" in edt["_body"]
    assert (site / "content/assets/pic.png").is_file()
    assert report.missing_media == ["_posts/2016-03-21-edt.md: /assets/gone.png"]
    words = by_title["Words"]
    assert words["date"].startswith("2021-01-12T00:00:00-05:00")  # the front matter wins over the file name
    assert words["aliases"] == ["/2021/01/12/words/"]
    assert "[EDT](../2016/edt.md)" in words["_body"]
    assert by_title["Tabbed"]["authors"] == ["Melody Kramer"]
    assert by_title["Ordinal"]["aliases"] == ["/law/courts/2015/034/ordinal.html"]
    assert by_title["Case"]["aliases"] == ["/2016/06/01/case/", "/old-case.html"]
    assert by_title["Hidden"]["draft"] is True and "aliases" not in by_title["Hidden"]
    assert by_title["Work in progress"]["draft"] is True and "source" not in by_title["Work in progress"]
    assert by_title["Alpha project"]["aliases"] == ["/work/alpha/"]
    # A static file of a published collection is served at the collection's permalink with
    # :path, plus its extension (Jekyll's StaticFile#url): /work/:path/ -> /work/plans/alpha-plan.pdf.
    assert "[The plan (PDF)](/work/plans/alpha-plan.pdf)" in by_title["Alpha project"]["_body"]
    assert (site / "content/work/plans/alpha-plan.pdf").read_bytes().startswith(b"%PDF")
    assert by_title["About us"]["aliases"] == ["/about/"]
    assert "[Home](../2016/edt.md)" in by_title["About us"]["_body"]
    assert sorted((p.file, p.line) for p in report.skipped) == [("_posts/2017-08-08-bad.md", 3), ("index.html", None)]
    assert "README.md" not in " ".join(ref for _, ref in report.written)
    # The author pages Jekyll published are not imported, and the report says so once.
    assert [(p.file, p.message.split(" (")[0]) for p in report.warnings if p.file == "_authors/"] == [
        ("_authors/", "1 author page(s) of the authors collection")]
    assert "/author/:name/" in " ".join(p.message for p in report.warnings)
    assert build_site(site) == 0


@pytest.mark.parametrize(("style", "expected"), [
    ("date", "/news/2016/03/21/My_Post!.html"),
    ("pretty", "/news/2016/03/21/My_Post!/"),
    ("ordinal", "/news/2016/081/My_Post!.html"),
    ("none", "/news/My_Post!.html"),
    ("weekdate", "/news/2016/W12/Mon/My_Post!.html"),
    ("/:categories/:short_year/:i_month/:i_day/:slug", "/news/16/3/21/my-post"),
])
def test_jekyll_permalink_styles(style: str, expected: str) -> None:
    from generator.importer.jekyll import site_from_config  # noqa: PLC0415

    site = site_from_config({"permalink": style})
    # :title is Jekyll's "pretty" slug (case and ._~!$&'()+,;=@ kept, "_" not), :slug the default one.
    expected = expected.replace("My_Post!", "My-Post!")
    assert old_permalink("_posts/2016-03-21-My_Post!.md", {"categories": "News"}, site) == expected


def test_jekyll_collection_and_page_permalinks() -> None:
    from generator.importer.jekyll import site_from_config  # noqa: PLC0415

    site = site_from_config({"permalink": "date", "collections": {"press": {"output": True,
                                                                             "permalink": "/press/:name/"}}})
    assert old_permalink("_press/Big News.md", {}, site, "press") == "/press/big-news/"
    assert old_permalink("team/index.md", {}, site, "page") == "/team/"
    assert old_permalink("faq.md", {}, site, "page") == "/faq.html"
    assert old_permalink("faq.md", {"permalink": "/help/"}, site, "page") == "/help/"


@pytest.mark.parametrize(("text", "expected"), [
    ("2016-03-21 12:00 EDT", datetime(2016, 3, 21, 12, 0, tzinfo=timezone(timedelta(hours=-4)))),
    ("January 12, 2021", datetime(2021, 1, 12, tzinfo=timezone(timedelta(hours=-5)))),
    ("2016-06-17 12:00-400", datetime(2016, 6, 17, 12, 0, tzinfo=timezone(timedelta(hours=-4)))),
    ("2017-01-05 (optional)", datetime(2017, 1, 5, tzinfo=timezone(timedelta(hours=-5)))),
    ("Tue, 02 Jan 2006 15:04:05 -0700", datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone(timedelta(hours=-7)))),
    ("2014/05/01", datetime(2014, 5, 1, tzinfo=timezone(timedelta(hours=-4)))),
])
def test_dates_in_the_forms_the_tools_accept_in_the_site_timezone(text: str, expected: datetime) -> None:
    from generator.importer.dates import parse_date  # noqa: PLC0415

    assert parse_date(text, "America/New_York") == expected


def test_unreadable_date_is_an_error_never_a_fallback() -> None:
    from generator.importer.dates import parse_date  # noqa: PLC0415

    with pytest.raises(ValueError, match="cannot read the date"):
        parse_date("2016-13-45")
    parsed = parse_jekyll_post("---\ntitle: T\ndate: someday\n---\nText\n", "_posts/2016-01-01-t.md")
    assert parsed.items == () and parsed.skipped[0].line == 3


def test_check_links_knows_aliases_root_and_raw_html_and_names_the_line(tmp_path: Path, capsys) -> None:
    from generator.cli import main  # noqa: PLC0415

    site = tmp_path / "site"
    new_site(site, "languages: [en]\ntimezone: UTC\n")
    write(site / "content/en", {
        "2020/old.md": "---\ntitle: Old\ndate: 2020-01-01\naliases: [/2020/01/01/old.html, /news/old/]\n---\nText.\n",
        "2020/links.md": "---\ntitle: Links\ndate: 2020-01-02\n---\nFirst line.\n\n"
                         "[alias](/2020/01/01/old.html) [folder alias](/news/old/) [home](/)\n\n"
                         '<div><a href="/nowhere/raw/">raw</a></div>\n\n'
                         "Line six has [a broken one](/missing/page/).\n",
    })
    assert main(["check", "--site", str(site)]) == 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "/2020/01/01/old.html" not in text and "/news/old/" not in text and "link to / " not in text
    assert "content/en/2020/links.md:11: warning: link to /missing/page/ points at no page" in text
    assert "content/en/2020/links.md:9: warning: link to /nowhere/raw/ points at no page" in text


def test_hugo_dates_without_offset_are_utc_unless_the_site_says_otherwise() -> None:
    from generator.importer.hugo import site_from_config  # noqa: PLC0415

    assert site_from_config({}).timezone == "UTC"
    assert site_from_config({"timeZone": "Europe/Minsk"}).timezone == "Europe/Minsk"


def test_old_url_with_repeated_slashes_redirects_from_the_merged_path() -> None:
    from generator.importer import url_alias  # noqa: PLC0415

    assert url_alias("https://old.example.org//greek/%ce%b5-2/") == ("/greek/ε-2/", "")


def test_check_warns_once_per_file_about_resources_the_csp_blocks(tmp_path: Path, capsys) -> None:
    from generator.cli import main  # noqa: PLC0415

    site = tmp_path / "site"
    new_site(site, "languages: [en]\ntimezone: UTC\n")
    write(site / "content/en", {
        "2020/remote.md": "---\ntitle: Remote\ndate: 2020-01-01\n---\n![a](https://cdn.example.net/a.jpg)\n\n"
                          '<audio src="https://cdn.example.net/b.mp3"></audio>\n\n'
                          '<iframe src="https://video.example.net/embed/1"></iframe>\n',
        "2020/local.md": "---\ntitle: Local\ndate: 2020-01-02\n---\nNothing remote. [A link](https://example.net/)\n",
    })
    assert main(["check", "--site", str(site)]) == 0
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if "Content-Security-Policy" in line]
    assert len(lines) == 1 and lines[0].startswith("content/en/2020/remote.md")
    assert "3 external resource(s)" in lines[0] and "img https://cdn.example.net/a.jpg" in lines[0]
    assert "--fetch-media" in lines[0]


@pytest.mark.parametrize(("target", "media"), [
    ("https://18f.gsa.gov", False), ("https://old.example.org/about/", False), ("/2015/10/19/a.html", False),
    ("https://old.example.org/a.png", True), ("/x/report.pdf#page=2", True), ("//cdn.example.net/a.jpg", True),
])
def test_media_targets_are_files_not_pages_or_hosts(target: str, media: bool) -> None:
    from generator.importer.media import is_media_target  # noqa: PLC0415

    assert is_media_target(target) is media


def test_an_imported_damaged_picture_is_a_build_error_naming_it_not_a_crash(tmp_path: Path, capsys) -> None:
    # Real sites carry JPEGs cut short (browsers show them); the build must say which.
    import io  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415

    site = tmp_path / "site"
    new_site(site, "languages: [en]\ntimezone: UTC\n")
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(picture, "JPEG")
    write(site / "content/en", {"2020/a.md": "---\ntitle: A\ndate: 2020-01-01\n---\n![cut](/images/cut.jpg)\n"})
    (site / "content/images").mkdir(parents=True)
    (site / "content/images/cut.jpg").write_bytes(picture.getvalue()[:-40])
    assert build_site(site) == 1
    err = capsys.readouterr().err
    assert "content/images/cut.jpg: error: this image could not be converted" in err
    assert "internal error" not in err


# --- links as the old site served them ------------------------------------------------------------

HUGO_LINKS = {
    "hugo.toml": 'baseURL = "https://old.example.org/"\ndefaultContentLanguage = "en"\n'
                 '[uglyURLs]\npost = true\n[permalinks]\npost = "/:year/:month/:day/:slug/"\n'
                 '[languages.en]\ncontentDir = "content/en"\n[languages.de]\ncontentDir = "content/de"\n',
    "content/en/post/mpv.md": "---\ntitle: MPV\ndate: 2020-02-19\n---\nText.\n",
    "content/en/post/other.md": "---\ntitle: Other\ndate: 2020-02-20\n---\nText.\n",
    "content/en/docs/cert-compat.md": "---\ntitle: Compat\nslug: certificate-compatibility\n---\nE.\n",
    "content/de/docs/cert-compat.md": "---\ntitle: Kompat\nslug: certificate-compatibility\n---\nD.\n",
    "content/en/documents/report.pdf": "%PDF-1.4 report\n",
    "content/en/about.md": "---\ntitle: About\n---\n"
                           "[a](/docs/cert-compat#x) [b](/2020/02/19/mpv) [c](/2020/02/19/mpv/) "
                           "[d](https://old.example.org/2020/02/19/mpv/index.html) [e](/docs/nothing-here)\n\n"
                           '<p><a href="/docs/certificate-compatibility/">raw</a></p>\n\n[pdf](/documents/report.pdf)\n',
    "content/de/about.md": "---\ntitle: Über\n---\n[a](/docs/cert-compat)\n",
}


@pytest.mark.parametrize("variant", ["default", "own-render-hook", "one-language"])
def test_hugo_links_lead_where_hugo_and_static_hosts_sent_them(tmp_path: Path, variant: str) -> None:
    files = dict(HUGO_LINKS)
    if variant == "own-render-hook":
        files["layouts/_markup/render-link.html"] = '<a href="{{ .Destination }}">{{ .Text }}</a>'
    if variant == "one-language":
        files = {k: v for k, v in files.items() if not k.startswith("content/de/")}
        files["hugo.toml"] = files["hugo.toml"].split("[languages.de]")[0]
    source = write(tmp_path / "hugo", files)
    site = tmp_path / "site"
    config = new_site(site, "languages: [en, de]\ntimezone: UTC\n")
    report = run_import("hugo", [source], config)
    _, about = front(site / "content/en/pages/about.md")
    # Static hosts serve /a/b.html at /a/b and the forms with a slash: the link finds the post.
    assert "[b](../2020/mpv.md) [c](../2020/mpv.md) [d](../2020/mpv.md) [e](/docs/nothing-here)" in about
    # The build does not read .md links inside raw HTML: there the link is the page's new URL.
    assert '<a href="/en/certificate-compatibility/">raw</a>' in about
    # Files of a content folder are published at their path below it.
    assert "[pdf](/documents/report.pdf)" in about and (site / "content/documents/report.pdf").is_file()
    assert report.missing_media == []
    if variant == "default":
        # Hugo's embedded link render hook (multilingual, single host): a content path leads to
        # that page in the linking page's language.
        assert "[a](certificate-compatibility.md#x)" in about
        _, german = front(site / "content/de/pages/about.md")
        assert "[a](certificate-compatibility.md)" in german
    else:
        assert "[a](/docs/cert-compat#x)" in about
    assert build_site(site) == 0
    page = (site / "output/en/about/index.html").read_text(encoding="utf-8")
    assert 'href="../../en/certificate-compatibility/index.html"' in page and 'href="../../documents/report.pdf"' in page


def test_hugo_language_key_that_is_a_code_wins_over_its_locale() -> None:
    from generator.importer.hugo import site_from_config  # noqa: PLC0415

    # letsencrypt.org: [languages.zh-cn] with locale = "zh-Hans-CN" is the site's "zh-cn";
    # a key that is no code ("russian") takes its languageCode.
    site = site_from_config({"languages": {"zh-cn": {"locale": "zh-Hans-CN", "contentDir": "content/zh-cn"},
                                           "russian": {"languageCode": "ru-ru"}}})
    assert site.languages["zh-cn"]["code"] == "zh-cn" and site.languages["russian"]["code"] == "ru-ru"
