"""The pip guard with real pip in real venvs: ddguard's wheel installed into venvs of the
pyenv CPython 3.12 and 3.11, each with the pip the venv bundles (23.2.1 on 3.11.7/3.12.1:
the oldest pip the project supports) and with the newest pip on the package index (26.x).

Requirements come from stub ddtrace wheels in a local find-links directory; a refusal is
run against a local index server that records every request, so "nothing downloaded" is a
fact. One test (marked ``network``) runs pip against the real index.
"""

from __future__ import annotations

import http.server
import os
import shutil
import sys
import threading
import zipfile
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
from conftest import pip, pyenv_python, run

from stubwheel import make_wheel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="manylinux x86_64 stub wheels"),
]

PIPS = ("bundled", "newest")
CP311_ONLY = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
CP312_ONLY = "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"
STUB = {"ddtrace/__init__.py": "print('ddtrace imported')\n"}
TARGET_311 = ["--only-binary=:all:", "--implementation", "cp", "--abi", "cp311"]
TARGET_311 += ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
REFUSED_312 = "ddguard: ddtrace 1.20.19 does not work on CPython 3.12"


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory, ddguard_wheel: Path) -> Path:
    """ddguard's wheel and stub ddtrace wheels: 1.20.19 as published (CPython <= 3.11),
    1.20.19 also for cp312 (so that pip has something to install when told to go on),
    and 3.12.0, which works on both."""
    out = tmp_path_factory.mktemp("wheels")
    shutil.copy(ddguard_wheel, out)
    make_wheel(out, "ddtrace", "1.20.19", CP311_ONLY, files=STUB)
    make_wheel(out, "ddtrace", "1.20.19", CP312_ONLY, files=STUB)
    make_wheel(out, "ddtrace", "3.12.0", CP311_ONLY, files=STUB)
    make_wheel(out, "ddtrace", "3.12.0", CP312_ONLY, files=STUB)
    return out


Venv = Tuple[Path, str]  # (the venv's python, pip's version)


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory, wheels: Path) -> Callable[[str, str], Venv]:
    """A venv of CPython ``minor`` with ``bundled`` or ``newest`` pip and ddguard installed;
    made once per session."""
    made: Dict[Tuple[str, str], Venv] = {}

    def make(minor: str, which: str) -> Venv:
        if (minor, which) not in made:
            base = tmp_path_factory.mktemp(f"venv{minor}-{which}")
            run([str(pyenv_python(minor)), "-m", "venv", str(base)], check=True)
            python = base / "bin" / "python"
            if which == "newest":  # from the package index pip is configured with
                done = run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
                if done.returncode != 0:
                    pytest.skip(f"newest pip unavailable: {done.stderr.strip()[-200:]}")
            pip(python, "install", "--find-links", str(wheels), str(next(wheels.glob("ddguard-*"))))
            version = run([str(python), "-m", "pip", "--version"]).stdout.split()[1]
            made[(minor, which)] = (python, version)
        return made[(minor, which)]

    return make


def hermetic(tmp_path: Path, **extra: str) -> Dict[str, str]:
    """The environment for a guarded pip: none of the machine's pip configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DDGUARD_", "PYTHON"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    env.update(extra)
    return env


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def index() -> Iterator[Tuple[str, List[str]]]:
    """A package index on localhost that answers 404 and records every request."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def spelled(python: Path, spelling: str, tmp_path: Path) -> List[str]:
    """pip's command in one of its spellings, for the venv of ``python``."""
    bin_dir = python.parent
    minor = "%s.%s" % tuple(
        run([str(python), "-c", "import sys; print(*sys.version_info[:2])"]).stdout.split()
    )
    if spelling == "pip":
        return [str(bin_dir / "pip")]
    if spelling == "pip3":
        return [str(bin_dir / "pip3")]
    if spelling == "pip3.X":
        return [str(bin_dir / f"pip{minor}")]
    if spelling == "python -m pip":
        return [str(python), "-m", "pip"]
    assert spelling == "zipapp"
    return [str(python), str(zipapp_of(python, tmp_path))]


