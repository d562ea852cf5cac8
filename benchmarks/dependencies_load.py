"""What the dependency data (data/dependencies.json) costs a process, whole-process medians
of paired runs, plus in-process medians of the pieces:

* `import ddguard.evaluate.closure` vs a process that builds a Target and its tags (what judging
  any release on a target already does)
* + `dependencies.load()` (read, parse and validate the file)
* + one `missing_wheels("2.0.0", cp312-manylinux_x86_64)` (the walk, lazily parsing what it uses)
* `python -X importtime -c "import ddguard.evaluate.closure"`: the module's own import time

    python benchmarks/dependencies_load.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _timing import paired_medians, repo_env

ROOT = Path(__file__).resolve().parents[1]

# what judging a release on a target already costs: the target and its tags
BASE = (
    "from ddguard.target import Target; import packaging.specifiers, packaging.version;"
    " Target.from_compact('cp312-manylinux_x86_64').tags()"
)
IMPORT = BASE + "; import ddguard.evaluate.closure"
LOAD = IMPORT + "; ddguard.knowledge.dependencies.load()"
QUERY = (
    LOAD
    + "; ddguard.evaluate.closure.missing_wheels('2.0.0', Target.from_compact('cp312-manylinux_x86_64'))"
)


def in_process(runs: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from ddguard.evaluate import closure
    from ddguard.knowledge import dependencies
    from ddguard.target import Target

    path = str(dependencies.default_path())
    size = Path(path).stat().st_size
    loads, queries, firsts = [], [], []
    target = Target.from_compact("cp312-manylinux_x86_64")
    for _ in range(runs):
        dependencies.load.cache_clear()
        start = time.perf_counter()
        data = dependencies.load(path)
        loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        closure.missing_wheels("2.0.0", target, data=data)
        firsts.append(time.perf_counter() - start)
        start = time.perf_counter()
        closure.missing_wheels("2.0.0", target, data=data)
        queries.append(time.perf_counter() - start)
    print(f"dependencies.json: {size} bytes")
    print(f"in process: load() {statistics.median(loads) * 1e3:.2f} ms median")
    print(f"in process: first missing_wheels() {statistics.median(firsts) * 1e3:.2f} ms median")
    print(f"in process: repeated missing_wheels() {statistics.median(queries) * 1e3:.3f} ms median")


def import_time() -> None:
    env = repo_env()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import ddguard.target, ddguard.evaluate.closure"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in proc.stderr.splitlines():
        if line.rstrip().endswith("ddguard.evaluate.closure"):
            print("importtime:", line.split("import time:")[-1].strip())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    env = repo_env()
    python = sys.executable
    medians = paired_medians(
        {
            "target + tags (baseline)": [python, "-c", BASE],
            "+ import ddguard.evaluate.closure": [python, "-c", IMPORT],
            "+ load()": [python, "-c", LOAD],
            "+ missing_wheels()": [python, "-c", QUERY],
        },
        runs=args.runs,
        env=env,
    )
    base = medians["target + tags (baseline)"]
    for name, value in medians.items():
        print(
            f"{name:32} {value * 1e3:7.1f} ms  {value / base:5.3f}x  {1e3 * (value - base):+6.1f} ms"
        )
    import_time()
    in_process(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
