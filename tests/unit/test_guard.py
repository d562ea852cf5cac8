"""What the integration guards share: the mode switch and ``[tool.ddguard]``
(``ddguard.config``), interpreter targets (``Target.for_interpreter``), pins
(``ddguard.sources``), and the installer plugins' decision (``api.installer_check`` and
``api.refusal_text``: refuse on the environment's interpreter and on every CPython the
project's Python range admits)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Callable, List, Optional, Sequence

import pytest
from packaging.specifiers import SpecifierSet

from ddguard import knowledge, sources
from ddguard.api import (
    CheckRequest,
    installer_check,
    refusal_text,
    run_check,
    specifier_admits,
)
from ddguard.config import mode, read_project_config
from ddguard.errors import InputError
from ddguard.evaluate.python_range import admitted_minors
from ddguard.hosts import pdm as pdm_host
from ddguard.model import Mode, NoteCode, Origin, OriginKind
from ddguard.report.words import note, python_range_note, source
from ddguard.target import Implementation, Target

CP311 = Target.from_compact("cp311-manylinux_x86_64")
CP312 = Target.from_compact("cp312-manylinux_x86_64")


def refusal(
    requirements: Sequence[Any],
    current: Target,
    python_range: Optional[str] = None,
    admits: Optional[Callable[[str], bool]] = None,
) -> Optional[str]:
    """What the PDM and Poetry plugins print when they refuse (None: nothing refused)."""
    return refusal_text(
        *installer_check(requirements, current, python_range=python_range, admits=admits)
    )


def test_pin_that_breaks_on_the_environment_is_refused_with_the_paragraph() -> None:
    message = refusal(["ddtrace==1.20.19"], CP312)
    assert message is not None
    assert message.startswith("ddtrace 1.20.19 does not work on CPython 3.12")
    assert "Fix:" in message


def test_pin_that_works_on_the_environment_and_the_whole_range_passes() -> None:
    assert refusal(["ddtrace==1.20.19"], CP311, python_range=">=3.8,<3.12") is None


def test_range_admitting_a_breaking_python_is_refused_naming_the_sub_range() -> None:
    # The redesign: one sentence (report.words.python_range_note) for the CLI and the
    # PDM/Poetry plugins, pointing at `ddguard check --python-version` for the details
    # instead of repeating the first broken interpreter's paragraph.
    message = refusal(["ddtrace==1.20.19"], CP311, python_range=">=3.8")
    assert message is not None
    assert message.startswith("ddtrace==1.20.19 does not work on CPython 3.12–")
    assert "which the project's Python range (>=3.8) admits" in message
    assert 'add a marker to the requirement (; python_version < "3.12")' in message
    assert "`ddguard check --python-version 3.12` for the details" in message
    assert "3.11" not in message.split("admits")[0]  # the environment's own Python works


def test_breaking_range_below_the_working_one_suggests_a_lower_bound() -> None:
    message = refusal(["ddtrace>=3"], CP311, python_range=">=3.7")
    assert message is not None
    assert "does not work on CPython 3.7 (" in message
    assert 'python_version >= "3.8"' in message


def test_the_range_sentence_is_the_one_the_cli_says(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "1"\nrequires-python = ">=3.8"\n'
        'dependencies = ["ddtrace==1.20.19"]\n'
    )
    cli = run_check(CheckRequest(projects=(str(tmp_path),), targets=(CP311,)))
    cli_notes = [n for n in cli.notes if n.code is NoteCode.PYTHON_RANGE]
    pins = sources.read_file(str(tmp_path / "pyproject.toml")).pins  # what Poetry reads
    report, plugin_notes = installer_check(pins, CP311, python_range=">=3.8")
    assert len(cli_notes) == len(plugin_notes) == 1
    assert cli_notes[0].pythons == plugin_notes[0].pythons
    assert note(cli_notes[0]) == python_range_note(plugin_notes[0])
    assert refusal_text(report, plugin_notes) == python_range_note(cli_notes[0]) + "."
    assert python_range_note(cli_notes[0]).startswith(
        f"{tmp_path / 'pyproject.toml'}:5: ddtrace==1.20.19 does not work on CPython 3.12–"
    )


def test_marker_excluding_the_breaking_pythons_passes() -> None:
    requirement = 'ddtrace==1.20.19; python_version < "3.12"'
    assert refusal([requirement], CP311, python_range=">=3.8") is None


def test_predicate_range_is_used_instead_of_a_pep440_reading() -> None:
    only_311 = refusal(
        ["ddtrace==1.20.19"],
        CP311,
        python_range="^3.11 (Poetry syntax)",
        admits=lambda version: version.startswith("3.11."),
    )
    assert only_311 is None
    everything = refusal(
        ["ddtrace==1.20.19"], CP311, python_range="^3.8 (Poetry syntax)", admits=lambda v: True
    )
    assert everything is not None and "(^3.8 (Poetry syntax))" in everything


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
    minors = admitted_minors(knowledge.load(), specifier_admits(SpecifierSet(requires_python)))
    assert all(m in minors for m in inside)
    assert not any(m in minors for m in outside)


@pytest.mark.parametrize("text", ["", "   ", "not a specifier"])
def test_empty_or_unreadable_requires_python_means_no_range_check(text: str) -> None:
    report, notes = installer_check(["ddtrace==1.20.19"], CP311, python_range=text)
    assert notes == ()
    assert refusal_text(report, notes) is None


# --- the mode switch and [tool.ddguard] ----------------------------------------------------


class _UsageError(Exception):
    pass


class _Project:
    """The parts of a PDM project the plugin reads."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.warnings: List[str] = []
        self.core = types.SimpleNamespace(ui=types.SimpleNamespace(warn=self.warnings.append))


