"""A disk that fills up, an output folder that cannot be replaced, and a build killed with its workers.

Each must be a clear error (exit 1, the folder or file named, what to do) that leaves output/
exactly as it was, and the next build after the condition is fixed must succeed. The
conditions are real: a small tmpfs or a read-only bind mount in a private mount namespace
(`unshare --mount`, which needs root or CAP_SYS_ADMIN), `chattr +i`, a build run without the
capabilities that let root write into read-only folders, and SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import article
from test_hardening_crash import ENV, VESTKA, leftovers, tree_state, write_site

from generator.build import Options, build
from generator.config import load_config
from generator.manifest import MANIFEST, read_manifest


def run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)


def vestka(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return run([*prefix, *VESTKA, *args])


def assert_clear_failure(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 1, no traceback, no 'internal error', and every `expected` text in the message."""
    assert proc.returncode == 1, f"exit {proc.returncode}:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    for text in expected:
        assert text in proc.stderr, f"{text!r} not in:\n{proc.stderr}"


def reference_state(site: Path, tmp_path: Path, name: str) -> dict[str, str]:
    """The output of a clean build of `site`'s sources, made elsewhere."""
    copy = tmp_path / name
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    shutil.copy(site / "config.yaml", copy / "config.yaml")
    shutil.copytree(site / "content", copy / "content")
    build(load_config(copy), Options(use_cache=False))
    return tree_state(copy / "output")


def assert_complete(output: Path) -> None:
    """output/ holds exactly the files its manifest lists, with those bytes."""
    files = read_manifest(output)
    assert files is not None, "output/ has no manifest"
    state = tree_state(output)
    state.pop(MANIFEST)
    assert state == files, "output/ differs from its manifest"


