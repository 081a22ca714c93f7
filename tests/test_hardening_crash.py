"""A build killed at any moment loses nothing; a damaged cache is never trusted.

The slow test kills `vestka build` with SIGKILL at random moments 20 times. After each kill
output/ must be exactly a complete build (the previous one, or the new one if the kill came
after the swap); the next build must succeed on its own and leave no staging folder, no
half-swapped folder, no temporary cache file and no orphaned worker process behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG, article

from generator.build import Options, build
from generator.config import load_config

REPO = Path(__file__).resolve().parents[1]
VESTKA = [sys.executable, "-m", "generator"]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def tree_state(folder: Path) -> dict[str, str]:
    """Every file below `folder` with its SHA-256 (mtimes may differ between equal builds)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def digest(state: dict[str, str]) -> str:
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()[:16]


def leftovers(site: Path) -> list[str]:
    """What a finished build must not leave beside output/ or in the cache folder."""
    found = [p.name for p in site.iterdir() if p.name.startswith((".vestka-staging-", ".vestka-old-"))]
    cache = site / ".vestka-cache"
    if cache.is_dir():
        found += [f".vestka-cache/{p.name}" for p in cache.iterdir() if p.name.endswith(".tmp")]
        found += [p.relative_to(site).as_posix() for p in cache.glob("builds/*/*")
                  if p.name.startswith(("staging-", "old-")) or p.name.endswith(".tmp")]
    return sorted(found)


