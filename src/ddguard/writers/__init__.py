"""Writers: edits ddguard makes to a project's files (``ddguard fix``), byte for byte.

The caller decides; the writers keep the written shape and every other byte::

    decision = Decision(version=Version("2.21.12"), low=Version("2.0.0"), high=Version("3"))
    request = EditRequest(pin.origin.line, syntax_for(pin.origin.path, pin.origin.tool),
                          decision, text=pin.text)           # split=Split((3, 12), newer)
    change = plan(project_root, pin.origin.path, [request])  # FileChange: nothing written
    print(render([change]))                                  # --dry-run: a unified diff
    apply(change)                                            # atomic; refuses a changed file

- :func:`plan` reads one file inside the project (a path outside it, through ``..`` or a
  symbolic link, is an InputError and is not read), applies every request for that file
  and returns the new bytes with one :class:`Edit` per request (path, line, before, after,
  notes, a split's ``added`` entry). A second run on the result is a no-op
  (:attr:`EditNote.ALREADY_APPLIED`).
- :func:`apply` writes a planned change with :func:`write_atomic` (temporary file in the
  same directory, permissions kept, ``os.replace``), after checking that the file still
  holds the bytes :func:`plan` read.
- :func:`render` / :func:`unified_diff`: diffs relative to the project root for
  ``patch -p0`` / ``git apply -p0`` (``prefixes=True``: a/ b/ for ``git apply``).
- The rules for the version part are in :mod:`ddguard.writers.shape`.

Writers take paths, lines and texts as plain values: they do not use the readers. Every
problem with the input is one :class:`~ddguard.errors.InputError` naming the file and line;
a :class:`Decision` whose version lies outside its own range is a caller bug (ValueError).
"""

from __future__ import annotations

from ddguard.writers.diff import render, unified_diff, write_atomic
from ddguard.writers.files import apply, plan, resolve, syntax_for
from ddguard.writers.records import (
    Decision,
    Edit,
    EditNote,
    EditRequest,
    FileChange,
    Split,
    Syntax,
)

__all__ = [
    "Decision",
    "Edit",
    "EditNote",
    "EditRequest",
    "FileChange",
    "Split",
    "Syntax",
    "apply",
    "plan",
    "render",
    "resolve",
    "syntax_for",
    "unified_diff",
    "write_atomic",
]
