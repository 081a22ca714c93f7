"""rsync://user@host:port/path and ssh://user@host/path — rsync over SSH with the system's tools.

Needs `rsync` on both ends and `ssh` here, with key authentication (an agent or a key ssh finds by
itself). Extra ssh options come from the environment: `VESTKA_SSH_COMMAND` (e.g.
`ssh -i ~/.ssh/deploy_key -o StrictHostKeyChecking=accept-new`), else `RSYNC_RSH`, else plain `ssh`;
a port in the URL is added as `-p PORT`.

Every rsync call uses `--checksum`, because the quick check (size and time) skips a file rewritten with
the same size in the same second. The plan comes from rsync itself: a dry run lists the files whose
content differs at the target. Deleting uses `--delete-missing-args` on exactly the files to delete, so
no remote shell is needed and nothing else at the target can be touched.

Before anything is sent, the target folder is listed (`--list-only`, no contents): a symbolic link to a
folder on the way to a file the deploy would write or delete is an error naming it (rsync itself would
silently replace the link with a folder). The files that would be replaced or deleted are fetched to a
temporary folder and hashed here, so that a file the last deploy did not write, or one changed since,
is reported as a conflict rather than overwritten.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Self
from urllib.parse import SplitResult, unquote

from generator.config import DeployTarget
from generator.deploy.manifest import NOT_A_FILE, TARGET_MANIFEST, sha256_file
from generator.errors import DeployError

#: Options of every transfer: recurse, compare by content, keep file times (not folder times), send
#: link targets as files, create the target folder.
_RSYNC = ["--recursive", "--checksum", "--times", "--omit-dir-times", "--copy-links", "--mkpath",
          "--protect-args"]


def open_session(target: DeployTarget, url: SplitResult) -> RsyncSession:
    example = f"{url.scheme}://user@host:22/var/www/site"
    if not url.hostname or url.query or url.fragment:
        raise DeployError(f"cannot deploy to {target.url!r}: write the target as {example}")
    path = unquote(url.path)
    if path.strip("/") == "":
        raise DeployError(f"cannot deploy to {target.url!r}: the URL needs a folder path after the host, "
                          f"e.g. {example}")
    if shutil.which("rsync") is None:
        raise DeployError("cannot deploy with rsync: the 'rsync' program is not installed here; "
                          "install it (e.g. apt-get install rsync openssh-client)")
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    user = f"{unquote(url.username)}@" if url.username else ""
    ssh = os.environ.get("VESTKA_SSH_COMMAND") or os.environ.get("RSYNC_RSH") or "ssh"
    if url.port:
        ssh = f"{ssh} -p {url.port}"
    return RsyncSession(f"{user}{host}:{path.rstrip('/')}/", ssh, target.url)


class RsyncSession:
    def __init__(self, remote: str, ssh: str, where: str) -> None:
        #: "user@host:/path/" — the remote folder in rsync's notation, with a trailing slash.
        self.remote = remote
        self.ssh = ssh
        self.where = where
        self._tmp = tempfile.TemporaryDirectory(prefix="vestka-rsync-")
        self.tmp = Path(self._tmp.name)
        #: What the target holds, from `--list-only`: path -> kind ("-" file, "d" folder, "l" link, ...).
        self._kinds: dict[str, str] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def read_manifest(self) -> bytes | None:
        local = self.tmp / "manifest"
        local.mkdir()
        proc = self._rsync([f"{self.remote}{TARGET_MANIFEST}", f"{local}/"], check=False)
        if proc.returncode == 23 and "No such file or directory" in proc.stderr:
            return None  # no manifest yet, or the folder itself does not exist yet
        self._check(proc)
        return (local / TARGET_MANIFEST).read_bytes()

    def changed(self, output_dir: Path, files: dict[str, str], recorded: dict[str, str]) -> set[str]:
        kinds = self._listing()
        for rel in sorted(set(files) | set(recorded)):
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if kinds.get(folder) == "l":
                    raise DeployError(f"cannot deploy to {self.where!r}: {folder} there is a symbolic link; "
                                      "a deploy never writes or deletes through links")
        listing = self._file_list("all", sorted(files))
        proc = self._rsync(["--dry-run", "--out-format=%i %n", f"--files-from={listing}",
                            f"{output_dir}/", self.remote])
        out = set()
        for line in proc.stdout.splitlines():
            flags, _, name = line.partition(" ")
            # %i is 11 characters; "<f"/">f" means a regular file whose content would be sent.
            if len(flags) == 11 and flags[0] in "<>" and flags[1] == "f":
                out.add(name)
        unknown = out - set(files)
        if unknown:
            raise DeployError(f"rsync to {self.where!r} planned unexpected files: {sorted(unknown)[:5]}")
        return out

    def current(self, paths: list[str]) -> dict[str, str | None]:
        kinds = self._listing()
        out: dict[str, str | None] = {p: None if p not in kinds else NOT_A_FILE for p in paths}
        regular = [p for p in paths if kinds.get(p) == "-"]
        if regular:
            fetched = self.tmp / "current"
            fetched.mkdir()
            listing = self._file_list("current", regular)
            self._rsync([f"--files-from={listing}", "--ignore-missing-args", self.remote, f"{fetched}/"],
                        options=["--recursive", "--links", "--protect-args"])
            for rel in regular:
                path = fetched / rel
                out[rel] = sha256_file(path) if path.is_file() and not path.is_symlink() else None
        return out

    def _listing(self) -> dict[str, str]:
        if self._kinds is None:
            proc = self._rsync(["--list-only", self.remote], check=False,
                               options=["--recursive", "--links", "--protect-args"])
            if proc.returncode == 23 and "No such file or directory" in proc.stderr:
                self._kinds = {}  # the folder does not exist yet
            else:
                self._check(proc)
                self._kinds = {}
                for line in proc.stdout.splitlines():
                    fields = line.split(None, 4)
                    if len(fields) == 5:
                        name = fields[4].split(" -> ")[0] if fields[0].startswith("l") else fields[4]
                        self._kinds[name] = fields[0][0]
        return self._kinds

    def apply(self, output_dir: Path, upload: dict[str, str], delete: list[str], manifest: bytes | None,
              progress: Callable[[str], None]) -> None:
        for rel in upload:
            progress(f"upload {rel}")
        for rel in delete:
            progress(f"delete {rel}")
        if upload:
            listing = self._file_list("upload", upload)
            self._rsync([f"--files-from={listing}", f"{output_dir}/", self.remote])
        if delete:
            # The listed files do not exist in this folder, so rsync deletes them at the target. Their
            # parent folders must exist in it, or rsync reports those as vanished.
            empty = self.tmp / "empty"
            for rel in delete:
                (empty / rel).parent.mkdir(parents=True, exist_ok=True)
            listing = self._file_list("delete", delete)
            self._rsync(["--delete-missing-args", f"--files-from={listing}", f"{empty}/", self.remote])
        if manifest is not None:
            progress(f"write {TARGET_MANIFEST}")
            folder = self.tmp / "new-manifest"
            folder.mkdir()
            (folder / TARGET_MANIFEST).write_bytes(manifest)
            self._rsync([f"{folder}/{TARGET_MANIFEST}", self.remote])

    def _file_list(self, name: str, paths: list[str]) -> Path:
        path = self.tmp / f"{name}.list"
        path.write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")
        return path

    def _rsync(self, args: list[str], *, check: bool = True,
               options: list[str] = _RSYNC) -> subprocess.CompletedProcess[str]:
        cmd = ["rsync", *options, "--rsh", self.ssh, *args]
        try:
            proc = subprocess.run(cmd, check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise DeployError(f"cannot run rsync for {self.where!r}: {exc}") from None
        if check:
            self._check(proc)
        return proc

    def _check(self, proc: subprocess.CompletedProcess[str]) -> None:
        if proc.returncode != 0:
            detail = proc.stderr.strip() or f"exit code {proc.returncode}"
            raise DeployError(f"rsync to {self.where!r} failed: {detail}")

