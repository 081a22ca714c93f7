"""Gather all pages into a `Site`: filter, sort, detect collisions, group and link pages.

Every list page, "Latest news" sidebar and prev/next link needs the whole site, so this stage
runs after every page is read and before anything is rendered. All orders are total: by date,
newest first, then by URL, so the same input always gives the same site.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from generator import urls
from generator.config import Config
from generator.errors import Problem
from generator.model import Alias, Listing, Page, Site
from generator.related import related_lists
from generator.site_paths import list_url, tag_identity, translation_key


def assemble(pages: Iterable[Page], config: Config, *, drafts: bool = False, future: bool = False,
             now: datetime | None = None,
             related_memo: dict[str, tuple[str, ...]] | None = None) -> tuple[Site, list[Problem]]:
    """Build the Site; problems are collisions and other site-wide errors.

    `related_memo` is the previous build's `site.related_memo`: related lists whose inputs did
    not change are taken from it instead of being searched for again.
    """
    problems: list[Problem] = []
    now = now or datetime.now().astimezone()
    kept = [p for p in pages if (drafts or not p.draft) and (future or p.date <= now)]
    kept.sort(key=lambda p: (-p.date.timestamp(), p.url_path, p.source))
    by_source = {p.source: p for p in kept}

    url_index: dict[str, str] = {}
    owners: dict[str, str] = {}

    def claim(url_path: str, owner: str, what: str) -> bool:
        folded = url_path.casefold()
        if folded in owners:
            other = owners[folded]
            problems.append(Problem("error", owner if owner.startswith("content/") else other, None,
                                    f"{what} {url_path} is also claimed by {other}",
                                    "give one of them another slug (or date), or remove the duplicate"))
            return False
        owners[folded] = owner
        return True

    articles: dict[str, list[str]] = {code: [] for code in config.language_codes}
    standalone: dict[str, list[str]] = {code: [] for code in config.language_codes}
    for code in config.language_codes:
        for reserved in (list_url(code), list_url(code, "tags"), list_url(code, "archive"),
                         list_url(code, "authors"), list_url(code, "search")):
            claim(reserved, f"the built-in page {reserved}", "URL")
    for page in kept:
        if claim(page.url_path, page.source, "URL"):
            url_index[page.url_path] = page.source
        (articles if page.kind == "article" else standalone)[page.lang].append(page.source)

    listings: dict[tuple[str, str], tuple[Listing, ...]] = {}
    for code in config.language_codes:
        items = articles[code]
        listings[(code, "home")] = (Listing("home", code, "", "", list_url(code), tuple(items)),)
        listings[(code, "tag")] = _grouped(code, "tag", "tags", items, by_source, lambda p: p.tags, config, problems, claim)
        listings[(code, "author")] = _grouped(code, "author", "authors", items, by_source, lambda p: p.authors, config,
                                              problems, claim)
        listings[(code, "year")], listings[(code, "month")] = _archives(code, items, by_source, claim)

    related, related_memo = related_lists(articles, by_source, listings, config.related, related_memo or {},
                                          tag_identity)
    aliases = _aliases(kept, claim)
    translations = _translations(kept, config, problems)
    neighbours: dict[str, tuple[str | None, str | None]] = {}
    for items in articles.values():
        for i, source in enumerate(items):
            neighbours[source] = (items[i + 1] if i + 1 < len(items) else None, items[i - 1] if i > 0 else None)
    site = Site(
        pages=by_source,
        articles={k: tuple(v) for k, v in articles.items()},
        standalone={k: tuple(sorted(v, key=lambda s: by_source[s].url_path)) for k, v in standalone.items()},
        latest={k: tuple(v[: config.latest_news + 1]) for k, v in articles.items()},
        listings=listings,
        translations=translations,
        neighbours=neighbours,
        url_index=url_index,
        aliases=aliases,
        related=related,
        related_memo=related_memo,
    )
    return site, problems


def _grouped(lang: str, kind: str, folder: str, items: list[str], by_source: dict[str, Page], names_of,
             config: Config, problems: list[Problem], claim) -> tuple[Listing, ...]:
    """Listings for tags or authors of one language, by count (descending) then name."""
    members: dict[str, list[str]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    for source in items:
        seen = set()
        for name in names_of(by_source[source]):
            ident = tag_identity(name)
            spellings[ident][name] += 1
            if ident not in seen:
                seen.add(ident)
                members[ident].append(source)
    out = []
    slugs: dict[str, str] = {}
    for ident, sources in members.items():
        display = min(spellings[ident].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        slug = urls.slugify(display, lang, config.slugs)
        if slug in slugs:
            other = slugs[slug]
            files = sorted({*members[ident], *members[other]})
            problems.append(Problem("error", files[0], None,
                                    f"{kind}s {display!r} and {min(spellings[other], key=str)!r} both make the URL "
                                    f"{list_url(lang, folder, slug)} (files: {', '.join(files)})",
                                    f"spell the {kind} the same way in every article"))
            continue
        slugs[slug] = ident
        url = list_url(lang, folder, slug)
        claim(url, f"the {kind} page {url}", "URL")
        out.append(Listing(kind, lang, slug, display, url, tuple(sources)))
    out.sort(key=lambda listing: (-len(listing.pages), listing.title.casefold(), listing.key))
    return tuple(out)


def _archives(lang: str, items: list[str], by_source: dict[str, Page], claim) -> tuple[tuple[Listing, ...], tuple[Listing, ...]]:
    years: dict[str, list[str]] = defaultdict(list)
    months: dict[str, list[str]] = defaultdict(list)
    for source in items:
        date = by_source[source].date
        years[f"{date.year:04d}"].append(source)
        months[f"{date.year:04d}/{date.month:02d}"].append(source)
    year_listings = []
    for key in sorted(years, reverse=True):
        url = list_url(lang, key)
        claim(url, f"the archive page {url}", "URL")
        year_listings.append(Listing("year", lang, key, key, url, tuple(years[key])))
    month_listings = []
    for key in sorted(months, reverse=True):
        url = list_url(lang, *key.split("/"))
        claim(url, f"the archive page {url}", "URL")
        month_listings.append(Listing("month", lang, key, key, url, tuple(months[key])))
    return tuple(year_listings), tuple(month_listings)


def alias_output_path(alias: str) -> str:
    """Where the redirect page for an old URL is written.

    A last segment with a file extension (old .html/.php pages) is written as that file;
    anything else becomes a folder with index.html.
    """
    path = alias.split("?")[0].split("#")[0]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if not path.endswith("/") and "." in last:
        return urls.output_path_for(path)
    return urls.output_path_for(path.rstrip("/") + "/")


def _aliases(pages: list[Page], claim) -> tuple[Alias, ...]:
    out = []
    for page in pages:
        for alias in page.aliases:
            out_path = alias_output_path(alias)
            url = "/" + out_path.removesuffix("index.html")
            if claim(url, page.source, "alias"):
                out.append(Alias(url, out_path, page.source))
    out.sort(key=lambda a: a.output_path)
    return tuple(out)


def _translations(pages: list[Page], config: Config, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    """Group translations: same translation_key, or else the same path below sibling language folders."""
    groups: dict[str, dict[str, str]] = defaultdict(dict)
    for page in pages:
        parts = page.source.split("/")
        if not page.translation_key and (len(parts) < 3 or parts[1] not in config.language_codes):
            continue
        key = translation_key(page)
        group = groups[key]
        if page.lang in group:
            if page.translation_key:
                problems.append(Problem("warning", page.source, None,
                                        f"translation_key {page.translation_key!r} is used twice in language "
                                        f"{page.lang} (also by {group[page.lang]})",
                                        "give each translation of a story the same key, once per language"))
            continue
        group[page.lang] = page.source
    order = {code: i for i, code in enumerate(config.language_codes)}
    out = {}
    for key in sorted(groups):
        members = groups[key]
        if len(members) > 1:
            out[key] = tuple(members[lang] for lang in sorted(members, key=order.__getitem__))
    return out


def next_due(pages: list[Page], now: datetime, future: bool) -> float | None:
    """When the earliest future-dated article becomes due (a rebuild must then show it)."""
    if future:
        return None
    due = [p.date.timestamp() for p in pages if p.date > now]
    return min(due) if due else None
