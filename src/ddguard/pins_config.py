"""INI-style project files: setup.cfg (``install_requires``, ``extras_require``,
``setup_requires``, ``tests_require``) and tox configuration: ``deps`` of every test
environment in tox.ini or in pyproject.toml (``[tool.tox] legacy_tox_ini``, or the native
``[tool.tox.env_run_base]`` / ``[tool.tox.env.NAME]`` tables). ``{[section]key}``
substitutions in deps are followed to sections that are not read on their own.

A small line-keeping INI reader stands in for configparser, which forgets line numbers.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.pins_common import DDTRACE, LineIndex, Names, make_pin, read_text

if TYPE_CHECKING:
    from ddguard.pins import ProjectScan
    from ddguard.pins_reqfile import ReadState

Entry = Tuple[str, str, List[Tuple[int, str]]]  # section, key, [(line, value line)]
_FACTOR = re.compile(r"^(!?[A-Za-z0-9_.,!-]+)\s*:\s+(.*)$")
_PY_FACTOR = re.compile(r"^py3\.?(\d+)$")
_SUBSTITUTION = re.compile(r"^\{\[([^\]]+)\]([^}:]+)\}$")


def _split(line: str) -> Tuple[str, str, str]:
    found = re.split(r"\s*([=:])\s*", line, maxsplit=1)
    if len(found) < 3:
        return found[0], "", ""
    return found[0], found[1], found[2]


def read_setup_cfg(path: str, names: Names = DDTRACE) -> ProjectScan:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ddguard.pins import ProjectScan

    text = read_text(path)
    pins = []
    python_range = None
    for section, key, values in _entries(text, path):
        context: Optional[str] = None
        if section == "options" and key == "python_requires" and values:
            try:
                python_range = SpecifierSet(values[0][1])
            except InvalidSpecifier:
                raise InputError(
                    f"python_requires {values[0][1]!r} is not a valid version range",
                    path,
                    values[0][0],
                ) from None
            continue
        if section == "options" and key in ("install_requires", "setup_requires", "tests_require"):
            context = None if key == "install_requires" else key
        elif section == "options.extras_require":
            context = f"extra '{key}'"
        else:
            continue
        for number, value in values:
            pin = make_pin(
                value, f"{path}:{number}", context=context, path=path, line=number, names=names
            )
            if pin is not None:
                pins.append(pin)
    return ProjectScan(tuple(pins), (), python_range, (path,))


def _entries(text: str, path: str, offset: int = 0) -> Iterator[Entry]:
    """(section, key, [(line, value)]) of an INI text whose first line is ``offset + 1``."""
    section: Optional[str] = None
    key: Optional[str] = None
    values: List[Tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), offset + 1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[:1] in (" ", "\t"):
            if key is None:
                raise InputError(f"indented line {stripped!r} continues no key", path, number)
            values.append((number, stripped))
            continue
        if section is not None and key is not None:
            yield section, key, values
        key, values = None, []
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise InputError(f"unclosed section header {stripped!r}", path, number)
            section = stripped[1:-1].strip()
            continue
        name, sep, value = _split(stripped)
        if section is None or not sep:
            raise InputError(f"cannot read line {stripped!r} (expected key = value)", path, number)
        key = name.strip().lower()
        values = [(number, value)] if value else []
    if section is not None and key is not None:
        yield section, key, values


def _factor_marker(condition: str) -> Optional[str]:
    """``py312: dep`` -> python_version == "3.12"; other factors say where, not when."""
    alternatives = []
    for factor in condition.split(","):
        negate = factor.startswith("!")
        found = _PY_FACTOR.match(factor.lstrip("!"))
        if not found or "-" in factor:
            return None
        op = "!=" if negate else "=="
        alternatives.append(f'python_version {op} "3.{found.group(1)}"')
    joiner = " and " if condition.startswith("!") else " or "
    return joiner.join(alternatives) if alternatives else None


def _is_env(section: str) -> bool:
    return section == "testenv" or section.startswith("testenv:")


def read_tox_ini(path: str, names: Names = DDTRACE) -> ProjectScan:
    from ddguard.pins import ProjectScan

    state = tox_state(path, names)
    read_tox_text(read_text(path), path, state)
    return ProjectScan(tuple(state.pins), tuple(state.notes), None, tuple(state.files))


def tox_state(path: str, names: Names) -> ReadState:
    from ddguard.pins_reqfile import ReadState

    return ReadState(read={os.path.realpath(path)}, files=[path], names=names)


def read_tox_text(text: str, path: str, state: ReadState, offset: int = 0) -> None:
    """The deps of every test environment of tox.ini text (lines shifted by ``offset``)."""
    entries = {(section, key): values for section, key, values in _entries(text, path, offset)}
    for (section, key), values in entries.items():
        if key != "deps" or not _is_env(section):
            continue
        env = section.partition(":")[2] or None
        context = f"tox env '{env}'" if env else "tox [testenv]"
        _tox_deps(values, path, state, context, entries, ())


def _tox_deps(
    values: List[Tuple[int, str]],
    path: str,
    state: ReadState,
    context: str,
    entries: Dict[Tuple[str, str], List[Tuple[int, str]]],
    seen: Tuple[Tuple[str, str], ...],
) -> None:
    from ddguard.pins_reqfile import read_lines

    for number, value in values:
        substitution = _SUBSTITUTION.match(value)
        if substitution:
            ref = (substitution.group(1).strip(), substitution.group(2).strip().lower())
            if ref in seen:
                raise InputError(f"{value} refers to itself", path, number)
            if ref in entries and not (ref[1] == "deps" and _is_env(ref[0])):
                # [testenv] deps are read on their own; other sections only through here
                _tox_deps(entries[ref], path, state, context, entries, (*seen, ref))
            continue
        if value.startswith("{") and value.endswith("}"):
            continue  # {posargs}, {env:X}, ... say nothing about ddtrace
        where = context
        marker_text: Optional[str] = None
        factor = _FACTOR.match(value)
        if factor and not value.startswith("-"):
            condition, value = factor.group(1), factor.group(2)
            marker_text = _factor_marker(condition)
            where += f", factor '{condition}'"
        read_lines([(number, value)], path, state, context=where, extra_marker_text=marker_text)


def read_pyproject_tox(tox: Dict[str, Any], text: str, path: str, state: ReadState) -> None:
    """``[tool.tox]`` of a pyproject.toml: the legacy_tox_ini string, or native env tables."""
    legacy = tox.get("legacy_tox_ini")
    lines = text.splitlines()
    if isinstance(legacy, str):
        key = next(
            (i for i, line in enumerate(lines) if line.lstrip().startswith("legacy_tox_ini")), 0
        )
        opened = lines[key].rstrip() if lines else ""
        # a newline right after the opening quotes is not part of the string
        offset = key + 1 if opened.endswith(('"""', "'''")) else key
        read_tox_text(legacy, path, state, offset)
    tables = [("env_run_base", "tox env_run_base", tox.get("env_run_base"))]
    envs = tox.get("env")
    for name, table in envs.items() if isinstance(envs, dict) else []:
        tables.append((f"env.{name}", f"tox env '{name}'", table))
    from ddguard.pins_reqfile import read_lines

    index = LineIndex(text)
    for header, context, table in tables:
        deps = table.get("deps") if isinstance(table, dict) else None
        if not isinstance(deps, list):
            continue
        start = index.header(f"tool.tox.{header}", "tool.tox")
        for dep in deps:
            if not isinstance(dep, str):
                continue  # replace/ref tables: not followed
            number = index.find([f'"{dep}"', f"'{dep}'", dep], max(start, 0)) or start + 1
            read_lines([(number, dep.strip())], path, state, context=context)
