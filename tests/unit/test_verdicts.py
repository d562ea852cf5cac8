"""Verdicts as a table: requirement x target -> verdict, refusal, reasons, fix.

Each expectation rests on a fact of the release data; ``test_fact`` checks those facts
straight from the snapshot (file names, Requires-Python, yank reasons), so a row's
expectation is not derived from the engine it tests.
"""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import ddguard
from ddguard import knowledge
from ddguard.model import ReasonCode as R
from ddguard.model import Verdict as V
from ddguard.report.words import fixes, reason, runs
from ddguard.target import Target


def db():
    return knowledge.load()


def rel(version):
    release = db().release(Version(version))
    assert release is not None, version
    return release


def interpreters(version, platform_part=""):
    """The interpreter tags of a release's wheels whose platform contains ``platform_part``."""
    return {
        name.split("-")[0]
        for name in rel(version).wheel_files
        if platform_part in name.split("-", 2)[2]
    }


def platforms(version, interpreter):
    return {
        p
        for name in rel(version).wheel_files
        if name.split("-")[0] == interpreter
        for p in name.split("-", 2)[2].split(".")
    }


# --- the facts the rows stand on --------------------------------------------------------

FACTS = {
    "1.20.19 has no cp312 wheel, has cp311 ones": lambda: (
        "cp312" not in interpreters("1.20.19") and "cp311" in interpreters("1.20.19")
    ),
    "1.20.19 Requires-Python has no upper bound": lambda: SpecifierSet(
        rel("1.20.19").requires_python
    ).contains("3.12.0"),
    "1.5.0 has no cp311 wheel, has cp310 ones": lambda: (
        "cp311" not in interpreters("1.5.0") and "cp310" in interpreters("1.5.0")
    ),
    "4.16.0 macOS wheels need macOS 14": lambda: (
        {p for p in platforms("4.16.0", "cp312") if p.startswith("macosx")}
        == {"macosx_14_0_arm64", "macosx_14_0_x86_64"}
    ),
    "4.16.0 has an sdist": lambda: rel("4.16.0").sdist is not None,
    "4.16.0 has no free-threaded wheel": lambda: (
        not any(name.split("-")[1].endswith("t") for name in rel("4.16.0").wheel_files)
    ),
    "9.0.0 is newer than the snapshot": lambda: db().newest.version < Version("9.0.0"),
    "1.9.1 and 3.12.1 are yanked with a reason": lambda: (
        "wrong commit" in rel("1.9.1").yank_reason
        and "missing commits" in rel("3.12.1").yank_reason
    ),
    "1.20.19 musl wheels are musllinux_1_1 only": lambda: (
        {p for p in platforms("1.20.19", "cp311") if p.startswith("musl")}
        == {"musllinux_1_1_x86_64", "musllinux_1_1_aarch64", "musllinux_1_1_i686"}
    ),
    "4.16.0 has win32 and win_arm64 wheels for cp312, win_arm64 not for cp310": lambda: (
        {"win32", "win_arm64"} <= platforms("4.16.0", "cp312")
        and "win_arm64" not in platforms("4.16.0", "cp310")
    ),
    "no final 4.x release has a manylinux i686 wheel (4.0.0rc1 had)": lambda: (
        not any(
            "i686" in name and "manylinux" in name
            for r in db().releases
            if r.version.major == 4 and not r.version.is_prerelease
            for name in r.wheel_files
        )
    ),
    "2.21.0 has manylinux2014 i686 wheels for cp312": lambda: (
        "manylinux2014_i686" in platforms("2.21.0", "cp312")
    ),
    "the newest 2.x release is 2.21.12, has cp312 wheels, is not yanked": lambda: (
        max(r.version for r in db().releases if r.version.major == 2) == Version("2.21.12")
        and "cp312" in interpreters("2.21.12")
        and not rel("2.21.12").yanked
    ),
    "no 1.x release has a cp312 wheel": lambda: (
        not any(
            name.startswith("cp312")
            for r in db().releases
            if r.version.major == 1
            for name in r.wheel_files
        )
    ),
}


@pytest.mark.parametrize("fact", sorted(FACTS))
def test_fact(fact):
    assert FACTS[fact]()


# --- the rows ---------------------------------------------------------------------------


def pip_target(python, platform, abi=None):
    return Target.from_pip_flags(python, "cp", (abi,) if abi else (), (platform,))