def zipapp_of(python: Path, tmp_path: Path) -> Path:
    """``pip.pyz`` from the venv's own pip, laid out as pip's published zipapp is."""
    site = next(python.parent.parent.glob("lib/python3.*/site-packages"))
    target = tmp_path / "pip.pyz"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(
            "__main__.py",
            "import os, runpy, sys\n"
            "sys.path.insert(0, os.path.dirname(__file__))\n"
            "runpy.run_module('pip', run_name='__main__')\n",
        )
        for path in (site / "pip").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(site).as_posix())
    return target


def freeze(python: Path, env: Dict[str, str]) -> str:
    return run([str(python), "-m", "pip", "freeze", "--all"], env=env).stdout


# --- refused before pip does anything ------------------------------------------------------------


@pytest.mark.parametrize("which", PIPS)
@pytest.mark.parametrize("spelling", ["pip", "pip3", "pip3.X", "python -m pip", "zipapp"])
def test_pin_that_breaks_here_is_refused_before_pip_resolves_or_downloads(
    venv: Callable[[str, str], Venv],
    which: str,
    spelling: str,
    index: Tuple[str, List[str]],
    tmp_path: Path,
) -> None:
    python, _ = venv("3.12", which)
    env = hermetic(tmp_path)
    before = freeze(python, env)
    url, requests = index
    done = run(
        [*spelled(python, spelling, tmp_path), "install", "-i", url, "ddtrace==1.20.19"], env=env
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(REFUSED_312), done.stderr
    assert "Fix: use ddtrace>=2.0.1" in lines[0]
    assert lines[-1].startswith("ddguard: pip stopped before resolving or downloading anything.")
    assert "DDGUARD_MODE=off" in lines[-1] and "install -i" in lines[-1]
    assert len(lines) == 2 and done.stdout == ""
    assert requests == []  # pip never asked the index for anything
    assert freeze(python, env) == before


def test_refusal_under_w_error_is_the_same(
    venv: Callable[[str, str], Venv], index: Tuple[str, List[str]], tmp_path: Path
) -> None:
    """``python -W error``: nothing ddguard does turns into an exception."""
    python, _ = venv("3.12", "newest")
    url, requests = index
    argv = [str(python), "-W", "error", "-m", "pip", "install", "-i", url, "ddtrace==1.20.19"]
    done = run(argv, env=hermetic(tmp_path, PYTHONWARNINGS="error"))
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312), done.stderr
    assert "Traceback" not in done.stderr and requests == []


def test_the_index_recorder_sees_what_pip_asks_for(
    venv: Callable[[str, str], Venv], index: Tuple[str, List[str]], tmp_path: Path
) -> None:
    """The other side of "nothing downloaded": unchecked, pip asks the index at once."""
    python, _ = venv("3.12", "bundled")
    url, requests = index
    env = hermetic(tmp_path, DDGUARD_MODE="off", PIP_RETRIES="0")
    done = run([str(python), "-m", "pip", "install", "-i", url, "ddtrace==1.20.19"], env=env)
    assert done.returncode == 1 and "ddguard" not in done.stderr
    assert requests and requests[0].startswith("/simple/ddtrace")


@pytest.mark.parametrize("which", PIPS)
def test_requirements_and_constraints_files_are_read(
    venv: Callable[[str, str], Venv], which: str, index: Tuple[str, List[str]], tmp_path: Path
) -> None:
    python, _ = venv("3.12", which)
    url, requests = index
    (tmp_path / "requirements.txt").write_text("# app\nddtrace==1.20.19\n")
    (tmp_path / "constraints.txt").write_text("ddtrace==1.20.19\n")
    env = hermetic(tmp_path)
    pip_cmd = [str(python.parent / "pip"), "install", "-i", url]
    done = run([*pip_cmd, "-r", "requirements.txt"], env=env, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)
    assert "(requirements.txt:2)" in done.stderr
    done = run([*pip_cmd, "-c", "constraints.txt", "ddtrace"], env=env, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)
    assert "(constraints.txt:1)" in done.stderr
    assert requests == []


