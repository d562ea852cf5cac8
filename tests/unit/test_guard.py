"""The decision the PDM and Poetry plugins share: refuse on the environment's interpreter
and on every CPython the project's Python range admits (a lock covers them all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddguard import knowledge
from ddguard.installer_guard import (
    Settings,
    admitted_minors,
    check,
    read_settings,
    specifier_admits,
)
from ddguard.target import Target

CP311 = Target.from_compact("cp311-manylinux_x86_64")
CP312 = Target.from_compact("cp312-manylinux_x86_64")
STRICT = Settings()


def test_pin_that_breaks_on_the_environment_is_refused_with_the_paragraph() -> None:
    message = check(["ddtrace==1.20.19"], CP312, settings=STRICT)
    assert message is not None
    assert message.startswith("ddtrace 1.20.19 does not work on CPython 3.12")
    assert "Fix:" in message


def test_pin_that_works_on_the_environment_and_the_whole_range_passes() -> None:
    assert check(["ddtrace==1.20.19"], CP311, settings=STRICT, python_range=">=3.8,<3.12") is None


def test_range_admitting_a_breaking_python_is_refused_naming_the_sub_range() -> None:
    message = check(["ddtrace==1.20.19"], CP311, settings=STRICT, python_range=">=3.8")
    assert message is not None
    assert "The project's requires-python (>=3.8) admits CPython 3.12–" in message
    assert 'python_version < "3.12"' in message
    assert "On CPython 3.12: ddtrace 1.20.19 does not work" in message


def test_breaking_range_below_the_working_one_suggests_a_lower_bound() -> None:
    message = check(["ddtrace>=3"], CP311, settings=STRICT, python_range=">=3.7")
    assert message is not None
    assert "admits CPython 3.7," in message
    assert 'python_version >= "3.8"' in message


def test_marker_excluding_the_breaking_pythons_passes() -> None:
    requirement = 'ddtrace==1.20.19; python_version < "3.12"'
    assert check([requirement], CP311, settings=STRICT, python_range=">=3.8") is None


def test_predicate_range_is_used_instead_of_a_pep440_reading() -> None:
    only_311 = check(
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
    assert check(["ddtrace==1.20.19"], CP311, settings=STRICT, python_range=text) is None


def test_mode_off_skips_everything() -> None:
    assert check(["ddtrace==1.20.19"], CP312, settings=Settings(mode="off")) is None


def test_settings_come_from_the_environment_and_tool_ddguard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ddguard]\nallow-source-build = true\nstrict = true\n'
    )
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    assert read_settings(tmp_path) == Settings(mode="warn", allow_source_build=True, strict=True)
    monkeypatch.setenv("DDGUARD_MODE", "OFF")
    assert read_settings(tmp_path).off


def test_missing_or_broken_pyproject_gives_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    assert read_settings(tmp_path) == Settings()
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\nstrict = true\n")
    assert read_settings(tmp_path) == Settings()