class Namespace:
    """A private mount namespace kept open by a sleeping process; files are reached through /proc."""

    def __init__(self, holder: subprocess.Popen[str]) -> None:
        self.holder = holder

    def view(self, path: Path) -> Path:
        """`path` as the namespace sees it, from outside."""
        return Path(f"/proc/{self.holder.pid}/root{path}")

    def run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        return run(["nsenter", "-t", str(self.holder.pid), "-m", "--", *cmd])

    def vestka(self, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return self.run(*prefix, *VESTKA, *args)


@contextlib.contextmanager
def namespace(setup: str) -> Iterator[Namespace]:
    """A private mount namespace in which the shell commands `setup` ran (mounts, usually)."""
    for tool in ("unshare", "nsenter", "mount"):
        assert shutil.which(tool), f"this test needs the '{tool}' command (util-linux)"
    holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                               f"set -e; {setup}; echo ready; exec sleep 3600"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = holder.stdout.readline() if holder.stdout else ""
        if line.strip() != "ready":
            holder.wait(timeout=10)
            err = holder.stderr.read() if holder.stderr else ""
            pytest.fail("this test needs a private mount namespace with mounts of its own "
                        f"(root, or CAP_SYS_ADMIN, for 'unshare --mount' and 'mount'): {err.strip()}")
        yield Namespace(holder)
    finally:
        holder.kill()
        holder.wait(timeout=10)


# --- a disk that fills up ---------------------------------------------------------------------


def fill(disk: Path, headroom: int) -> Path:
    """Fill the file system of `disk` up to `headroom` bytes; returns the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 16, 1 << 12):  # big blocks, then the last pages
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
        if headroom:
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - headroom))
    finally:
        os.close(fd)
    return filler


@pytest.mark.parametrize("where", ["site", "output"])
def test_a_disk_that_fills_up_is_a_clear_error_and_output_stays_as_it_was(tmp_path: Path, where: str) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    with namespace(f"mount -t tmpfs -o size=6m tmpfs {disk}") as ns:
        if where == "site":  # the whole site on the full disk: cache and output with it
            site, args = disk / "site", ()
        else:  # the site on a roomy disk, output/ on the full one
            site, args = tmp_path / "site", ("--output", str(disk / "output"))
        output = site / "output" if where == "site" else disk / "output"
        write_site(ns.view(site), articles=30, version=0)
        for version in (0, 1):  # two builds: the next one prepares itself in the build before last
            write_site(ns.view(site), articles=30, version=version)
            first = ns.vestka("build", "--site", str(site), *args)
            assert first.returncode == 0, first.stderr
        before = tree_state(ns.view(output))
        failures = 0
        for version, headroom in enumerate((0, 48 * 1024, 256 * 1024, 512 * 1024), start=2):
            write_site(ns.view(site), articles=40, version=version)
            filler = fill(ns.view(disk), headroom)
            proc = ns.vestka("build", "--site", str(site), *args)
            if proc.returncode == 0:  # enough room after all: a new, complete build
                before = tree_state(ns.view(output))
            else:
                failures += 1
                assert_clear_failure(proc, "the disk is full", "free some space")
                # The file is named as it would have been in output/, not where it was prepared.
                assert re.match(r"output/\S+: error: cannot be written: the disk is full", proc.stderr), proc.stderr
                assert tree_state(ns.view(output)) == before, "a failed build changed output/"
            filler.unlink()
        assert failures, "no build ran out of space: the test did not fill the disk"
        done = ns.vestka("build", "--site", str(site), *args)
        assert done.returncode == 0, f"the build after space was freed failed:\n{done.stderr}"
        assert tree_state(ns.view(output)) == reference_state(ns.view(site), tmp_path, "reference")
        if where == "site":
            assert leftovers(ns.view(site)) == []


# --- an output folder that cannot be replaced -------------------------------------------------


def built_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_site(site, articles=5, version=0)
    assert vestka("build", "--site", str(site)).returncode == 0
    write_site(site, articles=6, version=1)
    return site


def test_an_output_folder_on_a_read_only_mount_is_a_clear_error(tmp_path: Path) -> None:
    site = built_site(tmp_path)
    output = site / "output"
    before = tree_state(output)
    with namespace(f"mount --bind {output} {output}; mount -o remount,bind,ro {output}") as ns:
        proc = ns.vestka("build", "--site", str(site))
        assert_clear_failure(proc, "output: error: cannot be replaced", "mount")
        assert tree_state(ns.view(output)) == before
    # output/ inside a read-only mount (another disk than the site's, as a web server's folder may be).
    public = tmp_path / "public"
    public.mkdir()
    elsewhere = public / "www"
    assert vestka("build", "--site", str(site), "--output", str(elsewhere)).returncode == 0
    write_site(site, articles=6, version=2)
    outside = tree_state(elsewhere)
    with namespace(f"mount --bind {public} {public}; mount -o remount,bind,ro {public}") as ns:
        proc = ns.vestka("build", "--site", str(site), "--output", str(elsewhere))
        assert_clear_failure(proc, "www: error: cannot be replaced: it is on a read-only file system",
                             "mount that file system read-write")
        assert tree_state(ns.view(elsewhere)) == outside
    # The whole site read-only: not even the cache can be written.
    with namespace(f"mount --bind {site} {site}; mount -o remount,bind,ro {site}") as ns:
        proc = ns.vestka("build", "--site", str(site))
        assert_clear_failure(proc, "read-only file system", "read-write")
        named = proc.stderr.partition(": error:")[0]
        assert (site / named).exists() or (site / named).parent.is_dir(), f"{named!r} is not a path of the site"
        assert ("the build before last" in proc.stderr) == ("/previous/" in named), proc.stderr
        assert tree_state(ns.view(output)) == before
    done = vestka("build", "--site", str(site))
    assert done.returncode == 0, done.stderr
    assert tree_state(output) == reference_state(site, tmp_path, "reference")


def test_an_immutable_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    site = built_site(tmp_path)
    output = site / "output"
    before = tree_state(output)
    flag = run(["chattr", "+i", str(output)])
    assert flag.returncode == 0, f"this test needs chattr +i (root with CAP_LINUX_IMMUTABLE): {flag.stderr}"
    try:
        proc = vestka("build", "--site", str(site))
        assert_clear_failure(proc, "output: error: cannot be replaced", "immutable", "chattr -i")
        assert tree_state(output) == before
    finally:
        run(["chattr", "-i", str(output)])
    done = vestka("build", "--site", str(site))
    assert done.returncode == 0, done.stderr
    assert tree_state(output) == reference_state(site, tmp_path, "reference")


def test_an_immutable_file_in_output_is_a_clear_error_naming_where_it_is_now(tmp_path: Path) -> None:
    site = built_site(tmp_path)
    output = site / "output"
    flag = run(["chattr", "+i", str(output / "en/index.html")])
    assert flag.returncode == 0, f"this test needs chattr +i (root with CAP_LINUX_IMMUTABLE): {flag.stderr}"
    try:
        # The flagged file is also the build before last's (a first build leaves its files linked
        # there, where the next build is prepared): that build cannot replace it.
        before = tree_state(output)
        for version in (2, 3):  # the second also finds the build before last without its manifest
            write_site(site, articles=6, version=version)
            proc = vestka("build", "--site", str(site))
            assert_clear_failure(proc, "/previous/en/index.html: error: cannot be written", "immutable",
                                 "the build before last", "chattr -i")
            assert proc.stderr.startswith(".vestka-cache/builds/"), proc.stderr
            assert tree_state(output) == before
        named = site / proc.stderr.partition(":")[0]
        assert run(["chattr", "-i", str(named)]).returncode == 0
    finally:
        run(["chattr", "-R", "-i", str(site)])
    done = vestka("build", "--site", str(site))
    assert done.returncode == 0, done.stderr
    assert tree_state(output) == reference_state(site, tmp_path, "reference")


#: Root as an ordinary user: without these capabilities, file permissions hold for root too.
AS_ORDINARY_USER = ("setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")


def test_a_read_only_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    assert shutil.which("setpriv"), "this test needs the 'setpriv' command (util-linux)"
    site = built_site(tmp_path)
    output = site / "output"
    before = tree_state(output)
    probe = run([*AS_ORDINARY_USER, "sh", "-c", f"chmod a-w {output} && ! touch {output}/probe 2>/dev/null"])
    assert probe.returncode == 0, f"setpriv could not drop the capabilities that override permissions: {probe.stderr}"
    try:
        proc = vestka("build", "--site", str(site), prefix=AS_ORDINARY_USER)
        assert_clear_failure(proc, "output: error: cannot be replaced", "permission denied", "chmod u+rw")
        assert tree_state(output) == before
    finally:
        output.chmod(0o755)
    done = vestka("build", "--site", str(site))
    assert done.returncode == 0, done.stderr
    assert tree_state(output) == reference_state(site, tmp_path, "reference")


# --- a build killed while its workers render and write ----------------------------------------


def children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as handle:
                found |= {int(c) for c in handle.read().split()}
    return found


def files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below `folder` with its size and time."""
    found = {}
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            st = path.lstat()
            found[path.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False


SLOW_WORKERS = """
import time
from generator.parallel import MIN_PARALLEL_ITEMS, ordered_imap

def slow(item):
    time.sleep(60)  # a worker busy with its slice of pages
    return item

for _ in ordered_imap(slow, list(range(MIN_PARALLEL_ITEMS)), workers=2):
    pass
"""


def test_workers_end_the_moment_the_process_that_forked_them_is_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WORKERS], env=ENV)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            time.sleep(0.01)
        assert len(workers) == 2, f"the pool did not start its 2 workers (exit {proc.poll()})"
        time.sleep(0.3)  # both in their first task
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 0.5  # time for the kernel to end them, not for a task to finish
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.01)
        survivors = [pid for pid in workers if alive(pid)]
        assert not survivors, f"workers outlived the process that forked them: {survivors}"
    finally:
        for pid in [proc.pid, *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_workers_of_a_build_killed_mid_render_die_with_it_and_the_next_build_succeeds(tmp_path: Path) -> None:
    from generator.parallel import workers_available

    assert workers_available() >= 2, "this test needs 2 cores: with one, pages are rendered without workers"
    site = tmp_path / "site"
    for version in (100, 101):  # output/ and the build before last both in place
        write_site(site, articles=500, version=version)
        first = vestka("build", "--site", str(site))
        assert first.returncode == 0, first.stderr
    spare = next(site.glob(".vestka-cache/builds/*/previous"))
    killed = 0
    for version, delay in enumerate((0.0, 0.03, 0.06, 0.1, 0.15), start=1):
        write_site(site, articles=500, version=version)
        proc = subprocess.Popen([*VESTKA, "build", "--site", str(site)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=ENV)
        # Rendering starts when the build before last loses its manifest (it is being rewritten)
        # and the workers are forked; they are busiest with their first slices of pages.
        deadline = time.monotonic() + 120
        while ((spare / MANIFEST).exists() or len(children(proc.pid)) < 2) and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay)
        workers = children(proc.pid)
        if proc.poll() is not None or not workers:
            proc.wait(timeout=120)
            continue  # too late: rendering was over
        os.kill(proc.pid, signal.SIGKILL)  # the build alone: its workers are not killed by this test
        proc.wait(timeout=30)
        killed += 1
        # Time for the kernel to end them, far less than a worker takes to finish its slice of pages.
        deadline = time.monotonic() + 0.25
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.01)
        survivors = [pid for pid in workers if alive(pid)]
        at_death = files_of(site / ".vestka-cache/builds")
        time.sleep(0.3)
        went_on = files_of(site / ".vestka-cache/builds") != at_death
        after = vestka("build", "--site", str(site))  # at once, while a dying worker may still hold the lock
        for pid in survivors:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not survivors, f"round {version}: workers of the killed build outlived it: {survivors}"
        assert not went_on, f"round {version}: workers of the killed build went on writing pages after it died"
        assert after.returncode == 0, f"round {version}: the build after the kill failed:\n{after.stderr}"
        assert "Traceback" not in after.stderr, after.stderr
        assert_complete(site / "output")
        assert leftovers(site) == []
    assert killed >= 3, f"only {killed} builds were killed while their workers rendered"
    assert tree_state(site / "output") == reference_state(site, tmp_path, "reference")