C = Target.from_compact
ROWS = [
    # id, requirement, target, options, verdict, refused, reason codes, warning codes, fix parts
    (
        "1.x-on-3.12-refused-with-fix",
        "ddtrace==1.20.19",
        C("cp312-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.LINE_RUNTIME, R.NO_WHEEL_FOR_PYTHON},
        {R.END_OF_LIFE},
        ["ddtrace>=2", "CPython 3.11"],
    ),
    (
        "1.x-on-3.12-pip-flags",
        "ddtrace==1.20.19",
        pip_target("3.12", "manylinux2014_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.LINE_RUNTIME, R.NO_WHEEL_FOR_PYTHON},
        {R.END_OF_LIFE},
        ["ddtrace>=2", "CPython 3.11"],
    ),
    (
        "1.x-on-3.11-passes-with-eol-warning",
        "ddtrace==1.20.19",
        C("cp311-manylinux_x86_64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        {R.END_OF_LIFE},
        ["ddtrace>=4"],
    ),
    (
        "1.x-on-3.11-strict-refuses-eol",
        "ddtrace==1.20.19",
        C("cp311-manylinux_x86_64"),
        {"strict": True},
        V.COMPATIBLE,
        True,
        set(),
        {R.END_OF_LIFE},
        [],
    ),
    (
        "1.5.0-predates-3.11",
        "ddtrace==1.5.0",
        C("cp311-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.NO_WHEEL_FOR_PYTHON},
        {R.END_OF_LIFE},
        ["ddtrace==1.20.19", "CPython 3.10"],
    ),
    (
        "4.16.0-macos11-arm64-source-build",
        "ddtrace==4.16.0",
        pip_target("3.12", "macosx_11_0_arm64"),
        {},
        V.SOURCE_BUILD,
        True,
        {R.NO_WHEEL_FOR_PLATFORM},
        set(),
        ["--allow-source-build"],
    ),
    (
        "4.16.0-macos11-arm64-source-build-allowed",
        "ddtrace==4.16.0",
        pip_target("3.12", "macosx_11_0_arm64"),
        {"allow_source_build": True},
        V.SOURCE_BUILD,
        False,
        {R.NO_WHEEL_FOR_PLATFORM},
        set(),
        [],
    ),
    (
        "4.16.0-macos14-arm64",
        "ddtrace==4.16.0",
        pip_target("3.12", "macosx_14_0_arm64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        set(),
        None,
    ),
    (
        "free-threaded-cp313t",
        "ddtrace==4.16.0",
        C("cp313t-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.NO_WHEEL_FOR_ABI},
        set(),
        ["CPython 3.13 without free threading"],
    ),
    (
        "pypy-refused",
        "ddtrace==2.21.0",
        C("pp310-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.NOT_CPYTHON},
        {R.END_OF_LIFE},
        ["CPython 3.10"],
    ),
    (
        "future-version-passes-with-notice",
        "ddtrace==9.0.0",
        C("cp312-manylinux_x86_64"),
        {},
        V.UNKNOWN,
        False,
        {R.NEWER_THAN_DATABASE},
        set(),
        ["ddguard db update"],
    ),
    (
        "future-version-strict-refused",
        "ddtrace==9.0.0",
        C("cp312-manylinux_x86_64"),
        {"strict": True},
        V.UNKNOWN,
        True,
        {R.NEWER_THAN_DATABASE},
        set(),
        [],
    ),
    (
        "never-released-version",
        "ddtrace==2.99.0",
        C("cp312-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.NOT_RELEASED},
        set(),
        [],
    ),
    (
        "yanked-1.9.1-warns",
        "ddtrace==1.9.1",
        C("cp311-manylinux_x86_64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        {R.YANKED, R.END_OF_LIFE},
        [],
    ),
    (
        "yanked-3.12.1-warns",
        "ddtrace==3.12.1",
        C("cp312-manylinux_x86_64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        {R.YANKED},
        [],
    ),
    (
        "range-1-to-3-on-3.12-picks-2.x",
        "ddtrace>=1,<3",
        C("cp312-manylinux_x86_64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        {R.END_OF_LIFE},
        [],
    ),
    (
        "range-below-2-on-3.12-refused",
        "ddtrace<2",
        C("cp312-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.LINE_RUNTIME},
        {R.END_OF_LIFE},
        ["ddtrace>=2"],
    ),
    (
        "musllinux-compact-family",
        "ddtrace==1.20.19",
        C("cp311-musllinux_x86_64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        {R.END_OF_LIFE},
        [],
    ),
    (
        "musllinux_1_2-flag-not-expanded-like-pip",
        "ddtrace==1.20.19",
        pip_target("3.11", "musllinux_1_2_x86_64"),
        {},
        V.SOURCE_BUILD,
        True,
        {R.NO_WHEEL_FOR_PLATFORM},
        {R.END_OF_LIFE},
        [],
    ),
    (
        "musllinux-4.x-aarch64",
        "ddtrace==4.16.0",
        pip_target("3.12", "musllinux_1_2_aarch64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        set(),
        None,
    ),
    (
        "win32",
        "ddtrace==4.16.0",
        C("cp312-win32"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        set(),
        None,
    ),
    (
        "win_arm64-cp312",
        "ddtrace==4.16.0",
        C("cp312-win_arm64"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        set(),
        None,
    ),
    (
        "win_arm64-cp310-no-wheel",
        "ddtrace==4.16.0",
        C("cp310-win_arm64"),
        {},
        V.SOURCE_BUILD,
        True,
        {R.NO_WHEEL_FOR_PLATFORM},
        set(),
        [],
    ),
    (
        "win_arm64-not-in-2.x-policy",
        "ddtrace==2.21.0",
        C("cp312-win_arm64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.LINE_PLATFORM},
        {R.END_OF_LIFE},
        [],
    ),
    (
        "i686-2.x",
        "ddtrace==2.21.0",
        pip_target("3.12", "manylinux2014_i686"),
        {},
        V.COMPATIBLE,
        False,
        set(),
        {R.END_OF_LIFE},
        [],
    ),
    (
        "i686-4.x-dropped",
        "ddtrace==4.16.0",
        C("cp312-manylinux_i686"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.LINE_PLATFORM},
        set(),
        [],
    ),
    (
        "requires-python-excludes-3.8",
        "ddtrace==4.16.0",
        C("cp38-manylinux_x86_64"),
        {},
        V.INCOMPATIBLE,
        True,
        {R.REQUIRES_PYTHON},
        set(),
        [],
    ),
]


@pytest.mark.parametrize(
    ("requirement", "target", "options", "verdict", "refused", "reasons", "warnings", "fix"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_verdict(requirement, target, options, verdict, refused, reasons, warnings, fix):
    report = ddguard.check([requirement], target, **options)
    (result,) = report.results
    assert result.verdict is verdict, [reason(r, result.target) for r in result.reasons]
    assert result.refused is refused
    assert report.ok is not refused
    assert reasons <= {r.code for r in result.reasons}
    if verdict is V.COMPATIBLE:
        assert not result.reasons
    else:
        assert result.reasons
    assert {w.code for w in result.warnings} == warnings
    if fix is None:
        assert fixes(result) is None
    else:
        for part in fix:
            assert part in (fixes(result) or ""), fixes(result)


def test_yank_warning_quotes_the_reason():
    for version in ("1.9.1", "3.12.1"):
        (result,) = ddguard.check([f"ddtrace=={version}"], C("cp311-manylinux_x86_64")).results
        (yank,) = [w for w in result.warnings if w.code is R.YANKED]
        assert rel(version).yank_reason in reason(yank, result.target)


def test_eol_warning_names_the_date_the_line_ended():
    (result,) = ddguard.check(["ddtrace==1.20.19"], C("cp311-manylinux_x86_64")).results
    (eol,) = [w for w in result.warnings if w.code is R.END_OF_LIFE]
    first_three = min(
        r.uploaded for r in db().releases if r.version.major == 3 and not r.version.is_prerelease
    )
    assert first_three in reason(eol, result.target)


def _pip_pick(specifier, python):
    """pip's choice computed from the data: newest non-yanked final release in the range
    whose Requires-Python admits the Python."""
    spec = SpecifierSet(specifier)
    candidates = [
        r
        for r in db().releases
        if spec.contains(r.version)
        and not r.yanked
        and (r.requires_python is None or r.admits_python(python))
    ]
    return str(max(candidates, key=lambda r: r.version).version)


@pytest.mark.parametrize(
    ("specifier", "target", "python"),
    [
        (">=1,<3", "cp312-manylinux_x86_64", "3.12.0"),
        (">=1,<3", "cp311-manylinux_x86_64", "3.11.0"),
        ("<2", "cp312-manylinux_x86_64", "3.12.0"),
        (">=3,<4", "cp313-manylinux_aarch64", "3.13.0"),
        ("~=3.12.0", "cp312-manylinux_x86_64", "3.12.0"),
        ("<1", "cp27-manylinux_x86_64", "2.7.0"),
    ],
)
def test_range_judges_the_release_pip_would_pick(specifier, target, python):
    (result,) = ddguard.check([f"ddtrace{specifier}"], C(target)).results
    assert result.picked
    assert str(result.version) == _pip_pick(specifier, python)


def test_range_reports_the_compatible_sub_range():
    (result,) = ddguard.check(["ddtrace>=1,<3"], C("cp312-manylinux_x86_64")).results
    # no 1.x release has a cp312 wheel; 2.0.0 pins psutil==5.6.7, which has none (issue 17)
    assert runs(result.compatible) == ">=2.0.1,<=2.21.12"


def test_range_with_no_working_release_says_so():
    (result,) = ddguard.check(["ddtrace<2"], C("cp312-manylinux_x86_64")).results
    assert result.compatible == ()
    assert result.refused


def test_several_targets_one_result_each_in_order():
    targets = [C("cp312-manylinux_x86_64"), C("cp311-manylinux_x86_64")]
    report = ddguard.check(["ddtrace==1.20.19", "ddtrace==2.21.12"], targets)
    assert [(r.pin.text, r.target.python_str) for r in report.results] == [
        ("ddtrace==1.20.19", "3.12"),
        ("ddtrace==1.20.19", "3.11"),
        ("ddtrace==2.21.12", "3.12"),
        ("ddtrace==2.21.12", "3.11"),
    ]
    assert [r.refused for r in report.results] == [True, False, False, False]


def test_marker_that_excludes_the_target_skips_the_requirement():
    report = ddguard.check(
        ['ddtrace==1.20.19; python_version < "3.12"'], C("cp312-manylinux_x86_64")
    )
    assert report.results == ()
    assert report.ok
