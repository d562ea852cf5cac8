"""INI-style project files: setup.cfg (``install_requires``, ``extras_require``,
``setup_requires``, ``tests_require``) and tox.ini (``deps`` of every test environment).

A small line-keeping INI reader stands in for configparser, which forgets line numbers.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Iterator, List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.pins_common import DDTRACE, Names, make_pin, read_text

if TYPE_CHECKING:
    from ddguard.pins import ProjectScan

Entry = Tuple[str, str, List[Tuple[int, str]]]  # section, key, [(line, value line)]
_FACTOR = re.compile(r"^(!?[A-Za-z0-9_.,!-]+)\s*:\s+(.*)$")
_PY_FACTOR = re.compile(r"^py3\.?(\d+)$")


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


def _entries(text: str, path: str) -> Iterator[Entry]:
    section: Optional[str] = None
    key: Optional[str] = None
    values: List[Tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
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


def read_tox_ini(path: str, names: Names = DDTRACE) -> ProjectScan:
    from ddguard.pins import ProjectScan
    from ddguard.pins_reqfile import ReadState, read_lines

    text = read_text(path)
    state = ReadState(read={os.path.realpath(path)}, files=[path], names=names)
    for section, key, values in _entries(text, path):
        if key != "deps" or not section.startswith("testenv"):
            continue
        env = section.partition(":")[2] or None
        for number, value in values:
            if value.startswith("{") and value.endswith("}"):
                continue  # {[testenv]deps} substitution: read where it is written
            context = f"tox env '{env}'" if env else "tox [testenv]"
            marker_text: Optional[str] = None
            factor = _FACTOR.match(value)
            if factor and not value.startswith("-"):
                condition, value = factor.group(1), factor.group(2)
                marker_text = _factor_marker(condition)
                context += f", factor '{condition}'"
            read_lines(
                [(number, value)], path, state, context=context, extra_marker_text=marker_text
            )
    return ProjectScan(tuple(state.pins), tuple(state.notes), None, tuple(state.files))
