"""Save-to-browser latency of `vestka serve`: from writing an article to the new text in an open tab.

Run from the repository root, with the project's virtual environment and Debian's Chromium:

    .venv/bin/python benchmarks/serve_latency.py                   # 1k and 10k articles, 10 saves each
    .venv/bin/python benchmarks/serve_latency.py --sizes 1k --saves 5
    .venv/bin/python benchmarks/serve_latency.py --workdir /tmp/lat --json latency.json

For each size it writes a corpus with `make_corpus.py --seed 1` (reused when the work folder
already has it), starts `vestka serve` on a free port, opens the newest English article in
headless Chromium and waits for the live-reload socket. Then, `--saves` times: append a
paragraph with a fresh token to that article's file, and time until the token is in the page
without any manual reload. The figure is the median; the server's own rebuild times are shown too.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JS_CONNECTED = ("() => window.LiveReload && window.LiveReload.connector"
                " && window.LiveReload.connector._isSocketConnected()")


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


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
    """`vestka serve --port 0` in a child process, with its output collected by a thread."""

    def __init__(self, site: Path, timeout: float) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0"],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        self.url = ""
        while not self.url:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("the server did not start:\n" + "".join(self.lines[-20:]))
            for line in list(self.lines):
                match = re.search(r"Serving (http://\S+/)", line)
                if match:
                    self.url = match.group(1)
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def rebuild_times(self) -> list[float]:
        return [float(m.group(1)) for line in self.lines if (m := re.search(r"rebuilt in ([\d.]+) s", line))]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def measure(site: Path, saves: int, start_timeout: float, save_timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    site = site.resolve()
    source, url_path = newest_article(site)
    original = source.read_text(encoding="utf-8")
    started = time.perf_counter()
    server = Server(site, start_timeout)
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
    return {"article": str(source.relative_to(site)), "url": url_path, "first_build_s": round(first_build, 2),
            "latencies_s": [round(x, 3) for x in latencies], "median_s": round(statistics.median(latencies), 3),
            "server_rebuild_s": server.rebuild_times()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,10k", help="corpus sizes in articles (default 1k,10k)")
    parser.add_argument("--saves", type=int, default=10, help="saves timed per size (default 10)")
    parser.add_argument("--workdir", type=Path, help="where corpora go (kept); default a temporary folder")
    parser.add_argument("--start-timeout", type=float, default=1800, help="seconds allowed for the first build")
    parser.add_argument("--save-timeout", type=float, default=600, help="seconds allowed for one save to show")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="vestka-serve-latency-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        for size in args.sizes.split(","):
            articles = parse_size(size)
            site = work / f"corpus-{articles}"
            make_corpus(articles, site)
            result = measure(site, args.saves, args.start_timeout, args.save_timeout)
            results[size] = result
            print(f"{size:>5} articles: median {result['median_s']:.2f} s over {len(result['latencies_s'])} saves "
                  f"(min {min(result['latencies_s']):.2f}, max {max(result['latencies_s']):.2f}); "
                  f"first build {result['first_build_s']:.1f} s; server rebuilds {result['server_rebuild_s']}",
                  flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
