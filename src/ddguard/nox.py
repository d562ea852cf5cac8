"""nox has no plugin system: call :func:`check` at the top of a session.

.. code-block:: python

    import nox
    import ddguard.nox

    @nox.session(python=["3.11", "3.12"])
    def tests(session):
        ddguard.nox.check(session, requirements=["-r", "requirements.txt"], project=".")
        session.install("-r", "requirements.txt", ".")
        session.run("pytest")

The session's own interpreter (the one its virtualenv runs) is the target; a refusal ends
the session with ``session.error(paragraph)`` before anything is installed.
``DDGUARD_MODE=off`` skips, ``DDGUARD_MODE=warn`` only warns.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Iterable, List, NoReturn, Optional, Tuple, Union

if TYPE_CHECKING:
    from ddguard.model import Note, Pin, Report
    from ddguard.target import Target

_PROBE = (
    "import json, sys, sysconfig; print(json.dumps([sys.implementation.name, "
    "list(sys.version_info[:3]), bool(sysconfig.get_config_var('Py_GIL_DISABLED'))]))"
)


def check(
    session: Any,
    requirements: Iterable[Union[str, Path]] = (),
    project: Union[str, Path, None] = None,
    *,
    extras: Collection[str] = (),
    groups: Collection[str] = (),
    targets: Optional[Iterable[Union[str, Target]]] = None,
    allow_source_build: bool = False,
    strict: bool = False,
) -> Optional[Report]:
    """Judge ``requirements`` (requirement strings, ``"-r", FILE`` pairs, ``-rFILE`` or
    paths of requirements files) and the dependencies of ``project`` (a directory or its
    pyproject.toml, with the named ``extras`` and dependency ``groups``) for the session's
    interpreter, or for ``targets`` (compact strings like ``cp312-manylinux_x86_64``).

    Ends the session with ``session.error`` on a refusal; returns the Report otherwise
    (None when ``DDGUARD_MODE=off``).
    """
    from ddguard.api import check as judge
    from ddguard.api import refusals
    from ddguard.config import mode
    from ddguard.errors import InputError
    from ddguard.model import Mode
    from ddguard.report.words import note as note_words

    current = mode()
    if current is Mode.OFF:
        return None
    try:
        judged = _targets(session, targets)
        pins, notes = collect_pins(requirements, project, extras, groups)
        report = judge(pins, judged, allow_source_build=allow_source_build, strict=strict)
    except InputError as exc:
        _error(session, f"ddguard: {exc}")
    for note in notes:
        session.warn(f"ddguard: {note_words(note)}")
    refused = refusals(report)
    if refused and current is Mode.STRICT:
        _error(session, "ddguard refused ddtrace:\n" + "\n".join(refused))
    from ddguard.report import paragraph
    from ddguard.report.words import target as target_words

    for result in report.results:
        if result.refused or result.warnings:
            session.warn(f"ddguard: {paragraph(result)}")
    if not refused and report.results:
        session.log(
            "ddguard: ddtrace requirements ok for " + ", ".join(target_words(t) for t in report.targets)
        )
    return report


def collect_pins(
    requirements: Iterable[Union[str, Path]],
    project: Union[str, Path, None],
    extras: Collection[str] = (),
    groups: Collection[str] = (),
) -> Tuple[List[Pin], List[Note]]:
    from ddguard import sources
    from ddguard.model import Origin, OriginKind

    def requirements_file_pins(path: Path) -> List[Pin]:
        return list(sources.read_requirements_file(str(path)).pins)

    pins: List[Pin] = []
    notes: List[Note] = []
    items = list(requirements)
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        text = str(item)
        if text in ("-r", "--requirement") and index < len(items):
            pins.extend(requirements_file_pins(Path(str(items[index]))))
            index += 1
        elif text.startswith("-r") and not isinstance(item, Path):
            pins.extend(requirements_file_pins(Path(text[2:].lstrip("= ").strip())))
        elif isinstance(item, Path) or Path(text).is_file():
            pins.extend(requirements_file_pins(Path(text)))
        else:
            pin = sources.parse_requirement(text, Origin(OriginKind.ARGUMENT, tool="nox"))
            if pin is not None:
                pins.append(pin)
    if project is not None:
        root = Path(project)
        scan = sources.project_pins(str(root.parent if root.is_file() else root), extras, groups)
        pins.extend(scan.pins)
        notes.extend(scan.notes)
    return pins, notes


def session_target(session: Any) -> Target:
    """The interpreter the session's virtualenv runs (this interpreter without one)."""
    from ddguard.target import Target

    try:
        bin_dir: Optional[str] = session.bin
    except ValueError:
        bin_dir = None
    python = shutil.which("python", path=bin_dir) if bin_dir else None
    if python is None or Path(python).resolve() == Path(sys.executable).resolve():
        return Target.from_host()
    out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=True)
    implementation, version, free_threaded = json.loads(out.stdout)
    return Target.for_interpreter(version, implementation, bool(free_threaded))


def _targets(session: Any, targets: Optional[Iterable[Union[str, Target]]]) -> List[Target]:
    from ddguard.target import Target

    if targets is None:
        return [session_target(session)]
    return [t if isinstance(t, Target) else Target.from_compact(t) for t in targets]


def _error(session: Any, text: str) -> NoReturn:
    session.error(text)  # raises nox's own exception: the session ends as failed
    raise AssertionError("session.error returned")
