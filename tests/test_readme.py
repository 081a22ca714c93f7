"""The README's "A site of your own" steps, run line by line as a newcomer would paste them.

The lines are read from README.md itself, so the README cannot drift from what works. They run
in bash in a fresh folder that holds only `.venv`, a link to the virtual environment running
this suite (after `make build` that is the checkout's own `.venv`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import ctrl_c_as_in_a_terminal

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 120


def readme_steps() -> list[str]:
    """The command lines of the code block after "A site of your own", comments removed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"A site of your own[^\n]*\n\n```sh\n(.*?)```", text, re.DOTALL)
    assert block, "README.md has no 'A site of your own' code block"
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def test_the_steps_start_from_the_venv_and_end_with_the_preview() -> None:
    steps = readme_steps()
    assert steps[0] == ". .venv/bin/activate"
    assert steps[1] == "vestka new mysite && cd mysite"
    assert steps[-1] == "vestka serve"


def test_a_site_of_your_own_works_as_written(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    steps = readme_steps()
    *setup, serve = steps
    # A clean PATH: `vestka` must come from the activated venv, not from wherever the suite runs.
    env = {**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    env.pop("VIRTUAL_ENV", None)
    script = "set -e\n" + "\n".join(setup) + "\n" + f"exec {serve}\n"
    proc = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, encoding="utf-8", start_new_session=True,
                            preexec_fn=ctrl_c_as_in_a_terminal)
    shown: list[str] = []
    try:
        deadline = time.monotonic() + TIMEOUT
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            shown.append(line)
            if "http://127.0.0.1:" in line:
                break
        assert any("http://127.0.0.1:" in line for line in shown), "".join(shown)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C, as the README says
        code = proc.wait(timeout=30)
    assert code == 0, "".join(shown)
    site = tmp_path / "mysite"
    year = datetime.now(ZoneInfo("Europe/Minsk")).year
    assert (site / "output/en/index.html").is_file()
    assert (site / f"content/be/{year}/pravaabarontsy-pra-vybary.md").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".venv", "mysite"]
