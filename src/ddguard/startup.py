"""Fail fast at startup: is the installed ddtrace usable by the running interpreter?

Runs from ``import ddguard.auto``, ``ddguard.require()`` and the automatic hook
(:mod:`_ddguard_hook`) right before ddtrace is first imported. It judges

* the release (policy, Requires-Python, published wheels) with the core engine;
* the installed wheel's own ``*.dist-info/WHEEL`` ``Tag:`` lines against the running
  interpreter ("built for CPython 3.11, this is CPython 3.12");
* a ddtrace newer than (or absent from) the database by its own Requires-Python and tags;
* ddtrace installed more than once on ``sys.path``.

The hot path (a warm cache) imports nothing beyond ``os`` and ``sys``: it stats the
``sys.path`` entries, lists the directory holding ddtrace and reads one small cache file.
The engine (and ``packaging``) is imported only when the cache misses.

``DDGUARD_MODE``: ``strict`` (default) refuses an ``incompatible`` ddtrace by raising
:class:`~ddguard.errors.RefusedError` (an ImportError); ``warn`` prints one line on stderr
instead; ``off`` skips everything. ``source-build`` and ``unknown`` only warn. Under
``site`` (sitecustomize, as ``ddtrace-run`` does, or a ``.pth`` line), where an ImportError
would be swallowed, and in the ``ddtrace-run`` launcher itself, a refusal prints the
paragraph and exits with status 1. An internal error warns once and lets ddtrace load.

``DDGUARD_INTEGRATIONS=1`` adds the installed instrumented libraries (Django, redis, ...)
against the ranges of the installed ddtrace's line: one warning line per finding ("Django
1.7 is below the supported >=1.8 for ddtrace 2.x"). ``DDGUARD_INTEGRATIONS=strict`` refuses
a library below its supported minimum, as ``ddguard check --integrations --strict`` does
(unless ``DDGUARD_MODE=warn``). Off by default: it lists ``sys.path`` and imports the
engine and ``packaging`` on every start, uncached, since libraries change without ddtrace.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, NoReturn, Optional, Tuple

    from ddguard.evaluate import Reason, Result, Verdict
    from ddguard.target import Target

MODES = ("strict", "warn", "off")
CACHE_FORMAT = "ddguard-startup-1"
_SEP = "\x1f"
_MAX_CACHE_ENTRIES = 32
_BYPASS_HINT = "Set DDGUARD_MODE=warn to start anyway (ddguard startup check)."

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
SOURCE_BUILD = "source-build"
UNKNOWN = "unknown"
MISSING = "missing"
_CACHED_VERDICTS = (COMPATIBLE, INCOMPATIBLE, SOURCE_BUILD, UNKNOWN)  # MISSING is never cached


class DDGuardWarning(ImportWarning):
    """What warn mode, source-build/unknown verdicts and internal errors emit.

    An ImportWarning, so Python's default filters hide it (the stderr line is the
    user-facing copy) while pytest and ``logging.captureWarnings`` still see it."""


class Location:
    """One ddtrace package found on ``sys.path``."""

    __slots__ = ("dist_infos", "site")

    def __init__(self, site: str, dist_infos: Tuple[str, ...]) -> None:
        self.site = site  # the sys.path directory holding the ddtrace package
        self.dist_infos = dist_infos  # names of ddtrace-*.dist-info there, newest first

    @property
    def dist_info(self) -> Optional[str]:
        return os.path.join(self.site, self.dist_infos[0]) if self.dist_infos else None

    @property
    def version(self) -> Optional[str]:
        if not self.dist_infos:
            return None
        return _version_of(self.dist_infos[0])


class Outcome:
    """The verdict on the installed ddtrace, before the mode decides what to do with it."""

    __slots__ = ("message", "notes", "verdict")

    def __init__(self, verdict: str, message: str = "", notes: Tuple[str, ...] = ()) -> None:
        self.verdict = verdict  # compatible, incompatible, source-build, unknown, missing
        self.message = message  # the one-paragraph explanation ("" when compatible)
        self.notes = notes  # further one-line warnings (ddtrace installed twice, ...)

    def __repr__(self) -> str:
        return f"Outcome({self.verdict!r}, {self.message!r}, {self.notes!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Outcome) and (self.verdict, self.message, self.notes) == (
            other.verdict,
            other.message,
            other.notes,
        )

    __hash__ = None  # type: ignore[assignment]


_done: List[Outcome] = []  # the outcome of this process's check, once made
_refused: List[str] = []  # the message of a refusal made in this process, if any
INTEGRATIONS_OFF = ("", "0", "off", "false", "no")


# --- entry points ----------------------------------------------------------------------


def check_on_import() -> Optional[ImportError]:
    """The automatic hook: check once and act on the mode. A refusal is returned, not
    raised, so the hook raises it from its own frame (a short traceback)."""
    try:
        require(mode=None)
    except ImportError as error:  # RefusedError; ddguard.errors is imported only to refuse
        return error.with_traceback(None)
    return None


def require(mode: Optional[str] = None, *, installed: bool = False) -> Optional[Outcome]:
    """Check the installed ddtrace against this interpreter and act on ``mode``
    (default: ``$DDGUARD_MODE``, else ``strict``).

    Returns the outcome (None when ``mode`` is ``off``); raises ``RefusedError`` when
    strict mode refuses, and when ``installed=True`` but ddtrace is missing.
    """
    chosen = _mode(mode)
    if chosen == "off":
        return None
    try:
        outcome = _done[0] if _done else _check()
    except Exception as exc:  # fail open: ddguard's own failure never stops the app
        _warn(
            f"internal error in the startup check ({type(exc).__name__}: {exc}); ddtrace is loading unchecked"
        )
        return None
    first = not _done
    if first:
        _done.append(outcome)
    if outcome.verdict == MISSING:
        if installed:
            _refuse("ddtrace is not installed for this interpreter (%s)." % sys.executable)
        return outcome
    if first:
        _act(outcome, chosen)
        _check_integrations(chosen)
    elif chosen == "strict" and (outcome.verdict == INCOMPATIBLE or _refused):
        # e.g. require() after a warn-mode import ddguard.auto, or the retry of an import
        _refuse(outcome.message if outcome.verdict == INCOMPATIBLE else _refused[0])
    return outcome


def _mode(mode: Optional[str]) -> str:
    if mode is None:
        mode = os.environ.get("DDGUARD_MODE", "").strip().lower() or "strict"
        if mode not in MODES:
            _warn(f"unknown DDGUARD_MODE={mode!r} (use strict, warn or off); using strict")
            return "strict"
        return mode
    if mode not in MODES:
        from ddguard.errors import InputError

        raise InputError(f"unknown mode {mode!r}: use one of strict, warn, off")
    return mode


def _act(outcome: Outcome, mode: str) -> None:
    for note in outcome.notes:
        _warn(note)
    if outcome.verdict == COMPATIBLE:
        return
    if outcome.verdict == INCOMPATIBLE and mode == "strict":
        _refuse(outcome.message)
    suffix = " Continuing because DDGUARD_MODE=warn." if outcome.verdict == INCOMPATIBLE else ""
    _warn(outcome.message + suffix)


def _check_integrations(mode: str) -> None:
    """``DDGUARD_INTEGRATIONS``: the installed libraries against the installed ddtrace's
    line. Warns per finding; with ``strict`` (and strict mode) refuses a below-minimum one."""
    setting = os.environ.get("DDGUARD_INTEGRATIONS", "").strip().lower()
    if setting in INTEGRATIONS_OFF:
        return
    strict = setting == "strict" and mode == "strict"
    try:
        locations = find_ddtrace(sys.path)
        version = locations[0].version if locations else None
        if not version:
            return
        from ddguard.integration_check import installed_findings
        from ddguard.target import Target

        findings = installed_findings(version, Target.from_host(), strict=strict)
    except Exception as exc:  # fail open, as for the release check
        _warn(f"internal error in the integration check ({type(exc).__name__}: {exc}); skipped")
        return
    for finding in findings:
        if not finding.refused:
            _warn(finding.message)
    refused = [finding.message for finding in findings if finding.refused]
    if refused:
        message = "; ".join(refused) + " (DDGUARD_INTEGRATIONS=strict)."
        _refused.append(message)
        _refuse(message)


def _warn(text: str) -> None:
    """One line on stderr, plus a warning for tools that collect them (ImportWarning:
    hidden by the default filters, so a plain run shows the line once)."""
    line = " ".join(text.split())
    sys.stderr.write(f"ddguard: warning: {line}\n")
    import warnings

    warnings.warn(line, DDGuardWarning, stacklevel=2)


def _refuse(message: str) -> NoReturn:
    text = f"{message} {_BYPASS_HINT}"
    if _under_site() or _under_ddtrace_run_launcher():
        # site swallows ImportError from sitecustomize and .pth lines ("Error in
        # sitecustomize") and SystemExit there is a fatal init error: stop here.
        sys.stderr.write(f"ddguard: {text}\n")
        sys.stderr.flush()
        if _under_site():
            try:
                sys.stdout.flush()
            finally:
                os._exit(1)
        raise SystemExit(1)
    from ddguard.errors import RefusedError

    raise RefusedError(text)


def _under_site() -> bool:
    """Whether this code runs inside interpreter start-up (``site``: .pth lines,
    sitecustomize, usercustomize), where an ImportError is printed and ignored."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name in ("site", "sitecustomize", "usercustomize"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _under_ddtrace_run_launcher() -> bool:
    argv0 = sys.argv[0] if getattr(sys, "argv", None) else ""
    return os.path.basename(argv0).startswith("ddtrace-run")


