"""Release lines (one per ddtrace major): support level with its dated history, and the
CPython versions each platform runs, as ``data/lines.json`` records them.

The facts are derived once, by ``scripts/refresh_db.py`` for the shipped snapshot and by
``ddguard db update`` for a user copy (``ddguard.knowledge.derive``), reviewed as data, and
only read here.
"""

from __future__ import annotations

import functools
from typing import Any, List, Optional, Sequence, Tuple, Union

from ddguard.knowledge.document import (
    InvalidDocument,
    clean_text,
    expect_int,
    expect_list,
    expect_object,
    expect_str,
    field,
    shown,
)
from ddguard.model import Minor, PythonRange, SupportLevel
from ddguard.record import Record
from ddguard.target import Arch, Implementation, Os

SCHEMA = 1


class LevelChange(Record):
    since: str  # YYYY-MM-DD; "" for the level the compatibility page published (undated)
    level: SupportLevel
    basis: str  # "3.0.0 released", "as published on the compatibility page (2.x era)"


class RuntimeRule(Record):
    """One row of the runtime table: these CPUs of this OS run these Pythons."""

    os: Os
    cpus: Tuple[Arch, ...]
    implementation: Implementation
    python: Tuple[PythonRange, ...]
    basis: str  # "compatibility page", "wheels published"

    def admits_python(self, version: Minor) -> bool:
        return any(
            low <= version and (high is None or version <= high) for low, high in self.python
        )


class ReleaseLine(Record):
    major: int
    level: SupportLevel  # as of the newest dated change
    history: Tuple[LevelChange, ...]
    runtimes: Tuple[RuntimeRule, ...]
    runtime_basis: str

    @property
    def name(self) -> str:
        return f"{self.major}.x"

    @property
    def specifier(self) -> str:
        return f">={self.major}.0,<{self.major + 1}"

    def python_ranges(self) -> Tuple[PythonRange, ...]:
        """The CPython versions any platform of this line supports (merged)."""
        return _merged(self.runtimes)

    def rule_for(self, os_name: Union[Os, str], cpu: Union[Arch, str]) -> Optional[RuntimeRule]:
        for rule in self.runtimes:
            if rule.os == os_name and cpu in rule.cpus:
                return rule
        return None


@functools.lru_cache(maxsize=None)
def _merged(runtimes: Tuple[RuntimeRule, ...]) -> Tuple[PythonRange, ...]:
    return merge_ranges([r for rule in runtimes for r in rule.python])


def merge_ranges(ranges: Sequence[PythonRange]) -> Tuple[PythonRange, ...]:
    """Overlapping and adjacent ranges joined: (3.5–3.7), (3.8–3.9) -> (3.5–3.9)."""
    merged: List[PythonRange] = []
    for low, high in sorted(ranges, key=lambda r: r[0]):
        if merged:
            last_low, last_high = merged[-1]
            if last_high is None or _adjacent(last_high, low) or low <= last_high:
                new_high = None if (last_high is None or high is None) else max(last_high, high)
                merged[-1] = (last_low, new_high)
                continue
        merged.append((low, high))
    return tuple(merged)


def _adjacent(high: Minor, low: Minor) -> bool:
    return high[0] == low[0] and high[1] + 1 == low[1]


# --- the lines document -------------------------------------------------------------------


class LinesHead(Record):
    generated: str
    policy_source: str
    basis: str  # what the facts were derived from, by whom


def parse_minor(text: Any, what: str) -> Minor:
    value = expect_str(text, what)
    major, dot, minor = value.partition(".")
    if not (dot and major.isdigit() and minor.isdigit() and len(major) <= 2 and len(minor) <= 3):
        raise InvalidDocument(f"{what} is {shown(value)}, not a Python version like 3.12")
    return (int(major), int(minor))


def minor_text(minor: Minor) -> str:
    return "%d.%d" % minor


