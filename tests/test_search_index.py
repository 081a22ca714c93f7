"""The search index files: their format, and the incremental update an edit takes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG, article

from generator.build import Options, build
from generator.cache_files import load_blob
from generator.config import load_config
from generator.model import SearchMetaInputs, TermShardInputs
from generator.search import (
    analyse,
    article_shard_bytes,
    article_shards,
    codec,
    doc_ids,
    index_fingerprint,
    meta_bytes,
    plain_text,
    term_shard,
    term_shard_bytes,
)
from generator.search.text import terms

CONFIG = BASIC_CONFIG.replace("search: false", "search: true")


def site_files(n: int = 12) -> dict[str, str]:
    files = {"config.yaml": CONFIG}
    for i in range(n):
        files[f"content/be/2020/a{i}.md"] = article(
            f"Навіна {i}", f"2020-01-{i + 1:02d}T10:00:00+03:00",
            f"Суд над актывістам {i}. Палітвязні пішуць лісты. Слова{i} адно.", tags=["Суды"])
        files[f"content/en/2020/a{i}.md"] = article(f"News {i}", f"2020-01-{i + 1:02d}T10:00:00+03:00",
                                                    f"Court hearing {i}; word{i}.")
    return files


def index_tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and "/search/index/" in p.as_posix()}


def how(config: object, lang: str) -> str:
    """Which way the last build updated `lang`'s index: "patched", "rebuilt" or "unchanged"."""
    data, _ = load_blob(config.cache_dir / "search" / f"state-{lang}.bin", index_fingerprint(config))
    assert data is not None
    return data["how"]


def test_postings_round_trip_and_need_no_escaping() -> None:
    postings = [(0, 1), (5, 31), (1 << 20, 16), (0xFFFFFFFF, 7)]
    text = codec.encode_postings(postings)
    assert codec.decode_postings(text) == postings
    assert set(text) <= set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")
    data = codec.script("t", 3, {"x": "a</script>\u2028"})
    assert b"</script" not in data and codec.read_script(data) == {"x": "a</script>\u2028"}


def test_ids_are_stable_while_the_archive_grows_and_collisions_are_resolved_by_path() -> None:
    first = doc_ids([f"content/en/{n}.md" for n in range(100)])
    grown = doc_ids([f"content/en/{n}.md" for n in range(200)])
    assert all(grown[s] == i for s, i in first.items())
    assert len(set(grown.values())) == 200


def test_title_words_weigh_more_and_markup_is_not_text() -> None:
    assert plain_text("<p>Pal<em>i</em>tviazni <script>x()</script>&amp; co</p><p>next</p>") == "Palitviazni & co next"
    page = type("P", (), {"title": "Суд", "tags": ("Вязні",), "summary": "", "lang": "be"})()
    body = type("B", (), {"html": "<p>" + "суд " * 3 + "палітвязні</p>"})()
    names, values, _ = analyse(page, body)
    weights = dict(zip(names, values, strict=True))
    assert weights["суд"] > weights["вязн"] >= 16 > weights[terms("палітвязні", "be")[0]] >= 1


