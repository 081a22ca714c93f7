"""Site search: the Pagefind index for http(s), and a small fallback index for file://.

Pagefind loads its index with a JavaScript module import, which browsers refuse for pages
opened from disk. The archive is often handed out as a folder (USB stick, zip), so each
language also gets `/L/search/index.js`: a plain script that assigns the titles, tags, dates,
summaries and links of its articles to `window.vestkaSearch`, loaded with a `<script src>`
(which file:// allows) and searched by `static/search.js` in the browser. Its links are
relative to the search page, so they work at any sub-path and from disk.

Pagefind reads the `<html lang>` of each page and writes one index per language; the search
page loads the index of its own language, so results stay in the page's language.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from generator import urls
from generator.assemble import list_url
from generator.config import Config
from generator.errors import Problem, VestkaError
from generator.model import OutputFile, RenderedBody, Site

#: File name of the fallback index inside each /L/search/ folder.
FALLBACK_NAME = "index.js"
#: Folder of the Pagefind bundle inside output/.
PAGEFIND_DIR = "pagefind"
#: Longest Pagefind run we wait for, in seconds (a 100,000-page archive indexes in well under this).
PAGEFIND_TIMEOUT = 1800


class SearchError(VestkaError):
    """The search index could not be built."""


def fallback_items(site: Site, bodies: dict[str, RenderedBody], config: Config, lang: str) -> list[dict[str, object]]:
    """Records of the fallback index of `lang`: articles newest first, then standalone pages."""
    search_page = list_url(lang, "search")
    items: list[dict[str, object]] = []
    for source in (*site.articles.get(lang, ()), *site.standalone.get(lang, ())):
        page = site.pages[source]
        body = bodies.get(source)
        items.append({
            "title": page.title,
            "url": urls.relative_url(search_page, page.url_path, config.portable),
            "date": page.date.date().isoformat(),
            "tags": list(page.tags),
            "summary": page.summary or (body.summary_text if body else ""),
        })
    return items


def fallback_script(lang: str, items: list[dict[str, object]]) -> str:
    """JavaScript that registers the index of `lang` on `window.vestkaSearch`."""
    data = json.dumps({"lang": lang, "items": items}, ensure_ascii=False, separators=(",", ":"))
    # U+2028/2029 end a line in older JavaScript engines; "</" must never close a script element.
    data = data.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")
    return f"window.vestkaSearch = {data};\n"


def search_fallback_index(site: Site, bodies: dict[str, RenderedBody], config: Config) -> list[OutputFile]:
    """One `/L/search/index.js` per language; nothing when search is off."""
    if not config.search:
        return []
    out = []
    for code in config.language_codes:
        items = fallback_items(site, bodies, config, code)
        path = urls.output_path_for(list_url(code, "search")).removesuffix("index.html") + FALLBACK_NAME
        sources = (*site.articles.get(code, ()), *site.standalone.get(code, ()))
        out.append(OutputFile(path, fallback_script(code, items).encode("utf-8"), sources=sources))
    return out


def pagefind_command(folder: Path, config: Config) -> list[str]:
    """The Pagefind call that indexes `folder` in place (the bundle goes to folder/pagefind/)."""
    import pagefind_bin

    command = [str(pagefind_bin.get_executable()), "--site", str(folder), "--output-subdir", PAGEFIND_DIR, "--quiet"]
    if config.portable:
        # Portable sites link to .../index.html everywhere; results should too.
        command.append("--keep-index-url")
    return command


def run_pagefind(folder: Path, config: Config) -> float:
    """Index the built site in `folder` with Pagefind; return the seconds it took (0 when search is off).

    Pages are indexed from their `data-pagefind-body` element (the article); pages without one
    (lists, indexes, the search page) are left out once any page has it.
    """
    if not config.search:
        return 0.0
    start = time.perf_counter()
    try:
        done = subprocess.run(pagefind_command(folder, config), capture_output=True, text=True,
                              timeout=PAGEFIND_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired, ImportError) as exc:
        raise SearchError("the search index could not be built", [Problem(
            "error", "pagefind", None, f"Pagefind did not run: {exc}",
            "reinstall with: pip install 'pagefind[bin]', or set search: false")]) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise SearchError("the search index could not be built", [Problem(
            "error", "pagefind", None, f"Pagefind failed (exit {done.returncode}): {' / '.join(detail[-3:])}",
            "set search: false to build without search")])
    sort_entry_file(folder / PAGEFIND_DIR / "pagefind-entry.json")
    return time.perf_counter() - start


def sort_entry_file(path: Path) -> None:
    """Rewrite Pagefind's entry file with its languages sorted.

    Pagefind lists languages in hash-map order, which changes from run to run; the same site
    must give the same bytes (deploys upload only what changed, caches keep their copies).
    """
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(entry, dict) and isinstance(entry.get("languages"), dict):
        entry["languages"] = dict(sorted(entry["languages"].items()))
        path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
