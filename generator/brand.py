"""The organisation's own look in the default theme: logo, icon, accent colours, menu, footer.

Made once per build from the validated `brand`, `menu` and `footer` settings and handed to
templates as plain values. The colours go into a small generated stylesheet, never into a
`style` attribute, so the theme's Content-Security-Policy (`style-src 'self'`) stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import markdown
from markupsafe import Markup

from generator import colours
from generator.config import Config
from generator.errors import Problem
from generator.markup import rewrite_site_links
from generator.model import OutputFile, Site
from generator.site_paths import list_url

#: Where the generated colour stylesheet is written inside output/.
STYLESHEET = "static/brand.css"
#: Text colours of the default theme (site.css `--fg`), to shade visited links towards.
_TEXT = {"light": "#1b1b1b", "dark": "#ececec"}
_ICON_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
#: What a footer may contain: text, emphasis, lists and links; no headings (the page has its
#: own outline), images, styles or scripts.
_FOOTER_TAGS = {"p", "br", "a", "strong", "em", "b", "i", "code", "small", "ul", "ol", "li", "abbr", "span"}


def accents(config: Config) -> dict[str, str]:
    """The link colour per colour scheme ("light", "dark") that the site sets; empty if none.

    Without `accent_dark`, dark mode uses `accent` itself when it is readable on the dark page,
    else its nearest lighter shade that is.
    """
    brand = config.brand
    out = {}
    if brand.accent:
        out["light"] = brand.accent
    dark = brand.accent_dark or brand.accent
    if dark:
        out["dark"] = (dark if colours.contrast(dark, colours.DARK_BACKGROUND) >= colours.AA_RATIO
                       else colours.nearest_passing(dark, colours.DARK_BACKGROUND))
    return out


def stylesheet(config: Config) -> list[OutputFile]:
    """static/brand.css with the site's colours, or nothing when it sets none."""
    chosen = accents(config)
    if not chosen:
        return []
    lines = ["/* Brand colours from config.yaml (brand.accent, brand.accent_dark), written by the build. */"]
    for scheme, colour in chosen.items():
        background = colours.LIGHT_BACKGROUND if scheme == "light" else colours.DARK_BACKGROUND
        visited = colours.mix(colour, _TEXT[scheme], 0.35)
        if colours.contrast(visited, background) < colours.AA_RATIO:
            visited = colour
        rule = f":root {{ --accent: {colour}; --accent-visited: {visited}; --focus: {colour}; }}"
        lines.append(rule if scheme == "light" else f"@media (prefers-color-scheme: dark) {{ {rule} }}")
    lines += [
        ".site-header { border-bottom: 3px solid var(--accent); }",
        ".search-form button { background: var(--accent); color: var(--bg); border: 1px solid var(--accent);"
        " border-radius: 0.25rem; }",
    ]
    return [OutputFile(STYLESHEET, ("\n".join(lines) + "\n").encode("utf-8"), sources=("config.yaml",))]


class BrandViews:
    """What templates show of the brand settings, per language, made on first use."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._site: dict[str, dict[str, Any]] = {}
        self._footers: dict[str, str] = {}
        self._relinked: dict[tuple[str, str], Markup] = {}

    def site_values(self, lang: str) -> dict[str, Any]:
        """`brand` and `menu` for the `site` mapping of a page in `lang`."""
        found = self._site.get(lang)
        if found is None:
            brand = self.config.brand
            icon_type = next((kind for suffix, kind in _ICON_TYPES.items() if brand.favicon.lower().endswith(suffix)), "")
            found = self._site[lang] = {
                "brand": {
                    "logo": "/static/" + brand.logo if brand.logo else "",
                    "show_title": brand.show_title,
                    "favicon": "/static/" + brand.favicon if brand.favicon else "",
                    "favicon_type": icon_type,
                    "stylesheet": "/" + STYLESHEET if accents(self.config) else "",
                },
                "menu": [menu_view(item.title, item.url) for item in self.config.menu.get(lang, ())],
            }
        return found

    def footer(self, lang: str, url: Callable[[str], str]) -> Markup:
        """The footer of `lang` as safe HTML, its site links made by the page's `url()`; "" if none."""
        html = self._footers.get(lang)
        if html is None:
            html = self._footers[lang] = footer_html(self.config.footer.get(lang, ""))
        if not html:
            return Markup("")
        # Links from the root decide every other link of a page (they depend on its depth
        # only), so the footer is made once per language and root link, not once per page.
        key = (lang, url("/"))
        found = self._relinked.get(key)
        if found is None:

            def link_for(target: str) -> str:
                path, sep, fragment = target.partition("#")
                return url(path) + sep + fragment

            found = self._relinked[key] = Markup(rewrite_site_links(html, {}, link_for))
        return found


def menu_view(title: str, url: str) -> dict[str, Any]:
    """A menu entry for templates: `url` to pass to `url()`, `fragment` to add, and `path`,
    the site path that gets `aria-current` (empty for other hosts)."""
    if url.startswith("/"):
        path, sep, fragment = url.partition("#")
        return {"title": title, "url": path, "fragment": sep + fragment, "path": path, "external": False}
    return {"title": title, "url": url, "fragment": "", "path": "", "external": "://" in url}


def footer_html(text: str) -> str:
    """Markdown of a footer as HTML with everything but text, emphasis, lists and links removed."""
    if not text:
        return ""
    import nh3

    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    cleaner = nh3.Cleaner(tags=_FOOTER_TAGS, attributes={"a": {"href", "title"}, "abbr": {"title"}},
                          url_schemes={"http", "https", "mailto", "tel"}, link_rel=None)
    return cleaner.clean(html).strip()


def check_links(config: Config, site: Site, static_files: Iterable[str]) -> list[Problem]:
    """Warnings for menu entries and footer links to site paths that no page or file provides."""
    known = set(site.url_index) | {listing.url_path for group in site.listings.values() for listing in group}
    for code in config.language_codes:
        known.update(list_url(code, *name) for name in ((), ("tags",), ("archive",), ("authors",), ("search",)))
    files = {f"/static/{rel}" for rel in static_files}
    problems = []

    def check(path: str, what: str, line: int | None) -> None:
        if path and path not in known and path not in files and not path.endswith(".xml"):
            problems.append(Problem("warning", "config.yaml", line, f"{what} links to {path}, which is no page or file "
                                    "of the site", "fix the path, or add the page (for example content/LANG/pages/NAME.md)"))

    for code, items in config.menu.items():
        for item in items:
            check(menu_view(item.title, item.url)["path"], f"menu entry {item.title!r} ({code})", item.line)
    for code in config.footer:
        for target in _site_links(footer_html(config.footer[code])):
            check(target, f"the footer ({code})", None)
    return problems


def _site_links(html: str) -> list[str]:
    found: list[str] = []
    rewrite_site_links(html, {}, lambda target: found.append(target.partition("#")[0]) or target)
    return found
