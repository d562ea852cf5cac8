"""``ddguard explain`` in-process: ``api.explain`` finds the releases a spec names and judges
them on the given targets; ``report.tables`` says every fact of the newest in text and all
of them in JSON; ``ddguard explain`` prints them and exits like ``check``; a spec that names
no release is one line of bad input."""

from __future__ import annotations

import json
from typing import Any, List, Tuple

import pytest
from cli_run import run
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from ddguard import knowledge
from ddguard.api import check, explain
from ddguard.errors import InputError
from ddguard.report.tables import LEVEL_WORDS, explain_json, explain_text
from ddguard.target import Target

DB = knowledge.load()
RELEASES = DB.releases
# Every 20th release, and every release that is special: yanked, without an sdist, without
# a wheel, without Requires-Python, a pre-release; each line's first and newest.
SAMPLE = sorted(
    {r.version for r in RELEASES[::20]}
    | {r.version for r in RELEASES if r.yanked or r.sdist is None or r.version.is_prerelease}
    | {r.version for r in RELEASES if not r.requires_python}
    | {
        v
        for line in DB.lines
        for v in (
            DB.releases_in(SpecifierSet(f">={line.major}.0,<{line.major + 1}"), True)[0].version,
        )
    }
    | {DB.newest.version}
)
TARGETS = [
    "cp312-manylinux_x86_64",
    "cp311-win_amd64",
    "cp39-musllinux_aarch64",
    "cp313-macosx_arm64",
]


def cli(*args: str) -> Tuple[int, str, str]:
    return run(*args)


@pytest.mark.parametrize("version", SAMPLE, ids=str)
def test_one_release_is_told_fact_by_fact(version: Any) -> None:
    (release,) = [r for r in RELEASES if r.version == version]
    story = explain(str(version), [])
    assert story.releases == (release,) and story.verdicts == ()
    facts = json.loads(json.dumps(explain_json(story)))  # JSON as printed
    (told,) = facts["releases"]
    line = DB.line(version)
    assert told["version"] == str(version) and told["uploaded"] == release.uploaded
    assert told["line"] == f"{version.major}.x" and told["support_level"] == (
        line.level.value if line else None
    )
    assert (told["requires_python"], told["yanked"], told["sdist"]) == (
        release.requires_python,
        release.yanked,
        release.sdist is not None,
    )
    assert told["files"] == release.filenames() and facts["verdicts"] == []
    assert facts["database"] == {"source": DB.info.source, "fetched": DB.info.fetched}
    for pythons in told["wheel_platforms"].values():
        assert pythons == sorted(set(pythons), key=lambda p: tuple(map(int, p.split("."))))

    text = explain_text(story).splitlines()
    assert text[0] == f"ddtrace {version} (uploaded {release.uploaded})"
    assert (
        text[1].startswith(f"  release line {version.major}.x (")
        and LEVEL_WORDS[told["support_level"]] in text[1]
    )
    assert text[2] == "  Requires-Python: " + (release.requires_python or "(none declared)")
    assert any(t.startswith("  yanked: ") for t in text) is release.yanked
    dependencies = told["compiled_dependencies"]
    listed = len(told["wheel_platforms"]) + sum(
        1 + max(1, len(d["wheel_platforms"])) for d in dependencies
    )
    assert text[-1 - listed].endswith("sdist: " + ("yes" if told["sdist"] else "no"))
    assert len([t for t in text if t.startswith("    ")]) == listed - len(dependencies)
    assert [t.split(", compiled;")[0] for t in text if t.startswith("  requires ")] == [
        "  requires "
        + d["package"]
        + d["specifier"]
        + (
            f" (extra {d['extra']})"
            if d["extra"]
            else f" (where {d['marker']})"
            if d["marker"]
            else ""
        )
        for d in dependencies
    ]


def test_a_yanked_release_says_why() -> None:
    yanked = next(r for r in RELEASES if r.yanked and r.yank_reason)
    assert (
        f"  yanked: {yanked.yank_reason}"
        in explain_text(explain(str(yanked.version), [])).splitlines()
    )


@pytest.mark.parametrize("major", [line.major for line in DB.lines])
def test_a_range_tells_how_many_releases_match_and_the_newest(major: int) -> None:
    spec = f"ddtrace>={major}.0,<{major + 1}"
    story = explain(spec, [])
    expected = DB.releases_in(SpecifierSet(f">={major}.0,<{major + 1}"))
    assert list(story.releases) == expected
    text = explain_text(story).splitlines()
    assert (
        text[0]
        == f"{spec} matches {len(expected)} releases, {expected[0].version} to {expected[-1].version}; the newest:"
    )
    assert text[1].startswith(f"ddtrace {expected[-1].version} ")
    assert [r["version"] for r in explain_json(story)["releases"]] == [
        str(r.version) for r in expected
    ]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(RELEASES) - 1), st.integers(0, len(RELEASES) - 1))
