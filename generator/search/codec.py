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

import json

_LAST = "0123456789abcdefghijklmnopqrstuv"
_MORE = "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
_VALUE = {ch: i for i, ch in enumerate(_LAST)} | {ch: 32 + i for i, ch in enumerate(_MORE)}
#: Largest weight a posting can carry.
MAX_WEIGHT = 31


def encode_postings(postings: list[tuple[int, int]]) -> str:
    """[(article id, weight)] sorted by id -> the posting string."""
    out = []
    previous = 0
    last, more = _LAST, _MORE
    for doc, weight in postings:  # runs once per posting of the archive
        n, previous = doc - previous, doc
        digits = last[n & 31]
        n >>= 5
        while n:
            digits = more[n & 31] + digits
            n >>= 5
        out.append(digits)
        out.append(last[weight])
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
