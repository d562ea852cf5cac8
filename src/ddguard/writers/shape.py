"""Shape-keeping rewrite of a version constraint, PEP 440 or Poetry: pure functions on strings.

The rules (the result always admits ``decision.version`` and nothing outside
``decision.low``..``decision.high``; releases are compared as final releases):

- An exact pin stays exact with its operator: ``==1.20.19`` -> ``==2.21.12``, ``===`` kept,
  Poetry's bare ``1.15.2`` -> ``2.21.12``.
- Each clause that already holds is kept as written (smallest change): a floor at or above
  ``low`` and at or below the release, a ceiling above the release and at or below ``high``.
- A floor that must move goes to ``low``, written with the clause's number of release
  components when that is exact (``>=1.20`` -> ``>=2.0``; ``low`` 2.0.5 -> ``>=2.0.5``);
  without ``low`` it goes to the release cut to that many components. ``>`` becomes ``>=``.
- A ceiling that must move goes to ``high`` the same way (``<2`` -> ``<3``); without ``high``
  to the release bumped at the clause's last component (``<2`` -> ``<3`` for 2.21.12).
  ``<=`` becomes ``<high``, or ``<=release`` without ``high``.
- ``~=X``, Poetry ``^X`` and ``~X`` (a floor with an implied ceiling) keep their operator:
  the lowest ``X`` with the same number of components whose range admits the release and
  stays inside the working range (``~=1.20.0`` -> ``~=2.21.0``, ``^1.20`` -> ``^2.0``), with
  one more component at a time when none fits (``~=2.0`` -> ``~=2.14.0`` under ``high`` 2.15).
- A wildcard ``==1.20.*`` moves to the release's prefix (``==2.21.*``), longer when needed.
- ``!=`` clauses are kept; one that excludes the release forces the fallback.
- When the working range has a bound the constraint lacks, it is added (``>=low`` before,
  ``<high`` after) and the edit says so (:attr:`EditNote.BOUND_ADDED`): ``>=1.20`` with
  ``high`` 3 -> ``>=2.0,<3``. An empty constraint (``ddtrace``, Poetry ``*``) gets the bounds.
- A Poetry union (``^1.20 || ^2.0``) keeps the alternatives that only admit working
  releases and rewrites the others by these rules.
- When nothing above expresses the decision, the constraint becomes ``==release``
  (:attr:`EditNote.EXACT_FALLBACK`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from ddguard.record import Record
from ddguard.writers.edits import splice
from ddguard.writers.records import Decision, EditNote

if TYPE_CHECKING:
    from packaging.version import Version

Release = Tuple[int, ...]

_OPERATOR = re.compile(r"===|~=|==|!=|<=|>=|\^|<|>|~|=")
_VERSION = re.compile(r"[0-9A-Za-z*][0-9A-Za-z.*+!_-]*")
_EXACT = ("==", "===", "=", "")
_FAMILY = ("~=", "^", "~")


class Clause(Record):
    """One comparison of a constraint, with where it is written in the constraint text."""

    op: str  # as written; "" for Poetry's bare version
    version: str  # as written ("1.20.*" keeps its wildcard)
    start: int  # the operator (or the version, when there is none)
    vstart: int  # the version
    end: int  # just after the version


class Rewritten(Record):
    text: str
    notes: Tuple[EditNote, ...] = ()


def parse(text: str, poetry: bool = False) -> List[List[Clause]]:
    """The alternatives (Poetry ``||``; else exactly one) of a constraint, each a list of
    clauses with their positions. Raises ValueError for text that is not a constraint."""
    alternatives: List[List[Clause]] = [[]]
    pos = 0
    expect_clause = True
    while True:
        pos = _skip_space(text, pos)
        if pos >= len(text):
            break
        if poetry and text.startswith("||", pos):
            if expect_clause and not alternatives[-1]:
                raise ValueError(f"empty alternative in {text!r}")
            alternatives.append([])
            pos += 2
            expect_clause = True
            continue
        if text[pos] == ",":
            if expect_clause:
                raise ValueError(f"stray comma in {text!r}")
            pos += 1
            expect_clause = True
            continue
        if not expect_clause and not poetry:
            raise ValueError(f"missing comma in {text!r}")
        if poetry and text[pos] == "*" and not text[:pos].strip() and not text[pos + 1 :].strip():
            break  # "*": any version
        start = pos
        found = _OPERATOR.match(text, pos)
        op = found.group(0) if found else ""
        if not poetry and op in ("^", "~", "=", ""):
            raise ValueError(f"not a PEP 440 operator at {text[pos : pos + 10]!r}")
        pos = _skip_space(text, pos + len(op))
        version = _VERSION.match(text, pos)
        if version is None:
            raise ValueError(f"a version is missing in {text!r}")
        alternatives[-1].append(Clause(op, version.group(0), start, pos, version.end()))
        pos = version.end()
        expect_clause = False
    if expect_clause and (len(alternatives) > 1 or alternatives[0]):
        raise ValueError(f"{text!r} ends with a separator")
    for alternative in alternatives:
        for clause in alternative:
            _check_version(clause)
    if not poetry:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            raise ValueError(f"{text!r} is not a version specifier") from None
    return alternatives


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _check_version(clause: Clause) -> None:
    from packaging.version import InvalidVersion, Version

    if clause.op == "===":
        return  # arbitrary equality: any string
    text = clause.version
    if text.endswith(".*"):
        if clause.op not in ("==", "!=", ""):
            raise ValueError(f"{clause.op}{text}: a wildcard needs == or !=")
        text = text[:-2]
    try:
        version = Version(text)
    except InvalidVersion:
        raise ValueError(f"{text!r} is not a version") from None
    if clause.op == "~=" and len(version.release) < 2:
        raise ValueError(f"~={text}: a compatible release needs two release numbers")


# --- intervals of final releases ----------------------------------------------------------


def _v(release: Sequence[int]) -> Version:
    from packaging.version import Version

    return Version(".".join(str(n) for n in release) if release else "0")


def _pad(release: Sequence[int], n: int) -> Release:
    return (tuple(release) + (0,) * n)[:n] if len(release) < n else tuple(release[:n])


def _bump(release: Sequence[int]) -> Release:
    return (*release[:-1], release[-1] + 1)


def _upper(op: str, release: Release) -> Release:
    """The exclusive ceiling ``~=``, ``^`` or ``~`` implies for a floor of ``release``."""
    if op == "~=":
        return _bump(release[:-1])
    if op == "~":
        return _bump(release[:1] if len(release) == 1 else release[:2])
    nonzero = [i for i, n in enumerate(release) if n != 0]
    return _bump(release[: (nonzero[0] if nonzero else len(release) - 1) + 1])


class _Range(Record):
    lo: Optional[Version]
    lo_incl: bool
    hi: Optional[Version]
    hi_incl: bool


def _range(clause: Clause) -> Optional[_Range]:
    """The releases a clause admits, as one interval; None for ``!=`` (a hole, not a range)."""
    from packaging.version import Version

    op, text = clause.op, clause.version
    if op == "!=":
        return None
    if text.endswith(".*"):
        prefix = Version(text[:-2]).release
        return _Range(_v(prefix), True, _v(_bump(prefix)), False)
    if op == "===":
        try:
            exact = Version(text)
        except ValueError:
            return _Range(None, True, None, True)  # an arbitrary string: nothing to reason on
        return _Range(exact, True, exact, True)
    version = Version(text)
    if op in ("==", "=", ""):
        return _Range(version, True, version, True)
    if op in (">=", ">"):
        return _Range(version, op == ">=", None, False)
    if op in ("<", "<="):
        return _Range(None, False, version, op == "<=")
    return _Range(version, True, _v(_upper(op, version.release)), False)


def _admits(clause: Clause, version: Version) -> bool:
    from packaging.version import Version

    if clause.op == "!=":
        if clause.version.endswith(".*"):
            prefix = Version(clause.version[:-2]).release
            return _pad(version.release, len(prefix)) != prefix
        return version != Version(clause.version)
    if clause.op == "===":  # arbitrary equality compares the text
        return clause.version.lower() == str(version).lower()
    found = _range(clause)
    assert found is not None
    return _in(found, version)


def _in(found: _Range, version: Version) -> bool:
    if found.lo is not None and (version < found.lo or (version == found.lo and not found.lo_incl)):
        return False
    return found.hi is None or version < found.hi or (version == found.hi and found.hi_incl)


def _floor_holds(found: _Range, decision: Decision) -> bool:
    return decision.low is None or (found.lo is not None and found.lo >= decision.low)


def _ceiling_holds(found: _Range, decision: Decision) -> bool:
    if decision.high is None:
        return True
    if found.hi is None:
        return False
    return found.hi < decision.high or (found.hi == decision.high and not found.hi_incl)


def _inside(clauses: Sequence[Clause], decision: Decision) -> bool:
    """Whether the clauses together admit the release and nothing outside the working run."""
    if not all(_admits(c, decision.version) for c in clauses):
        return False
    ranges = [r for r in (_range(c) for c in clauses) if r is not None]
    floor = max(
        (r for r in ranges if r.lo is not None),
        key=lambda r: (r.lo, not r.lo_incl),
        default=_Range(None, False, None, False),
    )
    ceiling = min(
        (r for r in ranges if r.hi is not None),
        key=lambda r: (r.hi, r.hi_incl),
        default=_Range(None, False, None, False),
    )
    return _floor_holds(floor, decision) and _ceiling_holds(ceiling, decision)


# --- the rewrite --------------------------------------------------------------------------


def written(version: Version, components: int) -> str:
    """``version`` with ``components`` release numbers when that is exact
    (2.0.0 as 2 -> "2.0", 3 as 3 -> "3.0.0"), else in full (2.0.5 as 2 -> "2.0.5")."""
    if version.epoch or version.pre or version.post or version.dev or version.local:
        return str(version)
    release = list(version.release)
    while len(release) > components and release[-1] == 0:
        release.pop()
    release += [0] * (components - len(release))
    return ".".join(str(n) for n in release)


def _components(text: str) -> int:
    return len(re.split(r"[^0-9.]", text.replace(".*", ""), maxsplit=1)[0].strip(".").split("."))


def rewrite(text: str, decision: Decision, poetry: bool = False) -> Rewritten:
    """``text`` (a PEP 440 specifier, or a Poetry constraint when ``poetry``) rewritten by the
    module's rules. Raises ValueError for text that is not a constraint."""
    decision.check()
    alternatives = parse(text, poetry)
    if len(alternatives) > 1:
        return _rewrite_union(text, alternatives, decision)
    clauses = alternatives[0]
    if not clauses:
        bounds = _bounds_text(decision)
        if not bounds:
            return Rewritten(text)
        if poetry and text.strip() == "*":
            start = text.index("*")
            return Rewritten(text[:start] + bounds + text[start + 1 :], (EditNote.BOUND_ADDED,))
        return Rewritten(text + bounds if not text.strip() else text, (EditNote.BOUND_ADDED,))
    replacements, notes = _rewrite_clauses(text, clauses, decision)
    return Rewritten(_apply(text, replacements), notes)


