"""tox configuration: ``deps`` of every test environment in tox.ini, or in pyproject.toml
(``[tool.tox] legacy_tox_ini``, or the native ``[tool.tox.env_run_base]`` /
``[tool.tox.env.NAME]`` tables). ``{[section]key}`` substitutions in deps are followed to
sections that are not read on their own: with an explicit stack, each section once per
environment, so chains and diamonds of substitutions cost linear time.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ddguard.errors import InputError
from ddguard.model import Origin, OriginKind, Scan
from ddguard.sources.config import entries
from ddguard.sources.interface import Reader
from ddguard.sources.names import DDTRACE, Names
from ddguard.sources.requirement import parse_marker
from ddguard.sources.requirements_file import ReadState, read_lines
from ddguard.sources.text import (
    DECLARATION_LIMIT,
    MAX_NESTING,
    LineIndex,
    QuotingError,
    describe,
    read_text,
)

Ref = Tuple[str, str]  # (section, key)
_FACTOR = re.compile(r"^(!?[A-Za-z0-9_.,!-]+)\s*:\s+(.*)$")
_PY_FACTOR = re.compile(r"^py3\.?(\d+)$")
_SUBSTITUTION = re.compile(r"^\{\[([^\]]+)\]([^}:]+)\}$")


def factor_marker(condition: str) -> Optional[str]:
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


def read_tox_ini(path: str, names: Names = DDTRACE) -> Scan:
    state = tox_state(path, names)
    read_tox_text(read_text(path, DECLARATION_LIMIT), path, state)
    return Scan(tuple(state.pins), tuple(state.notes), None, None, tuple(state.files))


def tox_state(path: str, names: Names) -> ReadState:
    import os

    state = ReadState(names, read=(os.path.realpath(path),))
    state.files.append(path)
    return state


def read_tox_text(text: str, path: str, state: ReadState, offset: int = 0) -> None:
    """The deps of every test environment of tox.ini text (lines shifted by ``offset``)."""
    table = {(section, key): values for section, key, values in entries(text, path, offset)}
    for (section, key), values in table.items():
        if key != "deps" or not _is_env(section):
            continue
        env = section.partition(":")[2] or None
        origin = Origin(OriginKind.TOX_ENV, name=env, tool="tox")
        _deps(values, path, state, origin, table)


def _deps(
    values: List[Tuple[int, str]],
    path: str,
    state: ReadState,
    origin: Origin,
    table: Dict[Ref, List[Tuple[int, str]]],
) -> None:
    """One environment's deps, substitutions expanded in place (depth first)."""
    stack: List[Tuple[Iterator[Tuple[int, str]], Optional[Ref]]] = [(iter(values), None)]
    open_refs: Set[Ref] = set()  # being expanded: meeting one again is a cycle
    done: Set[Ref] = set()  # expanded once for this environment already
    while stack:
        lines, ref = stack[-1]
        item = next(lines, None)
        if item is None:
            stack.pop()
            if ref is not None:
                open_refs.discard(ref)
            continue
        number, value = item
        substitution = _SUBSTITUTION.match(value)
        if substitution:
            target = (substitution.group(1).strip(), substitution.group(2).strip().lower())
            if target in open_refs:
                raise QuotingError(f"{value} refers to itself", path, number)
            if target in done or target not in table:
                continue
            if target[1] == "deps" and _is_env(target[0]):
                continue  # [testenv] deps are read on their own; other sections only here
            if len(stack) > MAX_NESTING:
                raise InputError(
                    f"substitutions nest more than {MAX_NESTING} sections deep", path, number
                )
            done.add(target)
            open_refs.add(target)
            stack.append((iter(table[target]), target))
            continue
        if value.startswith("{") and value.endswith("}"):
            continue  # {posargs}, {env:X}, ... say nothing about ddtrace
        here, marker = origin, None
        factor = _FACTOR.match(value)
        if factor and not value.startswith("-"):
            condition, value = factor.group(1), factor.group(2)
            marker_text = factor_marker(condition)
            marker = parse_marker(marker_text, path, number) if marker_text else None
            here = origin._replace(factor=condition)
        read_lines([(number, value)], path, state, here, marker)


def read_pyproject_tox(tox: Dict[str, Any], index: LineIndex, path: str, state: ReadState) -> None:
    """``[tool.tox]`` of a pyproject.toml: the legacy_tox_ini string, or native env tables."""
    text = index.text
    legacy = tox.get("legacy_tox_ini")
    if legacy is not None:
        found = re.search(r"^[ \t]*legacy_tox_ini", text, re.M)
        key = text.count("\n", 0, found.start()) if found else 0
        if not isinstance(legacy, str):
            raise InputError(
                f"legacy_tox_ini must be a string, not {describe(legacy)}", path, key + 1
            )
        opened = index.line_text(key).rstrip() if found else ""
        # a newline right after the opening quotes is not part of the string
        offset = key + 1 if opened.endswith(('"""', "'''")) else key
        read_tox_text(legacy, path, state, offset)
    base = Origin(OriginKind.TOX_ENV, name="env_run_base", tool="tox")
    tables = [("env_run_base", base, _table(tox, "env_run_base", index, path, "tool.tox"))]
    envs = _table(tox, "env", index, path, "tool.tox")
    for name in envs:
        origin = Origin(OriginKind.TOX_ENV, name=name, tool="tox")
        tables.append((f"env.{name}", origin, _table(envs, name, index, path, "tool.tox.env")))
    for header, origin, table in tables:
        deps = table.get("deps")
        if deps is None:
            continue
        start = index.header(f"tool.tox.{header}", "tool.tox")
        if not isinstance(deps, list):
            line = index.find_key("deps", max(start, 0)) or max(start, 0) + 1
            raise InputError(f"deps must be an array, not {describe(deps)}", path, line)
        for dep in deps:
            if isinstance(dep, dict):
                continue  # replace/ref tables: not followed
            if not isinstance(dep, str):
                line = max(start, 0) + 1
                raise InputError(f"deps entries must be strings, not {describe(dep)}", path, line)
            number = index.find([f'"{dep}"', f"'{dep}'", dep], max(start, 0)) or max(start, 0) + 1
            read_lines([(number, dep.strip())], path, state, origin)


def _table(
    parent: Dict[str, Any], key: str, index: LineIndex, path: str, where: str
) -> Dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        start = index.header(where)
        line = index.find_key(key, max(start, 0)) or max(start, 0) + 1
        raise InputError(f"[{where}] {key} must be a table, not {describe(value)}", path, line)
    return value


class ToxIniReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_tox_ini(path, names)


READER = ToxIniReader()
