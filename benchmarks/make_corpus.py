"""Write a synthetic NGO news archive for the benchmarks: deterministic, stdlib only.

Run from the repository root:

    python benchmarks/make_corpus.py --articles 10000 --out CORPUS_DIR --seed 1

It writes ``CORPUS_DIR/config.yaml`` (a Vestka site config) and one Markdown file per
article at ``CORPUS_DIR/content/<lang>/<year>/<slug>.md``. Each file has YAML front
matter (title, slug, date with a UTC offset, lang, author, tags, summary and, for
translated stories, translation_key) and a body made of paragraphs, headings, lists,
links, emphasis, blockquotes and the odd image or table.

The shape follows a real multilingual archive: stories are Belarusian, Russian or
English (about 50/33/17), about one in eight is translated into one or two of the
other languages, tags and authors follow Zipf laws, the number of stories grows from
2005 to 2026, and body lengths are log-normal around 400 words with a thin tail of long
reports. The last date is 31 October 2026, so no article lies in the future for a
generator that drops future posts.

The same ``--articles``, ``--seed`` always give byte-identical files: every random
choice comes from one seeded ``random.Random`` and nothing iterates over a set or
reads the clock.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = ("be", "ru", "en")
#: Share of stories first written in each language.
PRIMARY_SHARE = (0.50, 0.33, 0.17)
#: Chance that a story is also published in one or two other languages.
TRANSLATED_SHARE = 0.12
FIRST_YEAR, LAST_YEAR = 2005, 2026
#: Last month of LAST_YEAR that gets articles (keeps every date in the past).
LAST_MONTH = 10

CONFIG_YAML = """\
title: NGO news archive
base_url: https://example.org/
default_language: be
timezone: Europe/Minsk
languages:
  - {code: be, name: Беларуская}
  - {code: ru, name: Русский}
  - {code: en, name: English}
per_page: 20
latest_news: 10
# The default configuration: search on (benchmarks/run.py --tools vestka-nosearch measures it off).
search: true
# The same URLs as the Hugo and Pelican twins (and as the corpus's own internal links).
slugs: unicode
permalinks:
  article: /{lang}/{year}/{slug}/
"""


@dataclass(frozen=True)
class Phonology:
    """Letters a language's made-up words are built from."""

    onsets: tuple[str, ...]
    vowels: tuple[str, ...]
    codas: tuple[str, ...]
    endings: tuple[str, ...]
    #: Frequent real words, placed at the head of the Zipf ranking.
    function_words: tuple[str, ...]


def spaced(text: str) -> tuple[str, ...]:
    """Split a space-separated inventory into a tuple (keeps the tables readable)."""
    return tuple(text.split())


PHONOLOGY = {
    "be": Phonology(
        onsets=spaced("б в г д ж з к л м н п р с т ф х ц ч ш дз дж ст пр кр сл зм бр"),
        vowels=spaced("а а а о е і і ы у э ё ю я"),
        codas=("", "", "", "", "н", "р", "л", "ў", "й", "к", "ць", "ст"),
        endings=spaced("ская ства нне цца ага ымі асць ені аў ую"),
        function_words=spaced(
            "і ў на з па да што як не для гэта яго яе іх пра пасля таксама было быў але ці калі ад праз"
        ),
    ),
    "ru": Phonology(
        onsets=spaced("б в г д ж з к л м н п р с т ф х ц ч ш щ ст пр кр сл зв бр"),
        vowels=spaced("а а о о е и и ы у э ё ю я"),
        codas=("", "", "", "", "н", "р", "л", "в", "й", "к", "ть", "ст"),
        endings=spaced("ский ство ние ться ого ыми ость ений ов ую"),
        function_words=spaced(
            "и в на с по до что как не для это его её их о после также было был но или когда от через"
        ),
    ),
    "en": Phonology(
        onsets=spaced("b c d f g h j k l m n p r s t v w st tr pr gr ch sh th bl"),
        vowels=spaced("a a e e e i o o u ea ou ai"),
        codas=("", "", "", "n", "r", "l", "s", "t", "nd", "ng", "ck", "rt"),
        endings=spaced("tion ment ing ness ly ed ity ers al ive"),
        function_words=spaced(
            "the of and to in a for on that with by was is as at from it his her but or when after about"
        ),
    ),
}

