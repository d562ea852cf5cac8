"""tox 4 plugin: fail an environment whose ddtrace pin does not work on its interpreter,
before tox installs its deps or builds the package (entry point group ``tox``).

Per environment, when tox is about to install ``deps``: the ddtrace requirements of its
``deps`` (``-r`` files included) and, when the environment installs the package, of the
project's pyproject.toml (dependencies, the env's ``extras`` and ``dependency_groups``) are
judged for the env's base interpreter. A refusal raises tox's ``Fail``: that env fails
with ddguard's paragraph, the others go on. ``ddguard = false`` in an env or
``DDGUARD_MODE=off`` skips; ``DDGUARD_MODE=warn`` only warns. ``--ddguard-report`` prints
every env's verdicts when tox exits.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Set, Tuple

from tox.plugin import impl

if TYPE_CHECKING:
    from ddguard.model import Pin, Report
    from ddguard.target import Target

_LOG = logging.getLogger("ddguard")


@dataclass(frozen=True)
class Row:
    env: str
    target: str
    requirement: str
    source: str
    status: str
    version: str


class _Rows:
    """Every env's verdicts for ``--ddguard-report`` (run-parallel uses threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: List[Row] = []
        self._registered = False

    def add(self, rows: List[Row]) -> None:
        with self._lock:
            self._rows.extend(rows)
            if not self._registered:
                self._registered = True
                atexit.register(self.print)

    def print(self) -> None:
        sys.stdout.write(render_table(self._rows))
        sys.stdout.flush()


_ROWS = _Rows()


@impl
def tox_add_option(parser: Any) -> None:
    parser.add_argument(
        "--ddguard-report",
        action="store_true",
        default=False,
        help="ddguard: print a table of every environment's ddtrace verdicts at the end",
    )


@impl
def tox_add_env_config(env_conf: Any, state: Any) -> None:
    env_conf.add_config(
        keys=["ddguard"],
        of_type=bool,
        default=True,
        desc="check the environment's ddtrace requirements against its interpreter (ddguard)",
    )


@impl
def tox_on_install(tox_env: Any, arguments: Any, section: str, of_type: str) -> None:
    if section != "PythonRun" or of_type != "deps":
        return  # deps come first: the project's pins are judged with them, before any build
    from ddguard.config import mode
    from ddguard.model import Mode

    report_wanted = bool(getattr(tox_env.options, "ddguard_report", False))
    current = mode()
    if current is Mode.OFF or not _conf(tox_env, "ddguard", True):
        if report_wanted:
            why = "DDGUARD_MODE=off" if current is Mode.OFF else "ddguard = false"
            _ROWS.add([Row(tox_env.name, "", "", "", f"skipped ({why})", "")])
        return
    from tox.tox_env.errors import Fail

    from ddguard.errors import InputError

    try:
        target = env_target(tox_env)
        pins, notes = env_pins(tox_env, arguments)
        from ddguard.api import check

        settings = _settings(tox_env)
        report = check(pins, target, allow_source_build=settings.allow_source_build, strict=settings.strict)
    except InputError as exc:
        raise Fail(f"ddguard: {exc}") from None
    except Exception as exc:  # an internal ddguard failure never blocks the env (fail open)
        _LOG.warning("ddguard: internal error, %s not checked: %r", tox_env.name, exc)
        return
    from ddguard.report.words import note as note_words

    for note in notes:
        _LOG.warning("ddguard: %s", note_words(note))
    if report_wanted:
        _ROWS.add(report_rows(tox_env.name, target, report))
    _act(report, current)


def _act(report: Report, current: Any) -> None:
    from tox.tox_env.errors import Fail

    from ddguard.api import refusals
    from ddguard.model import Mode
    from ddguard.report import paragraph

    refused = refusals(report)
    for result in report.results:
        if result.warnings and not result.refused:
            _LOG.warning("ddguard: %s", paragraph(result))
    if not refused:
        return
    if current is Mode.WARN:
        for text in refused:
            _LOG.warning("ddguard: %s", text)
        return
    raise Fail("ddguard refused ddtrace:\n" + "\n".join(refused))


