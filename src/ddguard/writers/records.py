"""The values the writers take and give: what to move to, where, and what was done.

A writer never decides a version: the caller passes a :class:`Decision` (the release to move
to and the run of releases around it that works) and the writer keeps the written shape of
the requirement while admitting that release and nothing outside the run.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Optional, Tuple

from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.version import Version

Minor = Tuple[int, int]  # a CPython feature release: (3, 12)


class Decision(Record):
    """What a rewritten requirement must admit, and the range it must stay inside.

    ``version`` is the release to move to: the new requirement always admits it.
    ``low``..``high`` is the working run around it: every release from ``low`` (inclusive)
    up to ``high`` (exclusive) works, and the new requirement admits nothing outside it.
    ``low`` None: no lower limit is needed; ``high`` None: no upper limit is needed.
    Containment is judged on final releases (pre-releases are not installed unless asked for).

    ``Decision(version=Version("2.21.12"), low=Version("2.0.0"), high=Version("3"))``
    turns ``==1.20.19`` into ``==2.21.12`` and ``>=1.20,<2`` into ``>=2.0,<3``.
    """

    version: Version
    low: Optional[Version] = None
    high: Optional[Version] = None

    def check(self) -> None:
        """Raise ValueError when ``version`` lies outside ``low``..``high`` (a caller bug)."""
        if self.low is not None and self.version < self.low:
            raise ValueError(f"decided release {self.version} is below the range start {self.low}")
        if self.high is not None and not self.version < self.high:
            raise ValueError(
                f"decided release {self.version} is not below the range end {self.high}"
            )


class Split(Record):
    """The marker-split form: ``python`` is the first CPython (3, 12) that ``newer`` is for.

    The entry becomes two: the request's decision with ``python_version < "3.12"`` and
    ``newer`` with ``python_version >= "3.12"``, each combined with an existing marker by
    ``and``.
    """

    python: Minor
    newer: Decision


class Syntax(str, enum.Enum):
    """How the entry is written, which decides how it is found and edited."""

    REQUIREMENTS = "requirements"  # a pip requirements or constraints file line
    TOML_STRING = "toml-string"  # a PEP 508 string in a TOML array (PEP 621, PEP 735, uv, PDM, tox)
    POETRY = "poetry"  # a key of a Poetry dependency table (Poetry constraint syntax)
    PIPFILE = "pipfile"  # a key of a Pipfile package table (PEP 440 version)
    INI = "ini"  # a value line of setup.cfg or tox.ini (also legacy_tox_ini in pyproject.toml)


class EditNote(str, enum.Enum):
    """Facts about an edit the report should tell (words are made in ddguard.report)."""

    HASHES_REMOVED = "hashes-removed"  # --hash options of the entry are gone: regenerate them
    EXACT_FALLBACK = "exact-fallback"  # the old shape cannot express the decision: ==version
    BOUND_ADDED = "bound-added"  # a lower or upper bound was added to keep out what fails
    ALTERNATIVES_DROPPED = "alternatives-dropped"  # Poetry || alternatives that fail were dropped
    REFERENCE_REPLACED = "reference-replaced"  # a direct URL reference became a version
    ALREADY_APPLIED = "already-applied"  # the file already holds the result: nothing to do


class EditRequest(Record):
    """One requirement to rewrite, located the way the readers report it.

    ``line`` is 1-based: the first line of a requirements-file entry, the line of the
    string in a TOML array, the key line of a Poetry/Pipfile table entry (or the line of an
    element of a Poetry multiple-constraints list), the value line of an INI option.
    ``text`` (``Pin.text``), when given, is checked against what the file holds there: a
    mismatch means the file changed since it was read, and nothing is edited.
    """

    line: int
    syntax: Syntax
    decision: Decision
    text: Optional[str] = None
    split: Optional[Split] = None
    name: str = "ddtrace"  # the package the entry must name


class Edit(Record):
    """What one request did. ``before``/``after`` are the entry as written (a TOML string's
    value, a requirements line's requirement without options, a Poetry entry from key to
    value end); ``added`` is a split's second entry, written on the line after ``after``."""

    path: str
    line: int
    before: str
    after: str
    notes: Tuple[EditNote, ...] = ()
    added: Optional[str] = None

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.added is not None


class FileChange(Record):
    """Every edit to one file, computed but not written (:func:`ddguard.writers.apply`)."""

    path: str  # as the caller named it
    real: str  # the resolved file inside the project that will be replaced
    relpath: str  # relative to the project root, "/"-separated: for diffs and reports
    original: bytes
    data: bytes
    edits: Tuple[Edit, ...]

    @property
    def changed(self) -> bool:
        return self.data != self.original
