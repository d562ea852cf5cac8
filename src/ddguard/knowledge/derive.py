"""Derive the release-line facts from release history and the published policy, once.

Run by ``scripts/refresh_db.py`` (which writes ``data/lines.json`` for review) and by
``ddguard db update`` (which stores them inside the user copy), never at process start.

* **Support levels** follow ddtrace's versioning policy: the newest major is General
  Availability, the one before it Maintenance, older ones End of Life; each change dates
  from the first final release of the next major. The levels the compatibility page
  published (2.x era) are kept as undated history.
* **Runtimes** of the lines the published page covers come from its runtime table; those
  of newer lines from their final, non-yanked releases' wheels, where a wheel counts only
  when the release's own Requires-Python admits its CPython (several 4.x releases ship
  cp315 wheels that their ``<3.15`` forbids: 4.x is 3.9–3.14).
* **Known CPython minors**: every minor some line supports on some platform, an open
  range ("3.7+") closed at the newest CPython any release publishes an admitted wheel for.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ddguard.knowledge.lines import SCHEMA, merge_ranges, minor_text
from ddguard.knowledge.releases import Release, expand_tags
from ddguard.model import Minor, PythonRange, SupportLevel
from ddguard.target import Arch, Os, platform_arch, platform_os

_PUBLISHED_LEVELS = {
    "general-availability": SupportLevel.GA,
    "maintenance": SupportLevel.MAINTENANCE,
    "end-of-life": SupportLevel.EOL,
}
_CPU_ORDER = (Arch.X86_64, Arch.I686, Arch.AARCH64)
_OS_ORDER = (Os.LINUX, Os.MACOS, Os.WINDOWS)
PUBLISHED_BASIS = "as published on the compatibility page (2.x era)"


def derive(
    releases: Sequence[Release],
    policy: Dict[str, Any],
    *,
    generated: str,
    generated_by: str,
    inputs: Dict[str, Any],
) -> Dict[str, Any]:
    """The lines document (``data/lines.json``'s shape) for these releases and policy."""
    first_final: Dict[int, Release] = {}
    for release in sorted(releases, key=lambda r: r.version):
        if not release.version.is_prerelease:
            first_final.setdefault(release.version.major, release)
    majors = sorted(first_final)
    published = [
        (_major_of(row["release"]), _PUBLISHED_LEVELS[row["support_level"]])
        for row in policy["support_levels_as_published"]
    ]
    newest_published = max(m for m, _ in published)
    admitted = _admitted_wheels(releases)
    lines = []
    for index, major in enumerate(majors):
        history = [_change(first_final[major], SupportLevel.GA)]
        for step, level in ((1, SupportLevel.MAINTENANCE), (2, SupportLevel.EOL)):
            if index + step < len(majors):
                history.append(_change(first_final[majors[index + step]], level))
        history += [
            {"since": "", "level": level.value, "basis": PUBLISHED_BASIS}
            for published_major, level in published
            if published_major == major
        ]
        if major <= newest_published:
            runtimes = _published_runtimes(policy, major)
            basis = "published compatibility page (2.x era)"
        else:
            runtimes = _wheel_runtimes(admitted.get(major, {}))
            basis = (
                f"derived from the wheels of the final {major}.x releases, each counted "
                "only where the release's Requires-Python admits its CPython"
            )
        dated = [h for h in history if h["since"]]
        lines.append(
            {
                "major": major,
                "level": dated[-1]["level"],
                "history": history,
                "runtime_basis": basis,
                "runtimes": runtimes,
            }
        )
    return {
        "schema": SCHEMA,
        "generated_by": generated_by,
        "generated": generated,
        "inputs": inputs,
        "policy_source": str(policy["source"]),
        "cpython_minors": [minor_text(m) for m in known_minors(lines, admitted)],
        "lines": lines,
    }


def _major_of(specifier: str) -> int:
    """The major a published row's ``>=1.0,<2`` names."""
    low = next(s.version for s in SpecifierSet(specifier) if s.operator == ">=")
    return Version(low).major


def _change(release: Release, level: SupportLevel) -> Dict[str, str]:
    return {"since": release.uploaded, "level": level.value, "basis": f"{release.version} released"}


def _published_runtimes(policy: Dict[str, Any], major: int) -> List[Dict[str, Any]]:
    version = Version(f"{major}.0")
    return [
        {
            "os": row["os"],
            "cpus": list(row["cpus"]),
            "implementation": row["implementation"],
            "python": [list(pair) for pair in row["python"]],
            "basis": "compatibility page",
        }
        for row in policy["runtimes"]
        if version in SpecifierSet(row["ddtrace"])
    ]


Admitted = Dict[int, Dict[Tuple[Os, Arch], Set[Minor]]]


def _admitted_wheels(releases: Sequence[Release]) -> Admitted:
    """major -> (OS, CPU) -> the CPythons its final, non-yanked releases publish wheels
    for that their own Requires-Python admits."""
    found: Admitted = {}
    for release in releases:
        if release.version.is_prerelease or release.yanked:
            continue
        per_platform = found.setdefault(release.version.major, {})
        for platform, python in _admitted(release.wheel_files, release.requires_python):
            per_platform.setdefault(platform, set()).add(python)
    return found


@functools.lru_cache(maxsize=None)
def _admitted(
    wheel_files: Tuple[str, ...], requires_python: Optional[str]
) -> FrozenSet[Tuple[Tuple[Os, Arch], Minor]]:
    """(platform, CPython) of each wheel that Requires-Python admits (860 releases share
    a few dozen of these)."""
    release = Release(Version("0"), "", requires_python, None, None, wheel_files)
    out: Set[Tuple[Tuple[Os, Arch], Minor]] = set()
    for tag in expand_tags(wheel_files):
        interpreter = tag.interpreter
        if not (interpreter.startswith("cp") and interpreter[2:].isdigit()):
            continue
        python = (int(interpreter[2]), int(interpreter[3:]))
        if release.admits_python("%d.%d.0" % python):
            out.update((platform, python) for platform in _platforms(tag.platform))
    return frozenset(out)


def _platforms(platform_tag: str) -> List[Tuple[Os, Arch]]:
    os_name = platform_os(platform_tag)
    if os_name is Os.OTHER:
        return []
    if os_name is Os.MACOS and platform_tag.endswith("_universal2"):
        return [(os_name, Arch.X86_64), (os_name, Arch.AARCH64)]
    arch = platform_arch(platform_tag)
    return [] if arch is Arch.OTHER else [(os_name, arch)]


def _wheel_runtimes(per_platform: Dict[Tuple[Os, Arch], Set[Minor]]) -> List[Dict[str, Any]]:
    """One rule per OS, as the published table has them: its CPUs, and the CPythons any
    of them has wheels for (the wheels decide per CPU when a release is judged)."""
    rules = []
    for os_name in _OS_ORDER:
        cpus = [cpu for cpu in _CPU_ORDER if (os_name, cpu) in per_platform]
        if not cpus:
            continue
        pythons = sorted(set().union(*(per_platform[(os_name, cpu)] for cpu in cpus)))
        rules.append(
            {
                "os": os_name.value,
                "cpus": [cpu.value for cpu in cpus],
                "implementation": "cpython",
                "python": [
                    [minor_text(low), minor_text(high) if high else None]
                    for low, high in merge_ranges([(p, p) for p in pythons])
                ],
                "basis": "wheels published",
            }
        )
    return rules


def known_minors(lines: List[Dict[str, Any]], admitted: Admitted) -> List[Minor]:
    newest_wheel = max(
        (p for per_platform in admitted.values() for found in per_platform.values() for p in found),
        default=None,
    )
    minors: Set[Minor] = set()
    for line in lines:
        for rule in line["runtimes"]:
            for low_text, high_text in rule["python"]:
                low = _minor(low_text)
                high = _minor(high_text) if high_text else newest_wheel
                if high is None or high[0] != low[0]:
                    continue
                minors.update((low[0], m) for m in range(low[1], high[1] + 1))
    return sorted(minors)


def _minor(text: str) -> Minor:
    major, minor = text.split(".")
    return (int(major), int(minor))


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def ranges_by_line(document: Dict[str, Any]) -> List[Tuple[int, str, List[PythonRange]]]:
    """(major, os, ranges) of every runtime rule: what a reviewer compares."""
    out = []
    for line in document["lines"]:
        for rule in line["runtimes"]:
            ranges: List[PythonRange] = [
                (_minor(lo), _minor(hi) if hi else None) for lo, hi in rule["python"]
            ]
            out.append((int(line["major"]), str(rule["os"]), ranges))
    return out
