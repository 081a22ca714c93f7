"""Describe the size profile of one or more benchmark corpora, side by side (stdlib only).

Run from the repository root:

    python benchmarks/corpus_stats.py CORPUS_DIR [OTHER_CORPUS_DIR ...]

Each corpus is a folder with ``content/<lang>/<year>/<slug>.md`` files as written by
``make_corpus.py``. Words are whitespace-separated tokens of the body (front matter
excluded), counted the same way for every corpus so that two generators can be compared.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

#: Body features counted as "share of articles that have at least one".
FEATURES = {
    "headings": re.compile(r"^#{2,3} ", re.MULTILINE),
    "lists": re.compile(r"^- ", re.MULTILINE),
    "blockquotes": re.compile(r"^> ", re.MULTILINE),
    "images": re.compile(r"!\["),
    "tables": re.compile(r"^\|", re.MULTILINE),
    "links": re.compile(r"\]\("),
}


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter, body) of a file that starts with a ``---`` fenced YAML block."""
    if not text.startswith("---\n"):
        return "", text
    end = text.find("\n---\n", 4)
    if end < 0:
        return "", text
    return text[4:end], text[end + 5 :]


def profile(root: Path) -> dict[str, str]:
    """Human-readable figures for one corpus, keyed by the row label."""
    files = sorted((root / "content").glob("*/*/*.md"))
    if not files:
        raise SystemExit(f"{root}: no content/<lang>/<year>/*.md files found")
    sizes: list[int] = []
    words: list[int] = []
    chars_per_word: list[float] = []
    tags_per_article: list[int] = []
    langs: Counter[str] = Counter()
    years: Counter[str] = Counter()
    distinct_tags: set[tuple[str, str]] = set()
    translated = 0
    features: Counter[str] = Counter()
    for path in files:
        data = path.read_bytes()
        front, body = split_front_matter(data.decode("utf-8"))
        lang, year = path.parent.parent.name, path.parent.name
        tokens = body.split()
        sizes.append(len(data))
        words.append(len(tokens))
        chars_per_word.append(sum(map(len, tokens)) / max(1, len(tokens)))
        tags = re.findall(r"^  - (.+)$", front, re.MULTILINE)
        tags_per_article.append(len(tags))
        distinct_tags.update((lang, tag) for tag in tags)
        translated += "translation_key:" in front
        langs[lang] += 1
        years[year] += 1
        for name, pattern in FEATURES.items():
            features[name] += bool(pattern.search(body))
    n = len(files)
    ordered = sorted(words)
    share = ", ".join(f"{lang} {100 * count / n:.0f}%" for lang, count in sorted(langs.items()))
    return {
        "articles": str(n),
        "total MB": f"{sum(sizes) / 1e6:.2f}",
        "median file KB": f"{statistics.median(sizes) / 1e3:.1f}",
        "median words": str(ordered[n // 2]),
        "p90 / p99 / max words": f"{ordered[int(n * 0.9)]} / {ordered[int(n * 0.99)]} / {ordered[-1]}",
        "mean chars per word": f"{statistics.fmean(chars_per_word):.2f}",
        "languages": share,
        "translated share": f"{100 * translated / n:.1f}%",
        "tags per article": f"{statistics.fmean(tags_per_article):.2f}",
        "distinct tags": str(len(distinct_tags)),
        "years": f"{min(years)}–{max(years)} ({len(years)})",
        **{f"with {name}": f"{100 * features[name] / n:.0f}%" for name in FEATURES},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+", type=Path, help="corpus folders")
    args = parser.parse_args(argv)
    columns = [profile(root) for root in args.corpora]
    labels = list(columns[0])
    widths = [max(len(label) for label in labels)] + [
        max(len(str(root)), *(len(col[label]) for label in labels))
        for root, col in zip(args.corpora, columns, strict=True)
    ]
    header = ["", *(str(root) for root in args.corpora)]
    print("  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    for label in labels:
        cells = [label, *(col[label] for col in columns)]
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
