"""One release on one target: the line's policy, Requires-Python and the published files."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Tuple, Type, TypeVar

from ddguard.model import (
    Minor,
    Missing,
    Options,
    PythonRange,
    Reason,
    ReasonCode,
    SupportLevel,
    Verdict,
)
from ddguard.record import Record
from ddguard.target import (
    Arch,
    Implementation,
    Os,
    Triple,
    parse_tag_text,
    platform_arch,
    platform_os,
)

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge, Release, ReleaseLine
    from ddguard.target import Target


class Judgement(Record):
    """One release on one target."""

    verdict: Verdict
    line: Optional[ReleaseLine]
    reasons: Tuple[Reason, ...]  # why it is not compatible (empty when it is)
    warnings: Tuple[Reason, ...]  # yanked, end of life


NO_EXTRAS: FrozenSet[str] = frozenset()


def judge_release(
    knowledge: Knowledge,
    release: Release,
    target: Target,
    extras: FrozenSet[str] = NO_EXTRAS,
    dependencies: bool = True,
) -> Judgement:
    """Policy, Requires-Python and published wheels of one release against the target;
    then, when ``dependencies``, the packages installing it (with ``extras``) pulls in."""
    line = knowledge.line(release.version)
    version = release.version
    reasons: List[Reason] = []
    cpython = target.implementation is Implementation.CPYTHON
    if not cpython:
        reasons.append(Reason(ReasonCode.NOT_CPYTHON))
    if not release.admits_python(target.python_full_str):
        reasons.append(
            Reason(ReasonCode.REQUIRES_PYTHON, version=version, requires_python=release.requires_python)
        )
    if line is not None and cpython:
        reasons.extend(_policy_reasons(line, target))
    if reasons:
        verdict = Verdict.INCOMPATIBLE
        if cpython and release.wheel_files:
            # Say what the wheels say too (short: the policy reason names the versions).
            _, file_reasons = _judge_files(release, target)
            reasons.extend(
                Reason(ReasonCode.NO_WHEEL_FOR_PYTHON, version=version)
                for r in file_reasons
                if r.code is ReasonCode.NO_WHEEL_FOR_PYTHON
            )
    else:
        verdict, file_reasons = _judge_files(release, target)
        reasons.extend(file_reasons)
        if _dependencies_matter(verdict, dependencies):
            verdict, dependency_reasons = _judge_dependencies(knowledge, release, target, extras)
            reasons.extend(dependency_reasons)
    return Judgement(verdict, line, tuple(reasons), _warnings(release, line))


def _dependencies_matter(own: Verdict, dependencies: bool) -> bool:
    """What an install pulls in is judged when the release itself installs from a wheel
    (a source build or a refusal already says what to do)."""
    return dependencies and own is Verdict.COMPATIBLE


def verdict_of(
    knowledge: Knowledge,
    release: Release,
    target: Target,
    extras: FrozenSet[str] = NO_EXTRAS,
    dependencies: bool = True,
) -> Verdict:
    """The release's verdict on the target, memoized on the facts a verdict depends on:
    its own files (900 releases share ~40 sets of them, :func:`file_group`), then what it
    pulls in (the walks are memoized by requirement set)."""
    key = (knowledge, file_group(knowledge, release), target)
    own = _OWN_VERDICTS.get(key)
    if own is None:
        if len(_OWN_VERDICTS) > 65536:
            _OWN_VERDICTS.clear()
        own = judge_release(knowledge, release, target, dependencies=False).verdict
        _OWN_VERDICTS[key] = own
    if not _dependencies_matter(own, dependencies):
        return own
    return _judge_dependencies(knowledge, release, target, extras)[0]


_OWN_VERDICTS: Dict[Tuple[object, ...], Verdict] = {}


def file_group(knowledge: Knowledge, release: Release) -> int:
    """A number shared by the releases whose own files get the same verdict on every
    target: same line, Requires-Python, wheel files and sdist."""
    return _file_groups(knowledge)[release.version]


@functools.lru_cache(maxsize=8)
def _file_groups(knowledge: Knowledge) -> Dict[object, int]:
    numbers: Dict[object, int] = {}
    groups: Dict[object, int] = {}
    for release in knowledge.releases:
        facts = (release.version.major, release.requires_python, release.wheel_files, release.sdist)
        groups[release.version] = numbers.setdefault(facts, len(numbers))
    return groups


def fact_group(knowledge: Knowledge, release: Release) -> int:
    """A number shared by the releases whose verdicts are the same on every target: the
    same :func:`file_group` and requirements."""
    return _fact_groups(knowledge)[release.version]


@functools.lru_cache(maxsize=8)
def fact_groups(knowledge: Knowledge) -> Tuple[Tuple[int, ...], ...]:
    """The positions in ``knowledge.releases`` grouped by :func:`fact_group`, in release
    order within each group."""
    groups: Dict[int, List[int]] = {}
    for position, release in enumerate(knowledge.releases):
        groups.setdefault(fact_group(knowledge, release), []).append(position)
    return tuple(tuple(members) for members in groups.values())


@functools.lru_cache(maxsize=8)
def _fact_groups(knowledge: Knowledge) -> Dict[object, int]:
    numbers: Dict[object, int] = {}
    groups: Dict[object, int] = {}
    requirements = knowledge.dependencies.requirements_key
    for release in knowledge.releases:
        facts = (file_group(knowledge, release), requirements(str(release.version)))
        groups[release.version] = numbers.setdefault(facts, len(numbers))
    return groups


def passes(knowledge: Knowledge, release: Release, target: Target, options: Options) -> bool:
    """Whether a check of this release on this target passes under ``options``: not
    yanked, and not refused."""
    if release.yanked:
        return False
    key = (knowledge, fact_group(knowledge, release), target, options)
    known = _PASSES.get(key)
    if known is None:
        if len(_PASSES) > 65536:
            _PASSES.clear()
        line = knowledge.line(release.version)
        eol = (Reason(ReasonCode.END_OF_LIFE),) if line is not None and line.level is SupportLevel.EOL else ()
        verdict = verdict_of(knowledge, release, target, options.extras, options.dependencies)
        known = _PASSES[key] = not is_refused(verdict, eol, options)
    return known


_PASSES: Dict[Tuple[object, ...], bool] = {}


def is_refused(verdict: Verdict, warnings: Tuple[Reason, ...], options: Options) -> bool:
    """Whether a check refuses this verdict under ``options`` (strict, source builds)."""
    end_of_life = options.strict and any(w.code is ReasonCode.END_OF_LIFE for w in warnings)
    if verdict is Verdict.COMPATIBLE:
        return end_of_life
    if verdict is Verdict.SOURCE_BUILD:
        return not options.allow_source_build or end_of_life
    if verdict is Verdict.INCOMPATIBLE:
        return True
    if verdict is Verdict.UNKNOWN:
        return options.strict
    from ddguard.model import assert_never

    assert_never(verdict)


def _policy_reasons(line: ReleaseLine, target: Target) -> List[Reason]:
    ranges = line.python_ranges()
    if not _admits(ranges, target.python):
        return [Reason(ReasonCode.LINE_RUNTIME, line=line.major, pythons=ranges)]
    rule = line.rule_for(target.os, target.arch)
    if rule is None:
        runtimes = tuple((_enum(Os, r.os, Os.OTHER), tuple(_enum(Arch, c, Arch.OTHER) for c in r.cpus)) for r in line.runtimes)
        return [Reason(ReasonCode.LINE_PLATFORM, line=line.major, runtimes=runtimes)]
    if not rule.admits_python(target.python):
        return [
            Reason(ReasonCode.LINE_RUNTIME, line=line.major, pythons=rule.python, on_platform=True)
        ]
    return []


_E = TypeVar("_E", Os, Arch)


def _enum(kind: Type[_E], value: str, default: _E) -> _E:
    try:
        return kind(value)
    except ValueError:
        return default


def _admits(ranges: Tuple[PythonRange, ...], python: Minor) -> bool:
    return any(low <= python and (high is None or python <= high) for low, high in ranges)


def _warnings(release: Release, line: Optional[ReleaseLine]) -> Tuple[Reason, ...]:
    warnings: List[Reason] = []
    if release.yanked:
        warnings.append(Reason(ReasonCode.YANKED, version=release.version, text=release.yank_reason))
    if line is not None and line.level is SupportLevel.EOL:
        since = next((h.since for h in reversed(line.history) if h.since), None)
        warnings.append(Reason(ReasonCode.END_OF_LIFE, line=line.major, since=since))
    return tuple(warnings)


def _judge_files(release: Release, target: Target) -> Tuple[Verdict, List[Reason]]:
    tags = wheel_triples(release)
    if target.installs_any(tags):
        return Verdict.COMPATIBLE, []
    version = release.version
    interpreter = "cp%d%d" % target.python
    same_python = [t for t in tags if t[0] == interpreter]
    if release.wheel_files and not same_python:
        return Verdict.INCOMPATIBLE, [
            Reason(ReasonCode.NO_WHEEL_FOR_PYTHON, version=version, pythons=wheel_pythons(release))
        ]
    if target.free_threaded and not any(t[1] in target.abis for t in same_python):
        return Verdict.INCOMPATIBLE, [
            Reason(ReasonCode.NO_WHEEL_FOR_ABI, version=version, abis=target.abis)
        ]
    here = sorted(
        {
            t[2]
            for t in same_python
            if (platform_os(t[2]), platform_arch(t[2])) == (target.os, target.arch)
        }
    )
    facts = Reason(
        ReasonCode.NO_WHEEL_FOR_PLATFORM if release.sdist else ReasonCode.NO_FILES,
        version=version,
        has_wheels=bool(release.wheel_files),
        wheel_platforms=tuple(here) if here else tuple(sorted({t[2] for t in same_python})),
        same_cpu=bool(here),
    )
    return (Verdict.SOURCE_BUILD if release.sdist else Verdict.INCOMPATIBLE), [facts]


def _judge_dependencies(
    knowledge: Knowledge, release: Release, target: Target, extras: FrozenSet[str]
) -> Tuple[Verdict, List[Reason]]:
    """The packages installing the release pulls in: a compiled one pip builds from source
    makes the install a source build; one with nothing to install fails it. A pure
    package published as an sdist only (opentracing) builds without a compiler: not a
    fact here."""
    from ddguard.evaluate.closure import missing_wheels  # not on the startup path

    missing = missing_wheels(str(release.version), target, extras, knowledge.dependencies)
    failing = [m for m in missing if m.missing is Missing.NO_INSTALLABLE_VERSION]
    if failing:
        return Verdict.INCOMPATIBLE, [
            Reason(ReasonCode.DEPENDENCY_NOT_INSTALLABLE, version=release.version, dependency=m)
            for m in failing
        ]
    compiled = [m for m in missing if m.compiled]
    if compiled:
        return Verdict.SOURCE_BUILD, [
            Reason(ReasonCode.DEPENDENCY_NO_WHEEL, version=release.version, dependency=m)
            for m in compiled
        ]
    return Verdict.COMPATIBLE, []


def wheel_pythons(release: Release) -> Tuple[PythonRange, ...]:
    """The CPython versions the release publishes wheels for, merged into ranges."""
    return _wheel_pythons(release.wheel_files)


@functools.lru_cache(maxsize=None)
def _wheel_pythons(files: Tuple[str, ...]) -> Tuple[PythonRange, ...]:
    found = {cpython_of(t[0]) for t in _triples(files)}
    return merge_minors(sorted(m for m in found if m is not None))


def wheel_triples(release: Release) -> FrozenSet[Triple]:
    """The (interpreter, abi, platform) tags of the release's wheels."""
    return _triples(release.wheel_files)


@functools.lru_cache(maxsize=None)
def _triples(files: Tuple[str, ...]) -> FrozenSet[Triple]:
    return frozenset(t for text in files for t in parse_tag_text(text))


def cpython_of(interpreter: str) -> Optional[Minor]:
    """``cp312`` -> (3, 12); None for other interpreter tags."""
    digits = interpreter[2:]
    if interpreter[:2] != "cp" or len(digits) < 2 or not digits.isdigit():
        return None
    return (int(digits[0]), int(digits[1:]))


def merge_minors(minors: List[Minor]) -> Tuple[PythonRange, ...]:
    """Sorted minors as contiguous ranges: [(3,7),(3,8),(3,10)] -> ((3,7),(3,8)), ((3,10),(3,10))."""
    ranges: List[Tuple[Minor, Minor]] = []
    for minor in minors:
        if ranges and ranges[-1][1][0] == minor[0] and ranges[-1][1][1] + 1 >= minor[1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], minor))
        else:
            ranges.append((minor, minor))
    return tuple((low, high) for low, high in ranges)