def env_target(tox_env: Any) -> Target:
    """The env's base interpreter, as a ddguard Target."""
    from ddguard.target import Target

    info = tox_env.base_python
    return Target.for_interpreter(
        tuple(info.version_info[:3]), info.implementation, bool(getattr(info, "free_threaded", False))
    )


def _settings(tox_env: Any) -> Any:
    """``[tool.ddguard]`` of the project tox runs in (defaults when there is none)."""
    from ddguard.config import read_project_config

    return read_project_config(str(tox_env.core["tox_root"]))


def env_pins(tox_env: Any, deps: Any) -> Tuple[List[Pin], List[Any]]:
    """ddtrace pins of the env's deps (``-r`` and ``-c`` files included), of its
    ``constraints`` setting, of the env's ``dependency_groups`` (includes followed; tox
    installs them with or without the package) and, when it installs the package, of the
    project's dependencies and the env's ``extras``."""
    inline = str(Path(tox_env.core["tox_root"]) / "tox.ini")  # tox's name for inline deps
    found = _parsed_pins(getattr(deps, "requirements", []), inline, tox_env.name)
    constraints = _conf(tox_env, "constraints", None)
    if constraints is not None and getattr(constraints, "requirements", None):
        found.extend(_parsed_pins(constraints.requirements, inline, tox_env.name, constraint=True))
    notes: List[Any] = []
    groups: Set[str] = set(_conf(tox_env, "dependency_groups", set()))
    packaged = getattr(tox_env, "package_env", None) is not None
    if packaged or groups:  # tox installs dependency groups without the package too
        from ddguard import sources
        from ddguard.model import OriginKind

        root = Path(tox_env.core["package_root"])
        extras: Set[str] = set(_conf(tox_env, "extras", set())) if packaged else set()
        scan = sources.project_pins(str(root), extras, groups)
        found.extend(p for p in scan.pins if packaged or p.origin.kind is OriginKind.GROUP)
        notes.extend(scan.notes)
    return found, notes


def _parsed_pins(parsed_lines: Any, inline: str, env: str, constraint: bool = False) -> List[Pin]:
    """Pins of tox's parsed requirement lines; ``-c`` lines are constraint pins."""
    from ddguard import sources
    from ddguard.model import Origin, OriginKind

    found: List[Pin] = []
    for parsed in parsed_lines:
        text = str(parsed.requirement)
        is_constraint = constraint or bool((getattr(parsed, "options", None) or {}).get("is_constraint"))
        kind = OriginKind.CONSTRAINT if is_constraint else OriginKind.TOX_ENV
        if parsed.from_file == inline:
            origin = Origin(kind, name=env, tool="tox")
        else:
            origin = Origin(kind, path=str(parsed.from_file), line=parsed.lineno, name=env, tool="tox")
        pin = sources.parse_requirement(text, origin)
        if pin is not None:
            found.append(pin)
    return found


def _conf(tox_env: Any, key: str, default: Any) -> Any:
    try:
        return tox_env.conf[key]
    except KeyError:
        return default


def report_rows(env: str, target: Target, report: Report) -> List[Row]:
    from ddguard.report.words import source, status
    from ddguard.report.words import target as target_words

    described = target_words(target)
    if not report.results:
        return [Row(env, described, "", "", "no ddtrace requirement", "")]
    return [
        Row(
            env,
            described,
            r.pin.text,
            source(r.pin.origin) or "",
            f"{status(r)} ({r.verdict.value})",
            str(r.version or ""),
        )
        for r in report.results
    ]


def render_table(rows: List[Row]) -> str:
    header = Row("env", "interpreter", "requirement", "source", "verdict", "ddtrace")
    table = [header, *sorted(rows, key=lambda r: r.env)]
    columns = list(zip(*[_cells(r) for r in table]))
    widths = [max(len(c) for c in column) for column in columns]
    lines = ["ddguard report:"]
    for row in table:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(_cells(row), widths)).rstrip())
    return "\n".join(lines) + "\n"


def _cells(row: Row) -> Tuple[str, ...]:
    return (row.env, row.target, row.requirement, row.version, row.status, row.source)