@pytest.fixture
def pdm_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Project:
    """A PDM project with ``PdmUsageError`` stubbed (PDM itself is not installed here)."""
    package = types.ModuleType("pdm")
    exceptions = types.ModuleType("pdm.exceptions")
    exceptions.PdmUsageError = _UsageError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pdm", package)
    monkeypatch.setitem(sys.modules, "pdm.exceptions", exceptions)
    return _Project(tmp_path)


@pytest.mark.parametrize("value", ["", "strict", "bogus"])
def test_strict_mode_refuses_in_the_installer_plugin(
    pdm_project: _Project, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", value)
    with pytest.raises(_UsageError, match=r"ddtrace 1\.20\.19 does not work on CPython 3\.12"):
        pdm_host._guard(pdm_project, ["ddtrace==1.20.19"], CP312, None, "install")


def test_warn_mode_says_the_refusal_and_goes_on(
    pdm_project: _Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    pdm_host._guard(pdm_project, ["ddtrace==1.20.19"], CP312, None, "install")
    (warning,) = pdm_project.warnings
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in warning


def test_mode_off_skips_everything(pdm_project: _Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "off")
    # even a broken [tool.ddguard] is not read
    (pdm_project.root / "pyproject.toml").write_text('[tool.ddguard]\nstrict = "yes"\n')
    pdm_host._guard(pdm_project, ["ddtrace==1.20.19"], CP312, ">=3.8", "lock")
    assert pdm_project.warnings == []


def test_tool_ddguard_options_reach_the_installer_plugin(
    pdm_project: _Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "strict")
    newer = "ddtrace==99.0.0"  # newer than the database: refused only when strict
    pdm_host._guard(pdm_project, [newer], CP312, None, "install")
    (pdm_project.root / "pyproject.toml").write_text("[tool.ddguard]\nstrict = true\n")
    with pytest.raises(_UsageError, match=r"ddtrace 99\.0\.0"):
        pdm_host._guard(pdm_project, [newer], CP312, None, "install")


def test_settings_come_from_the_environment_and_tool_ddguard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.ddguard]\nallow-source-build = true\nstrict = true\n'
    )
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    config = read_project_config(str(tmp_path))
    assert (mode(), config.allow_source_build, config.strict) == (Mode.WARN, True, True)
    monkeypatch.setenv("DDGUARD_MODE", "OFF")
    assert mode() is Mode.OFF


