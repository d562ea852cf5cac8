"""Render a Report: the user-facing paragraph, and a registry of output formats."""

from __future__ import annotations

import enum
import json
from typing import Any, Callable, Dict, List

from ddguard.api import Report
from ddguard.evaluate import Result, Verdict
from ddguard.target import Target


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"


def paragraph(result: Result) -> str:
    """One short paragraph: what is wrong, why (the facts), and what to do instead."""
    where = f" ({result.source})" if result.source != "argv" else ""
    target = result.target.describe()
    subject = f"ddtrace {result.version}" if result.version else result.requirement
    picked = ""
    if result.picked:
        picked = f" (the release pip picks for {result.requirement})"
    if result.verdict is Verdict.INCOMPATIBLE:
        head = f"{subject}{picked} does not work on {target}{where}."
    elif result.verdict is Verdict.SOURCE_BUILD:
        head = (
            f"{subject}{picked} has no wheel for {target}{where}: pip would build it from source."
        )
    elif result.verdict is Verdict.UNKNOWN:
        head = f"{subject}{picked} cannot be checked for {target}{where}."
    else:
        head = f"{subject}{picked} works on {target}{where}."
    facts = [r.text for r in result.reasons] + [w.text for w in result.warnings]
    text = head
    if facts:
        text += " Why: " + "; ".join(facts) + "."
    if result.fix:
        text += " Fix: " + result.fix + "."
    return text


def status_word(result: Result) -> str:
    if result.refused:
        return "REFUSED"
    if result.verdict is Verdict.COMPATIBLE and not result.warnings:
        return "ok"
    return "warning"


def render_text(report: Report) -> str:
    lines: List[str] = []
    for result in report.results:
        lines.append(f"{status_word(result)}: {paragraph(result)}")
    lines.extend(f"note: {note}" for note in report.notes)
    if not report.results and not report.notes:
        lines.append("no ddtrace requirement to check")
    return "\n".join(lines) + "\n"


def target_json(target: Target) -> Dict[str, Any]:
    return {
        "implementation": target.implementation,
        "python_version": target.python_full_str if not target.declared else target.python_str,
        "abis": list(target.abis),
        "platforms": list(target.platforms[:3]) + (["..."] if len(target.platforms) > 3 else []),
        "os": target.os,
        "arch": target.arch,
        "libc": target.libc,
        "description": target.describe(),
        "declared": target.declared,
    }


def result_json(result: Result) -> Dict[str, Any]:
    return {
        "requirement": result.requirement,
        "source": result.source,
        "target": result.target.describe(),
        "version": result.version,
        "verdict": result.verdict.value,
        "refused": result.refused,
        "support_level": result.support_level.value if result.support_level else None,
        "reasons": [r.text for r in result.reasons],
        "reason_codes": [r.code.value for r in result.reasons],
        "warnings": [w.text for w in result.warnings],
        "fix": result.fix,
        "compatible_range": result.compatible_range,
        "message": paragraph(result),
    }


def render_json(report: Report) -> str:
    document = {
        "ok": report.ok,
        "target": target_json(report.target),
        "targets": [target_json(t) for t in report.targets],
        "results": [result_json(r) for r in report.results],
        "notes": list(report.notes),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


RENDERERS: Dict[Format, Callable[[Report], str]] = {
    Format.TEXT: render_text,
    Format.JSON: render_json,
}
