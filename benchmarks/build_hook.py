"""Budget (issue 13; 10% in issue 5): the ddguard.build wrapper adds <= 3% to
`pip wheel --no-deps` of a small setuptools app, paired runs, the tree built before (the
hooks after a passed check trust its stamp). Also reported: the first hook alone (one hook
subprocess, as pip runs it) through the wrapper vs the plain backend, which is what the
first build of a tree adds, and builds where no cache directory is writable (every hook
judges).

    python benchmarks/build_hook.py [--runs 9] [--python PATH]  # PATH: a venv with setuptools>=70, packaging

The apps pin ``ddtrace>=2`` (a range the check judges through the installer's pick).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import paired_medians, repo_env

BUDGET_RATIO = 1.03
PROJECT = """
[project]
name = "benchapp"
version = "0.1"
dependencies = ["ddtrace>=2", "requests"]

[tool.setuptools]
py-modules = ["benchapp"]
"""


def write_app(root: Path, wrapped: bool) -> Path:
    root.mkdir()
    backend = "ddguard.build" if wrapped else "setuptools.build_meta"
    text = f'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "{backend}"\n' + PROJECT
    if wrapped:
        text += '\n[tool.ddguard]\nbackend = "setuptools.build_meta"\n'
    (root / "pyproject.toml").write_text(text)
    (root / "benchapp.py").write_text("")
    return root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    env = repo_env()
    env["PIP_NO_INDEX"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        plain, wrapped = write_app(base / "plain", False), write_app(base / "wrapped", True)
        out = base / "out"

        def pip_wheel(app: Path) -> list:
            flags = ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out)]
            return [args.python, "-m", "pip", *flags, str(app)]

        for app in (plain, wrapped):  # fail loudly if either app does not build
            subprocess.run(pip_wheel(app), env=env, check=True)

        def hook(app: Path, backend: str) -> list:
            code = (
                f"import os; os.chdir({str(app)!r}); import {backend} as b; "
                "b.get_requires_for_build_wheel()"
            )
            return [args.python, "-c", code]

        hooks = paired_medians(
            {
                "plain": hook(plain, "setuptools.build_meta"),
                "wrapped": hook(wrapped, "ddguard.build"),
            },
            runs=args.runs * 2,
            env=env,
        )
        wheels = paired_medians(
            {name: pip_wheel(app) for name, app in (("plain", plain), ("wrapped", wrapped))},
            runs=args.runs,
            warmup=1,
            env=env,
        )
        unwritable = dict(env, XDG_CACHE_HOME=os.path.join(os.devnull, "no-cache"))
        uncached = paired_medians(
            {name: pip_wheel(app) for name, app in (("plain", plain), ("wrapped", wrapped))},
            runs=args.runs,
            warmup=1,
            env=unwritable,
        )
    hook_ratio = hooks["wrapped"] / hooks["plain"]
    wheel_ratio = wheels["wrapped"] / wheels["plain"]
    print(
        f"get_requires_for_build_wheel subprocess: plain {hooks['plain'] * 1000:.0f} ms, "
        f"wrapped {hooks['wrapped'] * 1000:.0f} ms (+{(hooks['wrapped'] - hooks['plain']) * 1000:.0f} ms)"
    )
    print(
        f"pip wheel --no-deps: plain {wheels['plain']:.2f} s, wrapped {wheels['wrapped']:.2f} s "
        f"(x{wheel_ratio:.3f}, budget x{BUDGET_RATIO:.2f})"
    )
    print(f"hook ratio x{hook_ratio:.2f}")
    print(
        f"pip wheel --no-deps, no writable cache (every hook judges): plain "
        f"{uncached['plain']:.2f} s, wrapped {uncached['wrapped']:.2f} s "
        f"(x{uncached['wrapped'] / uncached['plain']:.3f}, reported)"
    )
    return 0 if wheel_ratio <= BUDGET_RATIO else 1


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