def parse_lines(document: Any) -> Tuple[LinesHead, Tuple[ReleaseLine, ...], Tuple[Minor, ...]]:
    """The head, the release lines (by major) and the known CPython minors of a lines
    document (``data/lines.json``, or the ``derived`` part of a user copy)."""
    doc = expect_object(document, "the release lines")
    if doc.get("schema") != SCHEMA:
        raise InvalidDocument(f"the release lines do not have schema {SCHEMA}")
    what = "the release lines"
    head = LinesHead(
        generated=clean_text(expect_str(field(doc, "generated", what), "'generated'")),
        policy_source=clean_text(expect_str(field(doc, "policy_source", what), "'policy_source'")),
        basis=clean_text(expect_str(field(doc, "generated_by", what), "'generated_by'")),
    )
    lines = tuple(
        _line(item, number)
        for number, item in enumerate(expect_list(field(doc, "lines", what), "'lines'"))
    )
    if [line.major for line in lines] != sorted({line.major for line in lines}):
        raise InvalidDocument("the release lines are not in order, or list a major twice")
    minors = tuple(
        parse_minor(m, "a known CPython version")
        for m in expect_list(field(doc, "cpython_minors", what), "'cpython_minors'")
    )
    if list(minors) != sorted(set(minors)):
        raise InvalidDocument("the known CPython versions are not in order")
    return head, lines, minors


def _line(item: Any, number: int) -> ReleaseLine:
    what = f"release line {number}"
    doc = expect_object(item, what)
    major = expect_int(field(doc, "major", what), f"the major of {what}")
    what = f"release line {major}.x"
    history = tuple(
        _change(change, what)
        for change in expect_list(field(doc, "history", what), f"the history of {what}")
    )
    dated = [change for change in history if change.since]
    if not dated or [c.since for c in dated] != sorted(c.since for c in dated):
        raise InvalidDocument(f"the history of {what} is not a dated sequence of changes")
    level = _level(field(doc, "level", what), what)
    if level is not dated[-1].level:
        raise InvalidDocument(f"the level of {what} is not its newest dated level")
    return ReleaseLine(
        major=major,
        level=level,
        history=history,
        runtimes=tuple(
            _rule(rule, what)
            for rule in expect_list(field(doc, "runtimes", what), f"the runtimes of {what}")
        ),
        runtime_basis=clean_text(
            expect_str(field(doc, "runtime_basis", what), f"the runtime basis of {what}")
        ),
    )


def _level(value: Any, what: str) -> SupportLevel:
    text = expect_str(value, f"a support level of {what}")
    try:
        return SupportLevel(text)
    except ValueError:
        raise InvalidDocument(f"{what} has an unknown support level {shown(text)}") from None


def _change(item: Any, what: str) -> LevelChange:
    doc = expect_object(item, f"a change in the history of {what}")
    since = expect_str(field(doc, "since", what), f"a date in the history of {what}")
    return LevelChange(
        since=clean_text(since),
        level=_level(field(doc, "level", what), what),
        basis=clean_text(expect_str(field(doc, "basis", what), f"a basis in {what}")),
    )


def _rule(item: Any, what: str) -> RuntimeRule:
    doc = expect_object(item, f"a runtime of {what}")
    os_text = expect_str(field(doc, "os", what), f"an OS of {what}")
    try:
        os_name = Os(os_text)
        cpus = tuple(
            Arch(expect_str(cpu, f"a CPU of {what}"))
            for cpu in expect_list(field(doc, "cpus", what), f"the CPUs of {what}")
        )
        implementation = Implementation(
            expect_str(field(doc, "implementation", what), f"an implementation of {what}")
        )
    except ValueError as exc:
        if isinstance(exc, InvalidDocument):
            raise
        raise InvalidDocument(f"a runtime of {what} names an unknown OS, CPU or Python") from None
    python: List[PythonRange] = []
    for pair in expect_list(field(doc, "python", what), f"the Pythons of {what}"):
        bounds = expect_list(pair, f"a Python range of {what}")
        if len(bounds) != 2:
            raise InvalidDocument(f"a Python range of {what} is not a [low, high] pair")
        low = parse_minor(bounds[0], f"a Python version of {what}")
        high = None if bounds[1] is None else parse_minor(bounds[1], f"a Python version of {what}")
        python.append((low, high))
    return RuntimeRule(
        os=os_name,
        cpus=cpus,
        implementation=implementation,
        python=tuple(python),
        basis=clean_text(expect_str(field(doc, "basis", what), f"a runtime basis of {what}")),
    )
