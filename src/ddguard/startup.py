"""Fail fast at startup: is the installed ddtrace usable by the running interpreter?

Runs from ``import ddguard.auto``, ``ddguard.require()`` and the automatic hook
(:mod:`_ddguard_hook`) right before ddtrace is first executed. It judges the release
(policy, Requires-Python, published wheels), the installed wheel's own
``*.dist-info/WHEEL`` tags ("built for CPython 3.11, this is CPython 3.12"), a ddtrace
newer than the database by its own metadata, and ddtrace installed more than once.

The hot path (a warm cache) imports nothing beyond ``os`` and ``sys``: it stats the
``sys.path`` entries, lists the directory holding ddtrace, stats its WHEEL file and reads
one small cache file. The engine (and ``packaging``) is imported only when the cache misses.

``DDGUARD_MODE``: ``strict`` (default) refuses an ``incompatible`` ddtrace by raising
:class:`~ddguard.errors.RefusedError` (an ImportError); ``warn`` prints one line on stderr;
``off`` skips everything. ``source-build`` and ``unknown`` only warn. Under ``site``
(sitecustomize, as ``ddtrace-run`` does, or a ``.pth`` line), where an ImportError would be
swallowed, and in the ``ddtrace-run`` launcher, a refusal prints the paragraph and exits 1.
An internal error warns once and lets ddtrace load (fail open). A warning never becomes an
exception, not even under ``python -W error``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, NoReturn, Optional, Tuple

    from ddguard.evaluate.installed import InstalledCopy
    from ddguard.model import Note

CACHE_FORMAT = "ddguard-startup-2"
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
    """What warn mode, source-build/unknown verdicts and internal errors emit. An
    ImportWarning, so Python's default filters hide it (the stderr line is the user-facing
    copy) while pytest and ``logging.captureWarnings`` still collect it."""


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
        return _version_of(self.dist_infos[0]) if self.dist_infos else None


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
            f"internal error in the startup check ({type(exc).__name__}: {exc}); "
            "ddtrace is loading unchecked"
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
        from ddguard.environment import mode_problem, mode_value

        problem = mode_problem()
        if problem is not None:
            _warn(f"unknown DDGUARD_MODE={problem!r} (use strict, warn or off); using strict")
        return mode_value()
    from ddguard.config import parse_mode

    return parse_mode(mode).value  # a caller's value: the only time config (and typing) loads


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
    from ddguard.environment import integrations_setting

    setting = integrations_setting()
    if setting == "off":
        return
    strict = setting == "strict" and mode == "strict"
    try:
        locations = find_ddtrace(sys.path)
        version = locations[0].version if locations else None
        if not version:
            return
        from ddguard.evaluate.integrations import installed_findings
        from ddguard.report.words import finding
        from ddguard.target import Target

        findings = installed_findings(version, Target.from_host(), strict=strict)
        messages = [(finding(f), f.refused) for f in findings]
    except Exception as exc:  # fail open, as for the release check
        _warn(f"internal error in the integration check ({type(exc).__name__}: {exc}); skipped")
        return
    for message, refused in messages:
        if not refused:
            _warn(message)
    refused_messages = [message for message, refused in messages if refused]
    if refused_messages:
        message = "; ".join(refused_messages) + " (DDGUARD_INTEGRATIONS=strict)."
        _refused.append(message)
        _refuse(message)


def _warn(text: str) -> None:
    """One line on stderr, plus a warning for tools that collect them. Never raises: under
    ``-W error`` the warning would become an exception inside the application's import."""
    line = " ".join(text.split())
    try:  # noqa: SIM105 - contextlib is not imported on the startup path
        sys.stderr.write(f"ddguard: warning: {line}\n")
    except Exception:  # a closed or unencodable stderr: nothing more to do
        pass
    try:
        import warnings

        warnings.warn(line, DDGuardWarning, stacklevel=3)
    except Exception:  # -W error, PYTHONWARNINGS=error, filterwarnings=error: the line stays
        pass


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
        if frame.f_globals.get("__name__") in ("site", "sitecustomize", "usercustomize"):
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


def cache_path() -> str:
    from ddguard.environment import cache_dir

    return os.path.join(cache_dir(), "startup-cache.txt")


def _stat(path: Optional[str]) -> str:
    if not path:
        return "-"
    try:
        found = os.stat(path)
    except OSError:
        return "-"
    return f"{found.st_mtime_ns}:{found.st_size}:{found.st_ino}"


def cache_key(locations: List[Location]) -> str:
    """What a verdict depends on: ddtrace's metadata (path, WHEEL file, version), the
    interpreter and platform, ddguard's version and its database."""
    from ddguard import __version__
    from ddguard.environment import cache_dir

    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        libc = ""
    database = os.environ.get("DDGUARD_DB") or ""
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
        database,
        _stat(database),
        _stat(os.path.join(cache_dir(), "releases.json")),
    ]
    for location in locations:
        info = location.dist_info
        wheel = os.path.join(info, "WHEEL") if info else None
        parts.extend((location.site, ",".join(location.dist_infos), _stat(info), _stat(wheel)))
    return "|".join(p.replace(_SEP, " ").replace("\n", " ") for p in parts)