def write_site(root: Path, articles: int, version: int) -> Path:
    files = {"config.yaml": BASIC_CONFIG}
    for i in range(articles):
        body = "\n\n".join(f"Paragraph {j} of story {i}, version {version}, about *rights* and [law](/en/)."
                           for j in range(12))
        files[f"content/en/{2000 + i % 12}/story-{i}.md"] = article(
            f"Story {i} v{version}", f"{2000 + i % 12}-{1 + i % 12:02d}-{1 + i % 28:02d}", body,
            tags=[f"tag{i % 15}", f"topic{i % 7}"], authors=[f"Author {i % 9}"])
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def run_build(site: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VESTKA, "build", "--site", str(site)], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def group_is_gone(pgid: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_killing_builds_at_random_moments_never_loses_the_site(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", articles=100, version=0)
    started = time.monotonic()
    first = run_build(site)
    full_time = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    previous = tree_state(site / "output")
    rng = random.Random(20111219)
    outcomes = []
    for round_number in range(1, 21):
        # Change a share of the articles, so the new build differs from the one on disk.
        write_site(site, articles=100 if round_number % 2 else 80, version=round_number)
        if round_number % 2 == 0:
            for extra in (site / "content/en").rglob("story-[89]?.md"):
                extra.unlink()
        proc = subprocess.Popen([*VESTKA, "build", "--site", str(site)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
        time.sleep(rng.uniform(0.05, max(0.2, full_time * 1.1)))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the build and any worker it started
        proc.wait(timeout=30)
        orphans_gone = group_is_gone(proc.pid, 5)
        if not orphans_gone:
            os.killpg(proc.pid, signal.SIGKILL)
        assert orphans_gone, f"round {round_number}: processes of the killed build outlived it"

        output = site / "output"
        assert output.is_dir() or any(site.glob(".vestka-cache/builds/*/old-*")), (
            f"round {round_number}: output/ vanished")
        killed_state = tree_state(output) if output.is_dir() else None

        after = run_build(site)
        assert after.returncode == 0, f"round {round_number}: the build after a kill failed:\n{after.stderr}"
        assert "Traceback" not in after.stderr and "internal error" not in after.stderr, after.stderr
        assert leftovers(site) == [], f"round {round_number}"
        complete = tree_state(site / "output")
        if killed_state is None:
            outcomes.append("restored")
        else:
            assert killed_state in (previous, complete), (
                f"round {round_number}: output/ after the kill is neither the previous build "
                f"({digest(previous)}) nor the new one ({digest(complete)}), but {digest(killed_state)}")
            outcomes.append("old" if killed_state == previous else "new")
        previous = complete
        assert (site / "output/en/index.html").is_file()
    assert "old" in outcomes, f"no kill landed before the swap: {outcomes}"


def test_leftovers_of_a_killed_build_are_cleaned_by_the_next_one(tmp_path: Path, make_site) -> None:
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    state = next((site / ".vestka-cache" / "builds").iterdir())
    for name in (".vestka-staging-output-999999", ".vestka-old-output-999998",  # an older Vestka's names
                 f"{state.relative_to(site)}/staging-999997", f"{state.relative_to(site)}/old-999996"):
        (site / name / "en").mkdir(parents=True)
        (site / name / "en" / "half.html").write_text("half")
    (site / ".vestka-cache" / "pages-00.bin.999999.tmp").write_bytes(b"half a cache")
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert leftovers(site) == []
    assert not (site / "output/en/half.html").exists()


def test_a_swap_cut_between_its_two_renames_is_repaired(tmp_path: Path, make_site) -> None:
    """Without renameat2 the swap is two renames; a kill between them leaves no output/ at all."""
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    good = tree_state(site / "output")
    state = next((site / ".vestka-cache" / "builds").iterdir())
    os.rename(site / "output", state / "old-424242")
    (state / "staging-424242").mkdir()
    (state / "staging-424242" / "partial.html").write_text("partial")
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert tree_state(site / "output") == good
    assert leftovers(site) == []


def test_a_swap_of_an_older_vestka_cut_between_its_two_renames_is_repaired(tmp_path: Path, make_site) -> None:
    """Its folders were beside output/."""
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14")})
    build(load_config(site), Options())
    good = tree_state(site / "output")
    os.rename(site / "output", site / ".vestka-old-output-424242")
    (site / ".vestka-staging-output-424242").mkdir()
    (site / ".vestka-staging-output-424242" / "partial.html").write_text("partial")
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert tree_state(site / "output") == good
    assert leftovers(site) == []


# --- the cache --------------------------------------------------------------------------------

def _cache_files(site: Path) -> list[Path]:
    return sorted(p for p in (site / ".vestka-cache").iterdir() if p.is_file())


def _corruptions(blob: bytes) -> dict[str, bytes]:
    middle = len(blob) // 2
    return {"flipped byte": blob[:middle] + bytes([blob[middle] ^ 0x55]) + blob[middle + 1:],
            "truncated": blob[: len(blob) // 3], "empty": b"", "garbage": os.urandom(4096),
            "other magic": b"PK\x03\x04" + blob[4:], "only header": blob[:20]}


@pytest.mark.parametrize("kind", ["flipped byte", "truncated", "empty", "garbage", "other magic", "only header"])
def test_a_corrupted_cache_is_detected_and_ignored(tmp_path: Path, make_site, kind: str) -> None:
    site = make_site({"content/en/2011/a.md": article("Original title", "2011-03-14")})
    build(load_config(site), Options())
    reference = tree_state(site / "output")
    assert list((site / ".vestka-cache").glob("pages-*.bin"))
    for path in _cache_files(site):
        path.write_bytes(_corruptions(path.read_bytes())[kind])
    (site / "output/en/2011/03/a/index.html").unlink()  # force the build to produce the page again
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert tree_state(site / "output") == reference
    from generator.incremental.page_cache import PageCache

    again = PageCache.open(load_config(site))
    assert again.rejected == "", f"the cache was not rewritten after being found damaged: {again.rejected}"


def test_a_cache_entry_tampered_with_behind_its_checksum_is_not_trusted(tmp_path: Path, make_site) -> None:
    """A cache whose payload changed but whose stored checksum did not is rejected."""
    site = make_site({"content/en/2011/a.md": article("Original title", "2011-03-14")})
    build(load_config(site), Options())
    from generator.incremental.page_cache import _shard

    path = site / f".vestka-cache/pages-{_shard('content/en/2011/a.md'):02d}.bin"
    blob = path.read_bytes()
    head = blob.index(b"\n") + 1
    data = pickle.loads(blob[head + 64:])
    rel, (size, mtime, page, *rest) = next(iter(data["pages"].items()))
    import dataclasses

    data["pages"][rel] = (size, mtime, dataclasses.replace(page, title="FORGED TITLE"), *rest)
    path.write_bytes(blob[: head + 64] + pickle.dumps(data))
    (site / "output/en/2011/03/a/index.html").unlink()
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    html = (site / "output/en/2011/03/a/index.html").read_text(encoding="utf-8")
    assert "FORGED TITLE" not in html and "Original title" in html


def test_a_file_rewritten_within_one_timestamp_tick_is_read_again(tmp_path: Path, make_site) -> None:
    """Same size, same mtime, other bytes (an import rewriting files quickly): never a stale page."""
    site = make_site({"content/en/2011/a.md": article("Title AAAA", "2011-03-14")})
    source = site / "content/en/2011/a.md"
    build(load_config(site), Options())
    stat = source.stat()
    source.write_text(article("Title BBBB", "2011-03-14"), encoding="utf-8")
    assert source.stat().st_size == stat.st_size
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    build(load_config(site), Options())
    html = (site / "output/en/2011/03/a/index.html").read_text(encoding="utf-8")
    assert "Title BBBB" in html, "the cache served the page of the file's previous contents"


def test_a_cache_folder_that_is_a_file_does_not_break_the_build(tmp_path: Path, make_site) -> None:
    """The cache is only a speed-up: the build succeeds without it, and the stray file is kept as it is."""
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"), ".vestka-cache": b"not a folder"})
    result = run_build(site)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (site / "output/en/2011/03/a/index.html").is_file()
    assert (site / ".vestka-cache").read_bytes() == b"not a folder"


@pytest.mark.parametrize("builds_before", [1, 3])
def test_output_files_deleted_by_hand_come_back(tmp_path: Path, make_site, builds_before: int) -> None:
    """Whether or not the build before last is kept beside output/, every page deleted from
    output/ is there again after the next build, with the bytes a clean build gives it."""
    site = make_site({"content/en/2011/a.md": article("A", "2011-03-14"),
                      "content/en/2012/b.md": article("B", "2012-05-01")})
    for number in range(builds_before):
        (site / "content/en/2012/b.md").write_text(article(f"B {number}", "2012-05-01"), encoding="utf-8")
        for path in (site / "content").rglob("*.md"):  # old enough for the "nothing changed" check
            os.utime(path, ns=(time.time_ns() - 60 * 10**9,) * 2)
        build(load_config(site), Options())
    reference = tree_state(site / "output")
    for rel in ("en/2011/03/a/index.html", "en/index.html", "en/feed.xml", "sitemap.xml"):
        (site / "output" / rel).unlink()
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert tree_state(site / "output") == reference
