"""Small dependency data files (the shape ``scripts/refresh_dependencies.py`` writes)
for tests: ddtrace 1.0.0's requirement lines and the releases of the packages they name."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

Row = Tuple[
    str, Optional[str], int, int, List[str]
]  # version, requires_python, yanked, sdist, tags


def document(
    ddtrace: List[str],
    packages: Dict[str, List[Row]],
    requires: Optional[Dict[Tuple[str, str], List[str]]] = None,
    binary: Optional[Dict[str, bool]] = None,
    overrides: Optional[Dict[str, List[str]]] = None,
    relevant: Optional[Dict[str, bool]] = None,
) -> Dict[str, Any]:
    """A small data file: ``ddtrace`` 1.0.0's requirement lines and the packages' releases."""
    requirements: List[str] = []
    sets: List[List[int]] = []
    interpreters: List[str] = []
    platforms: List[str] = []
    tag_sets: List[Any] = []

    def index(table: List[str], text: str) -> int:
        if text not in table:
            table.append(text)
        return table.index(text)

    def req_set(lines: List[str]) -> int:
        key = [index(requirements, x) for x in lines]
        if key not in sets:
            sets.append(key)
        return sets.index(key)

    def tag_set(texts: List[str]) -> int:  # one [interpreters, platforms] group per tag
        key = [
            [
                [index(interpreters, "-".join(t.split("-")[:2]))],
                [index(platforms, t.split("-", 2)[2])],
            ]
            for t in texts
        ]
        if key not in tag_sets:
            tag_sets.append(key)
        return tag_sets.index(key)

    row: List[Any] = ["1.0.0", req_set(ddtrace)]
    if overrides:
        row.append({k: req_set(v) for k, v in overrides.items()})
    out: Dict[str, Any] = {}
    for name, releases in packages.items():
        out[name] = {
            "binary": (binary or {}).get(name, True),
            "compiled": True,
            "relevant": (relevant or {}).get(name, True),
            "releases": [  # oldest first, as the refresh writes them
                [v, rp, y, s, tag_set(t), req_set((requires or {}).get((name, v), []))]
                for v, rp, y, s, t in sorted(releases, key=lambda r: version_key(r[0]))
            ],
        }
    return {
        "schema": 1,
        "source": "test",
        "fetched": "2026-01-01",
        "walked_pythons": ["3.11", "3.12"],
        "requirements": [split(line) for line in requirements],
        "requirement_sets": sets,
        "ddtrace": [row],
        "interpreters": interpreters,
        "platforms": platforms,
        "tag_sets": tag_sets,
        "packages": out,
    }


def version_key(text: str) -> Any:
    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, text)


def split(line: str) -> List[Any]:
    """[name, specifier, extras, extra, marker], the way the refresh stores a line."""
    requirement = Requirement(line)
    marker = None if requirement.marker is None else str(requirement.marker)
    extra = None
    if marker and marker.startswith('extra == "') and marker.count('"') == 2:
        extra, marker = marker.split('"')[1], None
    name = canonicalize_name(requirement.name)
    return [name, str(requirement.specifier), sorted(requirement.extras), extra, marker]
