"""Poetry dependencies (``ddtrace = "^1.20"``, an inline table with ``version``, a
multiple-constraints list, a ``[...dependencies.ddtrace]`` table, ``ddtrace.version``) and
Pipfile packages, edited inside the version string; the split form as a Poetry
multiple-constraints list."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.record import Record
from ddguard.writers import pep508, shape, tomltext
from ddguard.writers.edits import Splice, same, shown, splice
from ddguard.writers.records import Edit, EditNote, EditRequest, Syntax
from ddguard.writers.tomlarrays import after_element, literal, string_splices
from ddguard.writers.tomltext import Document, Node, Pair


class _Target(Record):
    """The entry found: the value holding the version (None: no version key) and the node
    whose text is the entry as written (for the record and the split)."""

    holder: Node  # the string value, inline table or multiple-constraints element
    version: Optional[Node]
    entry_start: int  # where the entry as written starts (key, or element)
    parent_array: Optional[Node]  # a multiple-constraints list holding ``holder``
    position: int  # in ``parent_array``
    whole: bool = True  # ``holder`` is the dependency's whole value (a split can replace it)


def table_entry(document: Document, request: EditRequest, path: str) -> Tuple[str, Edit]:
    text = document.text
    poetry = request.syntax is Syntax.POETRY
    target = _find(document, request, path)
    if target.version is None:
        raise InputError(
            f"{request.name} has no version here (a git, path or URL source?); nothing to rewrite",
            path,
            request.line,
        )
    constraint = tomltext.string_value(text, target.version)
    entry_before = text[target.entry_start : target.holder.end]
    applied = _check_table(document, target, constraint, entry_before, request, path, poetry)
    if applied is not None:
        return text, applied
    if request.split is not None:
        if not poetry:
            raise InputError(
                "a Pipfile holds one entry per package: the split form needs a Poetry or "
                "PEP 508 list; pin by hand",
                path,
                request.line,
            )
        if not target.whole:
            raise InputError(
                f"the split form needs {request.name} written as one value "
                f'({request.name} = "..." or an inline table); split this table by hand',
                path,
                request.line,
            )
        return _poetry_split(document, target, constraint, request, path)
    new_constraint, notes = _constraint(constraint, request, poetry, path)
    splices = string_splices(text, target.version, new_constraint, path, request.line)
    new = splice(text, splices)
    shift = len(new) - len(text)
    entry_after = new[target.entry_start : target.holder.end + shift]
    return new, Edit(path, request.line, entry_before, entry_after, notes)


def _constraint(
    constraint: str, request: EditRequest, poetry: bool, path: str, decision: Any = None
) -> Tuple[str, Tuple[EditNote, ...]]:
    decision = decision or request.decision
    if not poetry and constraint.strip() == "*":
        bounds = shape.rewrite("", decision)
        return (bounds.text or constraint), bounds.notes
    try:
        moved = shape.rewrite(constraint, decision, poetry=poetry)
    except ValueError as exc:
        raise InputError(
            f"cannot read version {shown(constraint)}: {exc}", path, request.line
        ) from None
    return moved.text, moved.notes


def _next_version(document: Document, target: _Target) -> Optional[str]:
    """The version of the multiple-constraints element after ``target`` (an applied split)."""
    array = target.parent_array
    if array is None or target.position + 1 >= len(array.items):
        return None
    version = _version(array.items[target.position + 1])
    return None if version is None else tomltext.string_value(document.text, version)


def _check_table(
    document: Document,
    target: _Target,
    constraint: str,
    entry: str,
    request: EditRequest,
    path: str,
    poetry: bool,
) -> Optional[Edit]:
    """Poetry/Pipfile: the caller's text must name the package and hold this constraint;
    an ``ALREADY_APPLIED`` no-op when the file holds this edit's result."""
    expected = request.text
    if expected is None:
        return None
    applied = Edit(path, request.line, entry, entry, (EditNote.ALREADY_APPLIED,))
    try:
        written = _expected_constraint(expected)
        after, _ = _constraint(written, request, poetry, path)
        newer = None
        if request.split is not None:
            newer, _ = _constraint(written, request, poetry, path, request.split.newer)
    except (InputError, ValueError):
        after, newer = "", None
    split_done = request.split is not None and same(after, constraint)
    if split_done and _split_done(document, target, newer, request):
        return applied
    squeezed = "".join(expected.split())
    quoted = (f'"{constraint}"', f"'{constraint}'")
    if (
        constraint.strip() in ("", "*")
        or same(constraint, expected)
        or any("".join(q.split()) in squeezed for q in quoted)
    ):
        return None
    if request.split is None and after and same(after, constraint):
        return applied
    raise InputError(
        f"expected {shown(expected)} here but found {shown(entry)}: the file changed since it was read",
        path,
        request.line,
    )


