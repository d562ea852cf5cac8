"""What to do instead: every fix is a requirement or an interpreter that itself passes a
check on the same target under the same options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

from packaging.specifiers import SpecifierSet

from ddguard.evaluate.pick import Specifier, installer_pick, releases_in, runs
from ddguard.evaluate.release import cpython_of, merge_minors, passes, wheel_triples
from ddguard.model import (
    Fix,
    FixKind,
    Minor,
    Missing,
    Options,
    PythonRange,
    Reason,
    ReasonCode,
    SupportLevel,
)
from ddguard.target import platform_arch, platform_os

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge, Release
    from ddguard.target import Target

Works = Callable[["Release"], bool]


def working(knowledge: Knowledge, target: Target, options: Options) -> Works:
    """A release a fix may name: final, not yanked, and passing on ``target``."""

    def works(release: Release) -> bool:
        return not release.version.is_prerelease and passes(knowledge, release, target, options)

    return works


def dependency_fixes(reasons: Sequence[Reason]) -> Tuple[Fix, ...]:
    """When every dependency pip would compile has an older release in range with a wheel
    for the target: cap each there (pip then installs that wheel)."""
    gaps = [r.dependency for r in reasons if r.code is ReasonCode.DEPENDENCY_NO_WHEEL]
    if not gaps or any(
        g is None or g.missing is not Missing.NEWEST_HAS_NO_WHEEL or not g.newest_with_wheel
        for g in gaps
    ):
        return ()
    return tuple(
        Fix(FixKind.DEPENDENCY_WITH_WHEEL, package=g.package, specifier=f"<={g.newest_with_wheel}")
        for g in gaps
        if g is not None
    )


def fixes(
    knowledge: Knowledge,
    release: Optional[Release],
    target: Target,
    specifier: Optional[Specifier],
    options: Options,
    *,
    source_build: bool = False,
) -> Tuple[Fix, ...]:
    """Ways out for a refused (or not compatible) ``release`` — or, when None, for a
    requirement no known release satisfies — in order of preference."""
    works = working(knowledge, target, options)
    releases = knowledge.releases
    # Each release is judged only when a fix needs it (judging is memoized per fact group).
    newest = next((r for r in reversed(releases) if works(r)), None)
    found: List[Fix] = []
    if specifier is not None:
        inside = [
            r for r in releases if specifier.contains(r.version, prereleases=True) and works(r)
        ]
        if inside:
            found.append(
                Fix(FixKind.NARROW_RANGE, runs=runs(knowledge, inside), newest=inside[-1].version)
            )
    if newest is not None and release is not None:
        major = release.version.major
        in_line = next(
            (r for r in reversed(releases) if r.version.major == major and works(r)), None
        )
        if in_line is not None and in_line.version > release.version:
            version = in_line.version
            found.append(
                Fix(FixKind.NEWEST_IN_LINE, specifier=f"=={version}", newest=version, line=major)
            )
        else:
            later = next((r for r in releases if r.version > release.version and works(r)), None)
            if later is not None:
                spec = _working_range(knowledge, str(later.version), newest, target, works)
                found.append(Fix(FixKind.MOVE_TO, specifier=spec, newest=newest.version))
            else:
                found.append(
                    Fix(FixKind.NEWEST, specifier=f"=={newest.version}", newest=newest.version)
                )
    elif newest is not None and not found:
        floor = _line_floor(knowledge, newest)
        spec = _working_range(knowledge, floor, newest, target, works)
        found.append(Fix(FixKind.MOVE_TO, specifier=spec, newest=newest.version))
    if release is not None and not source_build:
        pythons = working_pythons(knowledge, release, target, options)
        if pythons:
            found.append(
                Fix(
                    FixKind.OTHER_PYTHON,
                    version=release.version,
                    python=nearest_python(pythons, target.python),
                    pythons=pythons,
                )
            )
    if source_build and not options.allow_source_build:
        found.append(Fix(FixKind.ALLOW_SOURCE_BUILD))
    if not found:
        found.append(Fix(FixKind.NOTHING_WORKS))
    return tuple(found)


def supported_line_fix(knowledge: Knowledge, target: Target, options: Options) -> Tuple[Fix, ...]:
    """For a release that works on an End-of-Life line: the newest supported line's range."""
    works = working(knowledge, target, options)
    newest = next(
        (r for r in reversed(knowledge.releases) if _supported(knowledge, r) and works(r)), None
    )
    if newest is None:
        return ()
    spec = _working_range(knowledge, _line_floor(knowledge, newest), newest, target, works)
    return (Fix(FixKind.SUPPORTED_LINE, specifier=spec, newest=newest.version),)


def newest_in_line_fix(
    knowledge: Knowledge, release: Release, target: Target, options: Options
) -> Tuple[Fix, ...]:
    """For a yanked release that works: the newest release of its line that works."""
    works = working(knowledge, target, options)
    major = release.version.major
    newest = next(
        (r for r in reversed(knowledge.releases) if r.version.major == major and works(r)), None
    )
    if newest is None:
        return ()
    return (
        Fix(
            FixKind.NEWEST_IN_LINE,
            specifier=f"=={newest.version}",
            newest=newest.version,
            line=major,
        ),
    )


def _supported(knowledge: Knowledge, release: Release) -> bool:
    line = knowledge.line(release.version)
    return line is None or line.level is not SupportLevel.EOL


def _working_range(
    knowledge: Knowledge, low: str, newest: Release, target: Target, works: Works
) -> str:
    """``>=low``, bounded above when an installer would otherwise pick a newer release that
    does not work on the target (4.x on i686): a suggestion must pass itself."""
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
        pick = installer_pick(releases_in(knowledge, SpecifierSet(spec)), target)
        if pick is not None and works(pick):
            return spec
    return candidates[-1]


def _line_floor(knowledge: Knowledge, release: Release) -> str:
    first = next(
        r
        for r in knowledge.releases
        if r.version.major == release.version.major and not r.version.is_prerelease
    )
    return str(first.version)


def working_pythons(
    knowledge: Knowledge, release: Release, target: Target, options: Options
) -> Tuple[PythonRange, ...]:
    """The CPython versions on which this release passes on the target's platform: those it
    has a wheel for on the same OS and CPU, each judged like the target itself."""
    platforms = set(target.platforms)
    minors = set()
    for interpreter, _, platform in wheel_triples(release):
        minor = cpython_of(interpreter)
        if minor is None or minor in minors:
            continue
        same_place = (platform_os(platform), platform_arch(platform)) == (target.os, target.arch)
        if same_place or platform in platforms:  # or universal2 on arm64
            minors.add(minor)
    found = [
        m for m in sorted(minors) if passes(knowledge, release, target.with_python(m), options)
    ]
    return merge_minors(found)


def nearest_python(ranges: Tuple[PythonRange, ...], wanted: Minor) -> Minor:
    """The supported version closest to the target's: its own when a range holds it (a
    free-threaded or non-CPython target), else the newest below it, else the oldest above."""
    if any(low <= wanted and (high is None or wanted <= high) for low, high in ranges):
        return wanted
    below = [high or low for low, high in ranges if (high or low) <= wanted]
    if below:
        return max(below)
    return min(low for low, _ in ranges)
