"""A PEP 508 requirement string rewritten in place: the version part changes, the name,
extras, spacing and marker stay; the split form adds a ``python_version`` clause."""

from __future__ import annotations

import re
from typing import Optional, Tuple

from ddguard.record import Record
from ddguard.writers import shape
from ddguard.writers.records import Decision, EditNote, Minor


class Parts(Record):
    """Where each part of a requirement string is written (offsets into the string)."""

    name: str
    head_end: int  # after the name and extras: where an absent specifier is inserted
    spec_start: int  # the version specifier (inside the parentheses, when written so)
    spec_end: int
    url_end: Optional[int]  # "name @ url": the end of the URL (the "@" is after head_end)
    marker_at: Optional[int]  # the ";" that starts the marker


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parts(text: str) -> Parts:
    """The parts of a requirement string; ValueError when it is not one."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        name = Requirement(text).name
    except InvalidRequirement as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    start = _space(text, 0)
    pos = start + len(name)
    written_name = text[start:pos]
    after = _space(text, pos)
    if after < len(text) and text[after] == "[":
        pos = text.index("]", after) + 1
    head_end = pos
    pos = _space(text, pos)
    url_end: Optional[int] = None
    if pos < len(text) and text[pos] == "(":
        close = text.index(")", pos)
        spec_start, spec_end = pos + 1, close
        pos = close + 1
    elif pos < len(text) and text[pos] == "@":
        url_end = _space(text, pos + 1)
        while url_end < len(text) and not text[url_end].isspace():
            url_end += 1
        spec_start = spec_end = head_end
        pos = url_end
    else:
        stop = text.find(";", pos)
        stop = len(text) if stop < 0 else stop
        spec_start, spec_end = pos, len(text[:stop].rstrip())
        spec_end = max(spec_end, spec_start)
    semicolon = text.find(";", pos)
    return Parts(
        written_name,
        head_end,
        spec_start,
        spec_end,
        url_end,
        None if semicolon < 0 else semicolon,
    )


def _space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def rewrite(text: str, decision: Decision) -> shape.Rewritten:
    """The requirement with its version part rewritten (module ``shape`` rules); a direct
    URL reference (``name @ url``) becomes ``name==version``."""
    found = parts(text)
    if found.url_end is not None:
        new = f"{text[: found.head_end]}=={decision.version}{text[found.url_end :]}"
        return shape.Rewritten(new, (EditNote.REFERENCE_REPLACED,))
    spec = text[found.spec_start : found.spec_end]
    moved = shape.rewrite(spec, decision)
    if not spec.strip():
        if not moved.text:
            return shape.Rewritten(text)
        parenthesized = text[found.spec_start - 1 : found.spec_start] == "("
        at = found.spec_start if parenthesized else found.head_end
        return shape.Rewritten(text[:at] + moved.text + text[at:], moved.notes)
    return shape.Rewritten(
        text[: found.spec_start] + moved.text + text[found.spec_end :], moved.notes
    )


def marker_quote(text: str, preferred: str = '"') -> str:
    """The quote the requirement's marker uses, else ``preferred``."""
    found = parts(text)
    marker = "" if found.marker_at is None else text[found.marker_at + 1 :]
    for char in marker:
        if char in "\"'":
            return char
    return preferred


def python_clause(split_at: Minor, newer: bool, quote: str) -> str:
    major, minor = split_at
    return f"python_version {'>=' if newer else '<'} {quote}{major}.{minor}{quote}"


def with_clause(text: str, clause: str) -> str:
    """The requirement with ``clause`` and-ed to its marker (``; clause`` when it has none)."""
    found = parts(text)
    if found.marker_at is None:
        body = text.rstrip()
        return f"{body}; {clause}{text[len(body) :]}"
    head, marker = text[: found.marker_at + 1], text[found.marker_at + 1 :]
    lead = marker[: len(marker) - len(marker.lstrip())]
    body = marker.strip()
    tail = marker[len(marker.rstrip()) :]
    if _has_top_level_or(body):
        body = f"({body})"
    return f"{head}{lead}{body} and {clause}{tail}"


def _has_top_level_or(marker: str) -> bool:
    depth = 0
    quote: Optional[str] = None
    word = []
    for char in marker + " ":
        if quote:
            if char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char.isalnum() or char == "_":
            word.append(char)
            continue
        if "".join(word) == "or" and depth == 0:
            return True
        word = []
    return False


def split(
    text: str, older: Decision, split_at: Minor, newer: Decision, quote: str
) -> Tuple[shape.Rewritten, shape.Rewritten]:
    """The two requirements of the marker-split form: ``older`` below ``split_at``,
    ``newer`` from it on, each keeping the shape and and-ing a ``python_version`` clause."""
    first = rewrite(text, older)
    second = rewrite(text, newer)
    return (
        shape.Rewritten(
            with_clause(first.text, python_clause(split_at, False, quote)), first.notes
        ),
        shape.Rewritten(
            with_clause(second.text, python_clause(split_at, True, quote)), second.notes
        ),
    )
