"""The installed ddtrace on the running interpreter: its release, and its own wheel tags.

Pure: the startup check reads the facts (``InstalledCopy``) and passes them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Tuple

from ddguard.knowledge.requires_python import admits
from ddguard.model import (
    Fix,
    FixKind,
    Options,
    Origin,
    OriginKind,
    Pin,
    Reason,
    ReasonCode,
    Result,
    Verdict,
)
from ddguard.record import Record
from ddguard.target import Implementation, Target

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge, Release


class InstalledCopy(Record):
    """What the metadata of one installed ddtrace says."""

    site: str  # the sys.path directory holding the ddtrace package
    version: Optional[str]  # from its .dist-info name; None without metadata
    wheel_tags: Tuple[str, ...]  # the ``Tag:`` lines of its WHEEL file
    requires_python: Optional[str]  # from its METADATA
    executable: str  # the running interpreter
    own_site: bool  # ``site`` is one of this interpreter's site-packages


def judge_installed(knowledge: Knowledge, copy: InstalledCopy, host: Target) -> Optional[Result]:
    """The Result for the installed ddtrace on ``host``; None when there is nothing to say."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    raw = copy.version or ""
    pin = Pin(
        text=f"ddtrace=={raw}" if raw else "ddtrace",
        specifier=SpecifierSet(),
        origin=Origin(OriginKind.INSTALLED, path=copy.site),
    )
    if copy.version is None:
        return Result(
            pin=pin,
            target=host,
            verdict=Verdict.UNKNOWN,
            refused=False,
            reasons=(Reason(ReasonCode.NO_METADATA),),
            fixes=(_reinstall(copy, None),),
        )
    try:
        version: Optional[Version] = Version(raw)
    except InvalidVersion:
        version = None
    mismatch = _tag_mismatch(copy.wheel_tags, host)
    tag_reasons = (mismatch,) if mismatch is not None else ()
    release = knowledge.release(Version(version.public)) if version is not None else None
    if version is None or release is None:
        # Newer than the snapshot, a local build or a fork: its own metadata decides.
        own = list(tag_reasons)
        if host.implementation is not Implementation.CPYTHON:
            own.insert(0, Reason(ReasonCode.NOT_CPYTHON))
        if copy.requires_python and not admits(copy.requires_python, host.python_full_str):
            own.append(
                Reason(
                    ReasonCode.REQUIRES_PYTHON,
                    version=version,
                    requires_python=copy.requires_python,
                )
            )
        if own:
            return Result(
                pin=pin,
                target=host,
                verdict=Verdict.INCOMPATIBLE,
                refused=True,
                version=version,
                reasons=tuple(own),
                fixes=(_reinstall(copy, raw),),
            )
        if version is not None and version > knowledge.newest.version:
            return None  # its own Requires-Python and wheel tags admit this interpreter
        return Result(
            pin=pin,
            target=host,
            verdict=Verdict.UNKNOWN,
            refused=False,
            version=version,
            reasons=(Reason(ReasonCode.NOT_IN_DATABASE, version=version, text=raw),),
        )
    if release_works(knowledge, release, host) and not tag_reasons:
        return None  # the common case: nothing more to judge (no fix search)
    from ddguard.evaluate.requirement import judge

    exact = pin._replace(specifier=SpecifierSet(f"=={version.public}"))
    result = judge(knowledge, exact, host, Options(dependencies=False))
    if not tag_reasons:
        return result
    if result.verdict is Verdict.INCOMPATIBLE:
        return result._replace(reasons=tag_reasons + result.reasons)
    return result._replace(
        verdict=Verdict.INCOMPATIBLE,
        reasons=tag_reasons,
        fixes=(_reinstall(copy, raw),),
        refused=True,
    )


def fits(knowledge: Knowledge, version: str, wheel_tags: Tuple[str, ...], host: Target) -> bool:
    """Whether :func:`judge_installed` has nothing to say about a copy of release
    ``version`` (as its metadata spells it) with these WHEEL tags, decided from that
    release alone (``knowledge`` may hold only that one: :func:`ddguard.knowledge.load_one`).
    False means: ask :func:`judge_installed`."""
    release = knowledge.release_named(version)
    return (
        release is not None
        and release_works(knowledge, release, host)
        and _tag_mismatch(wheel_tags, host) is None
    )


def release_works(knowledge: Knowledge, release: Release, host: Target) -> bool:
    """Whether the installed release runs on ``host`` by its own verdict: its dependencies
    are installed already, and a source build for this very interpreter that got
    installed works."""
    from ddguard.evaluate.release import verdict_of

    return verdict_of(knowledge, release, host, dependencies=False) in _WORKS


_WORKS = (Verdict.SOURCE_BUILD, Verdict.COMPATIBLE)


def _reinstall(copy: InstalledCopy, version: Optional[str]) -> Fix:
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version) if version else None
    except InvalidVersion:
        parsed = None
    return Fix(
        FixKind.REINSTALL,
        version=parsed,
        executable=copy.executable,
        path=copy.site,
        outside=not copy.own_site,
    )


def _tag_mismatch(tag_lines: Tuple[str, ...], host: Target) -> Optional[Reason]:
    """Why the installed wheel's tags do not fit the running interpreter (None if they do)."""
    if not tag_lines:
        return None
    from ddguard.target import parse_tag_text

    try:
        built = [tag for line in tag_lines for tag in sorted(parse_tag_text(line))]
    except ValueError:  # not interpreter-abi-platform: nothing to compare
        return None
    if not built or host.installs_any(built):
        return None
    interpreter, abi, platform = built[0]
    digits = interpreter[2:]
    described: Optional[Target] = None
    if len(digits) >= 2 and digits.isdigit():
        try:
            implementation = Implementation.parse(interpreter[:2])
            described = Target(
                implementation, (int(digits[0]), int(digits[1:])), (abi,), (platform,)
            )
        except Exception:  # an interpreter code ddguard has no name for
            described = None
    return Reason(ReasonCode.BUILT_FOR_OTHER, text=tag_lines[0], target=described)
