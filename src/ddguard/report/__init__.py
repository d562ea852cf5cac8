"""Every word the user reads and every output format: a registry of renderers over
:class:`ddguard.model.Report`. Facts arrive as values; this package alone makes sentences."""

from __future__ import annotations

import enum
import json
import os
import sys
from typing import Any, Callable, Dict, List, Optional, TextIO, Tuple

from ddguard.model import MissingWheel, Note, Origin, Report, Result
from ddguard.model.findings import IntegrationFinding
from ddguard.record import Record
from ddguard.report import words
from ddguard.report.words import clean, paragraph
from ddguard.target import Target

__all__ = ["RENDERERS", "Format", "Style", "paragraph", "render"]


class Format(str, enum.Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"
    HTML = "html"


class Style(Record):
    """How text output looks: colours, wrapping width (None: no wrapping), one line per
    result, and how much to say."""

    color: bool = False
    width: Optional[int] = None
    compact: bool = False
    quiet: bool = False  # only refusals and errors
    verbose: bool = False  # also the facts that passed


def use_color(choice: str = "auto", stream: Optional[TextIO] = None) -> bool:
    """``--color auto|always|never`` with NO_COLOR (no-color.org), FORCE_COLOR and TERM=dumb."""
    if choice == "never":
        return False
    if choice == "always":
        return True
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    try:
        return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def terminal_width(stream: Optional[TextIO] = None) -> Optional[int]:
    """The width to wrap text at: the terminal's, or None when the output is not one."""
    stream = stream or sys.stdout
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns)


_COLORS = {"REFUSED": "31;1", "warning": "33", "ok": "32", "notice": "36", "note": "2"}


def _word(word: str, color: bool) -> str:
    return f"\x1b[{_COLORS[word]}m{word}\x1b[0m" if color and word in _COLORS else word


def _lines(text: str) -> List[str]:
    return text.splitlines() or [""]


def _record(word: str, text: str, style: Style) -> str:
    """One record: its status word, then continuation lines indented by two spaces, so
    every record starts at column 0 and a message cannot fake another record."""
    first, *rest = _lines(text)
    return "\n".join([f"{_word(word, style.color)}: {first}", *(f"  {line}" for line in rest)])


def _wrap(label: str, text: str, width: Optional[int], hang: bool = False) -> List[str]:
    """``  Why: …`` wrapped under its label when a width is given; ``hang`` continues the
    label's previous line (a further fix) without repeating the label."""
    lead = f"  {label}: "
    first = " " * len(lead) if hang else lead
    if width is None:
        return [first + text]
    import textwrap

    return textwrap.wrap(
        text, width=width, initial_indent=first, subsequent_indent=" " * len(lead), break_on_hyphens=False
    ) or [first]


def result_block(result: Result, style: Style) -> str:
    """The verdict line first, then ``Why:``, ``Also:``, ``Alternatives:`` and ``Fix:`` each
    on its own indented line (wrapped on a terminal), the way uv prints hints."""
    if style.compact:
        return _record(words.status(result), paragraph(result), style)
    parts = words.parts(result)
    head = f"{_word(words.status(result), style.color)}: {parts.head}"
    lines = _wrap_head(head, style.width)
    if parts.why:
        lines += _wrap("Why", "; ".join(parts.why) + ".", style.width)
    if parts.also:
        lines += _wrap("Also", "; ".join(parts.also) + ".", style.width)
    if parts.alternatives:
        lines += _wrap("Alternatives", "; ".join(parts.alternatives) + ".", style.width)
    for index, fix in enumerate(result.fixes):
        text = words.fix(fix, result.target)
        text += "." if index == len(result.fixes) - 1 else ";"
        if index == 0:
            lines += _wrap("Fix", text, style.width)
        else:
            lines += _wrap("Fix", "or " + text, style.width, hang=True)
    return "\n".join(lines)


def _wrap_head(head: str, width: Optional[int]) -> List[str]:
    if width is None:
        return [head]
    import textwrap

    return textwrap.wrap(head, width=width, subsequent_indent="  ", break_on_hyphens=False) or [head]


