"""The Requires-Python judgement without packaging equals packaging's, on the data and on
generated specifiers."""

from __future__ import annotations

from typing import Iterator, List

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from ddguard import knowledge
from ddguard.knowledge.requires_python import _plain_admits, admits, readable

PYTHONS = [
    f"{major}.{minor}.{patch}"
    for major, minors in ((2, range(5, 8)), (3, range(0, 17)), (4, range(0, 2)))
    for minor in minors
    for patch in (0, 1, 2, 9, 10, 18)
]


def packaging_admits(requires_python: str, python: str) -> bool:
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except ValueError:  # InvalidSpecifier; int() refuses thousands of digits
        return True


def shipped_requires_python() -> List[str]:
    db = knowledge.load()
    found = {r.requires_python for r in db.releases if r.requires_python}
    data = db.dependencies
    for name in data.package_names():
        package = data.package(name)
        assert package is not None
        found.update(r.requires_python for r in package.releases if r.requires_python)
    return sorted(found)


def test_every_shipped_requires_python_is_judged_without_packaging() -> None:
    values = shipped_requires_python()
    assert len(values) > 20
    for value in values:
        assert _plain_admits(value, "3.12.1") is not None, value


@pytest.mark.parametrize("python", PYTHONS)
def test_shipped_values_agree_with_packaging(python: str) -> None:
    for value in shipped_requires_python():
        assert admits(value, python) is packaging_admits(value, python), (value, python)


OPERATORS = ["==", "!=", ">=", "<=", ">", "<", "~=", "===", "=", "<>", ""]


@st.composite
def clauses(draw: st.DrawFn) -> str:
    operator = draw(st.sampled_from(OPERATORS))
    parts = draw(st.lists(st.integers(0, 13), min_size=1, max_size=4))
    text = ".".join(str(p) for p in parts)
    text += draw(st.sampled_from(["", "", ".*", "rc1", ".post1", "+local", "a", " "]))
    space = draw(st.sampled_from(["", " ", "  "]))
    return f"{space}{operator}{space}{text}{space}"


@given(st.lists(clauses(), min_size=1, max_size=4), st.sampled_from(PYTHONS))
def test_generated_specifiers_agree_with_packaging(parts: List[str], python: str) -> None:
    value = ",".join(parts)
    assert admits(value, python) is packaging_admits(value, python), (value, python)
    if _plain_admits(value, python) is not None:  # read here: packaging reads it too
        SpecifierSet(value)
    try:
        SpecifierSet(value)
    except ValueError:
        assert not readable(value)
    else:
        assert readable(value)


def odd_values() -> Iterator[str]:
    yield from ["", ",", ">=3.8,", ">=3.8,,<4", "3.8", ">=٣.8", ">=3.8.*", "~=3", "~=3.*"]
    yield from [">=" + "9" * 5000, ">=3." + ".".join(["1"] * 2000), "!=3.0.*" * 50]


@pytest.mark.parametrize("value", list(odd_values()))
def test_odd_values_agree_with_packaging(value: str) -> None:
    for python in ("2.7.18", "3.8.0", "3.12.1"):
        assert admits(value, python) is packaging_admits(value, python), (value[:40], python)
