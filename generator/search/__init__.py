"""Site search: a chunked full-text index per language, built incrementally, read by search.js.

Each language gets, beside its search page `/L/search/`, a folder `index/` of small script
files (their format is in `codec`): `meta.js`, term shards `t/N.js` (terms hashed into
shards, each term with its posting list) and article shards `d/N.js` (title, link, date
written with Babel in the site's format, and the text excerpts are made from, for the articles
whose id falls in shard N). The number of shards grows with the language's articles
(`shard_bits`), so that a shard holds about as much at 1,000 articles as at 100,000: a query
loads the meta file, the shard of each of its terms, and the article shards of the results it
shows, a few hundred kilobytes whatever the size of the archive, and a small site is not
thousands of tiny files. The same files load with `<script>` from disk and over http.

Cost per edit: each article's terms are cached in `.vestka-cache/search/` by the hash of its
source text, and the index files live there too. A build compares every article's (id, text
hash, displayed fields) with the last build's; only the shards holding terms of the changed
articles are read, and in them only the posting lists of the terms whose weight changed (or
that came or went) are decoded, patched and encoded again. A big change, a first
build, or a damaged cache rebuilds the language's index in one pass on all cores: each worker
analyses a slice of ids, writes its article shards and inverts its postings, and this process
only hands the slices' blocks of postings on to be joined (`_LanguageIndex._rebuild`). Either
way a shard's bytes depend only on the site: an incremental build gives the files of a clean one.

Each file is written from its inputs record by one function (`article_shard_bytes`,
`term_shard_bytes`, `meta_bytes`; the records are in `generator.model`): an article shard is
made again when its record is not the last build's, a term shard when the analyses of the
changed articles change its record's posting lists.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import html
import itertools
import os
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import babel

from generator import urls
from generator.cache_files import code_fingerprint, load_blob, save_blob
from generator.config import Config
from generator.i18n import Strings
from generator.model import (
    ArticleShardInputs,
    OutputFile,
    Page,
    RenderedBody,
    SearchMetaInputs,
    Site,
    TermShardInputs,
)
from generator.parallel import ordered_imap
from generator.search import codec
from generator.search.text import ANALYZER_VERSION, BELARUSIAN_ENDINGS, STOP_WORDS, stemmer_name, term_counts, terms
from generator.search_behind import mark_behind
from generator.site_paths import list_url

#: Folder of a language's index, inside its search page's folder.
INDEX_DIR = "index"
#: Articles per article shard, about (see `shard_bits`).
DOCS_PER_SHARD = 12
#: Bounds of `shard_bits`.
MIN_BITS, MAX_BITS = 4, 16
#: Characters of an article's text kept for the result excerpts.
EXCERPT_CHARS = 1200
#: Files of the article-terms cache (by the top bits of the article id).
_ANALYSIS_FILES = 64
#: Above this many changed articles, and this share of them, one pass over the language costs less.
_REBUILD_MIN, _REBUILD_SHARE = 200, 0.25
#: Weights: a title (or tag) word adds TITLE_WEIGHT; body words 1-15 by frequency and length.
TITLE_WEIGHT = 16
_BODY_MAX = codec.MAX_WEIGHT - TITLE_WEIGHT
_K1, _B, _AVERAGE_WORDS = 1.2, 0.75, 400
_FORMAT = 1
#: Any date: how the site writes it tells whether its date format changed (see _LanguageIndex).
_PROBE_DATE = datetime(2001, 2, 3)
#: Analyses made between two progress calls.
_PROGRESS_STEP = 500
#: A one-pass build hands each worker the articles whose ids share their top _SLICE_BITS bits:
#: a slice holds whole article shards (MIN_BITS bits or more) and whole analysis files.
_SLICE_BITS = MIN_BITS

_INLINE_TAGS = re.compile(r"</?(?:a|abbr|b|bdi|bdo|cite|code|data|dfn|em|i|kbd|mark|q|s|samp|small|span|strong|sub|"
                          r"sup|time|u|var|wbr)\b[^>]*>", re.IGNORECASE)
_SKIPPED = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")

#: (terms, each once; their weights, a byte each; excerpt text): what the index keeps of one article.
Analysis = tuple[tuple[str, ...], bytes, str]
#: (path inside the index, SHA-256, bytes when the index is kept in memory): a file a worker made.
_Stored = tuple[str, str, bytes | None]


#: Called with (stage name, done, total) while the index is made; it may raise to stop the build.
Progress = Callable[[str, int, int], None]


def index_files(site: Site, bodies: dict[str, RenderedBody], config: Config, strings: Strings, *,
                cache: bool = True, defer: bool = False, progress: Progress | None = None,
                languages: Iterable[str] | None = None) -> list[OutputFile]:
    """Every file of the search index (nothing when search is off), made or patched in the cache;
    with `languages`, those of their indexes only (a text edit leaves the others as they are).

    Without `cache` the index is made in memory and nothing is kept for the next build. With
    `defer`, a language that has an index in the cache keeps it as it is, even when articles
    changed, and `search_behind.index_behind(config)` tells whether a build without `defer`
    has work left (`vestka serve` shows the edited page first, then brings the index up to date).
    """
    if not config.search:
        return []
    folder = config.cache_dir / "search" if cache else None
    fingerprint = index_fingerprint(config)
    out: list[OutputFile] = []
    behind = False
    for code in config.language_codes if languages is None else [c for c in config.language_codes if c in languages]:
        index = _LanguageIndex(code, site, bodies, config, strings, folder, fingerprint, progress)
        kept = index.kept() if defer and folder is not None else None
        if kept is not None:
            out += kept[0]
            behind |= kept[1]
        else:
            out += index.files()
    if folder is not None:
        mark_behind(folder, config.output_dir, behind)
    return out


def index_fingerprint(config: Config) -> str:
    """What the cached analyses and index files depend on beyond each article's text."""
    return hashlib.sha256(f"{code_fingerprint()}|{config.sanitize}|{_FORMAT}".encode()).hexdigest()[:20]


