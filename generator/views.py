"""Plain views of pages and listings built for templates (no methods that do I/O).

A view is made once per page per build and shared by every page that shows it (lists,
sidebars, related articles), so a list of 20 items costs 20 dictionary lookups.
"""

from __future__ import annotations

from typing import Any

from generator import urls
from generator.config import Config
from generator.i18n import Strings
from generator.model import Listing, Page, RenderedBody, Site
from generator.site_paths import list_url, tag_identity

#: Article views one process keeps before starting afresh.
MAX_VIEWS = 20_000


class Views:
    """Views of one site, made on first use."""

    def __init__(self, site: Site, bodies: dict[str, RenderedBody], config: Config, strings: Strings) -> None:
        self.site = site
        self.bodies = bodies
        self.config = config
        self.strings = strings
        self._articles: dict[str, dict[str, Any]] = {}
        self._tag_urls: dict[tuple[str, str], str] = {}
        self._author_urls: dict[tuple[str, str], str] = {}
        #: The one spelling of each tag and author that its own page shows.
        self._names: dict[tuple[str, str, str], str] = {}
        for (lang, kind), listings in site.listings.items():
            target = self._tag_urls if kind == "tag" else self._author_urls if kind == "author" else None
            if target is not None:
                for listing in listings:
                    target[(lang, tag_identity(listing.title))] = listing.url_path
                    self._names[(kind, lang, tag_identity(listing.title))] = listing.title
        self._home_sidebars: dict[str, dict[str, Any]] = {}
        self._identity = tag_identity
        self._archives: dict[tuple[str, str], frozenset[str]] = {}
        self._term_memo: dict[tuple[str, str, tuple[str, ...]], tuple[tuple[str, str], ...]] = {}

    def article(self, source: str) -> dict[str, Any]:
        view = self._articles.get(source)
        if view is None:
            if len(self._articles) > MAX_VIEWS:
                self._articles.clear()  # a whole archive's views at once would be memory for little
            view = self._articles[source] = self._make(self.site.pages[source])
        return view

    def forget(self, source: str) -> None:
        """Drop what was made of `source`'s page (it was read again)."""
        self._articles.pop(source, None)

    def _make(self, page: Page) -> dict[str, Any]:
        body = self.bodies.get(page.source)
        lang = page.lang
        summary = page.summary or (body.summary_text if body else "")
        return {
            "source": page.source,
            "title": page.title,
            "url": page.url_path,
            "lang": lang,
            "kind": page.kind,
            "date": page.date,
            "date_iso": page.date.isoformat(),
            "date_text": self.strings.date(page.date, lang),
            "updated": page.updated,
            "updated_iso": page.updated.isoformat() if page.updated else "",
            "updated_text": self.strings.date(page.updated, lang) if page.updated else "",
            "summary": summary,
            "tags": self._terms("tag", lang, page.tags, self._tag_urls),
            "authors": self._terms("author", lang, page.authors, self._author_urls),
            "image": page.image,
            "draft": page.draft,
            "original_url": page.original_url,
            "meta": page.meta,
            "slug": page.slug,
            "section": page.section,
        }

    def _terms(self, kind: str, lang: str, names: tuple[str, ...], term_urls: dict[tuple[str, str], str]) -> list[dict[str, str]]:
        """Tags or authors as their own pages spell them ("Political prisoners" even where an
        article wrote "political prisoners"), each once."""
        return [{"name": shown, "url": url} for shown, url in self._shown_terms(kind, lang, names, term_urls)]

    def _shown_terms(self, kind: str, lang: str, names: tuple[str, ...],
                     term_urls: dict[tuple[str, str], str]) -> tuple[tuple[str, str], ...]:
        """(spelling, URL) of each of `names`, each tag once; an archive's pages share a few
        thousand tag lists, so each list is worked out once per build."""
        key = (kind, lang, names)
        found = self._term_memo.get(key)
        if found is None:
            out, seen = [], set()
            for name in names:
                ident = self._identity(name)
                if ident not in seen:
                    seen.add(ident)
                    out.append((self._names.get((kind, lang, ident), name), term_urls.get((lang, ident), "")))
            found = self._term_memo[key] = tuple(out)
        return found

    def term_urls(self, page: Page) -> str:
        """The names and URLs of a page's tags and authors as shown (what its key needs of
        `article`, made cheaply): a tag's spelling changes with the other articles' spellings."""
        lang = page.lang
        return repr((self._shown_terms("tag", lang, page.tags, self._tag_urls),
                     self._shown_terms("author", lang, page.authors, self._author_urls)))

    def latest(self, lang: str, exclude: str | None = None) -> list[dict[str, Any]]:
        """The "Latest news" of `lang`, without the page being shown."""
        items = [s for s in self.site.latest.get(lang, ()) if s != exclude][: self.config.latest_news]
        return [self.article(s) for s in items]

    def translations(self, sources: tuple[str, ...]) -> list[dict[str, Any]]:
        """The translations shown on a page: their sources, in language order."""
        out = []
        for source in sources:
            other = self.site.pages[source]
            language = self.config.language(other.lang)
            out.append({"lang": other.lang, "name": language.name, "url": other.url_path, "title": other.title})
        return out

    def listing(self, listing: Listing) -> dict[str, Any]:
        return {"kind": listing.kind, "lang": listing.lang, "key": listing.key, "title": listing.title,
                "url": listing.url_path, "count": len(listing.pages)}

    def language_links(self, lang: str, kind: str, key: str = "") -> list[dict[str, Any]]:
        """The same kind of list page in every language (where it exists), for the switcher."""
        return [self._language_link(language.code, self._same_kind_url(language.code, kind, key), lang,
                                    home=kind != "home" and language.code != lang)
                for language in self.config.languages]

    def article_language_links(self, page: Page, translations: tuple[str, ...]) -> list[dict[str, Any]]:
        """The switcher of an article: its translation in each language, else that language's home."""
        found = {self.site.pages[s].lang: self.site.pages[s].url_path for s in translations}
        out = []
        for language in self.config.languages:
            code = language.code
            if code == page.lang:
                out.append(self._language_link(code, page.url_path, page.lang))
            elif code in found:
                out.append(self._language_link(code, found[code], page.lang, translation=True))
            else:
                out.append(self._language_link(code, list_url(code), page.lang, home=True))
        return out

    def _language_link(self, code: str, url: str, lang: str, *, translation: bool = False,
                       home: bool = False) -> dict[str, Any]:
        """One switcher entry. `label` is the language's name, with the "(home)" mark in that
        language when the link goes to its home page instead of the same page."""
        name = self.config.language(code).name
        home = home and url == list_url(code)
        return {"lang": code, "name": name, "url": url, "current": code == lang, "translation": translation,
                "home": home, "label": self.strings.get(code, "language_home", name=name) if home else name}

    def home_sidebar(self, lang: str) -> dict[str, Any]:
        """What the home page's sidebar shows instead of its own first items: the most used tags
        (as many as `latest_news`) and the years of the archive."""
        found = self._home_sidebars.get(lang)
        if found is None:
            tags = self.site.listings.get((lang, "tag"), ())[: self.config.latest_news]
            years = self.site.listings.get((lang, "year"), ())
            found = self._home_sidebars[lang] = {
                "tags": [self.listing(item) for item in tags] if self.config.latest_news else [],
                "years": [self.listing(item) for item in years] if self.config.latest_news else [],
                "tags_url": list_url(lang, "tags"),
                "archive_url": list_url(lang, "archive"),
            }
        return found

    def alternates(self, lang: str, kind: str, key: str = "") -> list[dict[str, Any]]:
        """The same page in every language that has it (for hreflang); empty when only one has it."""
        out = []
        for language in self.config.languages:
            url = self._same_kind_url(language.code, kind, key)
            if self._equivalent(language.code, kind, key, url):
                out.append({"lang": language.code, "url": url})
        return out if len(out) > 1 else []

    def article_alternates(self, page: Page, translations: tuple[str, ...]) -> list[dict[str, Any]]:
        group = [page.source, *translations]
        if len(group) < 2:
            return []
        order = {code: i for i, code in enumerate(self.config.language_codes)}
        pages = sorted((self.site.pages[s] for s in group), key=lambda p: order.get(p.lang, 0))
        return [{"lang": p.lang, "url": p.url_path} for p in pages]

    def x_default(self, alternates: list[dict[str, Any]]) -> str:
        """The page for readers whose language is none of the alternates: the default language's."""
        for item in alternates:
            if item["lang"] == self.config.default_language:
                return item["url"]
        return alternates[0]["url"] if alternates else ""

    def _equivalent(self, code: str, kind: str, key: str, url: str) -> bool:
        if kind in ("year", "month"):
            return key in self._archive_keys(code, kind)
        return kind not in ("tag", "author")  # a tag of one language is not a translation of another's

    def _same_kind_url(self, code: str, kind: str, key: str) -> str:
        home = list_url(code)
        if kind in ("home", "tag", "author"):
            return home if kind == "home" else list_url(code, "tags" if kind == "tag" else "authors")
        if kind in ("tags", "archive", "authors", "search"):
            return list_url(code, kind)
        if kind in ("year", "month") and key in self._archive_keys(code, kind):
            return list_url(code, *key.split("/"))
        if kind in ("year", "month"):
            return list_url(code, "archive")
        return home

    def _archive_keys(self, code: str, kind: str) -> frozenset[str]:
        found = self._archives.get((code, kind))
        if found is None:
            found = self._archives[(code, kind)] = frozenset(
                item.key for item in self.site.listings.get((code, kind), ()))
        return found

    def pagination(self, listing_url: str, number: int, total: int) -> dict[str, Any]:
        """Page `number` of `total` of the listing at `listing_url` (URLs from the site root)."""
        return {
            "number": number,
            "total": total,
            "prev_url": urls.paginated_path(listing_url, number - 1) if number > 1 else "",
            "next_url": urls.paginated_path(listing_url, number + 1) if number < total else "",
            "pages": [{"number": n, "url": urls.paginated_path(listing_url, n), "current": n == number}
                      for n in _page_numbers(number, total)],
        }


def _page_numbers(current: int, total: int, around: int = 2) -> list[int]:
    """Page numbers to show: first, last, and a few around the current one (0 marks a gap)."""
    if total <= 2 * around + 5:
        return list(range(1, total + 1))
    shown = {1, total, *range(max(1, current - around), min(total, current + around) + 1)}
    out: list[int] = []
    for n in sorted(shown):
        if out and n - out[-1] > 1:
            out.append(0)
        out.append(n)
    return out
