"""Stand-ins for the installers' plugin APIs: PDM's signals and exceptions, Poetry 2's
application plugin and console error, poetry-core's dependency factory and constraints,
cleo 2's event dispatcher and formatter (see host_standins.py for how they are used).

Sources read: pdm-project/pdm@a7e9d001, python-poetry/poetry@f4670233 (Poetry 2),
python-poetry/poetry-core@c4d922c3, python-poetry/cleo@8c3f1bbf (cleo 2).
"""

from __future__ import annotations

import re
import types
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from host_standins import tree
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

# --- PDM --------------------------------------------------------------------------------------


class Signal:
    """blinker ``NamedSignal`` as pdm/signals.py declares them: ``connect(receiver,
    weak=...)``; ``send(sender, **kwargs)`` calls each receiver with the sender first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.receivers: List[Callable[..., Any]] = []

    def connect(self, receiver: Callable[..., Any], weak: bool = True) -> Callable[..., Any]:
        self.receivers.append(receiver)
        return receiver

    def send(self, sender: Any, **kwargs: Any) -> List[Tuple[Callable[..., Any], Any]]:
        return [(r, r(sender, **kwargs)) for r in self.receivers]


class PdmException(Exception):
    """pdm/exceptions.py ``PdmException``."""


class PdmUsageError(PdmException):
    """pdm/exceptions.py ``PdmUsageError(PdmException)``: printed as one error line."""


_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def rich_escape(markup: str) -> str:
    """rich/markup.py ``escape`` (Textualize/rich; PDM's console is rich): a backslash
    before each ``[`` that opens something tag-like, doubling backslashes already there."""
    escaped = _RICH_TAG.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", markup)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        return escaped + "\\"
    return escaped


def pdm_modules() -> Dict[str, types.ModuleType]:
    return tree(
        {
            "pdm.signals": {"pre_lock": Signal("pre_lock"), "pre_install": Signal("pre_install")},
            "pdm.exceptions": {"PdmException": PdmException, "PdmUsageError": PdmUsageError},
            "rich.markup": {"escape": rich_escape},
        }
    )


def pdm_emit(signals: types.ModuleType, name: str, project: Any, **kwargs: Any) -> None:
    """pdm/cli/hooks.py ``HookManager.try_emit``: ``signal.send(project, hooks=self, **kwargs)``;
    actions.py emits ``pre_lock`` with ``requirements``/``dry_run`` and ``pre_install`` with
    ``packages``/``dry_run``."""
    getattr(signals, name).send(project, hooks=object(), dry_run=False, **kwargs)


class PdmRequirement:
    """pdm/models/requirements.py ``Requirement``: ``name``, ``key`` (the normalized,
    lower-case name) and ``as_line()``."""

    def __init__(self, line: str) -> None:
        parsed = Requirement(line)
        self.name = parsed.name
        self.key = canonicalize_name(parsed.name)
        self._line = line

    def as_line(self) -> str:
        return self._line


class PdmCandidate(NamedTuple):
    """pdm/models/candidates.py ``Candidate``: ``name`` and ``version``."""

    name: str
    version: Optional[str]


class PdmPackage(NamedTuple):
    """pdm/models/repositories/lock.py ``Package``: a dataclass around its ``candidate``."""

    candidate: PdmCandidate


class PdmPythonInfo(NamedTuple):
    """pdm/models/python.py ``PythonInfo``: ``version_tuple`` and ``implementation``
    (lower-cased)."""

    version_tuple: Tuple[int, ...]
    implementation: str = "cpython"


class PdmUI:
    """pdm/termui.py ``UI.warn(message)``."""

    def __init__(self) -> None:
        self.warnings: List[str] = []

    def warn(self, message: str, verbosity: int = 0) -> None:
        self.warnings.append(message)


def pdm_project(
    root: Path,
    python: Tuple[int, ...] = (3, 12, 1),
    *,
    requires_python: Optional[str] = None,
    environment_python: Optional[Tuple[int, ...]] = None,
) -> Any:
    """pdm/project/core.py ``Project``: ``root``, ``python``, ``pyproject.metadata`` (the
    ``[project]`` table), ``environment.interpreter`` and ``core.ui``."""
    metadata = {} if requires_python is None else {"requires-python": requires_python}
    interpreter = PdmPythonInfo(environment_python) if environment_python else None
    return types.SimpleNamespace(
        root=root,
        python=PdmPythonInfo(python),
        pyproject=types.SimpleNamespace(metadata=metadata),
        environment=types.SimpleNamespace(interpreter=interpreter),
        core=types.SimpleNamespace(ui=PdmUI()),
    )


# --- Poetry 2 and cleo 2 ----------------------------------------------------------------------

COMMAND = "console.command"  # cleo/events/console_events.py


class EventDispatcher:
    """cleo/events/event_dispatcher.py: ``add_listener(event_name, listener, priority=0)``;
    ``dispatch(event, event_name)`` calls ``listener(event, event_name, dispatcher)``."""

    def __init__(self) -> None:
        self.listeners: Dict[str, List[Callable[..., Any]]] = {}

    def add_listener(
        self, event_name: str, listener: Callable[..., Any], priority: int = 0
    ) -> None:
        self.listeners.setdefault(event_name, []).append(listener)

    def dispatch(self, event: Any, event_name: str) -> Any:
        for listener in self.listeners.get(event_name, []):
            listener(event, event_name, self)
        return event


class Formatter:
    """cleo/formatters/formatter.py ``Formatter.escape``: a backslash before each ``<``."""

    @classmethod
    def escape(cls, text: str) -> str:
        return re.sub(r"([^\\]?)<", "\\1\\<", text)


class BasePlugin(ABC):
    """poetry/plugins/base_plugin.py ``BasePlugin``: ``group`` is abstract."""

    PLUGIN_API_VERSION = "1.0.0"

    @property
    @abstractmethod
    def group(self) -> str:
        """The entry point group of the plugin type."""


class ApplicationPlugin(BasePlugin):
    """poetry/plugins/application_plugin.py ``ApplicationPlugin``: ``activate(application)``."""

    group = "poetry.application.plugin"

    @property
    def commands(self) -> List[Any]:
        return []

    def activate(self, application: Any) -> None:
        for command in self.commands:
            application.command_loader.register_factory(command.name, command)


class PoetryRuntimeError(Exception):
    """poetry/console/exceptions.py ``PoetryRuntimeError(reason, messages=None,
    exit_code=1)`` (a cleo ``CleoError``): Poetry prints it without a traceback."""

    def __init__(
        self, reason: str, messages: Optional[List[Any]] = None, exit_code: int = 1
    ) -> None:
        super().__init__(reason)
        self.exit_code = exit_code


class PoetryVersionConstraint:
    """poetry-core constraints.version ``VersionConstraint``: ``is_any()`` and
    ``allows(version)``; here a PEP 440 range stands for Poetry's parsed one."""

    def __init__(self, specifier: str) -> None:
        self._specifier = SpecifierSet(specifier)

    def is_any(self) -> bool:
        return not str(self._specifier)

    def allows(self, version: Version) -> bool:
        return self._specifier.contains(version, prereleases=True)


class PoetryVersion:
    """poetry-core constraints.version ``Version.parse(text)``."""

    @staticmethod
    def parse(text: str) -> Version:
        return Version(text)


class PoetryDependency:
    """poetry-core packages/dependency.py ``Dependency.to_pep_508()``: ``name (==1.2.3)``
    for an exact version, ``name (>=2.8.5,<3.0.0)`` for ``^2.8.5``, the bare name for ``*``."""

    def __init__(self, name: str, constraint: Any) -> None:
        self.name = name
        self.constraint = constraint["version"] if isinstance(constraint, dict) else constraint

    def to_pep_508(self) -> str:
        text = str(self.constraint).strip()
        if text in ("", "*"):
            return self.name
        if text.startswith("^"):
            low = Version(text[1:])
            return f"{self.name} (>={low},<{low.major + 1}.0.0)"
        if re.fullmatch(r"[0-9][0-9a-z.]*", text):
            return f"{self.name} (=={text})"
        return f"{self.name} ({text.replace(' ', '')})"


class PoetryFactory:
    """poetry-core factory.py ``Factory.create_dependency(name, constraint)``."""

    @staticmethod
    def create_dependency(name: str, constraint: Any) -> PoetryDependency:
        return PoetryDependency(name, constraint)


def poetry_modules() -> Dict[str, types.ModuleType]:
    return tree(
        {
            "poetry.plugins.base_plugin": {"BasePlugin": BasePlugin},
            "poetry.plugins.application_plugin": {"ApplicationPlugin": ApplicationPlugin},
            "poetry.console.exceptions": {"PoetryRuntimeError": PoetryRuntimeError},
            "poetry.core.factory": {"Factory": PoetryFactory},
            "poetry.core.constraints.version": {"Version": PoetryVersion},
            "cleo.events.console_events": {"COMMAND": COMMAND},
            "cleo.events.event_dispatcher": {"EventDispatcher": EventDispatcher},
            "cleo.formatters.formatter": {"Formatter": Formatter},
        }
    )


class CleoInput:
    """cleo/io/inputs/input.py ``Input.argument(name)`` (raises for an unknown argument)."""

    def __init__(self, arguments: Dict[str, Any]) -> None:
        self._arguments = arguments

    def argument(self, name: str) -> Any:
        if name not in self._arguments:
            raise ValueError(f'The argument "{name}" does not exist')
        return self._arguments[name]


class CleoIO:
    """cleo/io/io.py ``IO``: ``input`` and ``write_error_line``."""

    def __init__(self, arguments: Optional[Dict[str, Any]] = None) -> None:
        self.input = CleoInput(arguments or {})
        self.errors: List[str] = []

    def write_error_line(self, text: str) -> None:
        self.errors.append(text)


def poetry_command(
    name: str,
    root: Optional[Path],
    *,
    env_python: Optional[Tuple[int, int, int]] = (3, 12, 1),
    python_versions: str = "*",
    python_pep440: str = "",
    parse_requirements: Optional[Callable[[List[str]], List[Dict[str, Any]]]] = None,
) -> Any:
    """A Poetry command (poetry/console/commands/command.py, env_command.py): ``name``,
    ``poetry`` (raises RuntimeError without a pyproject.toml, as Poetry's factory does)
    with ``pyproject_path`` and ``package`` (``python_versions`` as written,
    ``python_constraint``, here read from its PEP 440 equivalent), ``env`` (``version_info``, ``marker_env``) and, for ``add``,
    ``_parse_requirements`` (init.py)."""

    class Command:
        @property
        def poetry(self) -> Any:
            if root is None:
                raise RuntimeError("Poetry could not find a pyproject.toml file")
            package = types.SimpleNamespace(
                python_versions=python_versions,
                python_constraint=PoetryVersionConstraint(python_pep440),
            )
            return types.SimpleNamespace(pyproject_path=root / "pyproject.toml", package=package)

    command = Command()
    command.name = name  # type: ignore[attr-defined]
    command.env = (  # type: ignore[attr-defined]
        None
        if env_python is None
        else types.SimpleNamespace(
            version_info=(*env_python, "final", 0), marker_env={"implementation_name": "cpython"}
        )
    )
    if parse_requirements is not None:
        command._parse_requirements = parse_requirements  # type: ignore[attr-defined]
    return command


def parse_add_argument(text: str) -> Dict[str, Any]:
    """poetry/utils/dependency_specification.py ``RequirementsParser`` on the simple forms
    of a ``poetry add`` argument (``name``, ``name@1.2``, ``name==1.2``, ``name>=1``,
    ``name[extra]@^1``): ``{"name", "version"?, "extras"?}``, ``@latest`` meaning none."""
    found = re.match(
        r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?\s*(?:(?:@|==|=)\s*(.*)|((?:[<>!~]=?|\^).*))?$",
        text,
    )
    if found is None:
        raise ValueError(f"Could not parse {text!r}")
    name, extras, exact, ranged = found.groups()
    spec: Dict[str, Any] = {"name": name}
    version = (exact if exact is not None else ranged or "").strip()
    if version and version != "latest":
        spec["version"] = version
    if extras:
        spec["extras"] = [e.strip() for e in extras.split(",")]
    return spec


def console_command_event(command: Any, io: Any) -> Any:
    """cleo/events/console_command_event.py ``ConsoleCommandEvent(command, io)``."""
    return types.SimpleNamespace(command=command, io=io)
