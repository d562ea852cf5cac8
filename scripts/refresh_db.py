"""Regenerate ddguard's embedded database in src/ddguard/data/, or check it (maintainers).

    python scripts/refresh_db.py                 # releases from the index pip uses; policy
                                                 # from the seed (when ../shared is here);
                                                 # line facts derived; summary to review
    python scripts/refresh_db.py --from FILE     # releases from a saved JSON document (offline)
    python scripts/refresh_db.py --policy-only   # re-read the seed, derive the lines again
    python scripts/refresh_db.py --derive-only   # derive the lines from the shipped data again
    python scripts/refresh_db.py --check         # exit 1 when the shipped data no longer
                                                 # matches the seed or its own derivation

releases.json: every ddtrace release (version, upload date, Requires-Python, yank reason,
sdist, wheel tags) from the index's JSON API. policy.json: the two tables of the published
compatibility page (../shared/seed). lines.json: release lines, support levels with their
dates, per-platform CPython ranges and the known CPython minors, derived from both
(``ddguard.knowledge.derive``), with the sha256 of its inputs. tests/fixtures/compat_page.md:
the page's two tables, which the unit tests check the policy against.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from ddguard.errors import DatabaseError  # noqa: E402
from ddguard.knowledge import refresh  # noqa: E402
from ddguard.knowledge.derive import derive  # noqa: E402
from ddguard.knowledge.document import InvalidDocument  # noqa: E402
from ddguard.knowledge.lines import parse_lines  # noqa: E402
from ddguard.knowledge.releases import parse_releases  # noqa: E402
from ddguard.knowledge.snapshot import build_snapshot, dump, dump_lines  # noqa: E402
from ddguard.report.words import python_ranges as python_ranges_words  # noqa: E402

DATA = REPO / "src" / "ddguard" / "data"
SEED = REPO.parent / "shared" / "seed" / "python-compatibility-requirements.md"
FIXTURE = REPO / "tests" / "fixtures" / "compat_page.md"
GENERATED_BY = "scripts/refresh_db.py"

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


def table_blocks(text: str) -> List[str]:
    """Each markdown table of ``text`` verbatim."""
    blocks: List[str] = []
    current: List[str] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    return blocks


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


def fixture_from_seed(path: Path, extracted: str) -> str:
    """The page's two tables, verbatim, under a header naming their source and date."""
    raw = path.read_bytes()
    blocks = table_blocks(raw.decode("utf-8"))
    header = (
        "<!--\n"
        "The two tables of ddtrace's published 'Python Compatibility Requirements' page (2.x era),\n"
        f"copied verbatim by {GENERATED_BY} from shared/seed/{path.name}\n"
        f"seed_sha256: {hashlib.sha256(raw).hexdigest()}\n"
        f"extracted: {extracted}\n"
        "The unit tests (tests/unit/test_seed_tables.py) check the shipped policy against them;\n"
        "`python scripts/refresh_db.py --check` checks them against the seed.\n"
        "-->\n"
    )
    return header + "\n" + "\n\n".join(blocks) + "\n"


def without_date(fixture: str) -> str:
    return "\n".join(line for line in fixture.splitlines() if not line.startswith("extracted: "))


def policy_text(policy: Dict[str, Any]) -> str:
    return json.dumps(policy, indent=1) + "\n"


def lines_document(out: Path, generated: str) -> Dict[str, Any]:
    """The line facts derived from ``out``'s releases.json and policy.json."""
    releases_raw = (out / "releases.json").read_bytes()
    policy_raw = (out / "policy.json").read_bytes()
    snapshot = json.loads(releases_raw)
    policy = json.loads(policy_raw)
    return derive(
        parse_releases(snapshot),
        policy,
        generated=generated,
        generated_by=GENERATED_BY,
        inputs={
            "releases": {
                "file": "releases.json",
                "sha256": hashlib.sha256(releases_raw).hexdigest(),
                "fetched": snapshot["fetched"],
                "source": snapshot["source"],
            },
            "policy": {
                "file": "policy.json",
                "sha256": hashlib.sha256(policy_raw).hexdigest(),
                "seed_sha256": policy.get("seed_sha256"),
            },
        },
    )


