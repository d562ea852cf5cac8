"""What the PDM and Poetry plugins share: settings, targets, and the refusal text.

An installer plugin knows three things: the ddtrace requirements it is about to lock or
install, the interpreter of the environment it works on, and the project's declared
Python range (a lock covers every interpreter that range admits). This module turns them
into ``None`` (go ahead) or one refusal message; the plugins turn that into their host's
error. Nothing here imports PDM or Poetry.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from ddguard.api import Report
    from ddguard.evaluate import Result
    from ddguard.knowledge import Knowledge
    from ddguard.target import Target

Minor = Tuple[int, int]


@dataclass(frozen=True)
class Settings:
    """``DDGUARD_MODE`` and the project's ``[tool.ddguard]`` table."""

    mode: str = "strict"  # "strict" refuses, "warn" prints and goes on, "off" skips
    allow_source_build: bool = False
    strict: bool = False

    @property
    def off(self) -> bool:
        return self.mode == "off"


def read_settings(project_dir: Optional[Path]) -> Settings:
    """Settings for a project directory (a missing or unreadable pyproject means defaults)."""
    mode = os.environ.get("DDGUARD_MODE", "").strip().lower() or "strict"
    if mode not in ("strict", "warn", "off"):
        mode = "strict"
    table = _tool_table(project_dir / "pyproject.toml") if project_dir is not None else {}
    return Settings(
        mode=mode,
        allow_source_build=bool(table.get("allow-source-build", False)),
        strict=bool(table.get("strict", False)),
    )


def _tool_table(path: Path) -> Dict[str, Any]:
    try:
        text = path.read_text("utf-8")
    except OSError:
        return {}
    if "tool.ddguard" not in text:
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.8-3.10 only
        import tomli as tomllib
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}  # the installer reports a broken pyproject better than we would
    table = document.get("tool", {}).get("ddguard", {})
    return table if isinstance(table, dict) else {}


def interpreter_target(version: Sequence[int], implementation: str = "cpython") -> Target:
    """The target of an environment's interpreter on this machine (its platform is ours)."""
    from ddguard.target import IMPLEMENTATION_NAMES, Target

    host = Target.from_host()
    if tuple(version[:2]) == host.python and implementation == host.implementation:
        return host
    short = next((k for k, v in IMPLEMENTATION_NAMES.items() if v == implementation), "cp")
    return Target.from_pip_flags(
        python_version=".".join(str(part) for part in version[:3]), implementation=short
    )


def minor_target(minor: Minor) -> Target:
    """CPython ``minor`` on this machine's platform."""
    from ddguard.target import Target

    return Target.from_pip_flags(python_version="%d.%d" % minor, implementation="cp")


@functools.lru_cache(maxsize=None)
def _cpython_minors(knowledge: Knowledge) -> Tuple[Minor, ...]:
    """The CPython minors worth judging: from the oldest any release line supported to
    the newest the newest final release publishes wheels for (a project's open-ended
    range must not be refused for an interpreter no ddtrace release has shipped for)."""
    lows = [low for line in knowledge.lines for low, _ in line.python_ranges()]
    final = [r for r in knowledge.releases if not r.version.is_prerelease and not r.yanked]
    newest = [
        (int(tag.interpreter[2]), int(tag.interpreter[3:]))
        for tag in (final[-1].wheel_tags() if final else ())
        if tag.interpreter.startswith("cp3") and tag.interpreter[2:].isdigit()
    ]
    first3 = min((low for low in lows if low[0] == 3), default=(3, 7))
    last = max(newest, default=(3, 13))
    minors = [(2, 7)] if (2, 7) in lows else []
    minors += [(3, y) for y in range(first3[1], last[1] + 1)]
    return tuple(minors)


def admitted_minors(admits: Callable[[str], bool], knowledge: Knowledge) -> List[Minor]:
    """The CPython minors a project's Python range admits (any of a few patch releases)."""
    return [
        minor
        for minor in _cpython_minors(knowledge)
        if any(admits("%d.%d.%d" % (minor + (patch,))) for patch in (0, 1, 5, 10, 20, 99))
    ]


def specifier_admits(requires_python: str) -> Optional[Callable[[str], bool]]:
    """``requires-python`` as a predicate; ``None`` when it is empty or unreadable."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not requires_python.strip():
        return None
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    return lambda version: spec.contains(version, prereleases=True)


def check(
    requirements: Sequence[str],
    current: Target,
    *,
    settings: Settings,
    python_range: Optional[str] = None,
    admits: Optional[Callable[[str], bool]] = None,
    range_label: str = "requires-python",
) -> Optional[str]:
    """The refusal message for ``requirements`` (``None`` when nothing is refused).

    ``current`` is the environment's interpreter. With ``python_range`` (at lock time: the
    project's ``requires-python`` as written, read as PEP 440 unless ``admits`` says which
    versions it admits) every other CPython that range admits is judged too, on this
    machine's platform, and the refusal names the sub-range that breaks.
    """
    if settings.off or not requirements:
        return None
    from ddguard import knowledge as _knowledge
    from ddguard.api import check as _check
    from ddguard.report import paragraph

    db = _knowledge.load()
    options = {"allow_source_build": settings.allow_source_build, "strict": settings.strict}
    report = _check(requirements, current, knowledge=db, **options)
    refused_here = _unique_refusals(report)
    parts = [paragraph(r) for r in refused_here]
    if admits is None and python_range:
        admits = specifier_admits(python_range)
    if python_range and admits is not None:
        admitted = admitted_minors(admits, db)
        others = [m for m in admitted if m != current.python]
        targets = [minor_target(m) for m in others]
        broken = _unique_refusals(_check(requirements, targets, knowledge=db, **options))
        if broken:
            parts.append(
                _range_paragraph(refused_here, broken, admitted, python_range, range_label)
            )
    return "\n".join(parts) if parts else None


def _unique_refusals(report: Report) -> List[Result]:
    seen = set()
    refused = []
    for result in report.results:
        key = (result.version, result.target, result.verdict)
        if result.refused and key not in seen:
            seen.add(key)
            refused.append(result)
    return refused


def _range_paragraph(
    refused_here: Sequence[Result],
    broken: Sequence[Result],
    admitted: Sequence[Minor],
    requires_python: str,
    label: str,
) -> str:
    """The sub-range of the project's Python range that breaks; the first broken
    interpreter's paragraph only when the environment's own refusal did not already say it."""
    from ddguard.knowledge import format_python_ranges, merge_ranges
    from ddguard.report import paragraph

    bad = sorted({r.target.python for r in [*refused_here, *broken]})
    good = [m for m in admitted if m not in bad]
    where = format_python_ranges(merge_ranges([(m, m) for m in bad]))
    first = broken[0]
    if good and bad[0] > max(good):
        marker = 'python_version < "%d.%d"' % bad[0]
    elif good and bad[-1] < min(good):
        marker = 'python_version >= "%d.%d"' % min(good)
    else:
        marker = "python_version ..."
    declared = " ".join(requires_python.split())
    return (
        f"The project's {label} ({declared}) admits CPython {where}, "
        f"where {first.requirement} does not work, and the lock covers every interpreter "
        f"it admits. Narrow it to exclude them, or add a marker to the requirement "
        f"(; {marker})."
        + ("" if refused_here else f" On CPython {first.target.python_str}: {paragraph(first)}")
    )
