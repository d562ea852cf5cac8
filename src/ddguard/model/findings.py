"""Integration findings: an instrumented library's version against a ddtrace line's ranges."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Optional, Tuple

from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.model import Origin
    from ddguard.target import Target


class FindingKind(str, enum.Enum):
    BELOW_MINIMUM = "below-minimum"  # a problem: the integration does not patch it
    UNTESTED = "untested"  # a notice: outside the range ddtrace tested


class FindingCase(str, enum.Enum):
    """Which fact makes the finding (each has its own sentence)."""

    BELOW_FLOOR = "below-floor"  # a version below the supported minimum
    OUTSIDE_TESTED = "outside-tested"  # a version outside the range tested on this Python
    ABOVE_CEILING = "above-ceiling"  # a version above the supported range
    RANGE_BELOW_FLOOR = "range-below-floor"  # a declared range entirely below the minimum
    RANGE_ABOVE_TESTED = "range-above-tested"  # ... entirely above the newest tested
    RANGE_ABOVE_CEILING = "range-above-ceiling"  # ... entirely above the supported range


class IntegrationFinding(Record):
    integration: str
    package: str  # the name as installed or pinned
    version: str  # the version, or the declared range (``ranged``)
    ddtrace_line: int
    kind: FindingKind
    case: FindingCase
    supported: str  # ">=1.8", or the tested range "4.2.20–5.2.15 on CPython 3.11"
    origin: Origin  # installed, or where it is pinned
    target: Target
    automatic: bool
    refused: bool
    category: Optional[str] = None  # "web", "datastore": what goes untraced
    tested: Optional[Tuple[str, str]] = None  # (oldest, newest) tested on the target's Python
    ranged: bool = False

    @property
    def problem(self) -> bool:
        return self.kind is FindingKind.BELOW_MINIMUM
