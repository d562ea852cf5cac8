"""Poetry 2 application plugin: refuse ``install``, ``add``, ``lock``, ``sync`` and ``update``
when the project's ddtrace does not work on the command's environment or on a Python the
project declares.

Registered under the ``poetry.application.plugin`` entry point group; activate it per
project with ``[tool.poetry.requires-plugins] ddguard = ">=0.1"`` (``poetry install``
installs it into the project's ``.poetry/plugins`` after plugins are loaded, so it guards
from the next command: bootstrap with ``poetry install --dry-run``), or for every project
with ``poetry self add ddguard``.

It listens to cleo's console command event, which Poetry dispatches after it has chosen
the command's environment and before the command runs: nothing is locked or installed
yet. It judges

- the ddtrace constraint the project declares (every group), or, for ``poetry add``, the
  ddtrace requirement in the command's arguments (``ddtrace@1.20.19``, ``ddtrace==…``);
- the locked ddtrace version, when ``poetry.lock`` exists and the command installs from it
  (``install``, ``sync``);

on the environment's interpreter and on every CPython the project's Python range admits
(a Poetry lock covers them all). A refusal raises Poetry's console error: one message, no
traceback, exit code 1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Union

from poetry.plugins.application_plugin import ApplicationPlugin

if TYPE_CHECKING:
    from ddguard.model import Pin
    from ddguard.target import Target

Requirement = Union[str, "Pin"]

GUARDED_COMMANDS = frozenset({"install", "add", "lock", "sync", "update"})
LOCK_READING_COMMANDS = frozenset({"install", "sync"})
# The name part of a `poetry add` argument: "ddtrace", "ddtrace[extra]@^2", "ddtrace==2.8.5".
_ARGUMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class DDGuardApplicationPlugin(ApplicationPlugin):
    """Adds one console command listener; no commands of its own."""

    def activate(self, application: Any) -> None:
        from cleo.events.console_events import COMMAND

        application.event_dispatcher.add_listener(COMMAND, on_command)


def on_command(event: Any, event_name: str, dispatcher: Any) -> None:
    """cleo listener: runs after Poetry's own (which set up the command's environment)."""
    command = getattr(event, "command", None)
    if command is None or getattr(command, "name", None) not in GUARDED_COMMANDS:
        return
    try:
        poetry = command.poetry
    except Exception:  # no pyproject: Poetry reports that itself
        return
    from poetry.console.exceptions import PoetryRuntimeError

    from ddguard.api import installer_check, refusal_text
    from ddguard.config import mode, read_project_config
    from ddguard.errors import InputError
    from ddguard.model import Mode, Options

    current = mode()
    if current is Mode.OFF:
        return
    pyproject = Path(str(poetry.pyproject_path))
    try:
        config = read_project_config(str(pyproject.parent))
        requirements = _requirements(command, poetry, pyproject, event.io)
        if not requirements:
            return
        target = _env_target(getattr(command, "env", None))
        python_range, admits = _python_range(poetry.package)
        if config.discover:
            from ddguard.api import discovered_targets

            also = discovered_targets(str(pyproject.parent))
        else:
            also = []
        report, notes = installer_check(
            requirements,
            target,
            options=Options(allow_source_build=config.allow_source_build, strict=config.strict),
            python_range=python_range,
            admits=admits,
            also=also,
        )
    except InputError as exc:
        raise PoetryRuntimeError(_escape(f"ddguard: {exc}")) from None
    message = refusal_text(report, notes)
    if message is None:
        return
    text = f"ddguard refused `poetry {command.name}`:\n{message}"
    if current is Mode.WARN:
        event.io.write_error_line(f"<warning>{_escape(text)}</warning>")
        return
    raise PoetryRuntimeError(_escape(text))


def _requirements(command: Any, poetry: Any, pyproject: Path, io: Any) -> List[Requirement]:
    """The ddtrace requirements this command will lock or install: the ``poetry add``
    arguments, else every ddtrace pin of pyproject.toml (all groups, ``path:line``
    sources); plus the locked release for commands that install from the lock."""
    from ddguard import sources

    added = _added_requirements(command, io) if command.name == "add" else None
    found: List[Requirement] = []
    if added is not None:
        found.extend(added)
    else:
        found.extend(sources.read_file(str(pyproject)).pins)
    lock = pyproject.parent / "poetry.lock"
    if command.name in LOCK_READING_COMMANDS and lock.is_file():
        from contextlib import suppress

        from ddguard.errors import InputError

        with suppress(InputError):  # an unreadable lock: Poetry says so itself
            found.extend(sources.read_file(str(lock)).pins)
    return found


def _added_requirements(command: Any, io: Any) -> Optional[List[str]]:
    """``poetry add ddtrace@1.20.19``: the ddtrace arguments as PEP 508, or None if none.

    The command is not running yet, so its arguments are read from the event's input."""
    try:
        arguments = list(io.input.argument("name") or ())
    except Exception:
        return None
    ddtrace = [a for a in arguments if _is_ddtrace(_argument_name(a))]
    if not ddtrace:
        return None
    from poetry.core.factory import Factory

    lines = []
    for argument in ddtrace:
        parsed = _parse_argument(command, argument)
        name = parsed.pop("name", "ddtrace")
        constraint: Any = parsed["version"] if list(parsed) == ["version"] else parsed
        if not parsed:
            constraint = "*"
        lines.append(str(Factory.create_dependency(name, constraint).to_pep_508()))
    return lines


def _parse_argument(command: Any, argument: str) -> dict[str, Any]:
    """Poetry's own reading of an ``add`` argument (``@`` constraints, ``^``, ``~``, ...)."""
    parse: Optional[Callable[[List[str]], List[dict[str, Any]]]] = getattr(
        command, "_parse_requirements", None
    )
    if parse is not None:
        try:
            return dict(parse([argument])[0])
        except Exception:
            pass
    name, _, version = re.sub(r"@\s*latest$", "", argument.strip()).partition("@")
    return {"name": name, "version": version.strip()} if version.strip() else {"name": name}


def _env_target(env: Any) -> Target:
    from ddguard.target import Target

    if env is None:
        return Target.from_host()
    version = tuple(int(part) for part in env.version_info[:3])
    implementation = str(env.marker_env.get("implementation_name", "cpython")).lower()
    return Target.for_interpreter(version, implementation)


def _python_range(package: Any) -> tuple[Optional[str], Optional[Callable[[str], bool]]]:
    """The project's Python range as written and as a predicate on versions."""
    text = str(getattr(package, "python_versions", "") or "").strip()
    constraint = getattr(package, "python_constraint", None)
    if not text or text == "*" or constraint is None or constraint.is_any():
        return None, None
    from poetry.core.constraints.version import Version

    return text, lambda version: bool(constraint.allows(Version.parse(version)))


def _argument_name(argument: str) -> str:
    match = _ARGUMENT_NAME.match(argument)
    return match.group(1) if match else ""


def _is_ddtrace(name: Optional[str]) -> bool:
    if not name:
        return False
    from packaging.utils import canonicalize_name

    return canonicalize_name(name) == "ddtrace"


def _escape(text: str) -> str:
    """cleo reads ``<tag>`` as style markup: escape what could look like a tag."""
    from cleo.formatters.formatter import Formatter

    return str(Formatter.escape(text))
