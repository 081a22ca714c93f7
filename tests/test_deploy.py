"""Deploy against real targets on 127.0.0.1: a folder, sshd + rsync, bare git repos, SeaweedFS S3.

The same behaviour is asserted for every method through a small `Remote` view of each target that
reads back what is really there (walk the folder, clone the branch, list the bucket).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.config import DeployTarget
from generator.deploy import DeployResult, deploy, parse_target_url, resolve_target
from generator.deploy.s3 import content_type
from generator.errors import DeployError

# The server fixtures live in deploy_servers.py; asserts there are rewritten like in this file.
pytest.register_assert_rewrite("deploy_servers")
pytest_plugins = ["deploy_servers"]

from deploy_servers import S3Server, SSHServer, folder_files, free_port, git, make_output  # noqa: E402

SITE = {
    "index.html": "<!doctype html><title>Home</title>",
    "en/2012/05/flood-relief/index.html": "<!doctype html><title>Flood relief</title><p>v1</p>",
    "en/2013/01/annual-report/index.html": "<!doctype html><title>Annual report</title>",
    "css/site.css": "body { color: #222 }",
    "js/search.js": "console.log('search')",
    "feed.xml": "<?xml version='1.0'?><feed/>",
    "search.json": '{"pages": []}',
    "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "img/photo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "site.webmanifest": '{"name": "Archive"}',
    "robots.txt": "User-agent: *\n",
}
ARTICLE = "en/2012/05/flood-relief/index.html"


@dataclass
class Remote:
    """One deploy target and a way to read back, and to tamper with, what is stored there."""

    url: str
    #: Files the method itself adds beside the site (e.g. .nojekyll on git branches).
    extras: frozenset[str]
    read: Callable[[], dict[str, bytes]]
    put_foreign: Callable[[str, bytes], None]

    def target(self, *, delete: bool = False, cname: str | None = None) -> DeployTarget:
        return DeployTarget(name="test", url=self.url, delete=delete, cname=cname)

    def site_files(self) -> dict[str, bytes]:
        """What the target holds, minus the deploy's own bookkeeping files."""
        return {p: d for p, d in self.read().items() if p not in self.extras and p != ".vestka-deploy.json"}


def _folder_remote(url: str, root: Path) -> Remote:
    def put(rel: str, data: bytes) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)

    return Remote(url, frozenset(), lambda: folder_files(root) if root.exists() else {}, put)


def _git_remote(url: str, repo: Path, tmp_path: Path) -> Remote:
    def read() -> dict[str, bytes]:
        if not git("--git-dir", str(repo), "branch", "--list", "gh-pages").strip():
            return {}
        clone = tmp_path / f"clone-{uuid.uuid4().hex}"
        git("clone", "--quiet", "--branch", "gh-pages", str(repo), str(clone))
        return folder_files(clone, skip=(".git",))

    def put(rel: str, data: bytes) -> None:
        clone = tmp_path / f"clone-{uuid.uuid4().hex}"
        if git("--git-dir", str(repo), "branch", "--list", "gh-pages").strip():
            git("clone", "--quiet", "--branch", "gh-pages", str(repo), str(clone))
        else:  # a branch made by hand before the first deploy
            git("init", "--quiet", "--initial-branch", "gh-pages", str(clone))
            git("remote", "add", "origin", str(repo), cwd=clone)
        (clone / rel).parent.mkdir(parents=True, exist_ok=True)
        (clone / rel).write_bytes(data)
        git("add", rel, cwd=clone)
        git("commit", "--quiet", "-m", "by hand", cwd=clone)
        git("push", "--quiet", "origin", "gh-pages", cwd=clone)

    return Remote(url, frozenset({".nojekyll"}), read, put)


def _s3_remote(server: S3Server) -> Remote:
    client = server.client()
    bucket = f"site-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)

    def read() -> dict[str, bytes]:
        out = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="archive/"):
            for item in page.get("Contents", []):
                out[item["Key"].removeprefix("archive/")] = client.get_object(
                    Bucket=bucket, Key=item["Key"])["Body"].read()
        return out

    def put(rel: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=f"archive/{rel}", Body=data)

    url = f"s3://{bucket}/archive?endpoint={server.endpoint}&region=us-east-1"
    return Remote(url, frozenset(), read, put)


