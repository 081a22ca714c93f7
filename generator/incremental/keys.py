"""Keys of planned outputs: a hash of what a page's render reads; equal keys mean equal bytes.

A page's key is a hash of its job's `inputs` record, the very record the renderer builds the
page's context from, plus what every page reads (generator version, config, templates).

An output made from its record alone (a photo's file, `model.ImageInputs`) is keyed by
`record_key`: a hash of the record's type and every field, nothing else.

Other pages enter a key through `page_key`, which changes whenever anything shown of them
changes. A page key is "MAIN:SIDEBAR": when only the sidebar part changed (a new article), the
page can be made from the previous build's file by replacing its sidebar (see `splice`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the no-op check imports this module and must stay light
    from generator.model import Job, Site
    from generator.views import Views


class Keys:
    """The keys of one build's outputs; `common` covers the generator, config and templates."""

    def __init__(self, site: Site, views: Views, common: str, *, show_drafts: bool = False,
                 shown_of: Callable[[str], str] | None = None) -> None:
        self.site, self.views = site, views
        #: What else other pages show of a page, by its source (its lead image, for one).
        self.shown_of = shown_of
        self.common = common
        self.show_drafts = show_drafts
        self._page_keys: dict[str, str] = {}
        self._sidebar_keys: dict[str, str] = {}

    def job(self, job: Job) -> str:
        """The key of the page of `job`: a hash of its `inputs` record (see model.ArticleInputs)."""
        inputs = job.inputs
        layout = _layout(type(inputs))
        parts: list[Any] = [self.common, job.kind, job.url_path, job.number, job.total, self.show_drafts,
                            layout.name]
        page = self._all_page_keys().__getitem__
        for name in layout.plain:
            parts.append(getattr(inputs, name))
        for name in layout.sources:
            value = getattr(inputs, name)
            parts.append(page(value) if isinstance(value, str) else
                         list(map(page, value)) if value is not None else "")
        side = getattr(inputs, "sidebar", "") if layout.sidebar else ""
        # repr of plain values (strings, numbers, tuples of them) is exact and made in C: an
        # archive has tens of thousands of keys to compute on every build.
        return digest(repr(parts)) + ":" + (self.sidebar(side) if side else "")

    def page(self, source: str) -> str:
        """Identity of everything other pages show of `source` (its text, URL and term links)."""
        key = self._page_keys.get(source)
        if key is None:
            page = self.site.pages[source]
            key = self._page_keys[source] = digest("|".join([
                page.source, page.digest, page.url_path, self.views.term_urls(page),
                self.shown_of(source) if self.shown_of is not None else ""]), 8)
        return key

    def _all_page_keys(self) -> dict[str, str]:
        # List pages name twenty pages each: one lookup in C per name, not a call of `page`.
        if len(self._page_keys) < len(self.site.pages):
            for source in self.site.pages:
                self.page(source)
        return self._page_keys

    def sidebar(self, lang: str) -> str:
        key = self._sidebar_keys.get(lang)
        if key is None:
            key = self._sidebar_keys[lang] = digest(";".join(self.page(s) for s in self.site.latest.get(lang, ())))
        return key


def record_key(inputs: Any) -> str:
    """The key of an output made from the record `inputs` alone: equal records, equal bytes."""
    values = [type(inputs).__name__, *(getattr(inputs, item.name) for item in fields(inputs))]
    return digest(repr(values))  # (plain values: their repr is exact)


class _Layout(NamedTuple):
    name: str
    plain: tuple[str, ...]
    sources: tuple[str, ...]
    sidebar: bool


@functools.cache
def _layout(kind: type) -> _Layout:
    """The fields of an inputs record by role: plain values, sources of other pages, the sidebar."""
    names = [item.name for item in fields(kind)]
    return _Layout(kind.__name__, tuple(n for n in names if n != "sidebar" and n not in kind.SOURCES),
                   tuple(n for n in names if n in kind.SOURCES), "sidebar" in names)


def digest(text: str, size: int = 16) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()
