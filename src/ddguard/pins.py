"""Find every ddtrace requirement a project declares or locks, as data (never runs setup.py).

Contract used by the CLI, the build hooks and the tox/nox/PDM/Poetry guards:
``read_requirements_file(path)`` and ``scan_project(path)`` return :class:`Pin` objects
that ``ddguard.check()`` judges; ``source`` is ``"path:line"``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, AbstractSet, Collection, List, Optional, Tuple, Union

from ddguard.errors import InputError

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet


class PinKind(enum.Enum):
    DECLARED = "declared"  # a requirement a person wrote (requirements file, pyproject, ...)
    LOCKED = "locked"  # an entry a lock file recorded (uv.lock, poetry.lock, ...)
    CONSTRAINT = "constraint"  # pip -c file, uv constraint-dependencies


@dataclass(frozen=True)
class Pin:
    requirement: str  # as written, e.g. "ddtrace[opentracing]>=2,<3 ; python_version<'3.12'"
    source: str  # "path:line"
    specifier: SpecifierSet  # normalized PEP 440 specifier (locks: ==version)
    marker: Optional[Marker] = None  # evaluated against each target, not the host
    kind: PinKind = PinKind.DECLARED
    context: Optional[str] = None  # "extra 'tracing'", "group 'dev'", "build-system.requires"...
    unknown_reason: Optional[str] = None  # editable/VCS/unversioned reference: reported unknown
    wheel_tags: Tuple[str, ...] = ()  # tags of locked/direct-reference wheel files, if recorded
    name: str = "ddtrace"  # the package, as written (scans for other ``names`` than ddtrace)
    # A union (Poetry ``^1.20 || ~2.8``): any alternative may match; empty = ``specifier``
    # alone. ``specifier`` is then empty (any version).
    alternatives: Tuple[SpecifierSet, ...] = ()

    @property
    def specifiers(self) -> Union[SpecifierSet, Tuple[SpecifierSet, ...]]:
        """What :func:`ddguard.evaluate.judge_requirement` takes: the alternatives, if any."""
        return self.alternatives or self.specifier


@dataclass(frozen=True)
class ProjectScan:
    pins: Tuple[Pin, ...]
    notes: Tuple[str, ...] = field(default=())
    python_range: Optional[SpecifierSet] = None  # requires-python / Poetry's python
    files: Tuple[str, ...] = field(default=())  # project files that were read


# --- reading project files ----------------------------------------------------------------
# The readers live in pins_reqfile (pip files), pins_pyproject (pyproject.toml, Pipfile),
# pins_config (setup.cfg, tox.ini) and pins_locks (lock files), imported on use.

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml")
DECLARATION_FILES = ("pyproject.toml", "Pipfile", "setup.cfg", "tox.ini")
REQUIREMENTS_DIRS = ("requirements",)
DDTRACE: AbstractSet[str] = frozenset({"ddtrace"})


def _names(names: Optional[Collection[str]]) -> AbstractSet[str]:
    """The canonical names a scan looks for (default: ddtrace only)."""
    if names is None:
        return DDTRACE
    from ddguard.pins_common import canonical

    return frozenset(canonical(n) for n in names)


def parse_requirement_text(text: str, source: str = "argv") -> Optional[Pin]:
    """One requirement as a requirements file would hold it (PEP 508, a URL or a path,
    optionally followed by ``--hash`` options); None when it does not name ddtrace."""
    from ddguard.pins_reqfile import editable_line, requirement_line, split_args_options

    path, _, line = source.rpartition(":")
    where = path if line.isdigit() else source
    number = int(line) if line.isdigit() else None
    stripped = text.strip()
    if stripped.startswith(("-e ", "--editable ", "--editable=")):
        value = (
            stripped.split("=", 1)[1]
            if stripped.startswith("--editable=")
            else stripped.split(None, 1)[1]
        )
        return editable_line(value.strip(), source, PinKind.DECLARED, None)
    args, _ = split_args_options(stripped)
    if not args:
        return None
    return requirement_line(args, source, where, number or 0, PinKind.DECLARED, None)


def read_requirements_file(path: str, names: Optional[Collection[str]] = None) -> List[Pin]:
    """The ddtrace pins (or those of ``names``) of a pip requirements or constraints file
    and what it includes."""
    from ddguard.pins_reqfile import ReadState, read_file

    state = ReadState(names=_names(names))
    read_file(path, state)
    return state.pins


def read_pyproject(path: str, names: Optional[Collection[str]] = None) -> ProjectScan:
    """pyproject.toml only (build hooks): PEP 621, PEP 735, build-system, Poetry, PDM, uv."""
    from ddguard.pins_pyproject import read_pyproject as read

    return read(path, _names(names))


def _is_requirements_name(name: str) -> bool:
    lower = name.lower()
    if lower == "manifest.in":
        return False
    return lower.endswith(".in") or (
        lower.endswith(".txt") and lower.startswith(("requirements", "constraints"))
    )


def find_project_files(directory: str) -> List[str]:
    """Project files in ``directory``: locks first (they are reported before what they lock),
    then declarations, then requirements files (also those in a ``requirements/`` folder)."""
    import os

    try:
        names = set(os.listdir(directory))
    except OSError as exc:
        raise InputError(f"cannot list the directory: {exc.strerror}", directory) from None
    found = [n for n in LOCK_FILES if n in names]
    found += sorted(
        n for n in names if n.startswith("pylock.") and n.endswith(".toml") and n != "pylock.toml"
    )
    found += [n for n in DECLARATION_FILES if n in names]
    requirements = sorted(n for n in names if _is_requirements_name(n))
    found += [n for n in requirements if not n.lower().startswith("constraints")]
    found += [n for n in requirements if n.lower().startswith("constraints")]
    paths = [
        os.path.join(directory, n) for n in found if os.path.isfile(os.path.join(directory, n))
    ]
    for folder in REQUIREMENTS_DIRS:
        sub = os.path.join(directory, folder)
        if os.path.isdir(sub):
            paths += [
                os.path.join(sub, n)
                for n in sorted(os.listdir(sub))
                if n.endswith((".txt", ".in")) and os.path.isfile(os.path.join(sub, n))
            ]
    return paths


def read_project_file(path: str, names: Optional[Collection[str]] = None) -> ProjectScan:
    """One project file, by its name."""
    import os

    wanted = _names(names)
    name = os.path.basename(path)
    if name == "setup.py":
        return ProjectScan((), (_SETUP_PY_NOTE.format(path=path),), None, ())
    if name == "pyproject.toml":
        return read_pyproject(path, wanted)
    if name in LOCK_FILES or (name.startswith("pylock.") and name.endswith(".toml")):
        from ddguard import pins_locks

        reader = {
            "uv.lock": pins_locks.read_uv_lock,
            "poetry.lock": pins_locks.read_poetry_lock,
            "pdm.lock": pins_locks.read_pdm_lock,
            "Pipfile.lock": pins_locks.read_pipfile_lock,
        }.get(name, pins_locks.read_pylock)
        return reader(path, wanted)
    if name == "Pipfile":
        from ddguard.pins_pyproject import read_pipfile

        return read_pipfile(path, wanted)
    if name == "setup.cfg":
        from ddguard.pins_config import read_setup_cfg

        return read_setup_cfg(path, wanted)
    if name == "tox.ini":
        from ddguard.pins_config import read_tox_ini

        return read_tox_ini(path, wanted)
    from ddguard.pins_reqfile import ReadState, read_file

    state = ReadState(names=wanted)
    read_file(path, state)
    return ProjectScan(tuple(state.pins), tuple(state.notes), None, tuple(state.files))


_SETUP_PY_NOTE = (
    "{path} is not read: ddguard never runs project code. Declare ddtrace in pyproject.toml, "
    "setup.cfg or a requirements file, or check a requirement directly (ddguard check 'ddtrace==X')"
)


def scan_project(path: str, names: Optional[Collection[str]] = None) -> ProjectScan:
    """Every ddtrace pin (or pin of one of ``names``) of a project directory, or of one
    project file; locks come first."""
    import os

    wanted = _names(names)
    if os.path.isfile(path):
        return read_project_file(path, wanted)
    if not os.path.isdir(path):
        raise InputError("no such file or directory", path)
    files = find_project_files(path)
    if not files:
        setup_py = os.path.join(path, "setup.py")
        if os.path.isfile(setup_py):
            return ProjectScan((), (_SETUP_PY_NOTE.format(path=setup_py),), None, ())
        raise InputError(
            "no project file here (pyproject.toml, setup.cfg, requirements*.txt, *.in, Pipfile, "
            "tox.ini or a lock file)",
            path,
        )
    from ddguard.pins_reqfile import ReadState, read_file

    pins: List[Pin] = []
    notes: List[str] = []
    read: List[str] = []
    lock_range: Optional[SpecifierSet] = None
    declared_range: Optional[SpecifierSet] = None
    state = ReadState(names=wanted)
    for each in files:
        name = os.path.basename(each)
        if name in DECLARATION_FILES or name in LOCK_FILES or name.startswith("pylock."):
            scan = read_project_file(each, wanted)
            pins.extend(scan.pins)
            notes.extend(scan.notes)
            read.extend(scan.files)
            if scan.python_range is not None:
                if name in DECLARATION_FILES:
                    declared_range = declared_range or scan.python_range
                else:
                    lock_range = lock_range or scan.python_range
        else:
            before = len(state.pins)
            kind = PinKind.CONSTRAINT if name.lower().startswith("constraints") else None
            read_file(each, state, kind=kind, context="constraint" if kind else None)
            pins.extend(state.pins[before:])
    notes.extend(state.notes)
    read.extend(f for f in state.files if f not in read)
    unique = list({(p.source, p.requirement): p for p in reversed(pins)}.values())[::-1]
    return ProjectScan(tuple(unique), tuple(notes), declared_range or lock_range, tuple(read))