# --- the check ---------------------------------------------------------------------------


def _check() -> Outcome:
    locations = find_ddtrace(sys.path)
    if not locations:
        return Outcome(MISSING)
    key = cache_key(locations)
    cached = read_cache(key)
    if cached is not None:
        return cached
    outcome = evaluate(locations)
    write_cache(key, outcome)
    return outcome


def find_ddtrace(path: List[str]) -> List[Location]:
    """Every directory on ``path`` holding a ``ddtrace`` package, in import order, each
    with its ``ddtrace-*.dist-info`` directories (stats only; one listing per hit)."""
    found: List[Location] = []
    seen = set()
    for entry in path:
        site = entry or os.getcwd()
        package = os.path.join(site, "ddtrace")
        try:
            os.stat(os.path.join(package, "__init__.py"))
            ident = os.stat(package)
        except (OSError, ValueError):
            continue
        if (ident.st_dev, ident.st_ino) in seen:
            continue
        seen.add((ident.st_dev, ident.st_ino))
        found.append(Location(site, _dist_infos(site)))
    return found


def _dist_infos(site: str) -> Tuple[str, ...]:
    try:
        names = os.listdir(site)
    except OSError:
        return ()
    hits = [
        n for n in names if n.lower().startswith("ddtrace-") and n.lower().endswith(".dist-info")
    ]

    def mtime(name: str) -> float:
        try:
            return os.stat(os.path.join(site, name)).st_mtime
        except OSError:
            return 0.0

    return tuple(sorted(hits, key=mtime, reverse=True))


