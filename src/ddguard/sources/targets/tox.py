"""tox environment lists: ``envlist``/``env_list`` of ``[tox]`` in tox.ini, ``[tox:tox]``
in setup.cfg, ``[tool.tox]`` in pyproject.toml (``legacy_tox_ini`` or native
``env_list``) and tox.toml. Generative names expand (``py{39,310}-django{42,50}``,
``py3{10-13}``); each Python factor is a target: ``py312``, ``py3.12``, ``3.12``,
``py313t``, ``pypy310``, ``pypy3`` (a major only). tox runs where it is run: no OS."""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterator, List, Mapping, Optional, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets.common import Found, Lines, Python, bounded_version
from ddguard.sources.text import load_toml
from ddguard.target import Implementation

MAX_NAMES = 1000  # environment names one envlist may expand to
_FACTOR = re.compile(r"^(?P<impl>py|pypy|cpython|python)?(?P<ver>\d(?:\.?\d{1,2})?)(?P<t>t)?$")
_RANGE = re.compile(r"^(\d+)-(\d+)$")


def read_ini(path: str, text: str, section: str = "tox") -> Found:
    """tox.ini (``section`` "tox") or setup.cfg (``section`` "tox:tox")."""
    return _read_entries(path, text, _ini_envlist(text, section))


def read_pyproject_tox(path: str, text: str, table: Mapping[str, Any]) -> Found:
    """``[tool.tox]`` of a parsed pyproject.toml (``table``)."""
    legacy = table.get("legacy_tox_ini")
    if isinstance(legacy, str):
        offset = _legacy_offset(text)
        entries = [(line + offset, word) for line, word in _ini_envlist(legacy, "tox")]
        return _read_entries(path, text, entries)
    return _read_entries(path, text, _toml_env_list(text, table.get("env_list")))


def read_tox_toml(path: str, text: str) -> Found:
    return _read_entries(path, text, _toml_env_list(text, load_toml(text, path).get("env_list")))


def _ini_envlist(text: str, section: str) -> List[Tuple[int, str]]:
    """(line, entry) of the envlist value, as written (not yet expanded)."""
    entries: List[Tuple[int, str]] = []
    current: Optional[str] = None
    inside = False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]").strip().lower()
            inside = False
            continue
        if current != section or not stripped or stripped[0] in "#;":
            continue
        if raw[:1] in (" ", "\t") and inside:
            entries.extend((number, w) for w in _split(_uncomment(stripped)))
            continue
        key, sep, value = stripped.partition("=")
        inside = bool(sep) and key.strip().lower() in ("envlist", "env_list")
        if inside:
            entries.extend((number, w) for w in _split(_uncomment(value)))
    return entries


def _uncomment(text: str) -> str:
    return re.split(r"\s[#;]", text, maxsplit=1)[0]


def _split(text: str) -> List[str]:
    """Names separated by commas or spaces outside braces."""
    names: List[str] = []
    depth = 0
    current: List[str] = []
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        if depth == 0 and (char == "," or char.isspace()):
            if current:
                names.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        names.append("".join(current))
    return names


def _legacy_offset(text: str) -> int:
    """Lines before the first line of the ``legacy_tox_ini`` string."""
    for number, raw in enumerate(text.splitlines(), 1):
        if re.match(r"\s*legacy_tox_ini\s*=", raw):
            quote = raw.split("=", 1)[1].strip()
            return number if quote in ('"""', "'''") else number - 1
    return 0


def _toml_env_list(text: str, value: Any) -> List[Tuple[int, str]]:
    if not isinstance(value, list):
        return []
    lines = text.splitlines()
    start = next((i for i, raw in enumerate(lines) if re.match(r"\s*env_list\s*=", raw)), 0)
    entries: List[Tuple[int, str]] = []
    position = start
    for name in value:
        if not isinstance(name, str):
            continue
        for index in range(position, len(lines)):
            if f'"{name}"' in lines[index] or f"'{name}'" in lines[index]:
                position = index
                break
        entries.append((position + 1, name))
    return entries


def expand(name: str) -> List[str]:
    """``py{38,39}-django{32,40}`` -> the four names; ``py3{10-12}`` -> py310..py312."""
    parts = re.split(r"(\{[^{}]*\})", name)
    choices: List[List[str]] = []
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            options: List[str] = []
            for option in part[1:-1].split(","):
                found = _RANGE.match(option.strip())
                if (
                    found
                    and int(found.group(1)) <= int(found.group(2)) <= int(found.group(1)) + 100
                ):
                    options.extend(
                        str(n) for n in range(int(found.group(1)), int(found.group(2)) + 1)
                    )
                else:
                    options.append(option.strip())
            choices.append(options)
        else:
            choices.append([part])
    names = ("".join(p) for p in itertools.product(*choices))
    return list(itertools.islice(names, MAX_NAMES))


def factor_python(factor: str) -> Optional[Python]:
    """The Python a tox factor names; PyPy without a version for ``pypy``; None for a
    factor that is not a Python (``lint``, ``django42``, ``py`` — the running one)."""
    word = factor.lower()
    if word == "pypy":
        return Python(Implementation.PYPY, None, text=factor)
    found = _FACTOR.match(word)
    if found is None or (found.group("impl") is None and "." not in found.group("ver")):
        return None
    implementation = (
        Implementation.PYPY if found.group("impl") == "pypy" else Implementation.CPYTHON
    )
    digits = found.group("ver")
    if "." in digits:
        numbers = tuple(int(n) for n in digits.split("."))
    elif len(digits) == 1:
        numbers = (int(digits),)
    else:
        numbers = (int(digits[0]), int(digits[1:]))
    version = bounded_version(numbers)
    if version is None:
        return None
    return Python(implementation, version, bool(found.group("t")), factor)


def _names(entries: List[Tuple[int, str]]) -> Iterator[Tuple[int, str]]:
    count = 0
    for line, entry in entries:
        for name in expand(entry):
            count += 1
            if count > MAX_NAMES:
                return
            yield line, name


def _read_entries(path: str, text: str, entries: List[Tuple[int, str]]) -> Found:
    lines = Lines(path, text)
    found = Found()
    for line, name in _names(entries):
        for factor in name.split("-"):
            python = factor_python(factor)
            if python is None:
                continue
            if python.version is None:
                found.note(NoteCode.TARGET_NO_VERSION, lines.at(line), factor)
            else:
                found.declare(TargetKind.TOX, lines.at(line), python)
            break
    return found
