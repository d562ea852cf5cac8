"""The tox 4 plugin in-process, under stand-ins for tox's API (host_standins.py): a refusal
fails the env with ddguard's paragraph, a pass proceeds, ``DDGUARD_MODE=warn`` warns,
``off`` and ``ddguard = false`` skip, bad ``[tool.ddguard]`` is tox's one-line failure, an
internal ddguard error fails open, ``--ddguard-report`` prints every env's verdicts.
(tests/integrations runs real tox.)"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any, Callable, List

import pytest
from host_standins import (
    ACCEPTED,
    BAD_PROJECT_FILES,
    REFUSED,
    WARNED,
    ToxFail,
    ToxRequirements,
    assert_one_line_input_error,
    load_adapter,
    tox_env,
    tox_manager,
    tox_modules,
    write_project,
)

from ddguard.model import OriginKind


@pytest.fixture
def tox(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    return load_adapter(monkeypatch, "tox", tox_modules())


@pytest.fixture
def at_exit(tox: Any, monkeypatch: pytest.MonkeyPatch) -> List[Callable[[], None]]:
    """What the report registers to run when tox exits (not run at the test's exit)."""
    registered: List[Callable[[], None]] = []
    monkeypatch.setattr(tox.atexit, "register", registered.append)
    return registered


def install_deps(tox: Any, env: Any, lines: List[Any]) -> None:
    """tox/tox_env/python/runner.py ``_install_deps``: the hook, called through pluggy."""
    deps = ToxRequirements(env.core["tox_root"], lines)
    tox_manager(tox).hook.tox_on_install(
        tox_env=env, arguments=deps, section="PythonRun", of_type="deps"
    )


def inline(*texts: str) -> List[Any]:
    return [(t, None) for t in texts]


# --- registration -----------------------------------------------------------------------------


def test_adds_the_report_flag_and_the_per_env_switch(tox: Any) -> None:
    parser = argparse.ArgumentParser()
    manager = tox_manager(tox)
    manager.hook.tox_add_option(parser=parser)
    assert parser.parse_args(["--ddguard-report"]).ddguard_report is True
    assert parser.parse_args([]).ddguard_report is False
    env = tox_env(Path("."))
    manager.hook.tox_add_env_config(env_conf=env.conf, state=None)
    (added,) = env.conf.added
    assert added["keys"] == ["ddguard"] and added["of_type"] is bool and added["default"] is True


@pytest.mark.parametrize(
    "section, of_type",
    [
        ("PythonRun", "package_deps"),
        ("PythonRun", "dependency-groups"),
        ("PythonPackageToxEnv", "deps"),
        ("PythonPackageToxEnv", "requires"),
    ],
)
def test_only_the_run_envs_deps_install_is_judged(
    tox: Any, tmp_path: Path, section: str, of_type: str
) -> None:
    env = tox_env(write_project(tmp_path, ["ddtrace==1.20.19"]))
    deps = ToxRequirements(tmp_path, inline("ddtrace==1.20.19"))
    tox.tox_on_install(env, deps, section, of_type)  # no Fail: this install is not the deps one


# --- verdicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("requirement, python", REFUSED)
def test_a_refusal_fails_the_env_with_ddguards_paragraph(
    tox: Any, tmp_path: Path, requirement: str, python: Any
) -> None:
    env = tox_env(tmp_path, python)
    with pytest.raises(ToxFail) as failed:
        install_deps(tox, env, inline(requirement))
    text = str(failed.value)
    assert text.startswith("ddguard refused ddtrace:\n")
    assert f"does not work on CPython {python[0]}.{python[1]}" in text and "Fix:" in text


@pytest.mark.parametrize("requirement, python", ACCEPTED)
def test_a_pass_lets_tox_install(
    tox: Any, tmp_path: Path, requirement: str, python: Any, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger="ddguard"):
        install_deps(tox, tox_env(tmp_path, python), inline(requirement))
    assert caplog.records == []


@pytest.mark.parametrize("requirement, python", WARNED)
def test_a_pass_with_a_warning_logs_it_and_installs(
    tox: Any, tmp_path: Path, requirement: str, python: Any, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger="ddguard"):
        install_deps(tox, tox_env(tmp_path, python), inline(requirement))
    (record,) = caplog.records
    assert "End of Life" in record.getMessage()


@pytest.mark.parametrize("requirement, python", REFUSED)
def test_warn_mode_logs_the_refusal_and_installs(
    tox: Any,
    tmp_path: Path,
    requirement: str,
    python: Any,
    caplog: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    with caplog.at_level(logging.WARNING, logger="ddguard"):
        install_deps(tox, tox_env(tmp_path, python), inline(requirement))
    assert any("does not work on CPython" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("switch", ["mode-off", "env-false"])
def test_off_and_ddguard_false_skip_the_env(
    tox: Any, tmp_path: Path, switch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if switch == "mode-off":
        monkeypatch.setenv("DDGUARD_MODE", "off")
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\n")  # not even read
    env = tox_env(tmp_path, conf={"ddguard": switch != "env-false"})
    install_deps(tox, env, inline("ddtrace==1.20.19"))


@pytest.mark.parametrize("name", sorted(BAD_PROJECT_FILES))
def test_bad_project_config_is_one_line_tox_failure(tox: Any, tmp_path: Path, name: str) -> None:
    (tmp_path / "pyproject.toml").write_text(BAD_PROJECT_FILES[name])
    with pytest.raises(ToxFail) as failed:
        install_deps(tox, tox_env(tmp_path, packaged=False), inline("ddtrace==4.16.0"))
    assert_one_line_input_error(str(failed.value), tmp_path)


@pytest.mark.parametrize(
    "implementation, python",
    [("RustPython", (3, 12, 1)), ("CPython", (3, 99, 0)), ("CPython", (4, 0, 0))],
)
def test_an_interpreter_ddguard_cannot_read_is_one_line_tox_failure(
    tox: Any, tmp_path: Path, implementation: str, python: Any
) -> None:
    env = tox_env(tmp_path, python, implementation=implementation)
    with pytest.raises(ToxFail) as failed:
        install_deps(tox, env, inline("ddtrace==4.16.0"))
    assert str(failed.value).startswith("ddguard: ") and "\n" not in str(failed.value)


def test_an_internal_error_fails_open_with_a_warning(
    tox: Any, tmp_path: Path, caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ddguard.api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a ddguard bug")

    monkeypatch.setattr(ddguard.api, "check", broken)
    with caplog.at_level(logging.WARNING, logger="ddguard"):
        install_deps(tox, tox_env(tmp_path, (3, 12, 1)), inline("ddtrace==1.20.19"))
    (record,) = caplog.records
    assert (
        "internal error, py312 not checked" in record.getMessage()
        and "a ddguard bug" in record.getMessage()
    )


# --- what the env installs --------------------------------------------------------------------


def test_the_project_dependencies_and_the_envs_extras_are_judged_when_it_installs_the_package(
    tox: Any, tmp_path: Path
) -> None:
    extra = '[project.optional-dependencies]\ntracing = ["ddtrace==1.20.19"]\n'
    write_project(tmp_path, ["ddtrace>=1"], extra)
    install_deps(tox, tox_env(tmp_path, (3, 12, 1)), [])  # ddtrace>=1 picks a release that works
    with pytest.raises(ToxFail, match=r"pyproject\.toml:6"):
        install_deps(tox, tox_env(tmp_path, (3, 12, 1), conf={"extras": {"tracing"}}), [])
    install_deps(
        tox, tox_env(tmp_path, (3, 12, 1), packaged=False, conf={"extras": {"tracing"}}), []
    )


@pytest.mark.parametrize("packaged", [True, False], ids=["with-package", "skip_install"])
def test_dependency_groups_are_judged_with_or_without_the_package(
    tox: Any, tmp_path: Path, packaged: bool
) -> None:
    write_project(
        tmp_path,
        [],
        '[dependency-groups]\nbase = ["ddtrace==1.20.19"]\ntest = [{include-group = "base"}]\n',
    )
    env = tox_env(tmp_path, (3, 12, 1), packaged=packaged, conf={"dependency_groups": {"test"}})
    with pytest.raises(ToxFail, match=r"pyproject\.toml:6"):  # the group that names ddtrace
        install_deps(tox, env, [])
    no_group = tox_env(tmp_path, (3, 12, 1), packaged=packaged)
    install_deps(tox, no_group, [])  # the group is not installed, nor judged


def test_requirement_files_and_constraints_keep_their_file_and_line(
    tox: Any, tmp_path: Path
) -> None:
    listed = tmp_path / "requirements.txt"
    deps = ToxRequirements(
        tmp_path,
        [
            ("ddtrace==1.20.19", (listed, 3)),
            ("ddtrace<2", (listed, 4, {"is_constraint": True})),
            ("requests==2.31.0", None),
            ("ddtrace>=1", None),
        ],
    )
    constraints = ToxRequirements(
        tmp_path, [("ddtrace!=1.20.18", (tmp_path / "constraints.txt", 7))]
    )
    env = tox_env(tmp_path, packaged=False, conf={"constraints": constraints})
    pins, notes = tox.env_pins(env, deps)
    origins = [
        (p.text, p.origin.kind, p.origin.path, p.origin.line, p.origin.name, p.origin.tool)
        for p in pins
    ]
    assert origins == [
        ("ddtrace==1.20.19", OriginKind.TOX_ENV, str(listed), 3, "py312", "tox"),
        ("ddtrace<2", OriginKind.CONSTRAINT, str(listed), 4, "py312", "tox"),
        ("ddtrace>=1", OriginKind.TOX_ENV, None, None, "py312", "tox"),
        (
            "ddtrace!=1.20.18",
            OriginKind.CONSTRAINT,
            str(tmp_path / "constraints.txt"),
            7,
            "py312",
            "tox",
        ),
    ]
    assert notes == []


def test_an_env_without_tox_defined_keys_reads_only_its_deps(tox: Any, tmp_path: Path) -> None:
    env = tox_env(tmp_path, packaged=False)
    env.conf = type(env.conf)({})  # no constraints, groups or extras defined: KeyError -> defaults
    pins, _ = tox.env_pins(env, ToxRequirements(tmp_path, inline("ddtrace==4.16.0")))
    assert [p.text for p in pins] == ["ddtrace==4.16.0"]


def test_project_notes_are_logged(tox: Any, tmp_path: Path, caplog: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndynamic = ["dependencies"]\n'
    )
    with caplog.at_level(logging.WARNING, logger="ddguard"):
        install_deps(tox, tox_env(tmp_path, (3, 12, 1)), inline("ddtrace==4.16.0"))
    assert [r.getMessage().startswith("ddguard: ") for r in caplog.records] == [True]
    assert "dynamic" in caplog.records[0].getMessage()


# --- --ddguard-report ---------------------------------------------------------------------------


def test_the_report_lists_every_env_once_tox_exits(
    tox: Any,
    tmp_path: Path,
    at_exit: List[Callable[[], None]],
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_deps(
        tox, tox_env(tmp_path, (3, 11, 7), name="py311", report=True), inline("ddtrace==1.20.19")
    )
    with pytest.raises(ToxFail):
        install_deps(
            tox,
            tox_env(tmp_path, (3, 12, 1), name="py312", report=True),
            inline("ddtrace==1.20.19"),
        )
    install_deps(tox, tox_env(tmp_path, name="lint", report=True, packaged=False), [])
    install_deps(tox, tox_env(tmp_path, name="docs", report=True, conf={"ddguard": False}), [])
    monkeypatch.setenv("DDGUARD_MODE", "off")
    install_deps(tox, tox_env(tmp_path, name="off", report=True), [])
    assert len(at_exit) == 1  # registered once, printed once
    at_exit[0]()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "ddguard report:"
    assert lines[1].split() == ["env", "interpreter", "requirement", "ddtrace", "verdict", "source"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert sorted(rows) == ["docs", "lint", "off", "py311", "py312"]
    assert "1.20.19" in rows["py311"] and "(compatible)" in rows["py311"]
    assert "(incompatible)" in rows["py312"] and "CPython 3.12" in rows["py312"]
    assert "no ddtrace requirement" in rows["lint"]
    assert rows["docs"].split()[1:] == ["skipped", "(ddguard", "=", "false)"]
    assert rows["off"].split()[1:] == ["skipped", "(DDGUARD_MODE=off)"]


def test_no_report_without_the_flag(
    tox: Any, tmp_path: Path, at_exit: List[Callable[[], None]]
) -> None:
    install_deps(tox, tox_env(tmp_path, (3, 12, 1)), inline("ddtrace==4.16.0"))
    assert at_exit == []
