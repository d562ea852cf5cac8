"""Poetry ``||`` unions: the installer's pick is the newest release any alternative allows
(whose Requires-Python admits the target), judged; each alternative says what works."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

import ddguard
from ddguard import knowledge, sources
from ddguard.evaluate.requirement import judge
from ddguard.model import Options, Origin, OriginKind, Pin, ReasonCode, Verdict
from ddguard.report import paragraph
from ddguard.report.words import alternatives as alternatives_text
from ddguard.report.words import reason, reference, source
from ddguard.target import Target

PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "poetry_union"


def file_and_line(origin):
    return source(origin).rsplit("/", 1)[1]


def union(*texts):
    return tuple(SpecifierSet(t) for t in texts)


def judge_requirement(db, specifiers, target, requirement=None):
    """A union (or one specifier) written as ``requirement``, judged on ``target``."""
    if isinstance(specifiers, SpecifierSet):
        pin = Pin(text=requirement or f"ddtrace{specifiers}", specifier=specifiers, origin=Origin(OriginKind.ARGUMENT))
    elif len(specifiers) == 1:
        pin = Pin(text=requirement or f"ddtrace{specifiers[0]}", specifier=specifiers[0], origin=Origin(OriginKind.ARGUMENT))
    else:
        text = requirement or "ddtrace " + " || ".join(_lower_first(s) for s in specifiers)
        pin = Pin(text=text, specifier=SpecifierSet(), origin=Origin(OriginKind.ARGUMENT), alternatives=tuple(specifiers))
    return judge(db, pin, target, Options())


def _lower_first(specifier):
    return ",".join(sorted((str(s) for s in specifier), key=lambda s: (s[0] not in ">~=", s)))


@pytest.mark.parametrize(
    "alternatives, target, version, verdict, described",
    [
        # ^1.20 || ~2.8: 2.8.7 is the newest either allows
        (
            (">=1.20,<2", ">=2.8,<2.9"),
            "cp311-manylinux_x86_64",
            "2.8.7",
            Verdict.COMPATIBLE,
            (
                ">=1.20,<2: >=1.20.0,<=1.20.19 works here",
                ">=2.8,<2.9: >=2.8.0,<=2.8.7 works here (the pick)",
            ),
        ),
        # order does not matter: the newest across alternatives
        (
            (">=2.8,<2.9", ">=1.20,<2"),
            "cp311-manylinux_x86_64",
            "2.8.7",
            Verdict.COMPATIBLE,
            (
                ">=2.8,<2.9: >=2.8.0,<=2.8.7 works here (the pick)",
                ">=1.20,<2: >=1.20.0,<=1.20.19 works here",
            ),
        ),
        # 1.x has no CPython 3.12 wheel; the 2.8 alternative is what works
        (
            (">=1.20,<2", ">=2.8,<2.9"),
            "cp312-manylinux_x86_64",
            "2.8.7",
            Verdict.COMPATIBLE,
            (
                ">=1.20,<2: no release works here",
                ">=2.8,<2.9: >=2.8.0,<=2.8.7 works here (the pick)",
            ),
        ),
        # 2.8 declares Requires-Python >=3.7: on 2.7 the pick comes from the 1.20 alternative
        # (which builds scandir from source there: 1.20 requires pathlib2, which requires it)
        (
            (">=1.20,<2", ">=2.8,<2.9"),
            "cp27-manylinux_x86_64",
            "1.20.19",
            Verdict.SOURCE_BUILD,
            (
                ">=1.20,<2: no release works here (the pick)",
                ">=2.8,<2.9: no release works here",
            ),
        ),
        # an alternative with no release at all
        (
            (">=0.99,<1", ">=2.8,<2.9"),
            "cp311-manylinux_x86_64",
            "2.8.7",
            Verdict.COMPATIBLE,
            (
                ">=0.99,<1: no release in the database",
                ">=2.8,<2.9: >=2.8.0,<=2.8.7 works here (the pick)",
            ),
        ),
        # exact alternatives: the newer one is picked, and refused where it does not work
        (
            ("==1.20.19", "==2.8.5"),
            "cp312-manylinux_x86_64",
            "2.8.5",
            Verdict.COMPATIBLE,
            ("==1.20.19: no release works here", "==2.8.5: ==2.8.5 works here (the pick)"),
        ),
        (
            ("==1.20.19", "==1.20.18"),
            "cp312-manylinux_x86_64",
            "1.20.19",
            Verdict.INCOMPATIBLE,
            ("==1.20.19: no release works here (the pick)", "==1.20.18: no release works here"),
        ),
    ],
)
def test_union_picks_the_newest_release_any_alternative_allows(
    alternatives, target, version, verdict, described
):
    result = judge_requirement(
        knowledge.load(), union(*alternatives), Target.from_compact(target), requirement="u"
    )
    assert (str(result.version), result.verdict, result.picked) == (version, verdict, True)
    assert tuple(alternatives_text(result)) == described
    assert result.refused is (verdict is not Verdict.COMPATIBLE)
    assert "Alternatives: " + "; ".join(described) + "." in paragraph(result)


def test_a_refused_union_points_at_the_alternative_that_works():
    result = judge_requirement(
        knowledge.load(),
        union(">=1.20,<2", ">=0.60,<0.61"),
        Target.from_compact("cp312-manylinux_x86_64"),
    )
    assert result.verdict is Verdict.INCOMPATIBLE and result.refused
    assert result.pin.text == "ddtrace >=1.20,<2 || >=0.60,<0.61"
    assert tuple(alternatives_text(result)) == (
        ">=1.20,<2: no release works here (the pick)",
        ">=0.60,<0.61: no release works here",
    )


def test_an_alternative_beyond_the_database_is_unknown():
    db = knowledge.load()
    newer = f">={db.newest.version.major + 5}"
    result = judge_requirement(
        db, union(">=2.8,<2.9", newer), Target.from_compact("cp311-manylinux_x86_64")
    )
    assert result.verdict is Verdict.UNKNOWN and not result.refused
    assert result.reasons[0].code is ReasonCode.NEWER_THAN_DATABASE
    assert newer in reason(result.reasons[0], result.target)


def test_one_alternative_is_the_plain_path():
    db = knowledge.load()
    target = Target.from_compact("cp311-manylinux_x86_64")
    one = judge_requirement(db, union(">=2.8,<2.9"), target)
    plain = judge_requirement(db, SpecifierSet(">=2.8,<2.9"), target)
    assert one._replace(pin=plain.pin) == plain and one.alternatives == ()


def test_poetry_union_pins_carry_their_alternatives():
    scan = sources.scan_project(str(PROJECT))
    assert [(file_and_line(p.origin), p.alternatives, str(p.specifier)) for p in scan.pins] == [
        ("pyproject.toml:8", union(">=1.20,<2", ">=2.8,<2.9"), ""),
        ("pyproject.toml:11", union(">=0.99,<0.100", ">=1.20,<1.21"), ""),
    ]
    assert not any(p.unknown for p in scan.pins)
    assert scan.python_range is None  # a union has no single range for the notes


@pytest.mark.parametrize(
    "target, expected",
    [
        # python = "~2.7 || >=3.12" on the legacy group's entry: a marker with "or"
        (
            "cp27-manylinux_x86_64",
            [("pyproject.toml:8", "1.20.19"), ("pyproject.toml:11", "1.20.19")],
        ),
        ("cp311-manylinux_x86_64", [("pyproject.toml:8", "2.8.7")]),
        (
            "cp312-manylinux_x86_64",
            [("pyproject.toml:8", "2.8.7"), ("pyproject.toml:11", "1.20.19")],
        ),
    ],
)
def test_markers_of_union_pins_are_evaluated_per_target(target, expected):
    report = ddguard.check(sources.scan_project(str(PROJECT)).pins, Target.from_compact(target))
    assert [(file_and_line(r.pin.origin), str(r.version)) for r in report.results] == expected


def test_an_unreadable_alternative_is_unknown(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.8"\nddtrace = "^1.20 || banana"\n'
    )
    (pin,) = sources.scan_project(str(tmp_path)).pins
    assert pin.untranslated == ("^1.20 || banana", "banana") and pin.unknown
    report = ddguard.check([pin], Target.from_compact("cp311-manylinux_x86_64"))
    assert [r.verdict for r in report.results] == [Verdict.UNKNOWN]
    (result,) = report.results
    assert [r.code for r in result.reasons] == [ReasonCode.UNKNOWN_REFERENCE]
    assert reference(result) == "Poetry constraint '^1.20 || banana': cannot read 'banana'"
    assert "Why: Poetry constraint '^1.20 || banana': cannot read 'banana'." in paragraph(result)


def test_cli_judges_the_union_of_a_project(capsys):
    from ddguard import cli

    code = cli.main(["check", "--project", str(PROJECT), "--target", "cp312-manylinux_x86_64"])
    out = capsys.readouterr().out
    assert code == 1  # the legacy group's ~1.20 pick does not work on 3.12
    assert 'ddtrace 2.8.7 (the release an installer picks for ddtrace = "^1.20 || ~2.8")' in out
    assert ">=2.8,<2.9: >=2.8.0,<=2.8.7 works here (the pick)" in out
