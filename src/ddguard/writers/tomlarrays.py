"""PEP 508 strings in TOML arrays (PEP 621 ``dependencies`` and ``optional-dependencies``,
PEP 735 groups, ``build-system.requires``, uv and PDM lists, tox's native ``deps``), edited
inside the literal: only the characters that differ, in the literal's own quoting."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.record import Record
from ddguard.writers import pep508, tomltext
from ddguard.writers.edits import Splice, changes, check_expected, same, shown, splice
from ddguard.writers.records import Edit, EditRequest
from ddguard.writers.reqfile import requirement_result, result_or_error
from ddguard.writers.tomltext import Document, Node


class _Item(Record):
    array: Node
    position: int
    node: Node


def _array_items(document: Document) -> List[_Item]:
    found: List[_Item] = []
    todo = [entry.pair.value for entry in document.entries]
    while todo:
        node = todo.pop()
        if node.kind == "array":
            found.extend(_Item(node, i, item) for i, item in enumerate(node.items))
            todo.extend(node.items)
        elif node.kind == "table":
            todo.extend(pair.value for pair in node.pairs)
    return found


def _names(value: str, name: str) -> bool:
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", value)
    return found is not None and pep508.canonical(found.group(1).rstrip("._-")) == pep508.canonical(
        name
    )


def array_string(document: Document, request: EditRequest, path: str) -> Tuple[str, Edit]:
    text = document.text
    candidates = []
    for item in _array_items(document):
        node = item.node
        if (
            node.kind == "string"
            and len(node.quote) == 1
            and document.line_of(node.start) == request.line
        ):
            value = tomltext.string_value(text, node)
            if _names(value, request.name):
                candidates.append((item, value))
    if not candidates:
        raise InputError(f"no {request.name} requirement string on this line", path, request.line)
    if request.text is not None:
        candidates.sort(key=lambda c: not same(c[1], request.text or ""))
    item, before = candidates[0]
    try:
        pep508.parts(before)
    except ValueError as exc:
        raise InputError(
            f"cannot read requirement {shown(before)}: {exc}", path, request.line
        ) from None
    quote = pep508.marker_quote(before, "'" if item.node.quote == '"' else '"')
    applied = check_expected(
        before,
        request,
        path,
        request.line,
        lambda t: requirement_result(t, request, quote)[:2],
        lambda: _following_string(document, item),
    )
    if applied is not None:
        return text, applied
    after, added, notes = result_or_error(before, request, path, request.line, quote)
    splices = string_splices(text, item.node, after, path, request.line)
    if added is not None:
        splices.extend(_added_item(document, item, added, path, request.line))
    record = Edit(path, request.line, before, after, tuple(notes), added)
    return splice(text, splices), record


def _following_string(document: Document, item: _Item) -> Optional[str]:
    if item.position + 1 >= len(item.array.items):
        return None
    node = item.array.items[item.position + 1]
    if node.kind != "string" or len(node.quote) != 1:
        return None
    return tomltext.string_value(document.text, node)


def string_splices(text: str, node: Node, new_value: str, path: str, line: int) -> List[Splice]:
    """Replace the differing characters of a one-line string, in its own quoting."""
    old_value, offsets = tomltext.decode(text, node)
    splices: List[Splice] = []
    for i1, i2, j1, j2 in changes(old_value, new_value):
        body = tomltext.encode(new_value[j1:j2], node.quote)
        if body is None:
            raise InputError(
                f"a {node.quote}-quoted string cannot hold {shown(new_value)}; edit it by hand",
                path,
                line,
            )
        splices.append((offsets[i1], offsets[i2], body))
    return splices


def literal(value: str, quote: str, path: str, line: int) -> str:
    body = tomltext.encode(value, quote)
    if body is None:
        body, quote = tomltext.encode(value, '"') or "", '"'
    return f"{quote}{body}{quote}"


def _added_item(document: Document, item: _Item, added: str, path: str, line: int) -> List[Splice]:
    """A split's second element, after the first: on its own line when the first has one."""
    return after_element(document, item.node, literal(added, item.node.quote, path, line))


def after_element(document: Document, node: Node, new: str) -> List[Splice]:
    """Insert ``new`` as the array element after ``node``: on a line of its own, with the
    same indentation, when ``node`` is alone on its line; else right after it."""
    text = document.text
    line_start, line_end = document.line_span(document.line_of(node.start))
    indent = text[line_start : node.start]
    rest = text[node.end : line_end]
    tail = rest.lstrip(" \t")
    tail = tail[1:].lstrip(" \t") if tail.startswith(",") else tail
    alone = not indent.strip() and (
        tail in ("\n", "\r\n") or (tail.startswith("#") and tail.endswith("\n"))
    )
    if not alone:
        return [(node.end, node.end, f", {new}")]
    ending = "\r\n" if rest.endswith("\r\n") else "\n"
    if rest.lstrip(" \t").startswith(","):
        return [(line_end, line_end, f"{indent}{new},{ending}")]
    # the last element, written without a trailing comma: so is the new one
    return [(node.end, node.end, ","), (line_end, line_end, f"{indent}{new}{ending}")]
