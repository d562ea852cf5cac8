"""The integration data, row by row, against the tables it is generated from (extracted
into ``tests/fixtures/integrations/`` by ``scripts/refresh_integrations.py``): what
``ddguard.knowledge.integrations`` gives each ddtrace line, before any finding is judged."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ddguard.knowledge import integrations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "integrations"
TABLE_2X = FIXTURES / "2x-doc-table.csv"
TESTED_4X = FIXTURES / "4x-tested-versions.json"
CP311 = (3, 11)


def below(version: str) -> str:
    """A version just below ``version``: 1.8 -> 1.7.999, 1.0 -> 0.999."""
    release = list(Version(version).release)
    index = max(i for i, part in enumerate(release) if part > 0)
    return ".".join(map(str, [*release[:index], release[index] - 1, 999]))


def _rows_2x():
    lines = TABLE_2X.read_text(encoding="utf-8").splitlines()
    rows = []
    for row in csv.DictReader(line for line in lines if not line.startswith("#")):
        if not row["packages"] or row["supported_versions"] == "any":
            continue
        spec = SpecifierSet(row["supported_versions"])
        low = next(s.version for s in spec if s.operator == ">=")
        high = next((str(s) for s in spec if s.operator in ("<", "<=")), None)
        integration = row["integration"].split("(")[0].strip().lower()
        rows.append(
            pytest.param(integration, row["packages"], low, high, id=f"{row['packages']}{spec}")
        )
    return rows


def _rows_4x():
    entries = json.loads(TESTED_4X.read_text(encoding="utf-8"))["rows"]
    rows = []
    for entry in entries:
        dep, name = entry["dependency"], entry["integration"]
        tested = entry["python_versions"].get("3.11")
        if dep.startswith("stdlib.") or not tested or not tested[0]:
            continue
        floor = min((low for low, _ in entry["python_versions"].values() if low), key=Version)
        key = name.split("(")[0].strip().lower()
        rows.append(pytest.param(key, dep, floor, tested[0], tested[1], id=f"{name}-{dep}"))
    return rows


def _range(line, integration, package, python=CP311):
    (found,) = [
        r
        for r in integrations.load().ranges(line, python, only={canonicalize_name(package)})
        if r.integration == integration
        and canonicalize_name(r.package) == canonicalize_name(package)
    ]
    return found


@pytest.mark.parametrize(("integration", "package", "low", "high"), _rows_2x())
def test_2x_rows_give_the_floor_and_ceiling_and_3x_keeps_the_floor(integration, package, low, high):
    two = _range(2, integration, package)
    assert two.floor.contains(low) and not two.floor.contains(below(low))
    if high is not None:  # "<=0.16" or "<8.0"
        bound = high.lstrip("<=")
        assert two.ceiling.contains(below(bound))
        assert two.ceiling.contains(bound) is high.startswith("<=")
        assert not two.ceiling.contains(f"{Version(bound).major + 1}.0")
    three = _range(3, integration, package)
    assert three.floor == two.floor and str(three.ceiling) == "" and three.tested is None


@pytest.mark.parametrize(("integration", "package", "floor", "low", "high"), _rows_4x())
def test_4x_rows_give_the_tested_range_on_the_targets_python(
    integration, package, floor, low, high
):
    four = _range(4, integration, package)
    assert four.tested == (Version(low), Version(high))
    assert four.floor.contains(floor) and not four.floor.contains(below(floor))


@pytest.mark.parametrize("major", [0, 1, 5])
def test_lines_without_data_have_no_ranges(major):
    assert integrations.load().ranges(major, CP311) == []
    assert integrations.load().basis(major) is None


def test_package_names_cover_every_package_and_alias_of_the_tables():
    names = integrations.load().package_names()
    packages = {canonicalize_name(p.values[1]) for p in _rows_2x() + _rows_4x()}
    assert packages <= names
    assert all(name == canonicalize_name(name) for name in names)
