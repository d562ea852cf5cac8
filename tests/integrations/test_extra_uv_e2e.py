"""Real uv against the ``ddguard[ddtrace]`` extra of a wheel built from this checkout.

uv (pinned below, installed from the index into a scratch venv) reads ddguard's metadata
before building anything, so the extra's ``Requires-Dist: ddtrace...; extra == "ddtrace"
and <markers>`` rules refuse ``ddtrace==1.20.19`` on CPython 3.12 with a derivation and
resolve it on 3.11. The local runs use ``--no-index`` and a find-links directory holding
ddguard's wheel and stub ddtrace releases; 1.20.19 is, as on the real index, a cp311 wheel
plus an sdist, here one whose in-tree backend fails loudly if anything builds it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from stubwheel import make_wheel

UV_PIN = "uv==0.13.8"
PIN = "ddtrace==1.20.19"
SDIST_BUILT = "STUB DDTRACE SDIST WAS BUILT"
PLATFORM = "x86_64-manylinux_2_28"


@pytest.fixture(scope="session")
def uv(tmp_path_factory: pytest.TempPathFactory, py311: Path) -> Path:
    root = tmp_path_factory.mktemp("uv-venv")
    subprocess.run([str(py311), "-m", "venv", str(root)], check=True, capture_output=True)
    done = subprocess.run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "-q", UV_PIN],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install {UV_PIN} here: {done.stderr.strip()[-300:]}")
    return root / "bin" / "uv"


def _stub_sdist(directory: Path, version: str) -> Path:
    """``ddtrace-VERSION.tar.gz`` whose in-tree backend fails with :data:`SDIST_BUILT`."""
    base = f"ddtrace-{version}"
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "backend.py": "def _fail(*args, **kwargs):\n"
        f"    raise SystemExit({SDIST_BUILT!r})\n\n"
        "get_requires_for_build_wheel = prepare_metadata_for_build_wheel = _fail\n"
        "build_wheel = build_sdist = get_requires_for_build_sdist = _fail\n",
        "PKG-INFO": f"Metadata-Version: 2.1\nName: ddtrace\nVersion: {version}\n",
    }
    target = directory / f"{base}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture(scope="session")
def uv_links(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path) -> Path:
    links = tmp_path_factory.mktemp("uv-links")
    shutil.copy(ddguard_wheel, links)
    make_wheel(links, "packaging", "26.0")
    make_wheel(links, "PyYAML", "6.0.2")  # ddguard's dependency (stub)
    # 1.20.19 as published: wheels up to CPython 3.11 only, and an sdist
    make_wheel(links, "ddtrace", "1.20.19", "cp311-cp311-manylinux_2_17_x86_64")
    _stub_sdist(links, "1.20.19")
    for version in ("2.0.0", "2.0.1", "3.19.0", "4.1.0"):
        make_wheel(links, "ddtrace", version)
    return links


def _env(home: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "DDGUARD_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        UV_CACHE_DIR=str(home / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        NO_COLOR="1",
        COLUMNS="400",
    )
    return env


def _uv(
    uv: Path, tmp_path: Path, *args: str, cwd: Optional[Path] = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(uv), *args],
        cwd=cwd or tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _compile(
    uv: Path, tmp_path: Path, python: Path, requirements: List[str], *flags: str
) -> subprocess.CompletedProcess[str]:
    req = tmp_path / "requirements.in"
    req.write_text("".join(r + "\n" for r in requirements))
    args = ["pip", "compile", "--no-header", "--python", str(python)]
    return _uv(uv, tmp_path, *args, "--python-platform", PLATFORM, *flags, str(req))


def _venv(uv: Path, tmp_path: Path, python: Path) -> Path:
    """A fresh venv (made by uv) for ``python``; returns its interpreter."""
    done = _uv(uv, tmp_path, "venv", "-q", "--python", str(python), str(tmp_path / "venv"))
    assert done.returncode == 0, done.stderr
    return tmp_path / "venv" / "bin" / "python"


def _install(
    uv: Path, tmp_path: Path, venv: Path, requirements: List[str], *flags: str
) -> subprocess.CompletedProcess[str]:
    return _uv(uv, tmp_path, "pip", "install", "--python", str(venv), *flags, *requirements)


def _freeze(uv: Path, tmp_path: Path, venv: Path) -> str:
    return _uv(uv, tmp_path, "pip", "freeze", "--python", str(venv)).stdout


def _local(links: Path) -> List[str]:
    return ["--no-index", "--find-links", str(links)]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pinned(output: str, name: str) -> List[str]:
    return [line for line in output.splitlines() if line.startswith(f"{name}==")]


def test_extra_refuses_the_pin_on_312_with_a_derivation(
    uv: Path, uv_links: Path, tmp_path: Path, py312: Path
) -> None:
    venv = _venv(uv, tmp_path, py312)
    done = _install(uv, tmp_path, venv, ["ddguard[ddtrace]", PIN], *_local(uv_links))
    err = _flat(done.stderr)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "No solution found" in err, err
    assert "ddguard[ddtrace] depend on ddtrace" in err and ">=2.0.1" in err, err
    assert "you require ddtrace==1.20.19" in err, err
    assert SDIST_BUILT not in err
    assert _freeze(uv, tmp_path, venv) == ""
    assert not list((tmp_path / "uv-cache").glob("**/ddtrace-1.20.19*"))


def test_without_the_extra_uv_builds_the_sdist_and_ddtrace_is_not_pulled(
    uv: Path, uv_links: Path, tmp_path: Path, py312: Path
) -> None:
    """The control: plain ddguard adds no ddtrace rule, so uv goes for 1.20.19's sdist."""
    venv = _venv(uv, tmp_path, py312)
    done = _install(uv, tmp_path, venv, ["ddguard", PIN], *_local(uv_links))
    assert done.returncode != 0, done.stdout
    assert SDIST_BUILT in done.stderr, done.stderr
    alone = _compile(uv, tmp_path, py312, ["ddguard"], *_local(uv_links))
    assert alone.returncode == 0, alone.stderr
    assert _pinned(alone.stdout, "ddguard") and not _pinned(alone.stdout, "ddtrace")


