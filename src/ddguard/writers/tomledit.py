"""TOML files edited inside the string that holds the requirement, never re-serialised.

Three kinds of entries: a PEP 508 string in an array (PEP 621 ``dependencies`` and
``optional-dependencies``, PEP 735 groups, ``build-system.requires``, uv and PDM lists,
tox's native ``deps``), a Poetry dependency (``ddtrace = "^1.20"``, an inline table with
``version``, a multiple-constraints list, a ``[...dependencies.ddtrace]`` table) and a
Pipfile package. Only the characters that differ are replaced, inside the literal, keeping
its quoting and escapes. After the edit the document is loaded again and compared with
the original: exactly the edited value may differ, else nothing is written.
"""

from __future__ import annotations

from typing import Any, Tuple

from ddguard.errors import InputError
from ddguard.writers import tomltext
from ddguard.writers.records import Edit, EditRequest, Syntax
from ddguard.writers.tomlarrays import array_string
from ddguard.writers.tomltables import table_entry


def edit(text: str, request: EditRequest, path: str) -> Tuple[str, Edit]:
    """``text`` (a whole TOML document) with the entry at ``request.line`` rewritten."""
    old = tomltext.load(text, path)
    document = tomltext.parse(text, path)
    lines = len(document.line_starts)
    if not 1 <= request.line <= lines:
        raise InputError(f"line {request.line} is past the end of the file ({lines} lines)", path)
    if request.syntax is Syntax.TOML_STRING:
        new, record = array_string(document, request, path)
    elif request.syntax in (Syntax.POETRY, Syntax.PIPFILE):
        new, record = table_entry(document, request, path)
    else:  # pragma: no cover - files.py dispatches only TOML syntaxes here
        raise ValueError(request.syntax)
    if new != text:
        verify(old, new, path, request.line, split=request.split is not None)
    return new, record


def verify(old: Any, new_text: str, path: str, line: int, split: bool = False) -> None:
    """The edited document must load and differ from the original in the edited value only:
    one string (a list, for a split). Else nothing may be written: a writer bug, refused."""
    try:
        new = tomltext.load(new_text, path)
    except InputError:  # pragma: no cover - see the docstring
        raise InputError(
            "the edit would break the TOML document; nothing written", path, line
        ) from None
    found = tomltext.differences(old, new)
    kind = list if split else str
    if len(found) != 1 or not isinstance(found[0][2], kind):  # pragma: no cover - as above
        raise InputError("the edit would change more than the entry; nothing written", path, line)