Replacement = Tuple[int, int, str]


def _apply(text: str, replacements: Sequence[Replacement]) -> str:
    return splice(text, replacements)


def _bounds_text(decision: Decision, separator: str = ",") -> str:
    parts = []
    if decision.low is not None:
        parts.append(f">={decision.low}")
    if decision.high is not None:
        parts.append(f"<{decision.high}")
    return separator.join(parts)


def _exact(text: str, clauses: Sequence[Clause], decision: Decision) -> List[Replacement]:
    return [(clauses[0].start, clauses[-1].end, f"=={decision.version}")]


def _rewrite_clauses(
    text: str, clauses: Sequence[Clause], decision: Decision
) -> Tuple[List[Replacement], Tuple[EditNote, ...]]:
    """Replacements (positions in ``text``) that rewrite one alternative, and notes."""
    exact = [c for c in clauses if c.op in _EXACT and not c.version.endswith(".*")]
    if exact:
        pin = exact[0]
        if len(clauses) == 1 and _admits(pin, decision.version):
            return [], ()  # already the release (perhaps written "2" for 2.0.0)
        if len(clauses) == 1:
            return [(pin.vstart, pin.end, str(decision.version))], ()
        middle = text[pin.start + len(pin.op) : pin.vstart]
        return [(clauses[0].start, clauses[-1].end, f"{pin.op}{middle}{decision.version}")], ()
    new_clauses: List[Clause] = []
    replacements: List[Replacement] = []
    for clause in clauses:
        moved = _move(clause, decision)
        if moved is None:
            return _exact(text, clauses, decision), (EditNote.EXACT_FALLBACK,)
        op, version = moved
        if (op, version) != (clause.op, clause.version):
            middle = text[clause.start + len(clause.op) : clause.vstart]
            replacements.append((clause.start, clause.end, f"{op}{middle}{version}"))
        new_clauses.append(clause._replace(op=op, version=version))
    notes: Tuple[EditNote, ...] = ()
    separator = _separator(text, clauses)
    if decision.low is not None and not _bounded(new_clauses, floor=True):
        replacements.append((clauses[0].start, clauses[0].start, f">={decision.low}{separator}"))
        new_clauses.append(Clause(">=", str(decision.low), 0, 0, 0))
        notes = (EditNote.BOUND_ADDED,)
    if decision.high is not None and not _bounded(new_clauses, floor=False):
        replacements.append((clauses[-1].end, clauses[-1].end, f"{separator}<{decision.high}"))
        new_clauses.append(Clause("<", str(decision.high), 0, 0, 0))
        notes = (EditNote.BOUND_ADDED,)
    if not _inside(new_clauses, decision):
        return _exact(text, clauses, decision), (EditNote.EXACT_FALLBACK,)
    return replacements, notes


