"""Names and paths every stage agrees on: list page URLs, the index pages, tag identity, translations.

Pure functions on plain values (and the assembled `Site`), so that no stage needs to import
another stage for them.
"""

from __future__ import annotations

import unicodedata

from generator import urls
from generator.model import Page, Site

#: The index pages every language has, by name, with the listing kinds each one shows.
INDEX_PAGES: dict[str, tuple[str, ...]] = {"tags": ("tag",), "authors": ("author",), "archive": ("year", "month")}
#: Pages of every language at fixed URLs below its home: the indexes, and the search page.
FIXED_PAGES = ("tags", "archive", "authors", "search")


def tag_identity(name: str) -> str:
    """Tags that differ only in case or Unicode form are one tag."""
    return unicodedata.normalize("NFKC", name).casefold()


def list_url(lang: str, *parts: str) -> str:
    """URL of a list page of `lang`: list_url("en", "tags", "belarus") -> "/en/tags/belarus/"."""
    return urls.expand_permalink("/" + "/".join([lang, *parts]) + "/", {})


def translation_key(page: Page) -> str:
    """What groups a page with its translations: its `translation_key`, else its path below the language."""
    if page.translation_key:
        return "key:" + page.translation_key
    return "path:" + "/".join(page.source.split("/")[2:]).rsplit(".", 1)[0]


def translations_of(site: Site, page: Page) -> tuple[str, ...]:
    """Sources of `page`'s translations (itself excluded), in language order."""
    group = site.translations.get(translation_key(page), ())
    return tuple(s for s in group if s != page.source) if page.source in group else ()
