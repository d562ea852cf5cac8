"""The automatic startup check in real processes: ddguard's own wheel installed with pip
into venvs of the pyenv CPythons, stub ddtrace wheels, ``python -c "import ddtrace"``."""

from __future__ import annotations

import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from conftest import CP311_FLAGS, pip, run

from stubwheel import make_wheel

PY311 = Path("/root/.pyenv/versions/3.11.7/bin/python")
PY312 = Path("/root/.pyenv/versions/3.12.1/bin/python")
CP311_TAG = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
STUB = {"ddtrace/__init__.py": "print('ddtrace imported')\n"}

pytestmark = pytest.mark.skipif(
    not (PY311.exists() and PY312.exists()) or sys.platform != "linux",
    reason="needs pyenv CPython 3.11.7 and 3.12.1 on Linux x86_64",
)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path) -> Path:
    """ddguard's wheel (the session's) and the stub ddtrace wheels, in one find-links dir."""
    out = tmp_path_factory.mktemp("wheels")
    shutil.copy(ddguard_wheel, out)
    make_wheel(out, "ddtrace", "1.20.19", CP311_TAG, files=STUB)
    return out


def make_venv(base: Path, python: Path, wheels: Path) -> Path:
    run([str(python), "-m", "venv", str(base)], check=True)
    venv_python = base / "bin" / "python"
    ddguard = next(wheels.glob("ddguard-*.whl"))
    pip(venv_python, "install", "--find-links", str(wheels), str(ddguard))
    return venv_python