def _version_of(dist_info_name: str) -> str:
    return dist_info_name[len("ddtrace-") : -len(".dist-info")]


# --- cache -------------------------------------------------------------------------------


def cache_dir() -> str:
    """ddguard's user cache directory (the startup cache, ``ddguard db update``'s copy)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ddguard")


def cache_path() -> str:
    return os.path.join(cache_dir(), "startup-cache.txt")


def _mtime(path: Optional[str]) -> str:
    if not path:
        return "-"
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "-"


def cache_key(locations: List[Location]) -> str:
    """What a verdict depends on: ddtrace's metadata (path, mtime, version), the
    interpreter and platform, ddguard's version and its database."""
    from ddguard import __version__

    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        libc = ""
    db = os.environ.get("DDGUARD_DB") or ""
    parts = [
        CACHE_FORMAT,
        __version__,
        sys.executable,
        sys.version,
        getattr(sys.implementation, "cache_tag", "") or "",
        getattr(sys, "abiflags", ""),
        sys.platform,
        os.uname().machine if hasattr(os, "uname") else "",
        libc,
        db,
        _mtime(db),
        _mtime(os.path.join(cache_dir(), "releases.json")),
    ]
    for location in locations:
        info = location.dist_info
        parts.extend((location.site, ",".join(location.dist_infos), _mtime(info)))
    return "|".join(p.replace(_SEP, " ").replace("\n", " ") for p in parts)


