"""The portable bundle: one deterministic zip of the sample site, verifiable with sha256sum."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from theme_support import REPO, build_sample, require_program

from generator.bundle import BundleError, site_files, write_bundle


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("bundle") / "output")


def test_zip_holds_every_site_file_and_a_manifest(sample: Path, tmp_path: Path) -> None:
    zip_path = tmp_path / "viasna-archive.zip"
    count, digest = write_bundle(sample, zip_path)
    expected = [p.relative_to(sample).as_posix() for p in sample.rglob("*")
                if p.is_file() and not p.name.startswith(".vestka-")]
    assert count == len(expected) + 1
    assert digest == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == sorted(names[:-1]) + ["viasna-archive/SHA256SUMS"]
        assert sorted(n.removeprefix("viasna-archive/") for n in names[:-1]) == sorted(expected)
        for rel in expected:
            assert archive.read(f"viasna-archive/{rel}") == (sample / rel).read_bytes(), rel
        manifest = archive.read("viasna-archive/SHA256SUMS").decode("utf-8").splitlines()
    assert "viasna-archive/en/index.html" in names and "viasna-archive/static/site.css" in names
    assert not any(".vestka-" in n for n in names)
    listed = dict(reversed(line.split("  ", 1)) for line in manifest)
    assert sorted(listed) == sorted(expected)
    for rel, hexdigest in listed.items():
        assert hexdigest == hashlib.sha256((sample / rel).read_bytes()).hexdigest(), rel
    assert (tmp_path / "viasna-archive.zip.sha256").read_text() == f"{digest}  viasna-archive.zip\n"


def test_sha256sum_verifies_the_zip_and_the_unpacked_copy(sample: Path, tmp_path: Path) -> None:
    sha256sum = require_program("sha256sum", "coreutils")
    write_bundle(sample, tmp_path / "site.zip")
    done = subprocess.run([sha256sum, "-c", "site.zip.sha256"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(tmp_path / "site.zip") as archive:
        archive.extractall(tmp_path / "unpacked")
    copy = tmp_path / "unpacked" / "site"
    done = subprocess.run([sha256sum, "-c", "--strict", "SHA256SUMS"], cwd=copy, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    # A damaged copy is caught.
    article = next(copy.glob("en/20*/*/*/index.html"))
    article.write_bytes(article.read_bytes().replace(b"</main>", b"<p>tampered</p></main>"))
    done = subprocess.run([sha256sum, "-c", "--quiet", "SHA256SUMS"], cwd=copy, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert article.relative_to(copy).as_posix() in done.stdout


def test_bundle_is_byte_identical_across_builds_and_times(tmp_path: Path) -> None:
    once = build_sample(tmp_path / "built")
    again = build_sample(tmp_path / "rebuilt")
    first = write_bundle(once, tmp_path / "a" / "site.zip")
    for path in again.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # other timestamps must not show
    os.chmod(again / "index.html", 0o600)              # nor another umask
    second = write_bundle(again, tmp_path / "b" / "site.zip")
    assert first == second
    assert (tmp_path / "a" / "site.zip").read_bytes() == (tmp_path / "b" / "site.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "b" / "site.zip") as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644


def test_rewriting_replaces_the_zip(sample: Path, tmp_path: Path) -> None:
    zip_path = tmp_path / "site.zip"
    zip_path.write_bytes(b"an older, broken download")
    count, digest = write_bundle(sample, zip_path)
    assert zipfile.is_zipfile(zip_path)
    assert hashlib.sha256(zip_path.read_bytes()).hexdigest() == digest
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_refuses_a_zip_inside_the_site(sample: Path) -> None:
    with pytest.raises(BundleError, match="inside the site"):
        write_bundle(sample, sample / "static" / "site.zip")
    assert not (sample / "static" / "site.zip").exists()


def test_refuses_a_folder_that_is_not_a_build(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError, match="no built site"):
        write_bundle(tmp_path / "empty", tmp_path / "site.zip")
    assert not (tmp_path / "site.zip").exists()


def test_links_and_bookkeeping_stay_out(tmp_path: Path) -> None:
    site = tmp_path / "out"
    (site / "en").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>x</title>")
    (site / "en" / "ünicode page.html").write_text("<!doctype html><title>ü</title>")
    (site / ".vestka-manifest.json").write_text("{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the site")
    (site / "leak.txt").symlink_to(secret)
    assert site_files(site) == ["en/ünicode page.html", "index.html"]
    count, _ = write_bundle(site, tmp_path / "s.zip")
    assert count == 3
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        assert archive.namelist() == ["s/en/ünicode page.html", "s/index.html", "s/SHA256SUMS"]
        assert archive.getinfo("s/en/ünicode page.html").flag_bits & 0x800  # names stored as UTF-8


def test_build_command_writes_the_zip(tmp_path: Path) -> None:
    vestka = Path(sys.executable).with_name("vestka")
    zip_path = tmp_path / "dist" / "viasna.zip"
    command = [str(vestka), "build", "--site", str(REPO), "--output", str(tmp_path / "out"), "--no-cache",
               "--zip", str(zip_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert digest in done.stdout
    assert (tmp_path / "dist" / "viasna.zip.sha256").read_text() == f"{digest}  viasna.zip\n"
    with zipfile.ZipFile(zip_path) as archive:
        assert "viasna/index.html" in archive.namelist() and "viasna/SHA256SUMS" in archive.namelist()
