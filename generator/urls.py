"""Pure functions for slugs and URLs: the one place where a URL is made.

A URL path here always starts with "/" and, for pages, ends with "/"; it is relative to the
site root, never to base_url. Links inside pages are made relative with `relative_url`, so
the same output works at any sub-path and from file://.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote

# Transliteration of Cyrillic to ASCII. Belarusian follows the spelling the country's human
# rights community uses in Latin script (Viasna, Bialiatski): г -> h, ў -> u, я -> ia after a
# consonant. Russian follows the common passport-style scheme (я -> ya, х -> kh, щ -> shch).
_COMMON = {
    "а": "a", "б": "b", "в": "v", "д": "d", "ж": "zh", "з": "z", "й": "y", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "'": "", "’": "", "ʼ": "",
}
_RU = {**_COMMON, "г": "g", "е": "e", "ё": "yo", "и": "i", "ю": "yu", "я": "ya"}
_BE = {**_COMMON, "г": "h", "и": "i"}
# Belarusian iotated vowels: "i" + vowel after a consonant, "y" + vowel elsewhere.
_BE_IOTATED = {"е": "e", "ё": "o", "ю": "u", "я": "a"}
_BE_SOFTENERS = set("бвгджзйклмнпрстфхцчшўі") | {"ь"}

#: C0 and C1 control characters, DEL, and the invisible marks that reorder text (U+202E shows
#: "gpj.exe" as "exe.jpg"): none belongs in a file or URL name.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Longest file or folder name most file systems accept, in bytes.
MAX_SEGMENT_BYTES = 255
_URL_SAFE = re.compile(r"^[A-Za-z0-9/._~#?=&%+:-]*$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_NON_WORD_ASCII = re.compile(r"[^a-z0-9]+")
_NON_WORD_UNICODE = re.compile(r"[^\w]+|_+")


def transliterate(text: str, lang: str = "") -> str:
    """Cyrillic (and other scripts) to ASCII, keeping case-insensitive meaning; lower-case result."""
    text = text.lower()
    base = lang.split("-")[0]
    out: list[str] = []
    prev = ""
    table = _BE if base == "be" else _RU
    for ch in text:
        if base == "be" and ch in _BE_IOTATED:
            out.append(("i" if prev in _BE_SOFTENERS and prev != "ь" else "y") + _BE_IOTATED[ch])
        elif ch in table:
            out.append(table[ch])
        elif ch.isascii():
            out.append(ch)
        else:
            from text_unidecode import unidecode  # loaded when first needed: a no-op build never is

            out.append(unidecode(ch).lower())
        prev = ch
    return "".join(out)


def slugify(text: str, lang: str = "", mode: str = "ascii", max_length: int = 80) -> str:
    """A URL-safe slug: lower-case words joined by "-"; never empty, never a device name.

    `mode` "ascii" transliterates (see `transliterate`); "unicode" keeps letters of any script.
    The result contains no ".", "/" or "\\", so it can never leave its folder.
    """
    text = unicodedata.normalize("NFKC", text)
    if mode == "unicode":
        slug = _NON_WORD_UNICODE.sub("-", text.lower())
    else:
        ascii_text = unicodedata.normalize("NFKD", transliterate(text, lang))
        ascii_text = "".join(ch for ch in ascii_text if not unicodedata.combining(ch))
        slug = _NON_WORD_ASCII.sub("-", ascii_text)
    slug = slug.strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[max_length // 2:] else cut
        slug = slug.strip("-")
    if not slug:
        return "untitled"
    if slug in _WINDOWS_RESERVED:
        slug += "-1"
    return slug


def expand_permalink(pattern: str, values: Mapping[str, str]) -> str:
    """Fill a permalink pattern such as "/{lang}/{year}/{month}/{slug}/" with `values`.

    Values must already be safe URL parts (slugs, digits, language codes); empty parts collapse.
    """
    path = pattern
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts) + "/" if parts else "/"


def check_url_path(url_path: str) -> str:
    """Why a site URL path would be unsafe to write, or "" when it is safe."""
    if not url_path.startswith("/"):
        return "must start with '/'"
    if "\\" in url_path or "\0" in url_path:
        return "contains a backslash or NUL character"
    if _CONTROL.search(url_path):
        return "contains a control character"
    for part in url_path.split("/"):
        if part in (".", ".."):
            return "contains a '.' or '..' segment"
        if part.startswith("."):
            return f"has a hidden name starting with a dot ({part!r})"
        if part.split(".")[0].lower() in _WINDOWS_RESERVED:
            return f"contains the reserved name {part!r}"
        if part.endswith((".", " ")):
            return f"has a segment ending in a dot or space ({part!r})"
        if len(part.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            return f"has a segment longer than {MAX_SEGMENT_BYTES} bytes ({part[:30]!r}…), too long for a file name"
    return ""


def output_path_for(url_path: str) -> str:
    """The file inside output/ that serves `url_path` ("/en/a/" -> "en/a/index.html")."""
    problem = check_url_path(url_path)
    if problem:
        raise ValueError(f"unsafe URL path {url_path!r}: {problem}")
    rel = url_path.lstrip("/")
    if not rel or rel.endswith("/"):
        rel += "index.html"
    return rel


def depth(url_path: str) -> int:
    """How many folders deep the page at `url_path` lives ("/" -> 0, "/en/a/" -> 2)."""
    return url_path.count("/") - 1 if url_path.endswith("/") else url_path.count("/") - 1


def relative_url(from_path: str, to_path: str, portable: bool = True) -> str:
    """Link from the page at `from_path` to `to_path`, relative, percent-encoded.

    With `portable`, links to folders end in "index.html" so that they open from file://.
    """
    target = to_path[1:] if to_path.startswith("/") else to_path
    if not _URL_SAFE.match(target):
        target = quote(target, safe="/#?=&%~+:")
    rel = "../" * (from_path.count("/") - 1) + target
    if portable and (rel == "" or rel.endswith("/")):
        rel += "index.html"
    return rel or "./"


def absolute_url(base_url: str, url_path: str) -> str:
    """Absolute URL of `url_path` on the published site (for feeds, sitemaps, canonical links)."""
    return base_url.rstrip("/") + "/" + quote(url_path.lstrip("/"), safe="/#?=&%~+:")


def base_path(base_url: str) -> str:
    """The path part of base_url, e.g. "/archive/" for https://example.org/archive/."""
    rest = base_url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path if path.endswith("/") else path + "/"


def page_count(items: int, per_page: int) -> int:
    """How many list pages `items` entries fill, at least one (an empty list still has its page)."""
    return max(1, -(-items // per_page))


def paginated_path(url_path: str, number: int) -> str:
    """URL of page `number` of a listing at `url_path` (page 1 is the listing itself)."""
    return url_path if number <= 1 else f"{url_path}page/{number}/"
