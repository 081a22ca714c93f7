"""Incremental builds must equal clean builds, whatever sequence of edits came before."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest import mock

from conftest import BASIC_CONFIG, age_files, article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import write
from generator.build import Options, build
from generator.config import load_config
from generator.incremental.page_cache import PageCache

TITLES = ["Court hearing in Minsk", "Observers report", "Prison letters", "Статья о выборах", "Навіны з суда"]
TAGS = ["Courts", "courts", "Elections", "Prisons", "Выборы"]
DATES = ["2011-03-14T10:00:00+02:00", "2011-03-20T09:00:00+02:00", "2012-07-01", "2019-12-31T23:59:00+03:00",
         "2020-08-10T12:00:00+03:00"]

operation = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 9), st.sampled_from(["en", "ru", "be"]), st.integers(0, 4),
              st.integers(0, 4)),
    st.tuples(st.just("edit_body"), st.integers(0, 9), st.text("abc xyz\nсуд палітвязняў", min_size=1, max_size=30)),
    # A paragraph after the first: the summary stays, and the build takes the text-edit path.
    st.tuples(st.just("append"), st.integers(0, 9), st.text("abc xyz\nсуд палітвязняў", min_size=1, max_size=30)),
    st.tuples(st.just("edit_title"), st.integers(0, 9), st.integers(0, 4)),
    st.tuples(st.just("tags"), st.integers(0, 9), st.lists(st.sampled_from(TAGS), max_size=3)),
    st.tuples(st.just("date"), st.integers(0, 9), st.integers(0, 4)),
    st.tuples(st.just("delete"), st.integers(0, 9)),
    st.tuples(st.just("rename"), st.integers(0, 9)),
    st.tuples(st.just("draft"), st.integers(0, 9)),
    st.tuples(st.just("template"), st.sampled_from(["A", "B"])),
    st.tuples(st.just("photo"), st.integers(0, 9), st.integers(0, 2)),
)


def small_photo(variant: int) -> bytes:
    """A small JPEG with a GPS tag, in one of three sizes and colours."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (53.0, 54.0, 12.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (380 + 200 * variant, 300), (40 * variant, 90, 160)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class Site:
    """A small two-language site whose articles are rewritten by the operations above."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.articles: dict[int, dict] = {}
        (root / "content").mkdir(parents=True)
        # Search on: its index files are output like the pages and must match a clean build too.
        (root / "config.yaml").write_text(BASIC_CONFIG.replace("search: false", "search: true"), encoding="utf-8")
        self.tick = 0

    def path(self, n: int) -> Path:
        a = self.articles[n]
        return self.root / "content" / a["lang"] / f"{a['stem']}.md"

    def write(self, n: int) -> None:
        a = self.articles[n]
        front = {"tags": a["tags"], "authors": ["Ales"], "translation_key": f"story-{n % 3}"}
        if a["draft"]:
            front["draft"] = True
        if a.get("image"):
            front.update(image=a["image"], image_alt="A photo")
        self.path(n).parent.mkdir(parents=True, exist_ok=True)
        self.path(n).write_text(article(a["title"], a["date"], a["body"], **front), encoding="utf-8")

    def apply(self, op: tuple) -> None:
        kind, *args = op
        if kind == "add":
            n, lang, title, date = args
            if n in self.articles:
                return
            self.articles[n] = {"lang": lang, "stem": f"a{n}", "title": f"{TITLES[title]} {n}", "date": DATES[date],
                                "body": "First paragraph.", "tags": [TAGS[n % 5]], "draft": False}
            self.write(n)
            return
        if kind == "template":
            folder = self.root / "themes" / "default" / "templates" / "partials"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "sidebar.html").write_text(
                "<aside><h2>" + args[0] + "</h2>{% for item in latest_news %}<a href=\"{{ url(item.url) }}\">"
                "{{ item.title }}</a>{% endfor %}</aside>", encoding="utf-8")
            return
        n = args[0]
        if n not in self.articles:
            return
        a = self.articles[n]
        if kind == "delete":
            self.path(n).unlink()
            del self.articles[n]
            return
        if kind == "rename":
            self.path(n).unlink()
            a["stem"] = a["stem"] + "r"
        elif kind == "edit_body":
            a["body"] = args[1].strip() or "x"
        elif kind == "append":
            a["body"] = a["body"].partition("\n\n")[0] + "\n\n" + (" ".join(args[1].split()) or "x")
        elif kind == "edit_title":
            a["title"] = f"{TITLES[args[1]]} {n}"
        elif kind == "tags":
            a["tags"] = args[1]
        elif kind == "date":
            a["date"] = DATES[args[1]]
        elif kind == "draft":
            a["draft"] = not a["draft"]
        elif kind == "photo":  # a lead image (list thumbnails show it too), new or replaced
            self.path(n).with_name(f"p{n}.jpg").write_bytes(small_photo(args[1]))
            a["image"] = f"p{n}.jpg"
        self.write(n)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=8), apart=st.booleans())
def test_incremental_rebuilds_equal_clean_builds(tmp_path_factory, ops, apart):
    base = tmp_path_factory.mktemp("incr")
    site = Site(base / "site")
    site.apply(("add", 0, "en", 0, 0))
    site.apply(("add", 1, "ru", 3, 2))
    incremental = base / "incremental"
    # `apart`: output/ is checked, and the build before last looked for, in forked processes,
    # as an archive's are (these sites are below write.CHECK_APART_FROM).
    with mock.patch.object(write, "CHECK_APART_FROM", 0 if apart else write.CHECK_APART_FROM):
        _rebuild_after_each(site, ops, base, incremental)


def _rebuild_after_each(site: Site, ops: list, base: Path, incremental: Path) -> None:
    for op in ops:
        site.apply(op)
        config = load_config(site.root)
        import dataclasses

        build(dataclasses.replace(config, output_override=incremental), Options())
        clean = base / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        build(dataclasses.replace(config, output_override=clean), Options(use_cache=False))
        assert tree(incremental) == tree(clean), f"incremental output differs after {op}"


def test_deleting_the_cache_never_changes_output(make_site, tmp_path):
    site = make_site({
        "content/en/2011/a.md": article("A", "2011-03-14", "Text [b](/en/2011/03/b/).", tags=["X"]),
        "content/en/2011/b.md": article("B", "2011-03-15", "More.", tags=["x", "Y"]),
    })
    config = load_config(site)
    first = build(config, Options())
    before = tree(config.output_dir)
    shutil.rmtree(config.cache_dir)
    os.utime(site / "content/en/2011/a.md")
    build(config, Options())
    assert tree(config.output_dir) == before
    assert first.files_written > 0


def test_a_corrupted_cache_is_ignored(make_site):
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", "Text.")})
    config = load_config(site)
    build(config, Options())
    (site / "content/en/2011/a.md").touch()
    build(config, Options())  # now the cache holds the build before last too, sharing files with output/
    before = tree(config.output_dir)
    damaged = [p for p in config.cache_dir.rglob("*") if p.is_file() and p.stat().st_size]
    assert len(damaged) >= 2  # the page cache and at least one compiled template
    assert any("previous" in p.parts for p in damaged)
    for cache_file in damaged:
        data = bytearray(cache_file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        cache_file.write_bytes(bytes(data))
    (site / "content/en/2011/a.md").write_text(article("A", "2011-03-14", "Text."), encoding="utf-8")
    build(config, Options())
    assert tree(config.output_dir) == before


def test_a_new_article_updates_old_pages_by_their_sidebar_alone(make_site, tmp_path):
    site = make_site({
        f"content/en/2011/a{n}.md": article(f"Article {n}", f"2011-03-{10 + n:02d}", f"Text {n}.", tags=["X"])
        for n in range(5)
    })
    config = load_config(site)
    build(config, Options())
    (site / "content/en/2012/newest.md").parent.mkdir()
    (site / "content/en/2012/newest.md").write_text(article("Newest", "2012-01-01", "New."), encoding="utf-8")
    incremental = build(config, Options())
    import dataclasses

    clean = dataclasses.replace(config, output_override=tmp_path / "clean")
    build(clean, Options(use_cache=False))
    assert incremental.sidebar_updates > 0  # old article pages took the sidebar-only path
    assert tree(config.output_dir) == tree(tmp_path / "clean")
    assert "Newest" in (config.output_dir / "en/2011/03/a0/index.html").read_text(encoding="utf-8")


def test_warnings_of_unchanged_files_are_reported_on_every_build(make_site, tmp_path):
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14", "Text.", source="not a web address")})
    age_files(site)  # else a.md is "racy" and read again, and the cache path is not taken
    config = load_config(site)
    first = build(config, Options())
    (site / "content/en/2011/b.md").write_text(article("B", "2011-03-15"), encoding="utf-8")
    second = build(config, Options())
    assert (first.pages_from_cache, second.pages_from_cache) == (0, 1)  # a.md came from the cache
    assert [str(p) for p in first.problems] == [str(p) for p in second.problems]
    assert any("is not a web address" in str(p) for p in second.problems)


def test_a_rebuild_without_changes_takes_the_no_op_path_and_reports_the_same_warnings(make_site, monkeypatch):
    site = make_site({
        "content/en/2011/a.md": article("A", "2011-03-14", "See [the report](/en/missing/).",
                                        source="not a web address"),
        "content/en/2011/b.md": article("B", "2011-03-15", "Text."),
    })
    age_files(site)
    config = load_config(site)
    first = build(config, Options())
    opened = []
    real_open = PageCache.open.__func__
    monkeypatch.setattr(PageCache, "open", classmethod(lambda cls, *a, **k: opened.append(1) or real_open(cls, *a, **k)))
    second = build(config, Options())
    third = build(config, Options())
    assert opened == []  # the page cache is not even loaded on the no-op path
    assert "read+markdown" in first.timings
    assert list(second.timings) == list(third.timings) == ["discover"]  # nothing but discovery ran
    warnings = [str(p) for p in first.problems]
    assert any("is not a web address" in w for w in warnings)
    assert any("/en/missing/" in w for w in warnings)
    assert [str(p) for p in second.problems] == [str(p) for p in third.problems] == warnings


def test_a_no_op_build_loads_neither_markdown_nor_jinja_nor_the_later_stages(make_site):
    import subprocess
    import sys

    site = make_site({"config.yaml": BASIC_CONFIG.replace("search: false", "search: true"),
                      "content/en/2011/a.md": article("A", "2011-03-14", "Text.")})
    age_files(site)
    build(load_config(site), Options())
    (site / "content/en/2011/a.md").write_text(article("A", "2011-03-14", "Other text."), encoding="utf-8")
    age_files(site)
    build(load_config(site), Options(defer_search=True))  # leaves the search index behind its pages
    assert list(build(load_config(site), Options()).timings) != ["discover"]  # so this one brings it up to date
    # A fresh interpreter: in this one the test suite has imported everything already.
    probe = ("import sys; from pathlib import Path; from generator.build import Options, build; "
             "from generator.config import load_config; "
             f"result = build(load_config(Path({str(site)!r})), Options()); "
             "print(list(result.timings)); "
             "print(sorted(m for m in ('generator.stages', 'generator.search', 'markdown', 'jinja2', 'babel', 'PIL') "
             "if m in sys.modules))")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.stdout.splitlines() == ["['discover']", "[]"]  # the no-op path, and nothing heavy loaded


def test_forked_workers_give_the_same_bytes_as_one_process(make_site, tmp_path, monkeypatch):
    import dataclasses

    from generator import parallel

    files = {}
    for n in range(320):  # above MIN_PARALLEL_ITEMS: both the read pass and the render pass fork
        lang = "ru" if n % 4 == 0 else "en"
        files[f"content/{lang}/{2010 + n % 7}/s{n}.md"] = article(
            f"{TITLES[n % 5]} {n}", f"{2010 + n % 7}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            f"Story {n} about [the report](/en/) and *rights*.", tags=[TAGS[n % 5], TAGS[(n + 2) % 5]],
            authors=[f"Author {n % 6}"], translation_key=f"story-{n // 4}")
    site = make_site(files)
    config = load_config(site)
    assert parallel.MIN_PARALLEL_ITEMS < 320 and parallel.workers_available() >= 2, "needs two cores"
    stores = tmp_path / "stores"
    original = write.store

    def recording(dest, path, data, digest, copy_from=None):
        with open(stores, "a", encoding="utf-8") as handle:  # appends from every process
            handle.write(f"{os.getpid()} {path}\n")
        return original(dest, path, data, digest, copy_from)

    monkeypatch.setattr(write, "store", recording)

    def build_into(name: str, **options) -> set[str]:
        stores.unlink(missing_ok=True)
        build(dataclasses.replace(config, output_override=tmp_path / name), Options(**options))
        return {line.split(" ", 1)[0] for line in stored()}

    def stored() -> list[str]:
        return stores.read_text(encoding="utf-8").splitlines() if stores.exists() else []

    forked = build_into("parallel")
    assert forked - {str(os.getpid())}, "no page was stored by a forked worker"
    # Feeds too are made and stored by the workers, beside the pages.
    assert any(path.endswith("feed.xml") and pid != str(os.getpid())
               for pid, path in (line.split(" ", 1) for line in stored()))
    (site / "content/en/2011/s1.md").write_text(article("Edited", "2011-02-02", "New text.", tags=["Courts"]),
                                                encoding="utf-8")
    (site / "content/en/2012/new.md").write_text(article("Newest", "2019-12-31", "New."), encoding="utf-8")
    build_into("parallel")  # incremental, forked: the edited and spliced pages
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10**9)
    alone = build_into("serial", use_cache=False)
    assert alone <= {str(os.getpid())}
    assert tree(tmp_path / "parallel") == tree(tmp_path / "serial")
