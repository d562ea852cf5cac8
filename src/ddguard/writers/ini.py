"""setup.cfg and tox.ini: the requirement on one value line, rewritten in place.

The line is either ``key = requirement`` or a continuation line of a multi-line value;
a tox factor prefix (``py312: ``) and a trailing ``#`` comment stay. The same edit serves
``legacy_tox_ini`` inside pyproject.toml (the caller then checks the TOML document).
After the edit the file is read again with configparser: exactly one option may differ.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.writers.edits import Splice, changes, line_ending, splice
from ddguard.writers.records import Edit, EditRequest
from ddguard.writers.reqfile import physical_lines, planned

_FACTOR = re.compile(r"!?[A-Za-z0-9_.,!-]+[ \t]*:[ \t]+")
_COMMENT = re.compile(r"\s#")


def edit(text: str, request: EditRequest, path: str, check_ini: bool = True) -> Tuple[str, Edit]:
    lines = physical_lines(text)
    number = request.line
    if not 1 <= number <= len(lines):
        raise InputError(f"line {number} is past the end of the file ({len(lines)} lines)", path)
    line = lines[number - 1]
    content = text[line.start : line.content_end]
    stripped = content.strip()
    if not stripped or stripped[0] in "#;[":
        raise InputError(
            "no requirement on this line (a comment, a section or nothing)", path, number
        )
    if content[0] in " \t":
        value_start = len(content) - len(content.lstrip(" \t"))
    else:
        separators = [i for i in (content.find("="), content.find(":")) if i > 0]
        if not separators:
            raise InputError("no requirement on this line (expected key = value)", path, number)
        value_start = min(separators) + 1
        while value_start < len(content) and content[value_start] in " \t":
            value_start += 1
    factor_start = value_start
    factor = _FACTOR.match(content, value_start)
    if factor is not None and not content[value_start:].startswith("-"):
        value_start = factor.end()
    comment = _COMMENT.search(content, value_start)
    value_end = len(content[: comment.start() if comment else len(content)].rstrip())
    before = content[value_start:value_end]
    outcome = planned(before, request, path, number, lambda: _next_value(text, lines, number))
    if isinstance(outcome, Edit):
        return text, outcome
    after, added, notes = outcome
    offset = line.start + value_start
    splices: List[Splice] = []
    for i1, i2, j1, j2 in changes(before, after):
        splices.append((offset + i1, offset + i2, after[j1:j2]))
    if added is not None:
        prefix = content[factor_start:value_start]
        indent = _indent(text, lines, number)
        ending = line_ending(text, line.content_end)
        if line.content_end == line.end:
            splices.append((line.end, line.end, f"{ending}{indent}{prefix}{added}"))
        else:
            splices.append((line.end, line.end, f"{indent}{prefix}{added}{ending}"))
    new = splice(text, splices)
    if check_ini:
        _verify(text, new, path, number)
    return new, Edit(path, number, before, after, tuple(notes), added)


def _indent(text: str, lines: List, number: int) -> str:  # type: ignore[type-arg]
    content = text[lines[number - 1].start : lines[number - 1].content_end]
    if content[:1] in (" ", "\t"):
        return content[: len(content) - len(content.lstrip(" \t"))]
    if number < len(lines):
        following = text[lines[number].start : lines[number].content_end]
        if following[:1] in (" ", "\t") and following.strip():
            return following[: len(following) - len(following.lstrip(" \t"))]
    return "    "


def _next_value(text: str, lines: List, number: int) -> Optional[str]:  # type: ignore[type-arg]
    if number >= len(lines):
        return None
    content = text[lines[number].start : lines[number].content_end].strip()
    factor = _FACTOR.match(content)
    if factor is not None:
        content = content[factor.end() :]
    comment = _COMMENT.search(content)
    return content[: comment.start()].rstrip() if comment else content


def _options(text: str) -> Optional[Dict[Tuple[str, str], str]]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return {(s, k): v for s in parser.sections() for k, v in parser.items(s, raw=True)}


def _verify(old_text: str, new_text: str, path: str, line: int) -> None:
    """Exactly one option may differ (when the original reads as INI at all)."""
    old = _options(old_text)
    if old is None:
        return
    new = _options(new_text)
    if new is None or old.keys() != new.keys():  # pragma: no cover - a writer bug: refuse
        raise InputError(
            "the edit would break the file's INI structure; nothing written", path, line
        )
    if sum(old[k] != new[k] for k in old) != 1:  # pragma: no cover - as above
        raise InputError("the edit would change more than the entry; nothing written", path, line)
