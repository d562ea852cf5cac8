"""Writers: edits ddguard makes to a project's files (``ddguard fix``), byte for byte.

The caller decides (a :class:`Decision` per requirement); the writers keep the written
shape (:mod:`ddguard.writers.shape` has the rules) and every other byte of the file:

    change = plan(root, "requirements.txt", [EditRequest(12, Syntax.REQUIREMENTS, decision)])
    print(render([change]))  # --dry-run
    apply(change)  # atomic; refuses when the file changed since plan() read it

Writers take paths, lines and texts as plain values: they do not use the readers.
"""

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
