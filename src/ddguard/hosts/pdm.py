"""PDM plugin: refuse to lock or install a ddtrace that does not work on the project's Python.

Registered under the ``pdm`` entry point group; activate it per project with
``[tool.pdm] plugins = ["ddguard"]`` and ``pdm install --plugins``, or for every project
with ``pdm self add ddguard``.

- ``pre_lock``: the ddtrace requirement being locked, judged on ``project.python`` and on
  every CPython the project's ``requires-python`` admits (a PDM lock covers them all).
- ``pre_install``: the ddtrace candidate about to be installed, judged on the
  environment's interpreter.

A refusal raises PDM's ``PdmUsageError``: PDM prints it as one error line, without a
traceback, and exits 1 before anything is locked or installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, List, Optional

if TYPE_CHECKING:
    from ddguard.target import Target


def plugin(core: Any) -> None:
    """The entry point PDM calls with its ``Core`` at startup: connect the receivers."""
    from pdm.signals import pre_install, pre_lock

    pre_lock.connect(on_pre_lock, weak=False)
    pre_install.connect(on_pre_install, weak=False)


def on_pre_lock(project: Any, **kwargs: Any) -> None:
    """``requirements``: the list of PDM Requirements about to be locked."""
    lines = [_requirement_line(r) for r in kwargs.get("requirements") or ()]
    ddtrace = [line for line in lines if line is not None]
    if not ddtrace:
        return
    requires_python = str(project.pyproject.metadata.get("requires-python", "") or "")
    _guard(project, ddtrace, _python_target(project.python), requires_python, "lock")


def on_pre_install(project: Any, **kwargs: Any) -> None:
    """``packages``: the PDM Packages (``.candidate`` with name and version) to install."""
    versions = sorted(
        {
            str(candidate.version)
            for candidate in _candidates(kwargs.get("packages") or ())
            if _is_ddtrace(getattr(candidate, "name", None)) and candidate.version
        }
    )
    if not versions:
        return
    interpreter = getattr(project.environment, "interpreter", None) or project.python
    requirements = [f"ddtrace=={version}" for version in versions]
    _guard(project, requirements, _python_target(interpreter), None, "install")


def _guard(
    project: Any,
    requirements: List[str],
    target: Target,
    requires_python: Optional[str],
    action: str,
) -> None:
    from pdm.exceptions import PdmUsageError

    from ddguard.api import installer_check, refusal_text
    from ddguard.config import mode, read_project_config
    from ddguard.errors import InputError
    from ddguard.model import Mode, Options

    current = mode()
    if current is Mode.OFF:
        return
    try:
        config = read_project_config(str(project.root))
        report, notes = installer_check(
            requirements,
            target,
            options=Options(allow_source_build=config.allow_source_build, strict=config.strict),
            python_range=requires_python,
            also=_discovered(str(project.root)) if config.discover else (),
        )
    except InputError as exc:
        raise PdmUsageError(_escape(f"ddguard: {exc}")) from None
    message = refusal_text(report, notes)
    if message is None:
        return
    text = f"ddguard refused to {action} ddtrace:\n{message}"
    if current is Mode.WARN:
        project.core.ui.warn(_escape(text))
        return
    raise PdmUsageError(_escape(text))


def _discovered(root: str) -> List[Target]:
    from ddguard.api import discovered_targets

    return discovered_targets(root)


def _requirement_line(requirement: Any) -> Optional[str]:
    if not _is_ddtrace(getattr(requirement, "key", None) or getattr(requirement, "name", None)):
        return None
    line = requirement.as_line()
    return str(line)


def _candidates(packages: Iterable[Any]) -> Iterable[Any]:
    for package in packages:
        yield getattr(package, "candidate", package)


def _is_ddtrace(name: Optional[str]) -> bool:
    if not name:
        return False
    from packaging.utils import canonicalize_name

    return canonicalize_name(name.split("[", 1)[0]) == "ddtrace"


def _python_target(python: Any) -> Target:
    """A PDM ``PythonInfo`` as a ddguard target on this machine."""
    from ddguard.target import Target

    version = tuple(int(part) for part in python.version_tuple)
    implementation = str(getattr(python, "implementation", "cpython") or "cpython").lower()
    return Target.for_interpreter(version, implementation)


def _escape(text: str) -> str:
    """PDM's console reads square brackets as rich markup: escape them."""
    try:
        from rich.markup import escape
    except ImportError:  # pragma: no cover - PDM always ships rich
        return text.replace("[", "\\[")
    return str(escape(text))
