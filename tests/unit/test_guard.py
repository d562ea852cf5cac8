"""ddguard.guard, what the integration guards share: the mode switch and settings,
interpreter targets, pins, and the installer plugins' decision (refuse on the
environment's interpreter and on every CPython the project's Python range admits)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ddguard import knowledge
from ddguard.errors import InputError
from ddguard.guard import (
    Mode,
    Settings,
    admitted_minors,
    installer_refusal,
    interpreter_target,
    mode,
    pin_from_text,
    project_pins,
    read_settings,
    requirements_file_pins,
    specifier_admits,
)
from ddguard.target import Target

CP311 = Target.from_compact("cp311-manylinux_x86_64")
CP312 = Target.from_compact("cp312-manylinux_x86_64")
STRICT = Settings()


def test_pin_that_breaks_on_the_environment_is_refused_with_the_paragraph() -> None:
    message = installer_refusal(["ddtrace==1.20.19"], CP312, settings=STRICT)
    assert message is not None
    assert message.startswith("ddtrace 1.20.19 does not work on CPython 3.12")
    assert "Fix:" in message


def test_pin_that_works_on_the_environment_and_the_whole_range_passes() -> None:
    assert (
        installer_refusal(["ddtrace==1.20.19"], CP311, settings=STRICT, python_range=">=3.8,<3.12")
        is None
    )


def test_range_admitting_a_breaking_python_is_refused_naming_the_sub_range() -> None:
    message = installer_refusal(["ddtrace==1.20.19"], CP311, settings=STRICT, python_range=">=3.8")
    assert message is not None
    assert "The project's requires-python (>=3.8) admits CPython 3.12–" in message
    assert 'python_version < "3.12"' in message
    assert "On CPython 3.12: ddtrace 1.20.19 does not work" in message


def test_breaking_range_below_the_working_one_suggests_a_lower_bound() -> None:
    message = installer_refusal(["ddtrace>=3"], CP311, settings=STRICT, python_range=">=3.7")
    assert message is not None
    assert "admits CPython 3.7," in message
    assert 'python_version >= "3.8"' in message


def test_marker_excluding_the_breaking_pythons_passes() -> None:
    requirement = 'ddtrace==1.20.19; python_version < "3.12"'
    assert installer_refusal([requirement], CP311, settings=STRICT, python_range=">=3.8") is None


def test_predicate_range_is_used_instead_of_a_pep440_reading() -> None:
    only_311 = installer_refusal(
        ["ddtrace==1.20.19"],
        CP311,
        settings=STRICT,
        python_range="^3.11 (Poetry syntax)",
        admits=lambda version: version.startswith("3.11."),
    )
    assert only_311 is None


@pytest.mark.parametrize(
    ("requires_python", "inside", "outside"),
    [
        (">=3.8", [(3, 8), (3, 12)], [(3, 7), (2, 7)]),
        (">=3.8,!=3.9.*", [(3, 8), (3, 10)], [(3, 9)]),
        ("~=3.10.2", [(3, 10)], [(3, 11), (3, 9)]),
        (">=2.7,<3", [(2, 7)], [(3, 5)]),
    ],
)
def test_admitted_minors_follow_requires_python(
    requires_python: str, inside: list, outside: list
) -> None:
    admits = specifier_admits(requires_python)
    assert admits is not None
    minors = admitted_minors(admits, knowledge.load())
    assert all(m in minors for m in inside)
    assert not any(m in minors for m in outside)


@pytest.mark.parametrize("text", ["", "   ", "not a specifier"])
def test_empty_or_unreadable_requires_python_means_no_range_check(text: str) -> None:
    assert specifier_admits(text) is None
    assert (
        installer_refusal(["ddtrace==1.20.19"], CP311, settings=STRICT, python_range=text) is None
    )


def test_mode_off_skips_everything() -> None:
    assert installer_refusal(["ddtrace==1.20.19"], CP312, settings=Settings(mode=Mode.OFF)) is None


def test_settings_come_from_the_environment_and_tool_ddguard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ddguard]\nallow-source-build = true\nstrict = true\n'
    )
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    assert read_settings(tmp_path) == Settings(mode=Mode.WARN, allow_source_build=True, strict=True)
    monkeypatch.setenv("DDGUARD_MODE", "OFF")
    assert read_settings(tmp_path).off


def test_missing_or_broken_pyproject_gives_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    assert read_settings(tmp_path) == Settings()
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\nstrict = true\n")
    assert read_settings(tmp_path) == Settings()


# --- the helpers the tox, nox and pytest guards share --------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", Mode.STRICT), ("warn", Mode.WARN), (" OFF ", Mode.OFF), ("bogus", Mode.STRICT)],
)
def test_mode_reads_ddguard_mode(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: Mode
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", value)
    assert mode() is expected
    assert read_settings(None).mode is expected


def test_a_wrong_tool_ddguard_value_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ddguard]\nstrict = "yes"\n')
    with pytest.raises(InputError, match="strict must be true or false") as caught:
        read_settings(tmp_path)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


def test_interpreter_target_of_this_interpreter_is_the_host() -> None:
    host = Target.from_host()
    assert interpreter_target(sys.version_info[:3], sys.implementation.name) == host


@pytest.mark.parametrize(
    ("version", "implementation", "free_threaded", "python", "abis"),
    [
        ((3, 7, 17), "cpython", False, (3, 7), ("cp37",)),
        ((3, 13, 0), "cp", True, (3, 13), ("cp313t",)),
        ((3, 10, 14), "pypy", False, (3, 10), ()),
    ],
)
def test_interpreter_target_of_another_interpreter_keeps_this_platform(
    version: tuple, implementation: str, free_threaded: bool, python: tuple, abis: tuple
) -> None:
    target = interpreter_target(version, implementation, free_threaded)
    assert target.python == python
    assert target.abis == abis
    assert target.platforms == Target.from_host().platforms
    assert target.implementation == ("pypy" if implementation == "pypy" else "cpython")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ddtrace==1.20.19", True),
        ("DDTrace[opentracing]>=2", True),
        ('ddtrace ; python_version < "3.12"', True),
        ("ddtrace-api==1", False),
        ("requests", False),
    ],
)
def test_pin_from_text_keeps_only_ddtrace(text: str, named: bool) -> None:
    pin = pin_from_text(text, "tox.ini:3")
    assert (pin is not None) is named
    if pin is not None:
        assert pin.source == "tox.ini:3"


def test_project_pins_take_dependencies_and_only_the_named_extras_and_groups(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "1"\ndependencies = ["ddtrace>=2"]\n'
        '[project.optional-dependencies]\nold = ["ddtrace==1.20.19"]\nnew = ["ddtrace==3.0.0"]\n'
        '[dependency-groups]\nlegacy = ["ddtrace==0.60.0"]\n'
    )
    pins, _ = project_pins(tmp_path)
    assert [p.requirement for p in pins] == ["ddtrace>=2"]
    pins, _ = project_pins(tmp_path, extras={"old"}, groups={"legacy"})
    assert sorted(p.requirement for p in pins) == [
        "ddtrace==0.60.0",
        "ddtrace==1.20.19",
        "ddtrace>=2",
    ]
    assert all(p.source.startswith(str(tmp_path / "pyproject.toml") + ":") for p in pins)
    assert project_pins(tmp_path / "elsewhere") == ([], [])


def test_installer_refusal_takes_pins_and_names_their_source(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests\nddtrace==1.20.19\n")
    pins = requirements_file_pins(requirements)
    message = installer_refusal(pins, CP312, settings=STRICT)
    assert message is not None
    assert f"{requirements}:2" in message
