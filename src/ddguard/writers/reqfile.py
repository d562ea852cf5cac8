"""pip requirements and constraints files: the entry that starts at a line, rewritten in place.

The entry is pip's logical line: the physical line and the ``\\`` continuations after it.
Only the requirement's own characters change; ``--hash`` options of the entry are removed
(the hashes of another release would make pip refuse it), with continuation lines left
empty by that removal; comments (``# via`` lines of pip-compile output included), other
options, spacing and line endings stay.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Sequence, Tuple, Union

from ddguard.errors import InputError
from ddguard.record import Record
from ddguard.writers import pep508
from ddguard.writers.edits import Splice, changes, check_expected, line_ending, shown, splice
from ddguard.writers.records import Edit, EditNote, EditRequest


class _Line(Record):
    start: int
    content_end: int  # before the line break
    end: int  # after the line break


def physical_lines(text: str) -> List[_Line]:
    """Lines the way pip numbers them (``str.splitlines``), with their offsets."""
    lines = []
    pos = 0
    for piece in text.splitlines(keepends=True):
        content = piece.splitlines()[0] if piece.splitlines() else ""
        lines.append(_Line(pos, pos + len(content), pos + len(piece)))
        pos += len(piece)
    return lines


def _is_comment(content: str) -> bool:
    return content.lstrip().startswith("#")


def comment_start(text: str) -> int:
    """Where pip's ``(^|\\s+)#.*$`` comment starts (the end when there is none), found in
    linear time: the whitespace before the first ``#`` that starts the text or follows
    whitespace."""
    pos = text.find("#")
    while pos >= 0:
        if pos == 0 or text[pos - 1].isspace():
            while pos > 0 and text[pos - 1].isspace():
                pos -= 1
            return pos
        pos = text.find("#", pos + 1)
    return len(text)


def hash_options(content: str) -> List[Tuple[int, int]]:
    """The ``--hash=...``/``--hash ...`` options in a line, each with the blanks before it."""
    spans = []
    pos = content.find("--hash")
    while pos >= 0:
        after = pos + len("--hash")
        value = after + 1 if content[after : after + 1] == "=" else after
        while value == after and value < len(content) and content[value] in " \t":
            value += 1
        end = value
        while end < len(content) and content[end] not in " \t\\":
            end += 1
        starts_token = pos == 0 or content[pos - 1] in " \t"
        if starts_token and end > value and value > after:
            start = pos
            while start > 0 and content[start - 1] in " \t":
                start -= 1
            spans.append((start, end))
            pos = content.find("--hash", end)
        else:
            pos = content.find("--hash", after)
    return spans


def _continues(text: str, line: _Line) -> bool:
    content = text[line.start : line.content_end]
    return content.endswith("\\") and not _is_comment(content)


class _Entry(Record):
    chain: Tuple[int, ...]  # indexes of the physical lines pip joins into the entry
    logical: str
    positions: Tuple[int, ...]  # offset in the file of each logical character (-1: none)
    req_start: int  # the requirement in ``logical``
    req_end: int
    options_start: int  # where its options begin in ``logical`` (== cut when none)


def _entry(text: str, lines: Sequence[_Line], index: int, path: str, number: int) -> _Entry:
    if index > 0 and _continues(text, lines[index - 1]):
        raise InputError(
            "this line continues the one before; the entry starts earlier", path, number
        )
    chain = [index]
    while _continues(text, lines[chain[-1]]) and chain[-1] + 1 < len(lines):
        chain.append(chain[-1] + 1)
    chars: List[str] = []
    positions: List[int] = []
    for k in chain:
        line = lines[k]
        content = text[line.start : line.content_end]
        if _continues(text, line):  # pip strips the backslashes (also at the end of the file)
            lead = len(content) - len(content.lstrip("\\"))
            body = content.strip("\\")
            chars.extend(body)
            positions.extend(range(line.start + lead, line.start + lead + len(body)))
            continue
        if k != index and _is_comment(content):
            chars.append(" ")
            positions.append(-1)
        chars.extend(content)
        positions.extend(range(line.start, line.content_end))
    logical = "".join(chars)
    cut = comment_start(logical)
    start = 0
    while start < cut and logical[start] in " \t":
        start += 1
    options = cut
    for i in range(start, cut):
        if logical[i] == "-" and (i == start or logical[i - 1] == " "):
            options = i
            break
    end = options
    while end > start and logical[end - 1] in " \t":
        end -= 1
    if start == end:
        what = logical[start:cut].split(" ", 1)[0]
        raise InputError(
            f"no requirement here ({shown(what)})" if what else "no requirement here", path, number
        )
    return _Entry(tuple(chain), logical, tuple(positions), start, end, options)


def edit(text: str, request: EditRequest, path: str) -> Tuple[str, Edit]:
    """``text`` with the entry at ``request.line`` rewritten, and what was done."""
    lines = physical_lines(text)
    number = request.line
    if not 1 <= number <= len(lines):
        raise InputError(f"line {number} is past the end of the file ({len(lines)} lines)", path)
    entry = _entry(text, lines, number - 1, path, number)
    before = entry.logical[entry.req_start : entry.req_end]
    if "${" in before:
        raise InputError(
            f"{shown(before)} takes its version from an environment variable", path, number
        )
    outcome = planned(before, request, path, number, lambda: _next_entry(text, lines, entry))
    if isinstance(outcome, Edit):
        return text, outcome
    after, added, notes = outcome
    edits = _requirement_splices(entry, before, after, path, number)
    removed = _hash_splices(text, lines, entry)
    if removed:
        notes.append(EditNote.HASHES_REMOVED)
    edits.extend(removed)
    if added is not None:
        edits.append(_added_line(text, lines, entry, added))
    record = Edit(path, number, before, after, tuple(dict.fromkeys(notes)), added)
    return splice(text, edits), record


def requirement_result(
    before: str, request: EditRequest, quote: str
) -> Tuple[str, Optional[str], List[EditNote]]:
    """A PEP 508 requirement after the request: (entry, split's second entry, notes).
    ValueError when the version part cannot be read."""
    if request.split is None:
        moved = pep508.rewrite(before, request.decision)
        return moved.text, None, list(moved.notes)
    first, second = pep508.split(
        before, request.decision, request.split.python, request.split.newer, quote
    )
    return first.text, second.text, list(dict.fromkeys((*first.notes, *second.notes)))


def planned(
    before: str,
    request: EditRequest,
    path: str,
    number: int,
    following: Callable[[], Optional[str]],
) -> Union[Edit, Tuple[str, Optional[str], List[EditNote]]]:
    """A PEP 508 entry as written on a line: the no-op edit when the file already holds the
    result (a second run), else what the entry becomes (after, a split's added entry, notes)."""
    try:
        found = pep508.parts(before)
    except ValueError as exc:
        raise InputError(f"cannot read requirement {shown(before)}: {exc}", path, number) from None
    if pep508.canonical(found.name) != pep508.canonical(request.name):
        raise InputError(f"line {number} names {found.name}, not {request.name}", path, number)
    applied = check_expected(
        before,
        request,
        path,
        number,
        lambda t: requirement_result(t, request, pep508.marker_quote(t))[:2],
        following,
    )
    return applied if applied is not None else result_or_error(before, request, path, number)


def result_or_error(
    before: str, request: EditRequest, path: str, line: int, quote: Optional[str] = None
) -> Tuple[str, Optional[str], List[EditNote]]:
    try:
        return requirement_result(before, request, quote or pep508.marker_quote(before))
    except ValueError as exc:
        raise InputError(f"cannot read requirement {shown(before)}: {exc}", path, line) from None


def _next_entry(text: str, lines: Sequence[_Line], entry: _Entry) -> Optional[str]:
    """The requirement on the line after the entry (to recognise an applied split)."""
    after = _after_entry(text, lines, entry)
    index = next((i for i, line in enumerate(lines) if line.start == after), None)
    if index is None:
        return None
    try:
        found = _entry(text, lines, index, "", index + 1)
    except InputError:
        return None
    return found.logical[found.req_start : found.req_end]


def _requirement_splices(
    entry: _Entry, before: str, after: str, path: str, number: int
) -> List[Splice]:
    """Replace only the characters that differ, each where it is written (a requirement
    continued over lines keeps its line breaks)."""
    splices: List[Splice] = []
    for i1, i2, j1, j2 in changes(before, after):
        start, stop, middle = entry.req_start + i1, entry.req_start + i2, after[j1:j2]
        if start == stop:
            at = entry.positions[start] if start < len(entry.positions) else -1
            if at < 0:
                at = entry.positions[start - 1] + 1
            splices.append((at, at, middle))
            continue
        positions = entry.positions[start:stop]
        if min(positions) < 0:  # pragma: no cover - pip's space before a joined comment line
            raise InputError("cannot edit a requirement joined to a comment line", path, number)
        runs: List[List[int]] = []
        for pos in positions:
            if runs and runs[-1][1] == pos:
                runs[-1][1] = pos + 1
            else:
                runs.append([pos, pos + 1])
        splices.append((runs[0][0], runs[0][1], middle))
        splices.extend((a, b, "") for a, b in runs[1:])
    return splices


def _hash_splices(text: str, lines: Sequence[_Line], entry: _Entry) -> List[Splice]:
    """Remove the entry's ``--hash`` options, with the continuation lines that held only
    hashes (and the ``\\`` that led to them when they end the entry)."""
    after_requirement = (
        entry.positions[entry.req_end]
        if entry.req_end < len(entry.positions) and entry.positions[entry.req_end] >= 0
        else lines[entry.chain[-1]].content_end
    )
    splices: List[Splice] = []
    hash_only: List[bool] = []
    for k in entry.chain:
        line = lines[k]
        region = min(max(line.start, after_requirement), line.content_end)
        content = text[region : line.content_end]
        tokens = hash_options(content)
        rest = "".join(
            content[a:b]
            for a, b in zip([0] + [t[1] for t in tokens], [t[0] for t in tokens] + [len(content)])
        )
        rest = rest.rstrip("\\").strip()
        whole = k != entry.chain[0] and region == line.start and bool(tokens) and not rest
        hash_only.append(whole)
        if not whole:
            splices.extend((region + a, region + b, "") for a, b in tokens)
    if not splices and not any(hash_only):
        return []
    tail = len(entry.chain)
    while tail > 1 and hash_only[tail - 1]:
        tail -= 1
    for position in range(1, tail):
        if hash_only[position]:
            line = lines[entry.chain[position]]
            splices.append((line.start, line.end, ""))
    if tail < len(entry.chain):
        kept = lines[entry.chain[tail - 1]]
        content = text[kept.start : kept.content_end]
        cut = kept.start + len(content.rstrip("\\").rstrip(" \t"))
        splices.append((cut, lines[entry.chain[-1]].content_end, ""))
    return splices


def _after_entry(text: str, lines: Sequence[_Line], entry: _Entry) -> int:
    """Where a split's second line goes: after the entry and its indented comment lines."""
    index = entry.chain[-1] + 1
    while index < len(lines) and re.match(r"[ \t]+#", text[lines[index].start : lines[index].end]):
        index += 1
    return lines[index - 1].end


def _added_line(text: str, lines: Sequence[_Line], entry: _Entry, added: str) -> Splice:
    first = lines[entry.chain[0]]
    content = text[first.start : first.content_end]
    indent = content[: len(content) - len(content.lstrip(" \t"))]
    at = _after_entry(text, lines, entry)
    ending = line_ending(text, lines[entry.chain[-1]].content_end)
    previous = next(line for line in lines if line.end == at)
    if previous.content_end == previous.end:  # the file ends without a line break
        return (at, at, f"{ending}{indent}{added}")
    return (at, at, f"{indent}{added}{ending}")
