"""What every integration guard shares (tox, nox, pytest, PDM, Poetry): the mode switch,
the project's ``[tool.ddguard]`` settings, a Target for another interpreter on this
machine, ddtrace Pins from requirement lines and project files, and the installer
plugins' judgement of a project's whole Python range.

Nothing here imports a host (tox, nox, pytest, PDM, Poetry): each integration stays a
thin adapter that turns ``None`` or a refusal message into its host's error.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Callable,
    Collection,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

if TYPE_CHECKING:
    from ddguard.api import Report
    from ddguard.evaluate import Result
    from ddguard.knowledge import Knowledge
    from ddguard.pins import Pin
    from ddguard.target import Target

Minor = Tuple[int, int]
Requirement = Union[str, "Pin"]

_DDTRACE_LINE = re.compile(r"^\s*ddtrace\s*($|[<>=!~;\[@ (])", re.IGNORECASE)


# --- the mode switch and [tool.ddguard] ---------------------------------------------------


class Mode(str, enum.Enum):
    STRICT = "strict"  # refuse
    WARN = "warn"  # print the refusal and go on
    OFF = "off"  # skip


def mode() -> Mode:
    """``DDGUARD_MODE``: strict (default), warn or off; an unknown value means strict."""
    value = os.environ.get("DDGUARD_MODE", "").strip().lower()
    try:
        return Mode(value) if value else Mode.STRICT
    except ValueError:
        return Mode.STRICT


@dataclass(frozen=True)
class Settings:
    """``DDGUARD_MODE`` and the options of the project's ``[tool.ddguard]`` table."""

    mode: Mode = Mode.STRICT
    allow_source_build: bool = False
    strict: bool = False

    @property
    def off(self) -> bool:
        return self.mode is Mode.OFF


def read_settings(project_dir: Optional[Path]) -> Settings:
    """Settings for a project directory. A missing pyproject.toml, or one that is not
    valid TOML (the installer reports that better), means the defaults; a wrong
    ``[tool.ddguard]`` value is an InputError naming the file."""
    current = mode()
    pyproject = project_dir / "pyproject.toml" if project_dir is not None else None
    try:
        text = pyproject.read_text("utf-8") if pyproject is not None else ""
    except OSError:
        text = ""
    if pyproject is None or "ddguard" not in text:
        return Settings(mode=current)
    from ddguard.build_config import load_toml, read_config
    from ddguard.errors import InputError

    try:
        document = load_toml(str(pyproject))
    except InputError:
        return Settings(mode=current)
    config = read_config(str(pyproject), document)
    return Settings(current, config.allow_source_build, config.strict)


# --- targets -----------------------------------------------------------------------------


def interpreter_target(
    version: Sequence[int], implementation: str = "cpython", free_threaded: bool = False
) -> Target:
    """Another interpreter on this machine (``implementation`` as ``sys.implementation.name``
    or pip's short form): its own version and ABI, this host's platform. This interpreter
    itself gives the host's Target."""
    from ddguard.target import IMPLEMENTATION_NAMES, Target

    host = Target.from_host()
    name = IMPLEMENTATION_NAMES.get(implementation.lower(), implementation.lower())
    numbers = [int(v) for v in version[:3]]
    if (
        tuple(numbers[:2]) == host.python
        and name == host.implementation
        and free_threaded == host.free_threaded
    ):
        return host
    short = next((k for k, v in IMPLEMENTATION_NAMES.items() if v == name), "cp")
    abis: List[str] = []
    if short == "cp" and len(numbers) >= 2:
        abis.append("cp%d%d%s" % (numbers[0], numbers[1], "t" if free_threaded else ""))
    return Target.from_pip_flags(
        python_version=".".join(str(n) for n in numbers), implementation=short, abis=abis
    )


def minor_target(minor: Minor) -> Target:
    """CPython ``minor`` on this machine's platform."""
    return interpreter_target(minor)


# --- pins ----------------------------------------------------------------------------------


def names_ddtrace(text: str) -> bool:
    """Cheap pre-filter: does this requirement line name ddtrace (not ddtrace-foo)?"""
    return bool(_DDTRACE_LINE.match(text))


def pin_from_text(text: str, source: str) -> Optional[Pin]:
    """A Pin for one requirement line naming ddtrace; None for any other requirement."""
    if not names_ddtrace(text):
        return None
    from ddguard.pins import parse_requirement_text

    return parse_requirement_text(text, source)


def requirements_file_pins(path: Path) -> List[Pin]:
    """The ddtrace pins of a requirements or constraints file (and the files it includes)."""
    from ddguard.pins import read_requirements_file

    return read_requirements_file(str(path))


def project_pins(
    root: Path, extras: Collection[str] = (), groups: Collection[str] = ()
) -> Tuple[List[Pin], List[str]]:
    """The ddtrace pins an install of the project at ``root`` pulls in (its dependencies,
    the named extras and dependency groups, with the groups these include), read from
    pyproject.toml; never runs setup.py."""
    from ddguard import sources
    from ddguard.pins import note_text

    scan = sources.project_pins(str(root), extras, groups)
    return list(scan.pins), [note_text(n) for n in scan.notes]


