"""The pytest plugin in real pytest processes on CPython 3.12 whose ddtrace was built for 3.11."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from stubwheel import make_wheel

STUB_FAILURE = "STUB-EXTENSION-FAILURE"
# Like a real cp311 ddtrace on 3.12: its compiled extension has no build for 3.12, so the
# import dies there; and its pytest11 plugin imports it while pytest loads plugins.
DDTRACE_FILES = {
    "ddtrace/__init__.py": (
        "import sys\n__version__ = '1.20.19'\n"
        "if sys.version_info[:2] != (3, 11):\n"
        "    try:\n"
        "        import ddtrace.internal._rand  # compiled: no build for this Python\n"
        "    except ModuleNotFoundError as error:\n"
        "        if error.name != 'ddtrace.internal._rand':\n"
        "            raise\n"
        f"        raise ImportError('{STUB_FAILURE}: ddtrace.internal._rand is built for CPython 3.11')\n"
    ),
    "ddtrace/internal/__init__.py": "",
    "ddtrace/contrib/__init__.py": "",
    "ddtrace/contrib/pytest/__init__.py": "",
    "ddtrace/contrib/pytest/plugin.py": "import ddtrace\n",
    "ddtrace-1.20.19.dist-info/entry_points.txt": (
        "[pytest11]\nddtrace = ddtrace.contrib.pytest.plugin\n"
    ),
}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path, py312: Path) -> Path:
    root = tmp_path_factory.mktemp("pytest-venv")
    links = root / "links"
    make_wheel(
        links,
        "ddtrace",
        "1.20.19",
        "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
        files=DDTRACE_FILES,
    )
    venv = root / "venv"
    subprocess.run([str(py312), "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "pytest", str(ddguard_wheel)], check=True, capture_output=True)
    (site,) = (venv / "lib").glob("python3.12/site-packages")
    # ddtrace installed for another interpreter, as `pip install --target` does it
    cross = ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
    cross += ["--platform", "manylinux2014_x86_64", "--only-binary=:all:", "--upgrade"]
    subprocess.run(
        [*pip, "--no-deps", "--no-index", "--find-links", str(links), *cross]
        + ["--target", str(site), "ddtrace==1.20.19"],
        check=True,
        capture_output=True,
    )
    tests = root / "project"
    tests.mkdir()
    (tests / "test_app.py").write_text("def test_app():\n    print('TEST-RAN')\n")
    (tests / "test_matrix.py").write_text(
        "import ddguard\n\n"
        "def test_pin_works(ddguard_target):\n"
        "    assert ddguard.check(['ddtrace==1.20.19'], ddguard_target).ok\n"
    )
    return venv


def run_pytest(
    venv: Path, *args: str, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DDGUARD_"))}
    environ.pop("PYTHONPATH", None)
    environ.update(env or {})
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=venv.parent / "project",  # both venvs sit next to it
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refusal_is_a_usage_error_before_any_test_or_ddtrace_plugin(venv: Path) -> None:
    # -p ddguard: what the README recommends, so ddguard loads before ddtrace's plugin
    done = run_pytest(venv, "-p", "ddguard", "test_app.py", "-s")
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.startswith("ERROR: ddguard: ddtrace 1.20.19 does not work on CPython 3.12")
    assert "built for CPython 3.11" in done.stderr
    assert STUB_FAILURE not in done.stdout + done.stderr
    assert "TEST-RAN" not in done.stdout


def test_without_ddguard_the_run_dies_in_ddtraces_plugin(venv: Path) -> None:
    # -p no:ddguard leaves the startup check on; DDGUARD_MODE=off turns both off
    done = run_pytest(venv, "-p", "no:ddguard", "test_app.py", env={"DDGUARD_MODE": "off"})
    assert done.returncode == 3, done.stdout + done.stderr
    assert STUB_FAILURE in done.stderr
    assert "ddguard" not in done.stderr


def test_no_ddguard_disables_the_plugin(venv: Path) -> None:
    done = run_pytest(venv, "-p", "no:ddguard", "-p", "no:ddtrace", "test_app.py", "-s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "TEST-RAN" in done.stdout
    assert "warning" not in done.stdout.lower()  # e.g. no PytestAssertRewriteWarning for ddguard


def test_ddguard_target_fixture_runs_once_per_declared_target(venv: Path) -> None:
    targets = ["--ddguard-target", "cp311-manylinux_x86_64"]
    targets += ["--ddguard-target", "cp312-musllinux_aarch64"]
    done = run_pytest(
        venv, "-p", "no:ddtrace", "-v", "test_matrix.py", *targets, env={"DDGUARD_MODE": "off"}
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "test_pin_works[cp311-manylinux_x86_64] PASSED" in out
    assert "test_pin_works[cp312-musllinux_aarch64] FAILED" in out


def test_bad_target_is_a_usage_error(venv: Path) -> None:
    done = run_pytest(
        venv, "-p", "no:ddtrace", "--ddguard-target", "py3-nowhere", env={"DDGUARD_MODE": "off"}
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "ERROR: ddguard: cannot read target 'py3-nowhere'" in done.stderr


@pytest.fixture(scope="module")
def ddtrace_first(venv: Path, ddguard_wheel: Path, py312: Path) -> Tuple[Path, Path]:
    """A venv with ddguard (no ddtrace), and the cp311 ddtrace in a ``pip install --target``
    directory for PYTHONPATH: importlib.metadata lists sys.path entries in order, so pytest
    loads ddtrace's pytest11 plugin before ddguard's, deterministically."""
    root = venv.parent
    second = root / "venv-ddtrace-first"
    subprocess.run([str(py312), "-m", "venv", str(second)], check=True)
    python = str(second / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "pytest", str(ddguard_wheel)], check=True, capture_output=True)
    target = root / "ddtrace-first"
    subprocess.run(
        [*pip, "--no-deps", "--no-index", "--find-links", str(root / "links")]
        + ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
        + ["--platform", "manylinux2014_x86_64", "--only-binary=:all:"]
        + ["--target", str(target), "ddtrace==1.20.19"],
        check=True,
        capture_output=True,
    )
    probe = subprocess.run(
        [python, "-c", _FIRST_PLUGIN],
        env={**_clean_env(), "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["ddtrace", "ddguard"], probe.stdout  # the premise
    return second, target


_FIRST_PLUGIN = (
    "from importlib.metadata import distributions\n"
    "for d in distributions():\n"
    "    if any(e.group == 'pytest11' for e in d.entry_points): print(d.metadata['Name'])\n"
)


def _clean_env() -> Dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DDGUARD_"))}
    environ.pop("PYTHONPATH", None)
    return environ


def test_refusal_is_the_usage_error_when_ddtraces_plugin_loads_first(
    ddtrace_first: Tuple[Path, Path],
) -> None:
    # no -p ddguard: ddtrace's plugin imports ddtrace before ddguard's plugin is loaded
    second, target = ddtrace_first
    done = run_pytest(second, "test_app.py", "-s", env={"PYTHONPATH": str(target)})
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.startswith("ERROR: ddguard: ddtrace 1.20.19 does not work on CPython 3.12")
    assert "built for CPython 3.11" in done.stderr
    assert "Traceback" not in done.stderr
    assert STUB_FAILURE not in done.stdout + done.stderr
    assert "TEST-RAN" not in done.stdout