def _split_done(
    document: Document, target: _Target, newer: Optional[str], request: EditRequest
) -> bool:
    """Whether ``target`` and the element after it are the split's two entries."""
    assert request.split is not None
    major, minor = request.split.python
    python = next(
        (p.value for p in target.holder.pairs if p.key == ("python",) and p.value.kind == "string"),
        None,
    )
    if python is None or newer is None:
        return False
    bound = tomltext.string_value(document.text, python).replace(" ", "")
    return bound.endswith(f"<{major}.{minor}") and _next_version(document, target) == newer


def _expected_constraint(expected: str) -> str:
    """The version constraint in a reader's text: ``ddtrace = {version = "^1.20"}`` -> ^1.20,
    ``ddtrace = "^1.20"`` -> ^1.20."""
    at = expected.find("version")
    text = expected[at:] if at >= 0 else expected[expected.find("=") + 1 :]
    start = min((i for i in (text.find('"'), text.find("'")) if i >= 0), default=-1)
    if start < 0 or "=" not in expected:
        raise ValueError("no constraint")
    end = text.find(text[start], start + 1)
    if end < 0:
        raise ValueError("no constraint")
    return text[start + 1 : end]


def _find(document: Document, request: EditRequest, path: str) -> _Target:
    line = request.line
    name = pep508.canonical(request.name)
    for header_index, header in enumerate(document.headers):
        if header.key and pep508.canonical(header.key[-1]) == name:
            end = (
                document.headers[header_index + 1].start
                if header_index + 1 < len(document.headers)
                else len(document.text)
            )
            if document.line_of(header.start) <= line <= document.line_of(max(end - 1, 0)):
                for entry in document.entries:
                    if entry.table == header.key and entry.pair.key == ("version",):
                        value = entry.pair.value
                        version = value if value.kind == "string" else None
                        return _Target(value, version, header.start, None, 0, False)
                raise InputError(f"the [{'.'.join(header.key)}] table has no version", path, line)
    for entry in document.entries:
        pair = entry.pair
        key = pair.key
        direct = pep508.canonical(key[-1]) == name
        dotted = len(key) >= 2 and key[-1] == "version" and pep508.canonical(key[-2]) == name
        if not (direct or dotted):
            continue
        value = pair.value
        first, last = document.line_of(pair.start), document.line_of(max(value.end - 1, 0))
        if not first <= line <= last:
            continue
        if value.kind == "string":
            return _Target(value, value, pair.start, None, 0, not dotted)
        if value.kind == "table":
            return _Target(value, _version(value), pair.start, None, 0)
        if value.kind == "array":
            return _element(document, pair, value, request, path)
        raise InputError(f"{request.name}: unexpected value", path, line)
    raise InputError(f"no {request.name} entry on this line", path, line)


def _version(table: Node) -> Optional[Node]:
    for pair in table.pairs:
        if pair.key == ("version",) and pair.value.kind == "string":
            return pair.value
    return None


