"""The shape rules of ``ddguard fix``: a requirement keeps its written form, admits the
decided release and nothing outside the working run (ddguard.writers.shape, pep508)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker, default_environment
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ddguard.sources.poetry import poetry_specifier
from ddguard.writers import pep508, shape
from ddguard.writers.records import Decision, EditNote

NEXT_LINE = Decision(Version("2.21.12"), Version("2.0.0"), Version("3"))  # 1.x -> the 2.x line
NARROW = Decision(Version("1.20.19"), Version("1.20.5"), Version("2"))  # 1.20.0-1.20.4 break
OPEN = Decision(Version("2.21.12"), Version("2.0.0"), None)  # nothing above 2.0 breaks
NO_LOW = Decision(Version("2.21.12"), None, Version("3"))
TIGHT = Decision(Version("2.14.3"), Version("2.0.0"), Version("2.15"))  # 2.15 breaks

BOUND = (EditNote.BOUND_ADDED,)
EXACT = (EditNote.EXACT_FALLBACK,)

PEP440 = [
    # an exact pin stays exact, with its operator
    ("==1.20.19", NEXT_LINE, "==2.21.12", ()),
    ("===1.20.19", NEXT_LINE, "===2.21.12", ()),
    ("== 1.20.19", NEXT_LINE, "== 2.21.12", ()),
    ("==2.21.12", NEXT_LINE, "==2.21.12", ()),
    # a range keeps its operators and component counts; bounds that hold stay
    (">=1.20,<2", NEXT_LINE, ">=2.0,<3", ()),
    (">=1.20.0,<2.0.0", NEXT_LINE, ">=2.0.0,<3.0.0", ()),
    (">= 1.20, < 2", NEXT_LINE, ">= 2.0, < 3", ()),
    ("<2,>=1.20", NEXT_LINE, "<3,>=2.0", ()),
    (">=1.20,<2", NARROW, ">=1.20.5,<2", ()),
    (">=1.15,<1.30", NARROW, ">=1.20.5,<1.30", ()),
    (">=2.5,<2.30", NEXT_LINE, ">=2.5,<2.30", ()),
    (">1.0,<2", NARROW, ">=1.20.5,<2", ()),
    (">=1.20,<=1.99", NEXT_LINE, ">=2.0,<3.0", ()),
    # compatible release and wildcards
    ("~=1.20.0", NEXT_LINE, "~=2.21.0", ()),
    ("~=1.20", NEXT_LINE, "~=2.0", ()),
    ("~=1.20.0", NARROW, "~=1.20.5", ()),
    ("~=2.0", TIGHT, "~=2.14.0", ()),
    ("==1.20.*", NEXT_LINE, "==2.21.*", ()),
    ("==1.*", NEXT_LINE, "==2.*", ()),
    ("==2.*", TIGHT, "==2.14.*", ()),
    ("==1.20.*", NARROW, "==1.20.19.*", ()),
    # missing bounds are added, and said
    (">=1.20", NEXT_LINE, ">=2.0,<3", BOUND),
    (">=1.20", OPEN, ">=2.0", ()),
    (">=2.5", OPEN, ">=2.5", ()),
    ("<2", NEXT_LINE, ">=2.0.0,<3", BOUND),
    ("<2", NO_LOW, "<3", ()),
    ("", NEXT_LINE, ">=2.0.0,<3", BOUND),
    ("", NO_LOW, "<3", BOUND),
    ("", Decision(Version("2.21.12")), "", ()),
    # exclusions stay, unless they exclude the release
    (">=1.20,!=1.20.3,<2", NEXT_LINE, ">=2.0,!=1.20.3,<3", ()),
    (">=1.20,!=2.21.12,<3", NEXT_LINE, "==2.21.12", EXACT),
    (">=1.20,!=2.21.*,<3", NEXT_LINE, "==2.21.12", EXACT),
    (">=1.20,!=2.20.*", NEXT_LINE, ">=2.0,!=2.20.*,<3", BOUND),
    # without a low or high bound, a moved bound goes to the release's own neighbourhood
    (">=3.0,<4", NO_LOW, ">=2.21,<3", ()),
    ("<2.0,>=1.0", Decision(Version("2.21.12"), Version("1.0"), None), "<2.22,>=1.0", ()),
    ("<=1.9,>=1", Decision(Version("2.21.12"), Version("1"), None), "<=2.21.12,>=1", ()),
]

POETRY = [
    ("1.15.2", NEXT_LINE, "2.21.12", ()),
    ("==1.4.5", NEXT_LINE, "==2.21.12", ()),
    ("=1.4.5", NEXT_LINE, "=2.21.12", ()),
    ("^1.20", NEXT_LINE, "^2.0", ()),
    ("^1.6.4", NEXT_LINE, "^2.0.0", ()),
    ("^1.20", NARROW, "^1.20.5", ()),
    ("^0.59.0", NEXT_LINE, "^2.0.0", ()),
    ("^2.0", TIGHT, "==2.14.3", EXACT),  # no caret under 2.15: ^2.14 still means <3
    ("~1.20.3", NEXT_LINE, "~2.21.0", ()),
    ("~1.20", NEXT_LINE, "~2.21", ()),
    ("~1", NEXT_LINE, "~2", ()),
    ("1.20.*", NEXT_LINE, "2.21.*", ()),
    (">=1.20,<2", NEXT_LINE, ">=2.0,<3", ()),
    (">=1.20 <2", NEXT_LINE, ">=2.0 <3", ()),
    (">=0.56.1,<0.59.0", NEXT_LINE, ">=2.0.0,<3.0.0", ()),
    (">=3.16.2,!=3.19.0,<4", NEXT_LINE, ">=2.0.0,!=3.19.0,<3", ()),
    ("<2.0.0", NEXT_LINE, ">=2.0.0,<3.0.0", BOUND),
    (">=2.7.2", NEXT_LINE, ">=2.7.2,<3", BOUND),
    ("*", NEXT_LINE, ">=2.0.0,<3", BOUND),
    ("^1.20 || ^2.0", NEXT_LINE, "^2.0", (EditNote.ALTERNATIVES_DROPPED,)),
    ("^1.20||^1.30", NEXT_LINE, "^2.0", ()),
    ("^2.1 || ^2.5", NEXT_LINE, "^2.1 || ^2.5", ()),
]


@pytest.mark.parametrize(
    ("old", "decision", "new", "notes"), PEP440, ids=[r[0] or "any" for r in PEP440]
)
def test_pep440_constraint_keeps_its_shape(old, decision, new, notes):
    result = shape.rewrite(old, decision)
    assert (result.text, result.notes) == (new, notes)
    assert _admits(result.text, decision)


@pytest.mark.parametrize(("old", "decision", "new", "notes"), POETRY, ids=[r[0] for r in POETRY])
def test_poetry_constraint_stays_poetry_syntax(old, decision, new, notes):
    result = shape.rewrite(old, decision, poetry=True)
    assert (result.text, result.notes) == (new, notes)
    for part in result.text.split("||"):
        assert _admits(poetry_specifier(part), decision) or "||" in result.text


@pytest.mark.parametrize(
    "text", ["~=1", ">=", "1.0", "==1.0,,<2", ",<2", "==1.0,", ">=1.*", "=>1", "^1.0", "~1.2"]
)
def test_not_a_pep440_constraint_is_refused(text):
    with pytest.raises(ValueError):
        shape.rewrite(text, NEXT_LINE)


@pytest.mark.parametrize("text", ["^", "^1.0 ||", "|| ^1", ">=1.0,", "^1.x", "1.0.*.*"])
def test_not_a_poetry_constraint_is_refused(text):
    with pytest.raises(ValueError):
        shape.rewrite(text, NEXT_LINE, poetry=True)


def test_decision_outside_its_own_range_is_a_caller_bug():
    with pytest.raises(ValueError):
        shape.rewrite("==1", Decision(Version("3.0"), Version("2.0"), Version("3")))
    with pytest.raises(ValueError):
        shape.rewrite("==1", Decision(Version("1.0"), Version("2.0"), None))


@pytest.mark.parametrize(
    ("components", "version", "expected"),
    [
        (2, "2.0.0", "2.0"),
        (1, "3", "3"),
        (3, "3", "3.0.0"),
        (2, "2.0.5", "2.0.5"),
        (1, "2.1rc1", "2.1rc1"),
    ],
)
def test_written_keeps_the_component_count_only_when_exact(components, version, expected):
    assert shape.written(Version(version), components) == expected


# --- every shape, every decision: the invariants ------------------------------------------

PROBES = [
    Version(".".join(map(str, r))) for n in (1, 2, 3) for r in itertools.product(range(5), repeat=n)
]
PROBES += [Version(f"{a}.{b}.{c}") for a in range(5) for b in (9, 10, 11, 20) for c in (0, 5, 19)]


def _admits(spec, decision):
    """The specifier admits the release and no probe release outside the working run."""
    specifier = SpecifierSet(spec)
    if not specifier.contains(decision.version, prereleases=True):
        return False
    for probe in PROBES:
        if specifier.contains(probe, prereleases=True):
            if decision.low is not None and probe < decision.low:
                return False
            if decision.high is not None and probe >= decision.high:
                return False
    return True


versions = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)).map(
    lambda t: Version(".".join(map(str, t)))
)


@st.composite
def decisions(draw):
    version = draw(versions)
    lows = [None] + [v for v in PROBES if v <= version]
    highs = [None] + [v for v in PROBES if v > version]
    return Decision(version, draw(st.sampled_from(lows)), draw(st.sampled_from(highs)))


def _version_text(draw, least=1):
    size = draw(st.integers(least, 3))
    return ".".join(str(draw(st.integers(0, 4))) for _ in range(size))


@st.composite
def pep440_constraints(draw):
    clauses = []
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["==", "===", ">=", ">", "<", "<=", "~=", "!=", "==*", "!=*"]))
        if op == "~=":
            clauses.append(f"~={_version_text(draw, 2)}")
        elif op.endswith("*"):
            clauses.append(f"{op[:2]}{_version_text(draw)}.*")
        else:
            clauses.append(f"{op}{_version_text(draw)}")
    return draw(st.sampled_from([",", ", "])).join(clauses)


@st.composite
def poetry_constraints(draw):
    def alternative():
        kind = draw(st.sampled_from(["^", "~", "", "==", ">=", "<", "range", "*wild"]))
        if kind == "range":
            return f">={_version_text(draw)},<{_version_text(draw)}"
        if kind == "*wild":
            return f"{_version_text(draw)}.*"
        return f"{kind}{_version_text(draw)}"

    return " || ".join(alternative() for _ in range(draw(st.integers(1, 2))))


@settings(max_examples=400, deadline=None)
@given(pep440_constraints(), decisions())
def test_any_pep440_constraint_admits_the_release_and_only_the_working_run(old, decision):
    result = shape.rewrite(old, decision)
    if not result.text:
        assert decision.low is None and decision.high is None
        return
    assert _admits(result.text, decision), result
    assert shape.rewrite(result.text, decision) == (result.text, ())  # a second run: no-op
    if any(c.op in ("==", "===") and not c.version.endswith("*") for c in shape.parse(old)[0]):
        (clause,) = shape.parse(result.text)[0]  # exact stays exact
        assert clause.op in ("==", "===") and Version(clause.version) == decision.version


@settings(max_examples=400, deadline=None)
@given(poetry_constraints(), decisions())
def test_any_poetry_constraint_admits_the_release_and_only_the_working_run(old, decision):
    result = shape.rewrite(old, decision, poetry=True)
    alternatives = [SpecifierSet(poetry_specifier(p)) for p in result.text.split("||")]
    assert any(a.contains(decision.version, prereleases=True) for a in alternatives), result
    for alternative in alternatives:
        for probe in PROBES:
            if alternative.contains(probe, prereleases=True):
                assert decision.low is None or probe >= decision.low, result
                assert decision.high is None or probe < decision.high, result
    assert shape.rewrite(result.text, decision, poetry=True).text == result.text


# --- PEP 508 requirement strings ----------------------------------------------------------

REQUIREMENTS = [
    ("ddtrace==1.20.19", "ddtrace==2.21.12", ()),
    ("ddtrace[profiling]==1.20.19", "ddtrace[profiling]==2.21.12", ()),
    (
        'ddtrace[profiling] >= 1.20 , < 2 ; python_version < "3.12"',
        'ddtrace[profiling] >= 2.0 , < 3 ; python_version < "3.12"',
        (),
    ),
    ("ddtrace (>=1.20,<2)", "ddtrace (>=2.0,<3)", ()),
    ("ddtrace", "ddtrace>=2.0.0,<3", BOUND),
    ("ddtrace[a,b]", "ddtrace[a,b]>=2.0.0,<3", BOUND),
    ('ddtrace ; sys_platform == "linux"', 'ddtrace>=2.0.0,<3 ; sys_platform == "linux"', BOUND),
    (
        "ddtrace @ https://example.org/ddtrace-1.0-py3-none-any.whl ; python_version > '3'",
        "ddtrace==2.21.12 ; python_version > '3'",
        (EditNote.REFERENCE_REPLACED,),
    ),
    ("DDTrace==1.0", "DDTrace==2.21.12", ()),
]


@pytest.mark.parametrize(("old", "new", "notes"), REQUIREMENTS, ids=[r[0] for r in REQUIREMENTS])
def test_requirement_keeps_name_extras_spacing_and_marker(old, new, notes):
    assert pep508.rewrite(old, NEXT_LINE) == (new, notes)


@pytest.mark.parametrize(
    "text", ["ddtrace==", "ddtrace[ ==1", "==1.0", "ddtrace==1.0 ; python_version", ""]
)
def test_not_a_requirement_is_refused(text):
    with pytest.raises(ValueError):
        pep508.rewrite(text, NEXT_LINE)


MARKERS = [
    "",
    'python_version < "3.13"',
    "sys_platform != 'win32' or python_version > '3.0'",
    '(sys_platform == "linux" or sys_platform == "darwin") and python_version >= "3.8"',
    'platform_machine == "x86_64" or platform_machine == "aarch64"',
    "python_version >= '3.10'",
]
OLDER = Decision(Version("1.20.19"), Version("1.0.0"), Version("2"))


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("boundary", [(3, 12), (3, 8), (3, 13)])
def test_split_markers_partition_the_pythons_the_entry_covered(marker, boundary):
    text = f"ddtrace[opentracing]>=1.0,<3; {marker}" if marker else "ddtrace>=1.0,<3"
    quote = pep508.marker_quote(text)
    older, newer = pep508.split(text, OLDER, boundary, NEXT_LINE, quote)
    from packaging.requirements import Requirement

    first, second = Requirement(older.text), Requirement(newer.text)
    assert first.specifier.contains(OLDER.version) and second.specifier.contains(NEXT_LINE.version)
    for minor in range(0, 16):
        for platform in ("linux", "win32", "darwin"):
            env = default_environment()
            env.update(
                python_version=f"3.{minor}",
                python_full_version=f"3.{minor}.1",
                sys_platform=platform,
                platform_machine="x86_64",
            )
            covered = Marker(marker).evaluate(env) if marker else True
            chosen = [r for r in (first, second) if r.marker.evaluate(env)]
            assert len(chosen) == (1 if covered else 0), (minor, platform)
            if covered:
                assert chosen[0] is (first if (3, minor) < boundary else second)


def test_split_keeps_the_markers_quote():
    older, newer = pep508.split(
        "ddtrace==2.8.5; python_version > '3.0'", OLDER, (3, 12), NEXT_LINE, "'"
    )
    assert older.text == "ddtrace==1.20.19; python_version > '3.0' and python_version < '3.12'"
    assert newer.text == "ddtrace==2.21.12; python_version > '3.0' and python_version >= '3.12'"
