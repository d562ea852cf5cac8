"""The startup check against the real ddtrace 2.21.12 wheel from the package index.

The incompatible environment is the issue's: ddtrace's cp311 wheel installed with
``pip install --target DIR --python-version 3.11 ...``, then CPython 3.12 with
``PYTHONPATH=DIR``. The compatible one: the same release installed normally (with its
dependencies) in a CPython 3.11 venv. The wheels are downloaded once per session; the
tests skip when the index is unreachable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from conftest import CP311_FLAGS, pip, pyenv_python, run

from stubwheel import make_wheel

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(sys.platform != "linux", reason="manylinux x86_64 wheels"),
]

RELEASE = "2.21.12"


@pytest.fixture(scope="session")
def real_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ddtrace 2.21.12's cp311 manylinux wheel and its dependencies (plus ``packaging`` for
    ddguard), downloaded once; the other fixtures install from here with ``--no-index``."""
    out = tmp_path_factory.mktemp("real-wheels")
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "download"]
    argv += ["--timeout", "20", "--retries", "1", "-d", str(out), *CP311_FLAGS]
    done = run([*argv, f"ddtrace=={RELEASE}", "packaging"])
    if done.returncode != 0 or not list(out.glob(f"ddtrace-{RELEASE}-cp311-*.whl")):
        pytest.skip(f"package index unreachable: {done.stderr.strip().splitlines()[-1:]}")
    make_wheel(out, "PyYAML", "6.0.2")  # ddguard's dependency, for any CPython (stub: unused here)
    return out


def make_venv(base: Path, python: Path, wheels: Path, ddguard_wheel: Path, *extra: str) -> Path:
    run([str(python), "-m", "venv", str(base)], check=True)
    venv_python = base / "bin" / "python"
    pip(
        venv_python,
        "install",
        "--no-index",
        "--find-links",
        str(wheels),
        str(ddguard_wheel),
        *extra,
    )
    return venv_python


