"""Render a Report: the user-facing paragraph, and a registry of output formats."""

from __future__ import annotations

import enum
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, TextIO, Tuple

from ddguard.api import Report
from ddguard.evaluate import Result, Verdict
from ddguard.target import Target

if TYPE_CHECKING:
    from ddguard.integration_ranges import IntegrationFinding


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"


def paragraph(result: Result) -> str:
    """One short paragraph: what is wrong, why (the facts), and what to do instead."""
    where = f" ({result.source})" if result.source != "argv" else ""
    target = result.target.describe()
    subject = f"ddtrace {result.version}" if result.version else result.requirement
    picked = ""
    if result.picked:
        picked = f" (the release an installer picks for {result.requirement})"
    reasons = [r.text for r in result.reasons]
    warnings = [w.text for w in result.warnings]
    if result.verdict is Verdict.INCOMPATIBLE:
        head = f"{subject}{picked} does not work on {target}{where}."
    elif result.verdict is Verdict.SOURCE_BUILD:
        head = (
            f"{subject}{picked} has no wheel for {target}{where}: pip would build it from source."
        )
    elif result.verdict is Verdict.UNKNOWN:
        head = f"{subject}{picked} cannot be checked for {target}{where}."
    elif warnings and not reasons:  # works, but: end of life, yanked
        head = f"{subject}{picked} works on {target}{where}, but " + "; ".join(warnings) + "."
        warnings = []
    else:
        head = f"{subject}{picked} works on {target}{where}."
    text = head
    if reasons:
        text += " Why: " + "; ".join(reasons) + "."
    if warnings:  # not why it is refused: said apart
        text += " Also: " + "; ".join(warnings) + "."
    if result.alternatives:  # a union: what each alternative gives here
        text += " Alternatives: " + "; ".join(result.alternatives) + "."
    if result.fix:
        text += " Fix: " + result.fix + "."
    return text


def status_word(result: Result) -> str:
    if result.refused:
        return "REFUSED"
    if result.verdict is Verdict.COMPATIBLE and not result.warnings:
        return "ok"
    return "warning"


_COLORS = {"REFUSED": "31;1", "warning": "33", "ok": "32", "notice": "36", "note": "2"}


def use_color(stream: Optional[TextIO] = None) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def _word(word: str, color: bool) -> str:
    return f"\x1b[{_COLORS[word]}m{word}\x1b[0m" if color and word in _COLORS else word


def finding_word(finding: IntegrationFinding) -> str:
    if finding.refused:
        return "REFUSED"
    return "warning" if finding.problem else "notice"


def finding_text(finding: IntegrationFinding) -> str:
    where = f" ({finding.source})" if finding.source != "installed" else ""
    return f"{finding.message}{where}."


def _lines(text: str) -> List[str]:
    """Line breaks of any kind (``\n``, ``\r\n``, a lone ``\r``) split a message."""
    return text.splitlines() or [""]


def _record(word: str, text: str, color: bool) -> str:
    """One record: its status word, then continuation lines indented by two spaces, so
    every record starts at column 0 and a message cannot fake another record."""
    first, *rest = _lines(text)
    return "\n".join([f"{_word(word, color)}: {first}", *(f"  {line}" for line in rest)])


def render_text(report: Report, color: Optional[bool] = None) -> str:
    color = use_color() if color is None else color
    lines: List[str] = []
    for result in report.results:
        lines.append(_record(status_word(result), paragraph(result), color))
    for finding in report.integrations:
        lines.append(_record(finding_word(finding), finding_text(finding), color))
    lines.extend(_record("note", note, color) for note in report.notes)
    if not report.results and not report.notes and not report.integrations:
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
        "warning_codes": [w.code.value for w in result.warnings],
        "fix": result.fix,
        "compatible_range": result.compatible_range,
        "alternatives": list(result.alternatives),
        "message": paragraph(result),
    }


def render_json(report: Report) -> str:
    document = {
        "ok": report.ok,
        "target": target_json(report.target),
        "targets": [target_json(t) for t in report.targets],
        "results": [result_json(r) for r in report.results],
        "integrations": [finding_json(f) for f in report.integrations],
        "notes": list(report.notes),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def finding_json(finding: IntegrationFinding) -> Dict[str, Any]:
    return {
        "integration": finding.integration,
        "package": finding.package,
        "version": finding.version,
        "ddtrace_line": f"{finding.ddtrace_line}.x",
        "kind": finding.kind.value,
        "supported": finding.supported,
        "source": finding.source,
        "target": finding.target.describe(),
        "automatic": finding.automatic,
        "refused": finding.refused,
        "message": finding.message,
    }


def _cell(text: Optional[str]) -> str:
    """A markdown table cell: pipes escaped, line breaks as <br>."""
    if not text:
        return ""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(_lines(text))


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_markdown(report: Report) -> str:
    """A table for pull-request comments."""
    rows = [
        "| status | requirement | source | target | verdict | details |",
        "|---|---|---|---|---|---|",
    ]
    for result in report.results:
        subject = result.requirement + (f" → {result.version}" if result.picked else "")
        rows.append(
            _row(
                status_word(result),
                subject,
                result.source,
                result.target.describe(),
                result.verdict.value,
                paragraph(result),
            )
        )
    for finding in report.integrations:
        rows.append(
            _row(
                finding_word(finding),
                f"{finding.package}=={finding.version}",
                finding.source,
                finding.target.describe(),
                f"integration {finding.kind.value}",
                finding.message,
            )
        )
    out = "\n".join(rows) + "\n" if len(rows) > 2 else "no ddtrace requirement to check\n"
    if report.notes:
        out += "\n" + "\n".join(f"- {_cell(note)}" for note in report.notes) + "\n"
    return out


def file_location(source: str) -> Optional[Tuple[str, int]]:
    """``"path:line"`` -> (path, line); None for argv, installed and other sources."""
    path, sep, line = source.rpartition(":")
    if not sep or not path or not line.isdigit():
        return None
    return path, int(line)


def _command_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, source: str) -> str:
    """One GitHub Actions workflow command: ``::error file=…,line=…,title=…::message``."""
    props = []
    location = file_location(source)
    if location is not None:
        props.append(f"file={_command_property(location[0])}")
        props.append(f"line={location[1]}")
    props.append("title=ddguard")
    return f"::{level} {','.join(props)}::{_command_data(message)}"


def render_github(report: Report) -> str:
    """Actions annotations: errors for refusals, warnings for problems, notices otherwise."""
    lines: List[str] = []
    for result in report.results:
        if result.refused:
            level = "error"
        elif result.problem:
            level = "warning"
        else:
            lines.append("ok: " + " ".join(_lines(paragraph(result))))  # plain: one line
            continue
        lines.append(annotation(level, paragraph(result), result.source))
    for finding in report.integrations:
        level = "error" if finding.refused else "warning" if finding.problem else "notice"
        lines.append(annotation(level, finding.message, finding.source))
    lines.extend(annotation("notice", note, "") for note in report.notes)
    if not lines:
        lines.append("no ddtrace requirement to check")
    return "\n".join(lines) + "\n"


RENDERERS: Dict[Format, Callable[[Report], str]] = {
    Format.TEXT: render_text,
    Format.JSON: render_json,
    Format.MARKDOWN: render_markdown,
    Format.GITHUB: render_github,
}
