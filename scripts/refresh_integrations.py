"""Regenerate src/ddguard/data/integrations.json from the shared integration data.

    python scripts/refresh_integrations.py [--data DIR] [--out FILE]

Inputs (../shared/data by default), each recorded with its sha256 in the output:

* ``integrations-2x-doc-table.csv``: the integrations table of the compatibility page in
  the 2.x era (packages, supported range, patched automatically).
* ``dd-trace-py-supported_versions.json``: ddtrace's per-Python tested minimum and maximum
  of every integration dependency (4.x era).

Which data serves which ddtrace line is recorded in ``lines`` (see integration_ranges.py).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
OUT = REPO / "src" / "ddguard" / "data" / "integrations.json"
TABLE_2X = "integrations-2x-doc-table.csv"
TESTED_4X = "dd-trace-py-supported_versions.json"

LINES = {
    "0": {"data": None, "basis": "no integration data for 0.x: nothing is checked"},
    "1": {"data": None, "basis": "no integration data for 1.x: nothing is checked"},
    "2": {"data": "2", "basis": "compatibility page, 2.x era (" + TABLE_2X + ")"},
    "3": {
        "data": "2",
        "basis": "lower bounds of the 2.x-era table ("
        + TABLE_2X
        + "): ddtrace raises integration minimums only at major releases",
        "floors_only": True,
    },
    "4": {
        "data": "4",
        "basis": "ddtrace's per-Python tested versions, 4.x era (" + TESTED_4X + ")",
    },
}


def integration_key(name: str) -> str:
    """'aiohttp (client)' -> 'aiohttp'."""
    return name.split("(")[0].strip().lower()


def table_2x(raw: bytes) -> Dict[str, Dict[str, Any]]:
    out: Dict[str, Dict[str, Any]] = {}
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        key = integration_key(row["integration"])
        entry = out.setdefault(key, {"category": row["category"], "automatic": False, "deps": []})
        entry["automatic"] = entry["automatic"] or row["automatic"].strip() == "yes"
        spec = row["supported_versions"].strip()
        spec = "" if spec == "any" else str(SpecifierSet(spec))  # validates
        for package in filter(None, (p.strip() for p in row["packages"].split(";"))):
            dep = {"package": package, "spec": spec}
            if dep not in entry["deps"]:
                entry["deps"].append(dep)
    return out


def tested_4x(raw: bytes) -> Dict[str, Dict[str, Any]]:
    out: Dict[str, Dict[str, Any]] = {}
    rows = json.loads(raw.decode("utf-8"))
    names: Dict[str, List[str]] = {}
    for row in rows:
        names.setdefault(row["integration"], []).append(canonicalize_name(row["dependency"]))
    for row in sorted(rows, key=lambda r: (r["integration"], r["dependency"])):
        if row["dependency"].startswith("stdlib."):
            continue
        pythons: Dict[str, List[str]] = {}
        for python, tested in sorted(row["python_versions"].items(), key=lambda kv: Version(kv[0])):
            low, high = tested["minimum_package_version"], tested["maximum_package_version"]
            if low and high:
                Version(low), Version(high)  # validates
                pythons[python] = [low, high]
        if not pythons:
            continue
        key = integration_key(row["integration"])
        primary = canonicalize_name(key)
        package = canonicalize_name(row["dependency"])
        needs: Optional[str] = None
        if package != primary and primary in names[row["integration"]]:
            needs = primary  # e.g. botocore within aiobotocore: only with aiobotocore
        entry = out.setdefault(key, {"automatic": bool(row["auto-instrumented"]), "deps": []})
        dep: Dict[str, Any] = {"package": row["dependency"]}
        if row.get("aliases"):
            dep["aliases"] = sorted(row["aliases"])
        if needs:
            dep["needs"] = needs
        dep["min"] = min((lo for lo, _ in pythons.values()), key=Version)
        dep["max"] = max((hi for _, hi in pythons.values()), key=Version)
        dep["python"] = pythons
        entry["deps"].append(dep)
    return out


def build(data_dir: Path, today: Optional[str] = None) -> Dict[str, Any]:
    raw_2x = (data_dir / TABLE_2X).read_bytes()
    raw_4x = (data_dir / TESTED_4X).read_bytes()
    era_2x, era_4x = table_2x(raw_2x), tested_4x(raw_4x)
    integrations: Dict[str, Any] = {}
    for key in sorted(set(era_2x) | set(era_4x)):
        entry: Dict[str, Any] = {"category": era_2x.get(key, {}).get("category")}
        for era, table in (("2", era_2x), ("4", era_4x)):
            if key in table:
                entry[era] = {"automatic": table[key]["automatic"], "deps": table[key]["deps"]}
        integrations[key] = entry
    return {
        "schema": 1,
        "generated_by": "scripts/refresh_integrations.py",
        "generated": today or datetime.date.today().isoformat(),
        "sources": [
            {
                "file": TABLE_2X,
                "sha256": hashlib.sha256(raw_2x).hexdigest(),
                "describes": "integrations table of ddtrace's compatibility page, 2.x era",
            },
            {
                "file": TESTED_4X,
                "sha256": hashlib.sha256(raw_4x).hexdigest(),
                "describes": "ddtrace repository's supported_versions.json, August 2026 (4.x era)",
            },
        ],
        "license": "facts from ddtrace (Apache-2.0/BSD-3)",
        "lines": LINES,
        "integrations": integrations,
    }


def dump(document: Dict[str, Any]) -> str:
    """One integration per line: small and readable in a diff."""
    head = {k: v for k, v in document.items() if k != "integrations"}
    lines = ["{"]
    lines.extend(f"{json.dumps(k)}: {json.dumps(v)}," for k, v in head.items())
    lines.append('"integrations": {')
    lines.append(
        ",\n".join(
            f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}"
            for k, v in document["integrations"].items()
        )
    )
    lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--date", help="generation date to record (default: today)")
    args = parser.parse_args()
    document = build(args.data, args.date)
    args.out.write_text(dump(document), encoding="utf-8")
    print(
        f"{len(document['integrations'])} integrations -> {args.out.name}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