@pytest.mark.parametrize("which", PIPS)
def test_target_install_is_judged_for_the_declared_interpreter(
    venv: Callable[[str, str], Venv], which: str, wheels: Path, tmp_path: Path
) -> None:
    """The issue's command: CPython 3.12's pip installing for CPython 3.11 into a directory."""
    python, _ = venv("3.12", which)
    env = hermetic(tmp_path)
    local = ["--no-index", "--find-links", str(wheels), "--target", str(tmp_path / "t")]
    done = run(
        [str(python), "-m", "pip", "install", *local, *TARGET_311, "ddtrace==1.20.19"], env=env
    )
    assert done.returncode == 0, done.stderr
    assert "ddguard" not in done.stderr
    assert (tmp_path / "t" / "ddtrace-1.20.19.dist-info").is_dir()
    for_312 = [a if a not in ("3.11", "cp311") else a.replace("11", "12") for a in TARGET_311]
    done = run([str(python), "-m", "pip", "install", *local, *for_312, "ddtrace==1.20.19"], env=env)
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)


@pytest.mark.parametrize("which", PIPS)
def test_on_311_a_target_of_312_is_refused_and_the_plain_pin_installs(
    venv: Callable[[str, str], Venv], which: str, wheels: Path, tmp_path: Path
) -> None:
    python, _ = venv("3.11", which)
    env = hermetic(tmp_path)
    local = ["--no-index", "--find-links", str(wheels)]
    target_312 = [
        "--python-version",
        "3.12",
        "--only-binary=:all:",
        "--target",
        str(tmp_path / "t"),
    ]
    done = run(
        [str(python.parent / "pip"), "install", *local, *target_312, "ddtrace==1.20.19"], env=env
    )
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)
    done = run(
        [
            str(python.parent / "pip"),
            "download",
            *local,
            "-d",
            str(tmp_path / "d"),
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            "312",
            "--only-binary=:all:",
            "ddtrace==1.20.19",
        ],
        env=env,
    )
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)
    done = run(
        [
            str(python.parent / "pip"),
            "install",
            *local,
            "--target",
            str(tmp_path / "u"),
            "ddtrace==1.20.19",
        ],
        env=env,
    )
    assert done.returncode == 0 and "ddguard" not in done.stderr, done.stderr


# --- what goes on --------------------------------------------------------------------------------


