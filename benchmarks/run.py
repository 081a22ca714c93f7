"""Benchmark Vestka against Hugo and Pelican on generated NGO news archives.

Run from the repository root with the project's virtual environment:

    .venv/bin/python benchmarks/run.py                          # 1k and 10k articles, all three tools
    .venv/bin/python benchmarks/run.py --sizes 1k --tools vestka --repeat 5
    .venv/bin/python benchmarks/run.py --sizes 1k,10k,100k --json results.json
    .venv/bin/python benchmarks/run.py --vestka-cmd ".venv/bin/python -m generator"

For every size the harness writes a corpus with make_corpus.py, gives each tool its own
copy, and times four scenarios, each repeated ``--repeat`` times (the table shows
medians). The tools take turns, one build each, so that a machine whose speed drifts during
the run weighs on all of them alike:

  cold   no cache and no output folder;
  no-op  build again with nothing changed;
  edit   append one sentence to the body of one existing article, then build;
  add    add one article dated after every other one of its language, so that the
         "Latest news" list on every article page of that language changes, then build.

The peak resident memory (max RSS) and CPU time of each build come from the rusage that
``os.wait4`` returns for that one child, so one build's figures never mix with another's.
The "others" column is how many cores other processes on the machine kept busy during
the builds (from /proc/stat); when it is well above zero the wall times are disturbed
and the CPU times are the better guide.
Hugo and Pelican keep nothing between runs by default, so their no-op, edit and add
figures are simply full rebuilds; ``--tools pelican-cache`` adds Pelican with its
opt-in reader cache for comparison. After the edit and add runs the harness checks the
output: the edited page must contain the new sentence, and its "Latest news" list the
added article.

The work folder defaults to a fresh temporary folder under /dev/shm (in memory) when
that exists; ``--disk`` puts it (corpora, caches and outputs) in the system's temporary
folder on disk instead, and ``--workdir DIR`` picks one (corpora there are reused).
Every build is stopped after ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The bin folder of the running interpreter's virtual environment (not resolved, so a
#: symlinked interpreter still points at the environment's own scripts).
VENV_BIN = Path(sys.executable).parent
SCENARIOS = ("cold", "noop", "edit", "add")
SCENARIO_LABELS = {"cold": "cold", "noop": "no-op", "edit": "edit", "add": "add"}
TOOL_NAMES = ("vestka", "vestka-nosearch", "hugo", "pelican", "pelican-cache")
CORPUS_TIMEOUT = 3600.0


# --- running one build ------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One timed build."""

    seconds: float
    #: User plus system CPU time of the build process and its children.
    cpu_seconds: float
    max_rss_mb: float
    exit_code: int
    timed_out: bool
    #: Cores kept busy by other processes during the build, on average (None when
    #: /proc/stat is not readable). Above ~0.1 the timing is disturbed.
    others_busy: float | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def busy_cpu_seconds() -> float | None:
    """CPU time spent outside idle by the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    # cpu user nice system idle iowait irq softirq steal ...
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_measured(argv: list[str], log: Path, timeout: float) -> Run:
    """Run `argv` to completion (or kill it after `timeout` s) and measure it.

    The child gets its own process group so that a timeout or Ctrl-C stops everything
    it started. `os.wait4` gives the rusage of exactly this child.
    """
    timed_out = threading.Event()

    busy_before = busy_cpu_seconds()
    with log.open("ab") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        kill()
        proc.wait()
        raise
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    busy_after = busy_cpu_seconds()
    # The child is reaped already; setting returncode keeps Popen from waiting again.
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    others = None
    if busy_before is not None and busy_after is not None and seconds > 0:
        others = max(0.0, (busy_after - busy_before - cpu_seconds) / seconds)
    return Run(
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        max_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        exit_code=proc.returncode,
        timed_out=timed_out.is_set(),
        others_busy=others,
    )


def log_tail(log: Path, lines: int = 6) -> str:
    """The last lines of a build log on one line, without terminal colour codes."""
    try:
        text = log.read_text("utf-8", errors="replace")
    except OSError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


# --- the tools --------------------------------------------------------------------


class Tool:
    """How to build one generator's version of a corpus."""

    name = ""
    #: Whether the tool keeps state between runs that makes rebuilds cheaper.
    incremental = False

    def __init__(self, command: list[str]) -> None:
        self.command = command

    def missing(self) -> str | None:
        """Why the tool cannot run here, or None when it can."""
        exe = self.command[0]
        if shutil.which(exe) is None:
            return f"{self.name} not available: {exe!r} not found (install it or pass --{self.name}-cmd)"
        return None

    def prepare(self, site: Path) -> None:
        """Add the tool's own configuration to a fresh copy of the corpus."""

    def argv(self, site: Path, out: Path, place: Path) -> list[str]:
        raise NotImplementedError

    def state(self, site: Path, out: Path, place: Path) -> list[Path]:
        """Everything a cold build must not find: output and caches."""
        return [out]


