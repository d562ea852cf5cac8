"""The check every build hook runs (the PEP 517 wrapper, the hatchling hook, the setuptools
plugin): what installing the built project pulls in — its dependencies and extras (a PEP
517 backend is not told which extras the installer asked for) — judged on the interpreter
running the build, on ``[tool.ddguard] targets``, and (``discover = true``) on the
deployment targets the project's files declare. Dependency groups, tox environments and
build requirements are not installed by ``pip install .`` and are not judged here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence

from ddguard.config import ProjectConfig, project_config, skipped
from ddguard.model import OriginKind

if TYPE_CHECKING:
    from ddguard.model import Pin, Report
    from ddguard.target import Target

FOOTER = (
    "(ddguard checked {project}'s ddtrace requirements before building it; "
    "set DDGUARD_SKIP=1 to skip the check)"
)
INSTALLED_KINDS = (OriginKind.DEPENDENCY, OriginKind.EXTRA)


def build_pins(root: str) -> List[Pin]:
    """The ddtrace requirements a built wheel of the project carries (dependencies and
    extras), read from its pyproject.toml as data."""
    from ddguard import sources

    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        return []
    return [p for p in sources.read_file(path).pins if p.origin.kind in INSTALLED_KINDS]


def build_targets(root: str, config: ProjectConfig) -> List[Target]:
    """The interpreter running the build, the declared targets and, when asked, the
    discovered deployment targets."""
    from ddguard.target import Target

    targets = [Target.from_host()] + [Target.from_compact(t) for t in config.targets]
    if config.discover:
        from ddguard.api import discovered_targets

        targets.extend(t for t in discovered_targets(root) if t not in targets)
    return targets


def judge(pins: Sequence[Pin], targets: Sequence[Target], config: ProjectConfig) -> Report:
    from ddguard.api import check

    return check(pins, targets, allow_source_build=config.allow_source_build, strict=config.strict)


def refusal_message(report: Report, project: str = "this project") -> Optional[str]:
    """The text a refusing hook exits with: ddguard's paragraphs first, then one footer line."""
    refused = [r for r in report.results if r.refused]
    if not refused:
        return None
    from ddguard.report import paragraph

    parts = [f"ddguard: {paragraph(r)}" for r in refused]
    return "\n\n".join(parts) + "\n\n" + FOOTER.format(project=project)


def check_project(
    root: str = ".",
    *,
    config: Optional[ProjectConfig] = None,
    document: Optional[Mapping[str, Any]] = None,
) -> Optional[str]:
    """The refusal message for the project at ``root``, or None when it may be built."""
    if skipped():
        return None
    path = os.path.join(root, "pyproject.toml")
    if document is None:
        from ddguard.config import load_pyproject

        document = load_pyproject(path) if os.path.isfile(path) else {}
    if config is None:
        config = project_config(path, document)
    pins = build_pins(root)
    if not pins:
        return None
    project = document.get("project", {})
    name = project.get("name") if isinstance(project, dict) else None
    return refusal_message(judge(pins, build_targets(root, config), config), str(name or "this project"))
