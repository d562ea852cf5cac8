"""Showing and writing an edit: a unified diff ``patch -p0`` and ``git apply -p0`` accept,
and an atomic write that keeps the file's permissions."""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
from typing import Iterable, List, Optional

from ddguard.errors import InputError
from ddguard.writers.records import FileChange

_NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(data: bytes) -> List[str]:
    """Lines split after ``\\n`` only, as patch reads them: a ``\\r`` stays in its line,
    so the diff of a CRLF file carries its CRs and applies to it byte for byte. A BOM
    stays in the first line, as in the file."""
    parts = data.decode("utf-8").split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(before: bytes, after: bytes, relpath: str, prefixes: bool = False) -> str:
    """A unified diff of a file's two versions, naming it ``relpath`` (relative to the
    project root: apply with ``patch -p0``), or ``a/relpath``/``b/relpath`` when
    ``prefixes`` (``git apply``, ``patch -p1``). Empty when nothing changed."""
    if before == after:
        return ""
    old, new = (f"a/{relpath}", f"b/{relpath}") if prefixes else (relpath, relpath)
    out: List[str] = []
    for line in difflib.unified_diff(_lines(before), _lines(after), old, new, lineterm="\n"):
        out.append(line if line.endswith("\n") else f"{line}\n{_NO_NEWLINE}")
    return "".join(out)


def render(changes: Iterable[FileChange], prefixes: bool = False) -> str:
    """The diffs of several planned changes, in order."""
    return "".join(unified_diff(c.original, c.data, c.relpath, prefixes) for c in changes)


def write_atomic(path: str, data: bytes) -> None:
    """Replace the file at ``path`` (a symbolic link: its target) with ``data`` in one step:
    a temporary file in the same directory, flushed, given the original's permissions (and
    owner, when allowed), renamed over it. On failure the original is untouched and the
    temporary file removed; InputError names the file."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    mode: Optional[int] = None
    owner = None
    try:
        info = os.stat(target)
        mode, owner = stat.S_IMODE(info.st_mode), (info.st_uid, info.st_gid)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", path) from None
    import tempfile

    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".ddguard", dir=directory
        )
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if owner is not None and hasattr(os, "chown"):
            with contextlib.suppress(OSError):
                os.chown(temporary, *owner)
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", path) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
