"""The published page's two tables, row by row, against the policy ddguard ships.

The tables (the ddtrace compatibility page of the 2.x era) are extracted verbatim into
``tests/fixtures/compat_page.md`` by ``scripts/refresh_db.py``, which also checks them
against the page (``--check``); they are parsed here, independently of
``data/policy.json``, so a drift between the page and the shipped policy fails a named row.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ddguard import knowledge
from ddguard.model import SupportLevel

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "tests" / "fixtures" / "compat_page.md"
POLICY = REPO / "src" / "ddguard" / "data" / "policy.json"

LEVELS = {
    "General Availability": SupportLevel.GA,
    "Maintenance": SupportLevel.MAINTENANCE,
    "End of Life": SupportLevel.EOL,
}
CPUS = {
    "x86-64": "x86_64",
    "i686": "i686",
    "AArch64": "aarch64",
    "Intel": "x86_64",
    "Apple Silicon": "aarch64",
    "64bit": "x86_64",
    "32bit": "i686",
}
OSES = {"Linux": "linux", "MacOS": "macos", "Windows": "windows"}


def _tables(text):
    """Every markdown table in ``text`` as a list of row dicts keyed by header."""
    tables, rows, header = [], [], None
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if line.startswith("|"):
            cells = [c.strip().strip("`").strip() for c in line.strip("|").split("|")]
            if header is None:
                header = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                rows.append(dict(zip(header, cells)))
        elif header is not None:
            tables.append(rows)
            rows, header = [], None
    return tables


def _seed_text():
    return PAGE.read_text(encoding="utf-8")


def _seed_tables():
    tables = _tables(_seed_text())
    levels = next(t for t in tables if "Support level" in t[0])
    runtimes = next(t for t in tables if "Runtime version" in t[0])
    return levels, runtimes


def _pythons(text):
    """'2.7, 3.5-3.11' -> [((2,7),(2,7)), ((3,5),(3,11))]; '3.7+' -> [((3,7), None)]."""
    ranges = []
    for part in text.split(","):
        part = part.strip()
        if part.endswith("+"):
            ranges.append((_minor(part[:-1]), None))
        elif "-" in part:
            low, high = part.split("-")
            ranges.append((_minor(low), _minor(high)))
        else:
            ranges.append((_minor(part), _minor(part)))
    return ranges


def _minor(text):
    major, minor = text.strip().split(".")
    return (int(major), int(minor))


def _seed_lines(specifier):
    """The majors the shipped database has that a seed row's ddtrace specifier covers."""
    spec = SpecifierSet(specifier)
    majors = [line.major for line in knowledge.load().lines]
    return [m for m in majors if Version(f"{m}.0") in spec and m <= 2]


def _level_rows():
    return _seed_tables()[0]


def _runtime_rows():
    return _seed_tables()[1]


def test_seed_has_both_tables():
    levels, runtimes = _seed_tables()
    assert len(levels) == 2
    assert len(runtimes) == 6


def test_policy_json_was_generated_from_the_page_the_tables_come_from():
    recorded = re.search(r"^seed_sha256: ([0-9a-f]{64})$", _seed_text(), re.MULTILINE)
    assert recorded is not None, "the fixture names the page it was copied from"
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    assert policy["seed_sha256"] == recorded.group(1), "rerun scripts/refresh_db.py"


@pytest.mark.parametrize("row", _level_rows(), ids=lambda r: r.get("Release", "?"))
def test_published_support_level_is_kept_as_history(row):
    level = LEVELS[row["Support level"]]
    majors = [line.major for line in knowledge.load().lines]
    (major,) = [m for m in majors if Version(f"{m}.0") in SpecifierSet(row["Release"])]
    line = knowledge.load().line(Version(f"{major}.0"))
    published = [h for h in line.history if "published" in h.basis]
    assert [h.level for h in published] == [level]


