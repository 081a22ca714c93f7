"""Atom 1.0 and RSS 2.0 feeds: one pair per language, one Atom feed per tag and per author.

Feeds are read by programs far from the site, so every URL in them is absolute (built from
`base_url`), every date carries its offset, and every entry keeps the same id from build to
build: the article's absolute URL. Text from articles goes through `xml_text`, which drops the
characters XML 1.0 forbids, so a stray control character in an imported article cannot make a
feed unreadable. The output is deterministic: no build time, entries newest first, then by URL.
"""

from __future__ import annotations

import html
import mimetypes
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime

from generator import __version__, urls
from generator.config import Config
from generator.i18n import Strings
from generator.markup import SOURCE, resolve_link, rewrite_site_links
from generator.model import FeedInputs, Job, OutputFile, Page, RenderedBody, Site
from generator.site_paths import list_url, tag_identity
from generator.xmltext import xml_text

#: href/src values written from the site root, or links to another source, in body HTML.
#: Shown as the feed's `updated` time when a language has no article yet (valid, and stable).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ATOM_NAME = "feed.xml"
RSS_NAME = "rss.xml"


def atom_path(listing_url: str) -> str:
    """URL path of the Atom feed of a list page ("/en/tags/x/" -> "/en/tags/x/feed.xml")."""
    return listing_url + ATOM_NAME


def rss_path(listing_url: str) -> str:
    return listing_url + RSS_NAME


def absolute_links(html: str, base_url: str, source_urls: dict[str, str]) -> str:
    """Body HTML with links written from the site root made absolute (feeds are read elsewhere)."""
    return rewrite_site_links(html, source_urls, lambda target: urls.absolute_url(base_url, target))


def image_url(page: Page, base_url: str) -> str:
    """Absolute URL of the page's `image` (written relative to its Markdown file, or from the root)."""
    if not page.image:
        return ""
    if page.image.startswith(("http://", "https://")):
        return page.image
    source_dir = "/".join(page.source.split("/")[1:-1])
    path = resolve_link(page.image, source_dir)
    if path is None or path.startswith(SOURCE):
        return ""
    return urls.absolute_url(base_url, path)


@dataclass(frozen=True, slots=True)
class Entry:
    """One article as feeds show it; every URL absolute."""

    id: str
    url: str
    title: str
    published: datetime
    updated: datetime
    summary: str
    #: Full body HTML (absolute links), or "" when feeds carry summaries only.
    content_html: str
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    image: str


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed's channel data."""

    title: str
    subtitle: str
    lang: str
    #: Absolute URL of the HTML page the feed follows (also the Atom feed id).
    page_url: str
    #: Absolute URL of the feed itself.
    self_url: str
    #: Site title, the feed-level author (Atom needs one when an entry names none).
    publisher: str
    entries: tuple[Entry, ...]

    @property
    def updated(self) -> datetime:
        return max((e.updated for e in self.entries), default=_EPOCH)


def plan_feeds(site: Site, config: Config, strings: Strings) -> list[Job]:
    """Atom + RSS per language, Atom per tag and per author, newest `feed_items` articles each:
    a `Job` of kind "feed" each, whose `FeedInputs` are all its render reads but the config."""
    jobs = []
    for code in config.language_codes:
        language = config.language(code)
        site_title = language.title or config.title
        home = list_url(code)
        items = site.articles.get(code, ())[: config.feed_items]
        subtitle = language.description or config.description
        jobs.append(_job(FeedInputs(code, "atom", site_title, subtitle, site_title, home, items)))
        jobs.append(_job(FeedInputs(code, "rss", site_title, subtitle, site_title, home, items)))
        for kind, key in (("tag", "tag_heading"), ("author", "author_heading")):
            for listing in site.listings.get((code, kind), ()):
                title = f"{strings.get(code, key, name=listing.title)} — {site_title}"
                jobs.append(_job(FeedInputs(code, "atom", title, "", site_title, listing.url_path,
                                            listing.pages[: config.feed_items])))
    return jobs


def _job(inputs: FeedInputs) -> Job:
    url = (atom_path if inputs.format == "atom" else rss_path)(inputs.page_path)
    return Job("feed", url, _file(url), inputs=inputs)


