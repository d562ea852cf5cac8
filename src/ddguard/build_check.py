"""The check every build hook runs: the project's own ddtrace requirements against the
interpreter running the build (the one pip installs into) and ``[tool.ddguard] targets``.

Shared by the PEP 517 wrapper (:mod:`ddguard.build`), the hatchling build hook and the
setuptools plugin. A project without a ddtrace requirement costs a TOML parse: packaging and
the database are imported only when there is something to judge.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from ddguard.build_config import BuildConfig, load_toml, read_config, skipped

if TYPE_CHECKING:
    from ddguard.api import Report
    from ddguard.model import Pin

# Set by a hook that has checked the project, so that a second guard in the same process
# (the setuptools plugin under ddguard.build) does not check it again.
CHECKED_VARIABLE = "_DDGUARD_BUILD_CHECKED"
_DDTRACE_NAME = re.compile(r"^\s*ddtrace\s*(?=[\[(<>=!~;@\s]|$)", re.IGNORECASE)
FOOTER = (
    "(ddguard checked this project's ddtrace requirements before building it; "
    "set DDGUARD_SKIP=1 to skip the check)"
)


def is_ddtrace_requirement(text: str) -> bool:
    """Cheap name test, no packaging import: ``ddtrace>=2``, ``DDTrace[opentracing]``..."""
    return bool(_DDTRACE_NAME.match(text))


def requirement_pins(
    found: Iterable[Tuple[str, Optional[str]]], path: str, lines: Optional[Sequence[str]] = None
) -> List[Pin]:
    """Pins for requirement strings read as data from ``path`` (sources ``path:line``), each
    given with the extra that declares it (None: a dependency)."""
    from ddguard.api import parse_ddtrace_requirement
    from ddguard.model import Origin, OriginKind, Pin

    if lines is None:
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
    name = os.path.basename(path)
    pins: List[Pin] = []
    for text, extra in found:
        parsed = parse_ddtrace_requirement(text)
        needle = text.split(";", 1)[0].strip()
        line = next((i + 1 for i, row in enumerate(lines) if needle in row), None)
        kind = OriginKind.DEPENDENCY if extra is None else OriginKind.EXTRA
        origin = Origin(kind, name, line, name=extra)
        pins.append(Pin(text=text, specifier=parsed.specifier, origin=origin, marker=parsed.marker))
    return pins


def judge(pins: Sequence[Pin], config: BuildConfig) -> Report:
    from ddguard.api import check
    from ddguard.target import Target

    targets = [Target.from_host()] + [Target.from_compact(t) for t in config.targets]
    return check(pins, targets, allow_source_build=config.allow_source_build, strict=config.strict)


def refusal_message(report: Report, project: str = "this project") -> Optional[str]:
    """The text a refusing hook exits with: ddguard's paragraphs first, then one footer line."""
    from ddguard.report import paragraph

    refused = [r for r in report.results if r.refused]
    if not refused:
        return None
    parts = [f"ddguard: {paragraph(r)}" for r in refused]
    return "\n\n".join(parts) + f"\n\n{FOOTER.replace('this project', project)}"


def check_project(
    root: str = ".",
    *,
    config: Optional[BuildConfig] = None,
    document: Optional[Mapping[str, Any]] = None,
    extra_pins: Sequence[Pin] = (),
    include_project_pins: bool = True,
) -> Optional[str]:
    """The refusal message for the project at ``root``, or None when it may be built."""
    if skipped():
        return None
    pyproject = "pyproject.toml" if root in ("", ".") else os.path.join(root, "pyproject.toml")
    if document is None:
        document = load_toml(pyproject) if os.path.isfile(pyproject) else {}
    if config is None:
        config = read_config(pyproject, document)
    pins: List[Pin] = list(extra_pins)
    if include_project_pins and document:
        from ddguard.sources import read_pyproject

        pins.extend(read_pyproject(pyproject).pins)
    if not pins:
        return None
    project = document.get("project", {})
    name = project.get("name") if isinstance(project, dict) else None
    return refusal_message(judge(pins, config), str(name) if name else "this project")


def refuse(message: str) -> None:
    """Leave the hook the way pip renders best: SystemExit's text in pip's error box."""
    raise SystemExit(message)
