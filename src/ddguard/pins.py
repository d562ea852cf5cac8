"""Transitional: the old entry points of the flat ``pins*`` readers, on top of
:mod:`ddguard.sources`. Removed when the consumers (api, cli, guard, hosts) read
``ddguard.sources`` and :class:`ddguard.model.Scan` themselves.

What differs from ``sources``: ``ProjectScan`` is the old frozen dataclass whose notes are
the old sentences (the consumers print them and ``dataclasses.replace`` scans), and
``Pin(...)`` also accepts the old positional call ``Pin(requirement, source, specifier)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Collection, List, Optional, Tuple

from ddguard import model
from ddguard.model import Note, NoteCode, Origin, OriginKind, PinKind, Scan
from ddguard.sources import find_project_files as find_project_files

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    Pin = model.Pin
else:

    def Pin(requirement: str, source: str, specifier: Any, *args: Any, **kwargs: Any) -> model.Pin:
        """The old positional constructor (requirement, source, specifier, marker=...)."""
        names = ("marker", "kind", "context", "unknown_reason", "wheel_tags", "name")
        options = dict(zip(names, args), **kwargs)
        kind = options.pop("kind", PinKind.DECLARED)
        options.pop("context", None)
        options.pop("unknown_reason", None)
        origin = _origin(source, OriginKind.CONSTRAINT if kind is PinKind.CONSTRAINT else None)
        if kind is PinKind.LOCKED:
            origin = origin._replace(kind=OriginKind.LOCK)
        return model.Pin(text=requirement, specifier=specifier, origin=origin, **options)


__all__ = [
    "Pin",
    "PinKind",
    "ProjectScan",
    "find_project_files",
    "parse_requirement_text",
    "read_project_file",
    "read_pyproject",
    "read_requirements_file",
    "scan_project",
]


@dataclass(frozen=True)
class ProjectScan:
    pins: Tuple[model.Pin, ...]
    notes: Tuple[str, ...] = field(default=())
    python_range: Optional[SpecifierSet] = None
    files: Tuple[str, ...] = field(default=())


def _origin(source: str, kind: Optional[OriginKind] = None) -> Origin:
    if source == "argv":
        return Origin(kind or OriginKind.ARGUMENT)
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return Origin(kind or OriginKind.DEPENDENCY, path, int(line))
    return Origin(kind or OriginKind.DEPENDENCY, source)


def note_text(note: Note) -> str:
    """The old sentence of a note."""
    if note.code is NoteCode.SETUP_PY_NOT_READ:
        return (
            f"{note.path} is not read: ddguard never runs project code. Declare ddtrace in "
            "pyproject.toml, setup.cfg or a requirements file, or check a requirement directly "
            "(ddguard check 'ddtrace==X')"
        )
    if note.code is NoteCode.DYNAMIC_DEPENDENCIES:
        return (
            f"{note.path}: [project] dependencies are dynamic (computed by the build backend); "
            "ddguard reads only what is written"
        )
    if note.code is NoteCode.URL_NOT_FETCHED:
        return f"{note.path}:{note.line}: {note.text} is a URL; ddguard does not fetch it"
    return f"{note.path}: {note.code.value}"


def legacy(scan: Scan) -> ProjectScan:
    return ProjectScan(
        scan.pins, tuple(note_text(n) for n in scan.notes), scan.python_range, scan.files
    )


def parse_requirement_text(text: str, source: str = "argv") -> Optional[model.Pin]:
    """One requirement as a requirements file would hold it; None when it does not name
    ddtrace."""
    from ddguard.sources import parse_requirement

    return parse_requirement(text, _origin(source))


def read_requirements_file(path: str, names: Optional[Collection[str]] = None) -> List[model.Pin]:
    from ddguard.sources import read_requirements_file as read

    return list(read(path, names).pins)


def read_pyproject(path: str, names: Optional[Collection[str]] = None) -> ProjectScan:
    from ddguard.sources import read_pyproject as read

    return legacy(read(path, names))


def read_project_file(path: str, names: Optional[Collection[str]] = None) -> ProjectScan:
    from ddguard.sources import read_file

    return legacy(read_file(path, names))


def scan_project(path: str, names: Optional[Collection[str]] = None) -> ProjectScan:
    from ddguard.sources import scan_project as scan

    return legacy(scan(path, names))
