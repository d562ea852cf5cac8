"""nox sessions: the same suite as tox, on every CPython 3.8–3.13 pyenv has installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent / "src"))  # this checkout's ddguard
import ddguard.nox

nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = False

WANTED = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def pyenv_versions() -> list[str]:
    """Installed pyenv versions; named in PYENV_VERSION so the python3.X shims answer."""
    try:
        root = (
            os.environ.get("PYENV_ROOT")
            or subprocess.run(
                ["pyenv", "root"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return []
    versions = Path(root, "versions")
    return (
        sorted(p.name for p in versions.iterdir() if (p / "bin" / "python").exists())
        if versions.is_dir()
        else []
    )


INSTALLED = pyenv_versions()
if INSTALLED:
    os.environ["PYENV_VERSION"] = ":".join(INSTALLED)
PRESENT = [v for v in WANTED if not INSTALLED or any(i.startswith(v + ".") for i in INSTALLED)]


@nox.session(python=PRESENT)
def tests(session: nox.Session) -> None:
    """Unit tests on each interpreter."""
    ddguard.nox.check(session, project=".")  # refuses before installing, if a pin breaks here
    session.install(".", "pytest", "hypothesis")
    session.run("pytest", "tests/unit", *(session.posargs or ["-q"]))


@nox.session(python="3.11")
def integration(session: nox.Session) -> None:
    """End-to-end runs of real pip, venvs, tox, nox and pytest."""
    session.install(".", "pytest", "hypothesis", "build", "tox>=4.1", "nox")
    session.run("pytest", "tests/integrations", *(session.posargs or ["-q", "-x"]))


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff", "mypy", "packaging", "pytest")
    session.run("ruff", "check", "src", "tests", "scripts", "benchmarks")
    session.run("mypy")
