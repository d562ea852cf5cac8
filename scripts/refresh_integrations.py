"""Regenerate src/ddguard/data/integrations.json from the shared integration data, or check it.

    python scripts/refresh_integrations.py [--data DIR] [--out FILE] [--date YYYY-MM-DD]
    python scripts/refresh_integrations.py --check   # exit 1 when the shipped data or the
                                                      # test fixtures no longer match the inputs

Inputs (../shared/data by default), each recorded with its sha256 in the output:

* ``integrations-2x-doc-table.csv``: the integrations table of the compatibility page in
  the 2.x era (packages, supported range, patched automatically).
* ``dd-trace-py-supported_versions.json``: ddtrace's per-Python tested minimum and maximum
  of every integration dependency (4.x era).

Which data serves which ddtrace line is recorded in ``lines`` (see
``ddguard.knowledge.integrations``). The rows the unit tests check the data against are
extracted into ``tests/fixtures/integrations/`` with their source, sha256 and date.
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
FIXTURES = REPO / "tests" / "fixtures" / "integrations"
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


def fixture_2x(raw: bytes, extracted: str) -> str:
    """The 2.x table verbatim, under ``#`` lines naming its source and date."""
    header = [
        f"# {TABLE_2X}: the integrations table of ddtrace's compatibility page, 2.x era",
        f"# copied verbatim by scripts/refresh_integrations.py from shared/data/{TABLE_2X}",
        f"# sha256: {hashlib.sha256(raw).hexdigest()}",
        f"# extracted: {extracted}",
    ]
    return "\n".join(header) + "\n" + raw.decode("utf-8")


def fixture_4x(raw: bytes, extracted: str) -> str:
    """Per dependency: its integration, auto-instrumented, and per Python the tested
    minimum and maximum (the tested lists left out), one dependency per line."""
    rows = [
        {
            "dependency": row["dependency"],
            "integration": row["integration"],
            "auto-instrumented": row["auto-instrumented"],
            "python_versions": {
                python: [tested["minimum_package_version"], tested["maximum_package_version"]]
                for python, tested in row["python_versions"].items()
            },
        }
        for row in json.loads(raw.decode("utf-8"))
    ]
    head = {
        "source": f"shared/data/{TESTED_4X}: ddtrace repository's supported_versions.json, "
        "August 2026 (4.x era); extracted by scripts/refresh_integrations.py",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "extracted": extracted,
    }
    lines = ["{"]
    lines.extend(f"{json.dumps(k)}: {json.dumps(v)}," for k, v in head.items())
    lines.append('"rows": [')
    lines.append(",\n".join(json.dumps(r) for r in rows))
    lines.append("]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _undated(text: str) -> str:
    return "\n".join(
        line
        for line in text.splitlines()
        if not line.startswith(("# extracted: ", '"extracted": ', '"generated": '))
    )


def outputs(data_dir: Path, out: Path, today: str) -> Dict[Path, str]:
    """Every file this script writes, with its content."""
    raw_2x = (data_dir / TABLE_2X).read_bytes()
    raw_4x = (data_dir / TESTED_4X).read_bytes()
    return {
        out: dump(build(data_dir, today)),
        FIXTURES / "2x-doc-table.csv": fixture_2x(raw_2x, today),
        FIXTURES / "4x-tested-versions.json": fixture_4x(raw_4x, today),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--date", help="generation date to record (default: today)")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    if not (args.data / TABLE_2X).is_file():
        print(f"no integration data in {args.data}", file=sys.stderr)
        return 2
    today = args.date or datetime.date.today().isoformat()
    files = outputs(args.data, args.out, today)
    if args.check:
        stale = [
            path
            for path, text in files.items()
            if not path.is_file() or _undated(path.read_text("utf-8")) != _undated(text)
        ]
        for path in stale:
            print(
                f"mismatch: {path} is not what {args.data} gives: rerun this script",
                file=sys.stderr,
            )
        if not stale:
            print("the integration data and its test fixtures match their inputs")
        return 1 if stale else 0
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    document = json.loads(files[args.out])
    print(f"{len(document['integrations'])} integrations -> {args.out.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
