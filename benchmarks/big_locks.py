"""Budget (issue 4): `ddguard check --project DIR` on a 5,000-package uv.lock and on a
5,000-package poetry.lock (ddtrace locked transitively in each), whole process, median
<= 300 ms; also with `--integrations` (the same one pass also looks for the ~100
integration packages). The locks are generated in a temporary directory.

    python benchmarks/big_locks.py [--runs 15] [--packages 5000] [--python PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import List

from _timing import paired_medians, repo_env

BUDGET_SECONDS = 0.300
HASH = "sha256:" + "ab" * 32


def uv_lock(packages: int) -> str:
    out: List[str] = ["version = 1", "revision = 2", 'requires-python = ">=3.8"', ""]
    for i in range(packages):
        name, version = ("ddtrace", "1.20.19") if i == packages // 2 else (f"pkg{i}", f"1.0.{i}")
        deps = [f'    {{ name = "pkg{i + 1}" }},'] if i + 1 < packages else []
        if i == packages // 2 - 1:
            deps.append('    { name = "ddtrace", marker = "python_full_version < \'3.12\'" },')
        out += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'source = { registry = "https://pypi.org/simple" }',
            "dependencies = [",
            *deps,
            "]",
            f'sdist = {{ url = "https://files.example.invalid/{name}-{version}.tar.gz", hash = "{HASH}", size = 1234 }}',
            "wheels = [",
            *[
                f'    {{ url = "https://files.example.invalid/{name}-{version}-cp3{m}-cp3{m}-manylinux_2_17_x86_64.whl", hash = "{HASH}", size = 4567 }},'
                for m in (10, 11, 12)
            ],
            "]",
            "",
        ]
    return "\n".join(out)


def poetry_lock(packages: int) -> str:
    out: List[str] = ["# generated for the benchmark", ""]
    for i in range(packages):
        name, version = ("ddtrace", "1.20.19") if i == packages // 2 else (f"pkg{i}", f"1.0.{i}")
        out += [
            "[[package]]",
            f'name = "{name}"',
            f'version = "{version}"',
            'description = "a package"',
            "optional = false",
            'python-versions = ">=3.7"',
            "files = [",
            *[
                f'    {{file = "{name}-{version}-cp3{m}-cp3{m}-manylinux_2_17_x86_64.whl", hash = "{HASH}"}},'
                for m in (10, 11, 12)
            ],
            "]",
            "",
        ]
        if i + 1 < packages:
            out += ["[package.dependencies]", f'pkg{i + 1} = ">=1.0"']
            if i == packages // 2 - 1:
                out.append(
                    'ddtrace = {version = ">=1.20", markers = "python_version < \\"3.12\\""}'
                )
            out.append("")
    out += [
        "[metadata]",
        'lock-version = "2.0"',
        'python-versions = "^3.8"',
        'content-hash = "x"',
        "",
    ]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {"python -c pass": [args.python, "-c", "pass"]}
        for name, text in (
            ("uv.lock", uv_lock(args.packages)),
            ("poetry.lock", poetry_lock(args.packages)),
        ):
            folder = os.path.join(tmp, name.split(".")[0])
            os.mkdir(folder)
            with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                handle.write(text)
            print(f"{name}: {args.packages} packages, {len(text) / 1e6:.1f} MB")
            check = [
                args.python,
                "-m",
                "ddguard",
                "check",
                "--project",
                folder,
                "--target",
                "cp311-manylinux_x86_64",
            ]
            commands[f"check {name}"] = check
            commands[f"{name} --integrations"] = [*check, "--integrations"]
        medians = paired_medians(commands, runs=args.runs, env=repo_env())
    base = medians.pop("python -c pass")
    print(f"{'python -c pass':27}: {base * 1000:.1f} ms median of {args.runs}")
    within = True
    for name, measured in medians.items():
        print(f"{name:27}: {measured * 1000:.1f} ms median of {args.runs} ({measured / base:.1f}x)")
        within = within and measured <= BUDGET_SECONDS
    print(f"budget <= {BUDGET_SECONDS * 1000:.0f} ms: {'met' if within else 'MISSED'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
