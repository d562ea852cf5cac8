"""A check judges what installing ddtrace pulls in (issue 17): a compiled dependency pip
builds from source makes the install a source build, one with nothing to install fails it,
and every surface (text, JSON, fixes, ranges, extras, the installed copy) carries it.

Rules against small generated data files attached to the shipped releases (ddtrace 1.0.0,
whose own wheels install on CPython 3.9 manylinux x86_64); rows against the shipped data.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest
from dependency_documents import Row, document
from hypothesis import given, settings
from hypothesis import strategies as st

from ddguard import knowledge
from ddguard.api import judge, requirement_pin
from ddguard.evaluate.closure import missing_wheels
from ddguard.evaluate.release import fact_group, verdict_of
from ddguard.knowledge import Knowledge, dependencies
from ddguard.model import FixKind, Missing, Options, ReasonCode, Report, Verdict
from ddguard.report import render_json, words
from ddguard.target import Target

SHIPPED = knowledge.load()
TARGET = Target.from_compact("cp39-manylinux_x86_64")
WHEEL = ["cp39-cp39-manylinux_2_17_x86_64"]
WINDOWS_ONLY = ["cp39-cp39-win_amd64"]
PURE = ["py3-none-any"]


def _knowledge(doc: Dict[str, Any]) -> Knowledge:
    return Knowledge(
        SHIPPED.releases,
        SHIPPED.lines,
        SHIPPED.info,
        SHIPPED.cpython_minors,
        dependencies=dependencies.from_document(doc),
    )


def _judge(db: Knowledge, requirement: str = "ddtrace==1.0.0", **options: Any) -> Any:
    (result,) = judge([requirement_pin(requirement)], [TARGET], Options(**options), db)
    return result


def _data(
    lines: List[str],
    packages: Dict[str, List[Row]],
    compiled: bool = True,
) -> Knowledge:
    doc = document(lines, packages)
    for entry in doc["packages"].values():
        entry["compiled"] = compiled
    return _knowledge(doc)


def test_ddtrace_alone_is_compatible_there() -> None:
    result = _judge(_data([], {}))
    assert result.verdict is Verdict.COMPATIBLE and not result.refused


def test_a_compiled_dependency_without_a_wheel_is_a_source_build() -> None:
    db = _data(["native==1.0"], {"native": [("1.0", None, 0, 1, WINDOWS_ONLY)]})
    result = _judge(db)
    assert result.verdict is Verdict.SOURCE_BUILD and result.refused
    (reason,) = result.reasons
    assert reason.code is ReasonCode.DEPENDENCY_NO_WHEEL
    assert reason.dependency.package == "native" and reason.dependency.specifier == "==1.0"
    assert reason.dependency.missing is Missing.NO_WHEEL_IN_RANGE
    assert FixKind.ALLOW_SOURCE_BUILD in [f.kind for f in result.fixes]
    text = words.paragraph(result)
    assert "native 1.0" in text and "requires native==1.0" in text and "C compiler" in text
    assert not _judge(db, allow_source_build=True).refused


def test_a_dependency_with_nothing_to_install_fails_the_install() -> None:
    db = _data(["native==1.0"], {"native": [("1.0", None, 0, 0, WINDOWS_ONLY)]})
    result = _judge(db)
    assert result.verdict is Verdict.INCOMPATIBLE and result.refused
    assert [r.code for r in result.reasons] == [ReasonCode.DEPENDENCY_NOT_INSTALLABLE]
    assert "no native release in that range installs" in words.paragraph(result)
    assert _judge(db, allow_source_build=True).refused


def test_a_pure_sdist_only_dependency_needs_no_compiler() -> None:
    """opentracing publishes only an sdist: plain pip builds it without a compiler."""
    db = _data(["puresdist>=1"], {"puresdist": [("1.0", None, 0, 1, [])]}, compiled=False)
    assert _judge(db).verdict is Verdict.COMPATIBLE


def test_a_wheel_on_an_older_release_is_the_fix_pip_does_not_take_by_itself() -> None:
    db = _data(
        ["native>=1"],
        {"native": [("1.0", None, 0, 1, WHEEL), ("2.0", None, 0, 1, WINDOWS_ONLY)]},
    )
    result = _judge(db)
    assert result.verdict is Verdict.SOURCE_BUILD
    assert result.reasons[0].dependency.missing is Missing.NEWEST_HAS_NO_WHEEL
    first = result.fixes[0]
    assert (first.kind, first.package, first.specifier) == (
        FixKind.DEPENDENCY_WITH_WHEEL,
        "native",
        "<=1.0",
    )
    assert "native<=1.0" in words.fix(first, TARGET)
    (doc,) = json.loads(render_json(Report(targets=(TARGET,), results=(result,))))["results"]
    assert doc["dependencies"][0]["picked"] == "2.0"
    assert doc["dependencies"][0]["newest_with_wheel"] == "1.0"
    assert doc["fixes"][0]["requirement"] == "native<=1.0"
    assert doc["reason_codes"] == ["dependency-no-wheel"]


def test_extras_of_the_requirement_bring_their_dependencies() -> None:
    db = _data(['native==1.0; extra == "fast"'], {"native": [("1.0", None, 0, 1, WINDOWS_ONLY)]})
    assert _judge(db, requirement="ddtrace==1.0.0").verdict is Verdict.COMPATIBLE
    result = _judge(db, requirement="ddtrace[fast]==1.0.0")
    assert result.verdict is Verdict.SOURCE_BUILD
    assert result.reasons[0].dependency.extra == "fast"
    assert "ddtrace 1.0.0[fast] requires native==1.0" in words.paragraph(result)


def test_the_installed_copy_is_judged_without_its_dependencies() -> None:
    """They are installed already: what pip would build does not matter at import."""
    db = _data(["native==1.0"], {"native": [("1.0", None, 0, 0, WINDOWS_ONLY)]})
    assert _judge(db, dependencies=False).verdict is Verdict.COMPATIBLE


def test_memoized_verdicts_keep_extras_and_requirements_apart() -> None:
    db = _data(['native==1.0; extra == "fast"'], {"native": [("1.0", None, 0, 1, WINDOWS_ONLY)]})
    one = next(r for r in db.releases if str(r.version) == "1.0.0")
    assert verdict_of(db, one, TARGET) is Verdict.COMPATIBLE
    assert verdict_of(db, one, TARGET, frozenset({"fast"})) is Verdict.SOURCE_BUILD
    # releases the data does not record are grouped apart from 1.0.0
    others = [r for r in db.releases if r.version.major == 1 and str(r.version) != "1.0.0"]
    assert all(fact_group(db, r) != fact_group(db, one) for r in others)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["1.0", "1.1", "2.0", "2.1"]),
            st.booleans(),  # sdist
            st.sampled_from([WHEEL, WINDOWS_ONLY, PURE, []]),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda r: r[0],
    ),
    compiled=st.booleans(),
)
def test_verdict_follows_the_walk(rows: List[Any], compiled: bool) -> None:
    """Whatever the releases: compatible exactly when the walk finds nothing pip must
    compile (or cannot install); a source build names only compiled packages."""
    db = _data(["native>=1"], {"native": [(v, None, 0, int(s), t) for v, s, t in rows]}, compiled)
    result = _judge(db)
    gaps = missing_wheels("1.0.0", TARGET, data=db.dependencies)
    failing = [g for g in gaps if g.missing is Missing.NO_INSTALLABLE_VERSION]
    built = [g for g in gaps if g.compiled and g.missing is not Missing.NO_INSTALLABLE_VERSION]
    expected: Optional[Verdict]
    if failing:
        expected = Verdict.INCOMPATIBLE
    elif built:
        expected = Verdict.SOURCE_BUILD
    else:
        expected = Verdict.COMPATIBLE
    assert result.verdict is expected
    assert result.refused is (expected is not Verdict.COMPATIBLE)


# --- the shipped data -------------------------------------------------------------------


@pytest.mark.parametrize(
    "requirement, target, verdict, package",
    [
        ("ddtrace==2.0.0", "cp312-manylinux_x86_64", Verdict.SOURCE_BUILD, "psutil"),
        ("ddtrace==2.0.0", "cp39-manylinux_aarch64", Verdict.SOURCE_BUILD, "psutil"),
        ("ddtrace==2.1.1", "cp39-manylinux_aarch64", Verdict.SOURCE_BUILD, "psutil"),
        ("ddtrace==2.1.1", "cp312-manylinux_x86_64", Verdict.COMPATIBLE, None),
        ("ddtrace==2.21.0", "cp312-manylinux_x86_64", Verdict.COMPATIBLE, None),
        ("ddtrace[opentracing]==2.21.0", "cp312-manylinux_x86_64", Verdict.COMPATIBLE, None),
    ],
)
def test_shipped_rows(
    requirement: str, target: str, verdict: Verdict, package: Optional[str]
) -> None:
    (result,) = judge([requirement_pin(requirement)], [Target.from_compact(target)], Options())
    assert result.verdict is verdict
    assert [r.dependency.package for r in result.reasons if r.dependency] == (
        [package] if package else []
    )


def test_a_range_skips_releases_whose_dependencies_need_a_compiler() -> None:
    """2.0.0 pins psutil==5.6.7 (no cp312 wheel): the working part of 2.x starts at 2.0.1,
    and a fix never names a release that builds a dependency."""
    (result,) = judge(
        [requirement_pin("ddtrace>=2.0.0,<2.0.2")],
        [Target.from_compact("cp312-manylinux_x86_64")],
        Options(),
    )
    assert words.runs(result.compatible) == "==2.0.1"
    (pinned,) = judge(
        [requirement_pin("ddtrace==2.0.0")],
        [Target.from_compact("cp312-manylinux_x86_64")],
        Options(),
    )
    named = [f.newest for f in pinned.fixes if f.newest is not None]
    assert named and all(
        judge([requirement_pin(f"ddtrace=={v}")], [pinned.target], Options())[0].verdict
        is Verdict.COMPATIBLE
        for v in named
    )
