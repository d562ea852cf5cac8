"""Regenerate ddguard's embedded database in src/ddguard/data/.

    python scripts/refresh_db.py                 # release facts from the index pip uses, policy from the seed
    python scripts/refresh_db.py --from FILE     # release facts from a saved JSON document (offline)
    python scripts/refresh_db.py --policy-only   # only re-read the seed

releases.json: every ddtrace release (version, upload date, Requires-Python, yank reason,
sdist, wheel tags) from the index's JSON API. policy.json: the two tables of the published
compatibility page (../shared/seed). Both carry their source, date and input sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from ddguard import snapshot  # noqa: E402

DATA = REPO / "src" / "ddguard" / "data"
SEED = REPO.parent / "shared" / "seed" / "python-compatibility-requirements.md"

OS_NAMES = {"Linux": "linux", "MacOS": "macos", "macOS": "macos", "Windows": "windows"}
CPU_NAMES = {
    "x86-64": "x86_64",
    "i686": "i686",
    "AArch64": "aarch64",
    "Intel": "x86_64",
    "Apple Silicon": "aarch64",
    "64bit": "x86_64",
    "32bit": "i686",
}


def markdown_tables(text: str) -> List[List[Dict[str, str]]]:
    tables: List[List[Dict[str, str]]] = []
    rows: List[List[str]] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
            continue
        if len(rows) > 2:
            header = rows[0]
            tables.append([dict(zip(header, row)) for row in rows[2:]])
        rows = []
    return tables


def python_ranges(text: str) -> List[List[Any]]:
    """'2.7, 3.5-3.11' -> [["2.7","2.7"],["3.5","3.11"]]; '3.7+' -> [["3.7", null]]."""
    ranges: List[List[Any]] = []
    for part in text.split(","):
        part = part.strip()
        if part.endswith("+"):
            ranges.append([part[:-1], None])
        elif "-" in part:
            low, high = part.split("-")
            ranges.append([low.strip(), high.strip()])
        elif re.fullmatch(r"\d+\.\d+", part):
            ranges.append([part, part])
        else:
            raise SystemExit(f"{SEED}: cannot read runtime version {part!r}")
    return ranges


def policy_from_seed(path: Path) -> Dict[str, Any]:
    raw = path.read_bytes()
    releases_table, runtimes_table = markdown_tables(raw.decode("utf-8"))
    return {
        "schema": 1,
        "source": "ddtrace 'Python Compatibility Requirements' page, 2.x era (shared/seed/"
        + path.name
        + ")",
        "seed_sha256": hashlib.sha256(raw).hexdigest(),
        "support_levels_as_published": [
            {
                "release": row["Release"],
                "support_level": row["Support level"].lower().replace(" ", "-"),
            }
            for row in releases_table
        ],
        "runtimes": [
            {
                "os": OS_NAMES[row["OS"]],
                "cpus": [CPU_NAMES[c.strip()] for c in row["CPU"].split(",")],
                "implementation": row["Runtime"].lower(),
                "python": python_ranges(row["Runtime version"]),
                "ddtrace": row["Supported ddtrace versions"],
            }
            for row in runtimes_table
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="from_file", type=Path, help="saved index JSON for ddtrace")
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--policy-only", action="store_true")
    args = parser.parse_args()

    policy = policy_from_seed(args.seed)
    (args.out / "policy.json").write_text(json.dumps(policy, indent=1) + "\n", encoding="utf-8")
    if args.policy_only:
        return 0
    if args.from_file:
        raw = args.from_file.read_bytes()
        source = f"package index JSON API, saved as {args.from_file.name}"
    else:
        url = snapshot.index_json_url()
        raw = snapshot.fetch_index_json(url)
        source = "package index JSON API (the index pip uses), /pypi/ddtrace/json"
    data = snapshot.build_snapshot(raw, source)
    (args.out / "releases.json").write_text(snapshot.dump(data), encoding="utf-8")
    print(f"{len(data['releases'])} releases, newest {data['releases'][-1][0]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