def test_extra_installs_the_pin_on_311(
    uv: Path, uv_links: Path, tmp_path: Path, py311: Path
) -> None:
    venv = _venv(uv, tmp_path, py311)
    done = _install(uv, tmp_path, venv, ["ddguard[ddtrace]", PIN], *_local(uv_links))
    assert done.returncode == 0, done.stderr
    assert PIN in _freeze(uv, tmp_path, venv).splitlines()
    assert SDIST_BUILT not in done.stderr


@pytest.mark.parametrize(("python", "expected"), [("py311", "1.20.19"), ("py312", "2.0.1")])
def test_extra_picks_a_compatible_ddtrace_when_none_is_pinned(
    uv: Path,
    uv_links: Path,
    tmp_path: Path,
    python: str,
    expected: str,
    request: pytest.FixtureRequest,
) -> None:
    """With ``--resolution lowest`` the extra's lower bound is what steers the choice."""
    interpreter = request.getfixturevalue(python)
    flags = [*_local(uv_links), "--resolution", "lowest"]
    done = _compile(uv, tmp_path, interpreter, ["ddguard[ddtrace]"], *flags)
    assert done.returncode == 0, done.stderr
    assert _pinned(done.stdout, "ddtrace") == [f"ddtrace=={expected}"]


def _project(root: Path, requires_python: str, links: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\n'
        f'requires-python = "{requires_python}"\n'
        f'dependencies = ["ddguard[ddtrace]", "{PIN}"]\n'
        f'[tool.uv]\nno-index = true\nfind-links = ["{links}"]\n'
    )
    return root


@pytest.mark.parametrize(("requires_python", "locks"), [("==3.11.*", True), (">=3.11", False)])
def test_uv_lock_covers_every_python_the_project_admits(
    uv: Path, uv_links: Path, tmp_path: Path, py311: Path, requires_python: str, locks: bool
) -> None:
    project = _project(tmp_path / "app", requires_python, uv_links)
    done = _uv(uv, tmp_path, "lock", "--python", str(py311), cwd=project)
    err = _flat(done.stderr)
    assert (done.returncode == 0) is locks, err
    assert (project / "uv.lock").exists() is locks
    if locks:
        assert 'name = "ddtrace"\nversion = "1.20.19"' in (project / "uv.lock").read_text()
    else:
        # uv names the first split that fails: 3.12, 3.13 or 3.14, some platform
        assert "resolving dependencies for split (markers: python_full_version" in err, err
        assert "ddguard[ddtrace] depend" in err and "ddtrace==1.20.19" in err, err
    assert SDIST_BUILT not in err


@pytest.mark.network
def test_real_index_refuses_on_312_without_fetching_the_sdist(
    uv: Path, ddguard_wheel: Path, tmp_path: Path, py311: Path, py312: Path
) -> None:
    """ddtrace from the real index, ddguard's wheel by direct reference."""
    ddguard_req = f"ddguard[ddtrace] @ {ddguard_wheel.as_uri()}"
    venv = _venv(uv, tmp_path, py312)
    done = _install(uv, tmp_path, venv, [ddguard_req, PIN])
    err = _flat(done.stderr)
    if "error sending request" in err:
        pytest.skip("the package index is unreachable")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ddguard[ddtrace] depend" in err and "ddtrace==1.20.19" in err, err
    assert _freeze(uv, tmp_path, venv) == ""
    cached = [p.name for p in (tmp_path / "uv-cache").glob("**/*ddtrace*1.20.19*")]
    assert not cached, cached
    (tmp_path / "ok").mkdir()
    ok = _compile(uv, tmp_path / "ok", py311, [ddguard_req, PIN])
    assert ok.returncode == 0, ok.stderr
    assert _pinned(ok.stdout, "ddtrace") == [PIN]