class Vestka(Tool):
    name = "vestka"
    incremental = True

    def argv(self, site: Path, out: Path, place: Path) -> list[str]:
        return [*self.command, "build", "--site", str(site), "--output", str(out)]

    def state(self, site: Path, out: Path, place: Path) -> list[Path]:
        return [out, site / ".vestka-cache"]


class VestkaNoSearch(Vestka):
    """Vestka with `search: false`: a labelled comparison row, never the headline (search is on by default)."""

    name = "vestka-nosearch"

    def prepare(self, site: Path) -> None:
        config = site / "config.yaml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("search: true", "search: false") if "search: true" in text
                          else text + "search: false\n", encoding="utf-8")


class Hugo(Tool):
    name = "hugo"

    def prepare(self, site: Path) -> None:
        shutil.copy2(HERE / "hugo-site" / "hugo.toml", site / "hugo.toml")
        shutil.copytree(HERE / "hugo-site" / "layouts", site / "layouts")

    def argv(self, site: Path, out: Path, place: Path) -> list[str]:
        # Absolute paths: Hugo ignores a relative --config given together with --source.
        return [
            *self.command,
            "--source",
            str(site.resolve()),
            "--config",
            str((site / "hugo.toml").resolve()),
            "--destination",
            str(out.resolve()),
            "--cacheDir",
            str((place / "hugo-cache").resolve()),
        ]

    def state(self, site: Path, out: Path, place: Path) -> list[Path]:
        return [out, place / "hugo-cache", site / "resources"]


class Pelican(Tool):
    name = "pelican"

    def missing(self) -> str | None:
        for module in ("pelican", "pelican.plugins.yaml_metadata"):
            try:
                found = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                found = False
            if not found:
                return f"{self.name} not available: Python module {module} not installed"
        return None

    def argv(self, site: Path, out: Path, place: Path) -> list[str]:
        return [*self.command, str(site), str(out)]


class PelicanCached(Pelican):
    name = "pelican-cache"
    incremental = True

    def argv(self, site: Path, out: Path, place: Path) -> list[str]:
        return [
            *super().argv(site, out, place),
            "--cache",
            str(place / "pelican-cache"),
        ]

    def state(self, site: Path, out: Path, place: Path) -> list[Path]:
        return [out, place / "pelican-cache"]


def make_tools(names: list[str], vestka_cmd: str | None, hugo_cmd: str | None) -> list[Tool]:
    def venv_or_path(script: str) -> list[str]:
        local = VENV_BIN / script
        return [str(local)] if local.exists() else [script]

    pelican = [sys.executable, str(HERE / "pelican-site" / "build.py")]
    factories = {
        "vestka": lambda: Vestka(shlex.split(vestka_cmd) if vestka_cmd else venv_or_path("vestka")),
        "vestka-nosearch": lambda: VestkaNoSearch(shlex.split(vestka_cmd) if vestka_cmd else venv_or_path("vestka")),
        "hugo": lambda: Hugo(shlex.split(hugo_cmd) if hugo_cmd else venv_or_path("hugo")),
        "pelican": lambda: Pelican(pelican),
        "pelican-cache": lambda: PelicanCached(pelican),
    }
    return [factories[name]() for name in names]