# --- files added to output/ by hand -----------------------------------------------------------


def test_a_file_added_to_output_by_hand_is_kept_with_a_warning_on_every_build(make_site, tmp_path: Path) -> None:
    site = make_site({"content/en/a.md": article("A", "2011-01-01")})
    config = load_config(site)
    build(config, Options())
    (site / "output/google1234.html").write_text("verification", encoding="utf-8")
    (site / "output/en/extra").mkdir()
    (site / "output/en/extra/notes.txt").write_text("mine", encoding="utf-8")
    for round_number in range(1, 5):
        (site / "content/en/a.md").write_text(article("A", "2011-01-01", f"Version {round_number}."),
                                              encoding="utf-8")
        result = build(config, Options())
        assert result.files_written, "the build wrote nothing: this test needs builds that write"
        assert (site / "output/google1234.html").read_text(encoding="utf-8") == "verification", round_number
        assert (site / "output/en/extra/notes.txt").read_text(encoding="utf-8") == "mine", round_number
        texts = [str(p) for p in result.problems]
        for rel in ("output/google1234.html", "output/en/extra/notes.txt"):
            assert any(t.startswith(f"{rel}: warning: ") and "not made by the build" in t for t in texts), (
                f"round {round_number}: no warning about {rel}: {texts}")
    assert "google1234.html" not in read_manifest(site / "output")