def summary(document: Dict[str, Any], previous: Optional[Dict[str, Any]]) -> List[str]:
    """What a reviewer reads before committing lines.json."""
    _, lines, minors = parse_lines(document)
    old: Dict[int, Any] = {}
    if previous is not None:
        try:
            old = {line.major: line for line in parse_lines(previous)[1]}
        except InvalidDocument:
            old = {}
    out = [f"known CPython minors: {', '.join('%d.%d' % m for m in minors)}"]
    for line in lines:
        dated = [h for h in line.history if h.since]
        changes = ", ".join(f"{h.level.value} since {h.since} ({h.basis})" for h in dated)
        mark = (
            ""
            if old.get(line.major) == line
            else ("  [new]" if line.major not in old else "  [changed]")
        )
        out.append(f"{line.name}: {line.level.value}; {changes}{mark}")
        for rule in line.runtimes:
            cpus = ", ".join(c.value for c in rule.cpus)
            out.append(
                f"    {rule.os.value} ({cpus}): CPython {python_ranges_words(rule.python)} [{rule.basis}]"
            )
    return out


def check(out: Path, seed: Path) -> List[str]:
    """Every way the shipped data differs from the seed or from its own derivation."""
    problems: List[str] = []
    if seed.is_file():
        policy = policy_from_seed(seed)
        if (out / "policy.json").read_text("utf-8") != policy_text(policy):
            problems.append(f"{out / 'policy.json'} does not match the seed {seed}")
        expected = without_date(fixture_from_seed(seed, ""))
        if not FIXTURE.is_file() or without_date(FIXTURE.read_text("utf-8")) != expected:
            problems.append(f"{FIXTURE} does not match the seed {seed}")
    else:
        print(f"note: no seed at {seed}: the policy is checked against its derivation only")
    shipped = json.loads((out / "lines.json").read_text("utf-8"))
    derived = lines_document(out, shipped.get("generated", ""))
    if shipped != derived:
        problems.append(
            f"{out / 'lines.json'} is not what its inputs derive: run "
            "`python scripts/refresh_db.py --derive-only` and review the summary"
        )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="from_file", type=Path, help="saved index JSON for ddtrace")
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--date", help="date to record (default: today)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--policy-only", action="store_true")
    mode.add_argument("--derive-only", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args()
    today = args.date or datetime.date.today().isoformat()

    if args.check:
        problems = check(args.out, args.seed)
        for problem in problems:
            print(f"mismatch: {problem}", file=sys.stderr)
        if not problems:
            print("the shipped policy, fixture and line facts match their sources")
        return 1 if problems else 0

    if not args.derive_only:
        if args.seed.is_file():
            policy = policy_from_seed(args.seed)
            (args.out / "policy.json").write_text(policy_text(policy), encoding="utf-8")
            FIXTURE.write_text(fixture_from_seed(args.seed, today), encoding="utf-8")
        elif args.policy_only:
            raise SystemExit(f"no seed at {args.seed}")
        else:
            print(f"note: no seed at {args.seed}: keeping policy.json", file=sys.stderr)
    if not (args.policy_only or args.derive_only):
        try:
            if args.from_file:
                raw = args.from_file.read_bytes()
                source = f"package index JSON API, saved as {args.from_file.name}"
            else:
                index = refresh.choose_index()
                print(f"index: {index.shown} ({index.origin.value})", file=sys.stderr)
                raw = refresh.fetch(index)
                source = "package index JSON API (the index pip uses), /pypi/ddtrace/json"
            snapshot = build_snapshot(raw, source, today)
        except (DatabaseError, InvalidDocument) as exc:
            raise SystemExit(f"refresh_db: {exc}") from None
        (args.out / "releases.json").write_text(dump(snapshot), encoding="utf-8")
        print(
            f"{len(snapshot['releases'])} releases, newest {snapshot['releases'][-1][0]}",
            file=sys.stderr,
        )
    previous_path = args.out / "lines.json"
    previous = json.loads(previous_path.read_text("utf-8")) if previous_path.is_file() else None
    document = lines_document(args.out, today)
    previous_path.write_text(dump_lines(document), encoding="utf-8")
    print("\n".join(summary(document, previous)))
    print(f"review {previous_path.relative_to(REPO)} (git diff) before committing it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
