"""setuptools plugin: the ddguard build check for plain setuptools projects.

Registered as an ``egg_info.writers`` entry point, so it runs whenever setuptools writes a
project's metadata: in ``get_requires_for_build_wheel`` and ``prepare_metadata_for_build_wheel``,
before pip resolves dependencies. ``install_requires`` and ``extras_require`` come from the
Distribution setuptools already computed; ddguard never runs or imports setup.py itself.

Entry points are environment-wide: with ``--no-build-isolation`` this one fires for every
project built there, so it acts only for projects that opt in, with a ``[tool.ddguard]``
table or ``ddguard`` in ``[build-system] requires``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Tuple

PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def check_egg_info(cmd: Any, basename: str, filename: str) -> None:
    """``egg_info.writers`` hook: writes nothing, refuses with SystemExit when needed."""
    distribution = getattr(cmd, "distribution", None)
    if distribution is None:
        return
    message = check_distribution(
        os.getcwd(),
        getattr(distribution, "install_requires", None) or [],
        getattr(distribution, "extras_require", None) or {},
    )
    if message is not None:
        raise SystemExit(message)


def check_distribution(
    root: str, install_requires: Iterable[Any], extras_require: Dict[str, Any]
) -> Optional[str]:
    """The refusal message for an opted-in project's requirements, else None."""
    from ddguard.config import load_pyproject, project_config, requires_ddguard, skipped
    from ddguard.environment import checked

    root = os.path.abspath(root)
    if skipped() or checked(root):
        return None
    pyproject = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return None
    from ddguard.errors import DDGuardError

    try:
        document = load_pyproject(pyproject)
        config = project_config(pyproject, document)
        if not (config.present or requires_ddguard(config.build_requires)):
            return None
        found = list(_ddtrace_requirements(install_requires, extras_require))
        if not found:
            return None
        from ddguard.hosts.build_check import build_targets, judge, refusal_message

        pins = [_pin(root, text, extra) for text, extra in found]
        project = document.get("project", {})
        name = (project.get("name") if isinstance(project, dict) else None) or os.path.basename(root)
        return refusal_message(judge(pins, build_targets(root, config), config), str(name))
    except DDGuardError as exc:
        return f"ddguard: {exc}"


def _ddtrace_requirements(
    install_requires: Iterable[Any], extras_require: Dict[str, Any]
) -> Iterable[Tuple[str, Optional[str]]]:
    for item in _lines(install_requires):
        if _names_ddtrace(item):
            yield item, None
    for extra, items in extras_require.items():
        extra_name, _, marker = str(extra).partition(":")
        for item in _lines(items):
            if _names_ddtrace(item):
                yield (f"{item}; {marker}" if marker and ";" not in item else item), extra_name


def _names_ddtrace(text: str) -> bool:
    head = text.strip()[:7].lower()
    rest = text.strip()[7:8]
    return head == "ddtrace" and (rest == "" or rest in " [(<>=!~;@")


def _lines(value: Any) -> List[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [str(v).strip() for v in value or [] if str(v).strip()]


def _pin(root: str, text: str, extra: Optional[str]) -> Any:
    """A Pin whose origin names the project file and line that declares the requirement."""
    from ddguard.api import requirement_pin
    from ddguard.model import Origin, OriginKind

    needle = text.split(";", 1)[0].strip()
    where, line = os.path.join(root, "setup.py"), None
    for name in PROJECT_FILES:
        candidate = os.path.join(root, name)
        try:
            with open(candidate, encoding="utf-8", errors="replace") as handle:
                for number, row in enumerate(handle, 1):
                    if needle in row:
                        where, line = candidate, number
                        break
        except OSError:
            continue
        if line is not None:
            break
    kind = OriginKind.EXTRA if extra else OriginKind.DEPENDENCY
    return requirement_pin(text, Origin(kind, path=where, line=line, name=extra))