def test_files_added_by_hand_stay_put_over_builds_that_write_and_builds_that_do_not(
        make_site, tmp_path: Path) -> None:
    site = make_site({"content/en/a.md": article("A", "2011-01-01")})
    config = load_config(site)
    build(config, Options())
    output = site / "output"
    (output / "en/empty").mkdir()
    (output / "en/later").write_text("a file where the build will need a folder", encoding="utf-8")
    (output / "en/2011/01/a/index.html").with_name("note.txt").write_text("beside a page", encoding="utf-8")
    hand = {"en/later": "a file where the build will need a folder", "en/2011/01/a/note.txt": "beside a page"}
    spare = next(site.glob(".vestka-cache/builds/*")) / "previous"
    for round_number in range(1, 7):
        if round_number % 2:  # every other build writes; the others are no-op builds
            (site / "content/en/a.md").write_text(article("A", "2011-01-01", f"Version {round_number}."),
                                                  encoding="utf-8")
        result = build(config, Options())
        for rel, text in hand.items():
            assert (output / rel).read_text(encoding="utf-8") == text, (round_number, rel)
            assert not (spare / rel).exists(), f"round {round_number}: {rel} is also in the build before last"
        assert (output / "en/empty").is_dir(), round_number
        assert not (spare / "en/empty").exists(), round_number
        warned = {p.file for p in result.problems if "not made by the build" in p.message}
        assert warned == {"output/en/later", "output/en/2011/01/a/note.txt", "output/en/empty/"}, round_number
    # The build now needs en/later as a folder: the build's files win, the hand-made file is set aside.
    (site / "content/en/later").mkdir()
    (site / "content/en/later/report.pdf").write_bytes(b"%PDF-1.4 report")
    result = build(config, Options())
    assert (output / "en/later/report.pdf").read_bytes() == b"%PDF-1.4 report"
    state, files = tree_state(output), read_manifest(output)
    assert files is not None and {rel: state.get(rel) for rel in files} == files, "a file of the build is missing"
    aside = [p for p in result.problems if p.file == "output/en/later"]
    assert aside and "set aside in" in aside[0].message, [str(p) for p in result.problems]
    kept = Path(aside[0].message.rpartition("set aside in ")[2])
    assert kept.read_text(encoding="utf-8") == "a file where the build will need a folder"


