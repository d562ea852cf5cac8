"""One self-contained HTML page: the compatibility matrix a platform team puts in its docs,
or a check's results. No script, no external request, printable; the reason of every cell
is in its tooltip (``title``) and, for the check page, in the table itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Sequence, Tuple

from ddguard import __version__
from ddguard.model import Report, Result, Verdict
from ddguard.report.words import clean, paragraph, platform, status

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge
    from ddguard.model import MatrixCell

STYLE = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1b1f24; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #c8ccd1; padding: 3px 6px; text-align: center; }
th { background: #f3f4f6; font-weight: 600; }
td.compatible { background: #c7f0d2; } td.source-build { background: #ffe8a3; }
td.incompatible { background: #f9c5c5; } td.unknown { background: #e2e4e8; }
td.details { text-align: left; max-width: 60em; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border: 1px solid #c8ccd1; }
footer { margin-top: 2em; color: #555; font-size: 0.9em; }
@media print { body { margin: 0.5cm; } h2 { break-before: auto; } table { break-inside: avoid; } }
"""
LEGEND = (
    ("compatible", "a wheel installs and the line supports it"),
    ("source-build", "pip would build the sdist"),
    ("incompatible", "refused: policy, Requires-Python or no wheel"),
)
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def escape(text: str) -> str:
    """Text as HTML character data or an attribute value (control characters dropped)."""
    return "".join(_ESCAPES.get(c, c) for c in clean(text))


def _page(title: str, body: List[str], footer: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            '<p class="legend">'
            + "".join(f'<span class="{c}" title="{escape(t)}">{c}</span>' for c, t in LEGEND)
            + "</p>",
            *body,
            f"<footer>{footer}</footer>",
            "</body></html>",
            "",
        ]
    )


def _cell(result: Result) -> str:
    verdict = result.verdict.value
    shown = str(result.version) if result.version is not None else "—"
    if result.verdict is Verdict.INCOMPATIBLE:
        shown = "✗"
    return f'<td class="{verdict}" title="{escape(paragraph(result))}">{escape(shown)}</td>'


def render_matrix_html(knowledge: Knowledge, cells: Sequence[MatrixCell]) -> str:
    """Per platform, a table of release lines (rows) by CPython versions (columns); each
    cell is the release an installer picks from the line there, coloured by its verdict."""
    by_platform: Dict[str, Dict[int, Dict[Tuple[int, int], Result]]] = {}
    pythons: List[Tuple[int, int]] = []
    for cell in cells:
        by_platform.setdefault(cell.platform, {}).setdefault(cell.line, {})[cell.python] = cell.result
        if cell.python not in pythons:
            pythons.append(cell.python)
    pythons.sort()
    body: List[str] = []
    for compact, lines in by_platform.items():
        sample = next(iter(next(iter(lines.values())).values())).target
        body.append(f'<h2 id="{escape(compact)}">{escape(platform(sample))}</h2>')
        head = "".join(f"<th>CPython {p[0]}.{p[1]}</th>" for p in pythons)
        rows = [f"<table><thead><tr><th>ddtrace</th>{head}</tr></thead><tbody>"]
        for major, by_python in lines.items():
            cells_html = "".join(_cell(by_python[p]) if p in by_python else "<td></td>" for p in pythons)
            rows.append(f"<tr><th>{major}.x</th>{cells_html}</tr>")
        rows.append("</tbody></table>")
        body.extend(rows)
    footer = (
        f"ddguard {escape(__version__)}. Each cell: the release an installer picks from the line "
        "(<code>ddtrace&gt;=X.0,&lt;X+1</code>) on that CPython and platform; hover for the reason. "
        "Sources: ddtrace's published Python Compatibility Requirements page (2.x era) and the "
        f"package index's release facts, snapshot of {escape(knowledge.info.fetched)}."
    )
    return _page("ddtrace compatibility matrix", body, footer)


def render_report_html(report: Report) -> str:
    """A check's results as a page: one row per requirement and target."""
    from ddguard.report.words import note, source, target

    rows = [
        "<table><thead><tr><th>status</th><th>requirement</th><th>source</th><th>target</th>"
        "<th>verdict</th><th>details</th></tr></thead><tbody>"
    ]
    for result in report.results:
        rows.append(
            "<tr>"
            f"<td>{escape(status(result))}</td>"
            f"<td>{escape(result.pin.text)}</td>"
            f"<td>{escape(source(result.pin.origin) or 'argv')}</td>"
            f"<td>{escape(target(result.target))}</td>"
            f'<td class="{result.verdict.value}">{escape(result.verdict.value)}</td>'
            f'<td class="details">{escape(paragraph(result))}</td>'
            "</tr>"
        )
    rows.append("</tbody></table>")
    if report.notes:
        rows.append("<ul>" + "".join(f"<li>{escape(note(n))}</li>" for n in report.notes) + "</ul>")
    targets = "; ".join(target(t) for t in report.targets)
    return _page("ddguard check", rows, f"ddguard {escape(__version__)}; targets: {escape(targets)}.")
