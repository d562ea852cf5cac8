"""pip requirements and constraints files: ``-r``/``-c`` includes (relative to the including
file; cycles and nesting deeper than ``MAX_NESTING`` refused), ``\\`` continuations,
comments, ``${VAR}`` expansion, per-requirement options (``--hash``), editable, VCS and
direct references.

Includes are followed with an explicit stack, not recursion, and every line is read in
time linear in its length (no backtracking regular expression). Only entries that name a
wanted package are parsed fully; pip validates the rest when it installs.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import TYPE_CHECKING, Iterable, Iterator, List, Optional, Set, Tuple

from ddguard.errors import InputError
from ddguard.model import Note, NoteCode, Origin, OriginKind, Pin
from ddguard.sources.names import DDTRACE, Names
from ddguard.sources.requirement import (
    and_markers,
    editable_pin,
    is_bare_reference,
    make_pin,
    reference_pin,
)
from ddguard.sources.text import MAX_NESTING, QuotingError, read_text, shown

if TYPE_CHECKING:
    from packaging.markers import Marker

_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_INCLUDE_FLAGS = {
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
    "-e": "editable",
    "--editable": "editable",
}
Lines = Iterable[Tuple[int, str]]


class ReadState:
    """What one scan has read so far: pins, notes, the files read (to skip repeats); the
    (canonical) ``names`` it looks for."""

    __slots__ = ("files", "names", "notes", "pins", "read")

    def __init__(self, names: Names = DDTRACE, read: Iterable[str] = ()) -> None:
        self.pins: List[Pin] = []
        self.notes: List[Note] = []
        self.read: Set[str] = set(read)
        self.files: List[str] = []
        self.names = names


def is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def strip_comment(line: str) -> str:
    """pip's ``(^|\\s+)#.*$``: from the first ``#`` that starts the line or follows
    whitespace (a regex would backtrack quadratically on long whitespace runs)."""
    at = line.find("#")
    while at > 0 and not line[at - 1].isspace():
        at = line.find("#", at + 1)
    return line if at < 0 else line[:at]


def logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """pip's preprocessing: join continuations, drop comments, expand ``${VAR}``."""
    joined: List[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not joined and not line.endswith("\\"):  # the common case, kept cheap
            if "#" in line:
                line = strip_comment(line)
            line = line.strip()
            if line:
                yield number, _expand(line) if "${" in line else line
            continue
        comment = is_comment(line)
        if not line.endswith("\\") or comment:
            if comment:
                line = " " + line
            if joined:
                joined.append(line)
                line, number, joined = "".join(joined), first, []
            yield from _clean(number, line)
        else:
            if not joined:
                first = number
            joined.append(line.strip("\\"))
    if joined:
        yield from _clean(first, "".join(joined))


def _clean(number: int, line: str) -> Iterator[Tuple[int, str]]:
    line = strip_comment(line).strip()
    if line:
        yield number, _expand(line)


def _expand(line: str) -> str:
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), line)


def might_name(line: str, names: Names) -> bool:
    """Cheap prefilter: could this line (not an option line) name one of ``names``? A
    line that cannot is not parsed at all (pip validates it when it installs)."""
    lowered = line.lower().replace("_", "-").replace(".", "-")
    return any(name in lowered for name in names) or (
        "ddtrace" in names and "dd-trace-py" in lowered
    )


def split_args_options(line: str) -> Tuple[str, str]:
    """pip's ``break_args_options``: the requirement, then options from the first ``-`` token."""
    tokens = line.split(" ")
    args: List[str] = []
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(args), " ".join(tokens[index:])
        args.append(token)
    return " ".join(args), ""


def requirement_line(args: str, origin: Origin, names: Names = DDTRACE) -> Optional[Pin]:
    if is_bare_reference(args):
        return reference_pin(args, origin, names)
    return make_pin(args, origin, names)


def parse_line(text: str, origin: Origin, names: Names = DDTRACE) -> Optional[Pin]:
    """One requirement as a requirements file would hold it (PEP 508, a URL or a path, ``-e``,
    optionally followed by ``--hash`` options); None when it names none of ``names``."""
    stripped = text.strip()
    if not stripped:
        raise InputError("empty requirement", origin.path, origin.line)
    if stripped.startswith(("-e ", "--editable ", "--editable=")):
        value = (
            stripped.split("=", 1)[1]
            if stripped.startswith("--editable=")
            else stripped.split(None, 1)[1]
        )
        return editable_pin(value.strip(), origin, names)
    args, _ = split_args_options(stripped)
    if not args:
        return None
    return requirement_line(args, origin, names)


# --- files and their includes ------------------------------------------------------------


class _Include:
    __slots__ = ("number", "origin", "target", "value")

    def __init__(self, target: str, value: str, number: int, origin: Origin) -> None:
        self.target, self.value, self.number, self.origin = target, value, number, origin


