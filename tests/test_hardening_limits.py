"""Huge inputs are refused by a configured limit or handled, never by running out of memory.

Each build runs in a separate process whose peak resident memory is read from the kernel,
with an address-space cap so that a failure cannot take the machine down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASIC_CONFIG, article

REPO = Path(__file__).resolve().parents[1]
#: Address-space cap of the child: far above a healthy build, far below the machine.
CAP_MB = 2048


def build_measured(site: Path, timeout: float) -> tuple[int, str, str, int, float]:
    """Run `vestka build` on `site`; return (exit code, stdout, stderr, peak RSS in MB, seconds).

    The build runs as the grandchild of this process, started by a small launcher: a child
    forked straight from the test process would inherit its peak memory (the kernel keeps the
    high-water mark across exec), and the test process holds the huge file's text.
    """
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({CAP_MB} << 20, {CAP_MB} << 20))"
    build = f"{limit}\nimport sys\nfrom generator.cli import main\nsys.exit(main(['build', '--site', sys.argv[1]]))"
    launcher = ("import resource, subprocess, sys\n"
                "code = subprocess.call([sys.executable, '-c', sys.argv[1], sys.argv[2]])\n"
                "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
                "open(sys.argv[3], 'w').write(f'{code} {peak}')\n")
    out_path, err_path = site.parent / "stdout.txt", site.parent / "stderr.txt"
    result_path = site.parent / "measured.txt"
    started = time.monotonic()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-c", launcher, build, str(site), str(result_path)], stdout=out,
                                stderr=err, env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"the build ran for more than {timeout} s")
    elapsed = time.monotonic() - started
    code, peak = result_path.read_text().split()
    return (int(code), out_path.read_text(), err_path.read_text(), int(peak) // 1024, elapsed)


def fifty_mb_markdown() -> str:
    paragraph = ("Lorem ipsum dolor sit amet, *consectetur* adipiscing elit, with a [link](/en/) and "
                 "`code` in it; sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n\n")
    return article("Fifty megabytes", "2011-03-14", "") + paragraph * (50 * 2**20 // len(paragraph) + 1)


def test_a_50_mb_file_is_refused_by_the_default_limit_without_reading_it(tmp_path: Path, make_site) -> None:
    site = make_site({"content/en/2011/small.md": article("Small", "2011-03-14")})
    (site / "content/en/2011/huge.md").write_text(fifty_mb_markdown(), encoding="utf-8")
    code, out, err, rss, seconds = build_measured(site, timeout=60)
    assert code == 1, err
    assert "content/en/2011/huge.md" in err and "max_file_size_mb" in err, err
    assert "internal error" not in err and "Traceback" not in err
    assert rss < 200, f"refusing a file by its size took {rss} MB"
    assert seconds < 30


def test_a_file_just_over_a_configured_limit_is_refused_with_the_limit_named(tmp_path: Path, make_site) -> None:
    site = make_site({"config.yaml": BASIC_CONFIG + "max_file_size_mb: 1\n",
                      "content/en/2011/big.md": article("Big", "2011-03-14", "x " * 600_000)})
    code, out, err, rss, seconds = build_measured(site, timeout=60)
    assert code == 1, err
    assert "content/en/2011/big.md" in err and "1 MB" in err, err


@pytest.mark.slow
def test_a_file_under_a_raised_limit_is_handled_within_memory(tmp_path: Path, make_site) -> None:
    """With the limit raised, an 8 MB article builds in bounded memory and time.

    (50 MB under a raised limit takes Python-Markdown about 7 minutes: too long for the suite; the
    default limit refuses it, see above.)
    """
    site = make_site({"config.yaml": BASIC_CONFIG + "max_file_size_mb: 64\n",
                      "content/en/2011/small.md": article("Small", "2011-03-14")})
    (site / "content/en/2011/huge.md").write_text(fifty_mb_markdown()[: 8 * 2**20], encoding="utf-8")
    code, out, err, rss, seconds = build_measured(site, timeout=300)
    assert "MemoryError" not in err and "internal error" not in err and "Traceback" not in err, err[-3000:]
    assert code == 0, err[-3000:]
    assert (site / "output/en/2011/03/huge/index.html").stat().st_size > 6 * 2**20
    assert rss < 800, f"peak RSS {rss} MB for an 8 MB file"


def test_a_100000_tag_article_is_refused_quickly_in_bounded_memory(tmp_path: Path, make_site) -> None:
    tags = "".join(f"  - tag number {i}\n" for i in range(100_000))
    text = f"---\ntitle: Many tags\ndate: 2011-03-14\ntags:\n{tags}---\n\nBody.\n"
    site = make_site({"content/en/2011/tags.md": text, "content/en/2011/ok.md": article("OK", "2011-03-15")})
    code, out, err, rss, seconds = build_measured(site, timeout=120)
    assert code == 1, err[-2000:]
    assert "content/en/2011/tags.md:4" in err and "100000 tags" in err, err[-2000:]
    assert rss < 400, f"peak RSS {rss} MB"
    assert seconds < 30


def test_many_distinct_tags_across_articles_build_in_bounded_memory(tmp_path: Path, make_site) -> None:
    """Two articles with 1,000 tags each (the per-article maximum) among 100: 2,000 tag pages."""
    files = {}
    for n in range(100):
        files[f"content/en/2011/a{n}.md"] = article(f"A{n}", f"2011-03-{1 + n % 28:02d}",
                                                    tags=[f"t{n}-{i}" for i in range(1000)] if n < 2 else ["x"])
    site = make_site(files)
    code, out, err, rss, seconds = build_measured(site, timeout=300)
    assert code == 0, err[-2000:]
    assert rss < 1000, f"peak RSS {rss} MB"


def test_a_gigantic_single_line_is_handled(tmp_path: Path, make_site) -> None:
    site = make_site({"content/en/2011/line.md": article("Line", "2011-03-14", "word" * 2_500_000)})
    code, out, err, rss, seconds = build_measured(site, timeout=120)
    assert code == 0, err[-2000:]
    assert rss < 800, f"peak RSS {rss} MB for a 10 MB line"
