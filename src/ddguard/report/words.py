"""Every sentence ddguard says about a verdict: facts (model values) in, words out."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from ddguard.model import (
    Fix,
    FixKind,
    Minor,
    Missing,
    Note,
    NoteCode,
    Origin,
    OriginKind,
    PythonRange,
    Reason,
    ReasonCode,
    ReferenceKind,
    Result,
    Verdict,
    VersionRun,
    assert_never,
)
from ddguard.model.findings import FindingCase, IntegrationFinding
from ddguard.target import Arch, Implementation, Libc, Os

if TYPE_CHECKING:
    from ddguard.target import Target

IMPLEMENTATION = {
    Implementation.CPYTHON: "CPython",
    Implementation.PYPY: "PyPy",
    Implementation.GRAALPY: "GraalPy",
    Implementation.IRONPYTHON: "IronPython",
    Implementation.JYTHON: "Jython",
}
OS_NAME = {Os.LINUX: "Linux", Os.MACOS: "macOS", Os.WINDOWS: "Windows", Os.OTHER: "other"}
CPU_WORDS = {
    Os.LINUX: {Arch.X86_64: "x86-64", Arch.I686: "i686", Arch.AARCH64: "AArch64"},
    Os.MACOS: {Arch.X86_64: "Intel", Arch.AARCH64: "Apple Silicon"},
    Os.WINDOWS: {Arch.X86_64: "64-bit", Arch.I686: "32-bit", Arch.AARCH64: "ARM64"},
}
SOURCE_BUILD_COST = (
    "installing it means building the sdist from source (a C compiler and Python headers, "
    "minutes, and failures that do not mention Python versions)"
)


# --- small facts -------------------------------------------------------------------------


def clean(text: str) -> str:
    """Text from files and data, safe for a terminal: control characters become spaces."""
    return "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in text)


def python_ranges(ranges: Sequence[PythonRange]) -> str:
    """((2,7),(2,7)), ((3,5),(3,11)) -> '2.7, 3.5–3.11'; open ranges end with '+'."""
    parts = []
    for low, high in ranges:
        if high is None:
            parts.append("%d.%d+" % low)
        elif low == high:
            parts.append("%d.%d" % low)
        else:
            parts.append("%d.%d–%d.%d" % (low + high))
    return ", ".join(parts)


def minors(found: Sequence[Minor]) -> str:
    """Sorted minors as ranges: [(3,12),(3,13)] -> '3.12–3.13'."""
    merged: List[Tuple[Minor, Minor]] = []
    for minor in found:
        if merged and merged[-1][1][0] == minor[0] and merged[-1][1][1] + 1 >= minor[1]:
            merged[-1] = (merged[-1][0], minor)
        else:
            merged.append((minor, minor))
    return python_ranges([(low, high) for low, high in merged])


def runs(found: Sequence[VersionRun]) -> str:
    """Release runs as specifiers: '>=2.0.0,<=2.21.12 or >=3.1.0'; 'none' when empty."""
    parts = []
    for low, high in found:
        if high is not None and low == high:
            parts.append(f"=={low}")
        elif high is None:
            parts.append(f">={low}")
        else:
            parts.append(f">={low},<={high}")
    return " or ".join(parts) if parts else "none"


def path(text: str) -> str:
    """A file as the user should read it: relative to the current directory when inside
    it, absolute otherwise."""
    try:
        full = os.path.abspath(text)
        here = os.getcwd()
    except (OSError, ValueError):
        return clean(text)
    if full == here or full.startswith(here.rstrip(os.sep) + os.sep):
        return clean(os.path.relpath(full, here))
    return clean(full)


def source(origin: Origin) -> Optional[str]:
    """Where a requirement was written ("requirements.txt:3"), or None for an argument."""
    if origin.kind is OriginKind.ARGUMENT:
        return None
    if origin.kind is OriginKind.INSTALLED:
        return f"installed in {path(origin.path)}" if origin.path else "installed"
    if origin.path is None:
        if origin.kind is OriginKind.TOX_ENV and origin.name:
            return f"[testenv:{clean(origin.name)}] deps"
        return None
    where = path(origin.path)
    return f"{where}:{origin.line}" if origin.line else where


def platform(target: Target) -> str:
    """ "manylinux x86_64", "macOS Apple Silicon", "Windows 64-bit"."""
    os_name, arch = target.os, target.arch
    arch_word = _arch_word(target)
    if os_name is Os.LINUX:
        family = {Libc.MUSL: "musllinux", Libc.GLIBC: "manylinux"}.get(target.libc) if target.libc else None
        return f"{family or 'linux'} {arch_word}"
    if os_name is Os.MACOS:
        return "macOS " + {Arch.AARCH64: "Apple Silicon", Arch.X86_64: "Intel"}.get(arch, arch_word)
    if os_name is Os.WINDOWS:
        return "Windows " + {Arch.X86_64: "64-bit", Arch.I686: "32-bit", Arch.AARCH64: "ARM64"}.get(arch, arch_word)
    return clean(target.platforms[0]) if target.platforms else "unknown platform"


def _arch_word(target: Target) -> str:
    if target.arch is not Arch.OTHER:
        return str(target.arch.value)
    raw = target.platforms[0].split("_")[-1] if target.platforms else "unknown"
    return clean(raw)


def platform_tag(tag: str) -> str:
    """One wheel platform tag in words: "manylinux x86_64"."""
    from ddguard.target import Target

    return platform(Target(Implementation.CPYTHON, (3, 0), (), (tag,)))


def interpreter(target: Target) -> str:
    text = f"{IMPLEMENTATION[target.implementation]} {target.python_str}"
    return text + (" (free-threaded)" if target.free_threaded else "")


def target(target: Target) -> str:
    """ "CPython 3.12, manylinux x86_64" — how messages name a target."""
    return f"{interpreter(target)}, {platform(target)}"


def line_runtimes(runtimes: Sequence[Tuple[Os, Tuple[Arch, ...]]]) -> str:
    return ", ".join(
        f"{OS_NAME[os_name]} ({', '.join(CPU_WORDS.get(os_name, {}).get(c, c.value) for c in cpus)})"
        for os_name, cpus in runtimes
    )


def line_specifier(major: int) -> str:
    return f">={major}.0,<{major + 1}"


# --- reasons -----------------------------------------------------------------------------


def reason(fact: Reason, result_target: Target, pin_text: str = "") -> str:
    """One ``Why:``/``Also:`` fact as a clause."""
    code = fact.code
    version = fact.version
    python = result_target.python_str
    if code is ReasonCode.NOT_CPYTHON:
        return f"ddtrace supports CPython only; this is {interpreter(result_target)}"
    if code is ReasonCode.REQUIRES_PYTHON:
        return f"ddtrace {version} declares Requires-Python {clean(fact.requires_python or '')}"
    if code is ReasonCode.LINE_RUNTIME:
        line = fact.line
        if fact.on_platform:
            return (
                f"release line {line}.x supports CPython {python_ranges(fact.pythons)} "
                f"on {platform(result_target)}"
            )
        return f"release line {line}.x ({line_specifier(line or 0)}) supports CPython {python_ranges(fact.pythons)}"
    if code is ReasonCode.LINE_PLATFORM:
        return (
            f"release line {fact.line}.x supports {line_runtimes(fact.runtimes)}, "
            f"not {platform(result_target)}"
        )
    if code is ReasonCode.NO_WHEEL_FOR_PYTHON:
        text = f"ddtrace {version} publishes no wheel for CPython {python}"
        if fact.pythons:
            text += f" (its wheels cover CPython {python_ranges(fact.pythons)})"
        return text
    if code is ReasonCode.NO_WHEEL_FOR_ABI:
        return (
            f"ddtrace {version} publishes no wheel for free-threaded CPython "
            f"({', '.join(fact.abis)})"
        )
    if code in (ReasonCode.NO_WHEEL_FOR_PLATFORM, ReasonCode.NO_FILES):
        where = platform(result_target)
        if fact.has_wheels:
            where += f" ({_wheel_summary(fact, result_target)})"
        if code is ReasonCode.NO_FILES:
            return f"ddtrace {version} publishes neither a wheel for {where} nor an sdist"
        if not fact.has_wheels:
            return f"ddtrace {version} publishes no wheels at all: {SOURCE_BUILD_COST}"
        return f"ddtrace {version} publishes no wheel for {where}: {SOURCE_BUILD_COST}"
    if code is ReasonCode.NOT_RELEASED:
        return f"ddtrace {version} was never released"
    if code is ReasonCode.NEWER_THAN_DATABASE:
        if version is not None:
            return (
                f"ddtrace {version} is newer than the database (newest known: {fact.newest}, "
                f"snapshot of {fact.fetched}); its own Requires-Python and wheels decide"
            )
        if fact.alternative:
            return (
                f"its alternative {fact.specifier} allows only releases newer than the database "
                f"(newest known: {fact.newest}, snapshot of {fact.fetched}), "
                "and an installer picks the newest release of any alternative"
            )
        return (
            f"no release in the database (newest: {fact.newest}, {fact.fetched}) "
            f"matches {fact.specifier}"
        )
    if code is ReasonCode.NO_RELEASE_IN_RANGE:
        return f"no release in {fact.specifier} installs on {target(result_target)}"
    if code is ReasonCode.UNKNOWN_REFERENCE:
        return clean(fact.text or pin_text) if fact.text else _reference_words(pin_text)
    if code is ReasonCode.WHEEL_FILE_MISMATCH:
        return (
            f"the wheel file it names is built for {', '.join(fact.wheel_platforms)}, "
            f"which does not install on {target(result_target)}"
        )
    if code is ReasonCode.BUILT_FOR_OTHER:
        built = target(fact.target) if fact.target is not None else "another interpreter"
        return (
            f"the installed ddtrace's compiled extensions were built for {built} "
            f"(wheel tag {clean(fact.text or '')}), this is {target(result_target)}"
        )
    if code is ReasonCode.NO_METADATA:
        return (
            "ddtrace has no .dist-info metadata there, so ddguard cannot tell which "
            "release it is or what it was built for"
        )
    if code is ReasonCode.NOT_IN_DATABASE:
        return (
            f"ddtrace {clean(fact.text or str(version))} is not a release in ddguard's database "
            "(a local or development build?); its metadata admits this interpreter"
        )
    if code in (ReasonCode.DEPENDENCY_NO_WHEEL, ReasonCode.DEPENDENCY_NOT_INSTALLABLE):
        return dependency(fact, result_target)
    if code is ReasonCode.YANKED:
        why = f" ({clean(fact.text).strip()})" if fact.text and fact.text.strip() else ""
        return f"ddtrace {version} was yanked{why}"
    if code is ReasonCode.END_OF_LIFE:
        return f"release line {fact.line}.x is End of Life since {fact.since or 'its successor'}"
    assert_never(code)


def dependency(fact: Reason, result_target: Target) -> str:
    """A package installing ddtrace pulls in that has no wheel (or nothing) for the target."""
    gap = fact.dependency
    if gap is None:
        return f"a package ddtrace {fact.version} requires has no wheel for {target(result_target)}"
    name = gap.package
    required = f"ddtrace {gap.required_by}"
    if gap.extra:
        required += f"[{gap.extra}]"
    required += f" requires {name}{gap.specifier}"
    if gap.via:
        required += f" (through {' -> '.join(gap.via)})"
    where = target(result_target)
    in_range = " in that range" if gap.specifier else ""
    if gap.missing is Missing.NO_INSTALLABLE_VERSION:
        return (
            f"{required}, and no {name} release{in_range} installs on {where} "
            "(none has a wheel or an sdist for it, or their Requires-Python excludes it)"
        )
    if gap.missing is Missing.NEWEST_HAS_NO_WHEEL:
        return (
            f"{required}; pip picks {name} {gap.picked}, which publishes no wheel for {where}, and "
            f"compiles it from source (a C compiler and Python headers); {name} "
            f"{gap.newest_with_wheel} has one"
        )
    return (
        f"{required}, and no {name} release{in_range} publishes a wheel for {where}: pip "
        f"compiles {name} {gap.picked} from source, which needs a C compiler and Python headers"
    )


def _reference_words(pin_text: str) -> str:
    return clean(pin_text)


def reference(result: Result) -> str:
    """Why a reference cannot be judged: "VCS reference git+https://…: its version is only
    known once it is built"."""
    if result.pin.untranslated is not None:
        written, part = result.pin.untranslated
        return f"Poetry constraint {written!r}: cannot read {part!r}"
    ref = result.pin.reference
    if ref is None:
        return clean(result.pin.text)
    location = redact(ref.location)
    if result.pin.origin.kind is OriginKind.LOCK:
        what = f"locked from {ref.kind.value} {location}"
    elif ref.kind is ReferenceKind.VCS:
        what = f"VCS reference {location}"
    elif ref.kind is ReferenceKind.EDITABLE:
        what = f"editable install of {location}"
    elif ref.kind is ReferenceKind.PATH:
        what = f"local path {location}"
    elif ref.kind is ReferenceKind.URL:
        return (
            f"direct reference {location} names no wheel or sdist file: its version cannot be "
            "known without building it"
        )
    else:
        assert_never(ref.kind)
    return f"{what}: its version is only known once it is built"


