"""What one search query costs a reader: bytes of index loaded, and time to answer once loaded.

Run from the repository root on a built site (search on), e.g. the 100k corpus after
`benchmarks/run.py --keep` or `vestka build`:

    python benchmarks/search_bytes.py OUTPUT_DIR [--lang be] [--queries 12]

For each language it asks, in a fresh headless Chromium page each time (nothing cached), the
word with the longest posting list (the worst case), two-word queries of common words, and words
taken from article titles, over http (`python -m http.server` on 127.0.0.1) and from file://.
It prints the bytes of `search/index/` files each query loaded, and how long the same query took
when asked again on the same page (its files then loaded).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_quality import CHROME_ARGS, Server  # noqa: E402


def longest_terms(index: Path, count: int) -> list[str]:
    """The `count` terms with the longest posting lists (by encoded length)."""
    best: list[tuple[int, str]] = []
    for shard in index.glob("t/*.js"):
        text = shard.read_text(encoding="utf-8")
        data = json.loads(text[text.index("{"):text.rindex("}") + 1])
        best.extend((len(v), k) for k, v in data.items())
        best = sorted(best, reverse=True)[:count]
    return [term for _, term in best]


def title_words(index: Path, count: int, seed: int = 1) -> list[str]:
    """Words of article titles (as readers would type them), chosen at random."""
    rng = random.Random(seed)
    shards = sorted(index.glob("d/*.js"))
    words: list[str] = []
    for shard in rng.sample(shards, min(len(shards), count)):
        text = shard.read_text(encoding="utf-8")
        data = json.loads(text[text.index("{"):text.rindex("}") + 1])
        title = next(iter(data.values()))[0]
        choices = [w for w in title.split() if len(w) > 3 and w.isalpha()]
        if choices:
            words.append(rng.choice(choices))
    return words


def measure(output: Path, lang: str, queries: list[str], chromium: str) -> list[dict]:
    import playwright.sync_api as playwright

    rows = []
    with Server(output) as server, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROME_ARGS)
        try:
            for way in ("http", "file"):
                for query in queries:
                    context = browser.new_context()
                    loaded: dict[str, int] = {}

                    def seen(response: object, loaded: dict[str, int] = loaded) -> None:
                        url = response.url
                        if "/search/index/" not in url:
                            return
                        if url.startswith("file://"):
                            loaded[url] = Path(unquote(urlsplit(url).path)).stat().st_size
                        elif response.ok:
                            loaded[url] = len(response.body())

                    context.on("response", seen)
                    tab = context.new_page()
                    if way == "http":
                        url = f"{server}{lang}/search/?q={quote(query)}"
                    else:
                        url = (output / lang / "search" / "index.html").as_uri() + f"?q={quote(query)}"
                    tab.goto(url)
                    tab.wait_for_selector("#search-results[data-done]", timeout=120_000)
                    found = tab.text_content(".search-count") or ""
                    # The same query again on this page: its files are loaded, this is the search itself.
                    millis = tab.evaluate("""q => new Promise(done => {
                        const box = document.getElementById('search-results');
                        const before = box.dataset.done;
                        const start = performance.now();
                        const input = document.getElementById('search-input');
                        input.value = q;
                        document.getElementById('search-form').requestSubmit();
                        const wait = () => box.dataset.done !== before ? done(performance.now() - start)
                                                                        : setTimeout(wait, 1);
                        wait();
                    })""", query)
                    rows.append({"way": way, "query": query, "files": len(loaded), "bytes": sum(loaded.values()),
                                 "found": found, "answer_ms": round(millis, 1)})
                    context.close()
        finally:
            browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="a built site's output folder")
    parser.add_argument("--lang", action="append", help="language(s) to ask in (default: every one indexed)")
    parser.add_argument("--queries", type=int, default=8, help="title-word queries per language (default 8)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--json", type=Path, help="also write every row here")
    args = parser.parse_args(argv)
    langs = args.lang or sorted(p.parent.parent.name for p in args.output.glob("*/search/index"))
    every = []
    for lang in langs:
        index = args.output / lang / "search" / "index"
        common = longest_terms(index, 4)
        queries = [common[0], f"{common[1]} {common[2]}", *title_words(index, args.queries)]
        rows = measure(args.output, lang, queries, args.chromium)
        for row in rows:
            row["lang"] = lang
            print(f"{lang} {row['way']:4} {row['bytes'] / 1e3:9.1f} kB in {row['files']:3} files"
                  f"  answer {row['answer_ms']:6.1f} ms  {row['found']:>14}  {row['query']}")
        for way in ("http", "file"):
            mine = [r for r in rows if r["way"] == way]
            print(f"{lang} {way}: max {max(r['bytes'] for r in mine) / 1e3:.1f} kB, median "
                  f"{statistics.median(r['bytes'] for r in mine) / 1e3:.1f} kB; answer max "
                  f"{max(r['answer_ms'] for r in mine):.1f} ms")
        every += rows
    if args.json:
        args.json.write_text(json.dumps(every, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
