"""The plain data types that flow between the build stages. No I/O, no Jinja, no config loading.

Pages refer to each other by `source` (their path relative to the site), never by object, so
every stage can be tested with a handful of records and the site can be cached piecewise.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from generator.errors import Problem

SourceKind = Literal["page", "asset"]
PageKind = Literal["article", "page"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found under content/ or a static folder."""

    #: POSIX path relative to the folder it was found in; the identity used everywhere.
    rel_path: str
    #: "page" for Markdown files, "asset" for everything copied as is.
    kind: SourceKind
    #: Absolute path on disk, as a string: a Path for every file of a big archive costs a no-op
    #: build a tenth of a second, and only the files that are read need one (`path`).
    location: str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        """Absolute path on disk."""
        return Path(self.location)


class _PickledByFields:
    """Pickled as a call of the constructor with the field values: the page cache of a 10k archive,
    read on every build with work to do, unpickles twice as fast as through dataclasses' setstate."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return type(self), tuple(getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Page(_PickledByFields):
    """One Markdown file, read and validated; HTML is not stored here (see RenderedBody)."""

    #: Path of the Markdown file relative to the site ("content/en/2011/a.md").
    source: str
    #: 1-based line where the body starts (for error messages about the body).
    body_line: int
    title: str
    #: Publication time, timezone-aware.
    date: datetime
    #: Last modification, timezone-aware, or None.
    updated: datetime | None
    slug: str
    lang: str
    #: First folder under the language folder (or under content/) — "news" when there is none.
    section: str
    #: "article" (listed, in feeds) or "page" (standalone).
    kind: PageKind
    tags: tuple[str, ...]
    authors: tuple[str, ...]
    #: Summary from front matter, or "" (then the first paragraph is used).
    summary: str
    image: str
    draft: bool
    #: Key that groups translations of one story; "" when the page has none.
    translation_key: str
    #: Old URL paths that redirect here (each starts with "/").
    aliases: tuple[str, ...]
    #: The original URL of imported content.
    original_url: str
    #: Template name override, or "".
    template: str
    #: Unknown front-matter keys, reaching templates as `article.meta`.
    meta: Mapping[str, Any]
    body_md: str
    #: Site URL path, starting and ending with "/".
    url_path: str
    #: File inside output/ that holds the page.
    output_path: str
    #: Hash of the source text; identifies this version of the page in caches.
    digest: str = ""


@dataclass(frozen=True, slots=True)
class RenderedBody(_PickledByFields):
    """A page body as HTML, with what was found in it."""

    #: The HTML as zlib-compressed UTF-8, or a function that reads those bytes from the page
    #: cache: every body of an archive is known through a build, but only the few pages, feeds
    #: and search entries made again need their HTML, so a cached body stays on disk until asked
    #: for (see `html_z`). Compressed, a fresh body takes a fifth of the room.
    stored: bytes | Callable[[], bytes]
    #: The first paragraph as plain text, cut near 200 characters at a word boundary.
    summary_text: str
    #: Table of contents HTML from Python-Markdown's toc extension ("" when no headings).
    toc: str
    #: Root-relative links and image sources found in the body, as written.
    internal_links: tuple[str, ...]

    @classmethod
    def of(cls, html: str, summary_text: str, toc: str, internal_links: tuple[str, ...]) -> RenderedBody:
        # Level 1: nearly the size of the best level at a fraction of the time.
        return cls(zlib.compress(html.encode("utf-8"), 1), summary_text, toc, internal_links)

    @property
    def html_z(self) -> bytes:
        stored = self.stored
        return stored if isinstance(stored, bytes) else stored()

    @property
    def html(self) -> str:
        return zlib.decompress(self.html_z).decode("utf-8")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The bytes themselves: a reader of the cache means nothing in another process.
        return type(self), (self.html_z, self.summary_text, self.toc, self.internal_links)


@dataclass(frozen=True, slots=True)
class Listing:
    """One family of list pages (a home, a tag, an author, a year or month archive)."""

    #: "home", "tag", "author", "year", "month".
    kind: str
    lang: str
    #: Tag slug, author slug, "2011" or "2011/03"; "" for a home.
    key: str
    #: Display name (tag in its most used form, author name, year, month).
    title: str
    url_path: str
    #: Page sources, newest first.
    pages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Alias:
    """A redirect page from an old URL to a page's new one."""

    url_path: str
    output_path: str
    #: The page (source) it redirects to.
    target: str


