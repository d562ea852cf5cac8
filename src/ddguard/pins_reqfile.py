"""pip requirements and constraints files: ``-r``/``-c`` includes (relative to the including
file, cycles refused), ``\\`` continuations, comments, ``${VAR}`` expansion, per-requirement
options (``--hash``), editable/VCS/direct references.

Only entries that name ddtrace are parsed fully; pip validates the rest when it installs.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, List, Optional, Set, Tuple

from ddguard.errors import InputError
from ddguard.pins_common import (
    DDTRACE,
    Names,
    and_markers,
    canonical,
    make_pin,
    marker_or_error,
    read_text,
    url_pin_facts,
    wanted,
    wheel_facts,
)

if TYPE_CHECKING:
    from ddguard.pins import Pin, PinKind

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_NAMED_REFERENCE = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_ARCHIVE = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")
_INCLUDE_FLAGS = {
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
    "-e": "editable",
    "--editable": "editable",
}


@dataclass
class ReadState:
    """What one scan has read so far: files (to skip repeats) and notes; ``names`` are the
    (canonical) packages it looks for."""

    pins: List[Pin] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    read: Set[str] = field(default_factory=set)
    files: List[str] = field(default_factory=list)
    names: Names = DDTRACE


def logical_lines(text: str) -> Iterator[Tuple[int, str]]:
    """pip's preprocessing: join continuations, drop comments, expand ``${VAR}``."""
    joined: List[str] = []
    first = 0
    pending: List[Tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.endswith("\\") or _COMMENT.match(line):
            if _COMMENT.match(line):
                line = " " + line
            if joined:
                joined.append(line)
                pending.append((first, "".join(joined)))
                joined = []
            else:
                pending.append((number, line))
        else:
            if not joined:
                first = number
            joined.append(line.strip("\\"))
    if joined:
        pending.append((first, "".join(joined)))
    for number, line in pending:
        line = _COMMENT.sub("", line).strip()
        if line:
            yield number, _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), line)


def split_args_options(line: str) -> Tuple[str, str]:
    """pip's ``break_args_options``: the requirement, then options from the first ``-`` token."""
    tokens = line.split(" ")
    args: List[str] = []
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(args), " ".join(tokens[index:])
        args.append(token)
    return " ".join(args), ""


def read_file(
    path: str,
    state: ReadState,
    *,
    kind: Optional[PinKind] = None,
    stack: Tuple[Tuple[str, str], ...] = (),
    context: Optional[str] = None,
) -> None:
    """Read ``path`` (and what it includes) into ``state``."""
    real = os.path.realpath(path)
    if any(real == seen for seen, _ in stack):
        chain = " -> ".join(where for _, where in stack)
        raise InputError(
            f"circular include: {chain} includes {os.path.basename(path)} again",
            stack[-1][1].rsplit(":", 1)[0],
            int(stack[-1][1].rsplit(":", 1)[1]),
        )
    if real in state.read:
        return
    state.read.add(real)
    state.files.append(path)
    text = read_text(path)
    read_lines(logical_lines(text), path, state, kind=kind, stack=stack, real=real, context=context)


def read_lines(
    lines: Iterable[Tuple[int, str]],
    path: str,
    state: ReadState,
    *,
    kind: Optional[PinKind] = None,
    stack: Tuple[Tuple[str, str], ...] = (),
    real: Optional[str] = None,
    context: Optional[str] = None,
    extra_marker_text: Optional[str] = None,
) -> None:
    """Requirement lines (already preprocessed) of a file at ``path``."""
    from ddguard.pins import PinKind

    kind = kind or PinKind.DECLARED
    real = real or os.path.realpath(path)
    base = os.path.dirname(path)
    for number, line in lines:
        where = f"{path}:{number}"
        args, options = split_args_options(line)
        if args:
            pin = requirement_line(args, where, path, number, kind, context, state.names)
            if pin is not None:
                state.pins.append(_with_marker(pin, extra_marker_text, path, number))
            continue
        for flag, value in _include_options(options, path, number):
            if flag == "editable":
                pin = editable_line(value, where, kind, context, state.names)
                if pin is not None:
                    state.pins.append(_with_marker(pin, extra_marker_text, path, number))
                continue
            if "://" in value:
                state.notes.append(f"{where}: {value} is a URL; ddguard does not fetch it")
                continue
            target = value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))
            if not os.path.isfile(target):
                raise InputError(f"included file {value!r} does not exist", path, number)
            included_kind = PinKind.CONSTRAINT if flag == "constraint" else kind
            read_file(
                target,
                state,
                kind=included_kind,
                stack=(*stack, (real, where)),
                context="constraint" if included_kind is PinKind.CONSTRAINT else context,
            )


