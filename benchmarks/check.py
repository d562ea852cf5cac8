"""Budget (issue 3): `ddguard check ddtrace==1.20.19 --python-version 3.12 --platform
manylinux2014_x86_64`, whole process, median <= 150 ms and <= 10x `python -c pass`.

    python benchmarks/check.py [--runs 21] [--python PATH]
"""

from __future__ import annotations

import argparse
import sys

from _timing import paired_medians, repo_env

BUDGET_SECONDS = 0.150
BUDGET_RATIO = 10.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    check = [
        args.python,
        "-m",
        "ddguard",
        "check",
        "ddtrace==1.20.19",
        "--python-version",
        "3.12",
        "--platform",
        "manylinux2014_x86_64",
    ]
    medians = paired_medians(
        {"python -c pass": [args.python, "-c", "pass"], "ddguard check": check},
        runs=args.runs,
        env=repo_env(),
    )
    base, measured = medians["python -c pass"], medians["ddguard check"]
    ratio = measured / base
    print(f"python -c pass: {base * 1000:.1f} ms median of {args.runs}")
    print(f"ddguard check : {measured * 1000:.1f} ms median of {args.runs}  ({ratio:.1f}x)")
    within = measured <= BUDGET_SECONDS and ratio <= BUDGET_RATIO
    print(
        f"budget <= {BUDGET_SECONDS * 1000:.0f} ms and <= {BUDGET_RATIO:.0f}x: {'met' if within else 'MISSED'}"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