# --- corpus and the changes made to it --------------------------------------------


@dataclass(frozen=True)
class Target:
    """The existing article the edit scenario changes, and what the add scenario needs."""

    path: Path
    lang: str
    #: Year folder of the article (a path part of its page in every tool's output).
    year: str
    slug: str
    tag: str
    #: Newest date among the articles of `lang`.
    newest: datetime


def front_matter_value(front: str, key: str) -> str | None:
    match = re.search(rf"^{key}: (.+)$", front, re.MULTILINE)
    return unquote(match.group(1)) if match else None


def unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        return json.loads(value)
    return value.strip("'")


def front_matter(path: Path) -> str:
    text = path.read_text("utf-8")
    end = text.find("\n---\n", 4)
    return text[4:end] if text.startswith("---\n") and end > 0 else ""


def choose_target(site: Path) -> Target:
    """The middle article (by path) of the first language folder, and that language's newest date."""
    content = site / "content"
    lang_dir = min(p for p in content.iterdir() if p.is_dir())
    articles = sorted(lang_dir.glob("*/*.md"))
    path = articles[len(articles) // 2]
    front = front_matter(path)
    tags = re.findall(r"^  - (.+)$", front, re.MULTILINE)
    newest_year = max(p.parent for p in articles)
    dates = [front_matter_value(front_matter(p), "date") for p in sorted(newest_year.glob("*.md"))]
    newest = max(datetime.fromisoformat(d) for d in dates if d)
    return Target(
        path=path,
        lang=lang_dir.name,
        year=path.parent.name,
        slug=front_matter_value(front, "slug") or path.stem,
        tag=unquote(tags[0]) if tags else "news",
        newest=newest,
    )


def edit_article(target: Target, round_: int) -> str:
    """Append one sentence to the article body; return the sentence."""
    sentence = f"Correction {round_ + 1}: this sentence was added to measure a one-file edit."
    with target.path.open("a", encoding="utf-8") as fh:
        fh.write(f"\n{sentence}\n")
    return sentence


def add_article(site: Path, target: Target, round_: int) -> str:
    """Write a new article dated after every other one of its language; return its title."""
    when = target.newest + timedelta(hours=round_ + 1)
    title = f"Breaking news number {round_ + 1}"
    slug = f"breaking-news-{round_ + 1}"
    folder = site / "content" / target.lang / f"{when.year:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    paragraph = "The board met today and agreed on the next steps. " * 6
    text = (
        "---\n"
        f'title: "{title}"\n'
        f'slug: "{slug}"\n'
        f"date: {when.isoformat()}\n"
        f"lang: {target.lang}\n"
        'author: "Press office"\n'
        "tags:\n"
        f"  - {json.dumps(target.tag, ensure_ascii=False)}\n"
        'summary: "The board agreed on the next steps."\n'
        "---\n\n"
        f"{paragraph.strip()}\n\n## Next steps\n\n{paragraph.strip()}\n"
    )
    (folder / f"{slug}.md").write_text(text, encoding="utf-8")
    return title


def find_page(out: Path, target: Target, needle: str) -> Path | None:
    """The output page of `target`, whatever the URL scheme.

    First by name (``…/<slug>/index.html`` or ``…/<slug>.html``); failing that, the first
    HTML file, in path order and preferring paths with the article's year in them, that
    contains `needle` (a sentence only that article's page shows).
    """
    pages: list[Path] = []
    for folder, dirs, files in os.walk(out):
        dirs.sort()
        here = Path(folder)
        if here.name == target.slug and "index.html" in files:
            return here / "index.html"
        if f"{target.slug}.html" in files:
            return here / f"{target.slug}.html"
        pages += [here / name for name in sorted(files) if name.endswith(".html")]
    pages.sort(key=lambda page: target.year not in page.relative_to(out).parts)
    return next((page for page in pages if needle in page.read_text("utf-8", errors="replace")), None)


def count_files(out: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(out))


def folder_bytes(root: Path) -> int:
    return sum((Path(folder) / name).stat().st_size for folder, _, files in os.walk(root) for name in files)


def make_corpus(articles: int, seed: int, work: Path) -> Path:
    """Write the corpus once per (size, seed) in `work`; reuse it when it is already there."""
    corpus = work / f"corpus-{articles}-seed{seed}"
    if corpus.is_dir():
        return corpus
    partial = corpus.with_name(corpus.name + ".partial")
    remove(partial)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(HERE / "make_corpus.py"),
            "--articles",
            str(articles),
            "--out",
            str(partial),
            "--seed",
            str(seed),
        ],
        check=True,
        timeout=CORPUS_TIMEOUT,
    )
    partial.rename(corpus)
    say(f"corpus of {articles} articles written in {time.perf_counter() - started:.1f} s")
    return corpus