def index_folder(lang: str) -> str:
    """`L/search/index/`: where a language's index lives inside output/."""
    return urls.output_path_for(list_url(lang, "search")).removesuffix("index.html") + INDEX_DIR + "/"


def plain_text(body_html: str) -> str:
    """The words of an article body, as a reader sees them."""
    return " ".join(_text_of(body_html).split())  # the whitespace `\s` matches, in a third of the time


def _text_of(body_html: str) -> str:
    """The text of an article body with its markup's white space: `plain_text` but for spaces."""
    text = _SKIPPED.sub(" ", body_html)
    return html.unescape(_TAG.sub(" ", _INLINE_TAGS.sub("", text)))


def analyse(page: Page, body: RenderedBody | None) -> Analysis:
    """An article's terms with their weights, and its excerpt text."""
    text = _text_of(body.html) if body is not None else ""
    lang = page.lang
    # A dict, not a set: the order of the pairs must not hang on how strings hash in this process.
    head = dict.fromkeys(terms(" ".join((page.title, *page.tags)), lang))
    counts, total = term_counts(f"{page.summary} {text}", lang)  # split at white space: no need to tidy it
    norm = _K1 * (1 - _B + _B * total / _AVERAGE_WORDS)
    # BM25's term-frequency part, scaled to 1.._BODY_MAX; most terms share a few frequencies.
    body_weight = {tf: max(1, round(_BODY_MAX * tf / (tf + norm))) for tf in set(counts.values())}
    # At most TITLE_WEIGHT + _BODY_MAX = codec.MAX_WEIGHT: no weight needs clamping.
    weights = dict(zip(counts, map(body_weight.__getitem__, counts.values()), strict=True))
    for term in head:
        weights[term] = weights.get(term, 0) + TITLE_WEIGHT
    # Only the excerpt's white space is tidied: the start of the text, as much as it needs.
    excerpt = " ".join(text[:4 * EXCERPT_CHARS].split())
    if len(excerpt) <= EXCERPT_CHARS < len(text):
        excerpt = " ".join(text.split())
    if len(excerpt) > EXCERPT_CHARS:
        cut = excerpt.rfind(" ", 0, EXCERPT_CHARS)
        excerpt = excerpt[:cut if cut > EXCERPT_CHARS // 2 else EXCERPT_CHARS]
    # Not sorted: nothing needs the order, and sorting was a tenth of an analysis.
    return tuple(weights), bytes(weights.values()), excerpt


def shard_bits(articles: int) -> int:
    """A language of `articles` articles gets 2**bits article shards (the top bits of the ids)
    and as many term shards.

    About DOCS_PER_SHARD articles a shard (4,096 shards of each kind at 45,000 articles): shard
    sizes, and so what a query loads, stay the same as the archive grows, and a small site is
    a few hundred files, not thousands (each one a write and a manifest entry on every build).
    Crossing a power of two rebuilds the language's index once.
    """
    return max(MIN_BITS, min(MAX_BITS, (articles // DOCS_PER_SHARD).bit_length()))


def term_shard(term: str, shards: int) -> int:
    """FNV-1a of the term's code points, modulo `shards` (search.js computes the same)."""
    h = 0x811C9DC5
    for ch in term:
        h = ((h ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
    return h % shards


def doc_ids(sources: Iterable[str]) -> dict[str, int]:
    """A 32-bit id per article from the hash of its path: stable while the site grows.

    Two paths with one hash (rare) take the next free ids in path order, so the ids are a
    function of the set of paths, whatever order the build meets them in.
    """
    hashed = sorted((int.from_bytes(hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=4).digest(), "big"), s)
                    for s in sources)
    ids: dict[str, int] = {}
    used: set[int] = set()
    for value, source in hashed:
        while value in used:
            value = (value + 1) & 0xFFFFFFFF
        used.add(value)
        ids[source] = value
    return ids


def _analysis_file(doc: int) -> int:
    return doc * _ANALYSIS_FILES >> 32


# --- the index's files, each made from its inputs record ---------------------------------------

def article_shard_bytes(inputs: ArticleShardInputs, excerpts: Mapping[str, str]) -> bytes:
    """`d/N.js`: each entry of the record with the excerpt of its text key (`excerpts`)."""
    return codec.script("d", inputs.number, {_id_text(doc): [title, link, date, iso, excerpts[key]]
                                             for doc, title, link, date, iso, key in inputs.entries})


def term_shard_bytes(inputs: TermShardInputs) -> bytes:
    """`t/N.js`: the record's terms and posting lists."""
    return codec.script("t", inputs.number, inputs.postings)


def meta_bytes(inputs: SearchMetaInputs) -> bytes:
    """`meta.js`: what search.js reads before any shard."""
    stemmer = stemmer_name(inputs.lang)
    return codec.script("m", None, {
        "v": _FORMAT, "lang": inputs.lang, "stemmer": stemmer, "docs": inputs.articles,
        "termShards": 1 << inputs.bits, "docBits": inputs.bits, "stop": sorted(STOP_WORDS.get(inputs.lang, ())),
        "titleWeight": TITLE_WEIGHT, "endings": list(BELARUSIAN_ENDINGS) if stemmer == "belarusian" else []})


def article_shards(lang: str, docs: Iterable[_Doc], bits: int) -> dict[int, ArticleShardInputs]:
    """The record of each article shard that `docs` fill, by number."""
    entries: dict[int, list[tuple[int, str, str, str, str, str]]] = defaultdict(list)
    shift = 32 - bits
    for doc in docs:
        entries[doc.id >> shift].append((doc.id, *doc.shown, doc.key))
    return {number: ArticleShardInputs(lang, number, tuple(sorted(found))) for number, found in entries.items()}


def _text_key(page: Page, body: RenderedBody | None) -> str:
    text = page.digest or hashlib.sha256(body.html_z if body is not None else b"").hexdigest()
    return hashlib.blake2b(f"{ANALYZER_VERSION}|{text}|{page.lang}".encode(), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class _Doc:
    """What the index shows and holds of one article: its inputs record, compared with the last
    build's to find what to index again (the shards of its terms, its article shard)."""

    id: int
    #: Hash of the article's text: its analysis is cached under it.
    key: str
    #: [title, link from the search page, date as the site writes it, ISO date].
    shown: tuple[str, str, str, str]

    def __reduce__(self) -> tuple[type[_Doc], tuple[int, str, tuple[str, str, str, str]]]:
        # Pickled as its fields: a slotted dataclass's default way loads ten times slower, and
        # every build loads the last one's articles.
        return _Doc, (self.id, self.key, self.shown)


@dataclass(frozen=True, slots=True)
class SearchInputs:
    """A language's index, as data: its files are made from this record and the analyses of
    its articles' texts (cached by `_Doc.key`), and from nothing else but the code."""

    lang: str
    #: (format, shard bits, excerpt size, analyser version): another value rebuilds the index.
    params: tuple[int, int, int, int]
    #: Each article's record, by its source.
    docs: dict[str, _Doc]


class _LanguageIndex:
    """The index of one language: its state from the last build, and how to bring it up to date."""

    def __init__(self, lang: str, site: Site, bodies: dict[str, RenderedBody], config: Config, strings: Strings,
                 folder: Path | None, fingerprint: str, progress: Progress | None = None) -> None:
        self.lang, self.site, self.bodies = lang, site, bodies
        self.progress = progress
        self.fingerprint = fingerprint
        #: The cache folder; None: everything in memory (`memory`), nothing kept.
        self.folder = folder
        self.memory: dict[str, bytes] | None = None if folder is not None else {}
        self.prefix = index_folder(lang)
        self.mirror = (folder or Path()) / "files" / lang
        self.state_path = (folder or Path()) / f"state-{lang}.bin"
        self.state: dict[str, Any] | None = load_blob(self.state_path, fingerprint)[0] if folder else None
        search_page = list_url(lang, "search")
        sources = (*site.articles.get(lang, ()), *site.standalone.get(lang, ()))
        state = self.state or {}
        last_docs: dict[str, _Doc] = state.get("docs", {})
        # The ids are a function of the set of articles: the same set keeps the last build's.
        same = len(last_docs) == len(sources) and all(map(last_docs.__contains__, sources))
        ids = {source: last_docs[source].id for source in sources} if same else doc_ids(sources)
        # An article's shown fields are made from its title, URL and date, and from these, the
        # same for all: when none changed, the last build's are reused (formatting 10,000 dates
        # and links is most of what an edit costs the index).
        self.shown_env = (config.portable, strings.date(_PROBE_DATE, lang), babel.__version__)
        last_inputs = state.get("shown", {}) if state.get("shown_env") == self.shown_env else {}
        self.shown_inputs: dict[str, tuple[str, str, datetime]] = {}
        docs: dict[str, _Doc] = {}
        for source in sources:
            page = site.pages[source]
            made_of = self.shown_inputs[source] = (page.title, page.url_path, page.date)
            last = last_docs.get(source)
            if last is not None and last_inputs.get(source) == made_of:
                shown = last.shown
            else:
                shown = (page.title, urls.relative_url(search_page, page.url_path, config.portable),
                         strings.date(page.date, lang), page.date.date().isoformat())
            # A page without a digest (none that `read` makes) is keyed by its body.
            docs[source] = _Doc(ids[source], _text_key(page, None if page.digest else bodies.get(source)), shown)
        self.bits = shard_bits(len(docs))
        self.inputs = SearchInputs(lang, (_FORMAT, self.bits, EXCERPT_CHARS, ANALYZER_VERSION), docs)
        self.analysis_files: dict[int, dict[str, tuple[str, bytes]]] = {}
        #: Term shard of each term met (by `_index_slice`, in each worker).
        self.term_shards: dict[str, int] = {}
        self.dirty_analysis: set[int] = set()

    @property
    def docs(self) -> dict[str, _Doc]:
        return self.inputs.docs

    @property
    def params(self) -> tuple[int, int, int, int]:
        return self.inputs.params

    @functools.cached_property
    def article_shards(self) -> dict[int, ArticleShardInputs]:
        return article_shards(self.lang, self.docs.values(), self.bits)

    def _doc_shard(self, doc: int) -> int:
        return doc >> (32 - self.bits)

    # --- the whole update ------------------------------------------------------------------

    def _last(self) -> tuple[dict[str, _Doc], dict[str, str]]:
        """The articles and files of the index the cache holds ({}, {} when none is usable)."""
        state = self.state
        if state is not None and state.get("params") == self.params and self.mirror.is_dir():
            return state["docs"], state["files"]
        return {}, {}

    def kept(self) -> tuple[list[OutputFile], bool] | None:
        """The cached index as it is, and whether articles changed since; None when there is none."""
        previous, files = self._last()
        if not files:
            return None
        behind = previous != self.docs
        return self._outputs(files), behind

    def _outputs(self, files: dict[str, str]) -> list[OutputFile]:
        mirror = str(self.mirror)  # a string path each: a `Path` for each of thousands costs an edit 20 ms
        return [OutputFile(self.prefix + rel, copy_from=f"{mirror}/{rel}", digest=digest)
                for rel, digest in sorted(files.items())]

    def files(self) -> list[OutputFile]:
        if self.memory is not None:
            files = self._rebuild()
            return [OutputFile(self.prefix + rel, data=self.memory[rel], digest=digest)
                    for rel, digest in sorted(files.items())]
        previous, files = self._last()
        changed = [s for s, doc in self.docs.items() if previous.get(s) != doc]
        removed = [s for s in previous if s not in self.docs]
        how = "unchanged"
        if not files or len(changed) + len(removed) > max(_REBUILD_MIN, _REBUILD_SHARE * len(self.docs)):
            files, how = self._rebuild(), "rebuilt"
        elif changed or removed:
            patched = self._patch(previous, files, changed, removed)
            files, how = (patched, "patched") if patched is not None else (self._rebuild(), "rebuilt")
        if how != "unchanged":
            self._save_analyses()
            # `how` tells the tests which way the last update went.
            save_blob(self.state_path, self.fingerprint,
                      {"params": self.params, "docs": self.docs, "files": files, "how": how,
                       "shown": self.shown_inputs, "shown_env": self.shown_env})
        return self._outputs(files)

    def _meta(self) -> bytes:
        return meta_bytes(SearchMetaInputs(self.lang, len(self.docs), self.bits))

    # --- analyses, cached by article text ----------------------------------------------------

    def _analysis_table(self, number: int) -> dict[str, tuple[str, bytes]]:
        table = self.analysis_files.get(number)
        if table is None:
            table = self.analysis_files[number] = self._load_analyses(number)
        return table

    def _analyses_path(self, number: int) -> Path:
        return (self.folder or Path()) / f"terms-{self.lang}-{number:02d}.bin"

    def _load_analyses(self, number: int) -> dict[str, tuple[str, bytes]]:
        """One cache file of analyses: {source: (text key, packed analysis)}."""
        if self.folder is None:
            return {}
        found, _ = load_blob(self._analyses_path(number), self.fingerprint)
        return found["docs"] if found else {}

    def cached_analysis(self, source: str, doc: _Doc) -> Analysis | None:
        entry = self._analysis_table(_analysis_file(doc.id)).get(source)
        if entry is None or entry[0] != doc.key:
            return None
        return _unpack(entry[1])

    def _keep_analysis(self, source: str, doc: _Doc, packed: bytes) -> None:
        number = _analysis_file(doc.id)
        self._analysis_table(number)[source] = (doc.key, packed)
        self.dirty_analysis.add(number)

    def _drop_analysis(self, source: str, doc: _Doc) -> None:
        number = _analysis_file(doc.id)
        if self._analysis_table(number).pop(source, None) is not None:
            self.dirty_analysis.add(number)

    def _save_analyses(self, only: int | None = None) -> None:
        if self.folder is None:
            self.dirty_analysis.clear()
            return
        for number in sorted(self.dirty_analysis) if only is None else [only]:
            table = {s: e for s, e in self.analysis_files[number].items() if s in self.docs}
            save_blob(self._analyses_path(number), self.fingerprint, {"docs": table})
            self.dirty_analysis.discard(number)

    def _analyse_all(self, sources: list[str]) -> Iterator[Analysis]:
        """Analyses of `sources`, in order: cached ones read, the others made on all cores."""
        missing = []
        for number, group in itertools.groupby(sources, lambda s: _analysis_file(self.docs[s].id)):
            missing += [s for s in list(group) if self.cached_analysis(s, self.docs[s]) is None]
            self._release_analyses(number)  # an archive's analyses never all sit in memory
        pages, bodies = self.site.pages, self.bodies
        keep = self.folder is not None

        def work(source: str) -> tuple[Analysis, bytes]:
            # Packed in the worker too: the worker has the analysis at hand.
            analysis = analyse(pages[source], bodies.get(source))
            return analysis, _pack(analysis) if keep else b""
        fresh = ordered_imap(work, missing)
        missing_set = set(missing)
        made = 0
        for source in sources:
            doc = self.docs[source]
            if source in missing_set:
                analysis, packed = next(fresh)
                self._keep_analysis(source, doc, packed)
                made += 1
                if self.progress is not None and made % _PROGRESS_STEP == 0:
                    self.progress(f"search {self.lang}", made, len(missing))
            else:
                analysis = self.cached_analysis(source, doc)  # type: ignore[assignment]
            yield analysis

    # --- a whole language in one pass --------------------------------------------------------

    def _rebuild(self) -> dict[str, str]:
        """Every index file of the language, written into a fresh mirror folder.

        Two passes on all cores, so that this process does next to nothing per posting: each
        slice of articles (consecutive ids) is analysed, its article shards made and its postings
        inverted by one worker (`_index_slice`); then each term shard joins the runs its terms
        have in the slices, in id order (`_join_shard`).
        """
        fresh = self.mirror.with_name(f"{self.lang}.new")
        if self.memory is None:
            shutil.rmtree(fresh, ignore_errors=True)
        # The workers read the analyses the cache holds: an edit's (`_patch`, given up) first.
        self._save_analyses()
        self.analysis_files.clear()
        files: dict[str, str] = {}
        order = sorted(self.docs, key=lambda s: self.docs[s].id)
        slices = [list(group) for _, group in
                  itertools.groupby(order, lambda s: self.docs[s].id >> (32 - _SLICE_BITS))]
        records = self.article_shards  # made once, here, for the workers to share
        # The slices' postings wait on disk for the second pass: held here, they would be memory
        # this process keeps (and every process it forks later) for the rest of the build.
        with self._spill(fresh) as spill:
            runs: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
            done = 0
            results = ordered_imap(lambda part: self._index_slice(part, records, fresh, spill), slices, slice_size=1,
                                   work=len(order))
            for part, (stored, blocks) in zip(slices, results, strict=True):
                for item in stored:
                    self._keep_file(item, files)
                for number, block in blocks.items():
                    runs[number].append(block)
                done += len(part)
                if self.progress is not None:
                    self.progress(f"search {self.lang}", done, len(order))
            numbers = sorted(runs)
            for item in ordered_imap(lambda number: self._join_shard(number, runs[number], fresh), numbers,
                                     slice_size=8, work=len(order)):
                self._keep_file(item, files)
        self._keep_file(self._store(fresh, "meta.js", self._meta()), files)
        if self.memory is not None:
            return files
        old = self.mirror.with_name(f"{self.lang}.old")
        shutil.rmtree(old, ignore_errors=True)
        if self.mirror.exists():
            os.replace(self.mirror, old)
        os.replace(fresh, self.mirror)
        shutil.rmtree(old, ignore_errors=True)
        return files

    @contextlib.contextmanager
    def _spill(self, fresh: Path) -> Iterator[str]:
        """A folder for the blocks of postings of a one-pass build, removed after it (in the fresh
        mirror folder, which the next one-pass build clears even if this one is killed)."""
        if self.memory is not None:
            with tempfile.TemporaryDirectory(prefix="vestka-search-") as folder:
                yield folder
            return
        folder = fresh / "runs"
        folder.mkdir(parents=True)
        try:
            yield str(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _index_slice(self, sources: list[str], records: dict[int, ArticleShardInputs], root: Path,
                     spill: str) -> tuple[list[_Stored], dict[int, tuple[str, int, int]]]:
        """One slice of articles in id order, in a worker: its article shards, and its postings as
        one block of runs per term shard, written into a file in `spill` (the blocks' file, offset
        and size come back). Analyses it had to make are saved in the cache.

        A run is a line `term, first posting as id << 5 | weight, last id, the postings after the
        first` (see `codec.encode_codes`): `_join_shard` joins a term's runs in slice order.
        """
        pages, bodies = self.site.pages, self.bodies
        keep = self.folder is not None
        stored: list[_Stored] = []
        codes: dict[str, list[int]] = defaultdict(list)
        excerpts: dict[str, str] = {}
        for number, group in itertools.groupby(sources, lambda s: _analysis_file(self.docs[s].id)):
            table = self._load_analyses(number)
            made = False
            for source in group:
                doc = self.docs[source]
                entry = table.get(source)
                if entry is not None and entry[0] == doc.key:
                    names, weights, text = _unpack(entry[1])
                else:
                    names, weights, text = analysis = analyse(pages[source], bodies.get(source))
                    made = True
                    if keep:  # packed here, in the worker that made it
                        table[source] = (doc.key, _pack(analysis))
                excerpts[doc.key] = text
                # Each posting appended in C, not in a loop of Python: once per posting of the archive.
                collections.deque(map(list.append, map(codes.__getitem__, names), map((doc.id << 5).__or__, weights)),
                                  maxlen=0)
            if keep and made:
                save_blob(self._analyses_path(number), self.fingerprint,
                          {"docs": {s: e for s, e in table.items() if s in self.docs}})
        # A slice holds whole article shards (see _SLICE_BITS).
        for shard in sorted({self._doc_shard(self.docs[source].id) for source in sources}):
            stored.append(self._store(root, f"d/{shard}.js", article_shard_bytes(records[shard], excerpts)))
        lines: dict[int, list[str]] = defaultdict(list)
        shards, shard_of = 1 << self.bits, self.term_shards
        for term, posted in codes.items():
            number = shard_of.get(term)
            if number is None:  # a worker meets most terms in each of its slices
                number = shard_of[term] = term_shard(term, shards)
            lines[number].append(f"{term}\t{posted[0]}\t{posted[-1] >> 5}\t{codec.encode_codes(posted, 1)}")
        path = os.path.join(spill, f"{self.docs[sources[0]].id >> (32 - _SLICE_BITS)}")
        places: dict[int, tuple[str, int, int]] = {}
        with open(path, "wb") as handle:
            for number, block in lines.items():
                data = "\n".join(block).encode()
                places[number] = (path, handle.tell(), len(data))
                handle.write(data)
        return stored, places

    def _join_shard(self, number: int, blocks: list[tuple[str, int, int]], root: Path) -> _Stored:
        """Term shard `number` from its blocks, one a slice in id order (see `_index_slice`)."""
        joined: dict[str, list[str]] = {}
        last: dict[str, int] = {}
        for path, offset, size in blocks:
            fd = os.open(path, os.O_RDONLY)
            try:
                block = os.pread(fd, size, offset)
            finally:
                os.close(fd)
            for line in block.decode().split("\n"):
                term, first, end, rest = line.split("\t")
                code = int(first)
                head = codec.posting((code >> 5) - last.get(term, 0), code & 31)
                if term in joined:
                    joined[term] += (head, rest)
                else:
                    joined[term] = [head, rest]
                last[term] = int(end)
        record = TermShardInputs(self.lang, number, {term: "".join(parts) for term, parts in joined.items()})
        return self._store(root, f"t/{number}.js", term_shard_bytes(record))

    def _store(self, root: Path, rel: str, data: bytes) -> _Stored:
        """Write an index file under `root`, from any process; its bytes come back when the index
        is kept in memory."""
        if self.memory is not None:
            return rel, hashlib.sha256(data).hexdigest(), data
        files: dict[str, str] = {}
        _write(root, rel, data, files)
        return rel, files[rel], None

    def _keep_file(self, stored: _Stored, files: dict[str, str]) -> None:
        rel, digest, data = stored
        files[rel] = digest
        if self.memory is not None and data is not None:
            self.memory[rel] = data

    def _release_analyses(self, number: int) -> None:
        """Save (when changed) and forget one cache file of analyses."""
        if number in self.dirty_analysis:
            self._save_analyses(number)
        self.analysis_files.pop(number, None)

    # --- an edit: only the shards it touches -------------------------------------------------

    def _patch(self, previous: dict[str, _Doc], files: dict[str, str], changed: list[str],
               removed: list[str]) -> dict[str, str] | None:
        """Patch the shards the changed articles were and are in; None when the cache cannot."""
        files = dict(files)
        shards = 1 << self.bits
        old_ids: set[int] = set()
        old_pairs: dict[str, dict[str, int]] = {}
        for source in (*changed, *removed):
            old = previous.get(source)
            if old is None:
                continue
            old_ids.add(old.id)
            analysis = self.cached_analysis(source, old)
            if analysis is None:
                return None  # the terms it was indexed under are unknown: start again
            old_pairs[source] = dict(zip(analysis[0], analysis[1], strict=True))
            if source in removed:
                self._drop_analysis(source, old)
        # Every posting of a changed article, by shard and term; the terms to patch are those
        # whose posting came, went, or changed weight (or id, after a hash collision).
        term_add: dict[int, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
        touched: dict[int, set[str]] = defaultdict(set)
        fresh_excerpts: dict[str, str] = {}
        for source in removed:
            for term in old_pairs.get(source, ()):
                touched[term_shard(term, shards)].add(term)
        for source, analysis in zip(changed, self._analyse_all(changed), strict=True):
            doc = self.docs[source]
            fresh_excerpts[doc.key] = analysis[2]
            before = dict(old_pairs.get(source, {}))
            if source in previous and previous[source].id != doc.id:  # a hash collision resolved anew
                for term in before:
                    touched[term_shard(term, shards)].add(term)
                before = {}
            for term, weight in zip(analysis[0], analysis[1], strict=True):
                number = term_shard(term, shards)
                term_add[number][term].append((doc.id, weight))
                if before.pop(term, None) != weight:
                    touched[number].add(term)
            for term in before:  # no longer in the article
                touched[term_shard(term, shards)].add(term)
        # An article shard is made again when its record is not the last build's; the excerpts of
        # its articles whose text did not change are those its last file holds.
        last_shards, shards_now = article_shards(self.lang, previous.values(), self.bits), self.article_shards
        for number in sorted(last_shards.keys() | shards_now.keys()):
            record, last = shards_now.get(number), last_shards.get(number)
            if record == last:
                continue
            excerpts = dict(fresh_excerpts)
            if last is not None:
                data = self._read(f"d/{number}.js", files)
                if data is None or any(_id_text(entry[0]) not in data for entry in last.entries):
                    return None
                excerpts.update((entry[5], data[_id_text(entry[0])][4]) for entry in last.entries)
            if record is not None and any(entry[5] not in excerpts for entry in record.entries):
                return None
            self._put(f"d/{number}.js", article_shard_bytes(record, excerpts) if record is not None else None, files)
        for number in sorted(touched):
            data = self._read(f"t/{number}.js", files)
            if data is None:
                return None
            adds = term_add.get(number, {})
            for term in touched[number]:
                postings = [p for p in codec.decode_postings(data.get(term, "")) if p[0] not in old_ids]
                postings = sorted(postings + adds.get(term, []))
                if postings:
                    data[term] = codec.encode_postings(postings)
                else:
                    data.pop(term, None)
            self._put(f"t/{number}.js", term_shard_bytes(TermShardInputs(self.lang, number, data)) if data else None,
                      files)
        self._put("meta.js", self._meta(), files)
        return files

    def _read(self, rel: str, files: dict[str, str]) -> dict | None:
        """A shard's data as the mirror holds it ({} for none); None when the file was damaged."""
        if rel not in files:
            return {}
        try:
            data = (self.mirror / rel).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != files[rel]:
            return None
        return codec.read_script(data)

    def _put(self, rel: str, data: bytes | None, files: dict[str, str]) -> None:
        path = self.mirror / rel
        if data is None:
            files.pop(rel, None)
            path.unlink(missing_ok=True)
            return
        digest = hashlib.sha256(data).hexdigest()
        if files.get(rel) != digest:  # same bytes: the file and its time stay as they are
            _write(self.mirror, rel, data, files)


def _write(root: Path, rel: str, data: bytes, files: dict[str, str]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    files[rel] = hashlib.sha256(data).hexdigest()


def _id_text(doc: int) -> str:
    return format(doc, "x")


def _pack(analysis: Analysis) -> bytes:
    """An analysis as the cache keeps it: the weights as bytes, then text and terms on lines."""
    names, weights, text = analysis
    lines = "\n".join([text.replace("\n", " "), *names]).encode()
    # Not compressed: zlib, even at its fastest, was a third of the cost of an analysis; the
    # cache is about twice as big for it (some 40 MB at 10,000 articles).
    return b"%d\n%b%b" % (len(weights), weights, lines)


def _unpack(data: bytes) -> Analysis:
    size = data.index(b"\n")
    count = int(data[:size])
    weights = data[size + 1:size + 1 + count]
    text, *names = data[size + 1 + count:].decode().split("\n")
    return tuple(names), weights, text
