"""``ddguard fix``: the edits that make every refused requirement pass (writers apply them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Tuple

from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.model import Pin, Report
    from ddguard.target import Target


class FixEdit(Record):
    edit: object  # writers.Edit
    reason_codes: Tuple[str, ...]
    targets: Tuple[Target, ...]  # where the old requirement was refused
    step: str  # which rule chose the release (evaluate.rewrite.Step value)


class Unfixed(Record):
    pin: Pin
    conflict: Tuple[Target, ...]  # no release works on all of these together
    why: str  # "conflict", "split-needed", "outside-project", "reference", "not-a-file"


class FixPlan(Record):
    """``ddguard fix``: the edits that would make every refused requirement pass."""

    root: str
    report: Report  # the check before any change
    changes: Tuple[object, ...]  # writers.FileChange, one per file with something to change
    edits: Tuple[FixEdit, ...]
    unfixed: Tuple[Unfixed, ...]
    commands: Tuple[str, ...]  # lock refreshes to run afterwards
