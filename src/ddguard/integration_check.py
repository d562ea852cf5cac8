"""``check --integrations``: the installed (and declared or locked) versions of instrumented
libraries against the ranges of the ddtrace line each check result judged.

Pins of integration packages are read from pip requirements files (``name==X``, markers
evaluated per target, ``-r`` includes followed) and from lock files in ``--project``
paths (``uv.lock``, ``poetry.lock``, ``pdm.lock``, ``pylock.toml``: ``[[package]]`` name and
version). Ranges in requirements (``Django>=1.4``) are not judged: only exact versions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Set, Tuple

from ddguard import integration_ranges
from ddguard.installed import canonical

if TYPE_CHECKING:
    from ddguard.api import Report
    from ddguard.integration_ranges import IntegrationFinding
    from ddguard.target import Target

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")


@dataclass(frozen=True)
class DeclaredPin:
    name: str
    version: str
    source: str  # "path:line"
    marker: Optional[str] = None


@dataclass
class _Read:
    pins: List[DeclaredPin] = field(default_factory=list)
    seen: Set[str] = field(default_factory=set)


def known_packages() -> Set[str]:
    """Canonical names of every package some integration range mentions."""
    data = integration_ranges.load()
    names: Set[str] = set()
    for entry in data.integrations.values():
        for era in ("2", "4"):
            for dep in entry.get(era, {}).get("deps", []):
                names.update(canonical(n) for n in [dep["package"], *dep.get("aliases", [])])
    return names


def requirement_pins(path: str, wanted: Optional[Set[str]] = None) -> List[DeclaredPin]:
    """Exact pins (``name==X``) of integration packages in a requirements file."""
    state = _Read()
    _read_requirements(path, wanted or known_packages(), state)
    return state.pins


def _read_requirements(path: str, wanted: Set[str], state: _Read) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    from ddguard.pins_common import leading_name, read_text
    from ddguard.pins_reqfile import logical_lines, split_args_options

    real = os.path.realpath(path)
    if real in state.seen:
        return
    state.seen.add(real)
    for number, line in logical_lines(read_text(path)):
        include = _include(line)
        if include is not None:
            _read_requirements(os.path.join(os.path.dirname(path), include), wanted, state)
            continue
        if line.startswith("-"):
            continue
        args, _ = split_args_options(line)
        name = leading_name(args)
        if not args or name is None or canonical(name) not in wanted:
            continue
        try:
            requirement = Requirement(args)
        except InvalidRequirement:
            continue  # the ddtrace check (pins) reports malformed lines
        version = _exact(str(requirement.specifier))
        if version:
            marker = str(requirement.marker) if requirement.marker else None
            state.pins.append(DeclaredPin(requirement.name, version, f"{path}:{number}", marker))


def _include(line: str) -> Optional[str]:
    """The file a ``-r``/``--requirement`` line includes, if it is one."""
    tokens = line.split()
    head = tokens[0]
    if head in ("-r", "--requirement") and len(tokens) > 1:
        return tokens[1]
    if head.startswith("--requirement="):
        return head.split("=", 1)[1]
    if head.startswith("-r") and len(head) > 2:
        return head[2:]
    return None


def _exact(specifier: str) -> Optional[str]:
    parts = [p for p in specifier.split(",") if p]
    for part in parts:
        if part.startswith("==") and not part.endswith("*"):
            return part.lstrip("=").strip()
    return None


def lock_pins(path: str, wanted: Optional[Set[str]] = None) -> List[DeclaredPin]:
    """``[[package]]`` name/version entries of lock files at ``path`` (a file or directory)."""
    wanted = wanted or known_packages()
    files = (
        [
            os.path.join(path, name)
            for name in LOCK_FILES
            if os.path.isfile(os.path.join(path, name))
        ]
        if os.path.isdir(path)
        else [path]
        if os.path.basename(path) in LOCK_FILES
        else []
    )
    out: List[DeclaredPin] = []
    for file in files:
        from ddguard.pins_common import load_toml, read_text

        text = read_text(file)
        doc = load_toml(text, file)
        lines = text.splitlines()
        packages = doc.get("package") or doc.get("packages") or []
        for entry in packages if isinstance(packages, list) else []:
            name, version = entry.get("name"), entry.get("version")
            if not isinstance(name, str) or not isinstance(version, str):
                continue
            if canonical(name) in wanted:
                out.append(DeclaredPin(name, version, f"{file}:{_line_of(lines, name)}"))
    return out


def _line_of(lines: Sequence[str], name: str) -> int:
    for number, line in enumerate(lines, 1):
        if line.replace(" ", "") in (f'name="{name}"', f"name='{name}'"):
            return number
    return 1


def findings_for(
    report: Report,
    *,
    files: Sequence[str] = (),
    projects: Sequence[str] = (),
    strict: bool = False,
    installed: Optional[Dict[str, str]] = None,
) -> Report:
    """``report`` with integration findings for every (target, ddtrace line) it judged."""
    from ddguard import installed as installed_module

    wanted = known_packages()
    versions = (
        installed
        if installed is not None
        else installed_module.versions(spelled=wanted | {"ddtrace"})
    )
    declared: List[DeclaredPin] = []
    for path in files:
        declared.extend(requirement_pins(path, wanted))
    for path in projects:
        declared.extend(lock_pins(path, wanted))
        if os.path.isdir(path):
            for name in ("requirements.txt",):
                if os.path.isfile(os.path.join(path, name)):
                    declared.extend(requirement_pins(os.path.join(path, name), wanted))
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
            if pin.marker and not _marker_true(pin.marker, target):
                continue
            findings.extend(
                integration_ranges.integration_findings(
                    version,
                    target,
                    {pin.name: pin.version},
                    sources={pin.name: pin.source},
                    strict=strict,
                )
            )
    if not lines:
        notes.append("no ddtrace release to check the integrations against")
    return replace(report, integrations=tuple(findings), notes=tuple(dict.fromkeys(notes)))


def _marker_true(marker: str, target: Target) -> bool:
    from packaging.markers import Marker

    return Marker(marker).evaluate(target.marker_env())


def installed_findings(
    ddtrace_version: str, target: Target, *, strict: bool = False
) -> List[IntegrationFinding]:
    """For the startup check (``DDGUARD_INTEGRATIONS=1``): the distributions on ``sys.path``
    against the ranges of ``ddtrace_version``'s line (~1 ms; no importlib.metadata)."""
    from ddguard import installed as installed_module

    versions = installed_module.versions(spelled=known_packages())
    return integration_ranges.integration_findings(ddtrace_version, target, versions, strict=strict)
