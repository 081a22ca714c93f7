"""Colour arithmetic for the brand settings: parsing, WCAG contrast, lighter and darker shades.

Pure functions on "#rrggbb" strings; the formulas are WCAG 2.1's (relative luminance and
contrast ratio), so "4.5:1" means what an accessibility checker means by it.
"""

from __future__ import annotations

import re

_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

#: Page backgrounds of the default theme (site.css `--bg`), light and dark.
LIGHT_BACKGROUND = "#ffffff"
DARK_BACKGROUND = "#121212"
#: WCAG 2.1 AA, normal text.
AA_RATIO = 4.5


def normalize(text: str) -> str | None:
    """"#ABC" or "#aabbcc" as lower-case "#aabbcc"; None when `text` is not such a colour."""
    match = _HEX.match(text.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def shown_ratio(ratio: float) -> str:
    """A ratio as people read it, rounded down: 4.499 is "4.49:1", never a passing-looking "4.50:1"."""
    return f"{int(ratio * 100) / 100:.2f}:1"


def mix(colour: str, other: str, amount: float) -> str:
    """`colour` moved `amount` (0 to 1) of the way towards `other`."""
    pairs = zip(_channels(colour), _channels(other), strict=True)
    return "#" + "".join(f"{round(a + (b - a) * amount):02x}" for a, b in pairs)


def nearest_passing(colour: str, background: str, ratio: float = AA_RATIO) -> str:
    """The shade of `colour` closest to it that reaches `ratio` against `background`.

    Against a light background the colour is darkened (mixed with black), against a dark one
    lightened (mixed with white); the hue stays, so the suggestion still looks like the brand.
    """
    target = "#000000" if luminance(background) > 0.18 else "#ffffff"
    for step in range(0, 101):
        shade = mix(colour, target, step / 100)
        if contrast(shade, background) >= ratio:
            return shade
    return target
