"""Words become the same terms at build time (Python) and at query time (search.js in Chromium).

The word lists are real text: the sample archive's articles and, when present beside the
repository, the scraped page dumps in ../shared/samples/. Every word of them is analysed both
ways and the term lists must be equal, so a query finds what the index holds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG, article
from test_search_browser import CHROME_ARGS
from theme_support import chromium_path

from generator.build import Options, build
from generator.config import load_config
from generator.search import text as analysis
from generator.search.text import belarusian_stem, terms

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
#: Spellings the folding must treat alike, and words that trip naive tokenisers.
EDGE = {
    "be": "Сям’я сям'я сямʼя сям‘я ЎСЁ усё Ўсё палітвязні палітвязняў палітвязням Мiнск (Latin i) "
          "а́ктыв стрэ\u00adсавы 2020 ВЯСНА-96 праваабаронцы, праваабарончы — «Вясна»",
    "ru": "Политзаключённые политзаключенных ЁЛКА ёлка ударе́ние об'явление 2020-го «Весна»",
    "en": "Viasna's VIASNA’S repression repressions don't U.S. co-operation 1990s",
}


def real_text(lang: str) -> str:
    parts = [EDGE[lang]]
    for path in sorted((ROOT / "content" / lang).rglob("*.md")):
        parts.append(path.read_text(encoding="utf-8"))
    if SAMPLES.is_dir():
        for path in sorted(SAMPLES.glob(f"{lang}-*.txt")):
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def search_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    import playwright.sync_api as playwright

    root = tmp_path_factory.mktemp("analysis")
    files = {"config.yaml": BASIC_CONFIG.replace("search: false", "search: true")}
    for lang in ("be", "ru", "en"):
        files[f"content/{lang}/2020/a.md"] = article("A", "2020-01-01", "Text.")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    config = load_config(root)
    build(config, Options(use_cache=False))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROME_ARGS)
        try:
            tab = browser.new_page()

            def js_terms(lang: str, text: str) -> list[str]:
                tab.goto((config.output_dir / lang / "search" / "index.html").as_uri())
                return tab.evaluate("t => window.vestkaSearchTerms(t)", text)
            yield js_terms
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["be", "ru", "en"])
def test_python_and_javascript_give_the_same_terms_on_real_text(search_page: object, lang: str) -> None:
    text = real_text(lang)
    expected = terms(text, lang)
    assert len(expected) > (1000 if SAMPLES.is_dir() else 300)
    got = search_page(lang, text)
    differing = [(a, b) for a, b in zip(expected, got, strict=False) if a != b]
    assert differing[:10] == [] and len(got) == len(expected)


def test_folding_and_inflections() -> None:
    assert len(set(terms("Сям’я сям'я сямʼя сям‘я", "be"))) == 1
    assert terms("палітвязні палітвязняў палітвязням", "be") == ["палітвязн"] * 3
    assert terms("Мiнск", "be") == terms("Мінск", "be")  # a Latin i typed inside a Cyrillic word
    assert terms("ўсім", "be") == terms("усім", "be")
    assert terms("политзаключённые политзаключенных", "ru") == ["политзаключен"] * 2
    assert terms("repression repressions", "en") == ["repress"] * 2
    assert terms("а́ктыў", "be") == terms("актыў", "be")  # stress marks of textbooks and dictionaries
    assert terms("і ў на", "be") == terms("the of", "en") == terms("и в на", "ru") == []


@pytest.mark.parametrize("lang", ["be", "ru", "en", "pl"])
def test_an_articles_term_counts_are_those_of_its_terms(lang: str) -> None:
    text = (EDGE.get(lang, "") + " snake_case_word ''double'' o'neil' 'quoted' a–b x\u00a0y\u2028z \t\n"
            " Мiнск, (Мiнск) 42; 4_2 " + "x" * 41 + " end.")
    counts, total = analysis.term_counts(text, lang)
    expected = Counter(terms(text, lang))
    assert counts == expected and total == expected.total() and len(expected) > 5


def test_term_counts_stay_right_when_the_token_memo_forgets(monkeypatch: pytest.MonkeyPatch) -> None:
    # The memo of tokens is cleared when it grows past its bound; a token of several words
    # ("суд/суды") met before and after a clearing must count as its words every time.
    monkeypatch.setattr(analysis, "_MAX_TOKENS", 3)
    memo = analysis._token_memo("be")
    memo.clear()
    memo.several.clear()
    texts = ["суд/суды, (вязні) палітвязні; суд/суды.", "іншы тэкст: суд/суды a.b a.b", "суд/суды"] * 3
    for text in texts:
        counts, total = analysis.term_counts(text, "be")
        expected = Counter(terms(text, "be"))
        assert counts == expected and total == expected.total()
        assert not any(term.startswith("\0") for term in counts)
    assert len(memo) <= 3 + max(len(text.split()) for text in texts)  # it was cleared


def test_the_belarusian_stemmer_keeps_short_stems_and_stems_with_a_vowel() -> None:
    assert belarusian_stem("суд") == "суд"
    assert belarusian_stem("суда") == "суд"
    assert belarusian_stem("судамі") == "суд"
    assert belarusian_stem("дзень") == "дзен"
    # "ой" would leave "ст" (no vowel): the next shorter ending that leaves a real stem is taken.
    assert belarusian_stem("стой") == "сто"
    endings = analysis.BELARUSIAN_ENDINGS
    assert list(endings) == sorted(endings, key=lambda e: (-len(e), e))
    assert all(re.fullmatch(r"[а-яіу]+", e) for e in endings)
