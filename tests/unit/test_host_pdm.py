"""The PDM plugin in-process, under stand-ins for PDM's signals and exceptions
(installer_standins.py): ``pre_lock`` judges the requirements being locked on the project's
Python and its whole ``requires-python`` range, ``pre_install`` the candidates on the
environment's interpreter; a refusal is PDM's ``PdmUsageError``, warn mode warns through
PDM's UI, off skips, bad ``[tool.ddguard]`` is the one-line usage error.
(tests/integrations runs real PDM.)"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, List

import pytest
from host_standins import (
    ACCEPTED,
    BAD_PROJECT_FILES,
    REFUSED,
    assert_one_line_input_error,
    load_adapter,
    write_project,
)
from installer_standins import (
    PdmCandidate,
    PdmPackage,
    PdmRequirement,
    PdmUsageError,
    pdm_emit,
    pdm_modules,
    pdm_project,
)


@pytest.fixture
def signals(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """PDM's signals with the plugin connected, as PDM does at startup (``plugin(core)``)."""
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    modules = pdm_modules()
    adapter = load_adapter(monkeypatch, "pdm", modules)
    adapter.plugin(types.SimpleNamespace())
    return modules["pdm.signals"]


def lock(signals: Any, project: Any, *lines: str) -> None:
    pdm_emit(signals, "pre_lock", project, requirements=[PdmRequirement(line) for line in lines])


def install(signals: Any, project: Any, packages: List[Any]) -> None:
    pdm_emit(signals, "pre_install", project, packages=packages)


def test_the_plugin_connects_one_strong_receiver_per_signal(signals: Any) -> None:
    assert [len(signals.pre_lock.receivers), len(signals.pre_install.receivers)] == [1, 1]


# --- pre_lock ---------------------------------------------------------------------------------


@pytest.mark.parametrize("requirement, python", REFUSED)
def test_locking_a_refused_ddtrace_is_a_usage_error(
    signals: Any, tmp_path: Path, requirement: str, python: Any
) -> None:
    with pytest.raises(PdmUsageError) as refused:
        lock(signals, pdm_project(tmp_path, python), "requests>=2", requirement)
    text = str(refused.value)
    assert text.startswith("ddguard refused to lock ddtrace:\n")
    assert f"does not work on CPython {python[0]}.{python[1]}" in text


@pytest.mark.parametrize("requirement, python", ACCEPTED)
def test_locking_a_working_ddtrace_proceeds(
    signals: Any, tmp_path: Path, requirement: str, python: Any
) -> None:
    project = pdm_project(tmp_path, python, requires_python=">=3.11")
    lock(signals, project, requirement)
    assert project.core.ui.warnings == []


def test_the_lock_is_judged_on_every_python_the_range_admits(signals: Any, tmp_path: Path) -> None:
    lock(
        signals,
        pdm_project(tmp_path, (3, 11, 7), requires_python=">=3.8,<3.12"),
        "ddtrace==1.20.19",
    )
    with pytest.raises(PdmUsageError) as refused:
        lock(
            signals, pdm_project(tmp_path, (3, 11, 7), requires_python=">=3.8"), "ddtrace==1.20.19"
        )
    assert "does not work on CPython 3.12–3.14" in str(refused.value)
    assert "the project's Python range (>=3.8) admits" in str(refused.value)


def test_a_range_pep_440_cannot_read_judges_the_interpreter_only(
    signals: Any, tmp_path: Path
) -> None:
    lock(
        signals,
        pdm_project(tmp_path, (3, 11, 7), requires_python="python 3 please"),
        "ddtrace==1.20.19",
    )


