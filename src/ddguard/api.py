"""The library entry point: check ddtrace requirements against one or more targets.

>>> import ddguard
>>> report = ddguard.check(["ddtrace==1.20.19"], ddguard.Target.from_compact("cp312-manylinux_x86_64"))
>>> report.ok
False
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Tuple, Union

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ddguard import knowledge as _knowledge
from ddguard.errors import InputError
from ddguard.evaluate import (
    Options,
    Reason,
    ReasonCode,
    Result,
    Verdict,
    admits_prereleases,
    exact_version,
    installer_pick,
    is_refused,
    judge_release,
    judge_requirement,
    unknown_result,
)
from ddguard.target import Target

if TYPE_CHECKING:
    from packaging.markers import Marker

    from ddguard.integration_ranges import IntegrationFinding
    from ddguard.pins import Pin


@dataclass(frozen=True)
class Report:
    """Every result of one check, in requirement order (one row per target)."""

    targets: Tuple[Target, ...]
    results: Tuple[Result, ...]
    notes: Tuple[str, ...] = field(default=())
    integrations: Tuple[IntegrationFinding, ...] = field(default=())  # check --integrations

    @property
    def ok(self) -> bool:
        return not any(r.refused for r in self.results) and not any(
            f.refused for f in self.integrations
        )

    @property
    def target(self) -> Target:
        return self.targets[0]


def check(
    requirements: Iterable[Union[str, Pin]],
    target: Union[Target, Sequence[Target], None] = None,
    *,
    allow_source_build: bool = False,
    strict: bool = False,
    knowledge: Optional[_knowledge.Knowledge] = None,
) -> Report:
    """Judge each ddtrace requirement (strings like ``"ddtrace>=2,<3"`` or Pins read from
    project files) on each target (default: the running interpreter)."""
    targets = _targets(target)
    options = Options(allow_source_build=allow_source_build, strict=strict)
    db = knowledge or _knowledge.load()
    results = []
    for item in requirements:
        if isinstance(item, str):
            requirement = parse_ddtrace_requirement(item)
            for each in targets:
                if requirement.marker is not None and not requirement.marker.evaluate(
                    each.marker_env()
                ):
                    continue
                results.append(
                    judge_requirement(
                        db, requirement.specifier, each, requirement=item.strip(), options=options
                    )
                )
        else:
            results.extend(judge_pin(db, item, targets, options))
    return Report(tuple(targets), tuple(results))


def judge_pin(
    db: _knowledge.Knowledge, pin: Pin, targets: Sequence[Target], options: Options
) -> Iterable[Result]:
    for each in targets:
        if pin.marker is not None and not pin.marker.evaluate(each.marker_env()):
            continue
        if pin.unknown_reason:
            reason = Reason(ReasonCode.UNKNOWN_REFERENCE, pin.unknown_reason)
            fix = "pin a released version (ddtrace==X.Y.Z) so it can be checked"
            yield unknown_result(pin.requirement, pin.source, each, None, reason, fix, options)
            continue
        result = judge_requirement(
            db,
            pin.specifiers,
            each,
            requirement=pin.requirement,
            source=pin.source,
            options=options,
        )
        yield _check_named_wheel(result, pin.wheel_tags)


def _check_named_wheel(result: Result, wheel_tags: Sequence[str]) -> Result:
    """A direct reference to a wheel file installs that file or nothing: its own tags decide,
    whatever else the release publishes."""
    if not wheel_tags or result.verdict is Verdict.INCOMPATIBLE:
        return result
    from packaging.tags import parse_tag

    named = {tag for text in wheel_tags for tag in parse_tag(text)}
    if named & result.target.tags():
        return result
    reason = Reason(
        ReasonCode.NO_WHEEL_FOR_PLATFORM,
        f"the wheel file it names is built for {', '.join(sorted(wheel_tags))}, "
        f"which does not install on {result.target.describe()}",
    )
    return replace(
        result,
        verdict=Verdict.INCOMPATIBLE,
        reasons=(*result.reasons, reason),
        refused=True,
        fix=f"point at the wheel of ddtrace {result.version} built for this target, "
        f"or use a plain pin (ddtrace=={result.version}) and let the installer pick the file"
        if result.version
        else result.fix,
    )


@dataclass(frozen=True)
class DDTraceRequirement:
    """The parts of a ddtrace requirement a check needs."""

    specifier: SpecifierSet
    marker: Optional[Marker] = None
    url: Optional[str] = None


def _plain_ddtrace_specifier(text: str) -> Optional[DDTraceRequirement]:
    """``ddtrace==1.20.19`` without extras, markers or URL: skips packaging's requirement
    parser, whose import costs more than the whole check."""
    if not text.lower().startswith("ddtrace") or any(c in text for c in ";@["):
        return None
    rest = text[len("ddtrace") :].strip()
    if rest[:1] not in ("", "<", ">", "=", "!", "~"):
        return None
    try:
        return DDTraceRequirement(SpecifierSet(rest))
    except InvalidSpecifier:
        return None


def parse_ddtrace_requirement(text: str) -> DDTraceRequirement:
    """A requirement string naming ddtrace; ``2.8.5`` alone means ``ddtrace==2.8.5``."""
    stripped = text.strip()
    if not stripped:  # "" would read as a bare "ddtrace" below
        raise InputError("empty requirement: name one, e.g. 'ddtrace==2.8.5'")
    if stripped[0].isdigit():
        stripped = f"ddtrace=={stripped}"
    elif stripped[:1] in "<>=!~":
        stripped = f"ddtrace{stripped}"
    fast = _plain_ddtrace_specifier(stripped)
    if fast is not None:
        return fast
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(stripped)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        raise InputError(f"cannot read requirement {text!r}: {reason}") from exc
    if canonicalize_name(requirement.name) != "ddtrace":
        raise InputError(f"{text!r} is not a ddtrace requirement: ddguard checks ddtrace only")
    if requirement.marker is not None:  # one that cannot be evaluated is refused here
        from ddguard.sources.requirement import check_marker

        check_marker(requirement.marker, None, None)
    specifier = requirement.specifier
    if requirement.url:
        specifier = _url_specifier(requirement.url) or SpecifierSet()
    return DDTraceRequirement(specifier, requirement.marker, requirement.url)


def _url_specifier(url: str) -> Optional[SpecifierSet]:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    name = url.rsplit("/", 1)[-1].split("#", 1)[0]
    try:
        version = (
            parse_wheel_filename(name)[1]
            if name.endswith(".whl")
            else parse_sdist_filename(name)[1]
        )
    except ValueError:
        return None
    return SpecifierSet(f"=={version}")


def _targets(target: Union[Target, Sequence[Target], None]) -> Tuple[Target, ...]:
    if target is None:
        return (Target.from_host(),)
    if isinstance(target, Target):
        return (target,)
    return tuple(target) or (Target.from_host(),)


def python_range_notes(
    pins: Iterable[Pin],
    python_range: SpecifierSet,
    targets: Sequence[Target],
    *,
    allow_source_build: bool = False,
    strict: bool = False,
    knowledge: Optional[_knowledge.Knowledge] = None,
) -> Tuple[str, ...]:
    """For each pin: the CPython versions inside the project's declared Python range on
    which it is refused (on each target's platform), e.g. ``ddtrace==1.20.19`` under
    ``requires-python = ">=3.8"`` breaks on CPython 3.12+."""
    db = knowledge or _knowledge.load()
    options = Options(allow_source_build=allow_source_build, strict=strict)
    pins = list(pins)
    minors = [
        minor
        for minor in _known_minors(db, pins)
        if any(
            python_range.contains("%d.%d.%d" % (*minor, patch), prereleases=True)
            for patch in (0, 1, 5, 10, 20, 99)
        )
    ]
    if not minors:
        return ()
    notes = []
    platforms_seen = set()
    for target in targets:
        if target.platforms in platforms_seen:
            continue
        platforms_seen.add(target.platforms)
        per_minor = [target.with_python(minor) for minor in minors]
        seen = set()
        for pin in pins:
            key = (str(pin.specifiers), str(pin.marker), pin.unknown_reason)
            if pin.unknown_reason or key in seen:
                continue
            seen.add(key)
            bad = [
                each.python
                for each in per_minor
                if (pin.marker is None or pin.marker.evaluate(each.marker_env()))
                and _refused_on(db, pin.specifiers, each, options)
            ]
            if not bad:
                continue
            where = _knowledge.format_python_ranges(_knowledge.merge_ranges([(m, m) for m in bad]))
            notes.append(
                f"{pin.source}: {pin.requirement} does not work on CPython {where} "
                f"({target.platform_description()}), which the project's Python range "
                f"({python_range}) admits: narrow the range, add a marker, or pin a release "
                f"that works there (`ddguard check --python-version X.Y` for the details)"
            )
    return tuple(notes)


def _refused_on(
    db: _knowledge.Knowledge,
    specifier: Union[SpecifierSet, Tuple[SpecifierSet, ...]],
    target: Target,
    options: Options,
) -> bool:
    """Would a check refuse ``specifier`` on ``target``? The verdict alone, without the
    fix-finding work of :func:`judge_requirement` (the range notes judge many targets)."""
    if not isinstance(specifier, SpecifierSet):  # a union (rare): the whole judgement
        return judge_requirement(db, specifier, target, options=options).refused
    pinned = exact_version(specifier)
    if pinned is not None:
        release = db.release(pinned)
        if release is None:
            return judge_requirement(db, specifier, target, options=options).refused
    else:
        in_range = db.releases_in(specifier, prereleases=admits_prereleases(specifier))
        if not in_range:
            return options.strict
        picked = installer_pick(in_range, target)
        if picked is None:
            return True
        release = picked
    judged = judge_release(db, release, target)
    return is_refused(judged.verdict, judged.warnings, options)


def _known_minors(db: _knowledge.Knowledge, pins: Sequence[Pin]) -> List[Tuple[int, int]]:
    """CPython 3 minors worth judging: those of the release lines' policy, and those the
    pinned releases publish wheels for (cheaper than reading every release's wheels)."""
    highs: List[Tuple[int, int]] = []
    lows: List[Tuple[int, int]] = []
    for line in db.lines:
        for low, high in line.python_ranges():
            lows.append(low)
            highs.append(high or low)
    for pin in pins:
        version = exact_version(pin.specifier)
        release = db.release(version) if version is not None else db.newest
        for tag in release.wheel_tags() if release is not None else ():
            if tag.interpreter.startswith("cp3") and tag.interpreter[3:].isdigit():
                highs.append((3, int(tag.interpreter[3:])))
    first = min((low for low in lows if low[0] == 3), default=(3, 7))
    last = max((high for high in highs if high[0] == 3), default=(3, 13))
    return [(3, minor) for minor in range(first[1], last[1] + 1)]