def render_text(report: Report, style: Style = Style()) -> str:
    lines: List[str] = []
    for result in report.results:
        if style.quiet and not result.refused:
            continue
        lines.append(result_block(result, style))
    for finding in report.integrations:
        if style.quiet and not finding.refused:
            continue
        lines.append(_record(words.finding_status(finding), words.finding(finding) + _at(finding.origin) + ".", style))
    if not style.quiet:
        lines.extend(_record("note", words.note(note), style) for note in report.notes)
    if style.verbose:
        lines.extend(_record("note", f"read {words.path(f)}", style) for f in report.files)
    if not lines and not style.quiet:
        lines.append("no ddtrace requirement to check")
    return "\n".join(lines) + "\n" if lines else ""


def _at(origin: Origin) -> str:
    where = words.source(origin)
    return f" ({where})" if where and origin.kind.value != "installed" else ""


# --- JSON ---------------------------------------------------------------------------------


def target_json(target: Target) -> Dict[str, Any]:
    return {
        "implementation": target.implementation.value,
        "python_version": target.python_full_str if not target.declared else target.python_str,
        "abis": list(target.abis),
        "platforms": list(target.platforms[:3]) + (["..."] if len(target.platforms) > 3 else []),
        "os": target.os.value,
        "arch": target.arch.value if target.arch.value != "other" else words.platform(target).split()[-1],
        "libc": target.libc.value if target.libc else None,
        "description": words.target(target),
        "declared": target.declared,
    }


def origin_json(origin: Origin) -> Dict[str, Any]:
    return {
        "kind": origin.kind.value,
        "path": words.path(origin.path) if origin.path else None,
        "line": origin.line,
        "name": origin.name,
        "included_by": list(origin.included_by),
        "tool": origin.tool,
        "factor": origin.factor,
        "requirers": list(origin.requirers),
        "direct": origin.direct,
    }


def result_json(result: Result) -> Dict[str, Any]:
    pin = result.pin
    parts = words.parts(result)
    specifier = (
        " || ".join(str(s) for s in pin.alternatives) if pin.alternatives else str(pin.specifier)
    )
    return {
        "requirement": clean(pin.text),
        "specifier": specifier,
        "source": words.source(pin.origin) or "argv",
        "origin": origin_json(pin.origin),
        "target": words.target(result.target),
        "version": str(result.version) if result.version is not None else None,
        "verdict": result.verdict.value,
        "refused": result.refused,
        "support_level": result.support_level.value if result.support_level else None,
        "reasons": parts.why,
        "reason_codes": [r.code.value for r in result.reasons],
        "dependencies": [_dependency_json(r.dependency) for r in result.reasons if r.dependency],
        "warnings": [words.reason(w, result.target) for w in result.warnings],
        "warning_codes": [w.code.value for w in result.warnings],
        "fix": words.fixes(result),
        "fixes": [_fix_json(f, result) for f in result.fixes],
        "compatible_range": words.runs(result.compatible) if result.compatible else None,
        "alternatives": words.alternatives(result),
        "message": paragraph(result),
    }


def _dependency_json(gap: MissingWheel) -> Dict[str, Any]:
    return {
        "package": gap.package,
        "specifier": gap.specifier,
        "required_by": gap.required_by,
        "extra": gap.extra,
        "via": list(gap.via),
        "missing": gap.missing.value,
        "picked": gap.picked,
        "newest_with_wheel": gap.newest_with_wheel,
        "compiled": gap.compiled,
    }


def _fix_json(fix: Any, result: Result) -> Dict[str, Any]:
    return {
        "kind": fix.kind.value,
        "requirement": f"{fix.package or 'ddtrace'}{fix.specifier}" if fix.specifier else None,
        "newest": str(fix.newest) if fix.newest is not None else None,
        "python": "%d.%d" % fix.python if fix.python else None,
        "text": words.fix(fix, result.target),
    }


