"""Budgets (issue 13), whole-process medians of paired runs in one run:

* `ddguard check ddtrace==1.20.19 --target cp312-manylinux_x86_64`: <= 3x `python -c pass`
* `ddguard constraints` (every CPython x platform of the matrix): <= 150 ms
* `ddguard matrix --format html` (reported, no budget)

    python benchmarks/check.py [--runs 21] [--python PATH]
"""

from __future__ import annotations

import argparse
import sys

from _timing import paired_wall_and_cpu_medians, repo_env

BUDGET_RATIO = 3.0
BUDGET_CONSTRAINTS = 0.150


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    ddguard = [args.python, "-m", "ddguard"]
    commands = {
        "python -c pass": [args.python, "-c", "pass"],
        "check": [*ddguard, "check", "ddtrace==1.20.19", "--target", "cp312-manylinux_x86_64"],
        "constraints": [*ddguard, "constraints"],
        "matrix html": [*ddguard, "matrix", "--format", "html"],
    }
    wall, cpu = paired_wall_and_cpu_medians(commands, runs=args.runs, env=repo_env())
    base = wall["python -c pass"]
    for name in commands:
        print(
            f"{name:15} {wall[name] * 1000:7.1f} ms wall ({wall[name] / base:4.1f}x), "
            f"{cpu[name] * 1000:7.1f} ms cpu ({cpu[name] / cpu['python -c pass']:4.1f}x)  "
            f"median of {args.runs}"
        )
    ratio = wall["check"] / base
    ok_check = ratio <= BUDGET_RATIO
    ok_constraints = wall["constraints"] <= BUDGET_CONSTRAINTS
    print(f"check <= {BUDGET_RATIO:.0f}x python -c pass: {'met' if ok_check else 'MISSED'} ({ratio:.2f}x)")
    print(
        f"constraints <= {BUDGET_CONSTRAINTS * 1000:.0f} ms: {'met' if ok_constraints else 'MISSED'} "
        f"({wall['constraints'] * 1000:.0f} ms)"
    )
    return 0 if ok_check and ok_constraints else 1


if __name__ == "__main__":
    sys.exit(main())
