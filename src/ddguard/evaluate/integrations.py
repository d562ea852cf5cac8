"""Instrumented libraries (Django, redis, ...) against the ranges of a ddtrace line.

Per line the data says (see ``knowledge`` for where it comes from): a floor below which
the integration does not patch the library (a problem), and either a ceiling or the range
tested on the target's Python above/outside which a version is untested (a notice).
Installed versions, exact pins and lock entries are judged as versions; a declared range
only when all of it lies outside (``Django<1.8`` under 2.x, ``Django>=6`` under 4.x); a
Poetry ``||`` union only when every alternative does. Editable, VCS and unversioned
references are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ddguard.model import Note, NoteCode, Origin, OriginKind, Pin, Report
from ddguard.model.findings import FindingCase, FindingKind, IntegrationFinding

if TYPE_CHECKING:
    from ddguard.knowledge.integrations import IntegrationData, PackageRange
    from ddguard.target import Target

INSTALLED = Origin(OriginKind.INSTALLED)


def _data() -> IntegrationData:
    from ddguard.knowledge.integrations import load

    return load()


def known_packages() -> Set[str]:
    """Canonical names of every package some integration range mentions."""
    return set(_data().package_names())


def scan_names() -> Set[str]:
    """What ``check --integrations`` asks the project readers for."""
    return known_packages() | {"ddtrace"}


def version_findings(
    ddtrace_version: Version,
    target: Target,
    packages: Mapping[str, str],
    *,
    origins: Optional[Mapping[str, Origin]] = None,
    strict: bool = False,
    data: Optional[IntegrationData] = None,
) -> List[IntegrationFinding]:
    """Findings for the packages ``{name: version}`` under this ddtrace release on ``target``."""
    line = ddtrace_version.major
    data = data or _data()
    present: Dict[str, Tuple[str, Version, Origin]] = {}
    for name, text in packages.items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        origin = (origins or {}).get(name, INSTALLED)
        present.setdefault(canonicalize_name(name), (name, version, origin))
    findings: List[IntegrationFinding] = []
    seen = set()
    for rng in data.ranges(line, target.python, only=set(present)):
        if rng.needs is not None and rng.needs not in present:
            continue
        for key in rng.names:
            if key not in present:
                continue
            name, version, origin = present[key]
            finding = _judge_version(rng, name, version, origin, line, target, strict)
            if finding is not None and (key, finding.kind, origin) not in seen:
                seen.add((key, finding.kind, origin))
                findings.append(finding)
    return findings


def _judge_version(
    rng: PackageRange, name: str, version: Version, origin: Origin, line: int, target: Target, strict: bool
) -> Optional[IntegrationFinding]:
    tested: Optional[Tuple[str, str]] = None
    if not rng.floor.contains(version, prereleases=True):
        kind, case, supported = FindingKind.BELOW_MINIMUM, FindingCase.BELOW_FLOOR, str(rng.floor)
    elif rng.tested is not None and not (rng.tested[0] <= version <= rng.tested[1]):
        low, high = rng.tested
        tested = (str(low), str(high))
        kind, case = FindingKind.UNTESTED, FindingCase.OUTSIDE_TESTED
        supported = _tested_text(low, high, target)
    elif not rng.ceiling.contains(version, prereleases=True):
        kind, case, supported = FindingKind.UNTESTED, FindingCase.ABOVE_CEILING, rng.supported
    else:
        return None
    return _finding(rng, name, str(version), line, kind, case, supported, origin, target, strict, tested)


def _tested_text(low: Version, high: Version, target: Target) -> str:
    python = "CPython %d.%d" % target.python
    return f"{low}–{high} on {python}" if low != high else f"{low} on {python}"


def _finding(
    rng: PackageRange,
    name: str,
    version: str,
    line: int,
    kind: FindingKind,
    case: FindingCase,
    supported: str,
    origin: Origin,
    target: Target,
    strict: bool,
    tested: Optional[Tuple[str, str]] = None,
    ranged: bool = False,
) -> IntegrationFinding:
    return IntegrationFinding(
        integration=rng.integration,
        package=name,
        version=version,
        ddtrace_line=line,
        kind=kind,
        case=case,
        supported=supported,
        origin=origin,
        target=target,
        automatic=rng.automatic,
        refused=strict and kind is FindingKind.BELOW_MINIMUM,
        category=rng.category,
        tested=tested,
        ranged=ranged,
    )


def range_findings(
    ddtrace_version: Version,
    target: Target,
    name: str,
    specifier: SpecifierSet,
    *,
    origin: Origin,
    strict: bool = False,
    data: Optional[IntegrationData] = None,
) -> List[IntegrationFinding]:
    """A declared range all of which lies outside what this ddtrace line supports."""
    upper, lower = upper_bound(specifier), lower_bound(specifier)
    if upper is None and lower is None:
        return []
    line = ddtrace_version.major
    data = data or _data()
    findings: List[IntegrationFinding] = []
    said = set()
    for rng in data.ranges(line, target.python, only={canonicalize_name(name)}):
        if rng.needs is not None:
            continue
        tested: Optional[Tuple[str, str]] = None
        if upper is not None and _all_below(upper, rng.floor):
            kind, case, supported = FindingKind.BELOW_MINIMUM, FindingCase.RANGE_BELOW_FLOOR, str(rng.floor)
            bound = supported
        elif lower is not None and rng.tested is not None and _above(lower, rng.tested[1]):
            low, high = rng.tested
            tested = (str(low), str(high))
            kind, case = FindingKind.UNTESTED, FindingCase.RANGE_ABOVE_TESTED
            supported = bound = _tested_text(low, high, target)
        elif lower is not None and rng.tested is None and _all_above(lower, rng.ceiling):
            kind, case, supported = FindingKind.UNTESTED, FindingCase.RANGE_ABOVE_CEILING, rng.supported
            bound = str(rng.ceiling)  # said once per ceiling, whatever the floors
        else:
            continue
        if (kind, bound) in said:
            continue
        said.add((kind, bound))
        findings.append(
            _finding(rng, name, str(specifier), line, kind, case, supported, origin, target, strict, tested, True)
        )
    return findings


def pin_findings(pin: Pin, version: Version, target: Target, *, strict: bool) -> List[IntegrationFinding]:
    """One declared or locked pin under a ddtrace release on ``target``."""
    if pin.unknown:
        return []
    if pin.marker is not None:
        from ddguard.evaluate.requirement import applies

        if not applies(pin, target):
            return []
    exact = _exact(pin.specifier)
    if exact is not None and not pin.alternatives:
        return version_findings(version, target, {pin.name: exact}, origins={pin.name: pin.origin}, strict=strict)
    if not pin.alternatives:
        return range_findings(version, target, pin.name, pin.specifier, origin=pin.origin, strict=strict)
    # A union: outside the supported range only when every alternative is (said of the first).
    each = [
        range_findings(version, target, pin.name, alt, origin=pin.origin, strict=strict)
        for alt in pin.alternatives
    ]
    kinds = set.intersection(*({f.kind for f in found} for found in each))
    written = " || ".join(str(alt) for alt in pin.alternatives)
    return [f._replace(version=written) for f in each[0] if f.kind in kinds]


def _exact(specifier: SpecifierSet) -> Optional[str]:
    specs = list(specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def findings_for(
    report: Report,
    *,
    pins: Sequence[Pin] = (),
    strict: bool = False,
    installed: Optional[Dict[str, str]] = None,
) -> Report:
    """``report`` with integration findings for every (target, ddtrace line) it judged:
    installed versions and the integration-package ``pins`` read with the requirements."""
    from ddguard.sources.installed import versions as installed_versions

    wanted = known_packages()
    versions = installed if installed is not None else installed_versions(spelled=wanted | {"ddtrace"})
    declared = [p for p in pins if canonicalize_name(p.name) in wanted]
    lines: Dict[Tuple[Target, int], Version] = {}
    for result in report.results:
        if result.version is None:
            continue
        key = (result.target, result.version.major)
        lines[key] = max(lines.get(key, result.version), result.version)
    if not lines and versions.get("ddtrace"):  # no ddtrace pinned: the installed one
        try:
            version = Version(versions["ddtrace"])
        except InvalidVersion:
            pass
        else:
            lines.update({(target, version.major): version for target in report.targets})
    findings: List[IntegrationFinding] = []
    notes = list(report.notes)
    data = _data()
    for (target, major), version in lines.items():
        if data.basis(major) is None:
            notes.append(Note(NoteCode.NO_INTEGRATION_DATA, line_major=major))
            continue
        findings.extend(version_findings(version, target, versions, strict=strict, data=data))
        for pin in declared:
            findings.extend(pin_findings(pin, version, target, strict=strict))
    if not lines:
        notes.append(Note(NoteCode.NO_RELEASE_FOR_INTEGRATIONS))
    return report._replace(integrations=tuple(findings), notes=tuple(dict.fromkeys(notes)))


def installed_findings(ddtrace_version: str, target: Target, *, strict: bool = False) -> List[IntegrationFinding]:
    """For the startup check (``DDGUARD_INTEGRATIONS``): the distributions on ``sys.path``."""
    from ddguard.sources.installed import versions as installed_versions

    versions = installed_versions(spelled=known_packages())
    return version_findings(Version(ddtrace_version), target, versions, strict=strict)


# --- specifier bounds ---------------------------------------------------------------------------


def lower_bound(specifier: SpecifierSet) -> Optional[Tuple[Version, bool]]:
    """The tightest lower bound of a specifier set as (version, inclusive), or None."""
    bounds: List[Tuple[Version, bool]] = []
    for spec in specifier:
        op, text = spec.operator, spec.version
        try:
            if op in (">=", ">", "~=", "===") or (op == "==" and not text.endswith(".*")):
                bounds.append((Version(text), op != ">"))
            elif op == "==":  # ==6.* -> >=6
                bounds.append((Version(text[:-2]), True))
        except InvalidVersion:
            continue
    return max(bounds, key=lambda b: (b[0], not b[1])) if bounds else None


def upper_bound(specifier: SpecifierSet) -> Optional[Tuple[Version, bool]]:
    """The tightest upper bound of a specifier set as (version, inclusive), or None."""
    bounds: List[Tuple[Version, bool]] = []
    for spec in specifier:
        op, text = spec.operator, spec.version
        try:
            if op in ("<", "<="):
                bounds.append((Version(text), op == "<="))
            elif op in ("==", "===") and not text.endswith(".*"):
                bounds.append((Version(text), True))
            elif op == "==":  # ==1.7.* -> <1.8
                release = [int(p) for p in text[:-2].split(".") if p.isdigit()]
                if release:
                    release[-1] += 1
                    bounds.append((Version(".".join(map(str, release))), False))
            elif op == "~=":  # ~=1.7.2 -> <1.8
                release = list(Version(text).release[:-1])
                release[-1] += 1
                bounds.append((Version(".".join(map(str, release))), False))
        except (InvalidVersion, ValueError, IndexError):
            continue
    return min(bounds, key=lambda b: (b[0], b[1])) if bounds else None


def _above(lower: Tuple[Version, bool], newest: Version) -> bool:
    bound, inclusive = lower
    return bound > newest or (bound == newest and not inclusive)


def _all_above(lower: Tuple[Version, bool], ceiling: SpecifierSet) -> bool:
    for spec in ceiling:
        try:
            maximum = Version(spec.version)
        except InvalidVersion:
            continue
        if spec.operator == "<" and lower[0] >= maximum:
            return True
        if spec.operator == "<=" and _above(lower, maximum):
            return True
    return False


def _all_below(upper: Tuple[Version, bool], floor: SpecifierSet) -> bool:
    bound, inclusive = upper
    for spec in floor:
        try:
            minimum = Version(spec.version.rstrip(".*"))
        except InvalidVersion:
            continue
        if spec.operator == ">" and bound <= minimum:
            return True
        if spec.operator != ">" and (bound < minimum or (bound == minimum and not inclusive)):
            return True
    return False
