"""Verdicts: would this ddtrace release (or the one an installer picks) work on this target?

Pure functions of (requirement, target, knowledge): no I/O, no printing.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Callable, Dict, List, NoReturn, Optional, Sequence, Tuple, Union

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from ddguard.knowledge import (
    Knowledge,
    PythonRange,
    Release,
    ReleaseLine,
    SupportLevel,
    expand_tags,
    format_python_ranges,
    merge_ranges,
)
from ddguard.target import Target, platform_os_arch


class Verdict(str, enum.Enum):
    COMPATIBLE = "compatible"
    SOURCE_BUILD = "source-build"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"


class ReasonCode(str, enum.Enum):
    NOT_CPYTHON = "not-cpython"
    REQUIRES_PYTHON = "requires-python"
    LINE_RUNTIME = "line-runtime"
    LINE_PLATFORM = "line-platform"
    NO_WHEEL_FOR_PYTHON = "no-wheel-for-python"
    NO_WHEEL_FOR_ABI = "no-wheel-for-abi"
    NO_WHEEL_FOR_PLATFORM = "no-wheel-for-platform"
    NO_FILES = "no-installable-file"
    NOT_RELEASED = "not-released"
    NEWER_THAN_DATABASE = "newer-than-database"
    NO_RELEASE_IN_RANGE = "no-release-in-range"
    YANKED = "yanked"
    END_OF_LIFE = "end-of-life"
    UNKNOWN_REFERENCE = "unknown-reference"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    text: str


@dataclass(frozen=True)
class Options:
    allow_source_build: bool = False
    strict: bool = False


@dataclass(frozen=True)
class Judgement:
    """One release on one target."""

    version: Version
    verdict: Verdict
    line: Optional[ReleaseLine]
    reasons: Tuple[Reason, ...]  # why it is not compatible (empty when it is)
    warnings: Tuple[Reason, ...]  # yanked, end of life


@dataclass(frozen=True)
class Result:
    """One requirement on one target: the verdict, why, and what to do instead."""

    requirement: str
    source: str
    target: Target
    version: Optional[str]  # the release judged: the pin, or the installer's pick for a range
    verdict: Verdict
    support_level: Optional[SupportLevel]
    reasons: Tuple[Reason, ...]
    warnings: Tuple[Reason, ...]
    fix: Optional[str]
    refused: bool
    compatible_range: Optional[str]  # the part of a range requirement that works, if any
    picked: bool = False  # True when ``version`` is the installer's pick for a range
    alternatives: Tuple[str, ...] = ()  # a union (Poetry ``||``): what each alternative gives

    @property
    def problem(self) -> bool:
        return self.refused or bool(self.warnings) or self.verdict is not Verdict.COMPATIBLE


def unknown_result(
    requirement: str,
    source: str,
    target: Target,
    version: Optional[str],
    reason: Reason,
    fix: str,
    options: Options,
) -> Result:
    """Nothing to judge the requirement by: passes with a notice, refused under ``strict``."""
    return Result(
        requirement,
        source,
        target,
        version,
        Verdict.UNKNOWN,
        None,
        (reason,),
        (),
        fix,
        refused=options.strict,
        compatible_range=None,
    )


def judge_release(knowledge: Knowledge, release: Release, target: Target) -> Judgement:
    """Policy, Requires-Python and published wheels of one release against the target."""
    line = knowledge.line(release.version)
    reasons: List[Reason] = []
    version = release.version
    if target.implementation != "cpython":
        reasons.append(
            Reason(
                ReasonCode.NOT_CPYTHON,
                f"ddtrace supports CPython only; this is {target.describe().split(',')[0]}",
            )
        )
    if not release.admits_python(target.python_full_str):
        reasons.append(
            Reason(
                ReasonCode.REQUIRES_PYTHON,
                f"ddtrace {version} declares Requires-Python {release.requires_python}",
            )
        )
    os_name, cpu = target.os, target.arch
    if line is not None and target.implementation == "cpython":
        ranges = line.python_ranges()
        rule = line.rule_for(os_name, cpu)
        if not any(
            low <= target.python and (high is None or target.python <= high) for low, high in ranges
        ):
            reasons.append(
                Reason(
                    ReasonCode.LINE_RUNTIME,
                    f"release line {line.name} ({line.specifier}) supports CPython "
                    f"{format_python_ranges(ranges)}",
                )
            )
        elif rule is None:
            reasons.append(
                Reason(
                    ReasonCode.LINE_PLATFORM,
                    f"release line {line.name} supports {supported_platforms(line)}, "
                    f"not {target.platform_description()}",
                )
            )
        elif not rule.admits_python(target.python):
            reasons.append(
                Reason(
                    ReasonCode.LINE_RUNTIME,
                    f"release line {line.name} supports CPython {format_python_ranges(rule.python)} "
                    f"on {target.platform_description()}",
                )
            )
    verdict = Verdict.INCOMPATIBLE if reasons else Verdict.COMPATIBLE
    if not reasons:
        verdict, file_reasons = _judge_files(release, target)
        reasons.extend(file_reasons)
    elif target.implementation == "cpython" and release.wheel_files:
        # Say what the wheels say too: it is the fact a user can check on the index.
        # (Short: the policy reason already names the supported versions.)
        _, file_reasons = _judge_files(release, target)
        reasons.extend(
            Reason(r.code, f"ddtrace {version} publishes no wheel for CPython {target.python_str}")
            for r in file_reasons
            if r.code is ReasonCode.NO_WHEEL_FOR_PYTHON
        )
    warnings: List[Reason] = []
    if release.yanked:
        why = f" ({release.yank_reason.strip()})" if release.yank_reason else ""
        warnings.append(Reason(ReasonCode.YANKED, f"ddtrace {version} was yanked{why}"))
    if line is not None and line.level is SupportLevel.EOL:
        warnings.append(
            Reason(
                ReasonCode.END_OF_LIFE,
                f"release line {line.name} is End of Life since {line.history[-1].since or line.history[-2].since}",
            )
        )
    return Judgement(version, verdict, line, tuple(reasons), tuple(warnings))


def _judge_files(release: Release, target: Target) -> Tuple[Verdict, List[Reason]]:
    if release.wheel_tags() & target.tags():
        return Verdict.COMPATIBLE, []
    version = release.version
    cp = "cp%d%d" % target.python
    same_python = [t for t in release.wheel_tags() if t.interpreter == cp]
    if release.wheel_files and not same_python:
        published = wheel_pythons(release)
        return Verdict.INCOMPATIBLE, [
            Reason(
                ReasonCode.NO_WHEEL_FOR_PYTHON,
                f"ddtrace {version} publishes no wheel for CPython {target.python_str} "
                f"(its wheels cover CPython {format_python_ranges(published)})",
            )
        ]
    if target.free_threaded and not any(t.abi in target.abis for t in same_python):
        return Verdict.INCOMPATIBLE, [
            Reason(
                ReasonCode.NO_WHEEL_FOR_ABI,
                f"ddtrace {version} publishes no wheel for free-threaded CPython "
                f"({', '.join(target.abis)})",
            )
        ]
    platform_words = target.platform_description()
    if release.wheel_files:
        platform_words += f" ({_platform_summary(same_python, target)})"
    if release.sdist:
        what = "publishes no wheels at all" if not release.wheel_files else "publishes no wheel for"
        text = (
            f"ddtrace {version} {what}"
            + ("" if not release.wheel_files else f" {platform_words}")
            + ": installing it means building the sdist from source (a C compiler and "
            "Python headers, minutes, and failures that do not mention Python versions)"
        )
        return Verdict.SOURCE_BUILD, [Reason(ReasonCode.NO_WHEEL_FOR_PLATFORM, text)]
    return Verdict.INCOMPATIBLE, [
        Reason(
            ReasonCode.NO_FILES,
            f"ddtrace {version} publishes neither a wheel for {platform_words} nor an sdist",
        )
    ]


@dataclass(frozen=True)
class AnyOf:
    """A union of specifiers (Poetry ``^1.20 || ~2.8``): a version matches when any
    alternative allows it."""

    alternatives: Tuple[SpecifierSet, ...]

    def contains(self, item: Union[str, Version], prereleases: Optional[bool] = None) -> bool:
        return any(s.contains(item, prereleases=prereleases) for s in self.alternatives)

    def __str__(self) -> str:
        return " || ".join(_spec_text(s) for s in self.alternatives)


def _spec_text(specifier: SpecifierSet) -> str:
    """'>=1.20,<2' (lower bounds first, as people write them); '*' for any version."""
    specs = sorted(
        specifier, key=lambda s: (s.operator not in (">=", ">", "~=", "==", "==="), str(s))
    )
    return ",".join(str(s) for s in specs) or "*"


Specifier = Union[SpecifierSet, AnyOf]


def judge_requirement(
    knowledge: Knowledge,
    specifier: Union[SpecifierSet, Sequence[SpecifierSet]],
    target: Target,
    *,
    requirement: str = "",
    source: str = "argv",
    options: Options = Options(),
) -> Result:
    """The release an installer would pick for ``specifier`` on ``target``, judged.

    ``specifier`` may be a sequence of alternatives (a Poetry ``||`` union): the installer
    picks the newest release any of them allows."""
    if not isinstance(specifier, SpecifierSet):
        alternatives = tuple(specifier)
        if len(alternatives) != 1:
            return _judge_union(
                knowledge, AnyOf(alternatives), target, requirement, source, options
            )
        specifier = alternatives[0]
    requirement = requirement or f"ddtrace{specifier}"
    pinned = exact_version(specifier)
    if pinned is not None:
        release = knowledge.release(pinned)
        if release is None:
            return _missing_release(knowledge, pinned, target, requirement, source, options)
        return _result(knowledge, release, target, requirement, source, options, specifier=None)

    in_range = knowledge.releases_in(specifier, prereleases=admits_prereleases(specifier))
    return _judge_range(knowledge, specifier, in_range, target, requirement, source, options)


def admits_prereleases(specifier: SpecifierSet) -> Optional[bool]:
    """Pre-releases count when the specifier names one (as pip does)."""
    if any(Version(s.version).is_prerelease for s in specifier if "*" not in s.version):
        return True
    return None


def _judge_union(
    knowledge: Knowledge,
    union: AnyOf,
    target: Target,
    requirement: str,
    source: str,
    options: Options,
) -> Result:
    """A union: the newest release any alternative allows (the installer's pick), judged,
    and per alternative which of its releases work here."""
    requirement = requirement or f"ddtrace {union}"
    if not union.alternatives:
        return judge_requirement(
            knowledge,
            SpecifierSet(),
            target,
            requirement=requirement,
            source=source,
            options=options,
        )
    newest = knowledge.newest
    per: List[Tuple[SpecifierSet, List[Release]]] = []
    for alternative in union.alternatives:
        pinned = exact_version(alternative)
        if pinned is not None:
            release = knowledge.release(pinned)
            found = [release] if release is not None else []
        else:
            found = knowledge.releases_in(alternative, prereleases=admits_prereleases(alternative))
        if not found and _beyond(alternative, newest.version):
            reason = Reason(
                ReasonCode.NEWER_THAN_DATABASE,
                f"its alternative {_spec_text(alternative)} allows only releases newer than the database "
                f"(newest known: {newest.version}, snapshot of {knowledge.info.fetched}), "
                "and an installer picks the newest release of any alternative",
            )
            return unknown_result(
                requirement, source, target, None, reason, _refresh_fix(), options
            )
        per.append((alternative, found))
    allowed = {r.version for _, found in per for r in found}
    in_range = [r for r in knowledge.releases if r.version in allowed]
    return _judge_range(
        knowledge, union, in_range, target, requirement, source, options, alternatives=per
    )


def _judge_range(
    knowledge: Knowledge,
    specifier: Specifier,
    in_range: Sequence[Release],
    target: Target,
    requirement: str,
    source: str,
    options: Options,
    alternatives: Sequence[Tuple[SpecifierSet, Sequence[Release]]] = (),
) -> Result:
    """The installer's pick among ``in_range`` (the releases ``specifier`` allows), judged,
    with the part of the range that works here and, for a union, what each alternative gives."""
    if not in_range:
        newest = knowledge.newest
        reason = Reason(
            ReasonCode.NEWER_THAN_DATABASE,
            f"no release in the database (newest: {newest.version}, {knowledge.info.fetched}) "
            f"matches {specifier}",
        )
        return unknown_result(requirement, source, target, None, reason, _refresh_fix(), options)
    verdicts: Dict[Version, bool] = {}

    def works(r: Release) -> bool:
        if r.version not in verdicts:
            verdicts[r.version] = (
                not r.yanked and judge_release(knowledge, r, target).verdict is Verdict.COMPATIBLE
            )
        return verdicts[r.version]

    pick = installer_pick(in_range, target)
    described = tuple(
        _alternative_text(knowledge, a, found, works, pick) for a, found in alternatives
    )
    if pick is None:
        reason = Reason(
            ReasonCode.NO_RELEASE_IN_RANGE,
            f"no release in {specifier} installs on {target.describe()}",
        )
        return Result(
            requirement,
            source,
            target,
            None,
            Verdict.INCOMPATIBLE,
            None,
            (reason,),
            (),
            _fix(knowledge, None, target, specifier),
            refused=True,
            compatible_range=None,
            alternatives=described,
        )
    compatible = [r for r in in_range if works(r)]
    return _result(
        knowledge,
        pick,
        target,
        requirement,
        source,
        options,
        specifier=specifier,
        compatible_range=(
            summarize_versions(knowledge, compatible, within=in_range) if compatible else None
        ),
        alternatives=described,
    )


def _beyond(specifier: SpecifierSet, newest: Version) -> bool:
    """Whether the specifier's lower bound lies above ``newest`` (``>=9``, ``^5``)."""
    for spec in specifier:
        if spec.operator in (">=", ">", "~=", "==", "==="):
            try:
                if Version(spec.version.rstrip(".*")) > newest:
                    return True
            except ValueError:
                continue
    return False


def _alternative_text(
    knowledge: Knowledge,
    alternative: SpecifierSet,
    found: Sequence[Release],
    works: Callable[[Release], bool],
    pick: Optional[Release],
) -> str:
    """'>=2.8,<2.9: >=2.8.0,<=2.8.5 works here (the pick)'."""
    name = _spec_text(alternative)
    if not found:
        return f"{name}: no release in the database"
    compatible = [r for r in found if works(r)]
    picked = " (the pick)" if pick is not None and pick in found else ""
    if not compatible:
        return f"{name}: no release works here{picked}"
    return f"{name}: {summarize_versions(knowledge, compatible, within=found)} works here{picked}"


def installer_pick(candidates: Sequence[Release], target: Target) -> Optional[Release]:
    """pip's choice: the newest non-yanked release whose Requires-Python admits the target
    and that has a file the target can use (a matching wheel, or an sdist to build)."""
    for release in reversed(candidates):
        if release.yanked:
            continue
        if not release.admits_python(target.python_full_str):
            continue
        if release.sdist or release.wheel_tags() & target.tags():
            return release
    return None


def _result(
    knowledge: Knowledge,
    release: Release,
    target: Target,
    requirement: str,
    source: str,
    options: Options,
    specifier: Optional[Specifier],
    compatible_range: Optional[str] = None,
    alternatives: Tuple[str, ...] = (),
) -> Result:
    judged = judge_release(knowledge, release, target)
    refused = is_refused(judged.verdict, judged.warnings, options)
    fix = None
    if judged.verdict is not Verdict.COMPATIBLE or refused:
        fix = _fix(
            knowledge,
            release,
            target,
            specifier,
            source_build=judged.verdict is Verdict.SOURCE_BUILD,
        )
    elif any(w.code is ReasonCode.END_OF_LIFE for w in judged.warnings):
        fix = _fix(knowledge, release, target, specifier, only_newer_line=True)
    elif judged.warnings:  # yanked: the newest release of the same line that works
        fix = _fix(knowledge, release, target, specifier, in_line=True)
    return Result(
        requirement=requirement,
        source=source,
        target=target,
        version=str(release.version),
        verdict=judged.verdict,
        support_level=judged.line.level if judged.line else None,
        reasons=judged.reasons,
        warnings=judged.warnings,
        fix=fix,
        refused=refused,
        compatible_range=compatible_range,
        picked=specifier is not None,
        alternatives=alternatives,
    )


def is_refused(verdict: Verdict, warnings: Sequence[Reason], options: Options) -> bool:
    """Whether a check refuses this verdict under ``options`` (strict, source builds)."""
    if verdict is Verdict.COMPATIBLE:
        return options.strict and any(w.code is ReasonCode.END_OF_LIFE for w in warnings)
    if verdict is Verdict.SOURCE_BUILD:
        return not options.allow_source_build or (
            options.strict and any(w.code is ReasonCode.END_OF_LIFE for w in warnings)
        )
    if verdict is Verdict.INCOMPATIBLE:
        return True
    if verdict is Verdict.UNKNOWN:
        return options.strict
    assert_never(verdict)


def _missing_release(
    knowledge: Knowledge,
    version: Version,
    target: Target,
    requirement: str,
    source: str,
    options: Options,
) -> Result:
    newest = knowledge.newest
    if version > newest.version:
        reason = Reason(
            ReasonCode.NEWER_THAN_DATABASE,
            f"ddtrace {version} is newer than the database (newest known: {newest.version}, "
            f"snapshot of {knowledge.info.fetched}); its own Requires-Python and wheels decide",
        )
        return unknown_result(
            requirement, source, target, str(version), reason, _refresh_fix(), options
        )
    reason = Reason(ReasonCode.NOT_RELEASED, f"ddtrace {version} was never released")
    return Result(
        requirement,
        source,
        target,
        str(version),
        Verdict.INCOMPATIBLE,
        None,
        (reason,),
        (),
        _fix(knowledge, None, target, None),
        refused=True,
        compatible_range=None,
    )


def _refresh_fix() -> str:
    return "refresh the database with `ddguard db update`, or pin a release it knows"


def _fix(
    knowledge: Knowledge,
    release: Optional[Release],
    target: Target,
    specifier: Optional[Specifier],
    *,
    source_build: bool = False,
    only_newer_line: bool = False,
    in_line: bool = False,
) -> Optional[str]:
    """A concrete way out: a range that works (and its newest release) or an interpreter."""

    verdicts: Dict[Tuple[object, ...], bool] = {}

    def works(r: Release) -> bool:
        if r.yanked or r.version.is_prerelease:
            return False
        # A verdict depends only on these (and the target); 860 releases share ~40 of them.
        key = (r.version.major, r.requires_python, r.wheel_files, r.sdist)
        if key not in verdicts:
            verdicts[key] = judge_release(knowledge, r, target).verdict is Verdict.COMPATIBLE
        return verdicts[key]

    def supported_line(r: Release) -> bool:
        return (knowledge.line(r.version) or _NO_LINE).level is not SupportLevel.EOL

    if only_newer_line:  # judging the newest supported releases is enough (and cheap)
        newest = next(
            (r for r in reversed(knowledge.releases) if supported_line(r) and works(r)), None
        )
        if newest is None:
            return None
        spec = _working_range(knowledge, _line_floor(knowledge, newest), newest, target, works)
        return f"move to a supported line: ddtrace{spec} (newest: {newest.version})"
    if in_line and release is not None:
        newest = next(
            (
                r
                for r in reversed(knowledge.releases)
                if r.version.major == release.version.major and works(r)
            ),
            None,
        )
        return (
            f"use ddtrace=={newest.version}, the newest {release.version.major}.x release that works here"
            if newest
            else None
        )
    usable = [r for r in knowledge.releases if works(r)]
    options: List[str] = []
    if specifier is not None:
        inside = [r for r in usable if specifier.contains(r.version, prereleases=True)]
        if inside:
            options.append(
                f"narrow your range to {summarize_versions(knowledge, inside)} "
                f"(newest that works here: ddtrace=={inside[-1].version})"
            )
    if usable and release is not None:
        same_line = [r for r in usable if r.version.major == release.version.major]
        later = [r for r in usable if r.version > release.version]
        if same_line and same_line[-1].version > release.version:
            options.append(
                f"use ddtrace=={same_line[-1].version}, the newest {release.version.major}.x release that works here"
            )
        elif later:
            spec = _working_range(knowledge, later[0].version, usable[-1], target, works)
            options.append(
                f"use ddtrace{spec} (newest that works here: ddtrace=={usable[-1].version})"
            )
        elif usable:
            options.append(f"use ddtrace=={usable[-1].version}, the newest release that works here")
    elif usable and not options:
        spec = _working_range(
            knowledge, _line_floor(knowledge, usable[-1]), usable[-1], target, works
        )
        options.append(f"use ddtrace{spec} (newest that works here: ddtrace=={usable[-1].version})")
    if release is not None and not source_build:
        pythons = working_pythons(knowledge, release, target)
        if pythons:
            nearest = _nearest_python(pythons, target.python)
            build = " without free threading" if target.free_threaded else ""
            options.append(
                f"run ddtrace {release.version} on CPython %d.%d{build} (on {target.platform_description()} "
                "it supports CPython %s)" % (nearest + (format_python_ranges(pythons),))
            )
    if source_build:
        options.append("accept a source build with --allow-source-build (needs a compiler)")
    if not options:
        return (
            f"no ddtrace release in the database works on {target.describe()}: use a CPython "
            "version and platform from `ddguard matrix`"
        )
    return "; or ".join(options)


def _working_range(
    knowledge: Knowledge,
    low: object,
    newest: Release,
    target: Target,
    works: Callable[[Release], bool],
) -> str:
    """``>=low``, bounded above when pip would otherwise pick a newer release that does not
    work on the target (4.x on i686): a suggestion must pass ``ddguard check`` itself."""
    candidates = [f">={low}"]
    following = [
        r
        for r in knowledge.releases
        if r.version > newest.version and not r.version.is_prerelease and not r.yanked
    ]
    if following and following[0].version.major != newest.version.major:
        candidates.append(f">={low},<{newest.version.major + 1}")
    candidates.append(f">={low},<={newest.version}")
    for spec in candidates:
        pick = installer_pick(knowledge.releases_in(SpecifierSet(spec)), target)
        if pick is not None and works(pick):
            return spec
    return candidates[-1]


_NO_LINE = ReleaseLine(major=-1, level=SupportLevel.GA, history=(), runtimes=(), runtime_basis="")


def _line_floor(knowledge: Knowledge, release: Release) -> str:
    first = next(
        r
        for r in knowledge.releases
        if r.version.major == release.version.major and not r.version.is_prerelease
    )
    return str(first.version)


def working_pythons(
    knowledge: Knowledge, release: Release, target: Target
) -> Tuple[PythonRange, ...]:
    """CPython versions on which this release has a wheel for the target's OS and CPU,
    within its line's policy and Requires-Python."""
    os_arch = (target.os, target.arch)
    line = knowledge.line(release.version)
    found = set()
    platforms = set(target.platforms)
    for tag in release.wheel_tags():
        if not tag.interpreter.startswith("cp"):
            continue
        # Same OS and CPU, or a tag the target installs (macOS universal2 on arm64).
        if platform_os_arch(tag.platform) != os_arch and tag.platform not in platforms:
            continue
        python = (int(tag.interpreter[2]), int(tag.interpreter[3:]))
        if line is not None:
            rule = line.rule_for(*os_arch)
            if rule is None or not rule.admits_python(python):
                continue
        if not release.admits_python("%d.%d.0" % python):
            continue
        found.add(python)
    return merge_ranges([(p, p) for p in sorted(found)])


def _nearest_python(ranges: Sequence[PythonRange], wanted: Tuple[int, int]) -> Tuple[int, int]:
    """The supported version closest to the target's: the target's own when a range holds it
    (free-threaded or non-CPython targets), else the newest below it, else the oldest above."""
    if any(low <= wanted and (high is None or wanted <= high) for low, high in ranges):
        return wanted
    below = [high or low for low, high in ranges if (high or low) <= wanted]
    if below:
        return max(below)
    return min(low for low, _ in ranges)


def wheel_pythons(release: Release) -> Tuple[PythonRange, ...]:
    return _wheel_pythons(release.wheel_files)


@functools.lru_cache(maxsize=None)
def _wheel_pythons(files: Tuple[str, ...]) -> Tuple[PythonRange, ...]:
    found = {
        (int(t.interpreter[2]), int(t.interpreter[3:]))
        for t in expand_tags(files)
        if t.interpreter.startswith("cp") and len(t.interpreter) >= 4
    }
    return merge_ranges([(p, p) for p in sorted(found)])


def summarize_versions(
    knowledge: Knowledge, chosen: Sequence[Release], within: Optional[Sequence[Release]] = None
) -> str:
    """Contiguous runs of ``chosen`` among the final releases, as specifiers: '>=2.0.0,<=2.21.12 || >=3.1.0'."""
    pool = [
        r for r in (within or knowledge.releases) if not r.version.is_prerelease and not r.yanked
    ]
    chosen_set = {r.version for r in chosen}
    runs: List[Tuple[Version, Version]] = []
    start: Optional[Version] = None
    previous: Optional[Version] = None
    for release in pool:
        if release.version in chosen_set:
            start = start or release.version
            previous = release.version
        elif start is not None and previous is not None:
            runs.append((start, previous))
            start = previous = None
    if start is not None and previous is not None:
        runs.append((start, previous))
    newest = knowledge.newest.version
    parts = []
    for low, high in runs:
        if low == high:
            parts.append(f"=={low}")
        elif high == newest or (within is None and high == pool[-1].version):
            parts.append(f">={low}")
        else:
            parts.append(f">={low},<={high}")
    return " or ".join(parts) if parts else "none"


def _platform_summary(tags: Sequence[Tag], target: Target) -> str:
    """What the release does publish for the target's Python: same CPU first, else elsewhere."""
    here = sorted(
        {t.platform for t in tags if platform_os_arch(t.platform) == (target.os, target.arch)}
    )
    if here:
        return "its CPython %s wheels for this CPU are tagged %s" % (
            target.python_str,
            ", ".join(here),
        )
    from ddguard.target import describe_platform

    elsewhere = sorted({describe_platform(t.platform) for t in tags})
    return "it has CPython %s wheels only for %s" % (target.python_str, ", ".join(elsewhere))


def exact_version(specifier: SpecifierSet) -> Optional[Version]:
    """The one version an ``==X`` / ``===X`` specifier names, else None."""
    specs = list(specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        try:
            return Version(specs[0].version)
        except ValueError:
            return None
    return None


def supported_platforms(line: ReleaseLine) -> str:
    names = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
    cpu_words = {
        "linux": {"x86_64": "x86-64", "i686": "i686", "aarch64": "AArch64"},
        "macos": {"x86_64": "Intel", "aarch64": "Apple Silicon"},
        "windows": {"x86_64": "64-bit", "i686": "32-bit", "aarch64": "ARM64"},
    }
    return ", ".join(
        f"{names.get(rule.os, rule.os)} ({', '.join(cpu_words.get(rule.os, {}).get(c, c) for c in rule.cpus)})"
        for rule in line.runtimes
    )


def assert_never(value: object) -> NoReturn:
    raise AssertionError(f"unhandled value: {value!r}")