@pytest.mark.parametrize("which", PIPS)
def test_a_compatible_pin_proceeds(
    venv: Callable[[str, str], Venv], which: str, wheels: Path, tmp_path: Path
) -> None:
    python, _ = venv("3.12", which)
    target = tmp_path / "t"
    local = ["--no-index", "--find-links", str(wheels), "--target", str(target)]
    done = run(
        [str(python.parent / "pip"), "install", *local, "ddtrace==3.12.0"], env=hermetic(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert "ddguard" not in done.stderr
    assert (target / "ddtrace-3.12.0.dist-info").is_dir()


@pytest.mark.parametrize(("mode", "warned"), [("off", False), ("warn", True)])
def test_off_and_warn_let_pip_install(
    venv: Callable[[str, str], Venv], mode: str, warned: bool, wheels: Path, tmp_path: Path
) -> None:
    python, _ = venv("3.12", "bundled")
    target = tmp_path / "t"
    local = ["--no-index", "--find-links", str(wheels), "--target", str(target)]
    env = hermetic(tmp_path, DDGUARD_MODE=mode)
    done = run([str(python), "-m", "pip", "install", *local, "ddtrace==1.20.19"], env=env)
    assert done.returncode == 0, done.stderr
    assert (target / "ddtrace-1.20.19.dist-info").is_dir()
    ours = [line for line in done.stderr.splitlines() if line.startswith("ddguard")]
    if warned:
        [line] = ours
        assert line.startswith("ddguard: warning: ddtrace 1.20.19 does not work on CPython 3.12")
        assert line.endswith("Continuing because DDGUARD_MODE=warn.")
    else:
        assert ours == []


@pytest.mark.parametrize("which", PIPS)
def test_python_path_is_judged_for_that_interpreter(
    venv: Callable[[str, str], Venv], which: str, wheels: Path, tmp_path: Path
) -> None:
    """pip >= 22.3 ``--python``: the 3.12 venv's pip installing into the 3.11 venv goes on
    (judged once, for 3.11); the 3.11 venv's pip installing into the 3.12 venv is refused."""
    py312, _ = venv("3.12", which)
    py311, _ = venv("3.11", which)
    env = hermetic(tmp_path, DDGUARD_MODE="warn")  # a warning would show a judgement for 3.12
    local = ["--no-index", "--find-links", str(wheels)]
    into = ["--target", str(tmp_path / "t")]
    done = run(
        [
            str(py312.parent / "pip"),
            "--python",
            str(py311),
            "install",
            *local,
            *into,
            "ddtrace==1.20.19",
        ],
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "ddguard" not in done.stderr
    done = run(
        [
            str(py311.parent / "pip"),
            "--python",
            str(py312.parent.parent),
            "install",
            *local,
            "ddtrace==1.20.19",
        ],
        env=hermetic(tmp_path),
    )
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)


def test_pip_without_ddguard_installing_into_an_environment_with_it_is_refused_there(
    venv: Callable[[str, str], Venv], tmp_path: Path
) -> None:
    """``pip --python PATH`` re-runs pip under PATH: ddguard there judges that run."""
    py312, _ = venv("3.12", "bundled")
    run([str(pyenv_python("3.11")), "-m", "venv", str(tmp_path / "plain")], check=True)
    plain_pip = tmp_path / "plain" / "bin" / "pip"
    argv = [str(plain_pip), "--python", str(py312), "install", "--no-index", "ddtrace==1.20.19"]
    done = run(argv, env=hermetic(tmp_path))
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312), done.stderr
    assert "DDGUARD_MODE=off pip --python" in done.stderr


@pytest.mark.parametrize("which", PIPS)
def test_other_commands_and_processes_are_untouched(
    venv: Callable[[str, str], Venv], which: str, wheels: Path, tmp_path: Path
) -> None:
    python, _ = venv("3.12", which)
    env = hermetic(tmp_path)
    importtime = [str(python), "-X", "importtime", "-m", "pip"]
    for argv in (
        [*importtime, "--version"],
        [*importtime, "list"],
        [*importtime, "show", "ddguard"],
        [str(python), "-X", "importtime", "-c", "pass"],
        [
            str(python.parent / "pip"),
            "install",
            "--no-index",
            "--find-links",
            str(wheels),
            "ddguard",
        ],
    ):
        done = run(argv, env=env)
        assert done.returncode == 0, (argv, done.stderr)
        ours = [line for line in done.stderr.splitlines() if "ddguard" in line]
        # -X importtime lists one module of ddguard's: the finder; no "ddguard: " line
        assert [line.split("|")[-1].strip() for line in ours] in ([], ["_ddguard_hook"]), ours


# --- the real package index ----------------------------------------------------------------------


@pytest.mark.network
def test_against_the_real_index(venv: Callable[[str, str], Venv], tmp_path: Path) -> None:
    """With the machine's own pip configuration: refused before pip contacts the index; a
    compatible pin resolves there as usual (a dry run)."""
    python, _ = venv("3.12", "bundled")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDGUARD_", "PYTHON"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    pip_cmd = [str(python.parent / "pip"), "install", "--timeout", "20", "--retries", "1"]
    done = run([*pip_cmd, "--dry-run", "--no-deps", "ddtrace==3.12.0"], env=env)
    if done.returncode != 0:
        pytest.skip(f"package index unreachable: {done.stderr.strip()[-200:]}")
    assert "Would install ddtrace-3.12.0" in done.stdout and "ddguard" not in done.stderr
    done = run([*pip_cmd, "ddtrace==1.20.19"], env=env)
    assert done.returncode == 1 and done.stderr.startswith(REFUSED_312)
    assert done.stdout == ""  # not even "Collecting ddtrace==1.20.19"


def test_the_matrix_spans_an_older_and_the_newest_pip(venv: Callable[[str, str], Venv]) -> None:
    from packaging.version import Version

    for minor in ("3.12", "3.11"):
        bundled, newest = venv(minor, "bundled")[1], venv(minor, "newest")[1]
        print(f"CPython {minor}: bundled pip {bundled}, newest pip {newest}")
        assert Version(bundled) < Version(newest)
