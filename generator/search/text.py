"""How text becomes search terms: the same steps here and in the browser (static/search.js).

    text -> fold -> words -> drop stop words -> stem

Folding: Unicode NFC, lower case, stress marks and soft hyphens dropped, ё -> е, every
apostrophe (’ ' ʼ ‘) made one. Belarusian words also lose their apostrophe (сям’я = сямя),
take ў as у (keyboards without ў) and a Latin i inside a Cyrillic word as і (text typed on
the wrong layout). Russian and English are stemmed with Snowball (the `snowballstemmer`
package here, Snowball's own JavaScript output in the browser, both from Snowball 3.1.1);
Belarusian, which Snowball lacks, with the light suffix stripper below; any other language
is folded but not stemmed. A change here must be made in search.js too:
tests/test_search_analysis.py runs both on the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import cache

import snowballstemmer

#: Bumped when a change here gives other terms: every article is analysed again.
ANALYZER_VERSION = 1
#: Longer "words" are URLs, hashes or base64 in imported HTML: never worth a term.
MAX_WORD = 40

_REPLACED = (*((ch, "") for ch in "\u00ad\u0300\u0301"), *((ch, "'") for ch in "’ʼ‘`´"))
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

def _listed(text: str) -> frozenset[str]:
    return frozenset(text.replace("ё", "е").replace("ў", "у").split())


#: Words too common to find anything; left out of the index and of queries.
STOP_WORDS: dict[str, frozenset[str]] = {
    "be": _listed("""а але б бо быў была было былі вам вас вы да дзе для ён ёй ёсць жа з за і із ім іх
        к каб калі кали мне мы на нас не ні няма па пад пра пры с сабе сваё свае сваю сябе та так таксама
        там толькі ты у уж што шчо як які якая якое якія яна яно яны гэта гэты гэтая гэтыя той тое тыя
        ад аб ці ды усе ўсе ўсё усё"""),
    "ru": _listed("""а без бы был была были было быть в вам вас во вот все всё вы где да для до его ее её
        если есть еще ещё же за и из или им их к как когда ли мне мы на над не нет ни но о об он она они
        оно от по под при про с со так также там то того тоже только ты у уже что чтобы эта эти это этот
        я"""),
    "en": _listed("""a an and are as at be been but by for from had has have he her his i in into is it
        its of on or our she so than that the their them there these they this to was we were which who
        will with you"""),
}

#: Belarusian endings, longest first (see `belarusian_stem`).
BELARUSIAN_ENDINGS: tuple[str, ...] = tuple(sorted(_listed("""
    аюцца яюцца уюцца ецца іцца ыцца юцца уцца ацца яцца
    аюць яюць уюць ейшы ейшая ейшае ейшага ейшаму ейшым ейшых ейшымі
    аецеся ацеся
    амі ямі ымі імі ага яга аму яму ому ога ілі ылі алі ялі елі іла ыла ала яла ела іце ыце еце аце
    юць уць аць яць ець іць ыць эць ася ися ыся ліся лася лося
    аю яю ою ею ау яу оу еу іу ыу ам ям ах ях ом ем ым ім ых іх ая яя ое ае ее ыя ія ую юю ой ай ей ый ій
    ла лі ло ць ці ся ца еш ыш іш ем
    а я о е у ю ы і ь й
