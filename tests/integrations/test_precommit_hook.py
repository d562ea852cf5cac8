"""The pre-commit hook's entry, run as pre-commit runs it (cwd = the repository, args = targets)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]


def hook_command(args: List[str]) -> List[str]:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    entry = re.search(r"^\s*entry:\s*(.+)$", text, re.MULTILINE)
    assert entry is not None
    assert re.search(r"^\s*pass_filenames:\s*false\s*$", text, re.MULTILINE)
    argv = shlex.split(entry.group(1))
    assert argv[0] == "ddguard"
    return [sys.executable, "-m", "ddguard", *argv[1:], *args]


def run_hook(repo: Path, args: List[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("DDGUARD_MODE", None)
    return subprocess.run(
        hook_command(args), cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )


def test_hook_refuses_a_pin_that_breaks_a_deployment_target(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("ddtrace==1.20.19\n")
    done = run_hook(
        tmp_path, ["--target", "cp311-manylinux_x86_64", "--target", "cp312-manylinux_x86_64"]
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "does not work on CPython 3.12" in done.stdout
    assert "requirements.txt:1" in done.stdout


def test_hook_passes_a_pin_that_works_on_every_target(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("ddtrace==1.20.19\n")
    done = run_hook(tmp_path, ["--target", "cp311-manylinux_x86_64"])
    assert done.returncode == 0, done.stdout + done.stderr
