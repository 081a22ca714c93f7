"""What a build keeps in memory of the page cache: body HTML stays in the cache file until asked for."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from conftest import article

from generator import __version__
from generator.build import Options, build
from generator.config import load_config
from generator.incremental.page_cache import PageCache
from generator.manifest import MANIFEST, manifest_bytes


def test_cached_bodies_are_read_from_the_cache_file_only_when_asked_for(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("First", "2011-03-14", "Some *body* text."),
                      "content/en/2011/b.md": article("Second", "2011-03-15", "Other text.")})
    build(load_config(site), Options())
    cache = PageCache.open(load_config(site))
    assert cache.rejected == ""
    bodies = list(cache.bodies.values())
    assert len(bodies) == 2
    assert not any(isinstance(body.stored, bytes) for body in bodies)
    assert sorted("<em>body</em>" in body.html for body in bodies) == [False, True]


def test_a_cached_body_pickles_with_its_html(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("First", "2011-03-14", "Some *body* text.")})
    build(load_config(site), Options())
    (body,) = PageCache.open(load_config(site)).bodies.values()
    again = pickle.loads(pickle.dumps(body))
    assert isinstance(again.stored, bytes)
    assert again == type(body)(body.html_z, body.summary_text, body.toc, body.internal_links)
    assert "<em>body</em>" in again.html


def test_a_damaged_body_html_is_not_trusted(make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("First", "2011-03-14", "Original words here.")})
    build(load_config(site), Options())
    (path,) = (site / ".vestka-cache").glob("bodies-*.bin")
    blob = path.read_bytes()
    path.write_bytes(blob[:-20] + bytes(b ^ 0x55 for b in blob[-20:]))  # inside the compressed HTML
    cache = PageCache.open(load_config(site))
    assert cache.rejected == "damaged (checksum mismatch)"
    assert cache.bodies == {}


def test_an_edit_rebuilds_from_the_cache_with_the_same_output_as_a_clean_build(make_site, tmp_path: Path) -> None:
    files = {f"content/en/2011/a{n}.md": article(f"Title {n}", f"2011-03-{n + 10}", f"Body **{n}**.") for n in range(5)}
    site = make_site(files)
    build(load_config(site), Options())
    edited = article("Title 2", "2011-03-12", "Body **2**, edited.")
    (site / "content/en/2011/a2.md").write_text(edited, encoding="utf-8")
    build(load_config(site), Options())
    clean = make_site({**files, "content/en/2011/a2.md": edited}, folder="clean")
    build(load_config(clean), Options())
    built = {p.relative_to(site / "output"): p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()}
    fresh = {p.relative_to(clean / "output"): p.read_bytes() for p in (clean / "output").rglob("*") if p.is_file()}
    assert built == fresh
    assert b"edited" in built[Path("en/2011/03/a2/index.html")]


def test_the_manifest_file_is_the_json_it_always_was() -> None:
    files = {"en/index.html": "a" * 64, 'odd "name"\\\n\t\u2028.html': "b" * 64, "be/навіны/index.html": "c" * 64,
             **{f"p/{n:05d}/index.html": f"{n:064x}" for n in range(9000)}}
    expected = json.dumps({"generator": f"vestka {__version__}", "files": files}, ensure_ascii=False, indent=0,
                          sort_keys=True).encode("utf-8")
    assert manifest_bytes(files) == expected
    assert manifest_bytes({}) == json.dumps({"generator": f"vestka {__version__}", "files": {}}, ensure_ascii=False,
                                            indent=0, sort_keys=True).encode("utf-8")
    assert MANIFEST == ".vestka-manifest.json"
