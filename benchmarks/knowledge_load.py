"""Loading the database: `import ddguard.knowledge; ddguard.knowledge.load()`, whole
process, against `python -c pass` in the same run (medians), and one load in-process.

    python benchmarks/knowledge_load.py [--runs 21] [--python PATH]

No budget of its own: the load is part of every check's budget (benchmarks/check.py); this
reports what it costs, with no user copy or DDGUARD_DB (the embedded snapshot loads).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

from _timing import paired_medians, repo_env

IN_PROCESS = """
import statistics, time
import ddguard.knowledge as k
path, kind = k.chosen_database()
k.read_database(path, kind)
samples = []
for _ in range(30):
    start = time.perf_counter()
    k.read_database(path, kind)
    samples.append(time.perf_counter() - start)
print(statistics.median(samples) * 1000)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    env = repo_env()
    env.pop("DDGUARD_DB", None)
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="ddguard-bench-")  # no user copy
    load = "import ddguard.knowledge; ddguard.knowledge.load()"
    medians = paired_medians(
        {
            "python -c pass": [args.python, "-c", "pass"],
            "import": [args.python, "-c", "import ddguard.knowledge"],
            "import + load": [args.python, "-c", load],
        },
        runs=args.runs,
        env=env,
    )
    base = medians["python -c pass"]
    for name, value in medians.items():
        extra = "" if name == "python -c pass" else f"  (+{(value - base) * 1000:.1f} ms)"
        print(f"{name:15}: {value * 1000:.1f} ms median of {args.runs}{extra}")
    warm = subprocess.run(
        [args.python, "-c", IN_PROCESS], env=env, capture_output=True, text=True, check=True
    )
    print(f"{'one load':15}: {float(warm.stdout):.2f} ms median of 30, in-process (uncached)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
