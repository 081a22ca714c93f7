"""Hostile and broken content files: every one builds, or fails with `path:line: message`.

Hypothesis writes one article per example: random YAML types where strings are expected,
huge numbers, deep nesting, anchors and aliases, NUL and control characters, invalid UTF-8,
BOMs, CRLF, empty files, files holding only `---`, gigantic lines. Whatever it writes, the
build either succeeds or raises a `VestkaError` whose problems each name a file (and a line
when the problem is inside that file), and a failed build leaves the previous output/ exactly
as it was: same files, same bytes, same modification times.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
import traceback
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import Options, build
from generator.config import load_config
from generator.errors import VestkaError

CONFIG = """\
title: Fuzz archive
base_url: https://example.org/
timezone: Europe/Minsk
languages:
  - {code: en, name: English}
  - {code: be, name: Беларуская}
per_page: 5
latest_news: 3
search: false
"""
FUZZED = "content/en/2011/fuzzed.md"
#: A well-formed article that must survive every failed build of the fuzzed one.
STEADY = "---\ntitle: Steady article\ndate: 2001-05-06T07:08:09+03:00\ntags: [steady]\n---\n\nSteady body.\n"


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below `folder` with its SHA-256 and mtime: equal states mean untouched."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            state[path.relative_to(folder).as_posix()] = (hashlib.sha256(data).hexdigest(), path.stat().st_mtime_ns)
    return state


def leftovers(site: Path) -> list[str]:
    """Staging and half-swapped folders a build must never leave behind."""
    return sorted(p.name for p in site.iterdir() if p.name.startswith((".vestka-staging-", ".vestka-old-")))


def new_site(root: Path, fuzzed: bytes | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    steady = root / "content/en/2001/steady.md"
    steady.parent.mkdir(parents=True, exist_ok=True)
    steady.write_text(STEADY, encoding="utf-8")
    (root / FUZZED).parent.mkdir(parents=True, exist_ok=True)
    if fuzzed is not None:
        path = root / FUZZED
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(fuzzed)
    return root


def check_outcome(site: Path, data: bytes) -> str:
    """Build `site` (whose fuzzed file holds `data`); assert the outcome is one of the allowed ones."""
    out = site / "output"
    before = tree_state(out) if out.exists() else {}
    (site / FUZZED).write_bytes(data)
    try:
        build(load_config(site), Options(use_cache=False))
    except VestkaError as exc:
        assert exc.problems, f"a VestkaError without problems: {exc!r}"
        line_count = len(data.splitlines()) + 1  # \r, \n and \r\n all end a line
        for problem in exc.problems:
            assert problem.file, f"problem names no file: {problem}"
            if problem.severity != "error":
                continue
            assert problem.file == FUZZED or problem.file.startswith("content/"), str(problem)
            if problem.file == FUZZED and "content/" not in problem.message:
                # A problem inside the file says where; only site-wide clashes may lack a line.
                assert isinstance(problem.line, int), f"error without a line: {problem}"
                assert 1 <= problem.line <= line_count + 1, f"line out of the file: {problem}"
        assert (tree_state(out) if out.exists() else {}) == before, "a failed build changed output/"
        assert not leftovers(site)
        return "failed"
    except BaseException as exc:  # noqa: BLE001 - anything but a VestkaError is the bug under test
        pytest.fail(f"{type(exc).__name__} escaped the build for input {data[:300]!r}:\n"
                    + "".join(traceback.format_exception(exc)[-6:]))
    assert (out / "index.html").is_file()
    assert (out / "en/2001/05/steady/index.html").is_file()
    assert not leftovers(site)
    return "built"


# --- strategies -------------------------------------------------------------------------------

_controls = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.characters(min_codepoint=0x7F, max_codepoint=0x9F)
_text = st.text(st.characters(exclude_categories=("Cs",)) | _controls | st.sampled_from("<>&\"'`:#[]{}*!|-\u2028\ufeff"),
                max_size=40)
_scalars = (st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.integers(-(2**63), 2**64)
            | st.floats(allow_nan=True, allow_infinity=True) | _text
            | st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
            | st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                           timezones=st.none() | st.just(UTC)
                           | st.builds(timezone, st.builds(timedelta, hours=st.integers(-23, 23))))
            | st.binary(max_size=8))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(_text | st.integers(), inner, max_size=4), max_leaves=12)
_keys = st.sampled_from(["title", "date", "updated", "lang", "slug", "tags", "authors", "author", "summary",
                         "image", "draft", "translation_key", "aliases", "source", "template"]) | _text
_good = {"title": "A title", "date": "2011-03-14T16:32:26+02:00"}


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """YAML text: a dumped mapping of random types, or a hand-written tricky construct."""
    data = dict(_good) if draw(st.booleans()) else {}
    data.update(draw(st.dictionaries(_keys, _values, max_size=6)))
    try:
        dumped = yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False, width=10**6)
    except yaml.YAMLError:
        dumped = "title: unrepresentable\n"
    tricky = draw(st.sampled_from([
        "",
        "anchor: &a [x, y]\nalias: *a\n",
        "base: &b {title: merged}\n<<: *b\n",
        "loop: &l [*l]\n",
        "bomb: &a [x, x, x, x]\nb2: &b [*a, *a, *a, *a]\nb3: &c [*b, *b, *b, *b]\nb4: [*c, *c, *c, *c]\n",
        "deep: " + "[" * 60 + "]" * 60 + "\n",
        "deeper: " + "{a: " * 200 + "1" + "}" * 200 + "\n",
        "tags: !!binary aGVsbG8=\n",
        "obj: !!python/object/apply:os.system [echo pwned]\n",
        "huge: 1" + "0" * 5000 + "\n",
        "tiny: 1e-99999\n",
        "when: 0000-00-00\n",
        "when2: 2011-02-30\n",
        "title: 'unterminated\n",
        "? [complex, key]\n: value\n",
        "\tindented: with a tab\n",
        "dup: 1\ndup: 2\n",
        "%YAML 1.1\n",
        "--- \n",
        "...\n",
        "set: !!set {a, b}\n",
        "omap: !!omap [a: 1, b: 2]\n",
    ]))
    order = draw(st.sampled_from(["dump-first", "tricky-first", "only-dump", "only-tricky"]))
    return {"dump-first": dumped + tricky, "tricky-first": tricky + dumped,
            "only-dump": dumped, "only-tricky": tricky}[order]


_body = st.one_of(
    st.text(max_size=200),
    st.text(st.characters(exclude_categories=("Cs",)) | _controls, max_size=200),
    st.sampled_from(["", "<script>alert(1)</script>", "[x](javascript:alert(1))", "```\nunclosed fence",
                     "> " * 500 + "deep quote", "- " * 300 + "deep list", "[a]: <>\n[a]", "&#0; &#xD800; &#x110000;",
                     "| a |\n|---|\n" + "| b |\n" * 50, "*" * 5000, "<" * 3000, "[" * 3000 + "]" * 3000]),
    st.integers(10_000, 400_000).map(lambda n: "w" * n),  # one gigantic line
)


@st.composite
def fuzzed_file(draw: st.DrawFn) -> bytes:
    """The bytes of one content file, well-formed or broken in one of many ways."""
    shape = draw(st.sampled_from(["article"] * 6 + ["empty", "fences", "only-open", "raw"]))
    if shape == "empty":
        return draw(st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b"   ", b"\r\n"]))
    if shape == "fences":
        return draw(st.sampled_from([b"---", b"---\n", b"---\n---", b"---\n---\n", b"---\r\n---\r\n", b"------\n"]))
    if shape == "only-open":
        return ("---\n" + draw(front_matter())).encode("utf-8", "surrogatepass")
    if shape == "raw":
        return draw(st.binary(max_size=300))
    text = "---\n" + draw(front_matter()) + "---\n\n" + draw(_body) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    for mutation in draw(st.lists(st.sampled_from(["bom", "crlf", "cr", "nul", "bad-utf8", "truncate",
                                                   "control", "overlong"]), max_size=2, unique=True)):
        if mutation == "bom":
            data = b"\xef\xbb\xbf" + data
        elif mutation == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif mutation == "cr":
            data = data.replace(b"\n", b"\r")
        elif mutation in ("nul", "bad-utf8", "control", "overlong"):
            at = draw(st.integers(0, len(data)))
            insert = {"nul": b"\0", "bad-utf8": b"\xff\xfe", "control": b"\x1b[2J\x07", "overlong": b"\xc0\xaf"}[mutation]
            data = data[:at] + insert + data[at:]
        else:
            data = data[:draw(st.integers(0, len(data)))]
    return data


# --- tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = new_site(tmp_path_factory.mktemp("fuzz") / "site")
    build(load_config(site), Options(use_cache=False))  # a previous complete build to protect
    (site / FUZZED).parent.mkdir(parents=True, exist_ok=True)
    return site


_SETTINGS = dict(deadline=None, derandomize=False, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])


@settings(max_examples=60, **_SETTINGS)
@given(data=fuzzed_file())
def test_a_fuzzed_file_builds_or_fails_with_file_and_line(fuzz_site: Path, data: bytes) -> None:
    check_outcome(fuzz_site, data)


@pytest.mark.slow
@settings(max_examples=1000, **_SETTINGS)
@given(data=fuzzed_file())
def test_a_thousand_fuzzed_files_build_or_fail_cleanly(fuzz_site: Path, data: bytes) -> None:
    check_outcome(fuzz_site, data)


@pytest.mark.parametrize("data", [
    b"", b"---", b"---\n", b"---\n---\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf---\ntitle: BOM\ndate: 2011-01-01\n---\nx",
    b"---\r\ntitle: CRLF\r\ndate: 2011-01-01\r\n---\r\nx\r\n", b"---\ntitle: \"a\\0b\"\ndate: 2011-01-01\n---\n",
    b"---\ntitle: x\ndate: 2011-01-01\n---\nbody \x00 with NUL", b"---\ntitle: \xff\ndate: 2011-01-01\n---\n",
    b"---\ntitle: 1" + b"0" * 5000 + b"\ndate: 2011-01-01\n---\n", b"---\ntitle: [a, [b, {c: d}]]\ndate: 2011-01-01\n---\n",
    b"---\ntitle: t\ndate: 2011-01-01\nloop: &l [*l]\n---\n", b"---\ntitle: t\ndate: 99999-01-01\n---\n",
    b"---\ntitle: t\ndate: 2011-01-01T00:00:00+25:00\n---\n", b"---\n- just\n- a list\n---\n",
    b"---\ntitle: t\ndate: 2011-01-01\n---\n" + b"x" * 2_000_000,
], ids=lambda d: repr(d[:24]))
def test_known_nasty_files_build_or_fail_cleanly(tmp_path: Path, data: bytes) -> None:
    site = new_site(tmp_path / "site")
    build(load_config(site), Options(use_cache=False))
    check_outcome(site, data)


def test_a_value_error_points_at_the_line_of_its_key(tmp_path: Path) -> None:
    """Year 0 and an offset of 25 hours are rejected by the YAML loader; the line is the key's."""
    for text in ("---\ntitle: t\nslug: s\ndate: 0000-01-01\n---\n",
                 "---\ntitle: t\nslug: s\ndate: 2011-01-01T00:00:00+25:00\n---\n"):
        site = new_site(tmp_path / f"site{len(text)}", text.encode())
        with pytest.raises(VestkaError) as caught:
            build(load_config(site), Options(use_cache=False))
        [problem] = [p for p in caught.value.problems if p.severity == "error"]  # the empty body is only warned about
        assert (problem.file, problem.line) == (FUZZED, 4), str(problem)