def _element(
    document: Document, pair: Pair, array: Node, request: EditRequest, path: str
) -> _Target:
    """The element of a multiple-constraints list that the line points at."""
    line = request.line
    options = []
    for index, item in enumerate(array.items):
        if item.kind != "table":
            continue
        version = _version(item)
        lines = {document.line_of(item.start)}
        if version is not None:
            lines.add(document.line_of(version.start))
        if line in lines:
            options.append((index, item, version))
    if not options:
        if (
            document.line_of(pair.start) == line
            and len(array.items) == 1
            and array.items[0].kind == "table"
        ):
            item = array.items[0]
            return _Target(item, _version(item), item.start, array, 0)
        raise InputError(f"no element of the {request.name} list on this line", path, line)
    if len(options) > 1 and request.text is not None:
        text = document.text
        options.sort(
            key=lambda o: (
                not (
                    o[2] is not None
                    and "".join(tomltext.string_value(text, o[2]).split())
                    in "".join((request.text or "").split())
                )
            )
        )
    index, item, version = options[0]
    return _Target(item, version, item.start, array, index)


def _poetry_split(
    document: Document, target: _Target, constraint: str, request: EditRequest, path: str
) -> Tuple[str, Edit]:
    assert request.split is not None
    text = document.text
    line = request.line
    older, notes_a = _constraint(constraint, request, True, path)
    newer, notes_b = _constraint(constraint, request, True, path, request.split.newer)
    major, minor = request.split.python
    holder = target.holder
    quote = target.version.quote if target.version is not None else '"'
    if holder.kind == "string":
        first = f"{{version = {literal(older, quote, path, line)}, python = {quote}<{major}.{minor}{quote}}}"
        second = f"{{version = {literal(newer, quote, path, line)}, python = {quote}>={major}.{minor}{quote}}}"
        replacement = f"[{first}, {second}]"
        new = splice(text, [(holder.start, holder.end, replacement)])
        before = text[target.entry_start : holder.end]
        record = Edit(
            path,
            line,
            before,
            f"{text[target.entry_start : holder.start]}{first}",
            _notes(notes_a, notes_b),
            second,
        )
        return new, record
    first = _table_variant(text, holder, older, f"<{major}.{minor}", path, line)
    second = _table_variant(text, holder, newer, f">={major}.{minor}", path, line)
    before = text[target.entry_start : holder.end]
    if target.parent_array is None:
        new = splice(text, [(holder.start, holder.end, f"[{first}, {second}]")])
        after = f"{text[target.entry_start : holder.start]}{first}"
    else:
        splices = [(holder.start, holder.end, first), *after_element(document, holder, second)]
        new = splice(text, splices)
        after = first
    return new, Edit(path, line, before, after, _notes(notes_a, notes_b), second)


def _notes(*groups: Tuple[EditNote, ...]) -> Tuple[EditNote, ...]:
    return tuple(dict.fromkeys(n for group in groups for n in group))


def _table_variant(text: str, table: Node, version: str, python: str, path: str, line: int) -> str:
    """An inline table's text with its version replaced and ``python`` and-ed in."""
    splices: List[Splice] = []
    version_node = _version(table)
    assert version_node is not None
    quote = version_node.quote
    splices.append((version_node.start, version_node.end, literal(version, quote, path, line)))
    python_node = next(
        (p.value for p in table.pairs if p.key == ("python",) and p.value.kind == "string"), None
    )
    if python_node is not None:
        old = tomltext.string_value(text, python_node)
        if "||" in old:
            raise InputError(
                f"python {shown(old)} is a union: cannot add {python} to it; split by hand",
                path,
                line,
            )
        splices.append(
            (
                python_node.start,
                python_node.end,
                literal(f"{old},{python}", python_node.quote, path, line),
            )
        )
    else:
        inner_end = table.end - 1
        while text[inner_end - 1] in " \t":
            inner_end -= 1
        splices.append((inner_end, inner_end, f", python = {quote}{python}{quote}"))
    shifted = [(a - table.start, b - table.start, r) for a, b, r in splices]
    return splice(text[table.start : table.end], shifted)