def _with_marker(pin: Pin, marker_text: Optional[str], path: str, line: int) -> Pin:
    if marker_text is None:
        return pin
    from dataclasses import replace

    return replace(pin, marker=and_markers(pin.marker, marker_or_error(marker_text, path, line)))


def _include_options(options: str, path: str, line: int) -> Iterator[Tuple[str, str]]:
    try:
        tokens = shlex.split(options)
    except ValueError as exc:
        raise InputError(f"cannot read options {options!r}: {exc}", path, line) from None
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


def _is_reference(args: str) -> bool:
    if _NAMED_REFERENCE.match(args):
        return False  # PEP 508 "name @ url"
    head = args.split(";", 1)[0].strip()
    name = head.split("#", 1)[0]
    return (
        "://" in head
        or head.startswith((".", "/", "~"))
        or name.endswith(_ARCHIVE)
        or head.startswith(("git+", "hg+", "svn+", "bzr+"))
    )


def requirement_line(
    args: str,
    source: str,
    path: str,
    line: int,
    kind: PinKind,
    context: Optional[str],
    names: Names = DDTRACE,
) -> Optional[Pin]:
    if _is_reference(args):
        return reference_line(args, source, path, line, kind, context, names)
    return make_pin(args, source, kind=kind, context=context, path=path, line=line, names=names)


def _reference_name(reference: str) -> Optional[str]:
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", reference)
    if egg:
        return egg.group(1).split("[", 1)[0]
    facts_name = reference.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0]
    for suffix in _ARCHIVE:
        if facts_name.endswith(suffix):
            return facts_name.split("-", 1)[0]
    if canonical(facts_name) in ("ddtrace", "dd-trace-py"):
        return "ddtrace"
    return None


def reference_line(
    args: str,
    source: str,
    path: str,
    line: int,
    kind: PinKind,
    context: Optional[str],
    names: Names = DDTRACE,
) -> Optional[Pin]:
    """A bare URL or path (``https://…/ddtrace-2.8.5-….whl``, ``./ddtrace-….tar.gz``)."""
    from packaging.specifiers import SpecifierSet

    from ddguard.pins import Pin

    reference, _, marker_text = args.partition(";")
    reference = reference.strip()
    name = _reference_name(reference)
    if name is None or not wanted(name, names):
        return None
    marker = marker_or_error(marker_text.strip(), path, line) if marker_text.strip() else None
    if "://" in reference or reference.startswith(("git+", "hg+", "svn+", "bzr+")):
        version, tags, unknown = url_pin_facts(reference)
    else:
        facts = wheel_facts(reference)
        version, tags = (facts[0], facts[1]) if facts else (None, ())
        unknown = (
            None if facts else f"local path {reference}: its version is only known once it is built"
        )
    return Pin(
        requirement=args.strip(),
        source=source,
        specifier=SpecifierSet(f"=={version}") if version else SpecifierSet(),
        marker=marker,
        kind=kind,
        context=context,
        unknown_reason=unknown,
        wheel_tags=tags,
        name=name,
    )


def editable_line(
    value: str, source: str, kind: PinKind, context: Optional[str], names: Names = DDTRACE
) -> Optional[Pin]:
    from packaging.specifiers import SpecifierSet

    from ddguard.pins import Pin

    name = _reference_name(value)
    if name is None or not wanted(name, names):
        return None
    return Pin(
        requirement=f"-e {value}",
        source=source,
        specifier=SpecifierSet(),
        kind=kind,
        context=context,
        unknown_reason=f"editable install of {value}: its version is only known once it is built",
        name=name,
    )
