"""Where requirements come from: every project file ddguard reads, as data (never runs
setup.py or any project code).

The facade: :func:`scan_project` (a directory or one file), :func:`read_file`,
:func:`read_requirements_file`, :func:`read_pyproject`, :func:`parse_requirement`,
:func:`load_toml_file`,
:func:`project_pins` (what installing the project with some extras and groups pulls in)
and :func:`find_project_files`. Each returns :class:`~ddguard.model.Scan` values whose
pins carry a structured :class:`~ddguard.model.Origin`. The model is imported where it is
used: the build hooks after the first load pyproject.toml through :func:`load_toml_file`
and need no more.

The registry below says which :class:`~ddguard.sources.interface.Reader` handles which
file name; a reader's module is imported when a file of its kind is read. Anything else is
read as a pip requirements file.

Errors are :class:`~ddguard.errors.InputError` naming the file and line. An error that
would quote a line of a file outside the project directory names the file and line only:
the project directory is ``project`` when given, else the directory scanned, else the
directory of the file read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Collection, Dict, List, Optional, Tuple, TypeVar

from ddguard.errors import InputError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from ddguard.model import Note, Origin, Pin, Scan
    from ddguard.sources.interface import Reader
    from ddguard.sources.names import Names

_T = TypeVar("_T")

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml")
DECLARATION_FILES = ("pyproject.toml", "Pipfile", "setup.cfg", "tox.ini")
REQUIREMENTS_DIRS = ("requirements",)

# file name -> the module whose READER reads it (imported on use)
_REGISTRY = {
    "pyproject.toml": "ddguard.sources.pyproject",
    "Pipfile": "ddguard.sources.pipfile",
    "setup.cfg": "ddguard.sources.config",
    "tox.ini": "ddguard.sources.tox",
    "uv.lock": "ddguard.sources.locks.uv",
    "poetry.lock": "ddguard.sources.locks.poetry",
    "pdm.lock": "ddguard.sources.locks.pdm",
    "Pipfile.lock": "ddguard.sources.locks.pipfile",
    "pylock.toml": "ddguard.sources.locks.pylock",
}


def _is_pylock(name: str) -> bool:
    return name.startswith("pylock.") and name.endswith(".toml")


def reader_for(name: str) -> Optional[Reader]:
    """The reader of a project file named ``name``; None for a requirements file."""
    module = _REGISTRY.get(name) or (_REGISTRY["pylock.toml"] if _is_pylock(name) else None)
    if module is None:
        return None
    import importlib

    reader: Reader = importlib.import_module(module).READER
    return reader


def _is_requirements_name(name: str) -> bool:
    lower = name.lower()
    if lower == "manifest.in":
        return False
    return lower.endswith(".in") or (
        lower.endswith(".txt") and lower.startswith(("requirements", "constraints"))
    )


def _is_file(path: str) -> bool:
    """Anything but a directory: a FIFO or a device is then named by the reader, not skipped."""
    return os.path.lexists(path) and not os.path.isdir(path)


def find_project_files(directory: str) -> List[str]:
    """Project files in ``directory``: locks first (they are reported before what they lock),
    then declarations, then requirements files (also those in a ``requirements/`` folder)."""
    try:
        names = set(os.listdir(directory))
    except OSError as exc:
        raise InputError(f"cannot list the directory: {exc.strerror}", directory) from None
    found = [n for n in LOCK_FILES if n in names]
    found += sorted(n for n in names if _is_pylock(n) and n != "pylock.toml")
    found += [n for n in DECLARATION_FILES if n in names]
    requirements = sorted(n for n in names if _is_requirements_name(n))
    found += [n for n in requirements if not n.lower().startswith("constraints")]
    found += [n for n in requirements if n.lower().startswith("constraints")]
    paths = [os.path.join(directory, n) for n in found if _is_file(os.path.join(directory, n))]
    for folder in REQUIREMENTS_DIRS:
        sub = os.path.join(directory, folder)
        if os.path.isdir(sub):
            try:
                listed = sorted(os.listdir(sub))
            except OSError as exc:
                raise InputError(f"cannot list the directory: {exc.strerror}", sub) from None
            paths += [
                os.path.join(sub, n)
                for n in listed
                if n.endswith((".txt", ".in")) and _is_file(os.path.join(sub, n))
            ]
    return paths


def _names(names: Optional[Collection[str]]) -> Names:
    from ddguard.sources.names import wanted_names

    return wanted_names(names)


def read_file(
    path: str, names: Optional[Collection[str]] = None, *, project: Optional[str] = None
) -> Scan:
    """One project file, read by the reader its name calls for (a requirements file
    otherwise)."""
    return _guarded(
        project or os.path.dirname(path) or ".", lambda: _read_file(path, _names(names))
    )


def _read_file(path: str, names: Names) -> Scan:
    from ddguard.model import Note, NoteCode, Scan

    name = os.path.basename(path)
    if name == "setup.py":
        return Scan(notes=(Note(NoteCode.SETUP_PY_NOT_READ, path),))
    reader = reader_for(name)
    if reader is not None:
        return reader.read(path, names)
    return _read_requirements(path, names)


def _read_requirements(path: str, names: Names) -> Scan:
    from ddguard.model import Origin, OriginKind, Scan
    from ddguard.sources.requirements_file import ReadState, read_file

    state = ReadState(names)
    read_file(path, state, Origin(OriginKind.DEPENDENCY))
    return Scan(tuple(state.pins), tuple(state.notes), None, None, tuple(state.files))


def read_requirements_file(
    path: str, names: Optional[Collection[str]] = None, *, project: Optional[str] = None
) -> Scan:
    """The pins (of ddtrace, or of ``names``) of a pip requirements or constraints file and
    of what it includes."""
    wanted = _names(names)
    return _guarded(
        project or os.path.dirname(path) or ".", lambda: _read_requirements(path, wanted)
    )


def read_pyproject(
    path: str, names: Optional[Collection[str]] = None, *, project: Optional[str] = None
) -> Scan:
    """pyproject.toml alone (build hooks): PEP 621, PEP 735, build-system, Poetry, PDM, uv, tox."""
    from ddguard.sources.pyproject import read_pyproject as read

    wanted = _names(names)
    return _guarded(project or os.path.dirname(path) or ".", lambda: read(path, wanted))


def load_toml_file(path: str) -> Dict[str, Any]:
    """A TOML file (pyproject.toml) as data, through the one bounded reader and TOML loader;
    InputError naming the file and line when it cannot be read."""
    from ddguard.sources.text import DECLARATION_LIMIT, load_toml, read_text

    return load_toml(read_text(path, DECLARATION_LIMIT), path)


def parse_requirement(
    text: str, origin: Origin, names: Optional[Collection[str]] = None
) -> Optional[Pin]:
    """One requirement as a requirements file holds it (PEP 508, a URL or a path, ``-e``,
    with ``--hash`` options); None when it names none of ``names`` (default ddtrace)."""
    from ddguard.sources.requirements_file import parse_line

    return parse_line(text, origin, _names(names))


def project_pins(root: str, extras: Collection[str] = (), groups: Collection[str] = ()) -> Scan:
    """What installing the project at ``root`` with ``extras`` and dependency ``groups``
    (PEP 735) pulls in, from its pyproject.toml: the dependencies, those extras, those
    groups and the groups they include."""
    from ddguard.model import OriginKind, Scan
    from ddguard.sources.names import canonical

    pyproject = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return Scan()
    scan = read_pyproject(pyproject, project=root)
    wanted_extras = frozenset(canonical(e) for e in extras)
    wanted_groups = frozenset(canonical(g) for g in groups)
    chosen = [
        pin
        for pin in scan.pins
        if pin.origin.selected_by(wanted_extras, wanted_groups)
        and not (pin.origin.kind is OriginKind.GROUP and pin.origin.tool is not None)
    ]
    return scan._replace(pins=tuple(chosen))


def scan_project(
    path: str, names: Optional[Collection[str]] = None, *, project: Optional[str] = None
) -> Scan:
    """Every pin (of ddtrace, or of ``names``) of a project directory, or of one project
    file; locks come first."""
    wanted = _names(names)
    if _is_file(path):
        return read_file(path, wanted, project=project)
    if not os.path.isdir(path):
        raise InputError("no such file or directory", path)
    return _guarded(project or path, lambda: _scan_directory(path, wanted))


def _scan_directory(path: str, names: Names) -> Scan:
    from ddguard.model import Note, NoteCode, Origin, OriginKind, Scan
    from ddguard.sources.requirements_file import ReadState, read_file

    files = find_project_files(path)
    if not files:
        setup_py = os.path.join(path, "setup.py")
        if os.path.isfile(setup_py):
            return Scan(notes=(Note(NoteCode.SETUP_PY_NOT_READ, setup_py),))
        raise InputError(
            "no project file here (pyproject.toml, setup.cfg, requirements*.txt, *.in, Pipfile, "
            "tox.ini or a lock file)",
            path,
        )
    pins: List[Pin] = []
    notes: List[Note] = []
    read: List[str] = []
    declared: Tuple[Optional[SpecifierSet], Optional[str]] = (None, None)
    locked: Tuple[Optional[SpecifierSet], Optional[str]] = (None, None)
    state = ReadState(names)
    for each in files:
        name = os.path.basename(each)
        reader = reader_for(name)
        if reader is not None:
            scan = reader.read(each, names)
            pins.extend(scan.pins)
            notes.extend(scan.notes)
            read.extend(scan.files)
            if scan.python_range is not None:
                found = (scan.python_range, scan.python_range_text)
                if name in DECLARATION_FILES:
                    declared = declared if declared[0] is not None else found
                else:
                    locked = locked if locked[0] is not None else found
        else:
            before = len(state.pins)
            constraints = name.lower().startswith("constraints")
            origin = Origin(OriginKind.CONSTRAINT if constraints else OriginKind.DEPENDENCY)
            read_file(each, state, origin)
            pins.extend(state.pins[before:])
    notes.extend(state.notes)
    read.extend(f for f in state.files if f not in read)
    # the same file and line met twice (included by two files): the first reading stays
    unique = list({(p.origin.path, p.origin.line, p.text): p for p in reversed(pins)}.values())
    unique.reverse()
    python = declared if declared[0] is not None else locked
    return Scan(tuple(unique), tuple(notes), python[0], python[1], tuple(read))


def _guarded(project: str, read: Callable[[], _T]) -> _T:
    """``read()``, with errors that would quote a file outside ``project`` made to name it
    only, and a stack exhausted by nesting the reader did not bound made one InputError."""
    from ddguard.sources.text import QuotingError

    try:
        return read()
    except QuotingError as exc:
        if exc.path is None or _inside(exc.path, project):
            raise
        raise InputError(
            f"cannot be read (not quoted: the file is outside the project directory {project})",
            exc.path,
            exc.line,
        ) from None
    except RecursionError:
        raise InputError("nested too deeply to read", project) from None


def _inside(path: str, directory: str) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(directory)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)