def refusals(report: Report) -> List[str]:
    """The paragraph of every refused result."""
    from ddguard.report import paragraph

    return [paragraph(r) for r in report.results if r.refused]


# --- installer plugins: the environment and the project's whole Python range --------------


@functools.lru_cache(maxsize=None)
def _cpython_minors(knowledge: Knowledge) -> Tuple[Minor, ...]:
    """The CPython minors worth judging: from the oldest any release line supported to
    the newest the newest final release publishes wheels for (a project's open-ended
    range must not be refused for an interpreter no ddtrace release has shipped for)."""
    lows = [low for line in knowledge.lines for low, _ in line.python_ranges()]
    final = [r for r in knowledge.releases if not r.version.is_prerelease and not r.yanked]
    newest = [
        (int(tag.interpreter[2]), int(tag.interpreter[3:]))
        for tag in (final[-1].wheel_tags() if final else ())
        if tag.interpreter.startswith("cp3") and tag.interpreter[2:].isdigit()
    ]
    first3 = min((low for low in lows if low[0] == 3), default=(3, 7))
    last = max(newest, default=(3, 13))
    minors = [(2, 7)] if (2, 7) in lows else []
    minors += [(3, y) for y in range(first3[1], last[1] + 1)]
    return tuple(minors)


def admitted_minors(admits: Callable[[str], bool], knowledge: Knowledge) -> List[Minor]:
    """The CPython minors a project's Python range admits (any of a few patch releases)."""
    return [
        minor
        for minor in _cpython_minors(knowledge)
        if any(admits("%d.%d.%d" % (minor + (patch,))) for patch in (0, 1, 5, 10, 20, 99))
    ]


def specifier_admits(requires_python: str) -> Optional[Callable[[str], bool]]:
    """``requires-python`` as a predicate; ``None`` when it is empty or unreadable."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not requires_python.strip():
        return None
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    return lambda version: spec.contains(version, prereleases=True)


def installer_refusal(
    requirements: Sequence[Requirement],
    current: Target,
    *,
    settings: Settings,
    python_range: Optional[str] = None,
    admits: Optional[Callable[[str], bool]] = None,
    range_label: str = "requires-python",
) -> Optional[str]:
    """The refusal message for ``requirements`` (``None`` when nothing is refused).

    ``current`` is the environment's interpreter. With ``python_range`` (at lock time: the
    project's ``requires-python`` as written, read as PEP 440 unless ``admits`` says which
    versions it admits) every other CPython that range admits is judged too, on this
    machine's platform, and the refusal names the sub-range that breaks.
    """
    if settings.off or not requirements:
        return None
    from ddguard import knowledge as _knowledge
    from ddguard.api import check as _check
    from ddguard.report import paragraph

    db = _knowledge.load()
    options = {"allow_source_build": settings.allow_source_build, "strict": settings.strict}
    report = _check(requirements, current, knowledge=db, **options)
    refused_here = _unique_refusals(report)
    parts = [paragraph(r) for r in refused_here]
    if admits is None and python_range:
        admits = specifier_admits(python_range)
    if python_range and admits is not None:
        admitted = admitted_minors(admits, db)
        others = [m for m in admitted if m != current.python]
        targets = [minor_target(m) for m in others]
        # no other minor: nothing to judge (check() with no targets would judge this host)
        broken = (
            _unique_refusals(_check(requirements, targets, knowledge=db, **options))
            if targets
            else []
        )
        if broken:
            parts.append(
                _range_paragraph(refused_here, broken, admitted, python_range, range_label)
            )
    return "\n".join(parts) if parts else None


def _unique_refusals(report: Report) -> List[Result]:
    seen = set()
    refused = []
    for result in report.results:
        key = (result.version, result.target, result.verdict)
        if result.refused and key not in seen:
            seen.add(key)
            refused.append(result)
    return refused


def _range_paragraph(
    refused_here: Sequence[Result],
    broken: Sequence[Result],
    admitted: Sequence[Minor],
    requires_python: str,
    label: str,
) -> str:
    """The sub-range of the project's Python range that breaks; the first broken
    interpreter's paragraph only when the environment's own refusal did not already say it."""
    from ddguard.knowledge import format_python_ranges, merge_ranges
    from ddguard.report import paragraph

    bad = sorted({r.target.python for r in [*refused_here, *broken]})
    good = [m for m in admitted if m not in bad]
    where = format_python_ranges(merge_ranges([(m, m) for m in bad]))
    first = broken[0]
    if good and bad[0] > max(good):
        marker = 'python_version < "%d.%d"' % bad[0]
    elif good and bad[-1] < min(good):
        marker = 'python_version >= "%d.%d"' % min(good)
    else:
        marker = "python_version ..."
    declared = " ".join(requires_python.split())
    return (
        f"The project's {label} ({declared}) admits CPython {where}, "
        f"where {first.requirement} does not work, and the lock covers every interpreter "
        f"it admits. Narrow it to exclude them, or add a marker to the requirement "
        f"(; {marker})."
        + ("" if refused_here else f" On CPython {first.target.python_str}: {paragraph(first)}")
    )
