"""The Poetry 2 application plugin in-process, under stand-ins for Poetry, poetry-core and
cleo (installer_standins.py): on cleo's console command event, ``install``/``add``/``lock``/
``sync``/``update`` judge the project's ddtrace (or ``poetry add``'s argument, and the
locked release for commands that install from the lock) on the command's environment and
on the project's Python range; a refusal is Poetry's ``PoetryRuntimeError``, warn mode
writes a warning, off skips, bad ``[tool.ddguard]`` is a one-line error.
(tests/integrations runs real Poetry.)"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from host_standins import (
    ACCEPTED,
    BAD_PROJECT_FILES,
    REFUSED,
    assert_one_line_input_error,
    load_adapter,
)
from installer_standins import (
    COMMAND,
    CleoIO,
    EventDispatcher,
    PoetryRuntimeError,
    console_command_event,
    parse_add_argument,
    poetry_command,
    poetry_modules,
)

from ddguard.target import Target

LOCK = """[[package]]
name = "ddtrace"
version = "{version}"
description = "Datadog APM client library"
optional = false
python-versions = ">=3.7"
files = []

[metadata]
lock-version = "2.0"
python-versions = "*"
content-hash = "abc"
"""


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    return load_adapter(monkeypatch, "poetry", poetry_modules())


@pytest.fixture
def dispatcher(plugin: Any) -> EventDispatcher:
    """Poetry's application activates the plugin, which listens to cleo's COMMAND event."""
    application = types.SimpleNamespace(event_dispatcher=EventDispatcher())
    plugin.DDGuardApplicationPlugin().activate(application)
    return application.event_dispatcher


def project(root: Path, ddtrace: str = '"*"', python: str = '"*"', extra: str = "") -> Path:
    (root / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n\n'
        f"[tool.poetry.dependencies]\npython = {python}\nddtrace = {ddtrace}\n{extra}"
    )
    return root


def run(
    dispatcher: EventDispatcher, command: Any, arguments: Optional[Dict[str, Any]] = None
) -> CleoIO:
    io = CleoIO(arguments)
    dispatcher.dispatch(console_command_event(command, io), COMMAND)
    return io


def test_the_plugin_listens_to_the_console_command_event_only(
    plugin: Any, dispatcher: EventDispatcher
) -> None:
    assert isinstance(plugin.DDGuardApplicationPlugin(), plugin.ApplicationPlugin)
    assert plugin.DDGuardApplicationPlugin().commands == []
    assert {name: len(found) for name, found in dispatcher.listeners.items()} == {COMMAND: 1}


# --- which commands are guarded ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["install", "lock", "sync", "update", "add"])
@pytest.mark.parametrize("requirement, python", REFUSED)
def test_a_refusal_stops_the_command_with_poetrys_error(
    dispatcher: EventDispatcher, tmp_path: Path, name: str, requirement: str, python: Any
) -> None:
    project(tmp_path, f'"{requirement[len("ddtrace") :]}"')
    with pytest.raises(PoetryRuntimeError) as refused:
        run(dispatcher, poetry_command(name, tmp_path, env_python=python))
    text = str(refused.value)
    assert text.startswith(f"ddguard refused `poetry {name}`:\n")
    assert (
        f"does not work on CPython {python[0]}.{python[1]}" in text and "pyproject.toml:7" in text
    )


@pytest.mark.parametrize("requirement, python", ACCEPTED)
def test_a_pass_lets_the_command_run(
    dispatcher: EventDispatcher, tmp_path: Path, requirement: str, python: Any
) -> None:
    project(tmp_path, f'"{requirement[len("ddtrace") :]}"')
    assert run(dispatcher, poetry_command("install", tmp_path, env_python=python)).errors == []


@pytest.mark.parametrize("name", ["show", "build", "run", "env", "check", "remove", None])
def test_other_commands_are_not_guarded(
    dispatcher: EventDispatcher, tmp_path: Path, name: Optional[str]
) -> None:
    project(tmp_path, '"1.20.19"')
    run(dispatcher, poetry_command(name, tmp_path))  # type: ignore[arg-type]
    dispatcher.dispatch(types.SimpleNamespace(command=None, io=CleoIO()), COMMAND)


def test_no_pyproject_is_left_to_poetry(dispatcher: EventDispatcher) -> None:
    run(dispatcher, poetry_command("install", None))


def test_a_project_without_ddtrace_proceeds(dispatcher: EventDispatcher, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "svc"\n[tool.poetry.dependencies]\nrequests = "*"\n'
    )
    run(dispatcher, poetry_command("install", tmp_path))


# --- the lock and the Python range ------------------------------------------------------------


@pytest.mark.parametrize(
    "name, judged", [("install", True), ("sync", True), ("lock", False), ("update", False)]
)
def test_commands_that_install_from_the_lock_judge_the_locked_release(
    dispatcher: EventDispatcher, tmp_path: Path, name: str, judged: bool
) -> None:
    project(tmp_path)  # ddtrace = "*": a release works
    (tmp_path / "poetry.lock").write_text(LOCK.format(version="1.20.19"))
    if judged:
        with pytest.raises(PoetryRuntimeError, match=r"poetry\.lock:2"):
            run(dispatcher, poetry_command(name, tmp_path))
    else:
        run(dispatcher, poetry_command(name, tmp_path))


@pytest.mark.parametrize("lock", ["garbage = [\n", "\xff\xfe\x00", "[[package]]\nname = 3\n"])
def test_an_unreadable_lock_is_left_to_poetry(
    dispatcher: EventDispatcher, tmp_path: Path, lock: str
) -> None:
    project(tmp_path)
    (tmp_path / "poetry.lock").write_text(lock, encoding="latin-1")
    run(dispatcher, poetry_command("install", tmp_path))


def test_the_projects_python_range_is_judged_as_poetry_reads_it(
    dispatcher: EventDispatcher, tmp_path: Path
) -> None:
    project(tmp_path, '"1.20.19"', '">=3.8,<3.12"')
    run(
        dispatcher,
        poetry_command(
            "lock",
            tmp_path,
            env_python=(3, 11, 7),
            python_versions=">=3.8,<3.12",
            python_pep440=">=3.8,<3.12",
        ),
    )
    project(tmp_path, '"1.20.19"', '"^3.8"')
    command = poetry_command(
        "lock", tmp_path, env_python=(3, 11, 7), python_versions="^3.8", python_pep440=">=3.8,<4.0"
    )
    with pytest.raises(PoetryRuntimeError) as refused:
        run(dispatcher, command)
    assert "does not work on CPython 3.12–3.14" in str(refused.value)
    assert "the project's Python range (^3.8) admits" in str(refused.value)


# --- poetry add -------------------------------------------------------------------------------


ADD_ARGUMENTS = [
    (["ddtrace@1.20.19"], True),
    (["ddtrace==1.20.19"], True),
    (["DDTrace@1.20.19"], True),
    (["ddtrace[opentracing]@1.20.19"], True),
    (["requests", "ddtrace@^1.20"], True),
    (["ddtrace@^4.16"], False),
    (["ddtrace@latest"], False),
    (["ddtrace"], False),
    (["ddtrace>=4"], False),
]


@pytest.mark.parametrize("with_poetrys_parser", [True, False], ids=["poetry-parser", "fallback"])
@pytest.mark.parametrize("arguments, refused", ADD_ARGUMENTS)
def test_add_judges_its_arguments_not_the_project(
    dispatcher: EventDispatcher,
    tmp_path: Path,
    arguments: List[str],
    refused: bool,
    with_poetrys_parser: bool,
) -> None:
    project(tmp_path, '"1.20.19"')  # the project's pin would be refused: add judges what it adds
    parse = (lambda texts: [parse_add_argument(t) for t in texts]) if with_poetrys_parser else None
    command = poetry_command("add", tmp_path, parse_requirements=parse)
    if refused:
        with pytest.raises(
            PoetryRuntimeError,
            match=r"^ddguard refused `poetry add`:\nddtrace 1\.20\.19 .*does not work",
        ):
            run(dispatcher, command, {"name": arguments})
    else:
        run(dispatcher, command, {"name": arguments})


def test_a_parser_that_fails_falls_back_to_reading_the_argument(
    dispatcher: EventDispatcher, tmp_path: Path
) -> None:
    def failing(texts: List[str]) -> List[Dict[str, Any]]:
        raise ValueError("needs the network")

    command = poetry_command("add", project(tmp_path), parse_requirements=failing)
    with pytest.raises(PoetryRuntimeError, match=r"ddtrace 1\.20\.19 does not work"):
        run(dispatcher, command, {"name": ["ddtrace@1.20.19"]})


@pytest.mark.parametrize(
    "arguments",
    [
        {"name": ["requests"]},
        {"name": ["./vendor/ddtrace", "-e"]},
        {"name": []},
        {"name": None},
        {},
    ],
    ids=["other", "paths", "none", "null", "unreadable"],
)
def test_add_without_a_ddtrace_argument_judges_the_project(
    dispatcher: EventDispatcher, tmp_path: Path, arguments: Dict[str, Any]
) -> None:
    project(tmp_path, '"1.20.19"')
    with pytest.raises(PoetryRuntimeError, match=r"pyproject\.toml:7"):
        run(dispatcher, poetry_command("add", tmp_path), arguments)


# --- modes and [tool.ddguard] -----------------------------------------------------------------


@pytest.mark.parametrize("requirement, python", REFUSED)
def test_warn_mode_writes_a_warning_and_proceeds(
    dispatcher: EventDispatcher,
    tmp_path: Path,
    requirement: str,
    python: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    project(tmp_path, f'"{requirement[len("ddtrace") :]}"')
    (line,) = run(dispatcher, poetry_command("install", tmp_path, env_python=python)).errors
    assert line.startswith("<warning>ddguard refused `poetry install`:\n") and line.endswith(
        "</warning>"
    )
    assert "does not work" in line and "<" not in line[
        len("<warning>") : -len("</warning>")
    ].replace("\\<", "")


def test_off_mode_skips(
    dispatcher: EventDispatcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "off")
    (tmp_path / "pyproject.toml").write_text("[tool.ddguard\n")
    assert run(dispatcher, poetry_command("install", tmp_path)).errors == []


@pytest.mark.parametrize("name", sorted(BAD_PROJECT_FILES))
def test_bad_project_config_is_a_one_line_error(
    dispatcher: EventDispatcher, tmp_path: Path, name: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(BAD_PROJECT_FILES[name])
    with pytest.raises(PoetryRuntimeError) as failed:
        run(dispatcher, poetry_command("install", tmp_path))
    assert_one_line_input_error(str(failed.value), tmp_path)


def test_discover_judges_the_deployment_targets_too(
    dispatcher: EventDispatcher, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    project(tmp_path, '"1.20.19"')
    run(dispatcher, poetry_command("install", tmp_path, env_python=(3, 11, 7)))
    project(tmp_path, '"1.20.19"', extra="\n[tool.ddguard]\ndiscover = true\n")
    with pytest.raises(PoetryRuntimeError, match=r"does not work on CPython 3\.12"):
        run(dispatcher, poetry_command("install", tmp_path, env_python=(3, 11, 7)))


# --- helpers ----------------------------------------------------------------------------------


def test_no_environment_means_the_running_interpreter(plugin: Any) -> None:
    assert plugin._env_target(None) == Target.from_host()


@pytest.mark.parametrize(
    "text, markup",
    [
        ("<warning>", "\\<warning>"),
        ("a<b", "a\\<b"),
        ("no markup", "no markup"),
        ("x<y<z", "x\\<y\\<z"),
    ],
)
def test_cleo_markup_is_escaped(plugin: Any, text: str, markup: str) -> None:
    assert plugin._escape(text) == markup
