"""Shared fixtures for the end-to-end tests: one ddguard wheel per session, stub wheels."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))  # tests/stubwheel.py

PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"


@pytest.fixture(scope="session")
def ddguard_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ddguard built once per test session from this checkout."""
    out = tmp_path_factory.mktemp("ddguard-wheel")
    isolation = ["--no-isolation"] if importlib.util.find_spec("hatchling") else []
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), *isolation, str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("ddguard-*.whl")
    return wheel


def pyenv_python(minor: str) -> Path:
    """The pyenv CPython 3.X interpreter (absolute path); skips the test when absent."""
    found = sorted(PYENV.glob(f"{minor}.*/bin/python"))
    if not found:
        pytest.skip(f"needs a pyenv CPython {minor}")
    return found[-1]


@pytest.fixture(scope="session")
def py311() -> Path:
    return pyenv_python("3.11")


@pytest.fixture(scope="session")
def py312() -> Path:
    return pyenv_python("3.12")


# pip's flags for "the files a CPython 3.11 on manylinux x86-64 would install", whatever runs pip
CP311_FLAGS = [
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
    "--platform",
    "manylinux2014_x86_64",
]


def run(argv: List[str], *, timeout: int = 120, **kw: object) -> subprocess.CompletedProcess[str]:
    """``argv`` with text output captured."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload, no-any-return]


def pip(python: Path, *args: str) -> None:
    """``python -m pip -q ARGS``, which must succeed."""
    done = run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args])
    assert done.returncode == 0, done.stderr
