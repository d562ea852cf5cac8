"""Report formats: text (sections on their own lines, colour only when asked), compact text,
json, markdown, github annotations; and nothing from a file can fake a record."""

from __future__ import annotations

import io
import json
import re

import pytest
from packaging.specifiers import SpecifierSet

import ddguard
from ddguard.model import Note, NoteCode, Origin, OriginKind, Pin
from ddguard.model.findings import FindingCase, FindingKind, IntegrationFinding
from ddguard.report import (
    Format,
    Style,
    annotation,
    render,
    render_github,
    render_json,
    render_markdown,
    render_text,
    use_color,
)
from ddguard.target import Target

CP312 = Target.from_compact("cp312-manylinux_x86_64")
ODD_PATH = "deps, pinned/requirements:100%.txt"


def pin_at(path: str, line: int, text: str = "ddtrace==1.20.19") -> Pin:
    return Pin(text=text, specifier=SpecifierSet("==1.20.19"), origin=Origin(OriginKind.DEPENDENCY, path=path, line=line))


def django_17(path: str) -> IntegrationFinding:
    return IntegrationFinding(
        integration="django",
        package="Django",
        version="1.7",
        ddtrace_line=4,
        kind=FindingKind.BELOW_MINIMUM,
        case=FindingCase.BELOW_FLOOR,
        supported=">=2.2.28",
        origin=Origin(OriginKind.DEPENDENCY, path=path, line=3),
        target=CP312,
        automatic=True,
        refused=False,
        category="web",
    )


