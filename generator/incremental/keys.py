"""Keys of planned outputs: a hash of what a page's render reads; equal keys mean equal bytes.

A page's key is a hash of its job's `inputs` record, the very record the renderer builds the
page's context from, plus what every page reads (generator version, config, templates).

Other pages enter a key through `page_key`, which changes whenever anything shown of them
changes. A page key is "MAIN:SIDEBAR": when only the sidebar part changed (a new article), the
page can be made from the previous build's file by replacing its sidebar (see `splice`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import fields
from typing import Any

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
        parts: list[Any] = [self.common, job.kind, job.url_path, job.number, job.total, self.show_drafts,
                            type(inputs).__name__]
        side = ""
        for item in fields(inputs):
            value = getattr(inputs, item.name)
            if item.name == "sidebar":
                side = self.sidebar(value) if value else ""
            elif item.name in inputs.SOURCES:
                parts.append(self.page(value) if isinstance(value, str) else
                             [self.page(s) for s in value] if value is not None else "")
            else:
                parts.append(value)
        return digest("\x1f".join(map(_flat, parts))) + ":" + side

    def generated(self, kind: str, path: str, title: str, sources: tuple[str, ...]) -> str:
        """Key of a generated file (a feed) that shows `sources` under `title`."""
        return digest(repr([self.common, kind, path, title, [self.page(s) for s in sources]]))

    def page(self, source: str) -> str:
        """Identity of everything other pages show of `source` (its text, URL and term links)."""
        key = self._page_keys.get(source)
        if key is None:
            page = self.site.pages[source]
            key = self._page_keys[source] = digest("|".join([
                page.source, page.digest, page.url_path, self.views.term_urls(page),
                self.shown_of(source) if self.shown_of is not None else ""]), 8)
        return key

    def sidebar(self, lang: str) -> str:
        key = self._sidebar_keys.get(lang)
        if key is None:
            key = self._sidebar_keys[lang] = digest(";".join(self.page(s) for s in self.site.latest.get(lang, ())))
        return key



def _flat(part: Any) -> str:
    if isinstance(part, (list, tuple)):
        return "[" + "\x1e".join(map(_flat, part)) + "]"
    return str(part)


def digest(text: str, size: int = 16) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()
