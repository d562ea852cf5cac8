"""ddguard.nox.check in a real nox run: sessions on CPython 3.11 and 3.12, nothing installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

NOXFILE = """\
import nox
import ddguard.nox

nox.options.default_venv_backend = "venv"


@nox.session(python=[{py311!r}, {py312!r}])
def tests(session):
    ddguard.nox.check(session, requirements=["-r", "requirements.txt"])
    print("SESSION-WENT-ON", session.python)


@nox.session(python={py312!r})
def project(session):
    ddguard.nox.check(session, project=".")
    print("SESSION-WENT-ON project")
"""


@pytest.fixture(scope="module")
def nox_exe(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path, py311: Path) -> Path:
    venv = tmp_path_factory.mktemp("nox-venv") / "venv"
    subprocess.run([str(py311), "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "nox", str(ddguard_wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin" / "nox"


@pytest.mark.slow
def test_refused_session_errors_and_the_other_goes_on(
    nox_exe: Path, tmp_path: Path, py311: Path, py312: Path
) -> None:
    (tmp_path / "noxfile.py").write_text(NOXFILE.format(py311=str(py311), py312=str(py312)))
    (tmp_path / "requirements.txt").write_text("flask\nddtrace==1.20.19\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "0"\ndependencies = ["ddtrace==1.20.19"]\n'
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("NOX", "DDGUARD_"))}
    done = subprocess.run(
        [str(nox_exe), "--no-color"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert f"SESSION-WENT-ON {py311}" in out
    assert f"SESSION-WENT-ON {py312}" not in out
    assert "SESSION-WENT-ON project" not in out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "requirements.txt:2" in out
    assert "pyproject.toml:4" in out
