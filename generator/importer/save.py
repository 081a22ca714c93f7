"""The single writer of imported content: Markdown + YAML front matter under content/.

Safety rules, in the order they are applied:

* every path is built from checked parts (language code, year digits, slug) and must
  resolve inside `content/`; nothing else is ever written;
* an item keeps the file it was imported to before (found by `import_source`), so
  re-imports never duplicate, and a different item wanting the same slug gets `-2`, `-3`…
  (clashing items of one run are numbered in the order of their source reference);
* a file whose bytes would not change is left alone (not even touched);
* an existing file is only replaced when it is still exactly what the importer wrote:
  its `import_hash` is the SHA-256 of the file's UTF-8 bytes with the `import_hash:` line
  itself removed, so any hand edit (or a file the importer never wrote) is a conflict
  unless `force` is given;
* files are written to a temporary file beside the target and moved into place.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from generator import safe_yaml
from generator.config import Config
from generator.errors import Problem
from generator.importer import ImportedItem, media, url_alias
from generator.urls import expand_permalink, slugify

_LANG_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_SAFE_PART = re.compile(r"^[^\\/\0.][^\\/\0]*$")
_HASH_LINE = re.compile(r"^import_hash: ['\"]?([0-9a-f]{64})['\"]?\n", re.MULTILINE)
PAGES_FOLDER = "pages"


@dataclass(slots=True)
class SaveResult:
    """What the writer did with the items of one run."""

    written: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: Media files copied (or, in a dry run, to be copied) into content/, as site paths.
    media: list[str] = field(default_factory=list)
    #: Items that had no title (named after their slug or file).
    untitled: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Planned:
    item: ImportedItem
    lang: str
    folder: tuple[str, ...]
    base_slug: str


# --- pure parts -----------------------------------------------------------------------------


def file_hash(text: str) -> str:
    """The import_hash of a file's text: SHA-256 of it without its `import_hash:` line.

    Line endings do not count: an editor that saves with CRLF has not edited the item."""
    text = _lf(text)
    return hashlib.sha256(_HASH_LINE.sub("", text, count=1).encode("utf-8")).hexdigest()


def stored_hash(text: str) -> str | None:
    """The import_hash written in a file's front matter, or None."""
    front = _front_matter_text(text)
    match = _HASH_LINE.search(front) if front is not None else None
    return match.group(1) if match else None


def is_untouched(text: str) -> bool:
    """True when the file is exactly what the importer wrote (its stored hash still fits)."""
    stored = stored_hash(text)
    return stored is not None and stored == file_hash(text)


def import_source_of(text: str, key: str = "import_source") -> str | None:
    """The `import_source` (or another importer key) of a Markdown file's front matter, or None."""
    front = _front_matter_text(text)
    if front is None or f"{key}:" not in front:
        return None
    try:
        data = safe_yaml.load(front)
    except yaml.YAMLError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if value else None


