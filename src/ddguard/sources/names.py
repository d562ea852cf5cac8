"""Package names: PEP 503 normalization and the set of names a scan looks for."""

from __future__ import annotations

import re
from typing import AbstractSet, Collection, Optional

_NORMALIZE = re.compile(r"[-_.]+")

Names = AbstractSet[str]  # canonical names of the packages a scan looks for
DDTRACE: Names = frozenset({"ddtrace"})


def canonical(name: str) -> str:
    """PEP 503 normalization (what ``packaging.utils.canonicalize_name`` does)."""
    return _NORMALIZE.sub("-", name).lower()


def wanted_names(names: Optional[Collection[str]]) -> Names:
    """The canonical names a scan looks for (default: ddtrace only)."""
    if names is None:
        return DDTRACE
    return frozenset(canonical(n) for n in names)


def wanted(name: str, names: Names = DDTRACE) -> bool:
    """Whether ``name`` is one of the (canonical) ``names`` a scan looks for."""
    return canonical(name) in names


def mentions_any(text: str, names: Names) -> bool:
    """Cheap prefilter: could ``text`` name one of ``names``? (case- and separator-blind)"""
    lowered = text.lower().replace("_", "-").replace(".", "-")
    return any(name in lowered for name in names)
