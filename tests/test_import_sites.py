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
    assert len(parsed.warnings) == 1
    assert "{% include gallery.html %}" in parsed.warnings[0].message


def test_jekyll_permalink_styles_and_front_matter_date() -> None:
    site = JekyllSite(permalink="/:year/:title/")
    data = {"date": "2012-05-15 13:45:53 +0300", "slug": "custom"}
    assert old_permalink("2012-05-14-x.md", data, site) == "/2012/custom/"
    item = parse_jekyll_post("---\ntitle: T\ndate: 2012-05-15 13:45:53 +0300\n---\nBody\n", "_posts/2012-05-14-x.md")
    assert item.items[0].date == datetime(2012, 5, 15, 13, 45, 53, tzinfo=timezone(timedelta(hours=3)))


@pytest.mark.parametrize(("text", "reason"), [
    ("---\ncategories: x\n---\nBody\n", "no title"),
    ("---\ntitle: T\n---\n\n", "no body"),
    ("---\ntitle: [unclosed\n---\nBody\n", "not valid YAML"),
])
def test_jekyll_posts_without_title_or_body_are_reported(text: str, reason: str) -> None:
    parsed = parse_jekyll_post(text, "_posts/2011-01-01-a.md")
    assert parsed.items == () and reason in parsed.skipped[0].message


def test_liquid_conversion_lists_what_is_left() -> None:
    text, left = convert_liquid("a {{ site.url }}/x {{ '/y' | relative_url }} {% youtube abc %}", {})
    assert text == "a /x /y {% youtube abc %}"
    assert left == ["{% youtube abc %}"]


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
                                                        "content/en/2011/trial.md"]
    assert [p.file for p in report.skipped] == ["_posts/2011-03-05-untitled.md"]
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
