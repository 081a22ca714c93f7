"""git+file:///path/repo.git#branch and git+ssh://user@host/path/repo.git#branch — a branch holds the site.

The branch (default `gh-pages`) is cloned into a temporary folder, brought in step with output/ like a
local folder (so the same rules about changed and deleted files hold), given a `.nojekyll` (so GitHub
Pages serves folders starting with "_") and, if the target has `cname`, a CNAME file, then committed on
top of the branch and pushed. Nothing is pushed when nothing changed. Pushing never forces: if someone
else pushed in between, the deploy fails and can simply be run again.

ssh options for git+ssh come from `VESTKA_SSH_COMMAND` when set (else git's own GIT_SSH_COMMAND or
core.sshCommand). When git has no identity configured, commits are made as "Vestka <vestka@localhost>".
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Self
from urllib.parse import SplitResult, unquote

from generator import __version__
from generator.config import DeployTarget
from generator.deploy.local import FolderSession
from generator.errors import DeployError

DEFAULT_BRANCH = "gh-pages"
_IDENTITY = {"GIT_AUTHOR_NAME": "Vestka", "GIT_AUTHOR_EMAIL": "vestka@localhost",
             "GIT_COMMITTER_NAME": "Vestka", "GIT_COMMITTER_EMAIL": "vestka@localhost"}


def open_session(target: DeployTarget, url: SplitResult) -> GitSession:
    example = "git+file:///srv/site.git#gh-pages or git+ssh://git@host/org/site.git#gh-pages"
    branch = unquote(url.fragment) or DEFAULT_BRANCH
    if url.query or not url.path.strip("/"):
        raise DeployError(f"cannot deploy to {target.url!r}: write the target as {example}")
    if url.scheme == "git+file":
        if url.netloc not in ("", "localhost"):
            raise DeployError(f"cannot deploy to {target.url!r}: a git+file URL has no host; {example}")
        remote = unquote(url.path)
    else:
        if not url.hostname:
            raise DeployError(f"cannot deploy to {target.url!r}: a git+ssh URL needs a host; {example}")
        remote = url._replace(scheme="ssh", fragment="").geturl()
    if not _valid_branch(branch):
        raise DeployError(f"cannot deploy to {target.url!r}: {branch!r} is not a valid branch name")
    return GitSession(remote, branch, target)


class GitSession:
    def __init__(self, remote: str, branch: str, target: DeployTarget) -> None:
        self.remote = remote
        self.branch = branch
        self.target = target
        self._tmp = tempfile.TemporaryDirectory(prefix="vestka-git-")
        self.work = Path(self._tmp.name) / "work"
        self.env = _git_env()
        self.folder = FolderSession(self.work, target.url)

    def __enter__(self) -> Self:
        heads = self._git(["ls-remote", "--heads", self.remote, f"refs/heads/{self.branch}"], cwd=None)
        if heads.stdout.strip():
            self._git(["clone", "--quiet", "--depth", "1", "--single-branch", "--branch", self.branch,
                       self.remote, str(self.work)], cwd=None)
        else:
            self.work.mkdir()
            self._git(["init", "--quiet"])
            self._git(["checkout", "--quiet", "--orphan", self.branch])
            self._git(["remote", "add", "origin", self.remote])
        # Environment variables beat git config, so set them only where git has no identity.
        for field in ("name", "email"):
            if self._git(["config", "--get", f"user.{field}"], check=False).returncode != 0:
                for role in ("AUTHOR", "COMMITTER"):
                    key = f"GIT_{role}_{field.upper()}"
                    self.env.setdefault(key, _IDENTITY[key])
        return self

    def __exit__(self, *exc: object) -> None:
        self.folder.__exit__(*exc)
        self._tmp.cleanup()

    def read_manifest(self) -> bytes | None:
        return self.folder.read_manifest()

    def changed(self, output_dir: Path, files: dict[str, str], recorded: dict[str, str]) -> set[str]:
        clash = sorted(p for p in files if p.split("/")[0] == ".git")
        if clash:
            raise DeployError(f"cannot deploy to {self.target.url!r}: output/ contains {clash[0]}, "
                              "which git cannot store")
        return self.folder.changed(output_dir, files, recorded)

    def current(self, paths: list[str]) -> dict[str, str | None]:
        return self.folder.current(paths)

    def apply(self, output_dir: Path, upload: dict[str, str], delete: list[str], manifest: bytes | None,
              progress: Callable[[str], None]) -> None:
        self.folder.apply(output_dir, upload, delete, manifest, progress)
        if not (output_dir / ".nojekyll").exists():
            self.folder.write(".nojekyll", b"")
        if self.target.cname:
            self.folder.write("CNAME", f"{self.target.cname.strip()}\n".encode())
        self._git(["add", "--all"])
        if not self._git(["status", "--porcelain"]).stdout.strip():
            return
        progress(f"commit and push to {self.branch}")
        self._git(["commit", "--quiet", "--no-verify", "-m", f"Deploy with vestka {__version__}"])
        self._git(["push", "--quiet", "origin", f"HEAD:refs/heads/{self.branch}"])

    def _git(self, args: list[str], *, cwd: Path | bool | None = True,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        where = self.work if cwd is True else cwd
        try:
            proc = subprocess.run(["git", *args], check=False, cwd=where, env=self.env,
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise DeployError(f"cannot run git for {self.target.url!r}: {exc}; is git installed?") from None
        if check and proc.returncode != 0:
            detail = proc.stderr.strip() or f"exit code {proc.returncode}"
            raise DeployError(f"git {args[0]} for {self.target.url!r} failed: {detail}")
        return proc


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    if os.environ.get("VESTKA_SSH_COMMAND"):
        env["GIT_SSH_COMMAND"] = os.environ["VESTKA_SSH_COMMAND"]
    return env


def _valid_branch(name: str) -> bool:
    """git's rules for a branch name, the parts a URL fragment can break."""
    return bool(_BRANCH.match(name)) and ".." not in name and "//" not in name and not name.endswith(".lock")


_BRANCH = re.compile(r"^(?![-/.])[^\x00-\x20~^:?*\[\\\x7f]+(?<![/.])$")
