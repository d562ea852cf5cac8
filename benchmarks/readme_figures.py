"""Re-measure the figures README.md quotes, and say how each was measured.

    python benchmarks/readme_figures.py [--python PATH] [--runs 3] [--pip SPEC]
        [--ddguard-wheel WHEEL] [--uv PATH] [--only NAME ...]

--python   the CPython 3.12 to measure on (default: the newest pyenv 3.12)
--pip      a pip to install into each venv first (e.g. "pip==26.0"); default: the pip the
           interpreter's venv module ships (ensurepip)
--ddguard-wheel  ddguard's wheel; default: built from this checkout
--uv       a uv binary for the uv figure (skipped without one)

Figures (each the median of --runs runs, the spread in brackets):

plain-pip   `pip install ddtrace==1.20.19`, no ddguard: pip downloads the sdist (no cp312
            wheel, no upper bound in Requires-Python) and dies building it. Each run in a
            fresh venv with pip's cache off, so the sdist and the build dependencies are
            downloaded as on a first install.
extra-pip   `pip install "ddguard[ddtrace]" ddtrace==1.20.19`, ddguard from --find-links:
            the extra does not stop pip on a direct pin (it builds the sdist first). Same
            conditions as plain-pip.
build-hook  `pip install --dry-run ./app` of an app pinning ddtrace==1.20.19 with
            build-backend = "ddguard.build" (setuptools behind it), ddguard from
            PIP_FIND_LINKS: the refusal. Cold: pip's cache off (setuptools downloaded
            into the build environment every run); warm: a pip cache primed by one run.
extra-uv    `uv pip install "ddguard[ddtrace]" ddtrace==1.20.19` into a 3.12 venv, ddguard
            from --find-links: the resolver refuses. Cold: an empty uv cache per run;
            warm: a primed one.

Wall times on a loaded machine run long: the CPU seconds (user + system, the command and
its children) are printed next to them, and the load average in the header.

Every command runs under a pseudo-terminal 100 columns wide (what a user sees: pip's
progress bars and error boxes as on a terminal; lines are counted by newline), with no
pip configuration file (PIP_CONFIG_FILE=/dev/null), pip's version check off and the
package index the default one. Wall time is the installer command alone (not the venv).
Needs the package index; Linux or macOS (pty).
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import importlib.util
import os
import platform
import pty
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
PIN = "ddtrace==1.20.19"
REFUSAL = "ddtrace 1.20.19 does not work on CPython 3.12"
COLUMNS, ROWS = 100, 40
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")

APP = """\
[build-system]
requires = ["ddguard", "setuptools>=64"]
build-backend = "ddguard.build"

[project]
name = "app"
version = "1.0"
dependencies = ["ddtrace==1.20.19"]

[tool.ddguard]
backend = "setuptools.build_meta"
"""


class Run(NamedTuple):
    seconds: float
    cpu: float  # user + system seconds of the command and its children: less load-bound
    status: int
    output: str  # ANSI sequences removed, \r\n as \n

    @property
    def lines(self) -> int:
        return len(self.output.rstrip("\n").split("\n")) if self.output.strip() else 0


def in_terminal(argv: Sequence[str], env: Dict[str, str], cwd: Optional[Path] = None) -> Run:
    """``argv`` with stdout and stderr on one pseudo-terminal; its wall time and output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, cwd=cwd
    )
    os.close(slave)
    chunks: List[bytes] = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    status = proc.wait()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    os.close(master)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")
    return Run(seconds, cpu, status, text)


