"""Find every ddtrace requirement a project declares or locks, as data (never runs setup.py).

Contract used by the CLI, the build hooks and the tox/nox/PDM/Poetry guards:
``read_requirements_file(path)`` and ``scan_project(path)`` return :class:`Pin` objects
that ``ddguard.check()`` judges; ``source`` is ``"path:line"``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional, Tuple

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet


class PinKind(enum.Enum):
    DECLARED = "declared"  # a requirement a person wrote (requirements file, pyproject, ...)
    LOCKED = "locked"  # an entry a lock file recorded (uv.lock, poetry.lock, ...)
    CONSTRAINT = "constraint"  # pip -c file, uv constraint-dependencies


@dataclass(frozen=True)
class Pin:
    requirement: str  # as written, e.g. "ddtrace[opentracing]>=2,<3 ; python_version<'3.12'"
    source: str  # "path:line"
    specifier: "SpecifierSet"  # normalized PEP 440 specifier (locks: ==version)
    marker: Optional["Marker"] = None  # evaluated against each target, not the host
    kind: PinKind = PinKind.DECLARED
    context: Optional[str] = None  # "extra 'tracing'", "group 'dev'", "build-system.requires"...
    unknown_reason: Optional[str] = None  # editable/VCS/unversioned reference: reported unknown
    wheel_tags: Tuple[str, ...] = ()  # tags of locked/direct-reference wheel files, if recorded


@dataclass(frozen=True)
class ProjectScan:
    pins: Tuple[Pin, ...]
    notes: Tuple[str, ...] = field(default=())
    python_range: Optional["SpecifierSet"] = None  # requires-python / Poetry's python
    files: Tuple[str, ...] = field(default=())  # project files that were read