def _lf(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _front_matter_text(text: str) -> str | None:
    text = _lf(text)
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    return text[4:end + 1] if end != -1 else None


def iso(moment: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 with offset; a naive time is taken as local time of the site."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.replace(microsecond=0).isoformat()


def render(item: ImportedItem, *, lang: str, slug: str, zone: ZoneInfo,
           aliases: tuple[str, ...]) -> str:
    """The complete file text for `item`, import_hash included."""
    assert item.date is not None  # checked by the caller
    meta: dict[str, Any] = {"title": item.title, "date": iso(item.date, zone)}
    if item.updated is not None:
        meta["updated"] = iso(item.updated, zone)
    meta["lang"] = lang
    meta["slug"] = slug
    if item.draft:
        meta["draft"] = True
    if item.tags:
        meta["tags"] = list(item.tags)
    if item.authors:
        meta["authors"] = list(item.authors)
    if item.summary:
        meta["summary"] = item.summary
    if item.image:
        meta["image"] = item.image
    if aliases:
        meta["aliases"] = list(aliases)
    if item.source_url:
        meta["source"] = item.source_url
    if item.translation_key:
        meta["translation_key"] = item.translation_key
    for key, value in item.extra.items():
        if key not in meta and value not in (None, "", [], ()):
            meta[key] = list(value) if isinstance(value, tuple) else value
    if item.meta:
        meta["meta"] = _plain(item.meta)
    meta["import_source"] = item.source_ref
    if item.earlier_refs:
        meta["import_origin"] = item.earlier_refs[0]
    front = yaml.dump(meta, allow_unicode=True, sort_keys=False, width=1_000_000,
                      default_flow_style=False)
    body = item.body.strip("\n")
    unhashed = f"---\n{front}---\n\n{body}\n"
    digest = hashlib.sha256(unhashed.encode("utf-8")).hexdigest()
    return f"---\n{front}import_hash: {digest}\n---\n\n{body}\n"


def _plain(value: Any) -> Any:
    """Front-matter values as YAML can write them safely (dates as ISO text, tuples as lists)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def checked_aliases(item: ImportedItem) -> tuple[tuple[str, ...], list[str]]:
    """The item's aliases that can be served as files, and warnings about the others."""
    good: list[str] = []
    notes: list[str] = []
    for alias in item.aliases:
        if "?" in alias and "://" not in alias:
            continue  # served by a _redirects line, see save_items
        path, why = url_alias(alias) if "://" in alias else (alias, "")
        if path is None or not path.startswith("/"):
            notes.append(why or f"alias {alias!r} is not a site path starting with '/'; left out")
            continue
        if path not in good:
            good.append(path)
    return tuple(good), notes


# --- planning and writing ---------------------------------------------------------------------


def save_items(items: Iterable[ImportedItem], config: Config, *, lang: str | None = None,
               force_lang: str | None = None, dry_run: bool = False, force: bool = False) -> SaveResult:
    """Write every item as a Markdown file (or, with `dry_run`, only say what would be written).

    `lang` fills in the language of items that declare none; `force_lang` overrides it.
    """
    result = SaveResult()
    zone = ZoneInfo(config.timezone)
    content = config.content_dir
    owners, origins = _existing_sources(content)
    by_source = {}
    for rel, source in sorted(owners.items()):
        by_source.setdefault(source, rel)
    for rel, origin in sorted(origins.items()):
        by_source.setdefault(origin, rel)

    planned: list[_Planned] = []
    seen: dict[str, str] = {}
    renamed: set[str] = set()
    for item in items:
        if item.source_ref in seen:
            # Real exports repeat ids and links; both items are kept, the later one under an
            # identity made from its own origin (stable across runs of the same source).
            distinct = f"{item.source_ref}#{item.origin}"
            result.warnings.append(Problem(
                "warning", item.origin, None,
                f"same identity as {seen[item.source_ref]} ({item.source_ref}); imported as {distinct}",
                "check that the two really are different posts"))
            item = replace(item, source_ref=distinct)
            renamed.add(distinct)
        plan = _plan(item, config, lang, force_lang, result)
        if plan is not None:
            seen[plan.item.source_ref] = item.origin
            planned.append(plan)

    claimed: dict[str, str] = {}
    chosen: list[tuple[_Planned, str]] = []
    # The build's own list pages; a page slugged "tags" must not take their place.
    reserved = {expand_permalink("/" + "/".join([code, *extra]) + "/", {}).casefold()
                for code in config.language_codes for extra in ((), ("tags",), ("archive",), ("authors",),
                                                                 ("search",))}
    planned.sort(key=lambda p: (p.folder, p.base_slug, p.item.source_ref))
    for plan in planned:
        item = plan.item
        rel = _choose_path(plan, by_source, owners, claimed, content,
                           lambda candidate, plan=plan: _new_url(plan, candidate, config).casefold() in reserved)
        if rel is None:
            result.skipped.append(Problem("error", item.origin, None,
                                          "the target path would leave the content folder",
                                          "check the item's language and slug"))
            continue
        claimed[rel] = item.source_ref
        chosen.append((plan, rel))
    # An old URL belongs first to the item that kept its own identity, then in source order.
    chosen.sort(key=lambda pair: (pair[0].item.source_ref in renamed, pair[0].item.origin, pair[0].item.source_ref))

    new_urls = {_new_url(plan, rel, config).casefold(): rel for plan, rel in chosen}
    alias_owner: dict[str, str] = {}
    alias_lists: dict[str, tuple[str, ...]] = {}
    old_paths: dict[str, str] = {}
    redirects: list[tuple[str, str]] = []
    for plan, rel in chosen:
        item = plan.item
        aliases, notes = checked_aliases(item)
        result.warnings.extend(Problem("warning", item.origin, None, note) for note in notes)
        kept = []
        for alias in aliases:
            folded = alias.casefold()
            if folded in new_urls:
                continue  # the new page itself answers at this path
            other = alias_owner.get(folded)
            if other is not None:
                if other != rel:
                    result.warnings.append(Problem(
                        "warning", item.origin, None,
                        f"old URL {alias} is also an old URL of content/{other}; it redirects there",
                        "add it by hand to the file that should answer at it"))
                continue
            alias_owner[folded] = rel
            kept.append(alias)
        alias_lists[rel] = tuple(kept)
        for path in [*aliases, *_query_urls(item)]:
            old_paths.setdefault(path, rel)
        for url in _query_urls(item) if not item.draft else ():
            redirects.append((url, _new_url(plan, rel, config)))
    hosts = _own_hosts(item for item, _ in ((p.item, r) for p, r in chosen))
    page_urls = {rel: _new_url(plan, rel, config) for plan, rel in chosen}
    loose = media.loose_paths(old_paths)
    empty: list[str] = []

    for plan, rel in chosen:
        item = plan.item
        earlier = by_source.get(item.source_ref) or _earlier_file(item, by_source)
        if earlier is not None and earlier != rel:
            result.warnings.append(Problem(
                "warning", item.origin, None,
                f"imported before as content/{earlier}; now written to content/{rel}",
                "delete the older file if it is no longer wanted"))
        if not item.body.strip():
            empty.append(item.origin)
        body, image = media.place(item, content, dry_run, result)
        body = media.rewrite_links(body, rel, old_paths, hosts, page_urls, loose)
        item = replace(item, body=body, image=image)
        slug = Path(rel).stem
        text = render(item, lang=plan.lang, slug=slug, zone=zone, aliases=alias_lists[rel])
        site_rel = f"content/{rel}"
        target = content / rel
        entry = (site_rel, item.source_ref)
        existing = _read(target)
        if existing == text:
            result.unchanged.append(entry)
            continue
        if existing is not None and not force:
            if owners.get(rel) is None:
                why, hint = "exists and was not made by the importer", "move it away or re-run with --force"
            elif not is_untouched(existing):
                why, hint = "was edited after import", "re-run with --force to overwrite the edits"
            else:
                why = ""
            if why:
                result.conflicts.append(Problem("warning", site_rel, None,
                                                f"not overwritten: the file {why} ({item.source_ref})", hint))
                continue
        if not dry_run:
            _write_atomic(target, text)
        result.written.append(entry)
    if result.untitled:
        names = result.untitled
        result.warnings.append(Problem(
            "warning", "", None, f"{len(names)} item(s) have no title; each is named after its slug or file: "
            + ", ".join(names[:10]) + (f", and {len(names) - 10} more" if len(names) > 10 else ""),
            "give them real titles in the imported files"))
    if empty:
        result.warnings.append(Problem(
            "warning", "", None, f"{len(empty)} item(s) have front matter only; imported with an empty body: "
            + ", ".join(empty[:10]) + (f", and {len(empty) - 10} more" if len(empty) > 10 else ""),
            "write their text, or delete the files that are not wanted"))
    if redirects:
        media.write_redirects(content / "_redirects", redirects, dry_run, result)
    return result


def _query_urls(item: ImportedItem) -> list[str]:
    """Old URLs of the item that carry a query string ("/?p=12"): only a _redirects line serves them."""
    out = []
    for alias in item.aliases:
        parts = urlsplit(alias)
        if parts.query:
            out.append((parts.path or "/") + "?" + parts.query)
    return out


def _own_hosts(items: Iterable[ImportedItem]) -> frozenset[str]:
    """Host names of the old site (from the items' original URLs), for recognising own links."""
    hosts = set()
    for item in items:
        host = urlsplit(item.source_url).hostname if item.source_url else None
        if host:
            hosts.add(host.lower().rstrip("."))
    return frozenset(hosts)


def _earlier_file(item: ImportedItem, by_source: dict[str, str]) -> str | None:
    for ref in item.earlier_refs:
        if ref in by_source:
            return by_source[ref]
    return None


def _new_url(plan: _Planned, rel: str, config: Config) -> str:
    """The URL path the build will give the file `rel` (the same rule as the reader's)."""
    date = plan.item.date
    assert date is not None
    if date.tzinfo is None:
        date = date.replace(tzinfo=ZoneInfo(config.timezone))
    kind = "page" if plan.item.kind == "page" else "article"
    section = PAGES_FOLDER if kind == "page" else "news"
    values = {"lang": plan.lang, "year": f"{date.year:04d}", "month": f"{date.month:02d}",
              "day": f"{date.day:02d}", "slug": Path(rel).stem, "section": section}
    pattern = config.permalinks.page if kind == "page" else config.permalinks.article
    return expand_permalink(pattern, values)


def _plan(item: ImportedItem, config: Config, fill_lang: str | None, forced_lang: str | None,
          result: SaveResult) -> _Planned | None:
    def skip(message: str, hint: str = "") -> None:
        result.skipped.append(Problem("error", item.origin, None, message, hint))

    if not item.title.strip():
        title = (item.slug or "").replace("-", " ").strip() or Path(item.origin.split("#")[0]).stem
        result.untitled.append(item.origin)
        item = replace(item, title=title)
    if item.date is None:
        skip("no date", "add a publication date to the source")
        return None
    lang = (forced_lang or _site_lang(item.lang, config) or fill_lang or config.importer.lang
            or config.default_language)
    if not _LANG_CODE.match(lang) or lang not in config.language_codes:
        skip(f"language {lang!r} is not a language of this site",
             "add it to languages in config.yaml or import with --lang")
        return None
    if item.kind == "page":
        folder: tuple[str, ...] = (lang, PAGES_FOLDER)
    else:
        local = item.date if item.date.tzinfo is not None else item.date.replace(tzinfo=ZoneInfo(config.timezone))
        folder = (lang, f"{local.year:04d}")
    base = slugify(item.slug or item.title, lang=lang, mode=config.slugs)
    return _Planned(item, lang, folder, base)


def _site_lang(declared: str | None, config: Config) -> str | None:
    """The site language matching a declared one ("en-US" -> "en"), or the declared one."""
    if not declared:
        return None
    declared = declared.strip().replace("_", "-")
    codes = config.language_codes
    for candidate in (declared, declared.lower(), declared.split("-")[0].lower()):
        if candidate in codes:
            return candidate
    return declared


def _choose_path(plan: _Planned, by_source: dict[str, str], owners: dict[str, str | None],
                 claimed: dict[str, str], content: Path, is_reserved: Callable[[str], bool]) -> str | None:
    """Relative path under content/ for the item: its earlier file, or the first free slug."""
    folder = "/".join(plan.folder)
    earlier = by_source.get(plan.item.source_ref) or _earlier_file(plan.item, by_source)
    if earlier is not None and earlier.rsplit("/", 1)[0] == folder and earlier not in claimed:
        return earlier if _inside(content, earlier) else None
    mine = {by_source[ref] for ref in plan.item.earlier_refs if ref in by_source}
    number = 1
    while True:
        slug = plan.base_slug if number == 1 else f"{plan.base_slug}-{number}"
        rel = f"{folder}/{slug}.md"
        owner = owners.get(rel, "")
        taken = rel in claimed or is_reserved(rel) or (
            rel in owners and owner is not None and owner != plan.item.source_ref and rel not in mine)
        if not taken:
            return rel if _inside(content, rel) else None
        number += 1


def _inside(content: Path, rel: str) -> bool:
    parts = rel.split("/")
    if not all(_SAFE_PART.match(part) for part in parts):
        return False
    root = content.resolve()
    target = (content / rel).resolve()
    return target.is_relative_to(root) and target != root


def _existing_sources(content: Path) -> tuple[dict[str, str | None], dict[str, str]]:
    """Every Markdown file under content/ (relative path) -> its import_source, or None; and
    the files that carry an `import_origin` (the source file an item came from) -> that origin."""
    owners: dict[str, str | None] = {}
    origins: dict[str, str] = {}
    if not content.is_dir():
        return owners, origins
    for path in sorted(content.rglob("*.md")):
        if path.is_symlink() or not path.is_file():
            continue
        text = _read(path)
        rel = path.relative_to(content).as_posix()
        owners[rel] = import_source_of(text) if text else None
        origin = import_source_of(text, "import_origin") if text and "import_origin:" in text else None
        if origin:
            origins[rel] = origin
    return owners, origins


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None if not path.exists() else ""


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
