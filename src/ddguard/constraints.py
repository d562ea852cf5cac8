"""The compatibility matrix as resolver input: a pip constraints file, or uv settings.

Each line excludes the ddtrace releases that do not work on one group of targets, with an
environment marker naming that group (``python_version``, ``implementation_name``,
``sys_platform``, ``platform_machine``), so one file serves every interpreter: pip applies
the lines whose marker matches and refuses an excluded pin with ResolutionImpossible before
it downloads anything. Only known releases are excluded (``!=X.*``, ``!=X.Y.*``,
``!=X.Y.Z``): a release newer than the database stays allowed.

Markers cannot tell musl from glibc, nor glibc or macOS versions: rows are computed for
manylinux and a current macOS; the build hooks and the startup check judge the real host.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ddguard import __version__
from ddguard.evaluate import Verdict, judge_release
from ddguard.knowledge import Knowledge, Release
from ddguard.target import Target


class ConstraintFormat(str, enum.Enum):
    PIP = "pip"
    UV = "uv"


@dataclass(frozen=True)
class Platform:
    compact: str  # platform part of a compact target
    sys_platform: str
    machine: str  # platform_machine as the interpreter reports it


PLATFORMS: Tuple[Platform, ...] = (
    Platform("manylinux_x86_64", "linux", "x86_64"),
    Platform("manylinux_aarch64", "linux", "aarch64"),
    Platform("manylinux_i686", "linux", "i686"),
    Platform("macosx_x86_64", "darwin", "x86_64"),
    Platform("macosx_arm64", "darwin", "arm64"),
    Platform("win_amd64", "win32", "AMD64"),
    Platform("win32", "win32", "x86"),
)
PYTHONS: Tuple[Tuple[int, int], ...] = tuple((3, minor) for minor in range(7, 15))


@dataclass(frozen=True)
class Rule:
    """``ddtrace<specifier>; <marker>``: the releases excluded on the targets the marker names."""

    specifier: str
    marker: str

    def requirement(self, quote: str = '"') -> str:
        marker = self.marker.replace('"', quote)
        return f"ddtrace{self.specifier}; {marker}"


def excluded(db: Knowledge, target: Target, *, allow_source_build: bool = False) -> List[Release]:
    """Known releases that do not install and work on ``target``."""
    keep = (
        {Verdict.COMPATIBLE, Verdict.SOURCE_BUILD} if allow_source_build else {Verdict.COMPATIBLE}
    )
    return [r for r in db.releases if judge_release(db, r, target).verdict not in keep]


def exclusion_specifier(db: Knowledge, bad: Sequence[Release]) -> str:
    """``!=1.*,!=2.0.*,!=2.1.3``: whole majors, then whole minors, then single releases."""
    bad_versions = {r.version for r in bad}
    by_major: Dict[int, List[Version]] = {}
    by_minor: Dict[Tuple[int, int], List[Version]] = {}
    for release in db.releases:
        by_major.setdefault(release.version.major, []).append(release.version)
        by_minor.setdefault((release.version.major, release.version.minor), []).append(
            release.version
        )
    parts: List[str] = []
    ordered = list(db.releases)
    # A leading run of excluded releases becomes a lower bound, at a final release: a bound
    # naming a pre-release would let pip pick pre-releases everywhere.
    first_ok = next(
        (
            i
            for i, r in enumerate(ordered)
            if r.version not in bad_versions and not r.version.is_prerelease
        ),
        None,
    )
    bound: Optional[Version] = None
    if first_ok:
        bound = ordered[first_ok].version
        parts.append(f">={bound}")
        bad_versions -= {r.version for r in ordered[:first_ok]}

    def covered(version: Version) -> bool:
        return version in bad_versions or (bound is not None and version < bound)

    for major, versions in sorted(by_major.items()):
        if not any(v in bad_versions for v in versions):
            continue
        if all(covered(v) for v in versions):
            parts.append(f"!={major}.*")
            continue
        for (m, minor), in_minor in sorted(by_minor.items()):
            if m != major:
                continue
            if not any(v in bad_versions for v in in_minor):
                continue
            if all(covered(v) for v in in_minor):
                parts.append(f"!={major}.{minor}.*")
            else:
                parts.extend(f"!={v}" for v in in_minor if v in bad_versions)
    return ",".join(parts)


def target_marker(target: Target) -> str:
    env = target.marker_env()
    return (
        f'python_version == "{env["python_version"]}" and '
        f'implementation_name == "{env["implementation_name"]}" and '
        f'sys_platform == "{env["sys_platform"]}" and '
        f'platform_machine == "{env["platform_machine"]}"'
    )


def rules_for_targets(
    db: Knowledge, targets: Sequence[Target], *, allow_source_build: bool = False
) -> List[Rule]:
    """One rule per target (those that exclude something), conditioned on its own markers."""
    rules = []
    for target in targets:
        spec = exclusion_specifier(db, excluded(db, target, allow_source_build=allow_source_build))
        if spec:
            rules.append(Rule(spec, target_marker(target)))
    return rules


def matrix_rules(db: Knowledge, *, allow_source_build: bool = False) -> List[Rule]:
    """Every CPython of :data:`PYTHONS` on every platform of :data:`PLATFORMS`, plus one rule
    for other implementations; a Python whose platforms agree gets one line."""
    rules: List[Rule] = []
    for python in PYTHONS:
        specs: Dict[Platform, str] = {}
        for platform in PLATFORMS:
            target = Target.from_compact("cp%d%d-%s" % (python + (platform.compact,)))
            bad = excluded(db, target, allow_source_build=allow_source_build)
            specs[platform] = exclusion_specifier(db, bad)
        version = "%d.%d" % python
        cpython = f'python_version == "{version}" and implementation_name == "cpython"'
        if len(set(specs.values())) == 1:
            spec = next(iter(specs.values()))
            if spec:
                rules.append(Rule(spec, cpython))
            continue
        for platform, spec in specs.items():
            if spec:
                rules.append(
                    Rule(
                        spec,
                        f'{cpython} and sys_platform == "{platform.sys_platform}" '
                        f'and platform_machine == "{platform.machine}"',
                    )
                )
    other = Target.from_compact("pp310-manylinux_x86_64")
    spec = exclusion_specifier(db, excluded(db, other, allow_source_build=allow_source_build))
    if spec:
        rules.append(Rule(spec, 'implementation_name != "cpython"'))
    return rules


def render(
    db: Knowledge,
    rules: Sequence[Rule],
    fmt: ConstraintFormat,
    *,
    targets: Optional[Sequence[Target]] = None,
    allow_source_build: bool = False,
) -> str:
    scope = (
        "targets: " + "; ".join(t.describe() for t in targets)
        if targets
        else "CPython %d.%d-%d.%d on manylinux, macOS and Windows (x86-64, AArch64/arm64, x86)"
        % (PYTHONS[0] + PYTHONS[-1])
    )
    head = [
        f"# ddguard {__version__} constraints for ddtrace, database of {db.info.fetched}",
        f"# {scope}",
        "# Each line excludes the known ddtrace releases that do not work where its marker",
        "# matches; releases newer than the database stay allowed. Markers cannot express musl,",
        "# glibc or macOS versions: the build hook and the startup check judge the real host.",
    ]
    if fmt is ConstraintFormat.PIP:
        head.append(
            "# Use: pip install -c THIS_FILE ...   or   PIP_CONSTRAINT=THIS_FILE pip install ..."
        )
        return "\n".join(head + [r.requirement() for r in rules]) + "\n"
    head.append("# Paste into pyproject.toml; no-build-package keeps uv from building a")
    head.append("# wheel-less pin from its sdist.")
    lines = head + ["[tool.uv]", "constraint-dependencies = ["]
    lines.extend(f"    {_toml_string(r.requirement(quote=chr(39)))}," for r in rules)
    lines.append("]")
    if not allow_source_build:
        lines.append('no-build-package = ["ddtrace"]')
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


EXTRA = "ddtrace"
EXTRA_BASE = 'ddtrace; implementation_name == "cpython"'


def admits_a_release(db: Knowledge, rule: Rule) -> bool:
    """Whether some known release satisfies ``rule`` (else nothing known works there)."""
    spec = SpecifierSet(rule.specifier)
    return any(spec.contains(r.version, prereleases=True) for r in db.releases)


def extra_requirements(db: Knowledge) -> List[str]:
    """The ``ddguard[ddtrace]`` extra; ddguard's build adds ``extra == "ddtrace"``.

    ddtrace on CPython, plus the :func:`matrix_rules` that leave some known release: a rule
    excluding them all (PyPy; CPython 3.7 on macOS arm64) would make every universal lock
    (uv, Poetry, PDM) that merely admits such an environment fail, so there the extra asks
    for no ddtrace and the build hooks and the startup check refuse a pin instead.
    """
    kept = [r.requirement() for r in matrix_rules(db) if admits_a_release(db, r)]
    return [EXTRA_BASE, *kept]