def user_env(**extra: str) -> Dict[str, str]:
    """The environment of a user with no pip configuration and no ddguard settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "DDGUARD_", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    if os.environ.get("PIP_CERT"):
        env["PIP_CERT"] = os.environ["PIP_CERT"]  # this machine's CA bundle, not a setting
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        TERM="xterm",
        COLUMNS=str(COLUMNS),
        LINES=str(ROWS),
    )
    env.update(extra)
    return env


def make_venv(python: Path, where: Path, pip: Optional[str]) -> Path:
    subprocess.run([str(python), "-m", "venv", str(where)], check=True)
    venv_python = where / "bin" / "python"
    if pip:
        subprocess.run(
            [str(venv_python), "-m", "pip", "install", "-q", pip],
            check=True,
            env=user_env(),
        )
    return venv_python


def version(argv: Sequence[str]) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, env=user_env())
    return done.stdout.split(" from ")[0].strip() or done.stderr.strip()


class Figure(NamedTuple):
    name: str
    readme: str  # what README.md says today
    runs: List[Run]
    expect: str  # text every run's output must hold
    forbid: str = "\x00"  # text no run's output may hold

    def as_expected(self, run: Run) -> bool:
        return self.expect in run.output and self.forbid not in run.output

    def report(self) -> str:
        times = sorted(r.seconds for r in self.runs)
        cpu = statistics.median(r.cpu for r in self.runs)
        lines = sorted(r.lines for r in self.runs)
        statuses = sorted({r.status for r in self.runs})
        ok = all(self.as_expected(r) for r in self.runs)
        boxed = sorted(
            {m for r in self.runs for m in re.findall(r"\[(\d+) lines of output\]", r.output)}
        )
        downloads = sorted(
            {
                m
                for r in self.runs
                for m in re.findall(r"Downloading (ddtrace\S+ \([^)]*\))", r.output)
            }
        )
        text = (
            f"{self.name}: {statistics.median(times):.1f} s [{times[0]:.1f}-{times[-1]:.1f}] "
            f"({cpu:.1f} s CPU), "
            f"{statistics.median(lines):.0f} lines [{lines[0]}-{lines[-1]}], "
            f"exit {'/'.join(map(str, statuses))}"
        )
        if boxed:
            text += f", pip's box: {'/'.join(boxed)} lines of the hook's output"
        if downloads:
            text += f", downloaded {', '.join(downloads)}"
        text += f"\n    README today: {self.readme}"
        if not ok:
            text += f"\n    NOT AS EXPECTED: {self.expect!r} missing or {self.forbid!r} there:\n"
            bad = next(r for r in self.runs if not self.as_expected(r))
            text += "\n".join("      | " + line for line in bad.output.splitlines()[-25:])
        return text


def measure_plain_pip(args: argparse.Namespace, tmp: Path, links: Path) -> Figure:
    runs = []
    for number in range(args.runs):
        venv = make_venv(args.python, tmp / f"plain-{number}", args.pip)
        argv = [str(venv), "-m", "pip", "install", PIN]
        runs.append(in_terminal(argv, user_env(PIP_NO_CACHE_DIR="1")))
    readme = "dies after ~14 s with a 49-line traceback about pkg_resources"
    return Figure("plain-pip", readme, runs, "pkg_resources")


def measure_extra_pip(args: argparse.Namespace, tmp: Path, links: Path) -> Figure:
    runs = []
    for number in range(args.runs):
        venv = make_venv(args.python, tmp / f"extra-{number}", args.pip)
        argv = [str(venv), "-m", "pip", "install", "--find-links", str(links)]
        runs.append(in_terminal([*argv, "ddguard[ddtrace]", PIN], user_env(PIP_NO_CACHE_DIR="1")))
    readme = "6.6 MB download and the pkg_resources traceback after 29 s"
    return Figure("extra-pip", readme, runs, "pkg_resources")


def measure_build_hook(args: argparse.Namespace, tmp: Path, links: Path) -> List[Figure]:
    venv = make_venv(args.python, tmp / "hook-venv", args.pip)
    app = tmp / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(APP)
    argv = [str(venv), "-m", "pip", "install", "--dry-run", str(app)]
    figures = []
    cache = tmp / "pip-cache"
    for label, extra in (
        ("cold", {"PIP_NO_CACHE_DIR": "1"}),
        ("warm", {"PIP_CACHE_DIR": str(cache)}),
    ):
        if label == "warm":  # prime the cache with the build environment's setuptools
            in_terminal(
                argv, user_env(PIP_FIND_LINKS=str(links), XDG_CACHE_HOME=str(tmp / "x"), **extra)
            )
        runs = []
        for number in range(args.runs):
            env = user_env(
                PIP_FIND_LINKS=str(links),
                XDG_CACHE_HOME=str(tmp / f"xdg-{label}-{number}"),
                **extra,
            )
            runs.append(in_terminal(argv, env, cwd=tmp))
        readme = "pip install --dry-run ./app ... stops in 1.3 s"
        figures.append(
            Figure(f"build-hook ({label} pip cache)", readme, runs, REFUSAL, "ddtrace-1.20.19")
        )
    return figures


def measure_extra_uv(args: argparse.Namespace, tmp: Path, links: Path) -> List[Figure]:
    uv = str(args.uv)
    venv = tmp / "uv-venv"
    subprocess.run([uv, "venv", "-q", "--python", str(args.python), str(venv)], check=True)
    argv = [uv, "pip", "install", "--python", str(venv / "bin" / "python"), "--find-links"]
    argv += [str(links), "ddguard[ddtrace]", PIN]
    figures = []
    warm = tmp / "uv-warm"
    in_terminal(argv, user_env(UV_CACHE_DIR=str(warm)))
    for label in ("cold", "warm"):
        runs = []
        for number in range(args.runs):
            cache = warm if label == "warm" else tmp / f"uv-cold-{number}"
            runs.append(in_terminal(argv, user_env(UV_CACHE_DIR=str(cache))))
        readme = "uv 0.13.8 ... stops in 0.9 s, nothing of ddtrace downloaded"
        figures.append(
            Figure(f"extra-uv ({label} uv cache)", readme, runs, "unsatisfiable", "ddtrace-1.20.19")
        )
    return figures


def ddguard_wheel(args: argparse.Namespace, links: Path) -> Path:
    if args.ddguard_wheel:
        return Path(shutil.copy(args.ddguard_wheel, links))
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            *isolation,
            "-w",
            str(links),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = links.glob("ddguard-*.whl")
    return wheel


def newest_pyenv_312() -> Optional[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(
        root.glob("3.12.*/bin/python"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)],
    )
    return found[-1] if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", type=Path, default=newest_pyenv_312())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pip", help='e.g. "pip==26.0" (default: the venv\'s own pip)')
    parser.add_argument("--ddguard-wheel", type=Path)
    parser.add_argument("--uv", type=Path)
    names = ["plain-pip", "extra-pip", "build-hook", "extra-uv"]
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    args = parser.parse_args()
    if args.python is None:
        parser.error("no CPython 3.12 found: pass --python")
    with tempfile.TemporaryDirectory(prefix="ddguard-readme-") as name:
        tmp = Path(name)
        links = tmp / "links"
        links.mkdir()
        wheel = ddguard_wheel(args, links)
        probe = make_venv(args.python, tmp / "probe", args.pip)
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"date: {datetime.date.today()}, {platform.platform()}, {os.cpu_count()} CPUs, load {load}"
        )
        print(f"interpreter: {version([str(probe), '-VV'])} ({args.python})")
        print(f"pip: {version([str(probe), '-m', 'pip', '--version'])}")
        print(f"ddguard: {wheel.name}")
        if args.uv:
            print(f"uv: {version([str(args.uv), '--version'])}")
        print(f"each figure: median of {args.runs} runs [min-max], on a {COLUMNS}-column pty\n")
        steps: Dict[str, Callable[[], object]] = {
            "plain-pip": lambda: measure_plain_pip(args, tmp, links),
            "extra-pip": lambda: measure_extra_pip(args, tmp, links),
            "build-hook": lambda: measure_build_hook(args, tmp, links),
            "extra-uv": lambda: measure_extra_uv(args, tmp, links),
        }
        failed = False
        for name in args.only:
            if name == "extra-uv" and not args.uv:
                print("extra-uv: skipped (no --uv)\n")
                continue
            done = steps[name]()
            for figure in done if isinstance(done, list) else [done]:
                print(figure.report() + "\n", flush=True)
                failed |= not all(figure.as_expected(r) for r in figure.runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