def _bounded(clauses: Sequence[Clause], floor: bool) -> bool:
    for clause in clauses:
        found = _range(clause)
        if found is not None and (found.lo if floor else found.hi) is not None:
            return True
    return False


def _separator(text: str, clauses: Sequence[Clause]) -> str:
    if len(clauses) > 1:
        between = text[clauses[0].end : clauses[1].start]
        return between if between.strip() in (",", "") else ","
    return ","


def _move(clause: Clause, decision: Decision) -> Optional[Tuple[str, str]]:
    """The clause's (operator, version) in the new constraint; None: cannot be kept."""
    op, text = clause.op, clause.version
    release = decision.version.release
    if op == "!=":
        return (op, text) if _admits(clause, decision.version) else None
    found = _range(clause)
    assert found is not None
    admits = _in(found, decision.version)
    n = _components(text)
    if text.endswith(".*"):
        if admits and _floor_holds(found, decision) and _ceiling_holds(found, decision):
            return op, text
        for m in range(n, len(release) + 1):
            prefix = _pad(release, m)
            if _floor_holds(_Range(_v(prefix), True, None, False), decision) and _ceiling_holds(
                _Range(None, False, _v(_bump(prefix)), False), decision
            ):
                return op, ".".join(str(x) for x in prefix) + ".*"
        return None
    if op in _FAMILY:
        if admits and _floor_holds(found, decision) and _ceiling_holds(found, decision):
            return op, text
        floor = _family_floor(op, n, decision)
        return None if floor is None else (op, ".".join(str(x) for x in floor))
    if op in (">=", ">"):
        if admits and _floor_holds(found, decision):
            return op, text
        if decision.low is not None:
            return ">=", written(decision.low, n)
        return ">=", written(_v(_pad(release, n)), n)
    if op in ("<", "<="):
        if admits and _ceiling_holds(found, decision):
            return op, text
        if decision.high is not None:
            return "<", written(decision.high, n)
        if op == "<=":
            return op, str(decision.version)
        return op, written(_v(_bump(_pad(release, n))), n)
    return None