def read_cache(key: str) -> Optional[Outcome]:
    """The cached outcome for ``key``; None when absent, unreadable or corrupt."""
    try:
        with open(cache_path(), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError):
        return None
    for line in text.split("\n"):
        fields = line.split(_SEP)
        if len(fields) >= 3 and fields[0] == key and fields[1] in _CACHED_VERDICTS:
            return Outcome(fields[1], fields[2], tuple(fields[3:]))
    return None


def write_cache(key: str, outcome: Outcome) -> None:
    """Add ``outcome`` under ``key`` (newest first, bounded), by atomic replace; skipped
    silently when the cache directory is not writable."""
    path = cache_path()
    fields = [key, outcome.verdict, outcome.message, *outcome.notes]
    entry = _SEP.join(f.replace("\n", " ") for f in fields)
    try:
        with open(path, encoding="utf-8") as handle:
            old = [
                line
                for line in handle.read().split("\n")
                if line.count(_SEP) >= 2 and line.split(_SEP, 1)[0] != key
            ]
    except (OSError, ValueError):
        old = []
    lines = [entry, *old][:_MAX_CACHE_ENTRIES]
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError:
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)


# --- evaluation (cold path: imports the engine) --------------------------------------


def evaluate(locations: List[Location]) -> Outcome:
    """Judge the ddtrace that ``import ddtrace`` loads (the first location)."""
    from ddguard.target import Target

    host = Target.from_host()
    first = locations[0]
    notes = tuple(_duplicate_notes(locations))
    result = judge_installed(first, host)
    if result is None:
        return Outcome(COMPATIBLE, "", notes)
    from ddguard.report import paragraph

    verdict = result.verdict.value
    return Outcome(verdict, paragraph(result) if verdict != COMPATIBLE else "", notes)


def judge_installed(location: Location, host: Target) -> Optional[Result]:
    """The engine's Result for the installed ddtrace on ``host`` (None: nothing to say)."""
    import dataclasses

    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    from ddguard import knowledge
    from ddguard.evaluate import Reason, ReasonCode, Verdict, judge_requirement

    source = f"installed in {location.site}"
    info = location.dist_info
    if info is None:
        return _result(
            host,
            "ddtrace",
            None,
            source,
            Verdict.UNKNOWN,
            (
                Reason(
                    ReasonCode.UNKNOWN_REFERENCE,
                    "ddtrace has no .dist-info metadata there, so ddguard cannot tell which "
                    "release it is or what it was built for",
                ),
            ),
            "reinstall it with pip for this interpreter",
        )
    raw = location.version or ""
    try:
        version = Version(raw)
    except InvalidVersion:
        version = None
    tag_reason = _tag_mismatch(info, host)
    tag_reasons = (Reason(ReasonCode.NO_WHEEL_FOR_PYTHON, tag_reason),) if tag_reason else ()
    reinstall = (
        f"reinstall ddtrace for this interpreter ({sys.executable} -m pip install "
        f"--force-reinstall ddtrace=={raw})"
    )
    db = knowledge.load()
    release = db.release(Version(version.public)) if version is not None else None
    if version is None or release is None:
        # Newer than the snapshot, a local build or a fork: its own metadata decides.
        own = list(tag_reasons)
        requires_python = _requires_python(info)
        if requires_python and not SpecifierSet(requires_python).contains(
            host.python_full_str, prereleases=True
        ):
            own.append(
                Reason(
                    ReasonCode.REQUIRES_PYTHON,
                    f"ddtrace {raw} declares Requires-Python {requires_python}",
                )
            )
        if host.implementation != "cpython":
            own.insert(
                0,
                Reason(
                    ReasonCode.NOT_CPYTHON,
                    f"ddtrace supports CPython only; this is {host.describe().split(',')[0]}",
                ),
            )
        if own:
            return _result(
                host, f"ddtrace=={raw}", raw, source, Verdict.INCOMPATIBLE, tuple(own), reinstall
            )
        if version is not None and version > db.newest.version:
            return None  # its own Requires-Python and wheel tags admit this interpreter
        return _result(
            host,
            f"ddtrace=={raw}",
            raw,
            source,
            Verdict.UNKNOWN,
            (
                Reason(
                    ReasonCode.NOT_RELEASED,
                    f"ddtrace {raw} is not a release in ddguard's database (a local or "
                    "development build?); its metadata admits this interpreter",
                ),
            ),
            None,
        )
    result: Result = judge_requirement(
        db,
        SpecifierSet(f"=={version.public}"),
        host,
        requirement=f"ddtrace=={raw}",
        source=source,
    )
    if tag_reasons:
        if result.verdict is Verdict.INCOMPATIBLE:
            return dataclasses.replace(result, reasons=tag_reasons + result.reasons)
        return dataclasses.replace(
            result, verdict=Verdict.INCOMPATIBLE, reasons=tag_reasons, fix=reinstall, refused=True
        )
    if result.verdict is Verdict.SOURCE_BUILD:
        return None  # built from source for this very interpreter, and it installed
    if result.verdict is Verdict.COMPATIBLE:
        return None
    return result