def test_a_leftover_lock_of_a_killed_build_does_not_wedge_the_next(tmp_path: Path) -> None:
    site = built_site(tmp_path)
    lock = next(site.glob(".vestka-cache/builds/*/lock"))
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.write_text(str(dead.pid), encoding="ascii")  # the build that wrote this is gone; nothing holds the lock
    done = vestka("build", "--site", str(site))
    assert done.returncode == 0, done.stderr


def test_a_process_of_a_killed_build_that_still_holds_the_lock_is_named_in_a_clear_error(tmp_path: Path) -> None:
    site = built_site(tmp_path)
    output = site / "output"
    before = tree_state(output)
    lock = next(site.glob(".vestka-cache/builds/*/lock"))
    # What a render worker of a killed build is: a process holding the lock its build took.
    orphan = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time\n"
                               f"handle = open({str(lock)!r}, 'a+b')\n"
                               "fcntl.flock(handle, fcntl.LOCK_EX)\n"
                               "print('locked', flush=True)\n"
                               "time.sleep(600)"], stdout=subprocess.PIPE, text=True)
    try:
        assert orphan.stdout is not None and orphan.stdout.readline().strip() == "locked"
        dead = subprocess.Popen(["true"])
        dead.wait()
        lock.write_text(str(dead.pid), encoding="ascii")  # the build that took the lock was killed
        proc = vestka("build", "--site", str(site))
        assert_clear_failure(proc, f"process {orphan.pid} of a build that was killed", f"kill {orphan.pid}")
        assert tree_state(output) == before
    finally:
        orphan.kill()
        orphan.wait(timeout=10)
    done = vestka("build", "--site", str(site))
    assert done.returncode == 0, done.stderr
    assert tree_state(output) == reference_state(site, tmp_path, "reference")