def _family_floor(op: str, n: int, decision: Decision) -> Optional[Release]:
    """The lowest floor of ``n`` (then more) components whose ``op`` range admits the
    release and stays inside the working run."""
    release = decision.version.release
    least = 2 if op == "~=" else 1
    for m in range(max(n, least), max(len(release), n) + 1):
        candidates = {_pad(release[:j], m) for j in range(m + 1)}
        if decision.low is not None:
            candidates.add(_ceil(decision.low, m))
        for floor in sorted(candidates):
            lo, hi = _v(floor), _v(_upper(op, floor))
            if not lo <= decision.version < hi:
                continue
            if decision.low is not None and lo < decision.low:
                continue
            if decision.high is not None and hi > decision.high:
                continue
            return floor
    return None


def _ceil(version: Version, m: int) -> Release:
    """The smallest release of ``m`` components at or above ``version``."""
    floor = _pad(version.release, m)
    return _bump(floor) if _v(floor) < version else floor


def _rewrite_union(
    text: str, alternatives: Sequence[Sequence[Clause]], decision: Decision
) -> Rewritten:
    """Alternatives that admit only working releases stay. When one of them holds the
    release, the others are dropped; else the others are rewritten."""
    working = [_only_working(clauses, decision) for clauses in alternatives]
    holding = [
        ok and all(_admits(c, decision.version) for c in clauses)
        for ok, clauses in zip(working, alternatives)
    ]
    if all(working) and any(holding):
        return Rewritten(text)
    if any(holding):
        kept = [clauses for clauses, ok in zip(alternatives, working) if ok]
        first, last = alternatives[0], alternatives[-1]
        separator = text[first[-1].end : alternatives[1][0].start]
        middle = separator.join(text[c[0].start : c[-1].end] for c in kept)
        return Rewritten(
            text[: first[0].start] + middle + text[last[-1].end :],
            (EditNote.ALTERNATIVES_DROPPED,),
        )
    replacements: List[Replacement] = []
    notes: List[EditNote] = []
    for clauses, ok in zip(alternatives, working):
        if not ok:
            moved, moved_notes = _rewrite_clauses(text, clauses, decision)
            replacements.extend(moved)
            notes.extend(n for n in moved_notes if n not in notes)
    if all(working):  # every alternative works, none holds the release: the last moves to it
        last = alternatives[-1]
        replacements = [(last[0].start, last[-1].end, f"=={decision.version}")]
        notes = [EditNote.EXACT_FALLBACK]
    return Rewritten(_distinct(_apply(text, replacements)), tuple(notes))