def _result(
    host: Target,
    requirement: str,
    version: Optional[str],
    source: str,
    verdict: Verdict,
    reasons: Tuple[Reason, ...],
    fix: Optional[str],
) -> Result:
    from ddguard.evaluate import Result, Verdict

    return Result(
        requirement,
        source,
        host,
        version,
        verdict,
        None,
        reasons,
        (),
        fix,
        refused=verdict is Verdict.INCOMPATIBLE,
        compatible_range=None,
    )


def wheel_tags(dist_info: str) -> List[str]:
    """The ``Tag:`` lines of ``*.dist-info/WHEEL`` (empty when unreadable)."""
    try:
        with open(os.path.join(dist_info, "WHEEL"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, ValueError):
        return []
    return [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("tag:")]


def _requires_python(dist_info: str) -> Optional[str]:
    try:
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    break  # end of the headers
                if line.lower().startswith("requires-python:"):
                    return line.split(":", 1)[1].strip() or None
    except (OSError, ValueError):
        return None
    return None


def _tag_mismatch(dist_info: str, host: Target) -> Optional[str]:
    """Why the installed wheel's tags do not fit the running interpreter (None if they do)."""
    from packaging.tags import parse_tag

    tag_lines = wheel_tags(dist_info)
    if not tag_lines:
        return None
    built = [tag for line in tag_lines for tag in parse_tag(line)]
    if set(built) & host.tags():
        return None
    first = built[0]
    return (
        f"the installed ddtrace's compiled extensions were built for {_describe_tag(first)} "
        f"(wheel tag {tag_lines[0]}), this is {host.describe()}"
    )


def _describe_tag(tag: object) -> str:
    from ddguard.target import IMPLEMENTATION_NAMES, Target

    interpreter = getattr(tag, "interpreter", "")
    platform = getattr(tag, "platform", "")
    implementation = IMPLEMENTATION_NAMES.get(interpreter[:2], interpreter[:2])
    digits = interpreter[2:]
    if len(digits) >= 2 and digits.isdigit():
        python: Tuple[int, ...] = (int(digits[0]), int(digits[1:]))
    else:
        return interpreter
    abi = getattr(tag, "abi", "")
    return Target(implementation, python, (abi,), (platform,)).describe()


def _duplicate_notes(locations: List[Location]) -> List[str]:
    notes = []
    if len(locations) > 1:
        where = "; ".join(
            f"{loc.version or 'unknown version'} in {loc.site}"
            + (" (imported)" if i == 0 else " (shadowed)")
            for i, loc in enumerate(locations)
        )
        notes.append(
            f"ddtrace is installed {len(locations)} times on sys.path: {where}. "
            "Only the first is imported; remove the others so their files cannot mix."
        )
    for loc in locations:
        if len(loc.dist_infos) > 1:
            notes.append(
                f"{loc.site} holds {len(loc.dist_infos)} ddtrace metadata directories "
                f"({', '.join(loc.dist_infos)}): an interrupted upgrade? Reinstall ddtrace "
                "there; judging the newest."
            )
    return notes