# --- YAML bombs -------------------------------------------------------------------------------

#: Nine levels of nine: 9**9 (387 million) leaves from only 72 alias uses.
_LAUGHS = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))

_BOMB_RUNNER = textwrap.dedent("""
    import resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (768 * 2**20, 768 * 2**20))
    from generator.build import Options, build
    from generator.config import load_config
    from generator.errors import VestkaError
    started = time.monotonic()
    try:
        build(load_config(sys.argv[1]), Options(use_cache=False))
        print("BUILT")
    except VestkaError as exc:
        print("REFUSED", time.monotonic() - started)
        for p in exc.problems:
            print("PROBLEM", p.file, p.line, p.message[:200])
    finally:
        print("RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


@pytest.mark.parametrize("where", ["lol9: *l8\n", "date: *l8\n", "lang: *l8\n", "draft: *l8\n",
                                   "updated: *l8\n", "tags: *l8\n", "summary: *l8\n"])
def test_a_billion_laughs_is_refused_quickly_without_eating_memory(tmp_path: Path, where: str) -> None:
    """Few alias uses can still expand to billions of nodes: the guard must count the expansion.

    Run in a child with a 768 MB address-space limit, so that a failure cannot take the machine down.
    """
    head = "title: Laughs\n" + ("" if where.startswith("date") else "date: 2011-01-01\n")
    site = new_site(tmp_path / "site", f"---\n{head}{_LAUGHS}{where}---\n\nbody\n".encode())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", _BOMB_RUNNER, str(site)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    elapsed = time.monotonic() - started
    assert "REFUSED" in out, f"the bomb was not refused (rc {proc.returncode}):\n{out}\n{err[-2000:]}"
    assert elapsed < 10, f"refusing the bomb took {elapsed:.1f} s"
    problems = [line for line in out.splitlines() if line.startswith("PROBLEM")]
    assert any(p.startswith(f"PROBLEM {FUZZED} ") and p.split()[2].isdigit() for p in problems), problems
    rss_kb = int(out.rsplit("RSS_KB", 1)[1])
    assert rss_kb < 512 * 1024, f"peak RSS reached {rss_kb // 1024} MB"