@pytest.fixture(scope="session")
def venv312(
    real_wheels: Path, ddguard_wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    base = tmp_path_factory.mktemp("real312") / "venv"
    return make_venv(base, pyenv_python("3.12"), real_wheels, ddguard_wheel)


@pytest.fixture(scope="session")
def venv311(
    real_wheels: Path, ddguard_wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The compatible case: ddtrace installed normally, dependencies and all."""
    base = tmp_path_factory.mktemp("real311") / "venv"
    return make_venv(base, pyenv_python("3.11"), real_wheels, ddguard_wheel, f"ddtrace=={RELEASE}")


@pytest.fixture(scope="session")
def cp311_dir(venv312: Path, real_wheels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issue's command, run by the 3.12 venv's pip (so ``DIR/bin/ddtrace-run`` starts
    that interpreter): ddtrace for CPython 3.11 in a plain directory, no dependencies."""
    out = tmp_path_factory.mktemp("target311")
    pip(
        venv312,
        "install",
        "--no-index",
        "--find-links",
        str(real_wheels),
        "--target",
        str(out),
        "--no-deps",
        *CP311_FLAGS,
        f"ddtrace=={RELEASE}",
    )
    assert (out / "bin" / "ddtrace-run").is_file()
    return out


def env_with(tmp_path: Path, pythonpath: List[Path], mode: Optional[str] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DDGUARD", "DD_"))}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["DD_TRACE_ENABLED"] = "false"  # no agent here; tracing is not what is tested
    if mode is not None:
        env["DDGUARD_MODE"] = mode
    return env


PARAGRAPH = f"ddtrace {RELEASE} does not work on CPython 3.12"
BUILT_FOR = "compiled extensions were built for CPython 3.11"


def test_import_ddtrace_refused_citing_311_and_312(
    venv312: Path, cp311_dir: Path, tmp_path: Path
) -> None:
    done = run(
        [str(venv312), "-c", "import ddtrace"], env=env_with(tmp_path, [cp311_dir]), cwd=tmp_path
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ddguard.errors.RefusedError: {PARAGRAPH}"), done.stderr
    assert BUILT_FOR in last and "this is CPython 3.12" in last
    assert "/ddtrace/__init__.py" not in done.stderr  # refused before any ddtrace code ran


def test_warn_mode_warns_then_lets_ddtrace_load(
    venv312: Path, cp311_dir: Path, tmp_path: Path
) -> None:
    """ddtrace's own code then runs (and fails its own way: the 3.11 build and no deps)."""
    env = env_with(tmp_path, [cp311_dir], "warn")
    done = run([str(venv312), "-c", "import ddtrace"], env=env, cwd=tmp_path)
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"ddguard: warning: {PARAGRAPH}") and BUILT_FOR in first
    assert first.endswith("Continuing because DDGUARD_MODE=warn.")
    assert "RefusedError" not in done.stderr
    assert f"{cp311_dir}/ddtrace/__init__.py" in done.stderr  # ddtrace itself was executed


def test_process_importing_only_json_is_untouched(
    venv312: Path, cp311_dir: Path, tmp_path: Path
) -> None:
    code = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if 'dd' in m)))"
    done = run([str(venv312), "-c", code], env=env_with(tmp_path, [cp311_dir]), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == '["_ddguard_hook"]\n'
    assert not (tmp_path / "cache").exists()


def test_ddtrace_run_installed_with_target_exits_with_the_paragraph(
    cp311_dir: Path, tmp_path: Path
) -> None:
    """``DIR/bin/ddtrace-run`` (pip wrote the 3.12 venv's python into its shebang)."""
    launcher = str(cp311_dir / "bin" / "ddtrace-run")
    done = run(
        [launcher, "python", "-c", "print('app ran')"],
        env=env_with(tmp_path, [cp311_dir]),
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "app ran" not in done.stdout
    assert done.stderr.startswith(f"ddguard: {PARAGRAPH}") and BUILT_FOR in done.stderr
    assert "Traceback" not in done.stderr


def test_ddtrace_run_module_form_is_refused_too(
    venv312: Path, cp311_dir: Path, tmp_path: Path
) -> None:
    """runpy swallows the first ImportError for the parent package and retries: refused again."""
    argv = [str(venv312), "-m", "ddtrace.commands.ddtrace_run", "python", "-c", "print('app ran')"]
    done = run(argv, env=env_with(tmp_path, [cp311_dir]), cwd=tmp_path)
    assert done.returncode == 1 and "app ran" not in done.stdout
    assert f"(RefusedError: {PARAGRAPH}" in done.stderr and "wrapt" not in done.stderr


def test_ddtrace_run_from_a_311_venv_starting_312_stops_under_sitecustomize(
    venv311: Path, venv312: Path, tmp_path: Path
) -> None:
    """A real ddtrace-run (CPython 3.11, compatible) starts ``python``, which is now 3.12,
    with the 3.11 site-packages on PYTHONPATH: ddtrace's bootstrap sitecustomize imports
    ddtrace there, where site would swallow an ImportError and run the app untraced."""
    site311 = next((venv311.parent.parent / "lib").glob("python3.11/site-packages"))
    env = env_with(tmp_path, [site311])
    env["PATH"] = f"{venv312.parent}{os.pathsep}{env.get('PATH', '')}"
    launcher = str(venv311.parent / "ddtrace-run")
    done = run([launcher, "python", "-c", "print('app ran')"], env=env, cwd=tmp_path)
    assert done.returncode == 1 and "app ran" not in done.stdout
    assert done.stderr.startswith(f"ddguard: {PARAGRAPH}"), done.stderr
    assert str(site311) in done.stderr and "Error in sitecustomize" not in done.stderr


def test_compatible_real_install_imports_silently(venv311: Path, tmp_path: Path) -> None:
    env = env_with(tmp_path, [])
    code = "import ddtrace; print(ddtrace.__version__)"
    done = run([str(venv311), "-c", code], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{RELEASE}\n", "")
    launcher = str(venv311.parent / "ddtrace-run")
    done = run([launcher, "python", "-c", "print('app ran')"], env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "app ran\n"), done.stderr
    assert "ddguard" not in done.stderr
