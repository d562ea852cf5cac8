"""pyproject.toml: PEP 621 dependencies and extras, PEP 735 dependency groups,
build-system, Poetry (:mod:`~ddguard.sources.poetry`), PDM, uv and tox
(:mod:`~ddguard.sources.tox`).

Imports nothing heavy until an entry names a wanted package: build hooks read
pyproject.toml on every build.
"""

from __future__ import annotations

from typing import Any, Dict, List, Set

from ddguard.errors import InputError
from ddguard.model import Note, NoteCode, Origin, OriginKind, Scan
from ddguard.sources.collector import Collector
from ddguard.sources.interface import Reader
from ddguard.sources.names import DDTRACE, Names, canonical
from ddguard.sources.poetry import read_poetry
from ddguard.sources.text import (
    DECLARATION_LIMIT,
    MAX_NESTING,
    QuotingError,
    describe,
    load_toml,
    read_text,
    shown,
)


def read_pyproject(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path, DECLARATION_LIMIT)
    collector = Collector(path, text, names)
    scan_pyproject(load_toml(text, path), collector)
    return collector.scan()


def scan_pyproject(doc: Dict[str, Any], c: Collector) -> None:
    project = c.table(doc, "project", "")
    c.set_python(project.get("requires-python"), ["project"], "requires-python")
    c.strings(
        project.get("dependencies"), "dependencies", ["project"], Origin(OriginKind.DEPENDENCY)
    )
    dynamic = project.get("dynamic")
    if dynamic is not None and not isinstance(dynamic, list):
        raise c.wrong("dynamic must be an array of field names", dynamic, "dynamic", ["project"])
    if "dependencies" in (dynamic or []):
        c.notes.append(Note(NoteCode.DYNAMIC_DEPENDENCIES, c.path))
    for extra, values in c.table(project, "optional-dependencies", "project").items():
        c.strings(
            values,
            extra,
            ["project.optional-dependencies", "project"],
            Origin(OriginKind.EXTRA, name=extra),
        )
    build = c.table(doc, "build-system", "")
    c.strings(build.get("requires"), "requires", ["build-system"], Origin(OriginKind.BUILD_SYSTEM))
    dependency_groups(c.table(doc, "dependency-groups", ""), c)
    tool = c.table(doc, "tool", "")
    read_poetry(c.table(tool, "poetry", "tool"), c)
    for group, values in c.table(
        c.table(tool, "pdm", "tool"), "dev-dependencies", "tool.pdm"
    ).items():
        c.strings(
            values,
            group,
            ["tool.pdm.dev-dependencies"],
            Origin(OriginKind.GROUP, name=group, tool="pdm"),
        )
    uv = c.table(tool, "uv", "tool")
    for key, origin in (
        ("constraint-dependencies", Origin(OriginKind.CONSTRAINT, tool="uv")),
        ("override-dependencies", Origin(OriginKind.OVERRIDE, tool="uv")),
        ("dev-dependencies", Origin(OriginKind.GROUP, tool="uv")),
    ):
        c.strings(uv.get(key), key, ["tool.uv"], origin)
    tox = c.table(tool, "tox", "tool")
    if tox:
        from ddguard.sources.tox import read_pyproject_tox, tox_state

        state = tox_state(c.path, c.names)
        read_pyproject_tox(tox, c.index, c.path, state)
        c.pins.extend(state.pins)
        c.notes.extend(state.notes)


def dependency_groups(groups: Dict[str, Any], c: Collector) -> None:
    """PEP 735: each string under the group that writes it; ``included_by`` names every
    group that includes it, transitively. Names compare normalized; every check is linear
    in the number of groups and includes."""
    header = c.index.header("dependency-groups") + 1
    by_name: Dict[str, str] = {}
    for name, values in groups.items():
        if canonical(name) in by_name:
            raise QuotingError(f"dependency group {shown(name)} is defined twice", c.path, header)
        by_name[canonical(name)] = name
        if not isinstance(values, list):
            raise c.wrong(
                f"dependency group {shown(name)} must be an array",
                values,
                name,
                ["dependency-groups"],
            )
    includes: Dict[str, List[str]] = {name: [] for name in groups}
    included_by: Dict[str, List[str]] = {name: [] for name in groups}
    for name, values in groups.items():
        for value in values:
            if not isinstance(value, dict):
                continue
            target = value.get("include-group")
            found = by_name.get(canonical(target)) if isinstance(target, str) else None
            if found is None:
                line = c.index.find(["include-group"], header - 1, claim=False) or header
                if isinstance(target, str):
                    what = f"includes unknown group {shown(target)}"
                elif target is None:
                    what = "holds a table without include-group"
                else:
                    what = f"includes {describe(target)}, not a group name"
                raise QuotingError(f"dependency group {shown(name)} {what}", c.path, line)
            includes[name].append(found)
            included_by[found].append(name)
    _check_cycles(includes, c, header)
    for name, values in groups.items():
        origin = Origin(OriginKind.GROUP, name=name, included_by=_includers(name, included_by))
        c.strings(values, name, ["dependency-groups"], origin, tables=True)


def _includers(name: str, included_by: Dict[str, List[str]]) -> tuple[str, ...]:
    """Every group that includes ``name``, nearest first (breadth first)."""
    found: List[str] = []
    seen: Set[str] = {name}
    queue = list(included_by[name])
    at = 0
    while at < len(queue):
        group = queue[at]
        at += 1
        if group in seen:
            continue
        seen.add(group)
        found.append(group)
        queue.extend(included_by[group])
    return tuple(found)


def _check_cycles(includes: Dict[str, List[str]], c: Collector, line: int) -> None:
    """Refuse include cycles and chains deeper than ``MAX_NESTING`` (iterative depth-first
    search: each group and include is visited once)."""
    depth: Dict[str, int] = {}  # finished groups: the longest include chain below them
    for root in includes:
        if root in depth:
            continue
        path: List[str] = [root]
        on_path = {root}
        iterators = [iter(includes[root])]
        while iterators:
            child = next(iterators[-1], None)
            if child is None:
                done = path.pop()
                on_path.discard(done)
                iterators.pop()
                depth[done] = 1 + max((depth[g] for g in includes[done]), default=0)
                if depth[done] > MAX_NESTING:
                    raise InputError(
                        f"dependency groups include each other more than {MAX_NESTING} deep",
                        c.path,
                        line,
                    )
                continue
            if child in on_path:
                chain = [*path[path.index(child) :], child]
                if len(chain) > 6:
                    chain = [*chain[:2], f"... ({len(chain) - 4} more)", *chain[-2:]]
                raise QuotingError(
                    f"dependency groups include each other in a cycle: {' -> '.join(chain)}",
                    c.path,
                    line,
                )
            if child in depth:
                continue
            path.append(child)
            on_path.add(child)
            iterators.append(iter(includes[child]))


class PyprojectReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_pyproject(path, names)


READER = PyprojectReader()
