"""PDM and Poetry refuse to lock or install ddtrace 1.20.19 on CPython 3.12 (real processes).

Real ``pdm`` and ``poetry`` (pinned below) are installed from the index into one scratch
venv each per session, with ddguard from a wheel of this checkout. Projects resolve
against a stub ddtrace wheel served locally (PDM: a find-links directory; Poetry: a PEP 503
page over HTTP on 127.0.0.1), so the runs that pass the guard also lock and install.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Union

import pytest

from stubwheel import make_wheel

pytestmark = [pytest.mark.slow, pytest.mark.network]

PDM_PINS = ["pdm==2.29.4", "hishel[httpx2]==1.4.0"]  # hishel 2 breaks pdm 2.29
POETRY_PINS = ["poetry==2.5.1"]
DDTRACE_DEP = '"ddtrace==1.20.19"'  # the dependencies entry of the refused projects
REFUSAL = "does not work on CPython 3.12, "  # the paragraph's head, after "ddtrace 1.20.19 ..."


def _tool_venv(root: Path, python: Path, pins: List[str], wheel: Optional[Path]) -> Path:
    """A venv with the tool, and ddguard's wheel unless ``wheel`` is None."""
    subprocess.run([str(python), "-m", "venv", str(root)], check=True, capture_output=True)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q", *pins]
    pip += [str(wheel)] if wheel is not None else []
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot install {pins} here: {done.stderr.strip()[-300:]}")
    return root / "bin"


@pytest.fixture(scope="session")
def pdm(tmp_path_factory: pytest.TempPathFactory, py312: Path, ddguard_wheel: Path) -> Path:
    bin_dir = _tool_venv(tmp_path_factory.mktemp("pdm-venv"), py312, PDM_PINS, ddguard_wheel)
    return bin_dir / "pdm"


@pytest.fixture(scope="session")
def poetry(tmp_path_factory: pytest.TempPathFactory, py312: Path, ddguard_wheel: Path) -> Path:
    bin_dir = _tool_venv(tmp_path_factory.mktemp("poetry-venv"), py312, POETRY_PINS, ddguard_wheel)
    return bin_dir / "poetry"