def _distinct(text: str) -> str:
    """A union without repeated alternatives (two rewritten to the same text)."""
    alternatives = parse(text, poetry=True)
    written_as = [text[c[0].start : c[-1].end] for c in alternatives]
    if len(set(written_as)) == len(written_as):
        return text
    separator = text[alternatives[0][-1].end : alternatives[1][0].start]
    unique = list(dict.fromkeys(written_as))
    return (
        text[: alternatives[0][0].start] + separator.join(unique) + text[alternatives[-1][-1].end :]
    )


def _only_working(clauses: Sequence[Clause], decision: Decision) -> bool:
    """Whether an alternative admits only releases of the working run (the decided one or not)."""
    ranges = [r for r in (_range(c) for c in clauses) if r is not None]
    floors = [r for r in ranges if r.lo is not None]
    ceilings = [r for r in ranges if r.hi is not None]
    floor = max(floors, key=lambda r: (r.lo, not r.lo_incl)) if floors else None
    ceiling = min(ceilings, key=lambda r: (r.hi, r.hi_incl)) if ceilings else None
    low_ok = decision.low is None or (floor is not None and _floor_holds(floor, decision))
    high_ok = decision.high is None or (ceiling is not None and _ceiling_holds(ceiling, decision))
    return low_ok and high_ok