class _Frame:
    __slots__ = ("includes", "marker", "path", "real")

    def __init__(
        self, path: str, real: str, marker: Optional[Marker], includes: Iterator[_Include]
    ) -> None:
        self.path, self.real, self.marker, self.includes = path, real, marker, includes


def read_file(path: str, state: ReadState, origin: Origin, marker: Optional[Marker] = None) -> None:
    """Read ``path`` and what it includes into ``state``; pins get ``origin`` (its path and
    line replaced) and ``marker``."""
    real = os.path.realpath(path)
    if real in state.read:
        return
    text = read_text(path)
    state.read.add(real)
    state.files.append(path)
    lines = logical_lines(text)
    _drive(_Frame(path, real, marker, _includes(lines, path, state, origin, marker)), state)


def read_lines(
    lines: Lines, path: str, state: ReadState, origin: Origin, marker: Optional[Marker] = None
) -> None:
    """Requirement lines (already preprocessed) written in the file ``path``."""
    includes = _includes(lines, path, state, origin, marker)
    _drive(_Frame(path, os.path.realpath(path), marker, includes), state)


def _drive(root: _Frame, state: ReadState) -> None:
    """Read the root's lines, and each include before the line after it (a stack of line
    generators, not recursion: a chain of includes costs no Python stack)."""
    stack = [root]
    on_stack = {root.real}
    where: List[str] = []  # the include line that opened each frame after the root
    while stack:
        frame = stack[-1]
        include = next(frame.includes, None)
        if include is None:
            stack.pop()
            on_stack.discard(frame.real)
            if where:
                where.pop()
            continue
        line = f"{frame.path}:{include.number}"
        target_real = os.path.realpath(include.target)
        if target_real in on_stack:
            chain = [*where, line]
            if len(chain) > 6:
                chain = [*chain[:2], f"... ({len(chain) - 4} more)", *chain[-2:]]
            raise InputError(
                f"circular include: {' -> '.join(chain)} includes "
                f"{os.path.basename(include.target)} again",
                frame.path,
                include.number,
            )
        if target_real in state.read:
            continue
        if len(stack) > MAX_NESTING:
            raise InputError(
                f"includes nest more than {MAX_NESTING} files deep", frame.path, include.number
            )
        if not os.path.lexists(include.target):
            raise QuotingError(
                f"included file {shown(include.value)} does not exist", frame.path, include.number
            )
        try:
            text = read_text(include.target)
        except InputError as exc:
            if exc.line is not None:
                raise
            raise QuotingError(
                f"included file {shown(include.value)} {exc.message}", frame.path, include.number
            ) from None
        state.read.add(target_real)
        state.files.append(include.target)
        lines = logical_lines(text)
        includes = _includes(lines, include.target, state, include.origin, frame.marker)
        stack.append(_Frame(include.target, target_real, frame.marker, includes))
        on_stack.add(target_real)
        where.append(line)


def _includes(
    lines: Lines, path: str, state: ReadState, origin: Origin, marker: Optional[Marker]
) -> Iterator[_Include]:
    """Reads the lines into ``state``, handing each include to the driver as it comes."""
    base = os.path.dirname(path)
    names = state.names
    for number, line in lines:
        if line[:1] != "-" and not might_name(line, names):
            continue
        here = origin._replace(path=path, line=number)
        args, options = split_args_options(line)
        if args:
            _add(state, requirement_line(args, here, names), marker)
            continue
        for flag, value in _include_options(options, path, number):
            if flag == "editable":
                _add(state, editable_pin(value, here, state.names), marker)
                continue
            if "://" in value:
                state.notes.append(Note(NoteCode.URL_NOT_FETCHED, path, number, text=value))
                continue
            if "\x00" in value:
                raise QuotingError(f"included file {shown(value)} is not a file name", path, number)
            target = value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))
            child = Origin(OriginKind.CONSTRAINT) if flag == "constraint" else origin
            yield _Include(target, value, number, child)


def _add(state: ReadState, pin: Optional[Pin], marker: Optional[Marker]) -> None:
    if pin is not None:
        state.pins.append(
            pin if marker is None else pin._replace(marker=and_markers(pin.marker, marker))
        )


def _include_options(options: str, path: str, line: int) -> Iterator[Tuple[str, str]]:
    if not options:
        return
    try:
        tokens = shlex.split(options)
    except ValueError as exc:
        raise QuotingError(f"cannot read options {shown(options)}: {exc}", path, line) from None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        name, eq, value = token.partition("=")
        if (
            not eq
            and name[:2] in ("-r", "-c", "-e")
            and len(name) > 2
            and not name.startswith("--")
        ):
            name, value, eq = name[:2], name[2:], "="
        flag = _INCLUDE_FLAGS.get(name)
        if flag is None:
            continue  # global options (--index-url, --hash, ...) do not change what is checked
        if not eq:
            if index >= len(tokens):
                raise InputError(f"{name} needs a value", path, line)
            value = tokens[index]
            index += 1
        yield flag, value
