"""Save-to-browser latency of a live preview: from writing an article to the new text in an open tab.

Run from the repository root, with the project's virtual environment and Debian's Chromium:

    .venv/bin/python benchmarks/serve_latency.py                   # 1k and 10k articles, 10 saves each
    .venv/bin/python benchmarks/serve_latency.py --sizes 1k --saves 5
    .venv/bin/python benchmarks/serve_latency.py --workdir /tmp/lat --json latency.json
    .venv/bin/python benchmarks/serve_latency.py --tools vestka    # the default configuration only

For each size it writes a corpus with `make_corpus.py --seed 1` (reused when the work folder
already has it) and gives each tool its own copy of it:
- `vestka`: `vestka serve` with the corpus's configuration, the default one (search on);
- `vestka-nosearch`: the same with `search: false`, a labelled comparison row;
- `hugo`: `hugo server` on the Hugo twin (benchmarks/hugo-site, the same pages and URLs).
Each server runs on a free port of 127.0.0.1. The newest English article is opened in headless
Chromium, and once the live-reload socket is up, `--saves` times: append a paragraph with a
fresh token to that article's file, and time until the token is in the page without any manual
reload. The figure is the median; the server's own rebuild times are shown too.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from run import make_tools  # noqa: E402  (benchmarks/run.py, beside this file)

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JS_CONNECTED = ("() => window.LiveReload && window.LiveReload.connector"
                " && window.LiveReload.connector._isSocketConnected()")


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


TOOLS = ("vestka", "vestka-nosearch", "hugo")


def make_corpus(articles: int, folder: Path) -> None:
    if (folder / "config.yaml").is_file():
        return
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), "--articles", str(articles),
                    "--out", str(folder), "--seed", "1"], check=True, stdout=subprocess.DEVNULL)


def newest_article(site: Path) -> tuple[Path, str]:
    """The newest English article's file and URL path, read the way the build reads it."""
    from zoneinfo import ZoneInfo

    from generator import sources
    from generator.config import load_config
    from generator.read import read_source

    config = load_config(site)
    found = sources.discover(config.content_dir, config.ignore)
    best = None
    for source in found.pages:
        if not source.rel_path.startswith("en/"):
            continue
        page, _ = read_source(source, config, f"content/{source.rel_path}", ZoneInfo(config.timezone))
        if page is not None and not page.draft and (best is None or page.date > best[0].date):
            best = (page, source)
    assert best is not None, "the corpus has no English article"
    return best[1].path, best[0].url_path


class Server:
    """A preview server in a child process, with its output collected by a thread."""

    def __init__(self, argv: list[str], ready: str, timeout: float) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        self.url = ""
        while not self.url:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{argv[0]} did not start:\n" + "".join(self.lines[-20:]))
            for line in list(self.lines):
                match = re.search(ready, line)
                if match:  # Hugo says "//localhost:PORT/" for a server bound to 127.0.0.1
                    self.url = re.sub(r"^(?:http:)?//localhost:", "http://127.0.0.1:", match.group(1))
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def rebuild_times(self) -> list[float]:
        """Each rebuild's time as the server reports it (Vestka: "rebuilt in 1.2 s", or "updated in 0.04 s"
        for a quick update; Hugo: "Total in 345 ms")."""
        vestka = [float(m.group(1)) for line in self.lines
                  if (m := re.search(r"(?:rebuilt|updated) in ([\d.]+) s", line))]
        hugo = [int(m.group(1)) / 1000 for line in self.lines if (m := re.search(r"Total in (\d+) ms", line))]
        return vestka + hugo  # Hugo says "Built in" for its first build

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def prepare(tool: str, corpus: Path, work: Path) -> Path:
    """The tool's own copy of the corpus, made once."""
    site = work / f"{corpus.name}-{tool}"
    if site.exists():
        shutil.rmtree(site)
    shutil.copytree(corpus, site, ignore=shutil.ignore_patterns(".vestka-cache", "output"))
    make_tools([tool], None, None)[0].prepare(site)  # the same set-up as the build benchmark's
    return site


