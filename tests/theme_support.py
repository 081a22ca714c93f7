"""Helpers shared by the default theme's end-to-end tests: build the sample site, run Chromium,
serve a folder on loopback, and list the links of a page.

Kept out of conftest.py so that only the theme tests pay for Playwright's import.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Where `npm ci --prefix tools` (tools/install-test-deps.sh) puts the browser-test helpers.
NODE_MODULES = REPO / "tools" / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run tools/install-test-deps.sh (or `make test`, which runs it)"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LANGUAGES = ("en", "ru", "be")


def build_sample(output: Path) -> Path:
    """Build the repository's sample site into `output` with the installed `vestka` command."""
    vestka = Path(sys.executable).with_name("vestka")
    command = [str(vestka), "build", "--site", str(REPO), "--output", str(output), "--no-cache"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"sample build failed:\n{done.stdout}\n{done.stderr}"
    assert (output / "index.html").is_file()
    return output


def require_program(name: str, package: str) -> str:
    """The path of program `name` on PATH; a missing program fails the test, naming it (never a skip)."""
    found = shutil.which(name)
    if found is None:
        import pytest

        pytest.fail(f"'{name}' is needed by this test and is not on PATH: install the Debian package "
                    f"'{package}', or {INSTALL_HINT}", pytrace=False)
    return found


def require_file(path: Path, what: str) -> Path:
    """`path` when it exists; otherwise fail the test, naming the missing helper."""
    if not path.is_file():
        import pytest

        pytest.fail(f"{what} is missing ({path.relative_to(REPO)}): {INSTALL_HINT}", pytrace=False)
    return path


def chromium_path() -> str:
    return require_program("chromium", "chromium")


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium (Playwright), closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROME_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@contextmanager
def serve_under(folder: Path, prefix: str) -> Iterator[str]:
    """Serve `folder` at http://127.0.0.1:PORT{prefix} (and nothing else); yields that URL.

    `prefix` is mounted by serving a parent folder that holds only a link to `folder`, so the
    server is the standard library's, unchanged.
    """
    assert prefix.startswith("/") and prefix.endswith("/")
    root = folder.parent / ".serve-root"
    mount = root / prefix.strip("/")
    mount.parent.mkdir(parents=True, exist_ok=True)
    if not mount.exists():
        mount.symlink_to(folder, target_is_directory=True)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


_LINK = re.compile(r'\s(href|src|action|srcset|poster|data)\s*=\s*"([^"]*)"', re.IGNORECASE)


def links_in(html: str) -> list[tuple[str, str]]:
    """(attribute, value) of every link-like attribute in `html`, entities left as written."""
    return [(m.group(1).lower(), m.group(2)) for m in _LINK.finditer(html)]


def run_axe(page: object) -> list[dict[str, object]]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on the loaded page."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag',
                  values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
