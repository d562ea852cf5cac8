"""The pre-commit hook's entry, run as pre-commit runs it (cwd = the repository, args = targets)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

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


# --- the real pre-commit, installed from the index --------------------------------------


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def precommit(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path, Dict[str, str]]:
    """pre-commit in a scratch venv, this repository's committed tree cloned (try-repo and
    ``repo:`` need a git repository), and pre-commit's cache in the temp dir."""
    root = tmp_path_factory.mktemp("pre-commit")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "pre-commit"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        pytest.skip("pre-commit does not install from the package index here")
    clone = root / "ddguard"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDGUARD_", "PYTHONPATH"))}
    env.update(
        PRE_COMMIT_HOME=str(root / "cache"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    return venv / "bin" / "pre-commit", clone, env


def _project(path: Path, pin: str) -> Path:
    path.mkdir()
    (path / "requirements.txt").write_text(f"requests\n{pin}\n")
    _git(path, "init", "-q")
    _git(path, "add", "requirements.txt")
    return path


@pytest.mark.network
@pytest.mark.slow
def test_real_precommit_refuses_with_the_paragraph_and_passes_a_compatible_pin(
    precommit: Tuple[Path, Path, Dict[str, str]], tmp_path: Path
) -> None:
    tool, clone, env = precommit
    rev = _git(clone, "rev-parse", "HEAD")
    config = (
        f"repos:\n- repo: {clone}\n  rev: {rev}\n  hooks:\n  - id: ddguard\n"
        "    args: [--target, cp311-manylinux_x86_64, --target, cp312-manylinux_x86_64]\n"
    )
    refused = _project(tmp_path / "refused", "ddtrace==1.20.19")
    (refused / ".pre-commit-config.yaml").write_text(config)
    done = subprocess.run(
        [str(tool), "run", "--all-files"], cwd=refused, env=env, capture_output=True, text=True
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert re.search(r"ddguard \(ddtrace compatibility\)\.+Failed", out), out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "requirements.txt:2" in out

    works = _project(tmp_path / "works", "ddtrace==2.21.12")
    (works / ".pre-commit-config.yaml").write_text(config)
    done = subprocess.run(
        [str(tool), "run", "--all-files"], cwd=works, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"ddguard \(ddtrace compatibility\)\.+Passed", done.stdout), done.stdout


@pytest.mark.network
@pytest.mark.slow
def test_real_precommit_try_repo_runs_the_hook_on_its_own_interpreter(
    precommit: Tuple[Path, Path, Dict[str, str]], tmp_path: Path
) -> None:
    # try-repo takes no args: the hook judges pre-commit's own interpreter (this one, 3.11+)
    tool, clone, env = precommit
    old = _project(tmp_path / "old", "ddtrace==0.47.0")  # wheels up to CPython 3.9 only
    done = subprocess.run(
        [str(tool), "try-repo", str(clone), "ddguard", "--all-files"],
        cwd=old,
        env=env,
        capture_output=True,
        text=True,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "ddtrace 0.47.0 does not work on CPython 3." in out
    fine = _project(tmp_path / "fine", "ddtrace==2.21.12")
    done = subprocess.run(
        [str(tool), "try-repo", str(clone), "ddguard", "--all-files"],
        cwd=fine,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
