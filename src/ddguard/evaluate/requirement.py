"""A requirement (a Pin) on a target: the release an installer would take, judged, with
the part of a range that works here and what to do instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from packaging.specifiers import SpecifierSet

from ddguard.errors import InputError
from ddguard.evaluate.fix import dependency_fixes, fixes, newest_in_line_fix, supported_line_fix
from ddguard.evaluate.pick import (
    AnyOf,
    Specifier,
    beyond,
    exact_version,
    installer_pick,
    releases_in,
    runs,
)
from ddguard.evaluate.release import is_refused, judge_release, passes
from ddguard.model import (
    Alternative,
    Fix,
    FixKind,
    Options,
    Pin,
    Reason,
    ReasonCode,
    Result,
    Verdict,
)

if TYPE_CHECKING:
    from packaging.version import Version

    from ddguard.knowledge import Knowledge, Release
    from ddguard.target import Target


def applies(pin: Pin, target: Target) -> bool:
    """Whether the pin's marker holds on the target (no marker: always). A marker packaging
    cannot evaluate is bad input, named by the pin's file and line."""
    if pin.marker is None:
        return True
    try:
        return bool(pin.marker.evaluate(target.marker_env()))
    except Exception as exc:  # packaging raises several unrelated types here
        raise InputError(
            f"cannot evaluate the environment marker {str(pin.marker)!r}: {exc}",
            pin.origin.path,
            pin.origin.line,
        ) from None


def judge(knowledge: Knowledge, pin: Pin, target: Target, options: Options) -> Result:
    """The pin on the target (its marker already found to apply)."""
    options = _with_extras(options, pin)
    if pin.unknown:
        return _unknown(
            pin, target, options, Reason(ReasonCode.UNKNOWN_REFERENCE), Fix(FixKind.PIN_A_RELEASE)
        )
    if pin.alternatives:
        result = _judge_union(knowledge, pin, AnyOf(pin.alternatives), target, options)
    else:
        result = _judge_specifier(knowledge, pin, pin.specifier, target, options)
    tags = pin.reference.wheel_tags if pin.reference is not None else pin.wheel_tags
    return _check_named_wheel(result, tags) if tags else result


def _judge_specifier(
    knowledge: Knowledge, pin: Pin, specifier: SpecifierSet, target: Target, options: Options
) -> Result:
    pinned = exact_version(specifier)
    if pinned is not None:
        release = knowledge.release(pinned)
        if release is None:
            return _missing(knowledge, pin, pinned, target, options)
        return _result(knowledge, pin, release, target, options, None)
    return _judge_range(knowledge, pin, specifier, releases_in(knowledge, specifier), target, options)


def _judge_union(
    knowledge: Knowledge, pin: Pin, union: AnyOf, target: Target, options: Options
) -> Result:
    """The newest release any alternative allows (the installer's pick), judged, and per
    alternative which of its releases work here."""
    newest = knowledge.newest
    per: List[Tuple[SpecifierSet, List[Release]]] = []
    for alternative in union.alternatives:
        found = releases_in(knowledge, alternative)
        if not found and beyond(alternative, newest.version):
            reason = _newer_than_database(knowledge, specifier=str(alternative), alternative=True)
            return _unknown(pin, target, options, reason, Fix(FixKind.REFRESH_DATABASE))
        per.append((alternative, found))
    return _judge_range(
        knowledge, pin, union, releases_in(knowledge, union), target, options, alternatives=per
    )


def _judge_range(
    knowledge: Knowledge,
    pin: Pin,
    specifier: Specifier,
    in_range: Sequence[Release],
    target: Target,
    options: Options,
    alternatives: Sequence[Tuple[SpecifierSet, Sequence[Release]]] = (),
) -> Result:
    if not in_range:
        reason = _newer_than_database(knowledge, specifier=_text(specifier))
        return _unknown(pin, target, options, reason, Fix(FixKind.REFRESH_DATABASE))
    verdicts: Dict[Version, bool] = {}

    def works(release: Release) -> bool:
        if release.version not in verdicts:
            verdicts[release.version] = passes(knowledge, release, target, options)
        return verdicts[release.version]

    pick = installer_pick(in_range, target)
    described = tuple(
        Alternative(
            specifier=spec_text(alt),
            known=bool(found),
            works=runs(knowledge, [r for r in found if works(r)], within=found),
            picked=pick is not None and pick in found,
        )
        for alt, found in alternatives
    )
    if pick is None:
        return Result(
            pin=pin,
            target=target,
            verdict=Verdict.INCOMPATIBLE,
            refused=True,
            reasons=(Reason(ReasonCode.NO_RELEASE_IN_RANGE, specifier=_text(specifier)),),
            fixes=fixes(knowledge, None, target, specifier, options),
            alternatives=described,
        )
    compatible = [r for r in in_range if works(r)]
    return _result(
        knowledge,
        pin,
        pick,
        target,
        options,
        specifier,
        compatible=runs(knowledge, compatible, within=in_range) if compatible else (),
        alternatives=described,
    )