@pytest.mark.parametrize(
    "row",
    _runtime_rows(),
    ids=lambda r: f"{r['OS']}-{r['Supported ddtrace versions']}" if r else "?",
)
def test_runtime_row_matches_policy(row):
    db = knowledge.load()
    os_name = OSES[row["OS"]]
    cpus = [CPUS[c.strip()] for c in row["CPU"].split(",")]
    assert row["Runtime"] == "CPython"
    ranges = _pythons(row["Runtime version"])
    majors = _seed_lines(row["Supported ddtrace versions"])
    assert majors, "the row covers no release line of the database"
    for major in majors:
        line = db.line(Version(f"{major}.0"))
        for cpu in cpus:
            rule = line.rule_for(os_name, cpu)
            assert rule is not None, f"{line.name} has no rule for {os_name} {cpu}"
            assert rule.implementation == "cpython"
            assert sorted(rule.python) == sorted(ranges)
            for low, high in ranges:
                assert rule.admits_python(low)
                assert high is None or rule.admits_python(high)
                assert not rule.admits_python((low[0], low[1] - 1)) or (low[0], low[1] - 1) in [
                    h for _, h in ranges
                ]
                if high is not None:
                    above = (high[0], high[1] + 1)
                    assert not rule.admits_python(above) or any(lo == above for lo, _ in ranges)
        # A CPU the row does not list is not covered by the line's rule for this OS.
        listed = set(cpus)
        for rule in line.runtimes:
            if rule.os == os_name:
                assert set(rule.cpus) == listed


def test_seed_boundaries_as_facts():
    """Spot rows by hand, the way a reader of the page would check them."""
    db = knowledge.load()
    one, two = db.line(Version("1.0")), db.line(Version("2.0"))
    assert one.rule_for("linux", "x86_64").admits_python((3, 11))
    assert not one.rule_for("linux", "x86_64").admits_python((3, 12))
    assert not one.rule_for("linux", "x86_64").admits_python((3, 4))
    assert one.rule_for("windows", "i686").admits_python((2, 7))
    assert two.rule_for("macos", "aarch64").admits_python((3, 13))
    assert not two.rule_for("linux", "aarch64").admits_python((3, 6))
    assert one.rule_for("windows", "aarch64") is None
    assert two.rule_for("macos", "i686") is None


# --- support levels as of now, with their dated history ------------------------------


def _first_final(major):
    return next(
        r
        for r in knowledge.load().releases
        if r.version.major == major and not r.version.is_prerelease
    )


@pytest.mark.parametrize(
    ("major", "level"),
    [
        (4, SupportLevel.GA),
        (3, SupportLevel.MAINTENANCE),
        (2, SupportLevel.EOL),
        (1, SupportLevel.EOL),
        (0, SupportLevel.EOL),
    ],
)
def test_current_support_level(major, level):
    assert knowledge.load().line(Version(f"{major}.0")).level is level


def test_two_x_history_is_dated_by_the_next_majors():
    db = knowledge.load()
    two = db.line(Version("2.0"))
    dated = [(h.since, h.level) for h in two.history if h.since]
    assert dated == [
        (_first_final(2).uploaded, SupportLevel.GA),
        (_first_final(3).uploaded, SupportLevel.MAINTENANCE),
        (_first_final(4).uploaded, SupportLevel.EOL),
    ]
    # 2.x had its last release before 4.0.0 shipped.
    last_two = max(r.uploaded for r in db.releases if r.version.major == 2)
    assert last_two < _first_final(4).uploaded
    assert _first_final(3).uploaded < _first_final(4).uploaded


def test_history_dates_are_ordered_and_end_at_the_current_level():
    for line in knowledge.load().lines:
        dated = [h for h in line.history if h.since]
        assert [h.since for h in dated] == sorted(h.since for h in dated)
        assert dated[-1].level is line.level
        assert dated[0].level is SupportLevel.GA


def test_lines_the_seed_postdates_come_from_their_wheels():
    """3.x and 4.x are not on the page: their rules list only CPythons they have wheels for."""
    db = knowledge.load()
    for major in (3, 4):
        line = db.line(Version(f"{major}.0"))
        assert line.runtimes
        wheel_pythons = set()
        for release in db.releases:
            if release.version.major == major and not release.version.is_prerelease:
                for name in release.wheel_files:
                    interpreter = name.split("-")[0]
                    if re.fullmatch(r"cp\d+", interpreter):
                        wheel_pythons.add((int(interpreter[2]), int(interpreter[3:])))
        for rule in line.runtimes:
            for low, high in rule.python:
                assert low in wheel_pythons and high in wheel_pythons
