"""The tox plugin in a real tox process: envs on CPython 3.11 and 3.12, a local find-links dir."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Optional

import pytest

from stubwheel import make_wheel

TOX_INI = """\
[tox]
env_list = py311, py312
skip_missing_interpreters = false

[testenv]
skip_install = true
deps = -r requirements.txt
set_env =
    PIP_NO_INDEX = 1
    PIP_FIND_LINKS = {{env:STUB_LINKS}}
    PIP_DISABLE_PIP_VERSION_CHECK = 1
pass_env = STUB_LINKS
commands = python -c "import ddtrace, sys; print('RAN', ddtrace.__version__, sys.version_info[:2])"

[testenv:py311]
base_python = {py311}

[testenv:py312]
base_python = {py312}

[testenv:off312]
base_python = {py312}
ddguard = false

[testenv:constrained312]
base_python = {py312}
deps =
    ddtrace
    -c constraints.txt

[testenv:constraints312]
base_python = {py312}
deps = ddtrace
constraints = constraints.txt

[testenv:project312]
base_python = {py312}
skip_install = false
package = wheel
deps =
commands = python -c "print('RAN project312')"
"""

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo-service"
version = "0.1"
dependencies = ["ddtrace==1.20.19"]
"""


@pytest.fixture(scope="module")
def tox_exe(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path, py311: Path) -> Path:
    venv = tmp_path_factory.mktemp("tox-venv") / "venv"
    subprocess.run([str(py311), "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "tox>=4.1",
            str(ddguard_wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv / "bin" / "tox"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, py311: Path, py312: Path) -> Path:
    root = tmp_path_factory.mktemp("tox-project")
    links = root / "links"
    make_wheel(
        links, "ddtrace", "1.20.19", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
    )
    # an sdist pip would pick on 3.12; a refused env must never fetch (or build) it
    (links / "ddtrace-1.20.19.tar.gz").write_bytes(b"not a real sdist")
    (root / "requirements.txt").write_text(
        "requests-stub-absent; python_version < '3'\nddtrace==1.20.19\n"
    )
    (root / "constraints.txt").write_text("# pins for every env\nddtrace==1.20.19\n")
    (root / "tox.ini").write_text(TOX_INI.format(py311=py311, py312=py312))
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


def run_tox(
    tox_exe: Path, project: Path, *args: str, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TOX_", "DDGUARD_"))}
    environ.update(STUB_LINKS=str(project / "links"), **(env or {}))
    return subprocess.run(
        [str(tox_exe), "run", "--root", str(project), "--workdir", str(project / ".tox"), *args],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=240,
    )


def site_packages(project: Path, env: str) -> Path:
    return next((project / ".tox" / env / "lib").glob("python3.*/site-packages"))


def test_refused_env_fails_before_installing_and_the_other_runs(
    tox_exe: Path, project: Path
) -> None:
    done = run_tox(tox_exe, project, "-e", "py311,py312")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "RAN 1.20.19 (3, 11)" in out
    assert "py311: OK" in out
    assert "py312: FAIL" in out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "requirements.txt:2" in out  # the -r file and line the pin comes from
    assert "py312: install_deps" not in out
    assert not (site_packages(project, "py312") / "ddtrace").exists()


@pytest.mark.parametrize(
    ("env_name", "environ"),
    [("off312", {}), ("py312", {"DDGUARD_MODE": "off"})],
    ids=["ddguard-false", "DDGUARD_MODE-off"],
)
def test_switched_off_env_goes_on_to_install(
    tox_exe: Path, project: Path, env_name: str, environ: Dict[str, str]
) -> None:
    done = run_tox(tox_exe, project, "-e", env_name, env=environ)
    out = done.stdout + done.stderr
    assert "does not work on" not in out
    # pip really runs, finds no cp312 wheel and fails on the bogus sdist
    assert f"{env_name}: install_deps> " in out, out
    assert done.returncode != 0


def test_project_dependencies_refused_before_the_package_is_built(
    tox_exe: Path, project: Path
) -> None:
    done = run_tox(tox_exe, project, "-e", "project312")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "pyproject.toml:8" in out
    assert "RAN project312" not in out
    assert ".pkg" not in out  # no build environment was set up (hatchling is not even available)


@pytest.mark.parametrize("env_name", ["constrained312", "constraints312"])
def test_constraints_are_pins_too(tox_exe: Path, project: Path, env_name: str) -> None:
    # deps "-c constraints.txt" and the env's constraints setting
    done = run_tox(tox_exe, project, "-e", env_name)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "constraints.txt:2" in out
    assert f"{env_name}: install_deps" not in out


def test_report_lists_every_env_verdict(tox_exe: Path, project: Path) -> None:
    done = run_tox(tox_exe, project, "-e", "py311,py312,off312", "--ddguard-report")
    out = done.stdout
    assert "ddguard report:" in out, done.stdout + done.stderr
    table = out[out.index("ddguard report:") :].splitlines()
    rows = {line.split()[0]: line for line in table[2:] if line.strip()}
    assert set(rows) == {"py311", "py312", "off312"}
    assert "CPython 3.11" in rows["py311"] and "warning (compatible)" in rows["py311"]
    assert "CPython 3.12" in rows["py312"] and "REFUSED (incompatible)" in rows["py312"]
    assert "skipped (ddguard = false)" in rows["off312"]


# --- dependency groups (issue 13): a group included through {include-group = ...} ---------

GROUPS_PYPROJECT = """\
[project]
name = "demo-groups"
version = "0.1"

[dependency-groups]
base = ["ddtrace==1.20.19"]
test = [{include-group = "base"}]
"""

GROUPS_TOX_INI = """\
[tox]
env_list = groups311, groups312
skip_missing_interpreters = false

[testenv]
skip_install = true
dependency_groups = test
set_env =
    PIP_NO_INDEX = 1
    PIP_FIND_LINKS = {{env:STUB_LINKS}}
    PIP_DISABLE_PIP_VERSION_CHECK = 1
pass_env = STUB_LINKS
commands = python -c "import ddtrace, sys; print('RAN', ddtrace.__version__, sys.version_info[:2])"

[testenv:groups311]
base_python = {py311}

[testenv:groups312]
base_python = {py312}
"""


@pytest.fixture(scope="module")
def groups_project(tmp_path_factory: pytest.TempPathFactory, py311: Path, py312: Path) -> Path:
    root = tmp_path_factory.mktemp("tox-groups")
    links = root / "links"
    make_wheel(
        links, "ddtrace", "1.20.19", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
    )
    (links / "ddtrace-1.20.19.tar.gz").write_bytes(b"not a real sdist")
    (root / "tox.ini").write_text(GROUPS_TOX_INI.format(py311=py311, py312=py312))
    (root / "pyproject.toml").write_text(GROUPS_PYPROJECT)
    return root


def test_a_group_included_by_the_env_group_is_judged(tox_exe: Path, groups_project: Path) -> None:
    done = run_tox(tox_exe, groups_project, "-e", "groups311,groups312")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "groups312: FAIL" in out and "groups311: OK" in out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "pyproject.toml:6" in out  # the line of base = [...], reached through test
    assert "RAN 1.20.19 (3, 11)" in out
    assert "RAN 1.20.19 (3, 12)" not in out
    assert not (site_packages(groups_project, "groups312") / "ddtrace").exists()
