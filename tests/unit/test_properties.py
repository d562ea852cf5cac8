"""Property tests (hypothesis) on the version and specifier logic.

Examples are drawn from the real snapshot's versions and a handful of targets, with
modest ``max_examples`` so the unit suite stays fast on every interpreter.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from ddguard import knowledge
from ddguard.evaluate.pick import exact_version, installer_pick
from ddguard.evaluate.release import judge_release
from ddguard.evaluate.requirement import judge
from ddguard.knowledge.lines import merge_ranges
from ddguard.model import Options, Origin, OriginKind, Pin, Verdict
from ddguard.report.words import fixes, runs
from ddguard.report.words import python_ranges as format_python_ranges
from ddguard.target import Target


def judge_requirement(db, specifier, target):
    pin = Pin(text=f"ddtrace{specifier}", specifier=specifier, origin=Origin(OriginKind.ARGUMENT))
    return judge(db, pin, target, Options())

DB = knowledge.load()
VERSIONS = [r.version for r in DB.releases]
FINAL = [v for v in VERSIONS if not v.is_prerelease]
TARGETS = [
    Target.from_compact(t)
    for t in (
        "cp27-manylinux_x86_64",
        "cp37-manylinux_x86_64",
        "cp311-manylinux_x86_64",
        "cp312-manylinux_x86_64",
        "cp313-musllinux_aarch64",
        "cp312-macosx_arm64",
        "cp312-win32",
        "cp310-win_arm64",
        "cp313t-manylinux_x86_64",
        "pp310-manylinux_x86_64",
    )
]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

versions = st.sampled_from(FINAL)
targets = st.sampled_from(TARGETS)


@st.composite
def specifiers(draw):
    """Ranges over real release versions: >=A, <B, >=A,<B, ~=A, ==A.*, !=A."""
    low, high = sorted([draw(versions), draw(versions)])
    kind = draw(st.sampled_from(["ge", "lt", "range", "compatible", "wildcard", "exclude"]))
    if kind == "ge":
        return SpecifierSet(f">={low}")
    if kind == "lt":
        return SpecifierSet(f"<{high}")
    if kind == "range":
        return SpecifierSet(f">={low},<{high}" if low < high else f">={low},<={high}")
    if kind == "compatible":
        return SpecifierSet(f"~={low.major}.{low.minor}.0")
    if kind == "wildcard":
        return SpecifierSet(f"=={low.major}.{low.minor}.*")
    return SpecifierSet(f">={low.major},<{low.major + 1},!={low}")


def _spec_parts(compatible_range):
    """'>=2.0.0,<=2.21.12 or ==3.1.0' -> [SpecifierSet, ...]."""
    return [SpecifierSet(part) for part in compatible_range.split(" or ")]


@SETTINGS
@given(specifiers(), targets)
def test_installer_pick_is_the_newest_installable_release_in_range(specifier, target):
    in_range = DB.releases_in(specifier)
    pick = installer_pick(in_range, target)

    def installable(release):
        return (
            not release.yanked
            and release.admits_python(target.python_full_str)
            and (release.sdist is not None or bool(release.wheel_tags() & target.tags()))
        )

    if pick is None:
        assert not any(installable(r) for r in in_range)
        return
    assert specifier.contains(pick.version, prereleases=True)
    assert installable(pick)
    assert not any(installable(r) and r.version > pick.version for r in in_range)


@SETTINGS
@given(specifiers(), targets)
def test_compatible_range_holds_exactly_the_compatible_releases(specifier, target):
    result = judge_requirement(DB, specifier, target)
    in_range = [r for r in DB.releases_in(specifier) if not r.version.is_prerelease]
    compatible = {
        r.version
        for r in in_range
        if not r.yanked and judge_release(DB, r, target).verdict is Verdict.COMPATIBLE
    }
    if not result.compatible:
        assert not compatible
        return
    parts = _spec_parts(runs(result.compatible))
    for release in in_range:
        if release.yanked:
            continue  # pip never picks them; a run may span one
        inside = any(part.contains(release.version) for part in parts)
        assert inside == (release.version in compatible), (release.version, parts)


@SETTINGS
@given(specifiers(), targets)
def test_range_verdict_is_the_verdict_of_its_pick(specifier, target):
    result = judge_requirement(DB, specifier, target)
    if result.version is None:
        assert result.verdict in (Verdict.INCOMPATIBLE, Verdict.UNKNOWN)
        return
    release = DB.release(result.version)
    assert release is not None
    assert result.picked
    assert judge_release(DB, release, target).verdict is result.verdict
    if result.verdict is Verdict.COMPATIBLE and not result.warnings:
        assert not result.refused


@SETTINGS
@given(versions, targets)
def test_exact_pin_judges_that_release(version, target):
    result = judge_requirement(DB, SpecifierSet(f"=={version}"), target)
    assert result.version == version
    assert not result.picked
    assert result.verdict is judge_release(DB, DB.release(version), target).verdict
    # a refused verdict always says why and what to do
    if result.refused and result.verdict is not Verdict.COMPATIBLE:
        assert result.reasons and fixes(result)


@SETTINGS
@given(versions, st.sampled_from(["==", "===", ">=", "<=", "!=", "~="]))
def test_exact_version_only_for_equality(version, operator):
    found = exact_version(SpecifierSet(f"{operator}{version}"))
    if operator in ("==", "==="):
        assert found == version
    else:
        assert found is None


# --- python ranges ---------------------------------------------------------------------

minors = st.tuples(st.sampled_from([2, 3]), st.integers(min_value=0, max_value=15))


@st.composite
def python_ranges(draw):
    low = draw(minors)
    if draw(st.booleans()) and draw(st.booleans()):
        return (low, None)
    high_minor = draw(st.integers(min_value=low[1], max_value=15))  # built, not filtered
    return (low, (low[0], high_minor))


def _covered(ranges, universe):
    return {m for m in universe for low, high in ranges if low <= m and (high is None or m <= high)}


UNIVERSE = [(major, minor) for major in (2, 3, 4) for minor in range(0, 20)]


def _parse_formatted(text):
    """'2.7, 3.5–3.11, 3.7+' -> (((2,7),(2,7)), ((3,5),(3,11)), ((3,7),None))."""
    out = []
    for part in text.split(", "):
        match = re.fullmatch(r"(\d+)\.(\d+)(?:(\+)|–(\d+)\.(\d+))?", part)
        assert match, part
        low = (int(match.group(1)), int(match.group(2)))
        if match.group(3):
            out.append((low, None))
        elif match.group(4):
            out.append((low, (int(match.group(4)), int(match.group(5)))))
        else:
            out.append((low, low))
    return tuple(out)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(python_ranges(), min_size=1, max_size=6))
def test_merge_ranges_keeps_the_same_versions_in_disjoint_sorted_runs(ranges):
    merged = merge_ranges(ranges)
    # same open-endedness and same minors covered (open ranges reach past the universe)
    assert _covered(merged, UNIVERSE) == _covered(ranges, UNIVERSE)
    assert any(h is None for _, h in merged) == any(h is None for _, h in ranges)
    lows = [low for low, _ in merged]
    assert lows == sorted(lows)
    for (_, high), (next_low, _) in zip(merged, merged[1:]):
        assert high is not None
        assert high < next_low
        assert not (high[0] == next_low[0] and high[1] + 1 == next_low[1])  # not adjacent
    assert merge_ranges(merged) == merged  # idempotent


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(python_ranges(), min_size=1, max_size=6))
def test_format_python_ranges_round_trips(ranges):
    merged = merge_ranges(ranges)
    assert _parse_formatted(format_python_ranges(merged)) == merged


def test_format_python_ranges_examples():
    assert format_python_ranges(merge_ranges([((2, 7), (2, 7)), ((3, 5), (3, 11))])) == (
        "2.7, 3.5–3.11"
    )
    assert format_python_ranges(merge_ranges([((3, 7), None), ((3, 9), (3, 12))])) == "3.7+"
    assert merge_ranges([((3, 8), (3, 9)), ((3, 10), (3, 11))]) == (((3, 8), (3, 11)),)