def finding_json(finding: IntegrationFinding) -> Dict[str, Any]:
    return {
        "integration": finding.integration,
        "package": finding.package,
        "version": finding.version,
        "ddtrace_line": f"{finding.ddtrace_line}.x",
        "kind": finding.kind.value,
        "supported": finding.supported,
        "source": words.source(finding.origin) or "installed",
        "target": words.target(finding.target),
        "automatic": finding.automatic,
        "refused": finding.refused,
        "message": words.finding(finding),
    }


def note_json(note: Note) -> str:
    return words.note(note)


def render_json(report: Report, style: Style = Style()) -> str:
    document = {
        "ok": report.ok,
        "target": target_json(report.target),
        "targets": [target_json(t) for t in report.targets],
        "results": [result_json(r) for r in report.results],
        "integrations": [finding_json(f) for f in report.integrations],
        "notes": [note_json(n) for n in report.notes],
        "note_codes": [n.code.value for n in report.notes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- markdown and GitHub ------------------------------------------------------------------


def _cell(text: Optional[str]) -> str:
    """A markdown table cell: pipes escaped, line breaks as <br>."""
    if not text:
        return ""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return "<br>".join(_lines(text))


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_markdown(report: Report, style: Style = Style()) -> str:
    """A table for pull-request comments and the Actions step summary."""
    rows = [
        "| status | requirement | source | target | verdict | details |",
        "|---|---|---|---|---|---|",
    ]
    for result in report.results:
        subject = clean(result.pin.text) + (f" → {result.version}" if result.picked else "")
        rows.append(
            _row(
                words.status(result),
                subject,
                words.source(result.pin.origin) or "argv",
                words.target(result.target),
                result.verdict.value,
                paragraph(result),
            )
        )
    for finding in report.integrations:
        rows.append(
            _row(
                words.finding_status(finding),
                f"{finding.package}=={finding.version}",
                words.source(finding.origin) or "installed",
                words.target(finding.target),
                f"integration {finding.kind.value}",
                words.finding(finding),
            )
        )
    out = "\n".join(rows) + "\n" if len(rows) > 2 else "no ddtrace requirement to check\n"
    if report.notes:
        out += "\n" + "\n".join(f"- {_cell(words.note(n))}" for n in report.notes) + "\n"
    return out


def _command_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, location: Optional[Tuple[str, Optional[int]]]) -> str:
    """One GitHub Actions workflow command: ``::error file=…,line=…,title=…::message``."""
    props = []
    if location is not None:
        props.append(f"file={_command_property(words.path(location[0]))}")
        if location[1]:
            props.append(f"line={location[1]}")
    props.append("title=ddguard")
    return f"::{level} {','.join(props)}::{_command_data(message)}"


def _location(origin: Origin) -> Optional[Tuple[str, Optional[int]]]:
    if origin.path is None or origin.kind.value == "installed":
        return None
    return origin.path, origin.line


def render_github(report: Report, style: Style = Style()) -> str:
    """Actions annotations: errors for refusals, warnings for problems, notices otherwise."""
    lines: List[str] = []
    for result in report.results:
        if result.refused:
            level = "error"
        elif result.problem:
            level = "warning"
        else:
            lines.append("ok: " + paragraph(result))  # plain: one line
            continue
        lines.append(annotation(level, paragraph(result), _location(result.pin.origin)))
    for finding in report.integrations:
        level = "error" if finding.refused else "warning" if finding.problem else "notice"
        lines.append(annotation(level, words.finding(finding), _location(finding.origin)))
    for note in report.notes:
        where = (note.path, note.line) if note.path else None
        lines.append(annotation("notice", words.note(note), where))
    if not lines:
        lines.append("no ddtrace requirement to check")
    return "\n".join(lines) + "\n"


def render_html(report: Report, style: Style = Style()) -> str:
    from ddguard.report.html import render_report_html

    return render_report_html(report)


RENDERERS: Dict[Format, Callable[[Report, Style], str]] = {
    Format.TEXT: render_text,
    Format.JSON: render_json,
    Format.MARKDOWN: render_markdown,
    Format.GITHUB: render_github,
    Format.HTML: render_html,
}


def render(report: Report, fmt: Format = Format.TEXT, style: Style = Style()) -> str:
    return RENDERERS[fmt](report, style)
