"""The dependency walk agrees with real pip on a recorded sample of (release, target) pairs.

The fixture is written by ``scripts/record_pip_closure.py``: real
``pip install --dry-run --only-binary=:all: --python-version ... --platform ... --report -``
WITH dependencies. Agreement means: ``missing_wheels(..., only_binary=True)`` finds nothing
exactly when pip installed the whole closure from wheels; when pip failed, the package it
named is among the facts; when it succeeded, the walk picks the versions pip installed for
the packages recorded as binary. Pairs where ddtrace's own wheel is missing are the
release engine's part: they are checked to be marked correctly, not walked. Plain
``pip install`` (no flags) may build where ``--only-binary`` falls back to an older wheel:
such extra facts must all say so (``Missing.NEWEST_HAS_NO_WHEEL``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest
from packaging.requirements import Requirement
from packaging.tags import parse_tag

from ddguard.api import judge, requirement_pin
from ddguard.evaluate.closure import Missing, missing_wheels, resolve
from ddguard.knowledge import dependencies
from ddguard.model import FixKind, Options, Verdict
from ddguard.target import Target

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "pip_closure_verdicts.json"
RELEASES = Path(dependencies.default_path()).parent / "releases.json"
DOCUMENT = json.loads(FIXTURE.read_text(encoding="utf-8"))
PAIRS = DOCUMENT["pairs"]
WALKED = [p for p in PAIRS if not p["ddtrace_wheel_missing"]]
OWN_WHEEL_MISSING = [p for p in PAIRS if p["ddtrace_wheel_missing"]]


def _id(pair: Dict[str, Any]) -> str:
    return f"{pair['requirement']}-py{pair['python_version']}-{pair['platform']}"


def _case(pair: Dict[str, Any]) -> Tuple[str, frozenset, Target]:
    requirement = Requirement(pair["requirement"])
    (spec,) = requirement.specifier
    python = pair["python_version"]
    target = Target.from_pip_flags(
        python, "cp", ("cp" + python.replace(".", ""),), (pair["platform"],)
    )
    return spec.version, frozenset(requirement.extras), target


def test_fixture_is_a_real_recording() -> None:
    assert DOCUMENT["pip_version"] and DOCUMENT["recorded"]
    assert len(PAIRS) >= 40
    installed = [p["pip_installed_closure"] for p in WALKED]
    assert any(installed) and not all(installed)
    for pair in PAIRS:
        assert pair["pip_installed_closure"] == bool(pair["installed"])
        assert pair["pip_installed_closure"] == (pair["failed_package"] is None)
    issue_17 = {
        ("ddtrace==2.0.0", "3.12", "manylinux2014_x86_64"),
        ("ddtrace==2.0.0", "3.9", "manylinux2014_aarch64"),
        ("ddtrace==2.0.0", "3.10", "macosx_14_0_arm64"),
        ("ddtrace==2.1.1", "3.9", "manylinux2014_aarch64"),
    }
    recorded = {(p["requirement"], p["python_version"], p["platform"]): p for p in PAIRS}
    for key in issue_17:
        assert recorded[key]["failed_package"] == "psutil"


@pytest.mark.parametrize("pair", WALKED, ids=_id)
def test_walk_agrees_with_pip(pair: Dict[str, Any]) -> None:
    version, extras, target = _case(pair)
    facts = missing_wheels(version, target, extras, only_binary=True)
    packages = {f.package for f in facts}
    if pair["pip_installed_closure"]:
        assert facts == (), f"pip installed {pair['installed']}; the walk says {facts}"
        closure = resolve(version, target, extras, only_binary=True)
        data = dependencies.load()
        installed = dict(item.split("==") for item in pair["installed"])
        for pick in closure.picks:
            package = data.package(pick.package)
            if package is not None and package.binary:
                assert pick.version == installed.get(pick.package), (pick, pair["installed"])
    else:
        assert pair["failed_package"] in packages, (
            f"pip: {pair['pip_error']}; the walk says {facts or 'nothing missing'}"
        )


@pytest.mark.parametrize("pair", WALKED, ids=_id)
def test_plain_pip_differs_only_by_building_a_newer_release(pair: Dict[str, Any]) -> None:
    version, extras, target = _case(pair)
    strict = {f.package for f in missing_wheels(version, target, extras, only_binary=True)}
    for fact in missing_wheels(version, target, extras):
        if fact.package not in strict:
            assert fact.missing is Missing.NEWEST_HAS_NO_WHEEL and fact.newest_with_wheel


@pytest.mark.parametrize("pair", OWN_WHEEL_MISSING, ids=_id)
def test_pairs_marked_as_the_release_engines_part_have_no_ddtrace_wheel(
    pair: Dict[str, Any],
) -> None:
    version, _, target = _case(pair)
    snapshot = json.loads(RELEASES.read_text(encoding="utf-8"))
    (row,) = [r for r in snapshot["releases"] if r[0] == version]
    files = [snapshot["tags"][i] for i in snapshot["tag_sets"][row[-1]]]
    tags = {tag for text in files for tag in parse_tag(text)}
    assert tags and tags.isdisjoint(target.tags())


# --- the check's verdict -------------------------------------------------------------------

PURE_SDIST_ONLY = {"opentracing", "forbiddenfruit"}  # pip builds them without a compiler


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_check_verdict_agrees_with_pip(pair: Dict[str, Any]) -> None:
    """``ddguard check`` (plain pip, no compiler) passes exactly where pip installed the
    whole closure from wheels, with two documented differences: a pure package published
    only as an sdist (pip builds it without a compiler: ddguard passes), and a pick with no
    wheel where an older release has one (plain pip builds it: ddguard refuses, naming the
    release with a wheel as the fix)."""
    _, _, target = _case(pair)
    pin = requirement_pin(pair["requirement"])
    (result,) = judge([pin], [target], Options())
    if pair["ddtrace_wheel_missing"]:
        assert result.verdict is not Verdict.COMPATIBLE
        return
    named = {r.dependency.package for r in result.reasons if r.dependency is not None}
    if pair["pip_installed_closure"]:
        if result.verdict is not Verdict.COMPATIBLE:
            assert result.verdict is Verdict.SOURCE_BUILD
            assert all(
                r.dependency is not None and r.dependency.missing is Missing.NEWEST_HAS_NO_WHEEL
                for r in result.reasons
            )
            assert result.fixes[0].kind is FixKind.DEPENDENCY_WITH_WHEEL
    elif pair["failed_package"] in PURE_SDIST_ONLY:
        assert result.verdict is Verdict.COMPATIBLE, result.reasons
    else:
        assert result.verdict is not Verdict.COMPATIBLE and result.refused
        assert pair["failed_package"] in named
