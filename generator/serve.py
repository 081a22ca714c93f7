"""`vestka serve`: build into a private preview folder, serve it, rebuild on change, reload tabs.

Never stale, by construction:
- one loop polls the watched files (see `watch.py`), waits for a short quiet spell, then builds
  in a worker thread; files that change while it runs show up in the next poll, so they get
  another build — no change is dropped;
- the build keeps the last full build in memory (`session.Session`): a save that changes only
  an article's text re-renders that article and the feeds that carry it, in milliseconds; any
  other change runs the full incremental build;
- tabs are reloaded by us after each build (livereload's own watcher drops changes within 3 s
  of the previous reload), and a page checks once its reload socket is up whether a build
  finished while it was loading (the reload message would have found no socket);
- indexing never delays that reload: a rebuild keeps the search index of the last build as it
  is (`Options.defer_search`), tabs reload, and only then, after INDEX_AFTER quiet seconds, the
  session patches the index from the site it holds (`Session.update_index`; a full build when
  it holds none) and publishes it. Requests do not wait for it, and a new change stops it (at
  its next progress call or stage) so that the change is built and shown first;
- requests wait while a change is pending or a build runs, and every response says no-store;
- a failed build keeps the last good preview and puts the problems on every page and in the
  terminal; the next good build removes them.

The preview is written to .vestka-cache/preview/N/ (never output/: drafts must not end up
there). Each running server holds a lock on its slot, so two servers on one site never write
into the same folder, and a later server reuses the slot (unchanged files become hard links).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import html
import ipaddress
import json
import mimetypes
import os
import re
import secrets
import socket
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import httpserver, netutil, web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from generator import watch
from generator.build import Options
from generator.config import Config, load_config
from generator.errors import ConfigError, Problem, VestkaError
from generator.search_behind import index_behind
from generator.session import QUICK, Session
from generator.theme import builtin_theme_dir

#: Ports tried after the one asked for when it is taken.
PORT_TRIES = 20
#: Longest a request waits for a running build before it gets the previous preview.
BUILD_WAIT = 120.0
#: A change is built once the watched files were quiet this long (editors write in steps)...
QUIET = 0.1
#: ...but never later than this after the first change (a long `git pull` still shows up).
QUIET_MAX = 1.0
#: Poll interval bounds; in between, four times the last scan's duration (big sites poll less).
POLL_MIN, POLL_MAX = 0.2, 2.0
#: With the kernel's notifications, the watched folders are still scanned this often: a change
#: they missed (a network disk, a folder made and filled at once) is found within this time.
FULL_SCAN = 10.0
#: The kernel's notifications are passed on once the files were quiet this long (milliseconds),
#: and after this long at most while they keep changing.
NOTIFY_QUIET, NOTIFY_MAX = 50, 1000
#: The search index is updated once no save came for this long after a reload: an editor who
#: saves again soon gets that save built at once, not after an index update it would stop.
INDEX_AFTER = 2.0
#: Warnings printed after the first build; later builds print those of the changed files.
FIRST_WARNINGS = 10
#: Reserved URL prefix for the preview's own files; output paths never start with a dot.
OWN = "/.vestka/"

T = TypeVar("T")


def serve(config: Config, *, host: str | None = None, port: int | None = None, drafts: bool = False,
          future: bool = False, open_browser: bool = False, out: TextIO, verbose: bool = False) -> int:
    """Serve `config`'s site until Ctrl+C; the return value is the exit code.

    `verbose` adds each build's stage times and every warning, not only those of the changed files.
    """
    preview = _Preview(config, host=host or config.serve.host, port=config.serve.port if port is None else port,
                       options=Options(drafts=drafts, future=future), open_browser=open_browser, out=out,
                       verbose=verbose)
    try:
        return asyncio.run(preview.run())
    except KeyboardInterrupt:  # asyncio.run re-raises it after run() has cleaned up
        return 0


# --- pure helpers (tested directly) -------------------------------------------------------


def is_loopback(host: str) -> bool:
    """True when `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if _loopback_literal(host):
        return True
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def _loopback_literal(name: str) -> bool:
    """Loopback without asking DNS (a Host header's name must not be looked up)."""
    name = name.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_warning(host: str) -> str | None:
    """The warning for a bind address other machines can reach, or None."""
    if is_loopback(host):
        return None
    return (f"warning: serving on {host}: other machines on the network can see this preview, drafts "
            "included. Leave out --host to serve on 127.0.0.1 only.")


def display_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def locate(root: Path, url_path: str) -> tuple[str, Path | None]:
    """Map a decoded URL path (no leading "/") to a file of the preview folder.

    Returns ("file", path), ("redirect", None) for a folder named without its trailing "/",
    or ("missing", None). Nothing outside `root` is ever returned: ".." and dot segments
    (encoded or not; the caller decodes), backslashes and NULs are refused, and the result
    is compared after resolving symbolic links, so a link pointing out of the folder is missing.
    """
    if "\x00" in url_path or "\\" in url_path:
        return "missing", None
    parts = [p for p in url_path.split("/") if p]
    if any(p.startswith(".") for p in parts):
        return "missing", None
    real_root = os.path.realpath(root)

    def inside(path: str) -> bool:
        return path == real_root or path.startswith(real_root + os.sep)

    candidate = os.path.realpath(os.path.join(real_root, *parts))
    if not inside(candidate):
        return "missing", None
    if os.path.isdir(candidate):
        if url_path and not url_path.endswith("/"):
            return "redirect", None
        candidate = os.path.realpath(os.path.join(candidate, "index.html"))
        if not inside(candidate):
            return "missing", None
    if os.path.isfile(candidate):
        return "file", Path(candidate)
    return "missing", None


_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(rb"<body(\s[^>]*)?>", re.IGNORECASE)


def decorate(page: bytes, *, port: int, token: str, problems: tuple[str, ...]) -> bytes:
    """Add the reload scripts (and, while the build is broken, the error banner) to an HTML page.

    The scripts are external files: the default theme's Content-Security-Policy forbids inline ones.
    """
    head = (f'<link rel="stylesheet" href="{OWN}serve.css">'
            f'<script src="/livereload.js?port={port}"></script>'
            f'<script src="{OWN}live.js?gen={token}"></script>').encode()
    match = _HEAD_END.search(page)
    if match:
        page = page[:match.start()] + head + page[match.start():]
    if problems:
        banner = error_banner(problems).encode()
        body = _BODY_START.search(page)
        page = page[:body.end()] + banner + page[body.end():] if body else banner + page
    if not match:
        page = head + page
    return page


def error_banner(problems: tuple[str, ...]) -> str:
    lines = "\n".join(html.escape(p) for p in problems)
    return ('<div id="vestka-build-error" class="vestka-build-error" role="alert">'
            "<p><strong>The last change broke the build.</strong> This is the last good version of the page. "
            "Fix the file below and save: this page reloads by itself.</p>"
            f"<pre>{lines}</pre></div>")


def problem_lines(exc: BaseException) -> tuple[str, ...]:
    """`file:line: error: message — hint` lines for a failed build."""
    if isinstance(exc, VestkaError):
        head = exc.args[0] if exc.args else "build failed"
        return (str(head), *(str(p) for p in exc.problems))
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return (f"internal error: {type(exc).__name__}: {exc}{where}",
            "this is a bug in Vestka; the preview keeps the last good build")


def page_shell(title: str, body: str) -> bytes:
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head><body>{body}</body></html>").encode()


# --- the running server -------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """What one running server knows; read and changed on the event loop only."""

    config: Config
    preview_dir: Path
    port: int
    #: Changes each server start, so a tab from an earlier run reloads too.
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    generation: int = 0
    #: A build of this run succeeded, so preview_dir is this run's site.
    good: bool = False
    #: Lines describing the current failure; () while the last build succeeded.
    problems: tuple[str, ...] = ()
    #: Set while no change is pending and no build runs; requests wait for it.
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    clients: set[WebSocketHandler] = field(default_factory=set)
    loopback_only: bool = True
    #: config.yaml failed to load; the previous config is in use until it loads again.
    config_broken: bool = False
    #: The last build kept a search index older than its pages: an update is to run.
    index_due: bool = False

    @property
    def token(self) -> str:
        return f"{self.run_id}.{self.generation}"


class _Cancelled(Exception):
    """Raised inside a build's progress callback to stop it when the server stops."""


class _Preview:
    def __init__(self, config: Config, *, host: str, port: int, options: Options, open_browser: bool,
                 out: TextIO, verbose: bool = False) -> None:
        self.host, self.port, self.options, self.open_browser, self.out = host, port, options, open_browser, out
        self.verbose = verbose
        self.site_config = config
        self.stopping = threading.Event()
        #: Clear while a build runs in its thread (which may outlive a cancelled `rebuild`).
        self.no_build = threading.Event()
        self.no_build.set()
        #: Set to stop a running search index update (a change came, to be shown first).
        self.stop_index = threading.Event()
        #: The running search index update, if any.
        self.indexing: asyncio.Task[None] | None = None
        #: When tabs were last reloaded after a good build (time.monotonic()).
        self.reloaded_at = 0.0
        #: The last build, kept in memory: a save that changes only an article's text is quick.
        self.session = Session(stopped=_Cancelled)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def run(self) -> int:
        # Ctrl+C is left to asyncio.run, which cancels this task. No handler of our own: the
        # build forks worker processes, and a handler they inherit would keep them alive
        # through the pool's SIGTERM (and asyncio's wake-up pipe would pass their signals to us).
        sockets, port = _bind(self.host, self.port)
        if port != self.port and self.port != 0:
            self.say(f"Port {self.port} is in use; using port {port} instead.")
        warning = host_warning(self.host)
        if warning:
            self.say(warning)
        slot = _PreviewSlot.take(self.site_config.cache_dir / "preview")
        config = dataclasses.replace(self.site_config, output_override=slot.path)
        state = _State(config, slot.path, port, loopback_only=warning is None)
        server = httpserver.HTTPServer(_application(state))
        server.add_sockets(sockets)
        try:
            await self.lifecycle(state, display_url(self.host, port))
        except asyncio.CancelledError:
            pass
        finally:
            self.stopping.set()  # a running build stops at its next progress call
            server.stop()
            for client in list(state.clients):
                client.close()
            await server.close_all_connections()
            for _ in range(20):  # bounded: a build past its last progress call is left behind
                if self.no_build.is_set():
                    break
                await asyncio.sleep(0.1)
            if self.no_build.is_set():
                slot.release()
            self.say("Stopped." + ("" if self.no_build.is_set() else " The rebuild that was running was abandoned."))
        return 0

    async def lifecycle(self, state: _State, url: str) -> None:
        roots = watch.Roots(state.config.site_dir, builtin_theme_dir())
        self.say(f"Building {state.config.site_dir} (drafts {'shown' if self.options.drafts else 'hidden'}) …")
        snapshot = await _in_thread(lambda: watch.scan(roots))
        await self.rebuild(state, watch.Batch())
        self.say(f"Serving {url} — press Ctrl+C to stop.")
        if self.open_browser:
            webbrowser.open(url)
        await self.poll(state, roots, snapshot)

    async def poll(self, state: _State, roots: watch.Roots, snapshot: watch.Snapshot) -> None:
        interval = POLL_MIN
        notified = _Notified.start(roots)
        scanned = time.monotonic()
        try:
            while True:
                if notified is None:
                    await asyncio.sleep(interval)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(notified.event.wait(), interval)
                # A quiet spell after the reload first: an editor's next save comes first.
                if state.index_due and self.indexing is None and time.monotonic() - self.reloaded_at >= INDEX_AFTER:
                    state.index_due = False
                    self.indexing = asyncio.create_task(self.update_index(state))
                # With notifications only the reported files are looked at (the kernel already waited
                # for a quiet spell); a full scan still runs now and then, and when they fall short.
                changed = None
                if notified is not None and notified.working and time.monotonic() - scanned < FULL_SCAN:
                    changed = watch.restamp(snapshot, notified.take(), roots)
                quiet = changed is not None
                if changed is None:
                    if notified is not None:
                        notified.take()
                    started = time.perf_counter()
                    new = await _in_thread(lambda: watch.scan(roots))
                    scanned = time.monotonic()
                    interval = min(POLL_MAX, max(POLL_MIN, 4 * (time.perf_counter() - started)))
                    changed, snapshot = watch.changed_files(snapshot, new), new
                batch = watch.classify(changed, roots, state.config.ignore)
                if not batch:
                    continue
                state.idle.clear()  # from now on, requests wait for the build
                first = time.monotonic()
                while not quiet and time.monotonic() - first < QUIET_MAX:
                    await asyncio.sleep(QUIET)
                    new = await _in_thread(lambda: watch.scan(roots))
                    more = watch.classify(watch.changed_files(snapshot, new), roots, state.config.ignore)
                    snapshot = new
                    if not more:
                        break
                    batch = batch.merged(more)
                await self.finish_indexing()
                await self.rebuild(state, batch)
        finally:
            if notified is not None:
                notified.stop()

    async def rebuild(self, state: _State, batch: watch.Batch) -> None:
        """Build once for `batch` (empty: the first build), then reload every tab."""
        state.idle.clear()
        started = time.perf_counter()
        stamp = time.strftime("%H:%M:%S")
        # The first build makes the index; later ones show the change first (see the docstring).
        options = dataclasses.replace(self.options, progress=self._progress, defer_search=bool(batch))
        # Also after a failed load: a later save elsewhere must not hide a still broken config.yaml.
        reload_config = batch.config_changed or state.config_broken
        config = state.config

        def work() -> tuple[Config, Any]:
            try:
                new_config = config
                if reload_config:
                    new_config = dataclasses.replace(load_config(config.site_dir),
                                                     output_override=state.preview_dir)
                return new_config, self.session.build(new_config, options, batch.paths)
            finally:
                self.no_build.set()

        self.no_build.clear()
        try:
            state.config, result = await _in_thread(work)
        except _Cancelled:
            return
        except Exception as exc:  # any failure, ours or a bug, must leave the server running
            was_broken = bool(state.problems)
            state.problems = problem_lines(exc)
            state.config_broken = reload_config and isinstance(exc, ConfigError)
            what = f"{batch.describe()}: " if batch else ""
            self.say(f"[{stamp}] {what}build failed{' again' if was_broken else ''}; the last good preview stays.")
            for line in state.problems:
                self.say(f"  {line}")
            if not isinstance(exc, VestkaError):
                self.say("".join(traceback.format_exception(exc)).rstrip())
        else:
            recovered = bool(state.problems)
            state.problems = ()
            state.config_broken = False
            state.good = True
            state.index_due = index_behind(state.config)
            self.reloaded_at = time.monotonic()
            seconds = time.perf_counter() - started
            self._report(stamp, batch, result.problems, seconds, recovered, QUICK in result.timings)
            if self.verbose:
                self.say("  " + ", ".join(f"{name} {took:.3f} s" for name, took in result.timings.items()))
        finally:
            state.generation += 1
            state.idle.set()
        _reload_clients(state)

    async def update_index(self, state: _State) -> None:
        """Bring the preview's search index up to date, after the pages (see the docstring)."""
        started = time.perf_counter()
        stamp = time.strftime("%H:%M:%S")
        config = state.config
        self.stop_index.clear()
        options = dataclasses.replace(self.options, progress=self._index_progress)

        def work() -> Any:
            try:
                return self.session.update_index(config, options)
            finally:
                self.no_build.set()

        self.no_build.clear()
        try:
            await _in_thread(work)
        except _Cancelled:
            # A change came: its build shows it first, and the update runs again after it.
            pass
        except Exception as exc:  # the pages built: a failure here is a bug; the server runs on
            self.say(f"[{stamp}] the search index could not be updated; search shows the last index.")
            for line in problem_lines(exc):
                self.say(f"  {line}")
            if not isinstance(exc, VestkaError):
                self.say("".join(traceback.format_exception(exc)).rstrip())
        else:
            self.say(f"[{stamp}] search index updated in {time.perf_counter() - started:.2f} s.")
        finally:
            self.indexing = None

    async def finish_indexing(self) -> None:
        """Stop a running index update, and wait until its build has stopped."""
        task = self.indexing
        if task is not None:
            self.stop_index.set()
            await task

    def _index_progress(self, stage: str, done: int, total: int) -> None:
        if self.stopping.is_set() or self.stop_index.is_set():
            raise _Cancelled

    def _report(self, stamp: str, batch: watch.Batch, problems: list[Problem], seconds: float,
                recovered: bool, quick: bool = False) -> None:
        if not batch:
            self.say(f"Built the preview in {seconds:.2f} s.")
            shown = problems[:FIRST_WARNINGS]
        else:
            self.say(f"[{stamp}] {batch.describe()}: {'updated' if quick else 'rebuilt'} in {seconds:.2f} s"
                     + ("; the build works again." if recovered else "."))
            changed = set(batch.paths)
            shown = [p for p in problems if p.file in changed]
        if self.verbose:
            shown = problems
        for problem in shown:
            self.say(f"  {problem}")
        if not batch and len(problems) > len(shown):
            self.say(f"  … and {len(problems) - len(shown)} more warnings (`vestka check` lists them all).")

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self.stopping.is_set():
            raise _Cancelled


class _Notified:
    """The files the kernel reports changed (inotify, through watchfiles): a hint, never the truth.

    The poll loop stamps only these files instead of scanning the archive, so a save reaches the
    build within NOTIFY_QUIET milliseconds; the snapshot stays what decides what changed.
    `working` is False once the watcher failed (no inotify, too many folders): then the loop
    scans as before.
    """

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.paths: set[Path] = set()
        self.working = True
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def start(cls, roots: watch.Roots) -> _Notified | None:
        folders = [folder for folder in roots.folders if folder.is_dir()]
        if not folders:
            return None
        notified = cls()
        config_names = {str(path) for path in roots.files}
        notified._tasks = [
            asyncio.create_task(notified._follow(folders, recursive=True, only=None)),
            # config.yaml by its folder: an editor that saves by renaming replaces the file itself.
            asyncio.create_task(notified._follow([roots.site_dir], recursive=False, only=config_names)),
        ]
        return notified

    async def _follow(self, folders: list[Path], *, recursive: bool, only: set[str] | None) -> None:
        import watchfiles

        def wanted(_: object, path: str) -> bool:
            return only is None or path in only

        try:
            async for changes in watchfiles.awatch(*folders, watch_filter=wanted, debounce=NOTIFY_MAX,
                                                   step=NOTIFY_QUIET, stop_event=self._stop, recursive=recursive):
                self.paths.update(Path(path) for _, path in changes)
                self.event.set()
        except Exception:  # no notifications here (a limit, a file system without them): scan instead
            self.working = False
            self.event.set()

    def take(self) -> set[Path]:
        paths, self.paths = self.paths, set()
        self.event.clear()
        return paths

    def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()


def _bind(host: str, port: int) -> tuple[list[socket.socket], int]:
    """Listening sockets on `host`: on `port`, or on the next free one of PORT_TRIES."""
    tries = 1 if port == 0 else PORT_TRIES
    for candidate in range(port, min(port + tries, 65536)):
        try:
            sockets = netutil.bind_sockets(candidate, address=host)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and candidate + 1 < min(port + tries, 65536):
                continue
            if exc.errno == errno.EADDRINUSE:
                raise VestkaError(f"ports {port} to {candidate} on {host} are all in use", [Problem(
                    "error", "", None, "no free port to serve on", "stop the other server, or pass --port")]) from exc
            raise VestkaError(f"cannot serve on {host}:{candidate}: {exc.strerror}", [Problem(
                "error", "", None, f"binding {host}:{candidate} failed: {exc.strerror}",
                "check --host: it must be an address of this machine")]) from exc
        return sockets, sockets[0].getsockname()[1]
    raise VestkaError(f"invalid port {port}")


async def _in_thread(fn: Callable[[], T]) -> T:
    """Run `fn` in a daemon thread: Ctrl+C must not wait for a long build to finish."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:  # handed to the awaiting coroutine
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: the server stopped meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="vestka-serve-worker", daemon=True).start()
    return await future


def _reload_clients(state: _State) -> None:
    message = json.dumps({"command": "reload", "path": "*", "liveCSS": False, "liveImg": False})
    for client in list(state.clients):
        try:
            client.write_message(message)
        except WebSocketClosedError:
            state.clients.discard(client)


class _PreviewSlot:
    """A preview folder under .vestka-cache/preview/, held by one server through a lock file."""

    def __init__(self, path: Path, lock: Any) -> None:
        self.path, self.lock = path, lock

    @classmethod
    def take(cls, parent: Path) -> _PreviewSlot:
        parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # no advisory locks: a folder of our own, removed at the end
            return cls(parent / f"pid-{os.getpid()}", None)
        for number in range(100):
            handle = open(parent / f"{number}.lock", "a+b")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            return cls(parent / str(number), handle)
        raise VestkaError("more than 100 previews of this site are running")

    def release(self) -> None:
        if self.lock is None:
            import shutil

            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.lock.close()


# --- HTTP ----------------------------------------------------------------------------------


def _application(state: _State) -> web.Application:
    return web.Application([
        (r"/livereload", _ReloadSocket, {"state": state}),
        (r"/livereload\.js", LiveReloadJSHandler),
        (r"/\.vestka/(serve\.css|live\.js|generation)", _OwnHandler, {"state": state}),
        (r"/(.*)", _SiteHandler, {"state": state}),
    ], log_function=lambda handler: None, compress_response=False)


def _host_allowed(request: Any, state: _State) -> bool:
    # A page elsewhere could point a name of its own at 127.0.0.1 (DNS rebinding) and read the
    # drafts; a loopback-only preview therefore answers only to loopback names.
    if not state.loopback_only:
        return True
    host = request.host or ""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return _loopback_literal(name)


class _ReloadSocket(LiveReloadHandler):
    """livereload's protocol, with the tabs kept per server instead of in a class attribute."""

    def initialize(self, state: _State) -> None:
        self.state = state

    def check_origin(self, origin: str) -> bool:
        return WebSocketHandler.check_origin(self, origin)

    def prepare(self) -> None:
        if not _host_allowed(self.request, self.state):
            raise web.HTTPError(403)

    def on_message(self, message: str | bytes) -> None:
        # The protocol's messages are small flat objects; anything else (a list, a number, deep
        # nesting that exhausts the recursion limit, a huge frame) is ignored, never raised.
        if len(message) > 4096:
            return
        try:
            data = json.loads(message)
        except (ValueError, RecursionError):
            return
        if not isinstance(data, dict):
            return
        if data.get("command") == "hello":
            self.send_message({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
                               "serverName": "vestka"})
        elif data.get("command") == "info":
            self.state.clients.add(self)

    def on_close(self) -> None:
        self.state.clients.discard(self)


class _BaseHandler(web.RequestHandler):
    def initialize(self, state: _State) -> None:
        self.state = state

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def prepare(self) -> None:
        if not _host_allowed(self.request, self.state):
            raise web.HTTPError(403, reason="Host not allowed")

    def compute_etag(self) -> None:
        return None  # no conditional requests: every reload gets the current bytes


class _OwnHandler(_BaseHandler):
    def get(self, name: str) -> None:
        if name == "generation":
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.write(self.state.token)
        elif name == "live.js":
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.write(_LIVE_JS)
        else:
            self.set_header("Content-Type", "text/css; charset=utf-8")
            self.write(_SERVE_CSS)


class _SiteHandler(_BaseHandler):
    async def get(self, path: str) -> None:
        await self._answer(path)

    async def head(self, path: str) -> None:
        await self._answer(path)

    async def _answer(self, path: str) -> None:
        state = self.state
        if not state.idle.is_set():
            with contextlib.suppress(TimeoutError):  # then the previous preview, rather than nothing
                await asyncio.wait_for(state.idle.wait(), BUILD_WAIT)
        kind, found = locate(state.preview_dir, path)
        if kind == "redirect":
            query = f"?{self.request.query}" if self.request.query else ""
            # Never "//host/": a path starting with two slashes would send the browser elsewhere.
            self.redirect("/" + self.request.path.lstrip("/") + "/" + query, permanent=False)
            return
        is_page = found is None or found.suffix == ".html"
        if is_page and not state.good:  # no build of this run worked yet: nothing good to show
            self.set_status(500)
            self._send_page(page_shell("Build failed", ""))
            return
        if found is None:
            self.set_status(404)
            not_found = Path(state.preview_dir) / "404.html"
            try:
                body = not_found.read_bytes()
            except OSError:
                body = page_shell("Not found", f"<h1>Not found</h1><p>{html.escape(self.request.path)}</p>")
            self._send_page(body)
            return
        try:
            data = found.read_bytes()
        except OSError:  # swapped away between locate() and here; the next reload has it
            self.set_status(404)
            self._send_page(page_shell("Not found", "<h1>Not found</h1>"))
            return
        if found.suffix == ".html":
            self._send_page(data)
            return
        content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"  # the build writes UTF-8
        self.set_header("Content-Type", content_type)
        self.finish(data)  # tornado leaves the body out of HEAD answers

    def _send_page(self, data: bytes) -> None:
        state = self.state
        self.set_header("Content-Type", "text/html; charset=utf-8")
        body = decorate(data, port=state.port, token=state.token, problems=state.problems)
        self.set_header("Content-Length", str(len(body)))
        self.finish(body)


_SERVE_CSS = """\
.vestka-build-error { position: relative; z-index: 2147483647; margin: 0; padding: 1rem 1.25rem;
  background: #fff3f3; color: #5c0000; border-bottom: 4px solid #b00020; font: 16px/1.4 system-ui, sans-serif; }
.vestka-build-error pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .5rem 0 0;
  font: 14px/1.45 ui-monospace, monospace; color: #3a0000; }
"""

# After the reload socket is up, ask which build is current: a build that finished while this
# page was loading sent its reload to no one. Also on a page restored from the back/forward cache.
_LIVE_JS = """\
(function () {
  "use strict";
  var gen = new URL(document.currentScript.src).searchParams.get("gen");
  function check() {
    fetch("/.vestka/generation", {cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : gen; })
      .then(function (now) { if (now !== gen) { location.reload(); } })
      .catch(function () {});
  }
  document.addEventListener("LiveReloadConnect", function () { setTimeout(check, 100); });
  var lr = window.LiveReload;
  if (lr && lr.connector && lr.connector.protocol >= 7) { setTimeout(check, 100); }
  window.addEventListener("pageshow", function (e) { if (e.persisted) { check(); } });
})();
"""
