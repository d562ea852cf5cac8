"""Plumbing shared by the tox, nox and pytest guards: the mode switch, a Target for
another interpreter on this machine, and Pins from requirement lines and project files.

Kept free of any host's imports so each integration stays a thin adapter.
"""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Collection, Iterable, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from ddguard.api import Report
    from ddguard.pins import Pin, ProjectScan
    from ddguard.target import Target

_DDTRACE_LINE = re.compile(r"^\s*ddtrace\s*($|[<>=!~;\[@ (])", re.IGNORECASE)
_CONTEXT_NAME = re.compile(r"""['"]([^'"]+)['"]""")
_IMPLEMENTATION_SHORT = {"cpython": "cp", "pypy": "pp", "graalpy": "gp", "jython": "jy"}


class Mode(str, enum.Enum):
    STRICT = "strict"
    WARN = "warn"
    OFF = "off"


def mode() -> Mode:
    """``DDGUARD_MODE``: strict (default), warn or off; an unknown value means strict."""
    value = os.environ.get("DDGUARD_MODE", "").strip().lower()
    try:
        return Mode(value) if value else Mode.STRICT
    except ValueError:
        return Mode.STRICT


def interpreter_target(
    implementation: str, version: Sequence[int], free_threaded: bool = False
) -> Target:
    """Another interpreter on this machine: its own version and ABI, this host's platform."""
    from ddguard.target import Target

    short = _IMPLEMENTATION_SHORT.get(implementation.lower(), implementation.lower()[:2])
    numbers = [int(v) for v in version[:3]]
    abis: List[str] = []
    if short == "cp" and len(numbers) >= 2:
        abis.append("cp%d%d%s" % (numbers[0], numbers[1], "t" if free_threaded else ""))
    return Target.from_pip_flags(
        python_version=".".join(str(n) for n in numbers), implementation=short, abis=abis
    )


def names_ddtrace(text: str) -> bool:
    """Cheap pre-filter: does this requirement line name ddtrace (not ddtrace-foo)?"""
    return bool(_DDTRACE_LINE.match(text))


def pin_from_text(text: str, source: str) -> Optional[Pin]:
    """A Pin for one requirement line naming ddtrace; None for any other requirement."""
    if not names_ddtrace(text):
        return None
    from ddguard import pins

    parse = getattr(pins, "parse_requirement_text", None)
    if parse is not None:
        try:
            found: Optional[Pin] = parse(text, source)
            return found
        except NotImplementedError:
            pass
    from ddguard.api import parse_ddtrace_requirement

    requirement = parse_ddtrace_requirement(text)
    unknown = None
    if requirement.url and not requirement.specifier:
        unknown = f"{text.strip()} names no released version"
    return pins.Pin(
        requirement=text.strip(),
        source=source,
        specifier=requirement.specifier,
        marker=requirement.marker,
        unknown_reason=unknown,
    )


def pins_from_lines(lines: Iterable[str], source: str) -> List[Pin]:
    found = []
    for number, line in enumerate(lines, start=1):
        pin = pin_from_text(line.split(" #", 1)[0], f"{source}:{number}")
        if pin is not None:
            found.append(pin)
    return found


def requirements_file_pins(path: Path) -> List[Pin]:
    from ddguard import pins

    read = getattr(pins, "read_requirements_file", None)
    if read is not None:
        try:
            result: List[Pin] = list(read(path))
            return result
        except NotImplementedError:
            pass
    return pins_from_lines(path.read_text(encoding="utf-8").splitlines(), str(path))


def project_pins(
    root: Path, extras: Collection[str] = (), groups: Collection[str] = ()
) -> Tuple[List[Pin], List[str]]:
    """The ddtrace pins an install of the project at ``root`` pulls in (its dependencies,
    the named extras and dependency groups), read from pyproject.toml; never runs setup.py."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return [], []
    from ddguard import pins

    read = getattr(pins, "read_pyproject", None)
    try:
        scan: Optional[ProjectScan] = read(pyproject) if read is not None else None
    except NotImplementedError:
        scan = None
    if scan is None:
        return [], [f"{pyproject}: not read (this ddguard cannot read pyproject.toml yet)"]
    wanted = {_normal(e) for e in extras}
    wanted_groups = {_normal(g) for g in groups}
    chosen = []
    for pin in scan.pins:
        context = (pin.context or "").lower()
        named = _CONTEXT_NAME.search(pin.context or "")
        name = _normal(named.group(1)) if named else ""
        if (
            not context
            or (context.startswith("extra") and name in wanted)
            or (context.startswith("group") and name in wanted_groups)
        ):
            chosen.append(pin)
    return chosen, list(scan.notes)


def refusals(report: Report) -> List[str]:
    """The paragraph of every refused result."""
    from ddguard.report import paragraph

    return [paragraph(r) for r in report.results if r.refused]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