def read_cache(key: str) -> Optional[Outcome]:
    """The cached outcome for ``key``; None when absent, unreadable or corrupt."""
    try:
        with open(cache_path(), encoding="utf-8") as handle:
            text = handle.read(1 << 20)
    except (OSError, ValueError):
        return None
    for line in text.split("\n"):
        fields = line.split(_SEP)
        if len(fields) >= 3 and fields[0] == key and fields[1] in _CACHED_VERDICTS:
            return Outcome(fields[1], fields[2], tuple(fields[3:]))
    return None


def write_cache(key: str, outcome: Outcome) -> None:
    """Add ``outcome`` under ``key`` (newest first, bounded) by atomic replace of a file
    created exclusively (never following a planted symlink); skipped silently when the
    cache directory is not writable."""
    path = cache_path()
    fields = [key, outcome.verdict, outcome.message, *outcome.notes]
    entry = _SEP.join(f.replace("\n", " ") for f in fields)
    try:
        with open(path, encoding="utf-8") as handle:
            old = [
                line
                for line in handle.read(1 << 20).split("\n")
                if line.count(_SEP) >= 2 and line.split(_SEP, 1)[0] != key
            ]
    except (OSError, ValueError):
        old = []
    lines = [entry, *old][:_MAX_CACHE_ENTRIES]
    temporary = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Created exclusively, never through a symlink (what tempfile.mkstemp does, without
        # importing tempfile, shutil and random on the startup path).
        temporary = f"{os.path.dirname(path)}/.startup-{os.getpid()}-{os.urandom(6).hex()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(temporary, flags, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
    except (OSError, ValueError):
        if temporary is not None:
            try:  # noqa: SIM105 - contextlib is not imported on the startup path
                os.unlink(temporary)
            except OSError:
                pass


# --- evaluation (cold path: imports the engine) --------------------------------------


def evaluate(locations: List[Location]) -> Outcome:
    """Judge the ddtrace that ``import ddtrace`` loads (the first location)."""
    from ddguard import knowledge
    from ddguard.evaluate.installed import fits, judge_installed
    from ddguard.target import Target

    host = Target.from_host()
    found = duplicate_notes(locations)
    first = locations[0]
    if not found and first.version and first.dist_info:
        # The common case, decided from the installed release's row alone.
        one = knowledge.load_one(first.version)
        tags = tuple(wheel_tags(first.dist_info))
        if one is not None and fits(one, first.version, tags, host):
            return Outcome(COMPATIBLE)
    result = judge_installed(knowledge.load(), installed_copy(first), host)
    if result is None and not found:
        return Outcome(COMPATIBLE)
    from ddguard.report.words import note, paragraph  # words only when there is something to say

    notes = tuple(note(n) for n in found)
    if result is None:
        return Outcome(COMPATIBLE, "", notes)
    return Outcome(result.verdict.value, paragraph(result), notes)


def installed_copy(location: Location) -> InstalledCopy:
    """The facts of one installed ddtrace, read from its metadata."""
    from ddguard.evaluate.installed import InstalledCopy

    info = location.dist_info
    return InstalledCopy(
        site=location.site,
        version=location.version,
        wheel_tags=tuple(wheel_tags(info)) if info else (),
        requires_python=_requires_python(info) if info else None,
        executable=sys.executable,
        own_site=_own_site(location.site),
    )


def _own_site(site: str) -> bool:
    import sysconfig

    places = {sysconfig.get_paths().get(k) for k in ("purelib", "platlib")}
    try:
        import site as site_module

        places.add(site_module.getusersitepackages())
    except Exception:
        pass
    real = os.path.realpath(site)
    return any(p and os.path.realpath(p) == real for p in places)


def wheel_tags(dist_info: str) -> List[str]:
    """The ``Tag:`` lines of ``*.dist-info/WHEEL`` (empty when unreadable)."""
    try:
        with open(os.path.join(dist_info, "WHEEL"), encoding="utf-8") as handle:
            lines = handle.read(1 << 16).splitlines()
    except (OSError, ValueError):
        return []
    return [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("tag:")][:64]


def _requires_python(dist_info: str) -> Optional[str]:
    try:
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if not line.strip() or number > 2000:
                    break  # end of the headers
                if line.lower().startswith("requires-python:"):
                    return line.split(":", 1)[1].strip()[:200] or None
    except (OSError, ValueError):
        return None
    return None


def duplicate_notes(locations: List[Location]) -> List[Note]:
    from ddguard.model import Note, NoteCode

    notes: List[Note] = []
    if len(locations) > 1:
        copies = tuple((loc.version or "", loc.site) for loc in locations)
        notes.append(Note(NoteCode.INSTALLED_TWICE, copies=copies))
    for loc in locations:
        if len(loc.dist_infos) > 1:
            copies = tuple((name, loc.site) for name in loc.dist_infos)
            notes.append(Note(NoteCode.SEVERAL_METADATA, path=loc.site, copies=copies))
    return notes
