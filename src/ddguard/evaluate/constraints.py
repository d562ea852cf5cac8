"""The compatibility matrix as resolver input: rules ``ddtrace<exclusions>; <marker>``.

Each rule excludes the known releases that do not work on one group of targets, with an
environment marker naming that group (``python_version``, ``implementation_name``,
``sys_platform``, ``platform_machine``), so one constraints file serves every interpreter.
Only known releases are excluded (``!=X.*``, ``!=X.Y.*``, ``!=X.Y.Z``): a release newer than
the database stays allowed. Markers cannot tell musl from glibc, nor glibc or macOS
versions: rows are computed for manylinux and a current macOS.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Sequence, Tuple

from packaging.specifiers import SpecifierSet

from ddguard.evaluate.release import fact_groups, verdict_of
from ddguard.model import Verdict
from ddguard.record import Record
from ddguard.target import Target, limits

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge


class Platform(Record):
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


def pythons() -> Tuple[Tuple[int, int], ...]:
    """The CPython versions the matrix covers (data/platforms.json)."""
    low, high = limits().constraints_pythons
    return tuple((low[0], minor) for minor in range(low[1], high[1] + 1))


class Rule(Record):
    """``ddtrace<specifier>; <marker>``: the releases excluded where the marker matches."""

    specifier: str
    marker: str

    def requirement(self, quote: str = '"') -> str:
        return f"ddtrace{self.specifier}; {self.marker.replace(chr(34), quote)}"


def excluded(
    knowledge: Knowledge, target: Target, *, allow_source_build: bool = False
) -> FrozenSet[int]:
    """The positions (in ``knowledge.releases``) of the known releases that do not install
    and work on ``target``; one verdict per group of releases sharing every fact."""
    keep = (
        {Verdict.COMPATIBLE, Verdict.SOURCE_BUILD} if allow_source_build else {Verdict.COMPATIBLE}
    )
    releases = knowledge.releases
    return frozenset(
        position
        for positions in fact_groups(knowledge)
        if verdict_of(knowledge, releases[positions[0]], target) not in keep
        for position in positions
    )


@functools.lru_cache(maxsize=256)
def exclusion_specifier(knowledge: Knowledge, bad: FrozenSet[int]) -> str:
    """``!=1.*,!=2.0.*,!=2.1.3`` for the releases at positions ``bad``: whole majors, then
    whole minors, then single releases."""
    releases = knowledge.releases
    parts: List[str] = []
    # A leading run of excluded releases becomes a lower bound at a final release: a bound
    # naming a pre-release would let pip pick pre-releases everywhere.
    below = next(
        (i for i, r in enumerate(releases) if i not in bad and not r.version.is_prerelease),
        0,  # none: no bound
    )
    if below:
        parts.append(f">={releases[below].version}")

    def covered(position: int) -> bool:
        return position in bad or position < below

    for major, in_major in _layout(knowledge):
        if not any(p in bad and p >= below for _, in_minor in in_major for p in in_minor):
            continue
        if all(covered(p) for _, in_minor in in_major for p in in_minor):
            parts.append(f"!={major}.*")
            continue
        for minor, in_minor in in_major:
            if not any(p in bad and p >= below for p in in_minor):
                continue
            if all(covered(p) for p in in_minor):
                parts.append(f"!={major}.{minor}.*")
            else:
                parts.extend(
                    f"!={releases[p].version}" for p in in_minor if p in bad and p >= below
                )
    return ",".join(parts)


@functools.lru_cache(maxsize=8)
def _layout(knowledge: Knowledge) -> List[Tuple[int, List[Tuple[int, List[int]]]]]:
    """Release positions grouped by major, then minor (both sorted)."""
    minors: Dict[int, Dict[int, List[int]]] = {}
    for position, release in enumerate(knowledge.releases):
        version = release.version
        minors.setdefault(version.major, {}).setdefault(version.minor, []).append(position)
    return [(major, sorted(by_minor.items())) for major, by_minor in sorted(minors.items())]


def target_marker(target: Target) -> str:
    env = target.marker_env()
    return (
        f'python_version == "{env["python_version"]}" and '
        f'implementation_name == "{env["implementation_name"]}" and '
        f'sys_platform == "{env["sys_platform"]}" and '
        f'platform_machine == "{env["platform_machine"]}"'
    )


def rules_for_targets(
    knowledge: Knowledge, targets: Sequence[Target], *, allow_source_build: bool = False
) -> List[Rule]:
    """One rule per target (those that exclude something), conditioned on its own markers."""
    rules = []
    for target in targets:
        spec = exclusion_specifier(
            knowledge, excluded(knowledge, target, allow_source_build=allow_source_build)
        )
        if spec:
            rules.append(Rule(spec, target_marker(target)))
    return rules


def matrix_rules(knowledge: Knowledge, *, allow_source_build: bool = False) -> List[Rule]:
    """Every CPython of :func:`pythons` on every platform of :data:`PLATFORMS`, plus one rule
    for other implementations; a Python whose platforms agree gets one line."""
    rules: List[Rule] = []
    for python in pythons():
        specs: Dict[Platform, str] = {}
        for platform in PLATFORMS:
            target = Target.from_compact("cp%d%d-%s" % (python + (platform.compact,)))
            bad = excluded(knowledge, target, allow_source_build=allow_source_build)
            specs[platform] = exclusion_specifier(knowledge, bad)
        cpython = (
            f'python_version == "{python[0]}.{python[1]}" and implementation_name == "cpython"'
        )
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
    spec = exclusion_specifier(
        knowledge, excluded(knowledge, other, allow_source_build=allow_source_build)
    )
    if spec:
        rules.append(Rule(spec, 'implementation_name != "cpython"'))
    return rules


EXTRA_BASE = 'ddtrace; implementation_name == "cpython"'


def admits_a_release(knowledge: Knowledge, rule: Rule) -> bool:
    """Whether some known release satisfies ``rule`` (else nothing known works there)."""
    spec = SpecifierSet(rule.specifier)
    return any(spec.contains(r.version, prereleases=True) for r in knowledge.releases)


def extra_requirements(knowledge: Knowledge) -> List[str]:
    """The ``ddguard[ddtrace]`` extra; ddguard's build adds ``extra == "ddtrace"``.

    ddtrace on CPython, plus the :func:`matrix_rules` that leave some known release: a rule
    excluding them all (PyPy; CPython 3.7 on macOS arm64) would make every universal lock
    (uv, Poetry, PDM) that merely admits such an environment fail, so there the extra asks
    for no ddtrace and the build hooks and the startup check refuse a pin instead.
    """
    kept = [r.requirement() for r in matrix_rules(knowledge) if admits_a_release(knowledge, r)]
    return [EXTRA_BASE, *kept]