def test_an_edit_patches_only_the_shards_of_its_terms(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(site_files())
    config = load_config(site)
    build(config, Options())
    before = index_tree(config.output_dir)
    inodes = {rel: (config.output_dir / rel).stat().st_ino for rel in before}
    edited = site / "content/be/2020/a3.md"
    edited.write_text(article("Навіна 3", "2020-01-04T10:00:00+03:00", "Новы тэкст пра выбары і назіральнікаў.",
                              tags=["Суды"]), encoding="utf-8")
    build(config, Options())
    assert how(config, "be") == "patched"
    after = index_tree(config.output_dir)
    changed = {rel for rel in after if before.get(rel) != after[rel]} | (before.keys() - after.keys())
    shards = {f"be/search/index/t/{term_shard(t, 16)}.js" for t in terms("Новы тэкст пра выбары назіральнікаў", "be")}
    shards |= {f"be/search/index/t/{term_shard(t, 16)}.js" for t in terms("Суд над актывістам 3. Палітвязні пішуць лісты. Слова3 адно.", "be")}
    doc = doc_ids([f"content/be/2020/a{i}.md" for i in range(12)])["content/be/2020/a3.md"]
    assert changed and changed <= shards | {f"be/search/index/d/{doc >> 28}.js"}
    assert not any(rel.startswith("en/") for rel in changed)
    # Files whose bytes did not change were not written again.
    assert all((config.output_dir / rel).stat().st_ino == inodes[rel] for rel in after if rel not in changed)
    clean = dataclasses.replace(config, output_override=tmp_path / "clean")
    build(clean, Options(use_cache=False))
    assert index_tree(tmp_path / "clean") == after
    # The edited words are found where search.js looks for them.
    term = terms("назіральнікаў", "be")[0]
    shard = codec.read_script(after[f"be/search/index/t/{term_shard(term, 16)}.js"])
    assert term in shard and len(codec.decode_postings(shard[term])) == 1
    old = terms("актывістам", "be")[0]
    shard = codec.read_script(after[f"be/search/index/t/{term_shard(old, 16)}.js"])
    assert len(codec.decode_postings(shard[old])) == 11


def test_an_edit_decodes_only_the_posting_lists_of_terms_whose_weight_changed(
        make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    body = "Суд над актывістам. Палітвязні пішуць лісты з турмы кожны тыдзень. " * 3
    files = site_files() | {"content/be/2020/long.md": article("Доўгі тэкст", "2020-02-01T10:00:00+03:00", body)}
    site = make_site(files)
    config = load_config(site)
    build(config, Options())
    decoded: list[str] = []
    decode = codec.decode_postings
    monkeypatch.setattr(codec, "decode_postings", lambda text: decoded.append(text) or decode(text))
    # A new date: the article changed, none of its terms did.
    (site / "content/be/2020/long.md").write_text(article("Доўгі тэкст", "2020-02-02T10:00:00+03:00", body),
                                                 encoding="utf-8")
    build(config, Options())
    assert how(config, "be") == "patched" and decoded == []
    # One new word: its posting list, and those whose weight moved with the length, no others.
    (site / "content/be/2020/long.md").write_text(
        article("Доўгі тэкст", "2020-02-02T10:00:00+03:00", body + " Назіральнікі."), encoding="utf-8")
    build(config, Options())
    assert how(config, "be") == "patched"
    assert 1 <= len(decoded) < len(set(terms("Доўгі тэкст " + body + " Назіральнікі.", "be")))
    clean = dataclasses.replace(config, output_override=tmp_path / "clean")
    build(clean, Options(use_cache=False))
    assert index_tree(tmp_path / "clean") == index_tree(config.output_dir)


def test_a_damaged_index_cache_is_rebuilt(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(site_files(4))
    config = load_config(site)
    build(config, Options())
    for shard in (config.cache_dir / "search" / "files" / "be" / "t").glob("*.js"):
        shard.write_bytes(b"garbage")
    (site / "content/be/2020/a1.md").write_text(article("Навіна 1", "2020-01-02", "Суд зноў."), encoding="utf-8")
    build(config, Options())
    assert how(config, "be") == "rebuilt"
    clean = dataclasses.replace(config, output_override=tmp_path / "clean")
    build(clean, Options(use_cache=False))
    assert index_tree(config.output_dir) == index_tree(tmp_path / "clean")


def test_a_deferred_build_keeps_the_last_index_and_the_next_build_catches_up(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    from generator.search_behind import index_behind

    site = make_site(site_files(4))
    config = load_config(site)
    build(config, Options())
    before = index_tree(config.output_dir)
    (site / "content/be/2020/a1.md").write_text(article("Навіна 1", "2020-01-02", "Назіральнікі."), encoding="utf-8")
    result = build(config, Options(defer_search=True))
    assert result.files_written and index_tree(config.output_dir) == before
    assert index_behind(config)
    # Nothing changed since, but the index is behind: this is no no-op build.
    build(config, Options())
    assert not index_behind(config)
    clean = dataclasses.replace(config, output_override=tmp_path / "clean")
    build(clean, Options(use_cache=False))
    assert index_tree(config.output_dir) == index_tree(tmp_path / "clean") != before


def test_a_new_date_format_reaches_every_result_while_unchanged_articles_keep_their_fields(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(site_files(4))
    config = load_config(site)
    build(config, Options())
    (site / "config.yaml").write_text(CONFIG.replace("{code: en, name: English}",
                                                     "{code: en, name: English, date_format: 'y-MM-dd'}"))
    config = load_config(site)
    build(config, Options())
    shards = [codec.read_script(data) for rel, data in index_tree(config.output_dir).items()
              if rel.startswith("en/search/index/d/")]
    assert sorted(doc[2] for shard in shards for doc in shard.values()) == [f"2020-01-0{i}" for i in range(1, 5)]
    clean = dataclasses.replace(config, output_override=tmp_path / "clean")
    build(clean, Options(use_cache=False))
    assert index_tree(config.output_dir) == index_tree(tmp_path / "clean")


def test_an_index_made_on_all_cores_holds_every_posting_in_id_order_and_takes_edits(
        make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from generator import parallel, search

    count = parallel.MIN_PARALLEL_ITEMS + 30  # enough for the workers: one slice of ids each at a time
    assert parallel.workers_available() >= 2, "needs two cores"
    files = {"config.yaml": CONFIG}
    for i in range(count):
        files[f"content/en/2020/s{i}.md"] = article(
            f"Story {i}", f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+03:00",
            f"Court hearing {i % 7} about prisoners{i % 13} and word{i}. " + "Letters from prison. " * (i % 4))
    site = make_site(files)
    config = load_config(site)
    # What one process gives, with each analysis it made: the postings a naive inversion expects.
    made: dict[str, search.Analysis] = {}
    analyse_one = search.analyse
    monkeypatch.setattr(search, "analyse", lambda page, body: made.setdefault(page.source, analyse_one(page, body)))
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10**9)
    build(dataclasses.replace(config, output_override=tmp_path / "serial"), Options(use_cache=False))
    monkeypatch.undo()
    ids = doc_ids(made)
    expected: dict[str, list[tuple[int, int]]] = {}
    for source, (names, weights, _) in made.items():
        for term, weight in zip(names, weights, strict=True):
            expected.setdefault(term, []).append((ids[source], weight))
    serial = index_tree(tmp_path / "serial")
    found = {term: codec.decode_postings(text) for rel, data in serial.items() if "/t/" in rel
             for term, text in codec.read_script(data).items()}
    assert len(made) == count and found == {term: sorted(postings) for term, postings in expected.items()}
    excerpts = {key: doc[4] for rel, data in serial.items() if "/d/" in rel
                for key, doc in codec.read_script(data).items()}
    assert excerpts == {format(ids[source], "x"): text for source, (_, _, text) in made.items()}
    # Forked, with the cache and without: the same bytes.
    build(config, Options())
    assert how(config, "en") == "rebuilt" and index_tree(config.output_dir) == serial
    build(dataclasses.replace(config, output_override=tmp_path / "memory"), Options(use_cache=False))
    assert index_tree(tmp_path / "memory") == serial
    # An edit to the index made by the workers gives the files of a clean build.
    (site / "content/en/2020/s5.md").write_text(article("Story 5", "2020-06-06T10:00:00+03:00", "Appeal lost."),
                                               encoding="utf-8")
    build(config, Options())
    assert how(config, "en") == "patched"
    build(dataclasses.replace(config, output_override=tmp_path / "clean"), Options(use_cache=False))
    assert index_tree(config.output_dir) == index_tree(tmp_path / "clean") != serial


def shard_records(config: object) -> tuple[dict, dict, int]:
    """The article shards' records of the last build's `be` index, its articles and shard bits."""
    state, _ = load_blob(config.cache_dir / "search" / "state-be.bin", index_fingerprint(config))
    assert state is not None
    docs, bits = state["docs"], state["params"][1]
    return article_shards("be", docs.values(), bits), docs, bits


def test_every_index_file_is_its_record_written_out(make_site: Callable[..., Path]) -> None:
    # The records are what the files are made of: each file is the bytes of its record, and the
    # article shards' records are made from the articles alone (title, link, dates, text key).
    site = make_site(site_files())
    config = load_config(site)
    build(config, Options())
    files = index_tree(config.output_dir)
    records, docs, bits = shard_records(config)
    made = {rel.removeprefix("be/search/index/") for rel in files if rel.startswith("be/")}
    assert {f"d/{n}.js" for n in records} == {rel for rel in made if rel.startswith("d/")}
    for number, record in records.items():
        data = codec.read_script(files[f"be/search/index/d/{number}.js"])
        excerpts = {entry[5]: data[format(entry[0], "x")][4] for entry in record.entries}
        assert article_shard_bytes(record, excerpts) == files[f"be/search/index/d/{number}.js"]
        assert [entry[1] for entry in record.entries] == [v[0] for _, v in sorted(data.items(), key=lambda kv: int(kv[0], 16))]
    for rel in made:
        if rel.startswith("t/"):
            number = int(rel[2:-3])
            record = TermShardInputs("be", number, codec.read_script(files[f"be/search/index/{rel}"]))
            assert term_shard_bytes(record) == files[f"be/search/index/{rel}"]
    assert meta_bytes(SearchMetaInputs("be", len(docs), bits)) == files["be/search/index/meta.js"]


def test_an_article_shard_is_made_again_when_its_record_changes_and_only_then(
        make_site: Callable[..., Path]) -> None:
    site = make_site(site_files())
    config = load_config(site)
    build(config, Options())
    before = index_tree(config.output_dir)
    last = shard_records(config)[0]
    # A new title: the article's entry (its shown title, its text key) changes, its words too.
    (site / "content/be/2020/a5.md").write_text(article("Іншая назва", "2020-01-06T10:00:00+03:00",
                                                        "Суд над актывістам 5. Палітвязні пішуць лісты. Слова5 адно.",
                                                        tags=["Суды"]), encoding="utf-8")
    build(config, Options())
    assert how(config, "be") == "patched"
    now = shard_records(config)[0]
    differ = {n for n in now.keys() | last.keys() if now.get(n) != last.get(n)}
    after = index_tree(config.output_dir)
    rewritten = {int(rel.split("/")[-1][:-3]) for rel in after
                 if "/index/d/" in rel and rel.startswith("be/") and before.get(rel) != after[rel]}
    assert differ and rewritten == differ
    assert "Іншая назва" in after[f"be/search/index/d/{min(differ)}.js"].decode()
