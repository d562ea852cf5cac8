"""Helpers the format writers share: splicing text, line breaks, and checking that the
entry found is the one the caller read (or already the result of the edit)."""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

from ddguard.errors import InputError
from ddguard.writers.records import Edit, EditNote, EditRequest

Splice = Tuple[int, int, str]  # replace text[start:end] with the string
Result = Tuple[str, Optional[str]]  # the entry after the edit, and a split's second entry


def splice(text: str, splices: Sequence[Splice]) -> str:
    """Apply non-overlapping replacements given as offsets into ``text``."""
    ordered = sorted(splices, key=lambda s: (s[0], s[1]))
    for (_, end, _), (start, _, _) in zip(ordered, ordered[1:]):
        if start < end:  # pragma: no cover - a writer bug, never the input's fault
            raise AssertionError(f"overlapping edits at {start}")
    pieces = []
    taken = 0
    for start, end, new in ordered:
        pieces += [text[taken:start], new]
        taken = end
    pieces.append(text[taken:])
    return "".join(pieces)


def line_ending(text: str, at: int) -> str:
    """The line break at offset ``at``, else the file's first, else ``\\n``."""
    for ending in ("\r\n", "\n", "\r"):
        if text.startswith(ending, at):
            return ending
    newline = text.find("\n")
    if newline > 0 and text[newline - 1] == "\r":
        return "\r\n"
    return "\n"


def changes(old: str, new: str) -> List[Tuple[int, int, int, int]]:
    """The spans that differ (``old[i1:i2]`` becomes ``new[j1:j2]``), each as small as
    difflib finds for requirement-sized strings; one span between the common prefix and
    suffix for long ones (difflib's worst case is quadratic)."""
    if len(old) + len(new) <= 4000:
        from difflib import SequenceMatcher

        matcher = SequenceMatcher(None, old, new, autojunk=False)
        return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    if prefix == len(old) == len(new):
        return []
    return [(prefix, len(old) - suffix, prefix, len(new) - suffix)]


def shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a one-line message, shortened when long."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def same(a: str, b: str) -> bool:
    """Two requirement texts equal but for whitespace."""
    return "".join(a.split()) == "".join(b.split())


def check_expected(
    found: str,
    request: EditRequest,
    path: str,
    line: int,
    result_for: Callable[[str], Result],
    following: Callable[[], Optional[str]],
    matches: Callable[[str, str], bool] = same,
) -> Optional[Edit]:
    """None when the entry is the one the caller read (or the caller gave no text); an
    ``ALREADY_APPLIED`` no-op when the file already holds this edit's result (a second run);
    else InputError: the file changed since it was read."""
    if request.text is None or matches(found, request.text):
        return None
    try:
        after, added = result_for(request.text)
    except (ValueError, InputError):
        after, added = "", None
    following_ok = added is None or matches(following() or "", added)
    if after and matches(found, after) and following_ok:
        return Edit(path, line, found, found, (EditNote.ALREADY_APPLIED,))
    raise InputError(
        f"expected {shown(request.text)} here but found {shown(found)}: "
        "the file changed since it was read",
        path,
        line,
    )