class FeedMaker:
    """Makes feed files from their jobs, in whatever process it is called: a render worker makes
    the feeds it is handed beside pages (see `produce.pages`), on its own core."""

    #: Entries kept for the feeds still to come, at most (an archive's articles are in feeds of
    #: their language, tags and authors; past this many, they are made again when met again).
    MAX_ENTRIES = 2000

    def __init__(self, site: Site, bodies: dict[str, RenderedBody], config: Config) -> None:
        self.site, self.bodies, self.config = site, bodies, config
        self.source_urls = {source: page.url_path for source, page in site.pages.items()}
        self.spelled = {(kind, listing.lang, tag_identity(listing.title)): listing.title
                        for (_, kind), group in site.listings.items() if kind in ("tag", "author")
                        for listing in group}
        self.made: dict[str, Entry] = {}
        #: Each entry's Atom XML, by its URL (see `atom_xml`).
        self.memo: dict[str, str] = {}

    def entry(self, source: str) -> Entry:
        found = self.made.get(source)
        if found is None:
            if len(self.made) > self.MAX_ENTRIES:
                self.made.clear()
                self.memo.clear()
            page = self.site.pages[source]
            # Tags and authors as their own pages spell them, each once (as on the article page).
            page = replace(page, **{field: tuple(dict.fromkeys(
                self.spelled.get((kind, page.lang, tag_identity(name)), name) for name in getattr(page, field)))
                for field, kind in (("tags", "tag"), ("authors", "author"))})
            found = self.made[source] = make_entry(page, self.bodies.get(source), self.config, self.source_urls)
        return found

    def make(self, job: Job) -> bytes:
        """The bytes of the feed of `job`, from its `FeedInputs` and the config."""
        inputs: FeedInputs = job.inputs
        base = self.config.base_url
        feed = Feed(title=inputs.title, subtitle=inputs.subtitle, lang=inputs.lang,
                    page_url=urls.absolute_url(base, inputs.page_path), self_url=urls.absolute_url(base, job.url_path),
                    publisher=inputs.publisher, entries=tuple(map(self.entry, inputs.items)))
        return atom_xml(feed, self.memo) if inputs.format == "atom" else rss_xml(feed)

    def file(self, job: Job) -> OutputFile:
        return OutputFile(job.output_path, self.make(job), sources=job.inputs.items)

    def forget(self, sources: Iterable[str]) -> None:
        """Drop the entries of `sources`: no feed still to come shows them."""
        base = self.config.base_url
        for source in sources:
            self.made.pop(source, None)
            self.memo.pop(urls.absolute_url(base, self.site.pages[source].url_path), None)


def render_feeds(site: Site, bodies: dict[str, RenderedBody], config: Config, jobs: list[Job],
                 reuse: Callable[[Job], str | None] | None = None) -> Iterator[OutputFile]:
    """The files of the feed `jobs`, made one at a time in this process (an archive's feeds hold
    a lot of text).

    `reuse(job)` may return the hash of a feed that is known to be unchanged since the last
    build; that feed is then not made again.
    """
    maker = FeedMaker(site, bodies, config)
    # Most articles are in several feeds (language, tags, authors): each entry is made once and
    # kept only until the last feed that shows it is written.
    uses = Counter(source for job in jobs for source in job.inputs.items)
    for job in jobs:
        inputs: FeedInputs = job.inputs
        digest = reuse(job) if reuse else None
        if digest:
            yield OutputFile(job.output_path, digest=digest, sources=inputs.items)
        else:
            yield OutputFile(job.output_path, maker.make(job), sources=inputs.items)
        uses.subtract(inputs.items)
        maker.forget(source for source in inputs.items if not uses[source])


def _file(url_path: str) -> str:
    return url_path.lstrip("/")


def make_entry(page: Page, body: RenderedBody | None, config: Config, source_urls: dict[str, str]) -> Entry:
    url = urls.absolute_url(config.base_url, page.url_path)
    summary = page.summary or (body.summary_text if body else "")
    content = ""
    if config.feed_content == "full" and body is not None:
        content = absolute_links(body.html, config.base_url, source_urls)
    return Entry(id=url, url=url, title=page.title, published=page.date, updated=page.updated or page.date,
                 summary=summary, content_html=content, tags=page.tags, authors=page.authors,
                 image=image_url(page, config.base_url))