def refused_report(path: str = ODD_PATH, text: str = "ddtrace==1.20.19") -> ddguard.Report:
    report = ddguard.check([pin_at(path, 7, text), "ddtrace==4.0.0"], CP312)
    assert [r.refused for r in report.results] == [True, False]
    return report._replace(
        integrations=(django_17(path),),
        notes=(Note(NoteCode.NO_DDTRACE_IN, path=f"{path}\nforged"),),
    )


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("choice", "tty", "no_color", "force", "term", "expected"),
    [
        ("auto", True, None, None, "xterm", True),
        ("auto", False, None, None, "xterm", False),
        ("auto", True, "1", None, "xterm", False),
        ("auto", True, "", None, "xterm", True),  # an empty NO_COLOR does not count (no-color.org)
        ("auto", True, None, None, "dumb", False),
        ("auto", False, None, "1", "xterm", True),  # FORCE_COLOR on a pipe
        ("auto", True, "1", "1", "xterm", False),  # NO_COLOR wins
        ("always", False, "1", None, "dumb", True),
        ("never", True, None, "1", "xterm", False),
    ],
)
def test_colour_choice(monkeypatch, choice, tty, no_color, force, term, expected):
    monkeypatch.setenv("TERM", term)
    for name, value in (("NO_COLOR", no_color), ("FORCE_COLOR", force)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert use_color(choice, Stream(tty)) is expected


def test_text_puts_each_section_on_its_own_indented_line():
    (result,) = ddguard.check(["ddtrace==1.20.19"], CP312).results
    out = render_text(ddguard.Report(targets=(CP312,), results=(result,)))
    lines = out.splitlines()
    assert lines[0] == "REFUSED: ddtrace 1.20.19 does not work on CPython 3.12, manylinux x86_64."
    assert lines[1].startswith("  Why: release line 1.x (>=1.0,<2) supports CPython 2.7, 3.5–3.11")
    assert lines[2].startswith("  Also: release line 1.x is End of Life since ")
    assert lines[3].startswith("  Fix: use ddtrace>=2.0.1") and lines[3].endswith(";")
    assert lines[4].startswith("       or run ddtrace 1.20.19 on CPython 3.11") and lines[4].endswith(".")


def test_text_wraps_to_the_width_under_its_label():
    (result,) = ddguard.check(["ddtrace==1.20.19"], CP312).results
    out = render_text(ddguard.Report(targets=(CP312,), results=(result,)), Style(width=60))
    assert all(len(line) <= 60 for line in out.splitlines())
    why = out.split("  Why: ", 1)[1].split("\n  Also:", 1)[0]
    assert all(line.startswith("       ") for line in why.splitlines()[1:])


def test_compact_text_is_one_line_per_result():
    report = refused_report()
    out = render_text(report, Style(compact=True))
    records = out.splitlines()
    assert records[0].startswith("REFUSED: ddtrace 1.20.19") and " Why: " in records[0] and " Fix: " in records[0]
    assert records[1] == "ok: ddtrace 4.0.0 works on CPython 3.12, manylinux x86_64."


def test_quiet_says_only_refusals_and_verbose_adds_files():
    report = refused_report()._replace(files=("requirements.txt",))
    quiet = render_text(report, Style(quiet=True))
    assert quiet.startswith("REFUSED:") and "ok:" not in quiet and "note:" not in quiet
    assert "warning: Django" not in quiet
    verbose = render_text(report, Style(verbose=True))
    assert "note: read requirements.txt" in verbose


def test_text_colours_status_words_only_when_asked():
    report = refused_report()
    coloured = render_text(report, Style(color=True))
    plain = render_text(report, Style(color=False))
    assert "\x1b[31;1mREFUSED\x1b[0m: ddtrace 1.20.19" in coloured
    assert "\x1b[" not in plain
    assert "warning: Django 1.7 is below the supported >=2.2.28 for ddtrace 4.x" in plain


def test_nothing_from_a_file_can_fake_a_record_or_a_command():
    """Paths, requirement texts and notes carry newlines and carriage returns: every record
    still starts at column 0 with a status word, and no output line starts a command."""
    report = refused_report(path="x\n::error::forged\rREFUSED: y", text="ddtrace==1.20.19\n::error::z")
    for fmt in Format:
        out = render(report, fmt, Style(compact=True))
        assert "\r" not in out
        assert not any(line.startswith("::error::") for line in out.splitlines()), fmt
        if fmt is Format.TEXT:
            records = [line for line in out.splitlines() if not line.startswith(" ")]
            assert [r.split(":", 1)[0] for r in records] == ["REFUSED", "ok", "warning", "note"]


def test_markdown_is_a_table_with_escaped_cells():
    out = render_markdown(refused_report())
    lines = out.splitlines()
    assert lines[0] == "| status | requirement | source | target | verdict | details |"
    assert lines[1] == "|---|---|---|---|---|---|"
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3
    for row in rows:  # every row has exactly the 6 cells: escaped pipes do not split
        assert len(row.replace("\\|", "").split("|")) == 8
    assert "REFUSED" in rows[0] and f"{ODD_PATH}:7" in rows[0]


def test_github_annotations_escape_properties_and_data():
    out = render_github(refused_report()).splitlines()
    prop = "file=deps%2C pinned/requirements%3A100%25.txt"
    assert out[0].startswith(f"::error {prop},line=7,title=ddguard::ddtrace 1.20.19")
    assert out[1] == "ok: ddtrace 4.0.0 works on CPython 3.12, manylinux x86_64."
    assert out[2].startswith(f"::warning {prop},line=3,title=ddguard::Django 1.7 is below")
    assert out[3].startswith("::notice ")
    assert all("\n" not in line for line in out)


def test_annotation_escapes_data_and_properties():
    line = annotation("error", "50% done\r\nnext", ("a,b:c.txt", 9))
    assert line == "::error file=a%2Cb%3Ac.txt,line=9,title=ddguard::50%25 done%0D%0Anext"


def test_json_carries_structure_and_words():
    document = json.loads(render_json(refused_report()))
    assert document["ok"] is False
    refused = document["results"][0]
    assert refused["source"] == f"{ODD_PATH}:7"
    assert refused["specifier"] == "==1.20.19"
    assert refused["origin"] == {
        "kind": "dependency",
        "path": ODD_PATH,
        "line": 7,
        "name": None,
        "included_by": [],
        "tool": None,
        "factor": None,
        "requirers": [],
        "direct": None,
    }
    assert [f["kind"] for f in refused["fixes"]] == ["move-to", "other-python"]
    assert refused["fixes"][0]["requirement"].startswith("ddtrace>=2.0.1")
    (finding,) = document["integrations"]
    assert finding["kind"] == "below-minimum" and finding["ddtrace_line"] == "4.x"
    assert document["note_codes"] == ["no-ddtrace-in"]


def test_cli_accepts_every_format(capsys):
    from ddguard.cli import main

    for fmt in Format:
        code = main(["check", "ddtrace==1.20.19", "--target", "cp312-manylinux_x86_64", "--format", fmt.value])
        assert code == 1
    out = capsys.readouterr().out
    assert "::error title=ddguard::ddtrace 1.20.19" in out
    assert "| REFUSED | ddtrace==1.20.19 |" in out


def test_output_to_an_ascii_stream_falls_back_to_ascii_punctuation():
    from ddguard.cli import out

    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    out("CPython 2.7, 3.5–3.11 → ok…\n", stream)
    stream.flush()
    assert stream.buffer.getvalue() == b"CPython 2.7, 3.5-3.11 -> ok...\n"  # type: ignore[attr-defined]


def test_html_escapes_every_value_and_references_nothing_outside():
    from ddguard.report import render_html

    report = refused_report(path='<script>alert(1)</script>"x', text="ddtrace==1.20.19")
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import|https?://""", page)
    assert "default-src 'none'" in page


def test_matrix_html_has_a_cell_per_line_platform_and_python():
    from ddguard.api import MATRIX_PLATFORMS, matrix_grid
    from ddguard.report.html import render_matrix_html

    db, cells = matrix_grid()
    page = render_matrix_html(db, cells)
    assert len(cells) == len(db.lines) * len(MATRIX_PLATFORMS) * len(db.cpython_minors)
    assert page.count("<td class=") == len(cells)
    assert f"snapshot of {db.info.fetched}" in page
