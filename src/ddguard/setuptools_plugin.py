"""setuptools plugin: the ddguard build check for plain setuptools projects.

Registered as an ``egg_info.writers`` entry point, so it runs whenever setuptools writes a
project's metadata: in ``get_requires_for_build_wheel`` and ``prepare_metadata_for_build_wheel``,
before pip resolves dependencies. (``setuptools.finalize_distribution_options`` fires before
pyproject.toml is applied and would see no dependencies.) ``install_requires`` and
``extras_require`` are read as data, never by running anything.

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
    from ddguard.build_check import CHECKED_VARIABLE
    from ddguard.build_config import load_toml, read_config, requires_ddguard, skipped

    root = os.path.abspath(root)
    if skipped() or os.environ.get(CHECKED_VARIABLE) == root:
        return None
    pyproject = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return None
    from ddguard.errors import DDGuardError

    try:
        document = load_toml(pyproject)
        config = read_config(pyproject, document)
        if not (config.present or requires_ddguard(config.build_requires)):
            return None
        found = list(_ddtrace_requirements(install_requires, extras_require))
        if not found:
            return None
        from ddguard.build_check import judge, refusal_message

        pins = _pins(root, found)
        name = document.get("project", {}).get("name") or os.path.basename(root)
        return refusal_message(judge(pins, config), str(name))
    except DDGuardError as exc:
        return f"ddguard: {exc}"


def _ddtrace_requirements(
    install_requires: Iterable[Any], extras_require: Dict[str, Any]
) -> Iterable[Tuple[str, Optional[str]]]:
    from ddguard.build_check import is_ddtrace_requirement

    for item in _lines(install_requires):
        if is_ddtrace_requirement(item):
            yield item, None
    for extra, items in extras_require.items():
        extra_name, _, marker = str(extra).partition(":")
        for item in _lines(items):
            if is_ddtrace_requirement(item):
                text = f"{item}; {marker}" if marker and ";" not in item else item
                yield text, extra_name


def _lines(value: Any) -> List[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [str(v).strip() for v in value or [] if str(v).strip()]


def _pins(root: str, found: List[Tuple[str, Optional[str]]]) -> List[Any]:
    """Pins whose source names the project file and line that declares each requirement."""
    from ddguard.build_check import requirement_pins

    pins: List[Any] = []
    for text, extra in found:
        path = os.path.join(root, "setup.py")
        for name in PROJECT_FILES:
            candidate = os.path.join(root, name)
            try:
                with open(candidate, encoding="utf-8") as handle:
                    if text.split(";")[0].strip() in handle.read():
                        path = candidate
                        break
            except OSError:
                continue
        pins.extend(requirement_pins([(text, extra)], path))
    return pins