def _rfc3339(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def atom_xml(feed: Feed, memo: dict[str, str] | None = None) -> bytes:
    """The feed as an Atom 1.0 document (RFC 4287).

    `memo` keeps each entry's XML by id: an article is in its language's feed and in the feed
    of each of its tags and authors, and its escaped text is made once for all of them.
    """
    x = xml_text
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{x(feed.lang)}">',
        f"  <title>{x(feed.title)}</title>",
    ]
    if feed.subtitle:
        lines.append(f"  <subtitle>{x(feed.subtitle)}</subtitle>")
    lines += [
        f'  <link rel="alternate" type="text/html" href="{x(feed.page_url)}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{x(feed.self_url)}"/>',
        f"  <id>{x(feed.page_url)}</id>",
        f"  <updated>{_rfc3339(feed.updated)}</updated>",
        f"  <author><name>{x(feed.publisher)}</name></author>",
        f'  <generator version="{x(__version__)}">Vestka</generator>',
    ]
    for e in feed.entries:
        text = memo.get(e.id) if memo is not None else None
        if text is None:
            text = _atom_entry(e)
            if memo is not None:
                memo[e.id] = text
        lines.append(text)
    lines.append("</feed>\n")
    return "\n".join(lines).encode("utf-8")


def _atom_entry(e: Entry) -> str:
    x = xml_text
    lines = [
        "  <entry>",
        f'    <title type="text">{x(e.title)}</title>',
        f'    <link rel="alternate" type="text/html" href="{x(e.url)}"/>',
        f"    <id>{x(e.id)}</id>",
        f"    <published>{_rfc3339(e.published)}</published>",
        f"    <updated>{_rfc3339(e.updated)}</updated>",
    ]
    lines += [f"    <author><name>{x(name)}</name></author>" for name in e.authors]
    lines += [f'    <category term="{x(tag)}"/>' for tag in e.tags]
    if e.image:
        kind = mimetypes.guess_type(e.image)[0] or "application/octet-stream"
        lines.append(f'    <link rel="enclosure" type="{x(kind)}" href="{x(e.image)}"/>')
    if e.summary:
        lines.append(f'    <summary type="text">{x(e.summary)}</summary>')
    if e.content_html:
        lines.append(f'    <content type="html">{x(e.content_html)}</content>')
    lines.append("  </entry>")
    return "\n".join(lines)


def rss_xml(feed: Feed) -> bytes:
    """The feed as an RSS 2.0 document, with Dublin Core authors and full text in content:encoded."""
    x = xml_text
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel>",
        f"  <title>{x(feed.title)}</title>",
        f"  <link>{x(feed.page_url)}</link>",
        f"  <description>{x(feed.subtitle or feed.title)}</description>",
        f"  <language>{x(feed.lang)}</language>",
        f"  <lastBuildDate>{format_datetime(feed.updated)}</lastBuildDate>",
        f"  <generator>Vestka {x(__version__)}</generator>",
        f'  <atom:link rel="self" type="application/rss+xml" href="{x(feed.self_url)}"/>',
    ]
    for e in feed.entries:
        lines += [
            "  <item>",
            f"    <title>{x(e.title)}</title>",
            f"    <link>{x(e.url)}</link>",
            f'    <guid isPermaLink="true">{x(e.id)}</guid>',
            f"    <pubDate>{format_datetime(e.published)}</pubDate>",
        ]
        lines += [f"    <dc:creator>{x(name)}</dc:creator>" for name in e.authors]
        lines += [f"    <category>{x(tag)}</category>" for tag in e.tags]
        if e.summary:
            # Readers take an RSS description as HTML: the plain-text summary is escaped for HTML first.
            lines.append(f"    <description>{x(html.escape(e.summary, quote=False))}</description>")
        if e.content_html:
            lines.append(f"    <content:encoded>{x(e.content_html)}</content:encoded>")
        lines.append("  </item>")
    lines += ["</channel>", "</rss>\n"]
    return "\n".join(lines).encode("utf-8")