"""), key=lambda e: (-len(e), e)))
_BE_VOWELS = frozenset("аеіоуыэюя")


def fold(text: str, lang: str) -> str:
    """`text` in the one form the index and queries share (see the module's docstring)."""
    text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    # str.replace of each character found costs a tenth of str.translate on Cyrillic text.
    for old, new in _REPLACED:
        if old in text:
            text = text.replace(old, new)
    if lang == "be":
        text = text.replace("ў", "у")
    return text


def words(text: str, lang: str) -> list[str]:
    """The folded words of `text`, in order: letters and digits, apostrophes only inside."""
    found = _WORD.findall(fold(text, lang))
    return found if lang == "en" else [_spelling(word, lang) for word in found]


def _spelling(word: str, lang: str) -> str:
    """One word `_WORD` found in folded text, as the index spells it (not for English)."""
    word = word.replace("'", "")
    if lang == "be" and "i" in word and _CYRILLIC.search(word):
        word = word.replace("i", "і")
    return word


def belarusian_stem(word: str) -> str:
    """A light Belarusian stemmer: strips the longest ending of `BELARUSIAN_ENDINGS` that leaves
    a stem of at least two letters with a vowel in it. Words of three letters or less are kept.

    палітвязні, палітвязняў, палітвязням -> палітвязн (after ў -> у). It does not undo vowel
    changes inside the stem (палітвязень -> палітвязен): a light stemmer finds the forms that
    share a stem, which are most of a word's forms.
    """
    if len(word) <= 3:
        return word
    # Longest first, as the list: one set lookup per ending length instead of a scan of the list.
    for size, endings in _BE_ENDINGS_BY_SIZE:
        if word[-size:] in endings:
            stem = word[:-size]
            if len(stem) >= 2 and not _BE_VOWELS.isdisjoint(stem):
                return stem
    return word


_BE_ENDINGS_BY_SIZE = tuple((size, frozenset(e for e in BELARUSIAN_ENDINGS if len(e) == size))
                            for size in sorted({len(e) for e in BELARUSIAN_ENDINGS}, reverse=True))


#: Snowball algorithm of each language that has one here and in search.js.
SNOWBALL = {"ru": "russian", "en": "english"}


def stemmer_name(lang: str) -> str:
    """What stems `lang`'s words: a Snowball algorithm, "belarusian" or "none"."""
    return SNOWBALL.get(lang, "belarusian" if lang == "be" else "none")


@cache
def _stem_function(lang: str) -> Callable[[str], str]:
    name = stemmer_name(lang)
    if name == "none":
        return str
    stem_word = belarusian_stem if name == "belarusian" else snowballstemmer.stemmer(name).stemWord
    memo: dict[str, str] = {}

    def stem(word: str) -> str:
        # A stemmer costs microseconds (Snowball in pure Python tens of them) a word; an archive
        # repeats its words.
        found = memo.get(word)
        if found is None:
            found = memo[word] = stem_word(word)
        return found
    return stem


def stem(word: str, lang: str) -> str:
    """The index term of one folded word."""
    if word.isdigit():
        return word
    return _stem_function(lang)(word)


def terms(text: str, lang: str) -> list[str]:
    """The index terms of `text`, in order, stop words and one-letter words left out."""
    term_of = _term_memo(lang)
    return [term for term in map(term_of.__getitem__, _WORD.findall(fold(text, lang))) if term is not None]


def term_counts(text: str, lang: str) -> tuple[dict[str, int], int]:
    """How often each index term of `text` occurs, and how many terms it has: what
    `collections.Counter(terms(text, lang))` and its total give."""
    # Counted in C: no Python code runs per token (a run of text between spaces) but for a
    # token the language has not met before. A token of several words ("a.b", "x–y") counts as
    # its marker, replaced here by its words.
    memo = _token_memo(lang)
    if len(memo) >= _MAX_TOKENS:  # between texts: a marker counted in this one stays known
        memo.clear()
        memo.several.clear()
    counts = Counter(map(memo.__getitem__, fold(text, lang).split()))
    counts.pop(None, None)
    for marker in sorted(counts.keys() & memo.several.keys()):  # sorted: not in an order of hashes
        times = counts.pop(marker)
        for term in memo.several[marker]:
            counts[term] += times
    return counts, sum(counts.values())


#: A token memo forgets what it knows beyond this many tokens: an archive's tokens (words with
#: their punctuation) are more than its words, and every worker holds its own memo.
_MAX_TOKENS = 400_000


class _TokenMemo(dict[str, str | None]):
    """The index term of each token of folded text split at spaces: None when it has none, a
    marker (a key of `several`, which holds its terms) when it has more than one."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.term_of = _term_memo(lang)
        self.several: dict[str, tuple[str, ...]] = {}

    def __missing__(self, token: str) -> str | None:
        found = [term for term in map(self.term_of.__getitem__, _WORD.findall(token)) if term is not None]
        if len(found) <= 1:
            term = found[0] if found else None
        else:
            # Never a term: "\0" is no letter. The marker is the token, so one token is one marker.
            term = "\0" + token
            self.several[term] = tuple(found)
        self[token] = term
        return term


@cache
def _token_memo(lang: str) -> _TokenMemo:
    return _TokenMemo(lang)


class _TermMemo(dict[str, str | None]):
    """The index term of each word `_WORD` finds in folded text (None: no term), made on first use."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.stop = STOP_WORDS.get(lang, frozenset())
        self.stem = _stem_function(lang)

    def __missing__(self, found: str) -> str | None:
        word = found if self.lang == "en" else _spelling(found, self.lang)
        term = None
        if 1 < len(word) <= MAX_WORD and word not in self.stop:
            term = word if word.isdigit() else self.stem(word)
        self[found] = term
        return term


@cache
def _term_memo(lang: str) -> _TermMemo:
    return _TermMemo(lang)
