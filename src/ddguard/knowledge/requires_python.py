"""Does a Requires-Python admit this Python? The one answer every judgement uses.

Requires-Python values are short and plain (``>=3.8``, ``>=2.7, !=3.0.*, <4``): clauses of
an operator and release numbers, judged here against a final CPython version ("3.12.1")
by PEP 440's rules without importing ``packaging`` (the startup check runs before the
application's own imports and pays for every module). Anything beyond that grammar
(``===``, pre-, post- or local versions, epochs) goes to ``packaging``; tests hold the two
equal on every Requires-Python the data holds and on generated ones.
"""

from __future__ import annotations

import functools

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple

    from packaging.specifiers import SpecifierSet


@functools.lru_cache(maxsize=4096)
def admits(requires_python: str, python_full_version: str) -> bool:
    """Whether ``requires_python`` admits ``python_full_version`` (``X.Y.Z``). One pip
    cannot read admits every Python: pip ignores it."""
    quick = _plain_admits(requires_python, python_full_version)
    if quick is not None:
        return quick
    try:
        return _specifier(requires_python).contains(python_full_version, prereleases=True)
    except ValueError:  # InvalidSpecifier, or a number int() refuses (thousands of digits)
        return True


def readable(requires_python: str) -> bool:
    """Whether pip (packaging) can read it as a version specifier."""
    if _plain_admits(requires_python, "3.0.0") is not None:
        return True
    try:
        _specifier(requires_python)
    except ValueError:
        return False
    return True


def _specifier(text: str) -> SpecifierSet:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(text)


def _plain_admits(requires_python: str, python_full_version: str) -> Optional[bool]:
    """The answer for plain clauses, None when some clause is not plain."""
    python = _release(python_full_version)
    if python is None:
        return None
    answer = True
    for clause in requires_python.split(","):
        clause = clause.strip()
        operator = clause[:2] if clause[:2] in _TWO_CHARACTER else clause[:1]  # "===": no bound
        text = clause[len(operator) :].strip()
        wildcard = text.endswith(".*")
        if wildcard:
            text = text[:-2]
        bound = _release(text)
        if bound is None or operator not in _OPERATORS:
            return None
        if wildcard and operator not in ("==", "!="):
            return None
        if operator == "~=" and len(bound) < 2:
            return None
        answer = answer and _OPERATORS[operator](python, bound, wildcard)
    return answer


_TWO_CHARACTER = frozenset({">=", "<=", "==", "!=", "~="})


def _release(text: str) -> Optional[Tuple[int, ...]]:
    """``3.12.1`` as (3, 12, 1); None for anything but dot-separated digits (of a sane
    length: int() of thousands of digits is refused, or slow)."""
    parts = text.split(".")
    if not all(part.isdigit() and part.isascii() and len(part) < 20 for part in parts):
        return None
    return tuple(int(part) for part in parts)


def _padded(release: Tuple[int, ...], length: int) -> Tuple[int, ...]:
    return release + (0,) * (length - len(release))


def _compare(python: Tuple[int, ...], bound: Tuple[int, ...]) -> int:
    length = max(len(python), len(bound))
    left, right = _padded(python, length), _padded(bound, length)
    return (left > right) - (left < right)


def _equal(python: Tuple[int, ...], bound: Tuple[int, ...], wildcard: bool) -> bool:
    if wildcard:  # a prefix match, the candidate padded with zeros
        return _padded(python, len(bound))[: len(bound)] == bound
    return _compare(python, bound) == 0


def _compatible(python: Tuple[int, ...], bound: Tuple[int, ...], wildcard: bool) -> bool:
    # ~=3.8.1 is >=3.8.1 and ==3.8.*
    return _compare(python, bound) >= 0 and _equal(python, bound[:-1], True)


_OPERATORS = {
    "==": _equal,
    "!=": lambda python, bound, wildcard: not _equal(python, bound, wildcard),
    ">=": lambda python, bound, wildcard: _compare(python, bound) >= 0,
    "<=": lambda python, bound, wildcard: _compare(python, bound) <= 0,
    ">": lambda python, bound, wildcard: _compare(python, bound) > 0,
    "<": lambda python, bound, wildcard: _compare(python, bound) < 0,
    "~=": _compatible,
}