@pytest.fixture(scope="session")
def py312(wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv312"), PY312, wheels)


@pytest.fixture(scope="session")
def cp311_ddtrace_dir(py312: Path, wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ddtrace 1.20.19's cp311 wheel installed with ``--target`` for another interpreter."""
    target = tmp_path_factory.mktemp("target311")
    pip(
        py312,
        "install",
        "--no-index",
        "--find-links",
        str(wheels),
        "--no-deps",
        *CP311_FLAGS,
        "--target",
        str(target),
        "ddtrace==1.20.19",
    )
    return target


def env_with(tmp_path: Path, pythonpath: List[Path], mode: Optional[str] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DDGUARD"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if mode is not None:
        env["DDGUARD_MODE"] = mode
    return env


def test_wheel_ships_pth_and_start_at_top_level(wheels: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(next(wheels.glob("ddguard-*.whl"))).namelist()
    assert {"ddguard.pth", "ddguard.start", "_ddguard_hook.py"} <= set(names)


def test_cp311_ddtrace_on_cp312_refused_with_the_paragraph(
    py312: Path, cp311_ddtrace_dir: Path, tmp_path: Path
) -> None:
    done = run(
        [str(py312), "-c", "import ddtrace"],
        env=env_with(tmp_path, [cp311_ddtrace_dir]),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "ddtrace imported" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "ddguard.errors.RefusedError: ddtrace 1.20.19 does not work on CPython 3.12"
    )
    assert "built for CPython 3.11" in lines[-1]
    assert len(lines) <= 5, (
        done.stderr
    )  # header, <string>, the hook frame (+ its source), the error


def test_import_ddguard_auto_refuses_too(
    py312: Path, cp311_ddtrace_dir: Path, tmp_path: Path
) -> None:
    done = run(
        [str(py312), "-c", "import ddguard.auto; print('app ran')"],
        env=env_with(tmp_path, [cp311_ddtrace_dir]),
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "app ran" not in done.stdout
    assert "RefusedError: ddtrace 1.20.19 does not work" in done.stderr


def test_warn_mode_continues_with_one_line(
    py312: Path, cp311_ddtrace_dir: Path, tmp_path: Path
) -> None:
    done = run(
        [str(py312), "-c", "import ddtrace"],
        env=env_with(tmp_path, [cp311_ddtrace_dir], "warn"),
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout == "ddtrace imported\n"
    [line] = done.stderr.splitlines()
    assert line.startswith("ddguard: warning: ddtrace 1.20.19 does not work on CPython 3.12")


def test_off_mode_is_silent(py312: Path, cp311_ddtrace_dir: Path, tmp_path: Path) -> None:
    done = run(
        [
            str(py312),
            "-c",
            "import ddtrace; import sys; print([f for f in sys.meta_path if getattr(f, 'ddguard_hook', 0)])",
        ],
        env=env_with(tmp_path, [cp311_ddtrace_dir], "off"),
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == "ddtrace imported\n[]\n"


def test_process_not_importing_ddtrace_is_untouched(
    py312: Path, cp311_ddtrace_dir: Path, tmp_path: Path
) -> None:
    code = "import json, sys; print(sorted(m for m in sys.modules if m.startswith(('ddguard', '_ddguard', 'packaging', 'typing'))))"
    done = run([str(py312), "-c", code], env=env_with(tmp_path, [cp311_ddtrace_dir]), cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == "['_ddguard_hook']\n"  # the finder only: no engine, no packaging
    assert not (tmp_path / "cache").exists()


def test_refusal_under_sitecustomize_stops_the_process(
    py312: Path, cp311_ddtrace_dir: Path, tmp_path: Path
) -> None:
    """What ddtrace-run does: its bootstrap sitecustomize imports ddtrace, and site turns
    an ImportError there into "Error in sitecustomize" and runs the app untraced."""
    bootstrap = tmp_path / "bootstrap"
    bootstrap.mkdir()
    (bootstrap / "sitecustomize.py").write_text("import ddtrace\n")
    done = run(
        [str(py312), "-c", "print('app ran')"],
        env=env_with(tmp_path, [bootstrap, cp311_ddtrace_dir]),
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "app ran" not in done.stdout
    assert done.stderr.startswith("ddguard: ddtrace 1.20.19 does not work on CPython 3.12")
    assert "Traceback" not in done.stderr and "Error in sitecustomize" not in done.stderr


def test_compatible_install_is_silent_and_cached(wheels: Path, tmp_path: Path) -> None:
    py311 = make_venv(tmp_path / "venv311", PY311, wheels)
    pip(py311, "install", "--no-index", "--find-links", str(wheels), "ddtrace==1.20.19")
    env = env_with(tmp_path, [])
    done = run([str(py311), "-c", "import ddtrace"], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ddtrace imported\n", "")
    cache = tmp_path / "cache" / "ddguard" / "startup-cache.txt"
    assert "\x1fcompatible\x1f" in cache.read_text()

    cache.write_bytes(b"\x00garbage\xff\n")  # a corrupt cache is survived and rewritten
    with ThreadPoolExecutor(8) as pool:  # concurrent cold starts never corrupt it
        results = list(
            pool.map(
                lambda _: run([str(py311), "-c", "import ddtrace"], env=env, cwd=tmp_path), range(8)
            )
        )
    assert [(r.returncode, r.stderr) for r in results] == [(0, "")] * 8
    entries = [line for line in cache.read_text().splitlines() if line]
    assert len(entries) == 1 and "\x1fcompatible\x1f" in entries[0]


def test_integrations_checked_only_when_asked(wheels: Path, tmp_path: Path) -> None:
    """DDGUARD_INTEGRATIONS with ddtrace 2.5.0 and Django 1.7 (below 2.x's >=1.8) on 3.11."""
    stubs = tmp_path / "stubs"
    make_wheel(stubs, "ddtrace", "2.5.0", CP311_TAG, files=STUB)
    make_wheel(stubs, "Django", "1.7", "py3-none-any")
    py311 = make_venv(tmp_path / "venv311", PY311, wheels)
    pip(py311, "install", "--no-index", "--find-links", str(stubs), "ddtrace==2.5.0", "Django==1.7")
    env = env_with(tmp_path, [])
    below = "Django 1.7 is below the supported >=1.8 for ddtrace 2.x"

    done = run([str(py311), "-c", "import ddtrace"], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ddtrace imported\n", "")

    env["DDGUARD_INTEGRATIONS"] = "1"
    done = run([str(py311), "-c", "import ddtrace"], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "ddtrace imported\n")
    [line] = done.stderr.splitlines()
    assert line.startswith(f"ddguard: warning: {below}")

    env["DDGUARD_INTEGRATIONS"] = "strict"
    done = run([str(py311), "-c", "import ddtrace"], env=env, cwd=tmp_path)
    assert done.returncode == 1 and "ddtrace imported" not in done.stdout
    assert f"RefusedError: {below}" in done.stderr
