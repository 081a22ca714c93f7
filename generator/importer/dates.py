"""Dates as Hugo and Jekyll read them: YAML/TOML values and the text forms those tools accept.

A date written without an offset is taken in the source site's configured time zone (Hugo's
and Jekyll's `timezone`); without one it stays naive and the writer gives it the new site's.
A date that is present but cannot be read raises ValueError: the caller names file and line,
and never falls back silently to another date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Zone abbreviations Ruby's Time.parse and Go's time package know (US and universal ones).
_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "BST": 1,
    "IST": 5.5, "JST": 9,
}
_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
    ("nov", "november"), ("dec", "december")), 1) for name in names}
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d\d)(?::(?P<S>\d\d)(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d\d:?\d\d|[+-]\d{1,3}|[A-Za-z]{1,5})?$")
_SLASHED = re.compile(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?P<rest>.*)$")
_WORDS = re.compile(r"[A-Za-z]+|\d+(?::\d\d)+(?:[.,]\d+)?|[+-]\d\d:?\d\d|\d+")


def zone_of(name: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_date(value: Any, zone_name: str = "") -> datetime | None:
    """A source date as a datetime; None when absent; ValueError when it cannot be read."""
    if value is None or value == "":
        return None
    zone = zone_of(zone_name)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        moment = _parse_text(value.strip())
    else:
        raise ValueError(f"cannot read the date {value!r}")
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _offset(text: str) -> timezone | None:
    if not text:
        return None
    upper = text.upper()
    if upper in _ABBREVIATIONS:
        return timezone(timedelta(hours=_ABBREVIATIONS[upper]))
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)?", text) or re.fullmatch(r"([+-])(\d)(\d\d)?", text)
    if match:
        minutes = int(match[2]) * 60 + int(match[3] or 0)
        return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
    raise ValueError(f"unknown time zone {text!r}")


def _parse_text(text: str) -> datetime:
    original = text
    # Ruby's Time.parse (Jekyll) passes over remarks such as "2017-01-05 (optional)".
    text = re.sub(r"\s*\([^)]*\)\s*", " ", text).strip()
    slashed = _SLASHED.match(text)
    if slashed:
        text = f"{slashed['y']}-{slashed['m']}-{slashed['d']}{slashed['rest']}"
    match = _ISO.match(text)
    if match:
        try:
            return datetime(int(match["y"]), int(match["m"]), int(match["d"]), int(match["H"] or 0),
                            int(match["M"] or 0), int(match["S"] or 0),
                            int((match["f"] or "0")[:6].ljust(6, "0")), tzinfo=_offset(match["tz"] or ""))
        except ValueError as exc:
            raise ValueError(f"cannot read the date {original!r}: {exc}") from None
    return _parse_words(original)


def _parse_words(text: str) -> datetime:
    """Forms such as "January 12, 2021", "12 Jan 2021 10:00 EDT", "Tue, 02 Jan 2006 15:04:05 -0700"."""
    year = month = day = None
    clock = (0, 0, 0)
    zone = None
    for token in _WORDS.findall(text):
        lower = token.lower()
        if lower in _MONTHS and month is None:
            month = _MONTHS[lower]
        elif lower[:3] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") and len(lower) <= 9:
            continue
        elif lower in ("am", "pm"):
            hour = clock[0] % 12 + (12 if lower == "pm" else 0)
            clock = (hour, clock[1], clock[2])
        elif ":" in token:
            pieces = re.split(r"[:.,]", token)
            clock = (int(pieces[0]), int(pieces[1]), int(pieces[2]) if len(pieces) > 2 else 0)
        elif token[0] in "+-" or token.upper() in _ABBREVIATIONS:
            zone = _offset(token)
        elif token.isdigit():
            number = int(token)
            if len(token) == 4 and year is None:
                year = number
            elif day is None and 1 <= number <= 31:
                day = number
            elif year is None:
                year = 2000 + number if number < 70 else 1900 + number
            else:
                raise ValueError(f"cannot read the date {text!r}")
        else:
            raise ValueError(f"cannot read the date {text!r} (unknown word {token!r})")
    if year is None or month is None or day is None:
        raise ValueError(f"cannot read the date {text!r}")
    try:
        return datetime(year, month, day, *clock, tzinfo=zone)
    except ValueError as exc:
        raise ValueError(f"cannot read the date {text!r}: {exc}") from None


def key_line(text: str, key: str) -> int | None:
    """The 1-based line of `key` in the front matter at the top of `text` (YAML or TOML)."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[:=]", re.IGNORECASE)
    for number, line in enumerate(text.split("\n")[:400], 1):
        if number > 1 and line.strip() in ("---", "+++"):
            break
        if pattern.match(line):
            return number
    return None
