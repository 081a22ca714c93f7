"""`vestka serve` without a browser: change classification, request mapping, and a real server.

The HTTP tests start the real command in a child process on 127.0.0.1 and talk to it with
http.client, which sends paths exactly as written (no normalisation of "..").
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, article, ctrl_c_as_in_a_terminal

from generator import watch
from generator.serve import decorate, display_url, host_warning, is_loopback, locate

SITE_CONFIG = """\
title: Serve test
base_url: https://example.org/
timezone: UTC
languages:
  - {code: en, name: English}
latest_news: 3
search: false
"""


# --- a real server in a child process -------------------------------------------------------


class Running:
    """`vestka serve` started the way a user starts it; output collected by a reader thread."""

    def __init__(self, site: Path, *args: str, cwd: Path, timeout: float = 60) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--site", str(site), *args],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)}, preexec_fn=ctrl_c_as_in_a_terminal)
        threading.Thread(target=self._read, daemon=True).start()
        match = self.wait_for(r"Serving (http://\S+/)", timeout)
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 30, after: int = 0) -> re.Match[str]:
        """The first match of `pattern` in output lines from index `after` on; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                found = re.search(pattern, line)
                if found:
                    return found
            if self.proc.poll() is not None and not any(re.search(pattern, x) for x in self.lines[after:]):
                time.sleep(0.2)  # let the reader catch the last lines
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the server output within {timeout} s:\n{self.output}")

    def get(self, path: str, host: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
            if host is not None:
                conn.putheader("Host", host)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError("the server ignored Ctrl+C for 20 s:\n" + self.output) from None
        return self.proc.returncode


def write_site(root: Path, files: dict[str, str]) -> Path:
    for rel, text in {"config.yaml": SITE_CONFIG, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def wait_until(check, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout} s")


def listening_address(port: int) -> str | None:
    """The local address a TCP socket listens on, from /proc/net/tcp (Linux)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                if len(address) == 8:
                    return socket.inet_ntoa(bytes.fromhex(address)[::-1])
                return address
    return None


# --- pure parts -----------------------------------------------------------------------------


def roots_for(site: Path) -> watch.Roots:
    return watch.Roots(site, site / "themes" / "default")


@pytest.mark.parametrize(("rel", "kind"), [
    ("config.yaml", watch.Kind.CONFIG),
    ("content/en/2020/a.md", watch.Kind.CONTENT),
    ("content/en/2020/photo.jpg", watch.Kind.CONTENT),
    ("static/logo.svg", watch.Kind.STATIC),
    ("i18n/en.yaml", watch.Kind.STRINGS),
    ("themes/default/templates/base.html", watch.Kind.TEMPLATE),
    ("themes/mine/static/site.css", watch.Kind.STATIC),
    ("themes/mine/i18n/be.yaml", watch.Kind.STRINGS),
    ("themes/mine/theme.yaml", watch.Kind.OTHER),
    ("content/en/.a.md.swp", None),
    ("content/en/a.md~", None),
    ("content/.git/index", None),
    ("content/en/#a.md#", None),
    ("output/index.html", None),
    ("README.md", None),
])
def test_kind_of_classifies_every_watched_file(rel: str, kind: watch.Kind | None) -> None:
    assert watch.kind_of(rel) == kind


def test_kind_of_drops_files_the_site_ignores() -> None:
    assert watch.kind_of("content/notes/todo.md", ("notes/*",)) is None
    assert watch.kind_of("content/en/todo.md", ("notes/*",)) is watch.Kind.CONTENT


def site_then_edits(tmp_path: Path) -> tuple[Path, watch.Roots, watch.Snapshot]:
    """A small site, its snapshot, then an edit, a deletion, a new file and an editor's junk file."""
    site = write_site(tmp_path / "site", {"content/en/a.md": "a", "content/en/b.md": "b", "static/x.css": "x"})
    roots = roots_for(site)
    before = watch.scan(roots)
    (site / "content/en/a.md").write_text("a changed, and longer")
    (site / "content/en/b.md").unlink()
    (site / "content/en/c.md").write_text("c")
    (site / "content/en/.c.md.swp").write_text("editor junk")
    return site, roots, before


def test_snapshot_diff_reports_added_changed_and_removed_files_in_one_batch(tmp_path: Path) -> None:
    site, roots, before = site_then_edits(tmp_path)
    after = watch.scan(roots)
    batch = watch.classify(watch.changed_files(before, after), roots)
    assert batch.paths == ("content/en/a.md", "content/en/b.md", "content/en/c.md")
    assert not batch.config_changed
    assert batch.describe() == "3 files changed (content/en/a.md, content/en/b.md, content/en/c.md)"


def test_restamping_the_reported_files_gives_the_snapshot_a_full_scan_gives(tmp_path: Path) -> None:
    site, roots, before = site_then_edits(tmp_path)
    (site / "config.yaml").write_text("title: changed")
    reported = [site / "content/en" / name for name in ("a.md", "b.md", "c.md", ".c.md.swp")] + [site / "config.yaml"]
    changed = watch.restamp(before, reported, roots)
    assert before == watch.scan(roots)
    assert changed == sorted([site / "config.yaml", *(site / "content/en" / name for name in ("a.md", "b.md", "c.md"))])
    assert watch.restamp(before, reported, roots) == []
    # A new folder may hold files nobody reported; a file outside the watched folders is no hint.
    (site / "content/ru").mkdir()
    (site / "content/ru/d.md").write_text("d")
    kept = dict(before)
    assert watch.restamp(before, [site / "content/ru"], roots) is None
    assert watch.restamp(before, [site / "content/en/a.md", site / "output/index.html"], roots) is None
    assert before == kept


def test_snapshot_sees_a_save_by_rename_with_same_size_and_time(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/a.md": "aaaa"})
    roots = roots_for(site)
    target = site / "content/en/a.md"
    before = watch.scan(roots)
    stat = target.stat()
    replacement = site / "content/en/.a.md.new"
    replacement.write_text("bbbb")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, target)
    assert watch.changed_files(before, watch.scan(roots)) == [target]


def test_config_change_asks_for_a_config_reload(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {})
    batch = watch.classify([site / "config.yaml", site / "output" / "index.html"], roots_for(site))
    assert batch.paths == ("config.yaml",)
    assert batch.config_changed
    assert batch.merged(watch.Batch()).paths == ("config.yaml",)


def test_scan_survives_a_symlink_loop(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/a.md": "a"})
    (site / "content" / "en" / "loop").symlink_to(site / "content")
    snapshot = watch.scan(roots_for(site))
    assert site / "content/en/a.md" in snapshot


def test_locate_refuses_paths_outside_the_preview(tmp_path: Path) -> None:
    root = tmp_path / "preview"
    (root / "en").mkdir(parents=True)
    (root / "index.html").write_text("home")
    (root / "en" / "index.html").write_text("en")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "out-link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "out-dir").symlink_to(tmp_path)
    (root / "in-link.html").symlink_to(root / "index.html")
    assert locate(root, "") == ("file", (root / "index.html").resolve())
    assert locate(root, "en/") == ("file", (root / "en" / "index.html").resolve())
    assert locate(root, "en") == ("redirect", None)
    assert locate(root, "in-link.html") == ("file", (root / "index.html").resolve())
    for bad in ["../secret.txt", "en/../../secret.txt", "out-link.txt", "out-dir/secret.txt", "out-dir/",
                "..\\secret.txt", "index.html\x00.png", ".vestka-manifest.json", "./index.html"]:
        assert locate(root, bad) == ("missing", None), bad


def test_decorate_adds_external_scripts_and_the_banner() -> None:
    page = b"<!doctype html><html><head><title>t</title></HEAD><body class='x'><p>hi</p></body></html>"
    out = decorate(page, port=8123, token="ab.3", problems=("content/en/a.md:3: error: bad <yaml>",))
    text = out.decode()
    assert '<script src="/livereload.js?port=8123"></script>' in text
    assert '<script src="/.vestka/live.js?gen=ab.3"></script></HEAD>' in text
    assert "<body class='x'><div id=\"vestka-build-error\"" in text
    assert "content/en/a.md:3: error: bad &lt;yaml&gt;" in text
    assert "<script>" not in text  # the theme's CSP forbids inline scripts
    plain = decorate(b"<p>no head</p>", port=1, token="t", problems=())
    assert plain.startswith(b'<link rel="stylesheet"') and plain.endswith(b"<p>no head</p>")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.0.2.10", False),
])
def test_non_loopback_hosts_get_a_warning(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    warning = host_warning(host)
    assert (warning is None) is loopback
    if warning:
        assert host in warning and "drafts" in warning


def test_display_url_is_one_a_browser_can_open() -> None:
    assert display_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert display_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert display_url("::1", 8001) == "http://[::1]:8001/"


# --- the real server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    base = tmp_path_factory.mktemp("serve")
    (base / "secret.txt").write_text("TOP-SECRET outside the site")
    site = write_site(base / "site", {
        "content/en/2020/hello.md": article("Hello", "2020-01-02T10:00:00Z", "Hello body."),
        "content/en/2020/draft.md": article("Hidden draft", "2020-01-03T10:00:00Z", "Draft body.", draft=True),
        "static/robots.txt": "User-agent: *\n",
    })
    (site / "content" / "en" / "leak.md").symlink_to(base / "secret.txt")
    running = Running(site, "--port", "0", cwd=base)
    yield running, site
    assert running.stop() == 0


TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
    "/%2e%2e%2fsecret.txt", "/en/..%2f..%2f..%2f..%2fsecret.txt", "/en/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/..%5csecret.txt", "/%2e%2e%5c%2e%2e%5csecret.txt", "/%252e%252e/secret.txt", "//etc/passwd",
    "/%2fetc%2fpasswd", "/static/..%2f..%2f..%2f..%2fsecret.txt", "/index.html%00.txt",
    "/.vestka-manifest.json", "/%2evestka-manifest.json",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_attempts_never_leave_the_preview(served: tuple[Running, Path], path: str) -> None:
    running, _ = served
    status, _, body = running.get(path)
    assert status in (400, 404), (path, status)
    assert b"TOP-SECRET" not in body and b"root:" not in body


def test_symlinks_pointing_out_are_not_followed(served: tuple[Running, Path]) -> None:
    running, site = served
    preview = site / ".vestka-cache" / "preview" / "0"
    assert (preview / "index.html").is_file()
    (preview / "planted.txt").symlink_to(site.parent / "secret.txt")
    (preview / "planted-dir").symlink_to(site.parent)
    try:
        for path in ("/planted.txt", "/planted-dir/secret.txt", "/en/2020/01/leak/", "/en/leak/"):
            status, _, body = running.get(path)
            assert status == 404, path
            assert b"TOP-SECRET" not in body
    finally:
        (preview / "planted.txt").unlink(missing_ok=True)
        (preview / "planted-dir").unlink(missing_ok=True)


def test_pages_are_served_with_reload_scripts_and_no_caching(served: tuple[Running, Path]) -> None:
    running, _ = served
    status, headers, body = running.get("/en/")
    assert status == 200
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert f'<script src="/livereload.js?port={running.port}"></script>'.encode() in body
    assert b"Hello" in body and b"Hidden draft" not in body
    assert running.get("/static/robots.txt")[1]["content-type"] == "text/plain; charset=utf-8"
    status, headers, body = running.get("/en/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert running.get("/livereload.js")[0] == 200
    assert running.get("/.vestka/live.js")[0] == 200


def test_folder_without_slash_redirects_inside_the_site(served: tuple[Running, Path]) -> None:
    running, _ = served
    status, headers, _ = running.get("/en?x=1")
    assert status == 302 and headers["location"] == "/en/?x=1"


def test_missing_page_is_a_404_with_the_sites_page(served: tuple[Running, Path]) -> None:
    running, _ = served
    status, _, body = running.get("/en/2031/no-such-page/")
    assert status == 404
    assert b"kind-404" in body and b"/livereload.js" in body


def test_foreign_host_names_are_refused(served: tuple[Running, Path]) -> None:
    # A page elsewhere could resolve its own name to 127.0.0.1 (DNS rebinding) and read drafts.
    running, _ = served
    assert running.get("/en/", host="attacker.example")[0] == 403
    assert running.get("/en/", host=f"attacker.example:{running.port}")[0] == 403
    assert running.get("/en/", host=f"localhost:{running.port}")[0] == 200
    assert running.get("/en/", host=f"127.0.0.1:{running.port}")[0] == 200


def test_binds_to_loopback_by_default(served: tuple[Running, Path]) -> None:
    running, site = served
    assert running.url.startswith("http://127.0.0.1:")
    address = listening_address(running.port)
    assert address == "127.0.0.1", address
    assert "other machines" not in running.output  # no bind-address warning on loopback
    assert not (site / "output").exists()  # the preview never writes into output/


def test_taken_port_moves_to_the_next_free_one_and_says_so(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/a.md": article("A", "2020-01-01T00:00:00Z")})
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        running = Running(site, "--port", str(taken), cwd=tmp_path)
        try:
            assert f"Port {taken} is in use; using port {running.port} instead." in running.output
            assert running.port != taken
            assert running.get("/en/")[0] == 200
        finally:
            assert running.stop() == 0
    assert "Stopped." in running.output


def test_drafts_reach_the_preview_but_never_output(tmp_path: Path, build_site) -> None:
    site = write_site(tmp_path / "site", {
        "content/en/2020/a.md": article("Public", "2020-01-01T00:00:00Z"),
        "content/en/2020/d.md": article("Secret plan", "2020-01-02T00:00:00Z", draft=True),
    })
    running = Running(site, "--port", "0", "--drafts", cwd=tmp_path)
    try:
        status, _, body = running.get("/en/")
        assert status == 200 and b"Secret plan" in body
        assert not (site / "output").exists()
    finally:
        assert running.stop() == 0
    build_site(site)
    built = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.html"))
    assert "Public" in built and "Secret plan" not in built


def test_two_servers_on_one_site_use_separate_preview_folders(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/a.md": article("A", "2020-01-01T00:00:00Z")})
    first = Running(site, "--port", "0", cwd=tmp_path)
    try:
        second = Running(site, "--port", "0", "--drafts", cwd=tmp_path)
        try:
            assert first.get("/en/")[0] == 200 and second.get("/en/")[0] == 200
            previews = sorted(p.name for p in (site / ".vestka-cache" / "preview").iterdir() if p.is_dir())
            assert previews == ["0", "1"]
        finally:
            assert second.stop() == 0
    finally:
        assert first.stop() == 0


def test_a_broken_file_is_reported_in_the_terminal_and_on_every_page(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z")})
    running = Running(site, "--port", "0", cwd=tmp_path)
    try:
        mark = len(running.lines)
        (site / "content/en/2020/b.md").write_text("---\ntitle: [oops\ndate: 2020-01-02\n---\nBody\n")
        running.wait_for(r"content/en/2020/b\.md:\d+: error: ", after=mark)
        status, _, body = running.get("/en/")
        assert status == 200 and b"Alpha" in body  # the last good site stays
        assert re.search(rb'id="vestka-build-error".*content/en/2020/b\.md:\d+: error: ', body, re.S)
        mark = len(running.lines)
        (site / "content/en/2020/b.md").write_text(article("Beta", "2020-01-02T00:00:00Z"))
        running.wait_for(r"rebuilt in .*the build works again", after=mark)
        status, _, body = running.get("/en/")
        assert b"vestka-build-error" not in body and b"Beta" in body
    finally:
        assert running.stop() == 0


def test_requests_during_a_rebuild_get_the_new_site(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z")})
    running = Running(site, "--port", "0", cwd=tmp_path)
    try:
        (site / "content/en/2020/a.md").write_text(article("Alpha two", "2020-01-01T00:00:00Z"))
        deadline = time.monotonic() + 20
        while b"Alpha two" not in running.get("/en/")[2]:
            assert time.monotonic() < deadline, running.output
            time.sleep(0.02)
        # Once a page shows the change, no later request may show the old version again.
        for _ in range(20):
            assert b"Alpha two" in running.get("/en/")[2]
    finally:
        assert running.stop() == 0


def test_a_broken_config_stays_reported_until_config_yaml_is_fixed(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z")})
    running = Running(site, "--port", "0", cwd=tmp_path)
    try:
        mark = len(running.lines)
        (site / "config.yaml").write_text(SITE_CONFIG + "latest_news: many\n")
        running.wait_for(r"config\.yaml:\d+: error: ", after=mark)
        mark = len(running.lines)
        (site / "content/en/2020/a.md").write_text(article("Alpha two", "2020-01-01T00:00:00Z"))
        running.wait_for(r"build failed again", after=mark)  # a content save does not hide it
        body = running.get("/en/")[2]
        assert re.search(rb'id="vestka-build-error".*config\.yaml:\d+: error: ', body, re.S)
        mark = len(running.lines)
        (site / "config.yaml").write_text(SITE_CONFIG.replace("Serve test", "Renamed archive"))
        running.wait_for(r"the build works again", after=mark)
        body = running.get("/en/")[2]
        assert b"vestka-build-error" not in body and b"Renamed archive" in body and b"Alpha two" in body
    finally:
        assert running.stop() == 0


def test_the_reload_socket_ignores_messages_that_are_not_small_objects(served: tuple[Running, Path]) -> None:
    """A list, a number, deep nesting or a huge frame must not raise in the server (which closes the
    socket): the same connection still answers a hello afterwards."""
    import asyncio

    from tornado.websocket import websocket_connect

    running, _ = served
    logged = len(running.output)

    async def talk() -> str | None:
        ws = await websocket_connect(f"ws://127.0.0.1:{running.port}/livereload")
        for message in ["[]", "1", '"hello"', "null", "[" * 2000 + "]" * 2000, '{"a":' * 1500 + "1" + "}" * 1500,
                        "[" * 100_000 + "]" * 100_000]:
            await ws.write_message(message)
        await ws.write_message('{"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}')
        reply = await asyncio.wait_for(ws.read_message(), 10)
        ws.close()
        return reply

    reply = asyncio.run(talk())
    assert reply is not None and '"hello"' in reply
    time.sleep(1)  # the server's output is read by a thread
    later = running.output[logged:]
    assert "Traceback" not in later and "Uncaught" not in later and "Error" not in later, later


@pytest.mark.parametrize("message", ["[]", "1", '"hello"', "null", "[" * 2000 + "]" * 2000,
                                     '{"a":' * 1500 + "1" + "}" * 1500, "[" * 100_000 + "]" * 100_000])
def test_the_reload_socket_handler_never_raises_on_a_message_that_is_not_a_small_object(message: str) -> None:
    from generator import serve

    handler = serve._ReloadSocket.__new__(serve._ReloadSocket)
    handler.state = serve._State.__new__(serve._State)

    assert handler.on_message(message) is None


@pytest.mark.parametrize("verbose", [True, False], ids=["verbose", "plain"])
def test_verbose_serve_shows_stage_times_and_every_warning_after_a_rebuild(tmp_path: Path, verbose: bool) -> None:
    site = write_site(tmp_path / "site", {
        "content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z", "See [gone](/en/nowhere/)."),
        "content/en/2020/b.md": article("Beta", "2020-01-02T00:00:00Z"),
    })
    running = Running(site, "--port", "0", *(["-v"] if verbose else []), cwd=tmp_path)
    try:
        mark = len(running.lines)
        (site / "content/en/2020/b.md").write_text(article("Beta", "2020-01-02T00:00:00Z", "Edited."))
        running.wait_for(r"b\.md changed: rebuilt in", after=mark)
        running.wait_for(r"^  discover \d" if verbose else r"rebuilt in", after=mark)
        time.sleep(0.5)  # the lines that follow the rebuild line
        after = "".join(running.lines[mark:])
        # a.md did not change: only -v repeats its broken link after b.md's rebuild
        assert ("content/en/2020/a.md" in after) is verbose, after
        assert bool(re.search(r"^  discover \d+\.\d+ s, ", after, re.M)) is verbose, after
    finally:
        assert running.stop() == 0


def searchable_site(tmp_path: Path) -> tuple[Path, str, str]:
    """Three articles with search on; the stemmed term of "zephyrquokka" and its index shard's URL."""
    from generator.search import shard_bits, term_shard
    from generator.search.text import terms

    site = write_site(tmp_path / "site", {
        "config.yaml": SITE_CONFIG.replace("search: false", "search: true"),
        **{f"content/en/2020/a{i}.md": article(f"Alpha {i}", f"2020-01-0{i + 1}T00:00:00Z", "Court hearing.")
           for i in range(3)}})
    term = terms("zephyrquokka", "en")[0]
    return site, term, f"/en/search/index/t/{term_shard(term, 1 << shard_bits(3))}.js"


def test_a_save_reloads_the_tabs_before_the_search_index_is_updated(tmp_path: Path) -> None:
    """The reload message comes while the preview still serves the last search index: the edited
    page is not held back by indexing. The index is brought up to date after it."""
    import asyncio

    from tornado.websocket import websocket_connect

    site, term, shard = searchable_site(tmp_path)
    running = Running(site, "--port", "0", cwd=tmp_path)
    try:
        assert term.encode() not in running.get(shard)[2]
        mark = len(running.lines)

        async def save_and_watch() -> tuple[bytes, bytes]:
            ws = await websocket_connect(f"ws://127.0.0.1:{running.port}/livereload")
            await ws.write_message('{"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}')
            assert '"hello"' in (await asyncio.wait_for(ws.read_message(), 10) or "")
            await ws.write_message('{"command": "info", "url": "/en/", "plugins": {}}')  # as livereload.js does
            await asyncio.sleep(0.2)
            (site / "content/en/2020/a1.md").write_text(
                article("Alpha zephyrquokka", "2020-01-02T00:00:00Z", "Court hearing."), encoding="utf-8")
            reload = await asyncio.wait_for(ws.read_message(), 30)
            assert reload is not None and '"reload"' in reload
            # What a tab reloading now gets, and what its search would load.
            page, index = running.get("/en/")[2], running.get(shard)[2]
            ws.close()
            return page, index

        page, index = asyncio.run(save_and_watch())
        assert b"Alpha zephyrquokka" in page
        assert term.encode() not in index, "the tabs were reloaded only after the search index was updated"
        updated = running.wait_for(r"search index updated in", after=mark)
        assert updated and term.encode() in running.get(shard)[2]
        rebuilt = next(i for i, line in enumerate(running.lines) if i >= mark and "rebuilt in" in line)
        assert rebuilt < next(i for i, line in enumerate(running.lines) if "search index updated" in line)
    finally:
        assert running.stop() == 0


def test_a_text_edit_is_put_in_the_preview_by_a_quick_update(tmp_path: Path) -> None:
    """A save that changes only an article's text re-renders that article (generator.session);
    the search index follows in the update after it, as after any save."""
    site, term, shard = searchable_site(tmp_path)
    running = Running(site, "--port", "0", cwd=tmp_path)
    try:
        page = "/en/2020/01/a1/"
        mark = len(running.lines)
        (site / "content/en/2020/a1.md").write_text(
            article("Alpha 1", "2020-01-02T00:00:00Z", "Court hearing.\n\nThe zephyrquokka spoke."), encoding="utf-8")
        running.wait_for(r"a1\.md changed: updated in", after=mark)
        assert b"The zephyrquokka spoke." in running.get(page)[2]
        running.wait_for(r"search index updated in", after=mark)
        assert term.encode() in running.get(shard)[2]
        # A title is shown by other pages: that save is a full build.
        mark = len(running.lines)
        (site / "content/en/2020/a1.md").write_text(
            article("Alpha one", "2020-01-02T00:00:00Z", "Court hearing.\n\nThe zephyrquokka spoke."), encoding="utf-8")
        running.wait_for(r"a1\.md changed: rebuilt in", after=mark)
        assert b"Alpha one" in running.get("/en/")[2]
    finally:
        assert running.stop() == 0


def test_the_kernel_reports_a_save_and_the_config_file(tmp_path: Path) -> None:
    """The notifications that point the poll loop at saved files: a real inotify watch, no scan."""
    import asyncio

    from generator.serve import _Notified

    site = write_site(tmp_path / "site", {"content/en/2020/a.md": article("Alpha", "2020-01-01T00:00:00Z")})

    async def watch_two_saves() -> list[set[Path]]:
        notified = _Notified.start(roots_for(site))
        assert notified is not None
        try:
            await asyncio.sleep(0.3)  # the watches are set up in the watcher's thread
            seen = []
            for rel in ("content/en/2020/a.md", "config.yaml"):
                (site / rel).write_text("changed", encoding="utf-8")
                await asyncio.wait_for(notified.event.wait(), 10)
                seen.append(notified.take())
            return seen
        finally:
            notified.stop()

    content, config = asyncio.run(watch_two_saves())
    assert site / "content/en/2020/a.md" in content
    assert config == {site / "config.yaml"}
