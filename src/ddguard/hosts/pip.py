"""pip in an environment where ddguard is installed: ``pip install`` is judged before pip
resolves or downloads anything.

pip has no plugin API, but ddguard's startup finder (:mod:`_ddguard_hook`) runs in pip's
own process: at pip's first import it recognises pip's command line and calls
:func:`check_command_line`. What pip was asked to install (positional requirements, ``-r``,
``-c``, ``-e``, local projects, ``--group``; read as pip reads them, with its configuration
files and ``PIP_*`` variables: :mod:`ddguard.hosts.pip_args`) is judged like
``ddguard check`` judges it, on the interpreter pip installs for: this one, the one
``--python PATH`` names, or the target pip's ``--python-version``/``--platform``/
``--implementation``/``--abi`` declare. A ddtrace that is already installed and that pip
would keep (no ``--upgrade``, and it satisfies the request) is judged as installed.

``DDGUARD_MODE``: ``strict`` (default) prints ddguard's paragraph and how to bypass it, and
exits 1 before pip has done anything; ``warn`` prints and lets pip go on; ``off`` does
nothing (the finder is not even installed). Bad input is pip's to report (a missing ``-r``
file, a malformed requirement): ddguard then says nothing. An internal error prints one
warning line and lets pip go on (fail open). Nothing here calls ``warnings.warn``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from ddguard.hosts.pip_args import PipCall, read_call
from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.model import Pin
    from ddguard.target import Target

_CHILD_MARK = "_DDGUARD_PIP_JUDGED"  # set before pip re-runs itself under --python PATH
_PROBE_TIMEOUT = 20.0
_MAX_COMMAND_SHOWN = 300

# For ``--python PATH``: that interpreter's facts, printed by itself under ``-I -S`` (no
# site, no environment variables, nothing imported from the current directory).
_PROBE = """\
import os, site, sys, sysconfig
print(sys.implementation.name)
print(".".join(str(n) for n in sys.version_info[:3]))
print(1 if sysconfig.get_config_var("Py_GIL_DISABLED") else 0)
root = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
prefixes = [sys.prefix]
try:
    with open(os.path.join(root, "pyvenv.cfg")) as cfg:
        pairs = [line.split("=", 1) for line in cfg if "=" in line]
    prefixes = [root]
    if any(k.strip().lower() == "include-system-site-packages" and v.strip().lower() == "true"
           for k, v in pairs):
        prefixes.append(sys.prefix)
except OSError:
    pass
for path in site.getsitepackages(prefixes):
    print(path)
