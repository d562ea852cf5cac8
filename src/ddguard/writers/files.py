"""One project file: read it (inside the project only), apply the edits, write it back.

:func:`plan` computes a :class:`FileChange` without writing; :func:`apply` writes it
atomically, refusing when the file changed since :func:`plan` read it. The encoding is
UTF-8; a byte order mark, line endings and a missing final newline are kept.
"""

from __future__ import annotations

import os
import stat
from typing import List, Optional, Sequence, Tuple

from ddguard.errors import InputError
from ddguard.writers import ini, reqfile, tomledit, tomltext
from ddguard.writers.diff import write_atomic
from ddguard.writers.records import Edit, EditRequest, FileChange, Syntax

MAX_BYTES = 16 * 1024 * 1024  # no project file is larger; refuse rather than read /dev/zero
_BOM = b"\xef\xbb\xbf"


def syntax_for(path: str, tool: Optional[str] = None) -> Syntax:
    """The syntax of an entry read from ``path`` (``Origin.path``), ``tool`` the table's
    owner (``Origin.tool``: "poetry", "pipenv", "uv", "pdm", "tox", ...)."""
    base = os.path.basename(path)
    if base == "Pipfile" or tool == "pipenv":
        return Syntax.PIPFILE
    if base.endswith(".toml"):
        return Syntax.POETRY if tool == "poetry" else Syntax.TOML_STRING
    if base.endswith((".cfg", ".ini")):
        return Syntax.INI
    return Syntax.REQUIREMENTS


def resolve(root: str, path: str) -> Tuple[str, str]:
    """The real file ``path`` names (relative to ``root`` unless absolute) and its path
    relative to the project; InputError when it resolves outside the project (``..``, an
    absolute path elsewhere, a symbolic link leading out)."""
    top = os.path.realpath(root)
    real = os.path.realpath(path if os.path.isabs(path) else os.path.join(root, path))
    try:
        inside = os.path.commonpath([top, real]) == top
    except ValueError:  # another drive
        inside = False
    if not inside or real == top:
        raise InputError(
            "is outside the project directory; ddguard edits only files inside it", path
        )
    return real, os.path.relpath(real, top).replace(os.sep, "/")


def read(real: str, path: str) -> bytes:
    try:
        info = os.stat(real)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file", path)
    if info.st_size > MAX_BYTES:
        raise InputError(f"is too large to edit ({info.st_size} bytes)", path)
    try:
        with open(real, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    if len(data) > MAX_BYTES:
        raise InputError("is too large to edit", path)
    return data


def plan(root: str, path: str, requests: Sequence[EditRequest]) -> FileChange:
    """The file with every request applied, not yet written. Requests are applied from the
    last line up, so that a split (one more line) does not move the others; each
    :class:`Edit` names the line as the file was read."""
    real, relpath = resolve(root, path)
    original = read(real, path)
    bom = original.startswith(_BOM)
    try:
        text = original[len(_BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as exc:
        line = original[: exc.start].count(b"\n") + 1
        raise InputError("is not UTF-8 text", path, line) from None
    records: List[Tuple[int, Edit]] = []
    order = sorted(range(len(requests)), key=lambda i: -requests[i].line)
    for index in order:
        request = requests[index]
        request.decision.check()
        if request.split is not None:
            request.split.newer.check()
        text, record = edit_text(text, request, path)
        records.append((index, record))
    data = (_BOM if bom else b"") + text.encode("utf-8")
    edits = tuple(record for _, record in sorted(records, key=lambda r: r[0]))
    return FileChange(path, real, relpath, original, data, edits)


def edit_text(text: str, request: EditRequest, path: str) -> Tuple[str, Edit]:
    """One request applied to a file's text (no BOM); ``path`` names it in errors."""
    if request.line < 1:
        raise InputError(f"line {request.line} is not a line number", path)
    syntax = request.syntax
    if syntax is Syntax.REQUIREMENTS:
        return reqfile.edit(text, request, path)
    toml = path.endswith(".toml") or os.path.basename(path) == "Pipfile"
    if syntax is Syntax.INI and not toml:
        return ini.edit(text, request, path)
    if syntax is Syntax.INI or (
        syntax is Syntax.TOML_STRING and _in_long_string(text, request.line, path)
    ):
        return _ini_in_toml(text, request._replace(syntax=Syntax.INI), path)
    return tomledit.edit(text, request, path)


def _in_long_string(text: str, line: int, path: str) -> bool:
    """Whether ``line`` lies inside a multi-line string (``legacy_tox_ini``)."""
    tomltext.load(text, path)
    document = tomltext.parse(text, path)
    todo = [entry.pair.value for entry in document.entries]
    while todo:
        node = todo.pop()
        long_string = node.kind == "string" and len(node.quote) == 3
        if long_string and document.line_of(node.start) < line <= document.line_of(node.end - 1):
            return True
        todo.extend(node.items)
        todo.extend(p.value for p in node.pairs)
    return False


def _ini_in_toml(text: str, request: EditRequest, path: str) -> Tuple[str, Edit]:
    if not _in_long_string(text, request.line, path):
        raise InputError(
            "no requirement on this line (not inside legacy_tox_ini)", path, request.line
        )
    old = tomltext.load(text, path)
    new, record = ini.edit(text, request, path, check_ini=False)
    if new != text:
        tomledit.verify(old, new, path, request.line)
    return new, record


def apply(change: FileChange) -> bool:
    """Write a planned change; False when there is nothing to write. InputError when the
    file changed since it was read (nothing is written then)."""
    if not change.changed:
        return False
    if read(change.real, change.path) != change.original:
        raise InputError("changed since ddguard read it; nothing written, run again", change.path)
    write_atomic(change.real, change.data)
    return True