@pytest.fixture(scope="session")
def stub_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PEP 503 tree: simple/ddtrace/index.html next to the stub ddtrace 1.20.19 wheel."""
    simple = tmp_path_factory.mktemp("simple")
    wheel = make_wheel(simple / "ddtrace", "ddtrace", "1.20.19")
    (simple / "ddtrace" / "index.html").write_text(
        f'<!DOCTYPE html><html><body><a href="{wheel.name}">{wheel.name}</a></body></html>\n'
    )
    return simple


@pytest.fixture(scope="session")
def index_url(stub_wheels: Path) -> Iterator[str]:
    yield from _serve(stub_wheels)


@pytest.fixture(scope="session")
def pdm_plain(tmp_path_factory: pytest.TempPathFactory, py312: Path) -> Path:
    """PDM without ddguard in its own venv."""
    return _tool_venv(tmp_path_factory.mktemp("pdm-plain"), py312, PDM_PINS, None) / "pdm"


@pytest.fixture(scope="session")
def poetry_plain(tmp_path_factory: pytest.TempPathFactory, py312: Path) -> Path:
    """Poetry without ddguard in its own venv."""
    return _tool_venv(tmp_path_factory.mktemp("poetry-plain"), py312, POETRY_PINS, None) / "poetry"


def _serve(directory: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def _pep503(simple: Path) -> None:
    """Move the wheels in ``simple`` into ``simple/<name>/`` pages (PEP 503)."""
    for wheel in sorted(simple.glob("*.whl")):
        name = re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()
        (simple / name).mkdir(exist_ok=True)
        wheel.rename(simple / name / wheel.name)
    for page in simple.iterdir():
        links = "".join(f'<a href="{w.name}">{w.name}</a>\n' for w in sorted(page.glob("*.whl")))
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


def _fetch(python: Path, dest: Path, *requirements: str) -> None:
    """``pip download`` wheels for ``python`` (no dependencies) into ``dest``."""
    fetched = subprocess.run(
        [str(python), "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
        + ["--dest", str(dest), *requirements],
        capture_output=True,
        text=True,
    )
    if fetched.returncode != 0:
        pytest.skip(f"cannot fetch {requirements}: {fetched.stderr.strip()[-300:]}")


def _ddguard_tree(root: Path, ddguard_wheel: Path) -> Path:
    """ddguard (this checkout), stub ddtrace 1.20.19 and a real packaging, as loose wheels."""
    make_wheel(root, "ddtrace", "1.20.19")
    make_wheel(root, "PyYAML", "6.0.2")  # ddguard's dependency (stub: universal locks need any platform)
    shutil.copy(ddguard_wheel, root)
    return root


@pytest.fixture(scope="session")
def ddguard_index(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path) -> Iterator[str]:
    """A PEP 503 index over HTTP: ddguard (this checkout), real packaging, stub ddtrace 1.20.19."""
    simple = _ddguard_tree(tmp_path_factory.mktemp("simple-ddguard"), ddguard_wheel)
    _fetch(Path(sys.executable), simple, "packaging>=22")
    _pep503(simple)
    yield from _serve(simple)


@pytest.fixture(scope="session")
def poetry_mirror_index(
    tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path, poetry_plain: Path
) -> Iterator[str]:
    """:func:`ddguard_index` plus every distribution in Poetry's own venv.

    Poetry installs ``requires-plugins`` with the project's sources and treats every
    package of its own environment as a pinned dependency that those sources must serve,
    with the platform-conditional ones (xattr on macOS...) as well.
    """
    simple = _ddguard_tree(tmp_path_factory.mktemp("simple-mirror"), ddguard_wheel)
    python = poetry_plain.parent / "python"
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True
    ).stdout.split()
    _fetch(python, simple, *frozen)
    # the solver also wants what Poetry needs on other platforms: stubs will do
    for name, version in [("xattr", "1.1.0"), ("pywin32-ctypes", "0.2.3"), ("colorama", "0.4.6")]:
        make_wheel(simple, name, version)
    make_wheel(simple, "httpx2-jsfetch", "0.1.0")
    _pep503(simple)
    yield from _serve(simple)


def _environ(home: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PDM_", "POETRY_", "DDGUARD_"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)  # the tools see ddguard only where each test puts it
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        PDM_CHECK_UPDATE="false",
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_NO_INTERACTION="1",
        NO_COLOR="1",
        COLUMNS="400",
    )
    env.update(extra)
    return env


def _run(
    args: Sequence[Union[str, Path]], cwd: Path, env: Dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def _installed_ddtrace(project: Path) -> Optional[str]:
    """The ddtrace version in the project's .venv, or None."""
    python = project / ".venv" / "bin" / "python"
    if not python.exists():
        return None
    done = subprocess.run(
        [str(python), "-c", "import ddtrace; print(ddtrace.__version__)"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _flat(text: str) -> str:
    return " ".join(text.split())


def _project(
    root: Path, requires_python: str, deps: str, index: Union[str, Path], tool: str
) -> Path:
    """A non-package project resolving from ``index`` only: a PEP 503 page over HTTP, or
    (PDM) a directory of wheels as find-links."""
    root.mkdir(parents=True, exist_ok=True)
    if tool == "pdm":
        url = index.as_uri() if isinstance(index, Path) else index
        kind = 'type = "find_links"\n' if isinstance(index, Path) else ""
        source = f'[tool.pdm]\ndistribution = false\n\n[[tool.pdm.source]]\nname = "pypi"\nurl = "{url}"\n{kind}'
    else:
        source = (
            "[tool.poetry]\npackage-mode = false\n\n"
            f'[[tool.poetry.source]]\nname = "local"\nurl = "{index}"\npriority = "primary"\n'
        )
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = "{requires_python}"\n'
        f"dependencies = [{deps}]\n\n{source}"
    )
    return root


# --- PDM ----------------------------------------------------------------------------------


def _pdm_use(pdm: Path, project: Path, python: Path, env: Dict[str, str]) -> None:
    done = _run([pdm, "use", "-f", python], project, env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("command", [["lock"], ["install"]])
def test_pdm_refuses_ddtrace_1_20_19_on_312_before_locking(
    pdm: Path, py312: Path, stub_wheels: Path, tmp_path: Path, command: List[str]
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, stub_wheels / "ddtrace", "pdm")
    _pdm_use(pdm, project, py312, env)
    done = _run([pdm, *command], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 1, out
    assert "PdmUsageError" in out and "ddtrace 1.20.19" in out and REFUSAL in out
    assert "does not work on CPython 3.12–3.14" in out  # the breaking sub-range of requires-python
    assert "which the project's Python range (>=3.8) admits" in out  # one wording: CLI and plugins
    assert "Traceback" not in out
    assert not (project / "pdm.lock").exists()
    assert _installed_ddtrace(project) is None


def test_pdm_pre_install_refuses_a_locked_1_20_19_on_312(
    pdm: Path, py312: Path, stub_wheels: Path, tmp_path: Path
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, stub_wheels / "ddtrace", "pdm")
    _pdm_use(pdm, project, py312, env)
    locked = _run([pdm, "lock"], project, {**env, "DDGUARD_MODE": "off"})
    assert locked.returncode == 0, locked.stdout + locked.stderr  # off: the guard stands aside
    done = _run([pdm, "install"], project, env)  # fresh lock: only pre_install fires
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 1, out
    assert "refused to install ddtrace" in out and "ddtrace 1.20.19" in out and REFUSAL in out
    assert _installed_ddtrace(project) is None


def test_pdm_warn_mode_locks_with_the_paragraph_as_a_warning(
    pdm: Path, py312: Path, stub_wheels: Path, tmp_path: Path
) -> None:
    env = _environ(tmp_path / "home", DDGUARD_MODE="warn")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, stub_wheels / "ddtrace", "pdm")
    _pdm_use(pdm, project, py312, env)
    done = _run([pdm, "lock"], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 0, out
    assert "refused to lock ddtrace" in out and REFUSAL in out
    assert "PdmUsageError" not in out
    assert (project / "pdm.lock").exists()


def test_pdm_installs_ddtrace_1_20_19_on_311(
    pdm: Path, py311: Path, stub_wheels: Path, tmp_path: Path
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8,<3.12", DDTRACE_DEP, stub_wheels / "ddtrace", "pdm")
    _pdm_use(pdm, project, py311, env)
    done = _run([pdm, "install"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "pdm.lock").exists()
    assert _installed_ddtrace(project) == "1.20.19"


# --- Poetry -------------------------------------------------------------------------------


def _poetry_env(poetry: Path, project: Path, python: Path, env: Dict[str, str]) -> None:
    done = _run([poetry, "env", "use", python], project, env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("command", [["lock"], ["install"], ["sync"], ["update"]])
def test_poetry_refuses_ddtrace_1_20_19_on_312_before_locking(
    poetry: Path, py312: Path, index_url: str, tmp_path: Path, command: List[str]
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, index_url, "poetry")
    _poetry_env(poetry, project, py312, env)
    done = _run([poetry, *command], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 1, out
    assert (
        f"ddguard refused `poetry {command[0]}`" in out
        and "ddtrace 1.20.19" in out
        and REFUSAL in out
    )
    assert "does not work on CPython 3.12–3.14" in out and "Python range (>=3.8) admits" in out
    assert "Traceback" not in out
    assert not (project / "poetry.lock").exists()
    assert _installed_ddtrace(project) is None


@pytest.mark.parametrize("argument", ["ddtrace@1.20.19", "ddtrace==1.20.19", "ddtrace@^1.20"])
def test_poetry_add_ddtrace_1_20_19_is_refused_from_the_arguments(
    poetry: Path, py312: Path, index_url: str, tmp_path: Path, argument: str
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", "", index_url, "poetry")
    before = (project / "pyproject.toml").read_text()
    _poetry_env(poetry, project, py312, env)
    done = _run([poetry, "add", argument], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 1, out
    assert "ddguard refused `poetry add`" in out and "ddtrace 1.20.19" in out and REFUSAL in out
    assert (project / "pyproject.toml").read_text() == before
    assert not (project / "poetry.lock").exists()


def test_poetry_install_refuses_the_locked_version_on_312(
    poetry: Path, py312: Path, index_url: str, tmp_path: Path
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, index_url, "poetry")
    _poetry_env(poetry, project, py312, env)
    locked = _run([poetry, "lock"], project, {**env, "DDGUARD_MODE": "off"})
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert 'version = "1.20.19"' in (project / "poetry.lock").read_text()
    done = _run([poetry, "install"], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 1 and "ddtrace 1.20.19" in out and REFUSAL in out, out
    assert _installed_ddtrace(project) is None


def test_poetry_warn_mode_locks_with_the_paragraph_as_a_warning(
    poetry: Path, py312: Path, index_url: str, tmp_path: Path
) -> None:
    env = _environ(tmp_path / "home", DDGUARD_MODE="warn")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, index_url, "poetry")
    _poetry_env(poetry, project, py312, env)
    done = _run([poetry, "lock"], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 0, out
    assert "ddguard refused `poetry lock`" in out and REFUSAL in out
    assert "pyproject.toml:5" in out  # the pin's source, relative to Poetry's working directory
    assert 'version = "1.20.19"' in (project / "poetry.lock").read_text()


def test_poetry_installs_ddtrace_1_20_19_on_311(
    poetry: Path, py311: Path, index_url: str, tmp_path: Path
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8,<3.12", DDTRACE_DEP, index_url, "poetry")
    _poetry_env(poetry, project, py311, env)
    done = _run([poetry, "install"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ddguard" not in done.stdout + done.stderr
    assert (project / "poetry.lock").exists()
    assert _installed_ddtrace(project) == "1.20.19"


# --- the ddguard[ddtrace] extra through the lockers (no ddguard plugin in the tool) ----------

EXTRA_CASES = [
    # (dependencies, requires-python, locks): the third, the control without the extra, runs
    # with PDM only (Poetry takes 12 s for it); neither tool venv holds ddguard's plugin
    ('"ddguard[ddtrace]", "ddtrace==1.20.19"', "==3.12.*", False),
    ('"ddguard[ddtrace]", "ddtrace==1.20.19"', "==3.11.*", True),
    ('"ddguard", "ddtrace==1.20.19"', "==3.12.*", True),
]


@pytest.mark.parametrize(("deps", "requires_python", "locks"), EXTRA_CASES)
def test_pdm_lock_honours_the_extra(
    pdm_plain: Path,
    ddguard_index: str,
    tmp_path: Path,
    deps: str,
    requires_python: str,
    locks: bool,
    request: pytest.FixtureRequest,
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", requires_python, deps, ddguard_index, "pdm")
    python = request.getfixturevalue("py311" if "3.11" in requires_python else "py312")
    _pdm_use(pdm_plain, project, python, env)
    done = _run([pdm_plain, "lock"], project, env)
    out = _flat(done.stdout + done.stderr)
    assert (done.returncode == 0) is locks, out
    assert (project / "pdm.lock").exists() is locks
    assert "ddguard refused" not in out
    if locks:
        assert 'name = "ddtrace" version = "1.20.19"' in _flat((project / "pdm.lock").read_text())
    else:
        # PDM names both sides: the extra's 3.12 rule and the project's pin
        # (the rule it names is one of the 3.12 platforms': >=2.0.1 on x86-64, >=2.0.7 on AArch64)
        assert "(from ddguard@" in out and re.search(r">=2\.0\.\d", out), out
        assert "ddtrace==1.20.19" in out, out


@pytest.mark.parametrize(("deps", "requires_python", "locks"), EXTRA_CASES[:2])
def test_poetry_lock_honours_the_extra(
    poetry_plain: Path,
    ddguard_index: str,
    tmp_path: Path,
    deps: str,
    requires_python: str,
    locks: bool,
) -> None:
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", requires_python, deps, ddguard_index, "poetry")
    done = _run([poetry_plain, "lock"], project, env)
    out = _flat(done.stdout + done.stderr)
    assert (done.returncode == 0) is locks, out
    assert (project / "poetry.lock").exists() is locks
    assert "ddguard refused" not in out
    if locks:
        assert 'name = "ddtrace" version = "1.20.19"' in _flat(
            (project / "poetry.lock").read_text()
        )
    else:
        assert "ddguard[ddtrace] (" in out, out
        assert re.search(r"\) depends on ddtrace \(>=2\.0\.\d", out), out
        assert "ddtrace (1.20.19), version solving failed" in out, out


# --- project-local activation, as the README documents (no ddguard in the tool's venv) -------


def _tool_has_ddguard(tool: Path) -> bool:
    python = tool.parent / "python"
    probe = "import importlib.util as u; print(u.find_spec('ddguard') is not None)"
    done = subprocess.run(
        [str(python), "-I", "-c", probe], capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def test_pdm_project_plugins_activate_the_guard(
    pdm_plain: Path, ddguard_index: str, py312: Path, tmp_path: Path
) -> None:
    """``[tool.pdm] plugins`` + ``pdm install --plugins``: the next ``pdm lock`` is refused."""
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, ddguard_index, "pdm")
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace("distribution = false\n", 'distribution = false\nplugins = ["ddguard"]\n')
    )
    (project / "pyproject.toml").write_text(text)
    _pdm_use(pdm_plain, project, py312, env)
    unguarded = _run([pdm_plain, "lock"], project, env)  # the control: not active before
    assert unguarded.returncode == 0, unguarded.stdout + unguarded.stderr
    (project / "pdm.lock").unlink()
    plugins = _run([pdm_plain, "install", "--plugins"], project, env)
    assert plugins.returncode == 0, plugins.stdout + plugins.stderr
    done = _run([pdm_plain, "lock"], project, env)
    out = _flat(done.stdout + done.stderr)
    assert done.returncode == 1, out
    assert "PdmUsageError" in out and "ddtrace 1.20.19" in out and REFUSAL in out
    assert not (project / "pdm.lock").exists()
    assert not _tool_has_ddguard(pdm_plain)


def test_poetry_requires_plugins_activate_the_guard_from_the_next_command(
    poetry_plain: Path, poetry_mirror_index: str, py312: Path, tmp_path: Path
) -> None:
    """``[tool.poetry.requires-plugins]``: only ``poetry install`` puts ddguard into
    .poetry/plugins, after Poetry has loaded its plugins, so the guard is active from the
    next command; ``poetry install --dry-run`` bootstraps it without installing anything."""
    env = _environ(tmp_path / "home")
    project = _project(tmp_path / "p", ">=3.8", DDTRACE_DEP, poetry_mirror_index, "poetry")
    with (project / "pyproject.toml").open("a") as f:
        f.write('\n[tool.poetry.requires-plugins]\nddguard = ">=0.1"\n')
    _poetry_env(poetry_plain, project, py312, env)
    first = _run([poetry_plain, "install", "--dry-run"], project, env)
    out = _flat(first.stdout + first.stderr)
    assert first.returncode == 0, out
    assert "Installing Poetry plugins only for the current project" in out
    assert list((project / ".poetry" / "plugins").glob("ddguard-*.dist-info")), out
    assert "ddguard refused" not in out  # not loaded yet in the process that installed it
    assert _installed_ddtrace(project) is None
    for command in ("install", "lock"):
        done = _run([poetry_plain, command], project, env)
        out = _flat(done.stdout + done.stderr)
        assert done.returncode == 1, out
        assert f"ddguard refused `poetry {command}`" in out and REFUSAL in out
    assert not (project / "poetry.lock").exists()
    assert _installed_ddtrace(project) is None
    assert not _tool_has_ddguard(poetry_plain)
