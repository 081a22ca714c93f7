"""The Nu HTML checker (vnu.jar, npm `vnu-jar`) finds no error in the whole sample output.

One JVM call checks every HTML, CSS and SVG file of the build. A small broken canary page goes
into the same call, so a checker that silently checks nothing cannot pass the test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from theme_support import VNU_JAR, build_sample, require_file, require_program

CANARY = "<!doctype html><html lang=en><head><title>canary</title></head><body><p><span>open</p></body></html>\n"

pytestmark = pytest.mark.slow


def test_sample_output_has_no_html_errors(tmp_path: Path) -> None:
    java = require_program("java", "openjdk-17-jre-headless")
    vnu_jar = require_file(VNU_JAR, "the Nu HTML checker (npm vnu-jar)")
    output = build_sample(tmp_path / "output")
    files = sorted(p for p in output.rglob("*") if p.suffix in (".html", ".css", ".svg") and p.is_file())
    assert len([p for p in files if p.suffix == ".html"]) > 100
    assert output / "static" / "site.css" in files
    canary = tmp_path / "canary" / "broken.html"
    canary.parent.mkdir()
    canary.write_text(CANARY, encoding="utf-8")
    command = [java, "-jar", str(vnu_jar), "--errors-only", "--also-check-css", "--also-check-svg",
               "--format", "json", *map(str, files), str(canary)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stderr)  # vnu writes its JSON report to stderr
    errors = [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    in_canary = [m for m in errors if m.get("url", "").endswith("/canary/broken.html")]
    assert in_canary, f"vnu reported nothing for the broken canary page: {done.stderr[:2000]}"
    in_site = [f"{m.get('url', '').split(str(output), 1)[-1]}:{m.get('lastLine')}: {m.get('message')}"
               for m in errors if m not in in_canary]
    assert in_site == [], "\n".join(in_site[:50])
