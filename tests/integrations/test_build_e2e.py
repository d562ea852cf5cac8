"""Build-time guards and the constraints file, end to end with real pip 26 and real venvs.

Every pip run is offline (``--no-index --find-links``): ddguard's wheel built from this
checkout, pip/setuptools/hatchling/flit-core/pdm-backend/poetry-core wheels fetched once
per session, and a stub ``ddtrace==1.20.19`` wheel. CPython 3.12 must be refused before
anything of ddtrace is collected; CPython 3.11 (where 1.20.19 has wheels) must install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from stubwheel import make_wheel

PIN = "ddtrace==1.20.19"
REFUSAL = "ddguard: ddtrace 1.20.19 does not work on CPython 3.12"


@pytest.fixture(scope="session")
def links(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path) -> Path:
    """A find-links dir: pip>=26, the backends and their dependencies, ddguard, stub ddtrace."""
    out = tmp_path_factory.mktemp("links")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary",
            ":all:",
            "--python-version",
            "3.11",
            "--dest",
            str(out),
            "pip>=26",
            "setuptools>=64",
            "hatchling",
            "flit_core>=3.4",
            "pdm-backend",
            "poetry-core>=2",
            "packaging>=22",
        ],
        check=True,
        capture_output=True,
    )
    shutil.copy(ddguard_wheel, out)
    make_wheel(out, "ddtrace", "1.20.19")
    make_wheel(out, "PyYAML", "6.0.2")  # ddguard's dependency; a stub: discovery is not run here
    return out


def pip_wheel(links: Path) -> Path:
    (found,) = sorted(links.glob("pip-*.whl"))[-1:]
    return found


def make_venv(python: Path, where: Path) -> Path:
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(where)], check=True)
    return where / "bin" / "python"


def pip(
    venv_python: Path, links: Path, *args: str, cwd: Path, skip: bool = False, mode: str = ""
) -> subprocess.CompletedProcess[str]:
    """Real pip 26 (run from its wheel) installing into ``venv_python``'s environment, offline."""
    env: Dict[str, str] = {
        k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DDGUARD"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    if skip:
        env["DDGUARD_SKIP"] = "1"
    if mode:
        env["DDGUARD_MODE"] = mode
    command: List[str] = [str(venv_python), str(pip_wheel(links) / "pip"), *args]
    if args[0] in ("install", "wheel", "download"):
        command += ["--no-index", "--find-links", str(links)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def freeze(venv_python: Path, links: Path, cwd: Path) -> str:
    return pip(venv_python, links, "freeze", "--all", cwd=cwd).stdout


APP_BACKENDS = {
    "setuptools.build_meta": ("setuptools>=64", "[tool.setuptools]\npy-modules = []\n"),
    "hatchling.build": ("hatchling", "[tool.hatch.build.targets.wheel]\nbypass-selection = true\n"),
    "flit_core.buildapi": ("flit_core>=3.4", ""),
    "pdm.backend": ("pdm-backend", ""),
    "poetry.core.masonry.api": ("poetry-core>=2", ""),
}


def write_app(root: Path, build_system: str, extra: str = "", name: str = "app") -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        build_system
        + textwrap.dedent(
            f"""
            [project]
            name = "{name}"
            version = "0.1"
            description = "sample app"
            dependencies = ["{PIN}"]
            """
        )
        + extra
    )
    (root / f"{name}.py").write_text("")
    return root


def wrapped_app(root: Path, backend: str) -> Path:
    requirement, extra = APP_BACKENDS[backend]
    build_system = (
        "[build-system]\n"
        f'requires = ["ddguard", "{requirement}"]\n'
        'build-backend = "ddguard.build"\n'
    )
    return write_app(root, build_system, extra + f'\n[tool.ddguard]\nbackend = "{backend}"\n')


def assert_refused_before_ddtrace(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert REFUSAL in output, output
    assert "Collecting ddtrace" not in output and "ddtrace-1.20.19" not in output, output


@pytest.mark.parametrize("backend", sorted(APP_BACKENDS))
def test_wrapper_refuses_on_312_before_collecting_ddtrace(
    tmp_path: Path, links: Path, py312: Path, backend: str
) -> None:
    venv = make_venv(py312, tmp_path / "venv")
    app = wrapped_app(tmp_path / "app", backend)
    before = freeze(venv, links, tmp_path)
    result = pip(venv, links, "install", str(app), cwd=tmp_path)
    assert_refused_before_ddtrace(result)
    # the paragraph is the first line of the hook's output, inside pip's box
    box = result.stdout + result.stderr
    assert "Getting requirements to build wheel did not run successfully" in box
    assert freeze(venv, links, tmp_path) == before


def test_wrapper_dry_run_on_312_is_refused(tmp_path: Path, links: Path, py312: Path) -> None:
    venv = make_venv(py312, tmp_path / "venv")
    app = wrapped_app(tmp_path / "app", "setuptools.build_meta")
    assert_refused_before_ddtrace(pip(venv, links, "install", "--dry-run", str(app), cwd=tmp_path))


@pytest.mark.parametrize("backend", ["pdm.backend", "poetry.core.masonry.api"])
def test_wrapper_passes_on_311_for_pdm_and_poetry_backends(
    tmp_path: Path, links: Path, py311: Path, backend: str
) -> None:
    """The guard lets the inner backend prepare the metadata; pip resolves the stub 1.20.19."""
    venv = make_venv(py311, tmp_path / "venv")
    app = wrapped_app(tmp_path / "app", backend)
    result = pip(venv, links, "install", "--dry-run", str(app), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would install app-0.1 ddtrace-1.20.19" in result.stdout, result.stdout


@pytest.mark.slow
def test_wrapper_passes_on_311_and_installs(tmp_path: Path, links: Path, py311: Path) -> None:
    venv = make_venv(py311, tmp_path / "venv")
    app = wrapped_app(tmp_path / "app", "setuptools.build_meta")
    result = pip(venv, links, "install", str(app), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ddtrace==1.20.19" in freeze(venv, links, tmp_path).splitlines()


def test_ddguard_skip_lets_the_build_through(tmp_path: Path, links: Path, py312: Path) -> None:
    venv = make_venv(py312, tmp_path / "venv")
    app = wrapped_app(tmp_path / "app", "setuptools.build_meta")
    result = pip(venv, links, "install", "--dry-run", str(app), cwd=tmp_path, skip=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would install" in result.stdout and "ddtrace-1.20.19" in result.stdout


def test_hatch_build_hook_refuses_on_312(tmp_path: Path, links: Path, py312: Path) -> None:
    venv = make_venv(py312, tmp_path / "venv")
    app = write_app(
        tmp_path / "happ",
        '[build-system]\nrequires = ["hatchling", "ddguard"]\nbuild-backend = "hatchling.build"\n',
        "[tool.hatch.build.targets.wheel]\nbypass-selection = true\n\n[tool.hatch.build.hooks.ddguard]\n",
        name="happ",
    )
    assert_refused_before_ddtrace(pip(venv, links, "install", "--dry-run", str(app), cwd=tmp_path))


@pytest.mark.slow
def test_setuptools_plugin_refuses_on_312(tmp_path: Path, links: Path, py312: Path) -> None:
    venv = make_venv(py312, tmp_path / "venv")
    app = write_app(
        tmp_path / "sapp",
        '[build-system]\nrequires = ["setuptools>=64", "ddguard"]\nbuild-backend = "setuptools.build_meta"\n',
        "[tool.setuptools]\npy-modules = []\n",
        name="sapp",
    )
    assert_refused_before_ddtrace(pip(venv, links, "install", "--dry-run", str(app), cwd=tmp_path))


@pytest.mark.slow
def test_setuptools_plugin_ignores_projects_that_do_not_opt_in(
    tmp_path: Path, links: Path, py312: Path
) -> None:
    """ddguard is in the build env (--no-build-isolation) but the project never asked."""
    venv = make_venv(py312, tmp_path / "venv")
    setup = pip(venv, links, "install", "ddguard", "setuptools>=64", cwd=tmp_path)
    assert setup.returncode == 0, setup.stderr
    app = write_app(
        tmp_path / "plain",
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n',
        "[tool.setuptools]\npy-modules = []\n",
        name="plain",
    )
    # ddguard installed in this venv also guards pip itself, which would refuse the project
    # first: DDGUARD_MODE=off turns that guard off, not the setuptools plugin (DDGUARD_SKIP)
    guarded = pip(venv, links, "install", "--dry-run", "--no-build-isolation", str(app), cwd=tmp_path)
    assert guarded.returncode == 1 and "DDGUARD_MODE=off pip install" in guarded.stderr
    result = pip(
        venv, links, "install", "--dry-run", "--no-build-isolation", str(app), cwd=tmp_path, mode="off"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ddtrace-1.20.19" in result.stdout


@pytest.fixture(scope="session")
def constraints_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    text = subprocess.run(
        [sys.executable, "-m", "ddguard", "constraints"], check=True, capture_output=True, text=True
    ).stdout
    out.write_text(text)
    return out


def test_constraints_file_makes_pip_refuse_on_312(
    tmp_path: Path, links: Path, py312: Path, constraints_file: Path
) -> None:
    venv = make_venv(py312, tmp_path / "venv")
    result = pip(
        venv, links, "install", "--dry-run", "-c", str(constraints_file), PIN, cwd=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "ResolutionImpossible" in output or "conflict" in output, output
    assert "Would install" not in output


def test_constraints_file_resolves_on_311(
    tmp_path: Path, links: Path, py311: Path, constraints_file: Path
) -> None:
    venv = make_venv(py311, tmp_path / "venv")
    result = pip(
        venv, links, "install", "--dry-run", "-c", str(constraints_file), PIN, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would install ddtrace-1.20.19" in result.stdout


@pytest.mark.network
@pytest.mark.slow
def test_real_index_dry_run_on_312_downloads_nothing_of_ddtrace(
    tmp_path: Path, links: Path, py312: Path
) -> None:
    """The issue's measurement: refused in the first hook, no ddtrace sdist fetched."""
    venv = make_venv(py312, tmp_path / "venv")
    app = wrapped_app(tmp_path / "app", "setuptools.build_meta")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DDGUARD")}
    result = subprocess.run(
        [
            str(venv),
            str(pip_wheel(links) / "pip"),
            "install",
            "--dry-run",
            "--find-links",
            str(links),
            str(app),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert_refused_before_ddtrace(result)
    assert "Downloading ddtrace" not in result.stdout + result.stderr