def server_argv(tool: str, site: Path) -> tuple[list[str], str]:
    """The command that serves `site` on a free port of 127.0.0.1, and how its ready line reads."""
    if tool == "hugo":
        hugo = Path(sys.executable).parent / "hugo"
        # Absolute paths: Hugo ignores a relative --config given together with --source.
        return ([str(hugo) if hugo.exists() else "hugo", "server", "--source", str(site), "--config",
                 str(site / "hugo.toml"), "--bind", "127.0.0.1", "--port", str(free_port()),
                 "--cacheDir", str(site.parent / f"{site.name}-cache")],
                r"Web Server is available at (\S+/)")
    return [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0"], r"Serving (http://\S+/)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure(tool: str, site: Path, saves: int, start_timeout: float, save_timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    site = site.resolve()
    source, url_path = newest_article(site)
    original = source.read_text(encoding="utf-8")
    started = time.perf_counter()
    server = Server(*server_argv(tool, site), start_timeout)
    first_build = time.perf_counter() - started
    latencies = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROME_ARGS)
            page = browser.new_page()
            page.goto(server.url.rstrip("/") + url_path)
            for n in range(saves):
                page.wait_for_function(JS_CONNECTED, timeout=30_000)
                time.sleep(0.5)  # editors do not save twice in a blink; keeps the runs independent
                token = f"latency-probe-{n}-{time.time_ns()}"
                text = source.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{token}\n"
                t0 = time.perf_counter()
                source.write_text(text, encoding="utf-8")
                page.wait_for_function(f"() => document.body && document.body.innerText.includes({token!r})",
                                       timeout=save_timeout * 1000, polling=10)
                latencies.append(time.perf_counter() - t0)
            browser.close()
    except Exception:
        print("server output (end):\n" + "".join(server.lines[-30:]), file=sys.stderr)
        raise
    finally:
        server.stop()
        source.write_text(original, encoding="utf-8")
    return {"tool": tool, "article": str(source.relative_to(site)), "url": url_path, "first_build_s": round(first_build, 2),
            "latencies_s": [round(x, 3) for x in latencies], "median_s": round(statistics.median(latencies), 3),
            "server_rebuild_s": server.rebuild_times()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,10k", help="corpus sizes in articles (default 1k,10k)")
    parser.add_argument("--saves", type=int, default=10, help="saves timed per size (default 10)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"servers to measure, in this order (default {','.join(TOOLS)})")
    parser.add_argument("--workdir", type=Path, help="where corpora go (kept); default a temporary folder")
    parser.add_argument("--start-timeout", type=float, default=1800, help="seconds allowed for the first build")
    parser.add_argument("--save-timeout", type=float, default=600, help="seconds allowed for one save to show")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="vestka-serve-latency-"))
    work.mkdir(parents=True, exist_ok=True)
    tools = args.tools.split(",")
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tool {', '.join(unknown)}: choose among {', '.join(TOOLS)}")
    results: dict[str, dict[str, dict]] = {}
    try:
        for size in args.sizes.split(","):
            articles = parse_size(size)
            corpus = work / f"corpus-{articles}"
            make_corpus(articles, corpus)
            for tool in tools:
                result = measure(tool, prepare(tool, corpus, work), args.saves, args.start_timeout,
                                 args.save_timeout)
                results.setdefault(size, {})[tool] = result
                print(f"{size:>5} articles, {tool:<15}: median {result['median_s']:.2f} s over "
                      f"{len(result['latencies_s'])} saves (min {min(result['latencies_s']):.2f}, "
                      f"max {max(result['latencies_s']):.2f}); first build {result['first_build_s']:.1f} s; "
                      f"server rebuilds {result['server_rebuild_s']}", flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