@dataclass(slots=True)
class Site:
    """Everything the render stage needs, gathered from all pages. Built once by `assemble`."""

    #: source -> Page, in the site's total order (newest first, then by URL).
    pages: dict[str, Page]
    #: lang -> article sources, newest first.
    articles: dict[str, tuple[str, ...]]
    #: lang -> standalone page sources, by URL.
    standalone: dict[str, tuple[str, ...]]
    #: lang -> the newest articles (longest sidebar any page needs, `latest_news` + 1).
    latest: dict[str, tuple[str, ...]]
    #: (lang, kind) -> listings of that kind, in display order.
    listings: dict[tuple[str, str], tuple[Listing, ...]]
    #: translation key -> sources of the translations, in language order.
    translations: dict[str, tuple[str, ...]]
    #: source -> (previous older article, next newer article) within its language.
    neighbours: dict[str, tuple[str | None, str | None]]
    #: url_path -> source for every page (and alias target), for link checks.
    url_index: dict[str, str]
    aliases: tuple[Alias, ...]
    #: source -> related article sources, most related first.
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The related lists by the key of their inputs, for the next build to reuse.
    related_memo: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the built site, in memory until the write stage."""

    #: POSIX path inside output/.
    path: str
    #: The bytes to write, or None when the file is copied from `copy_from`.
    data: bytes | None = None
    copy_from: Path | str | None = None
    #: SHA-256 of the bytes, when known: made by the worker that rendered them, or taken from the
    #: previous build for a file not made again (then `data` and `copy_from` are None).
    digest: str = ""
    #: Sources that produced this file (for the dev server and caches).
    sources: tuple[str, ...] = ()
    #: Already stored in the folder being written, by the worker that made it (see write.store).
    stored: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    """One planned output: which kind (a page, a feed, the sitemap, a photo's file), where it
    goes, and the record of what making it reads."""

    kind: str
    url_path: str
    output_path: str
    #: The page source, listing key (lang, kind, index) or language, as the renderer needs it;
    #: for a photo's file, the photo ("content/en/2016/court.jpg").
    ref: Any = None
    number: int = 1
    total: int = 1
    #: The values its render reads (one of the `*Inputs` records below); its key is their hash.
    inputs: Any = None

    @property
    def source(self) -> str:
        """What produces the output, for messages: a content file or the page's name."""
        if self.kind in ("article", "page", "alias", "image"):
            return self.ref
        return f"the {self.kind} page {self.url_path}"


# --- what a page's render reads ------------------------------------------------------------
# Each planned page carries one of these records. The renderer builds the template context from
# it, and the page's key is a hash of the same record (generator.incremental.keys), so the two
# cannot drift apart. Fields named in SOURCES hold source paths of other pages the page shows:
# they enter the key through those pages' own keys (their text, URL and term links). `sidebar`
# is the language whose "Latest news" the page shows ("" for none): the key's second part.
# Everything else a render reads is the config, the templates and the string tables, which are
# in every key. A photo's file (`ImageInputs`, last) is made from its record and the original's
# bytes alone: its key is the record's hash and nothing else.


@dataclass(frozen=True, slots=True)
class ArticleInputs:
    """An article or a standalone page."""

    SOURCES: ClassVar[tuple[str, ...]] = ("source", "translations", "older", "newer", "related")
    source: str
    template: str
    #: URLs of the pages its body links to by their source file.
    links: tuple[str, ...]
    translations: tuple[str, ...]
    older: str | None
    newer: str | None
    related: tuple[str, ...]
    sidebar: str


@dataclass(frozen=True, slots=True)
class ListInputs:
    """One page of a listing (home, tag, author, year, month); `root` is set for the site's "/"."""

    SOURCES: ClassVar[tuple[str, ...]] = ("shown",)
    lang: str
    kind: str
    key: str
    title: str
    url_path: str
    count: int
    shown: tuple[str, ...]
    #: URLs of the same kind of page in every language (the switcher; they also decide hreflang).
    language_links: tuple[str, ...]
    root: str
    #: What the home page's sidebar shows of the site's tags and years ("" on other listings).
    home_sidebar: str
    sidebar: str


@dataclass(frozen=True, slots=True)
class IndexInputs:
    """A language's tags, authors or archive page: (kind, key, title, URL, count) of each listing."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    lang: str
    items: tuple[tuple[str, str, str, str, int], ...]
    language_links: tuple[str, ...]
    sidebar: str


@dataclass(frozen=True, slots=True)
class LanguageInputs:
    """A page that shows only its language's frame: the search page, 404, the language chooser."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    lang: str
    language_links: tuple[str, ...]
    sidebar: str


@dataclass(frozen=True, slots=True)
class FeedInputs:
    """An Atom or RSS feed: its channel, and the articles it carries (newest first)."""

    SOURCES: ClassVar[tuple[str, ...]] = ("items",)
    lang: str
    #: "atom" or "rss".
    format: str
    title: str
    subtitle: str
    #: Who publishes it: the language's site title.
    publisher: str
    #: URL path of the HTML page the feed follows.
    page_path: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SitemapInputs:
    """The sitemap: each language's URLs as (path, lastmod, alternates) tuples (`sitemap.SitemapUrl`).

    The sitemap is made on every build that renders, entry by entry: an entry's text is reused
    when its tuple, its key, is the last build's (most URLs of an archive do not change)."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    by_lang: tuple[tuple[str, tuple[Any, ...]], ...]


@dataclass(frozen=True, slots=True)
class ArticleShardInputs:
    """An article shard of a language's search index (`d/N.js`): an entry for each article whose
    id falls in it. The file is written from these entries and each article's excerpt, which is
    looked up by the entry's text key among the cached analyses, as a page's body is found by
    its source's digest (`search.article_shard_bytes`)."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    lang: str
    number: int
    #: (id, title, link from the search page, date as the site writes it, ISO date, text key)
    #: of each article, in id order.
    entries: tuple[tuple[int, str, str, str, str, str], ...]


@dataclass(frozen=True, slots=True)
class TermShardInputs:
    """A term shard of a language's search index (`t/N.js`): each term hashed into it, with its
    posting list as `search.codec` writes it. The record is the data itself: a shard's terms
    come from nearly every article, too many to name. Which shards a change touches is told by
    the analyses of the changed articles (their terms before and after), and only those
    records are made again (`search._LanguageIndex._patch`)."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    lang: str
    number: int
    postings: dict[str, str]


@dataclass(frozen=True, slots=True)
class SearchMetaInputs:
    """The meta file of a language's search index (`meta.js`): what search.js needs before any
    shard (the stemmer, the stop words and the shard counts are the code's, by language)."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    lang: str
    articles: int
    bits: int


@dataclass(frozen=True, slots=True)
class AliasInputs:
    """A redirect from an old URL to the page at `target`."""

    SOURCES: ClassVar[tuple[str, ...]] = ("target",)
    target: str
    sidebar: str = ""


@dataclass(frozen=True, slots=True)
class ImageInputs:
    """One published file of a photo: its original (cleaned of metadata) or a resized copy.

    Its bytes are made from this record and the original's bytes alone (`images.make_image_files`),
    and its key, the name of its file in the image cache, is a hash of this record
    (`incremental.keys.record_key`). A setting enters only the records of the files it shapes:
    the JPEG quality no WebP copy, `keep_metadata` no resized copy."""

    SOURCES: ClassVar[tuple[str, ...]] = ()
    #: The photo, below content/ ("en/2016/court.jpg").
    source: str
    #: SHA-256 of the original's bytes.
    sha256: str
    #: The original's EXIF orientation (1: upright) and Pillow's name of its format.
    orientation: int
    source_format: str
    #: Size of this file's picture (upright) and Pillow's name of its format: JPEG, PNG or WEBP.
    width: int
    height: int
    format: str
    #: The sizes of the wider copies this one is resized through, widest first: each width is
    #: made from the one before it (see `images.make_image_files`), so they shape its pixels.
    resized_through: tuple[tuple[int, int], ...]
    #: The original's own file, not a copy in another size or format.
    original: bool
    #: The original published as it is, metadata and all (`images.keep_metadata`; never a copy).
    keep_metadata: bool
    #: The encoder's quality (JPEG or WebP); 0 for a PNG and for an original only cleaned.
    quality: int
    #: The version of the way files are made (`images._RECIPE`).
    recipe: str
    #: Pillow's version and those of its JPEG, WebP and zlib codecs.
    codecs: str


#: Marks of the "Latest news" fragment in pages, so a rebuild can replace it without a render.
SIDEBAR_START = "<!--vestka:latest-->"
SIDEBAR_END = "<!--/vestka:latest-->"


@dataclass(slots=True)
class BuildResult:
    """What a build did, for the CLI to report."""

    pages: int = 0
    listings: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    #: Pages updated by replacing only their "Latest news" list in the previous build's file.
    sidebar_updates: int = 0
    #: Source files whose page and body came from the page cache instead of being read again.
    pages_from_cache: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Those of `problems` the write stage found (files added to output/ by hand).
    write_problems: list[Problem] = field(default_factory=list)
    #: stage name -> seconds, in pipeline order.
    timings: dict[str, float] = field(default_factory=dict)
    #: path inside output/ -> SHA-256 of its bytes.
    manifest: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    output_dir: Path | None = None
    #: When the earliest future-dated article becomes due (seconds since the epoch), or None.
    next_due: float | None = None