def redact(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://user:***@host/x``; other text unchanged."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return clean(url)
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        user, _, host = authority.rpartition("@")
        name = user.split(":", 1)[0]
        authority = f"{name}:***@{host}" if name else f"***@{host}"
    return clean(f"{scheme}://{authority}{slash}{tail}")


def _wheel_summary(fact: Reason, result_target: Target) -> str:
    python = result_target.python_str
    if fact.same_cpu:
        return "its CPython %s wheels for this CPU are tagged %s" % (python, ", ".join(fact.wheel_platforms))
    elsewhere = sorted({platform_tag(t) for t in fact.wheel_platforms})
    return "it has CPython %s wheels only for %s" % (python, ", ".join(elsewhere))


# --- fixes -------------------------------------------------------------------------------


def fix(fact: Fix, result_target: Target) -> str:
    kind = fact.kind
    if kind is FixKind.NARROW_RANGE:
        return f"narrow your range to {runs(fact.runs)} (newest that works here: ddtrace=={fact.newest})"
    if kind is FixKind.NEWEST_IN_LINE:
        return f"use ddtrace=={fact.newest}, the newest {fact.line}.x release that works here"
    if kind is FixKind.MOVE_TO:
        return f"use ddtrace{fact.specifier} (newest that works here: ddtrace=={fact.newest})"
    if kind is FixKind.NEWEST:
        return f"use ddtrace=={fact.newest}, the newest release that works here"
    if kind is FixKind.SUPPORTED_LINE:
        return f"move to a supported line: ddtrace{fact.specifier} (newest: {fact.newest})"
    if kind is FixKind.OTHER_PYTHON:
        python = fact.python or result_target.python
        build = " without free threading" if result_target.free_threaded else ""
        return (
            f"run ddtrace {fact.version} on CPython %d.%d{build} (on {platform(result_target)} "
            "it supports CPython %s)" % (python[0], python[1], python_ranges(fact.pythons))
        )
    if kind is FixKind.ALLOW_SOURCE_BUILD:
        return "accept a source build with --allow-source-build (needs a compiler)"
    if kind is FixKind.DEPENDENCY_WITH_WHEEL:
        return (
            f"keep {fact.package} at its newest release with a wheel here: add "
            f"{fact.package}{fact.specifier} to your constraints or requirements "
            f"(or install with --only-binary={fact.package})"
        )
    if kind is FixKind.REFRESH_DATABASE:
        return "refresh the database with `ddguard db update`, or pin a release it knows"
    if kind is FixKind.PIN_A_RELEASE:
        return "pin a released version (ddtrace==X.Y.Z) so it can be checked"
    if kind is FixKind.WHEEL_FOR_TARGET:
        return (
            f"point at the wheel of ddtrace {fact.version} built for this target, or use a plain "
            f"pin (ddtrace=={fact.version}) and let the installer pick the file"
        )
    if kind is FixKind.REINSTALL:
        requirement = f"ddtrace=={fact.version}" if fact.version is not None else "ddtrace"
        if fact.outside and fact.path:
            return (
                f"the ddtrace that is imported is the copy in {path(fact.path)}, which is not this "
                f"interpreter's site-packages (it comes from PYTHONPATH or another sys.path entry): "
                f"remove that copy from the path, or reinstall it there for this interpreter "
                f"({fact.executable} -m pip install --force-reinstall --target {path(fact.path)} {requirement})"
            )
        return (
            f"reinstall ddtrace for this interpreter ({fact.executable} -m pip install "
            f"--force-reinstall {requirement})"
        )
    if kind is FixKind.NOTHING_WORKS:
        return (
            f"no ddtrace release in the database works on {target(result_target)}: use a CPython "
            "version and platform from `ddguard matrix`"
        )
    assert_never(kind)


def fixes(result: Result) -> Optional[str]:
    """Every fix of a result, joined: "use …; or run …"; None when there is none."""
    if not result.fixes:
        return None
    return "; or ".join(fix(f, result.target) for f in result.fixes)


def alternatives(result: Result) -> List[str]:
    out = []
    for alt in result.alternatives:
        picked = " (the pick)" if alt.picked else ""
        if not alt.known:
            out.append(f"{alt.specifier}: no release in the database")
        elif not alt.works:
            out.append(f"{alt.specifier}: no release works here{picked}")
        else:
            out.append(f"{alt.specifier}: {runs(alt.works)} works here{picked}")
    return out


# --- the paragraph -----------------------------------------------------------------------


class Parts:
    """A result in words, before layout: the verdict sentence, then each section."""

    __slots__ = ("also", "alternatives", "fix", "head", "why")

    def __init__(self, head: str, why: List[str], also: List[str], alternatives: List[str], fix: Optional[str]):
        self.head = head
        self.why = why
        self.also = also
        self.alternatives = alternatives
        self.fix = fix


def _compiled_dependencies(result: Result) -> List[str]:
    return [
        f"{r.dependency.package} {r.dependency.picked}"
        for r in result.reasons
        if r.code is ReasonCode.DEPENDENCY_NO_WHEEL and r.dependency is not None
    ]


def parts(result: Result) -> Parts:
    where = source(result.pin.origin)
    at = f" ({where})" if where else ""
    on = target(result.target)
    if result.declared_by:
        on += " (declared in " + ", ".join(path(d) for d in result.declared_by) + ")"
    subject = f"ddtrace {result.version}" if result.version is not None else clean(result.pin.text)
    picked = f" (the release an installer picks for {clean(result.pin.text)})" if result.picked else ""
    why = [
        reference(result) if r.code is ReasonCode.UNKNOWN_REFERENCE else reason(r, result.target, result.pin.text)
        for r in result.reasons
    ]
    also = [reason(w, result.target) for w in result.warnings]
    verdict = result.verdict
    if verdict is Verdict.INCOMPATIBLE:
        head = f"{subject}{picked} does not work on {on}{at}."
    elif verdict is Verdict.SOURCE_BUILD and _compiled_dependencies(result):
        built = ", ".join(_compiled_dependencies(result))
        head = (
            f"{subject}{picked} pulls in {built} with no wheel for {on}{at}: "
            "pip would build it from source."
        )
    elif verdict is Verdict.SOURCE_BUILD:
        head = f"{subject}{picked} has no wheel for {on}{at}: pip would build it from source."
    elif verdict is Verdict.UNKNOWN:
        head = f"{subject}{picked} cannot be checked for {on}{at}."
    elif also and not why:  # works, but: end of life, yanked
        head = f"{subject}{picked} works on {on}{at}, but " + "; ".join(also) + "."
        also = []
    elif verdict is Verdict.COMPATIBLE:
        head = f"{subject}{picked} works on {on}{at}."
    else:
        assert_never(verdict)
    return Parts(head, why, also, alternatives(result), fixes(result))


def paragraph(result: Result) -> str:
    """One paragraph on one line: what is wrong, why (the facts), what to do instead."""
    p = parts(result)
    text = p.head
    if p.why:
        text += " Why: " + "; ".join(p.why) + "."
    if p.also:
        text += " Also: " + "; ".join(p.also) + "."
    if p.alternatives:
        text += " Alternatives: " + "; ".join(p.alternatives) + "."
    if p.fix:
        text += " Fix: " + p.fix + "."
    return text


def status(result: Result) -> str:
    if result.refused:
        return "REFUSED"
    if result.verdict is Verdict.COMPATIBLE and not result.warnings:
        return "ok"
    return "warning"


# --- notes and integration findings --------------------------------------------------------


def note(fact: Note) -> str:
    """A note as one sentence."""
    code = fact.code
    where = path(fact.path) if fact.path else ""
    at = f"{where}:{fact.line}" if fact.path and fact.line else where
    if code is NoteCode.NO_DDTRACE_IN:
        return (
            f"no ddtrace requirement found in {where or '.'} (it read the project files ddguard "
            "knows: `ddguard check -v` lists them); name one with `ddguard check ddtrace==X.Y.Z`"
        )
    if code is NoteCode.NOTHING_TO_CHECK:
        return (
            "nothing to check: no requirement given, no project file here (pyproject.toml, "
            "setup.cfg, requirements*.txt, *.in, Pipfile, tox.ini or a lock file), and no ddtrace "
            "installed in this environment; run `ddguard check ddtrace==X.Y.Z --target "
            "cp312-manylinux_x86_64`, or `ddguard check --project DIR`"
        )
    if code is NoteCode.SETUP_PY_NOT_READ:
        return (
            f"{where} is not read: ddguard never runs project code. Declare ddtrace in "
            "pyproject.toml, setup.cfg or a requirements file, or check a requirement directly "
            "(ddguard check 'ddtrace==X')"
        )
    if code is NoteCode.DYNAMIC_DEPENDENCIES:
        return (
            f"{where}: [project] dependencies are dynamic (computed by the build backend); "
            "ddguard reads only what is written"
        )
    if code is NoteCode.URL_NOT_FETCHED:
        return f"{at}: {redact(fact.text or '')} is a URL; ddguard does not fetch it"
    if code is NoteCode.OUTSIDE_PROJECT:
        return f"{at}: {clean(fact.text or '')} is outside the project; not read"
    if code is NoteCode.PYTHON_RANGE:
        return python_range_note(fact)
    if code is NoteCode.NO_INTEGRATION_DATA:
        return f"no integration ranges for ddtrace {fact.line_major}.x: integrations not checked"
    if code is NoteCode.NO_RELEASE_FOR_INTEGRATIONS:
        return "no ddtrace release to check the integrations against"
    if code is NoteCode.INSTALLED_TWICE:
        where = "; ".join(
            f"{clean(version) or 'unknown version'} in {path(place)}" + (" (imported)" if i == 0 else " (shadowed)")
            for i, (version, place) in enumerate(fact.copies)
        )
        return (
            f"ddtrace is installed {len(fact.copies)} times on sys.path: {where}. "
            "Only the first is imported; remove the others so their files cannot mix."
        )
    if code is NoteCode.SEVERAL_METADATA:
        names = ", ".join(clean(name) for name, _ in fact.copies)
        return (
            f"{where} holds {len(fact.copies)} ddtrace metadata directories ({names}): an "
            "interrupted upgrade? Reinstall ddtrace there; judging the newest."
        )
    if code is NoteCode.UNREADABLE:
        return f"{at}: {clean(fact.text or 'cannot be read')}"
    return f"{at}: {clean(fact.text or code.value)}" if at else clean(fact.text or code.value)


def python_range_note(fact: Note) -> str:
    """The one sentence for a project Python range that admits CPythons where a pin breaks
    (the CLI, the build hooks and the PDM/Poetry plugins all say this)."""
    pin = fact.pin
    requirement = clean(pin.text) if pin is not None else "the ddtrace requirement"
    where = source(pin.origin) if pin is not None else None
    first = fact.pythons[0][0] if fact.pythons else (3, 0)
    marker = f" (; {fact.marker})" if fact.marker else ""
    on = f" ({platform(fact.target)})" if fact.target is not None else ""
    return (
        (f"{where}: " if where else "")
        + f"{requirement} does not work on CPython {python_ranges(fact.pythons)}{on}, "
        f"which the project's Python range ({clean(fact.text or '')}) admits: narrow the range "
        f"to exclude them, add a marker to the requirement{marker}, or pin a release that works "
        f"there (`ddguard check --python-version {first[0]}.{first[1]}` for the details)"
    )


_ACTIVITY = {"web": "requests", "datastore": "queries"}


def finding(fact: IntegrationFinding) -> str:
    """An integration finding as one sentence."""
    name, line = clean(fact.package), f"ddtrace {fact.ddtrace_line}.x"
    version = clean(fact.version)
    python = "CPython %d.%d" % fact.target.python
    activity = _ACTIVITY.get(fact.category or "", "calls")
    case = fact.case
    if case is FindingCase.BELOW_FLOOR:
        return f"{name} {version} is below the supported {fact.supported} for {line}: {name} {activity} will not be traced"
    if case is FindingCase.OUTSIDE_TESTED:
        low, high = fact.tested or ("?", "?")
        side = "above the newest" if _newer(version, high) else "below the oldest"
        tested = f"{low}–{high}" if low != high else low
        return f"{name} {version} is {side} version {line} tested on {python} ({tested}): untested"
    if case is FindingCase.ABOVE_CEILING:
        return f"{name} {version} is above the supported range {fact.supported} for {line}: untested"
    if case is FindingCase.RANGE_BELOW_FLOOR:
        return (
            f"{name} {version} allows only versions below the supported {fact.supported} "
            f"for {line}: {name} {activity} will not be traced"
        )
    if case is FindingCase.RANGE_ABOVE_TESTED:
        low, high = fact.tested or ("?", "?")
        tested = f"{low}–{high}" if low != high else low
        return (
            f"{name} {version} allows only versions above the newest version {line} tested "
            f"on {python} ({tested}): untested"
        )
    if case is FindingCase.RANGE_ABOVE_CEILING:
        return (
            f"{name} {version} allows only versions above the supported range "
            f"{fact.supported} for {line}: untested"
        )
    assert_never(case)


def _newer(version: str, than: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) > Version(than)
    except InvalidVersion:
        return False


def finding_status(fact: IntegrationFinding) -> str:
    if fact.refused:
        return "REFUSED"
    return "warning" if fact.problem else "notice"
