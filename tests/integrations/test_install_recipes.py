"""The README's ways to get ddguard into a build while it is not on the package index.

A project whose ``build-system.requires`` names ``ddguard`` (the build hook,
``build-backend = "ddguard.build"``) needs pip's isolated build environment to find it:

- a wheel in a directory named by ``PIP_FIND_LINKS`` (or ``--find-links``), which pip's
  build-environment install honours;
- a direct reference in ``requires``: ``ddguard @ file:///...whl`` (or an https URL), or
  ``ddguard @ git+https://...@tag`` (here: ``git+file://`` of a clone of this checkout);
- for uv, a wheel in a directory named by ``UV_FIND_LINKS``.

Everything else (setuptools, packaging) comes from the package index, as for a user. Each
recipe must refuse ``ddtrace==1.20.19`` on CPython 3.12 (``pip install --dry-run ./app``) and
let ``ddtrace==4.16.0`` through.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from conftest import ROOT, run

pytestmark = [pytest.mark.network, pytest.mark.slow]

REFUSAL = "ddtrace 1.20.19 does not work on CPython 3.12"
BACKEND = "setuptools.build_meta"


@pytest.fixture(scope="module")
def links(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path) -> Path:
    """A directory holding ddguard's wheel and nothing else."""
    out = tmp_path_factory.mktemp("find-links")
    shutil.copy(ddguard_wheel, out)
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, py312: Path) -> Path:
    """A CPython 3.12 venv with the pip it ships: the user's environment."""
    root = tmp_path_factory.mktemp("venv312")
    subprocess.run([str(py312), "-m", "venv", str(root)], check=True)
    return root / "bin" / "python"


def app(parent: Path, name: str, pin: str, requires: str) -> Path:
    path = parent / name
    path.mkdir()
    (path / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = [{requires}, "setuptools>=64"]
            build-backend = "ddguard.build"

            [project]
            name = "{name}"
            version = "1.0"
            dependencies = ["{pin}"]

            [tool.ddguard]
            backend = "{BACKEND}"
            """
        )
    )
    return path


def pip_dry_run(
    python: Path, project: Path, find_links: Optional[str] = None, *flags: str
) -> subprocess.CompletedProcess[str]:
    """``pip install --dry-run --no-deps ./project`` as a user types it: the package index,
    pip's cache off (no wheel of an earlier run is reused), no find-links but ``find_links``."""
    env: Dict[str, str] = {
        k: v for k, v in os.environ.items() if not k.startswith(("DDGUARD_", "PYTHONPATH"))
    }
    env.pop("PIP_FIND_LINKS", None)
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no site pip.conf: its find-links, constraints
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    env["XDG_CACHE_HOME"] = str(project / ".cache")  # the build hook's pass stamp, per test
    if find_links is not None:
        env["PIP_FIND_LINKS"] = find_links
    argv: List[str] = [str(python), "-m", "pip", "install", "--dry-run", "--no-deps", *flags]
    return run([*argv, str(project)], cwd=project.parent, env=env, timeout=600)


def assert_refused(done: subprocess.CompletedProcess[str]) -> None:
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert REFUSAL in out, out
    assert "Collecting ddtrace" not in out and "Downloading ddtrace" not in out, out


def assert_passed(done: subprocess.CompletedProcess[str], name: str) -> None:
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert f"Would install {name}-1.0" in out, out


def test_requires_ddguard_as_written_fails_while_ddguard_is_not_on_the_index(
    venv: Path, tmp_path: Path
) -> None:
    # the README's recipe before this test: when this fails, ddguard is on the index and the
    # "Before ddguard is on the package index" section can go
    project = app(tmp_path, "plain", "ddtrace==4.16.0", '"ddguard"')
    done = pip_dry_run(venv, project)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "No matching distribution found for ddguard" in out, out


@pytest.mark.parametrize("how", ["PIP_FIND_LINKS", "--find-links"])
def test_a_wheel_in_a_find_links_directory_reaches_the_build_environment(
    venv: Path, links: Path, tmp_path: Path, how: str
) -> None:
    def dry_run(project: Path) -> subprocess.CompletedProcess[str]:
        if how == "PIP_FIND_LINKS":
            return pip_dry_run(venv, project, str(links))
        return pip_dry_run(venv, project, None, "--find-links", str(links))

    assert_refused(dry_run(app(tmp_path, "refused", "ddtrace==1.20.19", '"ddguard"')))
    assert_passed(dry_run(app(tmp_path, "works", "ddtrace==4.16.0", '"ddguard"')), "works")


def test_a_direct_reference_to_the_wheel_needs_no_find_links(
    venv: Path, links: Path, tmp_path: Path
) -> None:
    (wheel,) = links.glob("ddguard-*.whl")
    requires = f'"ddguard @ {wheel.as_uri()}"'
    assert_refused(pip_dry_run(venv, app(tmp_path, "refused", "ddtrace==1.20.19", requires)))
    assert_passed(pip_dry_run(venv, app(tmp_path, "works", "ddtrace==4.16.0", requires)), "works")


def test_a_git_direct_reference_builds_ddguard_in_the_build_environment(
    venv: Path, tmp_path: Path
) -> None:
    # `ddguard @ git+https://<host>/<owner>/ddguard@v0.1.0` for users; a clone of this
    # checkout's committed tree here
    clone = tmp_path / "ddguard.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(clone)], check=True)
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    # file://localhost/...: pip before 24 takes a URL without a host only for file://
    requires = f'"ddguard @ git+file://localhost{clone}@{rev}"'
    assert_refused(pip_dry_run(venv, app(tmp_path, "refused", "ddtrace==1.20.19", requires)))


@pytest.fixture(scope="module")
def uv(tmp_path_factory: pytest.TempPathFactory, venv: Path) -> Path:
    root = tmp_path_factory.mktemp("uv")
    subprocess.run([str(venv), "-m", "venv", str(root)], check=True)
    done = run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "uv==0.13.8"])
    if done.returncode != 0:
        pytest.skip(f"cannot install uv here: {done.stderr.strip()[-300:]}")
    return root / "bin" / "uv"


def test_uv_takes_the_wheel_from_uv_find_links(
    uv: Path, venv: Path, links: Path, tmp_path: Path
) -> None:
    # uv reads static [project] metadata without the backend, so --dry-run never calls the
    # hook: a real install of the project alone (--no-deps) builds it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "DDGUARD_", "PIP_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        UV_FIND_LINKS=str(links),
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        XDG_CACHE_HOME=str(tmp_path / "xdg"),
        NO_COLOR="1",
    )
    argv = [str(uv), "pip", "install", "--python", str(venv), "--no-deps"]
    refused = run([*argv, str(app(tmp_path, "refused", "ddtrace==1.20.19", '"ddguard"'))], env=env)
    assert refused.returncode != 0 and REFUSAL in refused.stderr, refused.stderr
    works = run([*argv, str(app(tmp_path, "works", "ddtrace==4.16.0", '"ddguard"'))], env=env)
    assert works.returncode == 0, works.stderr
    assert "+ works==1.0" in works.stderr, works.stderr
