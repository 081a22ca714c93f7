"""Search quality on real-language text, held to the targets: recall within the first 10 results
>= 0.95 and the expected article first for >= 80% of single-article queries, per language, in
Chromium over http and from file://. The queries and the measurement are in
benchmarks/search_quality.py, which prints the same figures for benchmarks/RESULTS.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from theme_support import chromium_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import search_quality  # noqa: E402


def test_at_least_twenty_queries_per_language_most_of_them_inflected() -> None:
    asked = search_quality.queries(with_dumps=False)
    for lang in ("be", "ru", "en"):
        assert sum(1 for q in asked if q[0] == lang) >= 20


@pytest.mark.browser
def test_recall_and_first_result_per_language_over_http_and_file(tmp_path: Path) -> None:
    samples = search_quality.DEFAULT_SAMPLES
    with_dumps = samples.is_dir()
    output = search_quality.make_archive(tmp_path, samples if with_dumps else None)
    figures = search_quality.measure(output, chromium_path(), with_dumps)
    assert set(figures) == {"http", "file"}
    for way, per_lang in figures.items():
        assert set(per_lang) == {"be", "ru", "en"}
        for lang, row in per_lang.items():
            assert row["queries"] >= 20
            assert row["recall@10"] >= 0.95, (way, lang, row["misses"])
            assert row["first share"] >= 0.80, (way, lang, row["misses"])
    assert figures["http"] == figures["file"]
