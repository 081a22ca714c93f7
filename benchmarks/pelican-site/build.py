"""Build the Pelican version of the benchmark site: one Pelican site per language.

Run from the repository root (Pelican and pelican-yaml-metadata installed):

    python benchmarks/pelican-site/build.py CORPUS_DIR OUTPUT_DIR [--langs be,ru,en] [--cache DIR]

CORPUS_DIR is a corpus from make_corpus.py; ``content/<lang>/`` is built into
``OUTPUT_DIR/<lang>/``. All languages run one after another in this one process.
``--cache DIR`` turns on Pelican's own reader cache (CACHE_CONTENT and
LOAD_CONTENT_CACHE, one folder per language under DIR); without it every run parses
every file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

SETTINGS = Path(__file__).resolve().parent / "pelicanconf.py"


def build_language(corpus: Path, output: Path, lang: str, cache: Path | None) -> None:
    override: dict[str, object] = {
        "PATH": str(corpus / "content" / lang),
        "OUTPUT_PATH": str(output / lang),
        "DEFAULT_LANG": lang,
        "SITEURL": f"/{lang}",
    }
    if cache is not None:
        override |= {
            "CACHE_CONTENT": True,
            "LOAD_CONTENT_CACHE": True,
            "CACHE_PATH": str(cache / lang),
        }
    Pelican(read_settings(str(SETTINGS), override=override)).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="corpus folder (holds content/<lang>/)")
    parser.add_argument("output", type=Path, help="output folder")
    parser.add_argument("--langs", default="be,ru,en", help="comma-separated language folders")
    parser.add_argument("--cache", type=Path, help="turn on Pelican's reader cache in this folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache = args.cache.resolve() if args.cache else None
    for lang in args.langs.split(","):
        build_language(args.corpus.resolve(), args.output.resolve(), lang, cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