def _result(
    knowledge: Knowledge,
    pin: Pin,
    release: Release,
    target: Target,
    options: Options,
    specifier: Optional[Specifier],
    compatible: Tuple[Tuple[Version, Optional[Version]], ...] = (),
    alternatives: Tuple[Alternative, ...] = (),
) -> Result:
    judged = judge_release(knowledge, release, target, options.extras, options.dependencies)
    refused = is_refused(judged.verdict, judged.warnings, options)
    found: Tuple[Fix, ...] = ()
    if judged.verdict is not Verdict.COMPATIBLE or refused:
        found = dependency_fixes(judged.reasons) + fixes(
            knowledge,
            release,
            target,
            specifier,
            options,
            source_build=judged.verdict is Verdict.SOURCE_BUILD,
        )
    elif any(w.code is ReasonCode.END_OF_LIFE for w in judged.warnings):
        found = supported_line_fix(knowledge, target, options)
    elif judged.warnings:  # yanked
        found = newest_in_line_fix(knowledge, release, target, options)
    return Result(
        pin=pin,
        target=target,
        verdict=judged.verdict,
        refused=refused,
        version=release.version,
        picked=specifier is not None,
        line=judged.line.major if judged.line is not None else None,
        support_level=judged.line.level if judged.line is not None else None,
        reasons=judged.reasons,
        warnings=judged.warnings,
        fixes=found,
        compatible=compatible,
        alternatives=alternatives,
    )


def _missing(
    knowledge: Knowledge, pin: Pin, version: Version, target: Target, options: Options
) -> Result:
    if version > knowledge.newest.version:
        reason = _newer_than_database(knowledge, version=version)
        return _unknown(pin, target, options, reason, Fix(FixKind.REFRESH_DATABASE), version)
    return Result(
        pin=pin,
        target=target,
        verdict=Verdict.INCOMPATIBLE,
        refused=True,
        version=version,
        reasons=(Reason(ReasonCode.NOT_RELEASED, version=version),),
        fixes=fixes(knowledge, None, target, None, options),
    )


def _unknown(
    pin: Pin,
    target: Target,
    options: Options,
    reason: Reason,
    fix: Fix,
    version: Optional[Version] = None,
) -> Result:
    """Nothing to judge the requirement by: passes with a notice, refused under ``strict``."""
    return Result(
        pin=pin,
        target=target,
        verdict=Verdict.UNKNOWN,
        refused=options.strict,
        version=version,
        reasons=(reason,),
        fixes=(fix,),
    )


def _newer_than_database(
    knowledge: Knowledge,
    *,
    version: Optional[Version] = None,
    specifier: Optional[str] = None,
    alternative: bool = False,
) -> Reason:
    return Reason(
        ReasonCode.NEWER_THAN_DATABASE,
        version=version,
        specifier=specifier,
        alternative=alternative,
        newest=knowledge.newest.version,
        fetched=knowledge.info.fetched,
    )


def _check_named_wheel(result: Result, wheel_tags: Sequence[str]) -> Result:
    """A reference to a wheel file installs that file or nothing: its own tags decide,
    whatever else the release publishes."""
    if result.verdict is Verdict.INCOMPATIBLE:
        return result
    from ddguard.target import parse_tag_text

    named = {tag for text in wheel_tags for tag in parse_tag_text(text)}
    if result.target.installs_any(named):
        return result
    reason = Reason(ReasonCode.WHEEL_FILE_MISMATCH, wheel_platforms=tuple(sorted(wheel_tags)))
    fix = (Fix(FixKind.WHEEL_FOR_TARGET, version=result.version),) if result.version else result.fixes
    return result._replace(
        verdict=Verdict.INCOMPATIBLE, reasons=(*result.reasons, reason), refused=True, fixes=fix
    )


def _text(specifier: Specifier) -> str:
    if isinstance(specifier, AnyOf):
        return " || ".join(spec_text(s) for s in specifier.alternatives)
    return str(specifier)


def spec_text(specifier: SpecifierSet) -> str:
    """'>=1.20,<2' (lower bounds first, as people write them); '*' for any version."""
    specs = sorted(specifier, key=lambda s: (s.operator not in (">=", ">", "~=", "==", "==="), str(s)))
    return ",".join(str(s) for s in specs) or "*"


def refuses(knowledge: Knowledge, pin: Pin, target: Target, options: Options) -> bool:
    """Whether judging the pin on the target refuses it: the verdict alone, without the fix
    search of :func:`judge` (a project's Python range is judged on many targets)."""
    if not applies(pin, target):
        return False
    options = _with_extras(options, pin)
    if pin.unknown:
        return options.strict
    if pin.alternatives or pin.wheel_tags or (pin.reference is not None and pin.reference.wheel_tags):
        return judge(knowledge, pin, target, options).refused
    pinned = exact_version(pin.specifier)
    if pinned is not None:
        release = knowledge.release(pinned)
        if release is None:
            return options.strict or pinned <= knowledge.newest.version
    else:
        in_range = releases_in(knowledge, pin.specifier)
        if not in_range:
            return options.strict
        release = installer_pick(in_range, target)
        if release is None:
            return True
    judged = judge_release(knowledge, release, target, options.extras, options.dependencies)
    return is_refused(judged.verdict, judged.warnings, options)


def _with_extras(options: Options, pin: Pin) -> Options:
    """The options with the pin's extras: their dependencies are installed too."""
    return options._replace(extras=pin.extras) if pin.extras != options.extras else options
