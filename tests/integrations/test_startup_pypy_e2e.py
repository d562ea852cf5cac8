"""The startup check on PyPy (Debian's ``pypy3``; .ci/run installs it when it can): a PyPy
venv with ddguard and a stub ddtrace wheel refuses ``import ddtrace`` with a clear message.

Marked ``network``: the venv's pip fetches ddguard's dependencies (packaging, tomli) from
the index, as nothing on this machine has them for PyPy 3.9.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from stubwheel import make_wheel

PYPY = shutil.which("pypy3")
STUB = {"ddtrace/__init__.py": "print('ddtrace imported')\n"}

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(PYPY is None, reason="needs pypy3 (apt-get install pypy3)"),
]


def run(argv: List[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, **kw)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def pypy_venv(ddguard_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pypy")
    stubs = base / "stubs"
    make_wheel(stubs, "ddtrace", "2.21.12", "py3-none-any", files=STUB)
    make_wheel(stubs, "ddtrace", "99.0.0", "py3-none-any", files=STUB)
    run([str(PYPY), "-m", "venv", str(base / "venv")], check=True)
    python = base / "venv" / "bin" / "python"
    argv = [str(python), "-m", "pip", "-q", "--disable-pip-version-check", "install"]
    argv += ["--timeout", "20", "--retries", "1", "--find-links", str(stubs)]
    done = run([*argv, str(ddguard_wheel), "ddtrace==2.21.12"])
    if done.returncode != 0:
        pytest.skip(f"could not install ddguard's dependencies: {done.stderr.strip()[-300:]}")
    done = run(
        [*argv, "--no-index", "--no-deps", "--target", str(base / "newer"), "ddtrace==99.0.0"]
    )
    assert done.returncode == 0, done.stderr
    return python


def env_for(tmp_path: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DDGUARD"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.update(extra)
    return env


def test_import_ddtrace_on_pypy_is_refused(pypy_venv: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    for attempt in ("cold cache", "warm cache"):
        done = run([str(pypy_venv), "-c", "import ddtrace"], env=env, cwd=tmp_path)
        assert done.returncode == 1 and "ddtrace imported" not in done.stdout, attempt
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith(
            "ddguard.errors.RefusedError: ddtrace 2.21.12 does not work on PyPy 3.9"
        ), attempt
        assert "Why: ddtrace supports CPython only; this is PyPy 3.9" in last
        assert "Fix: run ddtrace 2.21.12 on CPython 3.9" in last
    assert (tmp_path / "cache" / "ddguard" / "startup-cache.txt").is_file()


def test_release_newer_than_the_database_on_pypy_is_refused(
    pypy_venv: Path, tmp_path: Path
) -> None:
    """Not in the snapshot: its own metadata decides, and PyPy is still not CPython."""
    newer = pypy_venv.parent.parent.parent / "newer"
    env = env_for(tmp_path, PYTHONPATH=str(newer))
    done = run([str(pypy_venv), "-c", "import ddtrace"], env=env, cwd=tmp_path)
    assert done.returncode == 1 and "ddtrace imported" not in done.stdout
    assert "ddtrace 99.0.0 does not work on PyPy 3.9" in done.stderr
    assert "ddtrace supports CPython only; this is PyPy 3.9" in done.stderr


def test_pypy_process_not_importing_ddtrace_is_untouched(pypy_venv: Path, tmp_path: Path) -> None:
    code = "import json, sys; print(sorted(m for m in sys.modules if m.startswith(('ddguard', '_ddguard'))))"
    done = run([str(pypy_venv), "-c", code], env=env_for(tmp_path), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "['_ddguard_hook']\n"
