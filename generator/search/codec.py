"""The bytes of the search index files, and reading them back (for the incremental update).

Every file is a script that hands its data to `window.vestkaSearch` (search.js), so the same
files load with `<script>` from disk (file://) and over http:

    meta.js        vestkaSearch.m({...})                 language, stemmer, stop words, sizes
    t/NNN.js       vestkaSearch.t(N,{"term":"postings"}) terms whose hash falls in shard N
    d/NNN.js       vestkaSearch.d(N,{"id":[title,url,date,iso,excerpt text]})

A posting list is a string: for each article, in id order, the id's distance from the one
before as a variable-length base-32 number (`_MORE` digits, then one `_LAST` digit), then its
weight as one `_LAST` digit (1-31). Characters need no escaping in JSON or in HTML.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

_LAST = "0123456789abcdefghijklmnopqrstuv"
_MORE = "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
_VALUE = {ch: i for i, ch in enumerate(_LAST)} | {ch: 32 + i for i, ch in enumerate(_MORE)}
#: Largest weight a posting can carry.
MAX_WEIGHT = 31


# A posting's characters are looked up ten bits at a time instead of made a digit at a time (the
# encoder runs once per posting of the archive, and ids are 32-bit hashes: gaps of six digits).
#: `_MORE` digits of a number below 1024, without leading zeros ("" for 0).
_LEAD = ["", *((_MORE[m >> 5] if m >= 32 else "") + _MORE[m & 31] for m in range(1, 1024))]
#: `_MORE` digits of ten bits inside a longer number: always two.
_FULL = [_MORE[m >> 5] + _MORE[m & 31] for m in range(1024)]
#: The last digit of a gap (its low five bits), then the weight: indexed by `bits << 5 | weight`.
_TAIL = [_LAST[i >> 5] + _LAST[i & 31] for i in range(1024)]


def posting(gap: int, weight: int) -> str:
    """One posting: its id's distance from the one before (below 2**32), and its weight."""
    m = gap >> 5
    tail = _TAIL[(gap & 31) << 5 | weight]
    if m < 1024:
        return _LEAD[m] + tail
    if m < 1 << 20:
        return _LEAD[m >> 10] + _FULL[m & 1023] + tail
    return _LEAD[m >> 20] + _FULL[m >> 10 & 1023] + _FULL[m & 1023] + tail


def encode_postings(postings: list[tuple[int, int]]) -> str:
    """[(article id, weight)] sorted by id -> the posting string."""
    return encode_codes([doc << 5 | weight for doc, weight in postings])


def encode_codes(codes: Sequence[int], start: int = 0) -> str:
    """The posting string of `codes[start:]`, postings given as `id << 5 | weight` sorted by id.
    The first gap is counted from the id of `codes[start - 1]` (from 0 when `start` is 0), so
    that runs of one term's postings can be encoded apart and joined (see `posting`)."""
    out = []
    previous = codes[start - 1] >> 5 if start else 0
    lead, full, tail = _LEAD, _FULL, _TAIL
    for code in itertools.islice(codes, start, None):  # `posting`, inlined: once per posting
        doc = code >> 5
        gap, previous = doc - previous, doc
        m = gap >> 5
        end = tail[(gap & 31) << 5 | (code & 31)]
        if m < 1024:
            out.append(lead[m] + end)
        elif m < 1048576:
            out.append(lead[m >> 10] + full[m & 1023] + end)
        else:
            out.append(lead[m >> 20] + full[m >> 10 & 1023] + full[m & 1023] + end)
    return "".join(out)


def decode_postings(text: str) -> list[tuple[int, int]]:
    """The inverse of `encode_postings`."""
    out = []
    doc = number = 0
    want_weight = False
    for ch in text:
        value = _VALUE[ch]
        if want_weight:
            out.append((doc, value))
            want_weight = False
        elif value >= 32:
            number = (number << 5) | (value - 32)
        else:
            doc += (number << 5) | value
            number = 0
            want_weight = True
    return out


def _json(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # U+2028/2029 end a line in older JavaScript engines; "</" must never close a script element.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")


def script(call: str, number: int | None, data: object) -> bytes:
    """One index file: `vestkaSearch.CALL(NUMBER,DATA);`."""
    head = f"vestkaSearch.{call}(" + ("" if number is None else f"{number},")
    return f"{head}{_json(data)});\n".encode()


def read_script(data: bytes) -> dict:
    """The data of a file made by `script`."""
    text = data.decode("utf-8")
    start = text.index("{")
    return json.loads(text[start:text.rindex("}") + 1])