def test_every_release_of_a_range_and_only_those(low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    first, last = RELEASES[low].version, RELEASES[high].version
    story = explain(f"ddtrace>={first},<={last}", [])
    found = [r.version for r in story.releases]
    assert found == sorted(found) and all(first <= v <= last for v in found)
    assert found and found[-1] <= last
    header = explain_text(story).splitlines()[0]
    assert (
        header.startswith(f"ddtrace {found[0]} ")
        if len(found) == 1
        else f"matches {len(found)} releases" in header
    )


@pytest.mark.parametrize("spec", ["1.20.19", "ddtrace>=2,<3", "ddtrace~=3.12.0", "4.16.0"])
def test_each_target_gets_the_verdict_check_gives(spec: str) -> None:
    targets = [Target.from_compact(t) for t in TARGETS]
    story = explain(spec, targets)
    pin = spec if spec.startswith("ddtrace") else f"ddtrace=={spec}"
    expected = check([pin], targets).results
    assert [(r.target, r.verdict, r.version, r.refused) for r in story.verdicts] == [
        (r.target, r.verdict, r.version, r.refused) for r in expected
    ]
    blocks = [t for t in explain_text(story).splitlines() if t.startswith("[")]
    assert [b.split("]", 1)[0][1:] for b in blocks] == [r.verdict.value for r in expected]
    told = explain_json(story)["verdicts"]
    assert [(v["verdict"], v["refused"], v["version"]) for v in told] == [
        (r.verdict.value, r.refused, str(r.version)) for r in expected
    ]


@pytest.mark.parametrize(
    "spec",
    [
        "ddtrace @ https://example.invalid/ddtrace.zip",
        "ddtrace @ git+https://github.com/DataDog/dd-trace-py@v2.8.5",
    ],
)
def test_a_reference_is_not_a_release(spec: str) -> None:
    with pytest.raises(
        InputError, match=r"is a reference, not a release: name a version or a range$"
    ):
        explain(spec, [])


@pytest.mark.parametrize(
    "spec, newer",
    [
        ("99.0.0", True),  # an exact release newer than the database: refresh it
        ("ddtrace==" + "9" * 60, True),
        ("ddtrace>=99", False),  # a range: no hint (only an exact pin gets one)
        ("0.0.1", False),
        ("ddtrace<0.1", False),
        ("ddtrace>2,<1", False),
    ],
)
def test_a_spec_that_names_no_release_is_one_line_of_bad_input(spec: str, newer: bool) -> None:
    with pytest.raises(InputError) as bad:
        explain(spec, [])
    message = str(bad.value)
    assert message.startswith("no ddtrace release in the database matches ")
    assert (
        f"(it knows {RELEASES[0].version} to {DB.newest.version}, snapshot of {DB.info.fetched})"
        in message
    )
    assert message.endswith(": refresh it with `ddguard db update`") is newer
    assert "\n" not in message and len(message) < 400


# --- ddguard explain --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, code",
    [
        (["1.20.19"], 0),
        (["1.20.19", "--target", "cp312-manylinux_x86_64"], 1),
        (
            ["1.20.19", "--target", "cp311-manylinux_x86_64", "--target", "cp312-manylinux_x86_64"],
            1,
        ),
        (
            [
                "ddtrace>=2,<3",
                "--python-version",
                "3.12",
                "--implementation",
                "cp",
                "--platform",
                "manylinux2014_x86_64",
            ],
            0,
        ),
        (
            [
                "ddtrace<2",
                "--python-version",
                "3.12",
                "--implementation",
                "cp",
                "--platform",
                "win_amd64",
            ],
            1,
        ),
    ],
)
def test_the_command_prints_json_and_exits_like_check(args: List[str], code: int) -> None:
    status, out, err = cli("explain", *args, "--format", "json")
    assert (status, err) == (code, "")
    doc = json.loads(out)
    assert doc["spec"] == args[0] and doc["releases"]
    assert any(v["refused"] for v in doc["verdicts"]) is (code == 1)
    status, text, _ = cli("explain", *args)
    assert status == code and text.splitlines()[0].startswith(("ddtrace ", args[0]))


@pytest.mark.parametrize(
    "spec",
    [
        "99.0.0",
        "ddtrace @ https://example.invalid/x.zip",
        "ddtrace=>2",
        "not a spec at all",
        "ddtrace==" + "9" * 5_000,
        "\x00\xff",
    ],
)
def test_the_command_says_bad_input_in_one_line_and_exits_2(spec: str) -> None:
    status, out, err = cli("explain", spec, "--format", "json")
    assert status == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("ddguard: error: ") and len(line) < 400


def test_compiled_dependencies_are_told_with_where_their_wheels_are() -> None:
    """Issue 17: 2.0.0 pins psutil==5.6.7, whose wheels are for Windows only."""
    story = explain("ddtrace==2.0.0", [Target.from_compact("cp312-manylinux_x86_64")])
    (facts,) = explain_json(story)["releases"]
    named = {d["package"]: d for d in facts["compiled_dependencies"]}
    assert named["psutil"]["specifier"] == "==5.6.7"
    assert set(named["psutil"]["wheel_platforms"]) == {"Windows 32-bit", "Windows 64-bit"}
    assert "any platform (pure Python)" in named["wrapt"]["wheel_platforms"]
    assert "protobuf" not in named  # a pure wheel installs wherever its own do not
    text = explain_text(story)
    assert (
        "  requires psutil==5.6.7, compiled; its wheels in that range:\n    Windows 32-bit" in text
    )
    assert "pulls in psutil 5.6.7 with no wheel for CPython 3.12" in text
    extras = explain_json(explain("ddtrace==2.21.0", []))["releases"][0]["compiled_dependencies"]
    assert {"package": "tiktoken", "extra": "openai"}.items() <= next(
        d for d in extras if d["package"] == "tiktoken"
    ).items()