"""


class Interpreter(Record):
    """Another interpreter pip installs for (``--python PATH``)."""

    implementation: str  # sys.implementation.name
    version: Tuple[int, ...]
    free_threaded: bool
    site_dirs: Tuple[str, ...]


class Request(Record):
    """What the core judges for one pip command: plain values, no ddguard types."""

    requirements: Tuple[str, ...] = ()  # positional requirements naming ddtrace
    requirement_files: Tuple[str, ...] = ()
    constraint_files: Tuple[str, ...] = ()
    editables: Tuple[str, ...] = ()  # -e values that are not local directories
    projects: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()  # (directory, extras)
    groups: Tuple[Tuple[str, str], ...] = ()  # (project directory, dependency group)
    pre: bool = False
    allow_source_build: bool = False
    python_version: Optional[str] = None
    platforms: Tuple[str, ...] = ()
    implementation: Optional[str] = None
    abis: Tuple[str, ...] = ()
    interpreter: Optional[Interpreter] = None
    installed: Optional[Tuple[str, str]] = None  # (version, directory) pip would keep


class Judged(Record):
    refusals: Tuple[str, ...] = ()  # paragraphs of refused requirements
    warnings: Tuple[str, ...] = ()  # paragraphs of refused constraints nothing names


# --- the entry point -------------------------------------------------------------------------


def check_command_line(argv: List[str]) -> None:
    """Judge ``argv`` (pip's ``sys.argv``) and act on ``DDGUARD_MODE``: a refusal exits 1."""
    mode = os.environ.get("DDGUARD_MODE", "").strip().lower() or "strict"
    if mode == "off" or os.environ.get(_CHILD_MARK):
        return
    try:
        import warnings

        with warnings.catch_warnings():  # nothing ddguard does may raise under -W error
            warnings.simplefilter("ignore")
            judged = judge_arguments(argv[1:])
    except Exception as exc:  # fail open: ddguard's own failure never stops pip
        reason = " ".join(str(exc).split())
        _say(
            f"warning: internal error in the pip check ({type(exc).__name__}: {reason}); "
            "pip goes on unchecked"
        )
        return
    for paragraph in judged.warnings:
        _say(
            f"warning: {paragraph} (A constraint only: pip installs ddtrace if something it "
            "installs requires it.)"
        )
    if not judged.refusals:
        return
    if mode == "warn":
        for paragraph in judged.refusals:
            _say(f"warning: {paragraph} Continuing because DDGUARD_MODE=warn.")
        return
    for paragraph in judged.refusals:
        _say(paragraph)
    _say(
        "pip stopped before resolving or downloading anything. To run it unchecked: "
        f"DDGUARD_MODE=off {command_text(argv)} (DDGUARD_MODE=warn prints this and goes on)."
    )
    if sys.stderr is not None:
        sys.stderr.flush()
    raise SystemExit(1)


def _say(text: str) -> None:
    if sys.stderr is None:  # pythonw: nowhere to say it
        return
    for line in text.splitlines() or [""]:
        sys.stderr.write(f"ddguard: {line}\n")


def command_text(argv: Sequence[str]) -> str:
    """The command as the user typed it, near enough to copy: ``pip install ...``."""
    import shlex

    program = argv[0]
    name = os.path.basename(program)
    if program == "-m":
        shown = ["python", "-m", "pip"]
    elif name == "__pip-runner__.py":  # pip --python PATH re-running itself under PATH
        shown = ["pip"]
    elif name.lower().endswith((".pyz", ".pyzw")):
        shown = ["python", program]
    else:
        shown = [name]
    text = " ".join(shlex.quote(a) for a in [*shown, *argv[1:]])
    return text if len(text) <= _MAX_COMMAND_SHOWN else text[: _MAX_COMMAND_SHOWN - 1] + "…"


# --- what pip was asked for ------------------------------------------------------------------


def judge_arguments(args: List[str]) -> Judged:
    """The judgement of ``pip ARGS`` (nothing when it installs no ddtrace it can see)."""
    call = read_call(args)
    if call is None:
        return Judged()
    request = build_request(call)
    judged = judge(request) if request is not None else Judged()
    if call.python and not os.environ.get("_PIP_RUNNING_IN_SUBPROCESS"):
        os.environ[_CHILD_MARK] = "1"  # pip re-runs itself under PATH: judged here already
    return judged


def build_request(call: PipCall, cwd: Optional[str] = None) -> Optional[Request]:
    """The parts of ``call`` that may name ddtrace, cheaply filtered (no ddguard core import);
    None when nothing does, or when ``--python`` names no interpreter (pip reports it)."""
    cwd = cwd or os.getcwd()
    requirements: List[str] = []
    projects: List[Tuple[str, Tuple[str, ...]]] = []
    editables: List[str] = []
    for text in call.requirements:
        project = _local_project(text, cwd)
        if project is not None:
            projects.append(project)
        elif "ddtrace" in text.lower() and not call.only_deps:
            requirements.append(text)
    for value in call.editables:
        project = _local_project(value, cwd, editable=True)
        if project is not None:
            projects.append(project)
        elif "ddtrace" in value.lower():
            editables.append(value)
    groups = tuple(
        (os.path.dirname(os.path.join(cwd, path)), name)
        for path, name in call.groups
        if os.path.basename(path) == "pyproject.toml"
    )
    files = tuple(p for p in call.requirement_files if _may_name_ddtrace(p, cwd, True))
    constraints = tuple(p for p in call.constraint_files if _may_name_ddtrace(p, cwd, True))
    projects = [p for p in projects if _may_name_ddtrace(_pyproject(p[0]), cwd, False)]
    groups = tuple(g for g in groups if _may_name_ddtrace(_pyproject(g[0]), cwd, False))
    if not (requirements or files or editables or projects or groups or constraints):
        return None
    interpreter = None
    if call.python and not call.names_target and not os.environ.get("_PIP_RUNNING_IN_SUBPROCESS"):
        interpreter = probe_interpreter(call.python)
        if interpreter is None:
            return None
    installed = None
    if call.keeps_installed:
        dirs = interpreter.site_dirs if interpreter is not None else _import_path(cwd)
        installed = installed_ddtrace(dirs)
    return Request(
        requirements=tuple(requirements),
        requirement_files=files,
        constraint_files=constraints,
        editables=tuple(editables),
        projects=tuple(projects),
        groups=groups,
        pre=call.pre,
        allow_source_build=call.no_binary,
        python_version=call.python_version,
        platforms=call.platforms,
        implementation=call.implementation,
        abis=call.abis,
        interpreter=interpreter,
        installed=installed,
    )


def _local_project(
    text: str, cwd: str, editable: bool = False
) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """pip's rule for a local project: a directory written like a path (``.``, ``./app``,
    ``app/``; any directory for ``-e``), optionally with ``[extras]``."""
    path, extras = text, ""
    if text.endswith("]") and "[" in text:
        path, _, extras = text[:-1].rpartition("[")
    if path.startswith("file:"):
        return None
    looks_like_path = (
        path.startswith(".") or os.sep in path or (os.altsep is not None and os.altsep in path)
    )
    full = os.path.join(cwd, path)
    if (editable or looks_like_path) and os.path.isdir(full):
        return full, tuple(e.strip() for e in extras.split(",") if e.strip())
    return None


_SNIFF_BYTES = 1 << 22  # 4 MiB: a requirements file larger than this is read by the core


def _pyproject(directory: str) -> str:
    return os.path.join(directory, "pyproject.toml")


def _may_name_ddtrace(path: str, cwd: str, includes: bool) -> bool:
    """Whether a file may name ddtrace: it mentions it, or (a requirements file) includes
    another file. A URL (``-r https://...``) is pip's to fetch, and a file that is missing
    or not a regular file (a FIFO, ``/dev/zero``) is pip's to report: neither is judged."""
    if "://" in path:
        return False
    full = os.path.join(cwd, path)
    try:
        if not os.path.isfile(full):
            return False
        with open(full, "rb") as handle:
            text = handle.read(_SNIFF_BYTES + 1).lower()
    except OSError:
        return False
    if len(text) > _SNIFF_BYTES or b"ddtrace" in text:
        return True
    return includes and any(
        line.lstrip().startswith((b"-r", b"-c", b"--requirement", b"--constraint"))
        for line in text.splitlines()
    )


def _import_path(cwd: str) -> List[str]:
    """``sys.path`` as pip sees it: ``python -m pip`` drops the current directory."""
    path = list(sys.path)
    if path and path[0] in ("", cwd):
        path.pop(0)
    return path


def installed_ddtrace(directories: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(version, directory) of the first ``ddtrace-*.dist-info`` on ``directories``."""
    for directory in directories:
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:
            continue
        for name in names:
            lower = name.lower()
            if lower.startswith("ddtrace-") and lower.endswith(".dist-info"):
                return name[len("ddtrace-") : -len(".dist-info")], directory
    return None


def probe_interpreter(python: str) -> Optional[Interpreter]:
    """The interpreter ``--python PATH`` names, as pip finds it (a file, or a venv
    directory's ``bin/python``), asked for its facts; None when there is none."""
    executable = None
    if os.path.isdir(python):
        for candidate in ("bin/python", "Scripts/python.exe"):
            if os.path.exists(os.path.join(python, candidate)):
                executable = os.path.join(python, candidate)
                break
    elif os.path.exists(python):
        executable = python
    if executable is None:
        return None
    try:
        done = subprocess.run(
            [executable, "-I", "-S", "-c", _PROBE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    if done.returncode != 0 or len(lines) < 3:
        return None
    parts = lines[1].split(".")
    if not all(p.isdigit() for p in parts):
        return None
    return Interpreter(lines[0], tuple(int(p) for p in parts), lines[2] == "1", tuple(lines[3:]))


# --- the one seam to ddguard's core (its API is being rewritten: keep every call here) --------


def judge(request: Request) -> Judged:
    """Judge what ``request`` installs with ``ddguard check``'s engine and words. Bad input
    (a missing file, a malformed requirement, a target pip refuses) is pip's to report:
    nothing is said."""
    from ddguard.api import check, refusals
    from ddguard.errors import InputError

    try:
        wanted, constraints = _pins(request)
        target = _target(request)
    except InputError:
        return Judged()

    def applies(pin: Pin) -> bool:
        return pin.marker is None or bool(pin.marker.evaluate(target.marker_env()))

    def refused(requested: List[Pin]) -> Tuple[str, ...]:
        if not requested:
            return ()
        report = check(requested, target, allow_source_build=request.allow_source_build)
        return tuple(dict.fromkeys(refusals(report)))

    wanted = [p for p in wanted if applies(p)]
    constraints = [p for p in constraints if applies(p)]
    if not wanted:  # constraints alone install nothing: said, never refused
        return Judged(warnings=refused(constraints))
    kept = _kept_installed(request.installed, wanted + constraints)
    return Judged(refusals=refused([kept] if kept is not None else wanted + constraints))


def _pins(request: Request) -> Tuple[List[Pin], List[Pin]]:
    """The ddtrace pins pip is asked to install, and the constraints on them."""
    from packaging.specifiers import SpecifierSet

    from ddguard import sources
    from ddguard.model import Origin, OriginKind

    argument = Origin(OriginKind.ARGUMENT)
    wanted: List[Pin] = []
    constraints: List[Pin] = []
    for text in request.requirements:
        wanted.extend(p for p in [sources.parse_requirement(text, argument)] if p is not None)
    for value in request.editables:
        wanted.extend(p for p in [sources.parse_requirement(f"-e {value}", argument)] if p)
    for path in request.requirement_files:
        for pin in sources.read_requirements_file(path).pins:
            (constraints if pin.origin.kind is OriginKind.CONSTRAINT else wanted).append(pin)
    for path in request.constraint_files:
        constraints.extend(sources.read_requirements_file(path).pins)
    for root, extras in request.projects:
        wanted.extend(sources.project_pins(root, extras).pins)
    for root, group in request.groups:
        wanted.extend(sources.project_pins(root, groups=(group,)).pins)
    if request.pre:  # the installer's pick may be a pre-release
        wanted = [
            p._replace(specifier=SpecifierSet(str(p.specifier), prereleases=True)) for p in wanted
        ]
    return wanted, constraints


def _target(request: Request) -> Target:
    from ddguard.target import Target

    if request.platforms or request.python_version or request.implementation or request.abis:
        return Target.from_pip_flags(
            request.python_version, request.implementation, request.abis, request.platforms
        )
    if request.interpreter is not None:
        facts = request.interpreter
        return Target.for_interpreter(facts.version, facts.implementation, facts.free_threaded)
    return Target.from_host()


def _kept_installed(installed: Optional[Tuple[str, str]], requested: List[Pin]) -> Optional[Pin]:
    """The installed ddtrace as a pin, when pip keeps it: every requirement and constraint
    is a version range it satisfies."""
    from packaging.specifiers import SpecifierSet

    from ddguard.model import Origin, OriginKind, Pin

    if installed is None:
        return None
    version, directory = installed
    try:
        for pin in requested:
            if pin.reference is not None or pin.alternatives:
                return None  # a direct reference or a union: pip decides by more than a version
            if not pin.specifier.contains(version, prereleases=True):
                return None
        exact = SpecifierSet(f"=={version}")
    except ValueError:  # an installed version that is not PEP 440
        return None
    origin = Origin(OriginKind.INSTALLED, path=directory)
    return Pin(text=f"ddtrace=={version}", specifier=exact, origin=origin)