# --- benchmarking one tool on one corpus ------------------------------------------


@dataclass
class ToolResult:
    tool: str
    status: str = "ok"  # ok, not available, failed, timeout
    note: str = ""
    incremental: bool = False
    command: str = ""
    runs: dict[str, list[Run]] = field(default_factory=lambda: {s: [] for s in SCENARIOS})
    output_files: int = 0
    output_mb: float = 0.0
    checks: dict[str, bool] = field(default_factory=dict)

    def median(self, scenario: str, cpu: bool = False) -> float | None:
        """Median wall time (or CPU time) of one scenario's runs."""
        values = [run.cpu_seconds if cpu else run.seconds for run in self.runs[scenario]]
        return statistics.median(values) if values else None

    def others_busy(self) -> float | None:
        """Median number of cores that other processes used during this tool's runs."""
        values = [run.others_busy for runs in self.runs.values() for run in runs if run.others_busy is not None]
        return statistics.median(values) if values else None

    def peak_rss(self) -> float | None:
        rss = [run.max_rss_mb for run in self.runs["cold"]]
        return max(rss) if rss else None


class BuildFailed(Exception):
    pass


def bench_tool(tool: Tool, corpus: Path, place: Path, repeat: int,
               timeout: float) -> Generator[None, None, ToolResult]:
    """The builds of one tool, one at a time: it yields after each (see `interleaved`)."""
    result = ToolResult(tool.name, incremental=tool.incremental)
    reason = tool.missing()
    if reason:
        result.status, result.note = "not available", reason
        say(reason)
        return result
    remove(place)
    place.mkdir(parents=True)
    site, out, log = place / "site", place / "out", place / "build.log"
    shutil.copytree(corpus, site)
    tool.prepare(site)
    target = choose_target(site)
    notes: list[str] = []
    result.command = shlex.join(tool.argv(site, out, place))

    def build(scenario: str, round_: int) -> None:
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"\n=== {scenario} {round_ + 1}\n")
        run = run_measured(tool.argv(site, out, place), log, timeout)
        say(
            f"  {tool.name:<13} {SCENARIO_LABELS[scenario]:<6} {round_ + 1}: {run.seconds:8.2f} s"
            f"  cpu {run.cpu_seconds:7.2f} s  rss {run.max_rss_mb:7.0f} MB"
        )
        if not run.ok:
            what = f"timed out after {timeout:g} s" if run.timed_out else f"exit code {run.exit_code}"
            raise BuildFailed(f"{SCENARIO_LABELS[scenario]} build {what}: {log_tail(log)}")
        result.runs[scenario].append(run)

    try:
        for round_ in range(repeat):
            for path in tool.state(site, out, place):
                remove(path)
            build("cold", round_)
            yield
        result.output_files = count_files(out)
        result.output_mb = folder_bytes(out) / 1e6
        for round_ in range(repeat):
            build("noop", round_)
            yield
        page: Path | None = None
        sentence = ""
        for round_ in range(repeat):
            sentence = edit_article(target, round_)
            build("edit", round_)
            yield
            page = page or find_page(out, target, sentence)
        edited = page is not None and sentence in page.read_text("utf-8")
        result.checks["edited page shows the new sentence"] = edited
        if page is None:
            notes.append(f"no output page shows the sentence added to {target.path.relative_to(site)}")
        title = ""
        for round_ in range(repeat):
            title = add_article(site, target, round_)
            build("add", round_)
            yield
        listed = page is not None and title in page.read_text("utf-8")
        result.checks["old page lists the added article"] = listed
        if target.newest + timedelta(hours=repeat) > datetime.now(UTC):
            notes.append("added articles are dated in the future; a generator may skip them")
    except BuildFailed as err:
        result.status = "timeout" if "timed out" in str(err) else "failed"
        notes.append(str(err))
        say(f"  {tool.name}: {err}")
    result.note = "; ".join(notes)
    return result