# ssh:// runs the same code as rsync://; it has its own test below rather than the whole set.
METHODS = ["file", "rsync", "git+file", "git+ssh", "s3"]


@pytest.fixture(params=METHODS)
def remote(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Remote:
    kind = request.param
    if kind == "file":
        return _folder_remote(f"file://{tmp_path / 'www'}", tmp_path / "www")
    if kind in ("rsync", "ssh", "git+ssh"):
        server: SSHServer = request.getfixturevalue("sshd")
        monkeypatch.setenv("VESTKA_SSH_COMMAND", server.ssh_command)
        if kind == "git+ssh":
            repo = request.getfixturevalue("bare_repo")
            return _git_remote(server.url("git+ssh", repo) + "#gh-pages", repo, tmp_path)
        return _folder_remote(server.url(kind, tmp_path / "www"), tmp_path / "www")
    if kind == "git+file":
        repo = request.getfixturevalue("bare_repo")
        return _git_remote(f"git+file://{repo}#gh-pages", repo, tmp_path)
    return _s3_remote(request.getfixturevalue("s3_env"))


def expected(files: dict[str, bytes | str]) -> dict[str, bytes]:
    return {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}


# --- behaviour shared by every method ---------------------------------------------------------------


def test_first_deploy_uploads_every_file_and_the_target_equals_output(remote: Remote, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)

    result = deploy(out, remote.target())

    assert result.uploaded == sorted(SITE)
    assert result.deleted == [] and result.unchanged == []
    assert result.summary() == f"upload {len(SITE)}, delete 0, unchanged 0"
    stored = remote.read()
    assert remote.site_files() == expected(SITE)
    assert ".vestka-manifest.json" not in stored  # the build's own bookkeeping stays home
    manifest = json.loads(stored[".vestka-deploy.json"])
    assert sorted(manifest["files"]) == sorted(SITE)


def test_second_deploy_without_changes_uploads_nothing(remote: Remote, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    deploy(out, remote.target())
    before = remote.read()

    result = deploy(out, remote.target())

    assert result.uploaded == [] and result.deleted == []
    assert result.unchanged == sorted(SITE)
    assert result.summary() == f"upload 0, delete 0, unchanged {len(SITE)}"
    assert remote.read() == before


def test_same_size_edit_of_one_article_uploads_only_that_file(remote: Remote, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    deploy(out, remote.target())
    edited = SITE[ARTICLE].replace("v1", "v2")
    assert len(edited) == len(SITE[ARTICLE])
    stamp = (out / ARTICLE).stat()
    make_output(out, {**SITE, ARTICLE: edited})
    # Same size and same time: the case rsync's quick check (without --checksum) would skip.
    os.utime(out / ARTICLE, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    result = deploy(out, remote.target())

    assert result.uploaded == [ARTICLE]
    assert len(result.unchanged) == len(SITE) - 1
    assert remote.site_files()[ARTICLE] == edited.encode()


def test_removed_file_is_kept_without_delete_and_removed_with_it(remote: Remote, tmp_path: Path):
    gone = "en/2013/01/annual-report/index.html"
    out = make_output(tmp_path / "output", SITE)
    deploy(out, remote.target())
    remote.put_foreign("uploads/by-hand.pdf", b"%PDF put there by a person")
    smaller = {p: d for p, d in SITE.items() if p != gone}
    make_output(out, smaller)

    kept = deploy(out, remote.target(delete=False))

    assert kept.deleted == [] and kept.kept == [gone]
    assert any("delete: true" in line for line in kept.plan_lines())
    assert gone in remote.site_files()

    removed = deploy(out, remote.target(delete=True))

    assert removed.deleted == [gone] and removed.uploaded == []
    files = remote.site_files()
    assert gone not in files
    assert files["uploads/by-hand.pdf"] == b"%PDF put there by a person"  # not ours: never deleted
    assert {p: d for p, d in files.items() if p != "uploads/by-hand.pdf"} == expected(smaller)

    again = deploy(out, remote.target(delete=True))
    assert again.deleted == [] and again.kept == []


def test_dry_run_reports_the_plan_and_changes_nothing(remote: Remote, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)

    first = deploy(out, remote.target(), dry_run=True)

    assert first.dry_run and first.uploaded == sorted(SITE)
    assert remote.read() == {}

    deploy(out, remote.target())
    before = remote.read()
    changed = {p: d for p, d in SITE.items() if p != "robots.txt"}
    changed["index.html"] = "<!doctype html><title>New home</title>"
    changed["en/new/index.html"] = "new"
    make_output(out, changed)

    plan = deploy(out, remote.target(delete=True), dry_run=True)

    assert plan.uploaded == ["en/new/index.html", "index.html"]
    assert plan.deleted == ["robots.txt"]
    assert plan.plan_lines() == ["upload en/new/index.html", "upload index.html", "delete robots.txt"]
    assert plan.summary() == f"upload 2, delete 1, unchanged {len(SITE) - 2}"
    assert remote.read() == before


def test_progress_reports_each_upload_and_the_manifest_last(remote: Remote, tmp_path: Path):
    out = make_output(tmp_path / "output", {"a.html": "a", "b.html": "b"})
    messages: list[str] = []

    deploy(out, remote.target(), progress=messages.append)

    assert "upload a.html" in messages and "upload b.html" in messages
    uploads = [i for i, m in enumerate(messages) if m.startswith("upload")]
    assert messages.index("write .vestka-deploy.json") > max(uploads)


# --- files the deploy did not write: the same rules for every method --------------------------------


def test_first_deploy_never_replaces_files_it_did_not_write(remote: Remote, tmp_path: Path):
    remote.put_foreign("robots.txt", b"User-agent: *\nDisallow: /private/\n")
    remote.put_foreign("index.html", b"<p>made by hand</p>")
    before = remote.read()
    out = make_output(tmp_path / "output", SITE)

    with pytest.raises(DeployError) as info:
        deploy(out, remote.target(delete=True))

    text = str(info.value)
    assert "index.html: error: exists at the target but was not written by a Vestka deploy" in text
    assert "robots.txt: error: exists" in text and "--force" in text
    assert remote.read() == before  # nothing sent, nothing deleted, no manifest

    plan = deploy(out, remote.target(delete=True), dry_run=True)

    assert plan.conflicts == ["index.html: exists at the target but was not written by a Vestka deploy",
                              "robots.txt: exists at the target but was not written by a Vestka deploy"]
    assert plan.plan_lines()[:2] == [f"conflict {c}" for c in plan.conflicts]
    assert remote.read() == before

    forced = deploy(out, remote.target(delete=True), force=True)

    assert forced.conflicts == plan.conflicts
    assert remote.site_files() == expected(SITE)


def test_files_changed_at_the_target_are_neither_replaced_nor_deleted_without_force(remote: Remote,
                                                                                   tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    deploy(out, remote.target(delete=True))
    remote.put_foreign(ARTICLE, b"<p>a name corrected by hand at the target</p>")
    remote.put_foreign("robots.txt", b"User-agent: *\nDisallow: /\n")
    before = remote.read()
    newer = {p: d for p, d in SITE.items() if p != "robots.txt"}
    newer[ARTICLE] = SITE[ARTICLE].replace("v1", "v2")
    newer["index.html"] = "<!doctype html><title>New home</title>"
    make_output(out, newer)

    with pytest.raises(DeployError) as info:
        deploy(out, remote.target(delete=True))

    assert f"{ARTICLE}: error: was changed at the target since the last deploy" in str(info.value)
    assert "robots.txt: error: was changed at the target since the last deploy" in str(info.value)
    assert remote.read() == before

    plan = deploy(out, remote.target(delete=True), dry_run=True)
    assert [c.partition(":")[0] for c in plan.conflicts] == [ARTICLE, "robots.txt"]
    assert remote.read() == before

    deploy(out, remote.target(delete=True), force=True)

    assert remote.site_files() == expected(newer)
    again = deploy(out, remote.target(delete=True))  # the forced deploy's files are its own now
    assert again.conflicts == [] and again.uploaded == []


# --- method-specific ------------------------------------------------------------------------------


def test_s3_objects_carry_the_right_content_type(s3_env: S3Server, tmp_path: Path):
    remote = _s3_remote(s3_env)
    out = make_output(tmp_path / "output", SITE)
    deploy(out, remote.target())
    bucket = parse_target_url(remote.url).hostname
    client = s3_env.client()

    def stored_type(rel: str) -> str:
        return client.head_object(Bucket=bucket, Key=f"archive/{rel}")["ContentType"]

    assert stored_type("index.html") == "text/html; charset=utf-8"
    assert stored_type("css/site.css") == "text/css; charset=utf-8"
    assert stored_type("js/search.js") == "text/javascript; charset=utf-8"
    assert stored_type("feed.xml") == "application/xml; charset=utf-8"
    assert stored_type("search.json") == "application/json; charset=utf-8"
    assert stored_type("img/logo.svg") == "image/svg+xml"
    assert stored_type("img/photo.png") == "image/png"
    assert stored_type("site.webmanifest") == "application/manifest+json; charset=utf-8"
    assert stored_type("robots.txt") == "text/plain; charset=utf-8"


@pytest.mark.parametrize(("name", "kind"), [
    ("a/b.woff2", "font/woff2"), ("x.unknownext", "application/octet-stream"),
    ("PHOTO.JPG", "image/jpeg"), ("feed.atom", "application/atom+xml; charset=utf-8"),
])
def test_content_type_table(name: str, kind: str):
    assert content_type(name) == kind


def test_s3_wrong_secret_is_refused_by_the_server(s3_env: S3Server, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    remote = _s3_remote(s3_env)
    out = make_output(tmp_path / "output", SITE)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")

    with pytest.raises(DeployError, match="SignatureDoesNotMatch|AWS_SECRET_ACCESS_KEY"):
        deploy(out, remote.target())
    assert remote.read() == {}


def test_s3_missing_bucket_is_reported(s3_env: S3Server, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    url = f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}?endpoint={s3_env.endpoint}&region=us-east-1"

    with pytest.raises(DeployError, match="NoSuchBucket"):
        deploy(out, DeployTarget("x", url))


def test_git_branch_is_output_plus_nojekyll_and_cname_one_commit_per_change(bare_repo: Path, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    remote = _git_remote(f"git+file://{bare_repo}#gh-pages", bare_repo, tmp_path)

    deploy(out, remote.target(cname="news.example.org"))
    deploy(out, remote.target(cname="news.example.org"))  # nothing changed: no commit
    make_output(out, {**SITE, "index.html": "new home"})
    deploy(out, remote.target(cname="news.example.org"))

    files = remote.read()
    assert files.pop(".nojekyll") == b""
    assert files.pop("CNAME") == b"news.example.org\n"
    files.pop(".vestka-deploy.json")
    assert files == expected({**SITE, "index.html": "new home"})
    log = git("--git-dir", str(bare_repo), "log", "--format=%an <%ae>|%s", "gh-pages").splitlines()
    assert len(log) == 2
    assert all(line.endswith("|Deploy with vestka 0.1.0") for line in log)


def test_git_commits_as_vestka_when_no_identity_is_configured(bare_repo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    out = make_output(tmp_path / "output", SITE)

    deploy(out, DeployTarget("pages", f"git+file://{bare_repo}#gh-pages"))

    who = git("--git-dir", str(bare_repo), "log", "-1", "--format=%an <%ae>/%cn <%ce>", "gh-pages").strip()
    assert who == "Vestka <vestka@localhost>/Vestka <vestka@localhost>"


def test_git_keeps_other_branches_untouched(bare_repo: Path, tmp_path: Path):
    source = tmp_path / "src"
    git("init", "--quiet", "--initial-branch", "main", str(source))
    (source / "README").write_text("sources")
    git("add", "README", cwd=source)
    git("commit", "--quiet", "-m", "sources", cwd=source)
    git("push", "--quiet", str(bare_repo), "main", cwd=source)
    main_before = git("--git-dir", str(bare_repo), "rev-parse", "main")
    out = make_output(tmp_path / "output", SITE)

    deploy(out, DeployTarget("pages", f"git+file://{bare_repo}#gh-pages"))

    assert git("--git-dir", str(bare_repo), "rev-parse", "main") == main_before
    names = git("--git-dir", str(bare_repo), "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert "README" not in names and "index.html" in names


def test_ssh_url_deploys_with_rsync_like_rsync_url(sshd: SSHServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VESTKA_SSH_COMMAND", sshd.ssh_command)
    out = make_output(tmp_path / "output", SITE)
    target = DeployTarget("vps", sshd.url("ssh", tmp_path / "www" / "site"))

    first = deploy(out, target)
    second = deploy(out, target)

    assert first.uploaded == sorted(SITE) and second.uploaded == []
    files = folder_files(tmp_path / "www" / "site")
    assert files.pop(".vestka-deploy.json")
    assert files == expected(SITE)


def test_rsync_with_an_unreachable_host_fails_with_the_rsync_message(sshd: SSHServer, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VESTKA_SSH_COMMAND", sshd.ssh_command + " -o ConnectTimeout=5")
    out = make_output(tmp_path / "output", SITE)
    url = f"rsync://{sshd.user}@127.0.0.1:{free_port()}{tmp_path / 'www'}"
    with pytest.raises(DeployError, match="rsync to .* failed: .*(refused|closed|unexpectedly)"):
        deploy(out, DeployTarget("x", url))


def test_folder_target_inside_output_is_refused(tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    with pytest.raises(DeployError, match="contain one another"):
        deploy(out, DeployTarget("x", f"file://{out / 'copy'}"))
    assert not (out / "copy").exists()


def test_vestka_private_files_listed_by_the_build_are_not_uploaded(tmp_path: Path):
    out = make_output(tmp_path / "output", {**SITE, ".vestka-notes": "private", "a/.vestka-x/y": "p"})
    result = deploy(out, DeployTarget("x", f"file://{tmp_path / 'www'}"))
    assert ".vestka-notes" not in result.uploaded and "a/.vestka-x/y" not in result.uploaded
    assert not (tmp_path / "www" / ".vestka-notes").exists()


def test_files_not_in_the_build_manifest_are_not_deployed_and_are_reported(tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    (out / "stray.html").write_text("left by hand")
    result = deploy(out, DeployTarget("x", f"file://{tmp_path / 'www'}"))
    assert "stray.html" not in result.uploaded
    assert result.warnings == ["stray.html is in the output folder but not in the build manifest; not deployed"]
    assert not (tmp_path / "www" / "stray.html").exists()


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "www.example.org/site", "ftp://host/site", "http://[::1/site", "rsync://host:notaport/site",
    "s3://", "s3://bucket?colour=blue", "rsync://host", "ssh://user@host/", "file://remote-host/x",
    "git+ssh:///path.git", "git+file:///srv/site.git#bad..branch",
])
def test_unusable_urls_are_refused_naming_the_url(url: str, tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    with pytest.raises(DeployError) as info:
        deploy(out, DeployTarget("x", url))
    assert repr(url) in str(info.value)


def test_unknown_scheme_lists_the_supported_ones():
    with pytest.raises(DeployError) as info:
        parse_target_url("ftp://host/site")
    for scheme in ("file://", "rsync://", "ssh://", "git+file://", "git+ssh://", "s3://"):
        assert scheme in str(info.value)


def test_missing_output_folder_is_refused(tmp_path: Path):
    with pytest.raises(DeployError, match="does not exist"):
        deploy(tmp_path / "output", DeployTarget("x", f"file://{tmp_path / 'www'}"))
    assert not (tmp_path / "www").exists()


def test_output_without_build_manifest_is_refused(tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    (out / ".vestka-manifest.json").unlink()
    with pytest.raises(DeployError, match="not the result of a finished build") as info:
        deploy(out, DeployTarget("x", f"file://{tmp_path / 'www'}"))
    assert "vestka build" in str(info.value)
    assert not (tmp_path / "www").exists()


def test_output_whose_listed_files_are_gone_or_changed_is_refused(tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    (out / "robots.txt").unlink()
    (out / "index.html").write_text("edited after the build")
    with pytest.raises(DeployError) as info:
        deploy(out, DeployTarget("x", f"file://{tmp_path / 'www'}"))
    text = str(info.value)
    assert "robots.txt: error: listed in the build manifest but missing" in text
    assert "index.html: error: changed after the build" in text
    assert not (tmp_path / "www").exists()


def test_corrupt_build_manifest_is_refused(tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    (out / ".vestka-manifest.json").write_text('{"files": {"../etc/passwd": "00"}}')
    with pytest.raises(DeployError, match="must be relative"):
        deploy(out, DeployTarget("x", f"file://{tmp_path / 'www'}"))


def test_corrupt_target_manifest_is_refused_before_changing_anything(tmp_path: Path):
    out = make_output(tmp_path / "output", SITE)
    www = tmp_path / "www"
    www.mkdir()
    (www / ".vestka-deploy.json").write_text("not json")
    with pytest.raises(DeployError, match="not a Vestka manifest"):
        deploy(out, DeployTarget("x", f"file://{www}"))
    assert folder_files(www) == {".vestka-deploy.json": b"not json"}


# --- choosing a target ------------------------------------------------------------------------------

TARGETS = (DeployTarget("production", "rsync://deploy@example.org/var/www", delete=True),
           DeployTarget("staging", "file:///srv/staging"))


def test_resolve_target_defaults_to_the_first_configured():
    assert resolve_target(TARGETS, None) is TARGETS[0]


def test_resolve_target_by_name_and_by_url():
    assert resolve_target(TARGETS, "staging") is TARGETS[1]
    direct = resolve_target(TARGETS, "s3://bucket/site")
    assert direct.url == "s3://bucket/site" and direct.delete is False


def test_resolve_target_unknown_name_suggests_the_nearest():
    with pytest.raises(DeployError, match="did you mean 'staging'"):
        resolve_target(TARGETS, "stagign")


def test_resolve_target_with_nothing_configured_or_given_explains_what_to_do():
    with pytest.raises(DeployError) as info:
        resolve_target((), None)
    assert "deploy:" in str(info.value) and "vestka deploy file://" in str(info.value)


def test_resolve_target_refuses_a_bad_url_given_directly():
    with pytest.raises(DeployError, match="ftp://"):
        resolve_target(TARGETS, "ftp://host/site")


def test_result_text_for_the_cli():
    result = DeployResult(target=TARGETS[0], dry_run=True, uploaded=["a.html"], deleted=["old.html"],
                          unchanged=["b.html", "c.html"])
    assert result.summary() == "upload 1, delete 1, unchanged 2"
    assert result.plan_lines() == ["upload a.html", "delete old.html"]


# --- links and a tampered manifest at the target ------------------------------------------------------


def _linked_folder_target(kind: str, tmp_path: Path, request: pytest.FixtureRequest,
                          monkeypatch: pytest.MonkeyPatch) -> tuple[DeployTarget, Path]:
    """A target holding an earlier deploy whose `en/` was then made a link to a folder elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.html").write_text("not the site's")
    out = make_output(tmp_path / "output", SITE)
    if kind == "git+file":
        repo = request.getfixturevalue("bare_repo")
        target = DeployTarget("t", f"git+file://{repo}#gh-pages", delete=True)
        deploy(out, target)
        clone = tmp_path / "clone"
        git("clone", "--quiet", "--branch", "gh-pages", str(repo), str(clone))
        git("rm", "-r", "--quiet", "en", cwd=clone)
        (clone / "en").symlink_to(elsewhere)
        git("add", "en", cwd=clone)
        git("commit", "--quiet", "-m", "link", cwd=clone)
        git("push", "--quiet", "origin", "gh-pages", cwd=clone)
        return target, elsewhere
    www = tmp_path / "www"
    if kind == "rsync":
        server: SSHServer = request.getfixturevalue("sshd")
        monkeypatch.setenv("VESTKA_SSH_COMMAND", server.ssh_command)
        target = DeployTarget("t", server.url("rsync", www), delete=True)
    else:
        target = DeployTarget("t", f"file://{www}", delete=True)
    deploy(out, target)
    for path in sorted((www / "en").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (www / "en").rmdir()
    (www / "en").symlink_to(elsewhere)
    return target, elsewhere


@pytest.mark.parametrize("kind", ["file", "rsync", "git+file"])
def test_a_linked_folder_at_the_target_is_an_error_naming_it_and_nothing_outside_changes(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    target, elsewhere = _linked_folder_target(kind, tmp_path, request, monkeypatch)
    out = make_output(tmp_path / "output", {**SITE, "en/new/index.html": "new"})

    for dry_run in (True, False):
        with pytest.raises(DeployError, match=r"en there is a symbolic link"):
            deploy(out, target, dry_run=dry_run, force=True)

    assert folder_files(elsewhere) == {"victim.html": b"not the site's"}


def test_a_folder_deploy_never_deletes_a_file_added_to_the_manifest_by_hand(tmp_path: Path):
    www = tmp_path / "www"
    out = make_output(tmp_path / "output", SITE)
    target = DeployTarget("t", f"file://{www}", delete=True)
    deploy(out, target)
    (www / "notes.txt").write_text("the web master's notes")
    manifest = json.loads((www / ".vestka-deploy.json").read_text())
    manifest["files"]["notes.txt"] = "0" * 64
    (www / ".vestka-deploy.json").write_text(json.dumps(manifest))

    with pytest.raises(DeployError, match="notes.txt: error: was changed at the target"):
        deploy(out, target)
    assert (www / "notes.txt").read_text() == "the web master's notes"


@pytest.mark.parametrize("entry", ["a\x00b.html", "../outside.html", "/etc/passwd", "en/./x", "a\\b",
                                   "en/\x1b.html"])
def test_a_target_manifest_with_a_bad_entry_is_refused_before_anything_changes(entry: str, tmp_path: Path):
    www = tmp_path / "www"
    www.mkdir()
    raw = json.dumps({"generator": "vestka 0.1.0", "files": {entry: "0" * 64}})
    (www / ".vestka-deploy.json").write_text(raw)
    out = make_output(tmp_path / "output", SITE)

    with pytest.raises(DeployError, match="cannot read a deploy manifest") as info:
        deploy(out, DeployTarget("t", f"file://{www}", delete=True))

    assert "must" in str(info.value)
    assert folder_files(www) == {".vestka-deploy.json": raw.encode()}


_KILLED_DEPLOY = """
import os, signal, sys
from pathlib import Path
from generator.config import DeployTarget
from generator.deploy import deploy
real_replace, calls = os.replace, []
def replace(*args, **kwargs):
    calls.append(args)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # between writing a temporary file and renaming it
    return real_replace(*args, **kwargs)
os.replace = replace
deploy(Path(sys.argv[1]), DeployTarget("t", sys.argv[2]))
"""


def test_a_killed_folder_deploy_leaves_no_temporary_files_after_the_next_one(tmp_path: Path):
    import subprocess
    import sys

    www = tmp_path / "www"
    out = make_output(tmp_path / "output", SITE)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", _KILLED_DEPLOY, str(out), f"file://{www}"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    leftovers = [p for p in folder_files(www) if p.rpartition("/")[2].startswith(".vestka-tmp-")]
    assert leftovers, "the kill should have left a temporary file"

    deploy(out, DeployTarget("t", f"file://{www}"))

    files = folder_files(www)
    assert [p for p in files if ".vestka-tmp-" in p] == []
    files.pop(".vestka-deploy.json")
    assert files == expected(SITE)
