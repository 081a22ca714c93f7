"""Publish a finished build to a target chosen by the scheme of its URL.

`deploy` is the whole procedure, in order: read the build manifest of output/, open the target, read
the target's manifest, ask the target which files differ, plan, and (unless a dry run) upload, delete
and write the target's manifest last. Each method lives in its own module and exposes one function,
`open_session(target, url)`, that returns a context manager with three methods:

- `read_manifest() -> bytes | None`: the target's `.vestka-deploy.json`, or None when there is none;
- `changed(output_dir, files, recorded) -> set[str]`: which of `files` differ at the target, computed
  from the target where that is cheap (folders, git trees, rsync's checksums) and from `recorded`
  (the target's manifest) and a listing where it is not (S3);
- `current(paths) -> dict[str, str | None]`: what each path holds at the target now: the SHA-256 of a
  regular file, None when there is nothing, or `NOT_A_FILE`;
- `apply(output_dir, upload, delete, manifest, progress)`: carry out the plan; `upload` maps each path to
  its SHA-256; `manifest` is the new target manifest (None when it is unchanged) and goes last.

A deploy replaces or deletes only what the last deploy wrote and nobody changed since: a path whose
current content is neither absent nor the recorded hash is a conflict. Conflicts stop the deploy before
anything is sent (`--dry-run` lists them); `force=True` replaces and deletes them anyway. A file that
already holds exactly the bytes of the build is taken as the deploy's own.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import SplitResult, urlsplit

from generator.config import DeployTarget
from generator.deploy import git, local, rsync, s3
from generator.deploy.manifest import (
    NOT_A_FILE,
    TARGET_MANIFEST,
    parse_manifest,
    read_build_output,
    render_manifest,
    unlisted_files,
)
from generator.errors import DeployError, Problem

__all__ = ["METHODS", "DeployResult", "deploy", "parse_target_url", "resolve_target"]

#: URL scheme → the function that opens a session with such a target.
METHODS: Mapping[str, Callable] = MappingProxyType({
    "file": local.open_session,
    "rsync": rsync.open_session,
    "ssh": rsync.open_session,
    "git+file": git.open_session,
    "git+ssh": git.open_session,
    "s3": s3.open_session,
})

_EXAMPLES = ("file:///var/www/site", "rsync://user@host:22/var/www/site", "ssh://user@host/var/www/site",
             "git+file:///srv/site.git#gh-pages", "git+ssh://git@host/org/site.git#gh-pages",
             "s3://bucket/prefix?region=eu-central-1&endpoint=https://s3.example.org")


@dataclass(frozen=True, slots=True)
class DeployResult:
    """What a deploy did, or would do in a dry run. Paths are relative to output/, sorted."""

    target: DeployTarget
    dry_run: bool
    #: Files sent to the target (new or changed).
    uploaded: list[str]
    #: Files removed from the target (only with `delete: true`, only ones a deploy put there).
    deleted: list[str]
    #: Files already at the target with the same content.
    unchanged: list[str]
    #: Files a deploy put there that output/ no longer has, left in place because `delete` is off.
    kept: list[str] = field(default_factory=list)
    #: Things the user should know, e.g. files in output/ that the build manifest does not list.
    warnings: list[str] = field(default_factory=list)
    #: Paths at the target that the last deploy did not write or that changed since, as "path: why".
    #: A deploy with conflicts stops before changing anything unless forced; then they are replaced.
    conflicts: list[str] = field(default_factory=list)

    def plan_lines(self) -> list[str]:
        lines = [f"conflict {c}" for c in self.conflicts]
        lines += [f"upload {p}" for p in self.uploaded] + [f"delete {p}" for p in self.deleted]
        lines += [f"keep {p} (no longer built; set delete: true to remove it)" for p in self.kept]
        return lines

    def summary(self) -> str:
        text = f"upload {len(self.uploaded)}, delete {len(self.deleted)}, unchanged {len(self.unchanged)}"
        return text + (f", conflicts {len(self.conflicts)}" if self.conflicts else "")


def resolve_target(targets: tuple[DeployTarget, ...], name_or_url: str | None) -> DeployTarget:
    """The target named on the command line, a target made from a URL given there, or the default."""
    if name_or_url is None:
        if not targets:
            raise DeployError("no deploy target: none is configured and none was given", [Problem(
                "error", "config.yaml", None, "no 'deploy' targets",
                "add one, e.g. 'deploy: {production: {url: \"rsync://user@host/var/www/site\"}}', "
                "or pass a URL: vestka deploy file:///var/www/site")])
        return targets[0]
    for target in targets:
        if target.name == name_or_url:
            return target
    if "://" in name_or_url:
        try:
            parse_target_url(name_or_url)
        except DeployError as exc:  # the URL came from the command line: a usage error
            raise DeployError(exc.args[0], exc.problems, usage=True) from None
        return DeployTarget(name=name_or_url, url=name_or_url)
    names = [t.name for t in targets]
    close = difflib.get_close_matches(name_or_url, names, n=1)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif names:
        hint = f"configured targets: {', '.join(names)}; or pass a URL such as {_EXAMPLES[0]}"
    else:
        hint = f"no targets are configured; pass a URL such as {_EXAMPLES[0]}"
    raise DeployError(f"unknown deploy target {name_or_url!r}", [
        Problem("error", "config.yaml", None, f"no target named {name_or_url!r} under 'deploy'", hint)], usage=True)


def parse_target_url(url: str) -> SplitResult:
    """Split a target URL; DeployError naming the URL and the supported schemes when unusable."""
    schemes = ", ".join(f"{s}://" for s in METHODS)
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise DeployError(f"cannot parse deploy URL {url!r}: {exc}; supported schemes: {schemes}") from None
    if parts.scheme not in METHODS:
        said = f"unknown scheme {parts.scheme + '://'!r}" if parts.scheme else "no scheme"
        raise DeployError(f"cannot deploy to {url!r}: {said}; supported schemes: {schemes} "
                          f"(for example {'; '.join(_EXAMPLES)})")
    return parts


def deploy(output_dir: Path, target: DeployTarget, *, dry_run: bool = False, force: bool = False,
           progress: Callable[[str], None] | None = None) -> DeployResult:
    """Make `target` hold the finished build in `output_dir`, sending only what changed.

    Refuses, before changing anything, to replace or delete a file that the last deploy did not write
    or that was changed at the target since, unless `force` is set.
    """
    url = parse_target_url(target.url)
    files = read_build_output(output_dir)
    say = progress or _quiet
    with METHODS[url.scheme](target, url) as session:
        raw = session.read_manifest()
        recorded = parse_manifest(raw, f"{target.url} {TARGET_MANIFEST}") if raw is not None else {}
        changed = session.changed(output_dir, files, recorded)
        stale = sorted(set(recorded) - set(files))
        current = session.current(sorted(changed | set(stale)))
        conflicts = [f"{p}: {why}" for p in sorted(changed | set(stale))
                     if (why := _conflict(p, current.get(p), recorded.get(p)))]
        # A recorded file that is already gone needs neither deleting nor keeping.
        stale = [p for p in stale if current.get(p) is not None]
        result = DeployResult(
            target=target,
            dry_run=dry_run,
            uploaded=sorted(p for p in files if p in changed),
            deleted=stale if target.delete else [],
            unchanged=sorted(p for p in files if p not in changed),
            kept=[] if target.delete else stale,
            warnings=[f"{p} is in the output folder but not in the build manifest; not deployed"
                      for p in unlisted_files(output_dir, files)],
            conflicts=conflicts,
        )
        if dry_run:
            return result
        if conflicts and not force:
            raise DeployError(
                f"refusing to deploy to {target.url!r}: {len(conflicts)} file(s) there were not written by "
                "the last deploy or were changed since; nothing was changed",
                [Problem("error", line.partition(": ")[0], None, line.partition(": ")[2],
                         "check it at the target; 'vestka deploy --dry-run' lists every conflict, "
                         "'vestka deploy --force' replaces them") for line in conflicts])
        # Files kept at the target stay listed, so that turning `delete` on later removes them.
        new = {p: recorded[p] for p in result.kept} | files
        manifest = render_manifest(new)
        session.apply(output_dir, {p: files[p] for p in result.uploaded}, result.deleted,
                      None if manifest == raw else manifest, say)
    return result


def _conflict(path: str, now: str | None, recorded: str | None) -> str:
    """Why replacing or deleting `path` would destroy something the last deploy did not write; or ""."""
    if now is None or now == recorded:
        return ""
    if now == NOT_A_FILE:
        return "is not a regular file at the target (a link or a folder)"
    if recorded is None:
        return "exists at the target but was not written by a Vestka deploy"
    return "was changed at the target since the last deploy"


def _quiet(_message: str) -> None:
    pass