def test_missing_pyproject_gives_defaults_and_a_broken_one_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The redesign: a pyproject.toml that is not TOML is one InputError naming the file
    # (the plugins print it as "ddguard: <file>:<line>: ..."), no longer silently the defaults.
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    config = read_project_config(str(tmp_path))
    assert (mode(), config.allow_source_build, config.strict, config.present) == (
        Mode.STRICT,
        False,
        False,
        False,
    )
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\nstrict = true\n")
    with pytest.raises(InputError) as caught:
        read_project_config(str(tmp_path))
    assert str(caught.value).startswith(str(tmp_path / "pyproject.toml"))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", Mode.STRICT), ("warn", Mode.WARN), (" OFF ", Mode.OFF), ("bogus", Mode.STRICT)],
)
def test_mode_reads_ddguard_mode(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: Mode
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", value)
    assert mode() is expected
    assert mode({"DDGUARD_MODE": value}) is expected


def test_a_wrong_tool_ddguard_value_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.ddguard]\nstrict = "yes"\n')
    with pytest.raises(InputError, match="strict must be true or false") as caught:
        read_project_config(str(tmp_path))
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


# --- interpreter targets ---------------------------------------------------------------------


def test_interpreter_target_of_this_interpreter_is_the_host() -> None:
    host = Target.from_host()
    assert Target.for_interpreter(sys.version_info[:3], sys.implementation.name) == host


@pytest.mark.parametrize(
    ("version", "implementation", "free_threaded", "python", "abis", "expected"),
    [
        # The redesign: before 3.8 the ABI is derived as pip does (cp37m), not written cp37
        ((3, 7, 17), "cpython", False, (3, 7), (), Implementation.CPYTHON),
        ((3, 13, 0), "cp", True, (3, 13), ("cp313t",), Implementation.CPYTHON),
        ((3, 10, 14), "pypy", False, (3, 10), (), Implementation.PYPY),
    ],
)
def test_interpreter_target_of_another_interpreter_keeps_this_platform(
    version: tuple,
    implementation: str,
    free_threaded: bool,
    python: tuple,
    abis: tuple,
    expected: Implementation,
) -> None:
    target = Target.for_interpreter(version, implementation, free_threaded)
    assert target.python == python
    assert target.abis == abis
    assert target.free_threaded is free_threaded
    assert target.platforms == Target.from_host().platforms
    assert target.implementation is expected


def test_a_cpython_before_3_8_installs_its_pymalloc_abi() -> None:
    abis = {tag.abi for tag in Target.for_interpreter((3, 7, 17)).tags()}
    assert "cp37m" in abis


# --- pins ----------------------------------------------------------------------------------


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
def test_parse_requirement_keeps_only_ddtrace(text: str, named: bool) -> None:
    origin = Origin(OriginKind.TOX_ENV, path="tox.ini", line=3, name="py312")
    pin = sources.parse_requirement(text, origin)
    assert (pin is not None) is named
    if pin is not None:
        assert pin.origin == origin
        assert pin.text == text
        assert source(pin.origin) == "tox.ini:3"


def test_project_pins_take_dependencies_and_only_the_named_extras_and_groups(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "1"\ndependencies = ["ddtrace>=2"]\n'
        '[project.optional-dependencies]\nold = ["ddtrace==1.20.19"]\nnew = ["ddtrace==3.0.0"]\n'
        '[dependency-groups]\nlegacy = ["ddtrace==0.60.0"]\n'
    )
    pins = sources.project_pins(str(tmp_path)).pins
    assert [p.text for p in pins] == ["ddtrace>=2"]
    pins = sources.project_pins(str(tmp_path), extras={"old"}, groups={"legacy"}).pins
    assert sorted(p.text for p in pins) == [
        "ddtrace==0.60.0",
        "ddtrace==1.20.19",
        "ddtrace>=2",
    ]
    assert all(p.origin.path == str(tmp_path / "pyproject.toml") for p in pins)
    assert sorted(p.origin.line for p in pins if p.origin.line) == [4, 6, 9]
    assert sources.project_pins(str(tmp_path / "elsewhere")).pins == ()


def test_installer_refusal_takes_pins_and_names_their_source(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests\nddtrace==1.20.19\n")
    pins = sources.read_requirements_file(str(requirements)).pins
    message = refusal(pins, CP312)
    assert message is not None
    assert f"{requirements}:2" in message


def test_refusal_text_says_each_refused_release_and_target_once() -> None:
    report, notes = installer_check(["ddtrace==1.20.19", "ddtrace==1.20.19"], CP312)
    message = refusal_text(report, notes)
    assert message is not None and message.count("does not work on CPython 3.12") == 1