def interleaved(runs: list[Generator[None, None, ToolResult]]) -> list[ToolResult]:
    """Run the tools' builds in turn, one build of each, so that a machine that slows down or
    speeds up during the run weighs on every tool alike; each tool still runs its scenarios in
    order (cold, no-op, edit, add) on its own copy of the corpus."""
    results: dict[int, ToolResult] = {}
    live = list(enumerate(runs))
    while live:
        for item in list(live):
            number, run = item
            try:
                next(run)
            except StopIteration as stop:
                results[number] = stop.value
                live.remove(item)
    return [results[number] for number in range(len(runs))]


# --- reporting --------------------------------------------------------------------


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def checks_cell(result: ToolResult) -> str:
    if result.status == "not available":
        return result.note
    if result.status != "ok":
        return result.status
    failed = [name for name, passed in result.checks.items() if not passed]
    if failed:
        return "FAIL: " + "; ".join(failed)
    return "ok" if result.checks else "—"


def table(articles: int, corpus_mb: float, results: list[ToolResult], repeat: int) -> str:
    """The printed summary for one corpus size: medians, peak memory and Vestka's ratios."""
    header = [
        "tool",
        "cold s",
        "cold cpu s",
        *(f"{SCENARIO_LABELS[s]} s" for s in SCENARIOS[1:]),
        "max RSS MB",
        "files",
        "others",
        "checks",
    ]
    measured = [r for r in results if r.status != "not available"]
    rows = [header]
    for r in results:
        rows.append(
            [
                r.tool,
                fmt(r.median("cold")),
                fmt(r.median("cold", cpu=True)),
                *(fmt(r.median(s)) for s in SCENARIOS[1:]),
                fmt(r.peak_rss(), 0),
                str(r.output_files),
                fmt(r.others_busy(), 1),
                checks_cell(r),
            ]
        )
    vestka = next((r for r in measured if r.tool == "vestka"), None)
    if vestka is not None and vestka.runs["cold"]:
        for peer in measured:
            if peer is vestka:
                continue
            rows.append(
                [
                    f"vestka/{peer.tool}",
                    ratio(vestka.median("cold"), peer.median("cold")),
                    ratio(vestka.median("cold", cpu=True), peer.median("cold", cpu=True)),
                    *(ratio(vestka.median(s), peer.median(s)) for s in SCENARIOS[1:]),
                    ratio(vestka.peak_rss(), peer.peak_rss()),
                    "",
                    "",
                    "",
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    title = f"{articles:,} articles, {corpus_mb:.1f} MB of Markdown: median seconds of {repeat} runs"
    lines = [title + ", max RSS of the cold builds"]
    for row in rows:
        cells = [
            cell.ljust(width) if i in (0, len(row) - 1) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    busy = [r.others_busy() or 0.0 for r in measured]
    if busy and max(busy) > 0.1:
        lines.append(
            f"  note: other processes kept up to {max(busy):.1f} cores busy during these builds "
            "(column 'others'); wall times are disturbed, CPU times less so"
        )
    lines += [f"  {r.tool}: {r.note}" for r in results if r.note and r.status != "not available"]
    return "\n".join(lines)


def machine() -> dict[str, object]:
    cpu = "unknown"
    mem_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        meminfo = Path("/proc/meminfo").read_text()
        total = re.search(r"MemTotal:\s+(\d+)", meminfo)
        mem_gb = int(total.group(1)) / 1024**2 if total else 0.0
    except OSError:
        pass
    versions: dict[str, str] = {}
    for dist in ("pelican", "pelican-yaml-metadata", "Markdown", "hugo", "vestka"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: write e.g. 500, 1k, 10k, 100k")
    scale = {"": 1, "k": 1000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        default="1k,10k",
        help="corpus sizes, comma-separated (default 1k,10k)",
    )
    parser.add_argument(
        "--tools",
        default="vestka,hugo,pelican",
        help=f"tools to run, comma-separated, from {','.join(TOOL_NAMES)}",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--workdir", type=Path, help="work folder (kept; corpora in it are reused)")
    parser.add_argument("--disk", action="store_true", help="work on disk instead of /dev/shm")
    parser.add_argument("--keep", action="store_true", help="keep sites, outputs and build logs")
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds allowed per build (default 1800)",
    )
    parser.add_argument(
        "--vestka-cmd",
        help="command that runs Vestka (default: the venv's vestka script)",
    )
    parser.add_argument("--hugo-cmd", help="command that runs Hugo (default: the venv's hugo script)")
    parser.add_argument("--json", type=Path, help="write every measured figure to this JSON file")
    args = parser.parse_args(argv)
    try:
        args.sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in args.tools if t not in TOOL_NAMES]
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(unknown)}; choose from {', '.join(TOOL_NAMES)}")
    if args.repeat < 1 or not args.sizes:
        parser.error("--repeat must be at least 1 and --sizes must name a size")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = make_tools(args.tools, args.vestka_cmd, args.hugo_cmd)
    if args.workdir:
        work, ours = args.workdir.resolve(), False
        work.mkdir(parents=True, exist_ok=True)
    else:
        base = None if args.disk or not os.path.isdir("/dev/shm") else "/dev/shm"
        work, ours = Path(tempfile.mkdtemp(prefix="vestka-bench-", dir=base)), True
    say(f"work folder: {work}")
    info = machine()
    sizes: list[dict[str, object]] = []
    report = {
        "machine": info,
        "settings": {
            "sizes": args.sizes,
            "tools": args.tools,
            "repeat": args.repeat,
            "seed": args.seed,
            "timeout_s": args.timeout,
            "workdir_in_memory": str(work).startswith("/dev/shm"),
        },
        "sizes": sizes,
    }
    all_ok = True
    try:
        for articles in args.sizes:
            corpus = make_corpus(articles, args.seed, work)
            corpus_mb = folder_bytes(corpus / "content") / 1e6
            places = [work / f"{articles}-{tool.name}" for tool in tools]
            results = interleaved([bench_tool(tool, corpus, place, args.repeat, args.timeout)
                                   for tool, place in zip(tools, places, strict=True)])
            if not args.keep:
                for place in places:
                    remove(place)
            print(table(articles, corpus_mb, results, args.repeat) + "\n", flush=True)
            all_ok &= all(r.status in ("ok", "not available") and all(r.checks.values()) for r in results)
            sizes.append(
                {
                    "articles": articles,
                    "corpus_mb": round(corpus_mb, 2),
                    "tools": [
                        asdict(r)
                        | {
                            "medians_s": {s: r.median(s) for s in SCENARIOS},
                            "peak_rss_mb": r.peak_rss(),
                        }
                        for r in results
                    ],
                }
            )
            if args.json:
                args.json.write_text(
                    json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8",
                )
    finally:
        if ours and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB RAM, "
        f"Python {info['python']}, {info['system']}"
    )
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
