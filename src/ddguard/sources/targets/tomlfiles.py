"""TOML project files: Pipfile ``[requires]`` and pyproject.toml (``[tool.ddguard]
targets``, ``[tool.tox]``). ``requires-python`` is a range, judged elsewhere: it is never
read here as a version."""

from __future__ import annotations

import re
from typing import Any, List

from ddguard.errors import InputError
from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets import tox
from ddguard.sources.targets.common import Found, Lines, Python, python_words
from ddguard.sources.text import load_toml
from ddguard.target import Target


def read_pipfile(path: str, text: str) -> Found:
    """``python_version`` and ``python_full_version`` of ``[requires]``."""
    lines = Lines(path, text)
    found = Found()
    requires = load_toml(text, path).get("requires")
    if not isinstance(requires, dict):
        return found
    header = _header_line(text, "requires")
    for key in ("python_version", "python_full_version"):
        value = requires.get(key)
        if not isinstance(value, str):
            continue
        line = _key_line(text, key, header)
        python = python_words(value)
        if python is None or python.version is None:
            found.note(NoteCode.TARGET_NO_VERSION, lines.at(line), value)
        else:
            found.declare(TargetKind.PIPFILE, lines.at(line), python)
    return found


def read_pyproject(path: str, text: str) -> Found:
    """``[tool.ddguard] targets`` (compact targets, read by :mod:`ddguard.target`) and
    ``[tool.tox]`` environment lists."""
    found = Found()
    document = load_toml(text, path)
    tool = document.get("tool")
    if not isinstance(tool, dict):
        return found
    ddguard = tool.get("ddguard")
    if isinstance(ddguard, dict):
        found.extend(_ddguard_targets(path, text, ddguard.get("targets")))
    tox_table = tool.get("tox")
    if isinstance(tox_table, dict):
        found.extend(tox.read_pyproject_tox(path, text, tox_table))
    return found


def _ddguard_targets(path: str, text: str, value: Any) -> Found:
    lines = Lines(path, text)
    found = Found()
    if value is None:
        return found
    items: List[Any] = (
        [value] if isinstance(value, str) else value if isinstance(value, list) else []
    )
    if not items or not all(isinstance(v, str) for v in items):
        raise InputError(
            "[tool.ddguard] targets must be a list of strings",
            path,
            _header_line(text, "tool.ddguard"),
        )
    header = _header_line(text, "tool.ddguard")
    for item in items:
        line = _value_line(text, item, header)
        try:
            target = Target.from_compact(item)
        except InputError as exc:
            raise InputError(exc.message, path, line) from None
        version = target.python_version
        python = Python(target.implementation, version, target.free_threaded, item)
        platform = item.strip().partition("-")[2]
        found.declare(
            TargetKind.DDGUARD_CONFIG,
            lines.at(line),
            python,
            os=target.os,
            arch=target.arch,
            libc=target.libc,
            platform_tag=platform,
        )
    return found


def _header_line(text: str, name: str) -> int:
    pattern = re.compile(r"^\s*\[\s*" + re.escape(name).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    for number, raw in enumerate(text.splitlines(), 1):
        if pattern.match(raw):
            return number
    return 1


def _key_line(text: str, key: str, start: int) -> int:
    pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return start


def _value_line(text: str, value: str, start: int) -> int:
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        if f'"{value}"' in lines[number - 1] or f"'{value}'" in lines[number - 1]:
            return number
    return start