def test_a_lock_without_ddtrace_reads_nothing(signals: Any, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\n")
    lock(
        signals, pdm_project(tmp_path, (3, 12, 1)), "requests>=2", "ddtrace-api==0.1", "dd-trace==1"
    )


# --- pre_install ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ddtrace", "DDTrace", "ddtrace[opentracing]"])
def test_installing_a_refused_candidate_is_a_usage_error(
    signals: Any, tmp_path: Path, name: str
) -> None:
    packages = [
        PdmPackage(PdmCandidate("requests", "2.31.0")),
        PdmPackage(PdmCandidate(name, "1.20.19")),
    ]
    with pytest.raises(
        PdmUsageError,
        match=r"^ddguard refused to install ddtrace:\nddtrace 1\.20\.19 does not work",
    ):
        install(signals, pdm_project(tmp_path, (3, 12, 1)), packages)


def test_install_judges_the_environments_interpreter(signals: Any, tmp_path: Path) -> None:
    candidates = [PdmCandidate("ddtrace", "1.20.19")]  # a bare Candidate is read as its own package
    install(signals, pdm_project(tmp_path, (3, 12, 1), environment_python=(3, 11, 7)), candidates)
    with pytest.raises(PdmUsageError, match=r"CPython 3\.12"):
        install(
            signals, pdm_project(tmp_path, (3, 11, 7), environment_python=(3, 12, 1)), candidates
        )


@pytest.mark.parametrize(
    "packages",
    [
        [],
        [PdmCandidate("requests", "2.31.0")],
        [PdmCandidate("ddtrace", None)],
        [PdmCandidate("", "1.0")],
    ],
    ids=["nothing", "no-ddtrace", "no-version", "no-name"],
)
def test_an_install_without_a_ddtrace_release_reads_nothing(
    signals: Any, tmp_path: Path, packages: List[Any]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\n")
    install(signals, pdm_project(tmp_path, (3, 12, 1)), packages)


# --- modes and [tool.ddguard] -----------------------------------------------------------------


@pytest.mark.parametrize("requirement, python", REFUSED)
def test_warn_mode_warns_through_pdms_ui_and_proceeds(
    signals: Any, tmp_path: Path, requirement: str, python: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    project = pdm_project(tmp_path, python)
    lock(signals, project, requirement)
    (warning,) = project.core.ui.warnings
    assert warning.startswith("ddguard refused to lock ddtrace:\n") and "does not work" in warning


def test_off_mode_skips(signals: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "off")
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\n")
    project = pdm_project(tmp_path, (3, 12, 1))
    lock(signals, project, "ddtrace==1.20.19")
    install(signals, project, [PdmCandidate("ddtrace", "1.20.19")])
    assert project.core.ui.warnings == []


@pytest.mark.parametrize("name", sorted(BAD_PROJECT_FILES))
def test_bad_project_config_is_a_one_line_usage_error(
    signals: Any, tmp_path: Path, name: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(BAD_PROJECT_FILES[name])
    with pytest.raises(PdmUsageError) as failed:
        lock(signals, pdm_project(tmp_path, (3, 12, 1)), "ddtrace==4.16.0")
    assert_one_line_input_error(str(failed.value), tmp_path)


@pytest.mark.parametrize(
    "table, requirement, python, refused",
    [
        ("", "ddtrace==1.20.19", (3, 11, 7), False),  # End of Life: a warning
        ("[tool.ddguard]\nstrict = true\n", "ddtrace==1.20.19", (3, 11, 7), True),
        ("", "ddtrace==0.27.1", (3, 11, 7), True),  # no wheel: a source build
        ("[tool.ddguard]\nallow-source-build = true\n", "ddtrace==0.27.1", (3, 11, 7), False),
        ("[tool.ddguard]\nallow-source-build = true\n", "ddtrace==1.20.19", (3, 12, 1), True),
    ],
)
def test_the_projects_options_reach_the_verdict(
    signals: Any, tmp_path: Path, table: str, requirement: str, python: Any, refused: bool
) -> None:
    write_project(tmp_path, [], table)
    project = pdm_project(tmp_path, python)
    if refused:
        with pytest.raises(PdmUsageError, match=r"^ddguard refused to lock ddtrace:"):
            lock(signals, project, requirement)
    else:
        lock(signals, project, requirement)


def test_discover_judges_the_deployment_targets_too(signals: Any, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    write_project(tmp_path, [])
    lock(signals, pdm_project(tmp_path, (3, 11, 7)), "ddtrace==1.20.19")  # discover is off
    write_project(tmp_path, [], "[tool.ddguard]\ndiscover = true\n")
    with pytest.raises(PdmUsageError, match=r"does not work on CPython 3\.12"):
        lock(signals, pdm_project(tmp_path, (3, 11, 7)), "ddtrace==1.20.19")


@pytest.mark.parametrize(
    "text, markup",
    [
        ("ddtrace[opentracing] [bold]", "ddtrace\\[opentracing] \\[bold]"),
        ("[/]", "\\[/]"),
        ("3.5–3.11 [1]", "3.5–3.11 [1]"),  # not tag-like: left as written
        ("no markup", "no markup"),
    ],
)
def test_square_brackets_are_escaped_for_pdms_rich_console(
    monkeypatch: pytest.MonkeyPatch, text: str, markup: str
) -> None:
    adapter = load_adapter(monkeypatch, "pdm", pdm_modules())
    assert adapter._escape(text) == markup


def test_a_refusal_reaches_pdms_console_escaped(signals: Any, tmp_path: Path) -> None:
    with pytest.raises(PdmUsageError) as refused:
        lock(signals, pdm_project(tmp_path, (3, 12, 1)), "ddtrace[opentracing]<2")
    assert "ddtrace\\[opentracing]" in str(refused.value)