#: Domains of outside links (the example.* names are reserved for documentation).
LINK_HOSTS = ("https://example.org", "https://example.com", "https://example.net")


def zipf_cum_weights(n: int, exponent: float) -> list[float]:
    """Cumulative weights of ranks 1..n under a Zipf law, for `random.choices`."""
    return list(itertools.accumulate(1.0 / rank**exponent for rank in range(1, n + 1)))


class Lexicon:
    """One language's vocabulary, tags and authors, all drawn from one seeded RNG."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.lang = lang
        self.phon = PHONOLOGY[lang]
        made_up = self._unique(rng, 5200, self._word)
        self.vocab = list(self.phon.function_words) + made_up
        self.vocab_cw = zipf_cum_weights(len(self.vocab), 1.0)
        common = made_up[:2500]
        self.tags = self._unique(rng, 400, lambda r: self._tag(r, common))
        self.tags_cw = zipf_cum_weights(len(self.tags), 1.1)
        self.authors = self._unique(
            rng,
            50,
            lambda r: f"{r.choice(common).capitalize()} {r.choice(made_up).capitalize()}",
        )
        self.authors_cw = zipf_cum_weights(len(self.authors), 0.8)

    @staticmethod
    def _unique(rng: random.Random, count: int, make: Callable[[random.Random], str]) -> list[str]:
        """`count` distinct values from `make(rng)`, kept in first-seen order."""
        seen: dict[str, None] = {}
        while len(seen) < count:
            value = make(rng)
            if len(value) >= 2:
                seen.setdefault(value, None)
        return list(seen)

    def _word(self, rng: random.Random) -> str:
        syllables = rng.choices((1, 2, 3, 4), weights=(3, 6, 4, 1))[0]
        parts = [rng.choice(self.phon.onsets) + rng.choice(self.phon.vowels) for _ in range(syllables)]
        if rng.random() < 0.3:
            parts.append(rng.choice(self.phon.endings))
        else:
            parts.append(rng.choice(self.phon.codas))
        return "".join(parts)

    @staticmethod
    def _tag(rng: random.Random, common: list[str]) -> str:
        words = [rng.choice(common) for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))]
        if rng.random() < 0.3:  # names of people and places
            return " ".join(w.capitalize() for w in words)
        return " ".join(words)

    def words(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.vocab, cum_weights=self.vocab_cw, k=count)

    def sentence(self, rng: random.Random, shortest: int = 5, longest: int = 20) -> str:
        words = self.words(rng, rng.randint(shortest, longest))
        if len(words) > 9 and rng.random() < 0.45:
            at = rng.randint(2, len(words) - 3)
            words[at] += ","
        words[0] = words[0].capitalize()
        return " ".join(words) + rng.choice((".", ".", ".", ".", "?", "!"))

    def tag_list(self, rng: random.Random) -> list[str]:
        count = rng.choices((1, 2, 3, 4, 5, 6), weights=(10, 20, 25, 22, 14, 9))[0]
        chosen: list[str] = []
        while len(chosen) < count:
            tag = rng.choices(self.tags, cum_weights=self.tags_cw)[0]
            if tag not in chosen:
                chosen.append(tag)
        return chosen

    def author(self, rng: random.Random) -> str:
        return rng.choices(self.authors, cum_weights=self.authors_cw)[0]


def body_words(rng: random.Random) -> int:
    """Target body length: log-normal around 400 words, plus rare long reports."""
    if rng.random() < 0.012:
        return rng.randint(2000, 5000)
    return max(60, min(5000, round(math.exp(rng.gauss(math.log(400), 0.55)))))


def decorate(rng: random.Random, sentence: str, lang: str, earlier: list[str]) -> str:
    """Maybe turn two words of a sentence into a link, or one into emphasis."""
    words = sentence.split(" ")
    roll = rng.random()
    if roll < 0.11 and len(words) > 4:
        at = rng.randint(1, len(words) - 3)
        if earlier and rng.random() < 0.5:
            target = rng.choice(earlier)
        else:
            target = f"{rng.choice(LINK_HOSTS)}/{lang}/news/{rng.randint(1, 99999)}"
        text = f"{words[at].rstrip(',')} {words[at + 1].rstrip(',')}"
        words[at : at + 2] = [f"[{text}]({target})"]
    elif roll < 0.17 and len(words) > 3:
        at = rng.randint(1, len(words) - 2)
        mark = "**" if rng.random() < 0.5 else "*"
        words[at] = f"{mark}{words[at].rstrip(',')}{mark}"
    return " ".join(words)


def make_body(rng: random.Random, lex: Lexicon, target: int, year: int, earlier: list[str]) -> str:
    """A Markdown body of about `target` words."""
    paragraphs_expected = max(2, target // 55)
    headings = 0 if target < 500 else min(8, target // 350)
    heading_at = set(rng.sample(range(1, paragraphs_expected), min(headings, paragraphs_expected - 1)))
    extras = {
        "image": rng.random() < 0.15,
        "list": rng.random() < 0.30,
        "quote": rng.random() < 0.25,
        "table": rng.random() < 0.05,
    }
    blocks: list[str] = []
    written = 0
    paragraph = 0
    while written < target:
        if paragraph in heading_at:
            title = lex.words(rng, rng.randint(2, 6))
            level = "##" if rng.random() < 0.8 else "###"
            blocks.append(f"{level} {' '.join(title).capitalize()}")
            written += len(title)
        text = " ".join(decorate(rng, lex.sentence(rng), lex.lang, earlier) for _ in range(rng.randint(2, 6)))
        blocks.append(text)
        written += text.count(" ") + 1
        paragraph += 1
        if paragraph == 1 and extras["image"]:
            alt = " ".join(lex.words(rng, 4))
            blocks.append(f"![{alt}](/images/{year}/{rng.randint(0, 999999):06d}.jpg)")
        if paragraph == 2 and extras["list"]:
            items = [f"- {lex.sentence(rng, 3, 12)}" for _ in range(rng.randint(3, 7))]
            blocks.append("\n".join(items))
            written += sum(item.count(" ") for item in items)
        if paragraph == 3 and extras["quote"]:
            quote = " ".join(lex.sentence(rng) for _ in range(rng.randint(1, 3)))
            blocks.append(f"> {quote}")
            written += quote.count(" ") + 1
        if paragraph == 4 and extras["table"]:
            table = make_table(rng, lex)
            blocks.append(table)
            written += table.count("|")
    return "\n\n".join(blocks) + "\n"


def make_table(rng: random.Random, lex: Lexicon) -> str:
    columns = rng.randint(3, 4)
    header = [" ".join(lex.words(rng, rng.randint(1, 2))).capitalize() for _ in range(columns)]
    rows = ["| " + " | ".join(header) + " |", "|" + " --- |" * columns]
    for _ in range(rng.randint(3, 8)):
        cells = [lex.words(rng, 1)[0]] + [str(rng.randint(0, 5000)) for _ in range(columns - 1)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def utc_offset(rng: random.Random, lang: str, year: int, month: int) -> str:
    """Minsk time for be/ru (UTC+2 with summer time before 2011, UTC+3 since); mixed for en."""
    if lang == "en":
        return rng.choice(("+00:00", "+01:00", "+03:00"))
    if year < 2011 and not 4 <= month <= 10:
        return "+02:00"
    return "+03:00"


def slugify(words: list[str]) -> str:
    """Lower-case, hyphen-joined letters and digits of up to five longer title words."""
    picked = [w for w in words if len(w) > 2][:5] or words[:5]
    slug = "-".join("".join(ch for ch in w.lower() if ch.isalnum()) for w in picked)
    return slug[:80].strip("-") or "news"


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class Stats:
    files: int
    total_bytes: int
    words: tuple[int, ...]
    per_lang: dict[str, int]

    def line(self) -> str:
        ordered = sorted(self.words)
        median = ordered[len(ordered) // 2] if ordered else 0
        p99 = ordered[int(len(ordered) * 0.99)] if ordered else 0
        return (
            f"articles={self.files} bytes={self.total_bytes} median_words={median} "
            f"p99_words={p99} langs={json.dumps(self.per_lang)}"
        )


def generate(articles: int, out: Path, seed: int) -> Stats:
    """Write `articles` Markdown files and config.yaml under `out`."""
    rng = random.Random(seed)
    lexicons = {lang: Lexicon(rng, lang) for lang in LANGUAGES}
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    year_weights = [1.0 + 0.15 * (y - FIRST_YEAR) for y in years]
    taken: dict[tuple[str, int, str], None] = {}
    earlier_urls: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    words: list[int] = []
    per_lang = dict.fromkeys(LANGUAGES, 0)
    total_bytes = 0
    stories = 0

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_bytes(CONFIG_YAML.encode("utf-8"))
    while sum(per_lang.values()) < articles:
        year = rng.choices(years, weights=year_weights)[0]
        month = rng.randint(1, LAST_MONTH if year == LAST_YEAR else 12)
        day, hour = rng.randint(1, 28), rng.randint(8, 21)
        minute, second = rng.randint(0, 59), rng.randint(0, 59)
        primary = rng.choices(LANGUAGES, weights=PRIMARY_SHARE)[0]
        editions = [primary]
        if rng.random() < TRANSLATED_SHARE:
            others = [lang for lang in LANGUAGES if lang != primary]
            rng.shuffle(others)
            editions += others[: rng.choice((1, 1, 2))]
        stories += 1
        key = f"story-{stories:06d}" if len(editions) > 1 else None
        length = body_words(rng)
        for lang in editions[: articles - sum(per_lang.values())]:
            lex = lexicons[lang]
            title_words = lex.words(rng, rng.randint(5, 12))
            title = " ".join(title_words)
            title = title[0].upper() + title[1:]
            slug = base = slugify(title_words)
            suffix = 2
            while (lang, year, slug) in taken:
                slug, suffix = f"{base}-{suffix}", suffix + 1
            taken[(lang, year, slug)] = None
            offset = utc_offset(rng, lang, year, month)
            front = [
                "---",
                f"title: {quoted(title)}",
                f"slug: {quoted(slug)}",
                f"date: {year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{offset}",
                f"lang: {lang}",
                f"author: {quoted(lex.author(rng))}",
                "tags:",
                *(f"  - {quoted(tag)}" for tag in lex.tag_list(rng)),
                f"summary: {quoted(' '.join(lex.sentence(rng, 8, 18) for _ in range(rng.randint(1, 2))))}",
            ]
            if key:
                front.append(f"translation_key: {key}")
            front.append("---")
            edition_length = max(40, round(length * rng.uniform(0.9, 1.1)))
            body = make_body(rng, lex, edition_length, year, earlier_urls[lang][-200:])
            data = ("\n".join(front) + "\n\n" + body).encode("utf-8")
            folder = out / "content" / lang / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{slug}.md").write_bytes(data)
            earlier_urls[lang].append(f"/{lang}/{year}/{slug}/")
            words.append(len(body.split()))
            per_lang[lang] += 1
            total_bytes += len(data)
    return Stats(sum(per_lang.values()), total_bytes, tuple(words), per_lang)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, required=True, help="number of Markdown files")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    stats = generate(args.articles, args.out, args.seed)
    print(stats.line(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
