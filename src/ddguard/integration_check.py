"""``check --integrations``: the installed (and declared or locked) versions of instrumented
libraries against the ranges of the ddtrace line each check result judged.

Declared and locked pins of integration packages come from the same readers as ddtrace's
(:mod:`ddguard.pins`, asked for more ``names``): requirements files and their includes,
pyproject tables, setup.cfg, tox.ini, Pipfile and every lock file. An exact pin or a lock
entry is judged like an installed version; a declared range is a problem when its upper
bound lies below the supported minimum (``Django<1.8`` under ddtrace 2.x), and a notice
("untested") when its lower bound lies above the newest version tested (``Django>=6``
under 4.x); a Poetry ``||`` union only when every alternative is. Other ranges are not
judged (the version installed or locked is). Markers are evaluated per target; editable,
VCS and unversioned references are skipped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ddguard import integration_ranges
from ddguard.sources.names import canonical

if TYPE_CHECKING:
    from ddguard.api import Report
    from ddguard.integration_ranges import IntegrationFinding
    from ddguard.pins import Pin
    from ddguard.target import Target


def known_packages() -> Set[str]:
    """Canonical names of every package some integration range mentions."""
    data = integration_ranges.load()
    names: Set[str] = set()
    for entry in data.integrations.values():
        for era in ("2", "4"):
            for dep in entry.get(era, {}).get("deps", []):
                names.update(canonical(n) for n in [dep["package"], *dep.get("aliases", [])])
    return names


def scan_names() -> Set[str]:
    """What ``check --integrations`` asks the project readers for: ddtrace and every
    integration package."""
    return known_packages() | {"ddtrace"}


def split_ddtrace(pins: Iterable[Pin]) -> Tuple[List[Pin], List[Pin]]:
    """(ddtrace pins, pins of other packages) of one scan."""
    ours: List[Pin] = []
    others: List[Pin] = []
    for pin in pins:
        (ours if canonical(pin.name) == "ddtrace" else others).append(pin)
    return ours, others


def declared_pins(files: Sequence[str] = (), projects: Sequence[str] = ()) -> List[Pin]:
    """Integration-package pins of requirements files and project paths (one read each)."""
    from ddguard import pins

    wanted = known_packages()
    found: List[Pin] = []
    for path in files:
        found.extend(pins.read_requirements_file(path, wanted))
    for path in projects:
        found.extend(pins.scan_project(path, wanted).pins)
    return found


def exact_version(pin: Pin) -> Optional[str]:
    """The version an exact pin (``==X``, ``===X``) or a lock entry names, else None."""
    specs = list(pin.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def pin_findings(
    pin: Pin, version: object, target: Target, *, strict: bool
) -> List[IntegrationFinding]:
    """One declared or locked pin under a ddtrace release (``version``) on ``target``."""
    if pin.unknown_reason is not None:
        return []
    if pin.marker is not None and not pin.marker.evaluate(target.marker_env()):
        return []
    exact = exact_version(pin)
    if exact is not None:
        return integration_ranges.integration_findings(
            str(version), target, {pin.name: exact}, sources={pin.name: pin.source}, strict=strict
        )
    if not pin.alternatives:
        return integration_ranges.range_findings(
            str(version), target, pin.name, pin.specifier, source=pin.source, strict=strict
        )
    # A union: outside the supported range only when every alternative is (said of the first).
    each = [
        integration_ranges.range_findings(
            str(version), target, pin.name, alt, source=pin.source, strict=strict
        )
        for alt in pin.alternatives
    ]
    kinds = set.intersection(*({f.kind for f in found} for found in each))
    written = " || ".join(str(alt) for alt in pin.alternatives)
    return [
        replace(f, version=written, message=f.message.replace(f.version, written, 1))
        for f in each[0]
        if f.kind in kinds
    ]


def findings_for(
    report: Report,
    *,
    pins: Sequence[Pin] = (),
    files: Sequence[str] = (),
    projects: Sequence[str] = (),
    strict: bool = False,
    installed: Optional[Dict[str, str]] = None,
) -> Report:
    """``report`` with integration findings for every (target, ddtrace line) it judged:
    installed versions, ``pins`` already read (the CLI's one scan), and the pins of
    ``files``/``projects`` (read here)."""
    from ddguard.sources import installed as installed_module

    wanted = known_packages()
    versions = (
        installed
        if installed is not None
        else installed_module.versions(spelled=wanted | {"ddtrace"})
    )
    declared = [p for p in pins if canonical(p.name) in wanted]
    if files or projects:
        declared += declared_pins(files, projects)
    from packaging.version import InvalidVersion, Version

    lines: Dict[Tuple[Target, int], Version] = {}
    for result in report.results:
        try:
            version = Version(result.version or "")
        except InvalidVersion:
            continue
        key = (result.target, version.major)
        lines[key] = max(lines.get(key, version), version)
    if not lines and versions.get("ddtrace"):  # no ddtrace pinned: the installed one
        try:
            version = Version(versions["ddtrace"])
        except InvalidVersion:
            pass
        else:
            lines.update({(target, version.major): version for target in report.targets})
    findings: List[IntegrationFinding] = []
    notes = list(report.notes)
    data = integration_ranges.load()
    for (target, major), version in lines.items():
        if data.basis(major) is None:
            notes.append(f"no integration ranges for ddtrace {major}.x: integrations not checked")
            continue
        findings.extend(
            integration_ranges.integration_findings(version, target, versions, strict=strict)
        )
        for pin in declared:
            findings.extend(pin_findings(pin, version, target, strict=strict))
    if not lines:
        notes.append("no ddtrace release to check the integrations against")
    return replace(report, integrations=tuple(findings), notes=tuple(dict.fromkeys(notes)))


def installed_findings(
    ddtrace_version: str, target: Target, *, strict: bool = False
) -> List[IntegrationFinding]:
    """For the startup check (``DDGUARD_INTEGRATIONS=1``): the distributions on ``sys.path``
    against the ranges of ``ddtrace_version``'s line (~1 ms; no importlib.metadata)."""
    from ddguard.sources import installed as installed_module

    versions = installed_module.versions(spelled=known_packages())
    return integration_ranges.integration_findings(ddtrace_version, target, versions, strict=strict)
