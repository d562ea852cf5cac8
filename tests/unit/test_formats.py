"""Report formats: text (colour on a TTY only, NO_COLOR), json, markdown, github annotations."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from packaging.specifiers import SpecifierSet

import ddguard
from ddguard.integration_ranges import integration_findings
from ddguard.pins import Pin
from ddguard.report import (
    RENDERERS,
    Format,
    annotation,
    file_location,
    render_github,
    render_markdown,
    render_text,
    use_color,
)
from ddguard.target import Target

CP312 = Target.from_compact("cp312-manylinux_x86_64")
ODD_PATH = "deps, pinned/requirements:prod.txt"


def refused_report():
    pin = Pin("ddtrace==1.20.19", f"{ODD_PATH}:7", SpecifierSet("==1.20.19"))
    report = ddguard.check([pin, "ddtrace==4.0.0"], CP312)
    assert [r.refused for r in report.results] == [True, False]
    findings = integration_findings(
        "4.0.0", CP312, {"Django": "1.7"}, sources={"Django": "app|x/req.txt:3"}
    )
    return replace(report, integrations=tuple(findings), notes=("line one\nline two",))


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "no_color", "term", "expected"),
    [
        (True, None, "xterm", True),
        (False, None, "xterm", False),
        (True, "1", "xterm", False),
        (True, "", "xterm", True),  # an empty NO_COLOR does not count (no-color.org)
        (True, None, "dumb", False),
    ],
)
def test_colour_only_on_a_tty_without_no_color(monkeypatch, tty, no_color, term, expected):
    monkeypatch.setenv("TERM", term)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert use_color(Stream(tty)) is expected


def test_text_colours_status_words_only_when_asked():
    report = refused_report()
    coloured = render_text(report, color=True)
    plain = render_text(report, color=False)
    assert "\x1b[31;1mREFUSED\x1b[0m: ddtrace 1.20.19" in coloured
    assert "\x1b[" not in plain
    assert plain.splitlines()[0].startswith("REFUSED: ddtrace 1.20.19")
    assert "warning: Django 1.7 is below the supported >=2.2.28 for ddtrace 4.x" in plain


def test_text_default_is_plain_when_not_a_tty(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" not in RENDERERS[Format.TEXT](refused_report())  # pytest captures stdout


def test_markdown_is_a_table_with_escaped_cells():
    out = render_markdown(refused_report())
    lines = out.splitlines()
    assert lines[0] == "| status | requirement | source | target | verdict | details |"
    assert lines[1] == "|---|---|---|---|---|---|"
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3
    for row in rows:  # every row has exactly the 6 cells: escaped pipes do not split
        assert len(row.replace("\\|", "").split("|")) == 8
    assert "app\\|x/req.txt:3" in out
    assert "- line one<br>line two" in out
    assert "REFUSED" in rows[0] and f"{ODD_PATH}:7" in rows[0]


def test_github_annotations_for_file_sourced_findings():
    out = render_github(refused_report()).splitlines()
    assert out[0].startswith(
        "::error file=deps%2C pinned/requirements%3Aprod.txt,line=7,title=ddguard::ddtrace 1.20.19"
    )
    assert out[1] == "ok: ddtrace 4.0.0 works on CPython 3.12, manylinux x86_64."
    assert out[2].startswith("::warning file=app|x/req.txt,line=3,title=ddguard::Django 1.7")
    assert out[3] == "::notice title=ddguard::line one%0Aline two"
    assert all("\n" not in line for line in out)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("requirements.txt:3", ("requirements.txt", 3)),
        ("C:\\proj\\req.txt:12", ("C:\\proj\\req.txt", 12)),
        ("argv", None),
        ("installed", None),
        ("pyproject.toml:x", None),
        (":4", None),
    ],
)
def test_file_location(source, expected):
    assert file_location(source) == expected


def test_annotation_escapes_data_and_properties():
    line = annotation("error", "50% done\r\nnext", "a,b:c.txt:9")
    assert line == "::error file=a%2Cb%3Ac.txt,line=9,title=ddguard::50%25 done%0D%0Anext"


def test_json_carries_integration_findings():
    document = json.loads(RENDERERS[Format.JSON](refused_report()))
    assert document["ok"] is False
    (finding,) = document["integrations"]
    assert finding["kind"] == "below-minimum"
    assert finding["source"] == "app|x/req.txt:3"
    assert finding["ddtrace_line"] == "4.x"
    assert document["notes"] == ["line one\nline two"]


def test_cli_accepts_every_format(capsys):
    from ddguard.cli import main

    for fmt in Format:
        assert (
            main(
                [
                    "check",
                    "ddtrace==1.20.19",
                    "--target",
                    "cp312-manylinux_x86_64",
                    "--format",
                    fmt.value,
                ]
            )
            == 1
        )
    out = capsys.readouterr().out
    assert "::error title=ddguard::ddtrace 1.20.19" in out
    assert "| REFUSED | ddtrace==1.20.19 |" in out


COMMA_PATH = "deps, prod/requirements:100%.txt"


def escaping_report():
    """A file-sourced refusal and integration finding under a path with a comma (and ``:``
    and ``%``), each with a message holding a newline (``\\n``, ``\\r\\n``, a lone ``\\r``)."""
    pin = Pin("ddtrace==1.20.19", f"{COMMA_PATH}:7", SpecifierSet("==1.20.19"))
    report = ddguard.check([pin, "ddtrace==4.0.0"], CP312)
    result = replace(report.results[0], fix="use ddtrace>=2\nor stay | on 3.11")
    (finding,) = integration_findings(
        "4.0.0", CP312, {"Django": "1.7"}, sources={"Django": f"{COMMA_PATH}:3"}
    )
    finding = replace(finding, message="Django 1.7 is too old\r\nupgrade: 100% | soon\rplease")
    return replace(
        report,
        results=(result, report.results[1]),
        integrations=(finding,),
        notes=("note one\nnote two: 50%",),
    )


def test_text_keeps_one_record_per_unindented_line():
    out = render_text(escaping_report(), color=False)
    records = [line for line in out.splitlines() if not line.startswith("  ")]
    assert [r.split(":", 1)[0] for r in records] == ["REFUSED", "ok", "warning", "note"]
    assert "\r" not in out
    assert f"({COMMA_PATH}:7)" in records[0] and f"({COMMA_PATH}:3)" in out
    assert "  or stay | on 3.11." in out.splitlines()
    assert "  note two: 50%" in out.splitlines()


def test_json_keeps_paths_and_newlines_verbatim():
    document = json.loads(RENDERERS[Format.JSON](escaping_report()))
    assert document["results"][0]["source"] == f"{COMMA_PATH}:7"
    assert document["results"][0]["fix"] == "use ddtrace>=2\nor stay | on 3.11"
    (finding,) = document["integrations"]
    assert finding["source"] == f"{COMMA_PATH}:3"
    assert finding["message"] == "Django 1.7 is too old\r\nupgrade: 100% | soon\rplease"
    assert document["notes"] == ["note one\nnote two: 50%"]


def test_markdown_cells_escape_pipes_and_line_breaks():
    out = render_markdown(escaping_report())
    assert "\r" not in out
    lines = out.splitlines()
    rows = [line for line in lines if line.startswith("| ")][1:]
    assert len(rows) == 3  # refusal, ok, finding: no row split by a newline
    for row in rows:
        assert row.endswith(" |")
        assert len(row.replace("\\|", "").split("|")) == 8  # 6 cells
    assert f"| {COMMA_PATH}:7 |" in rows[0]
    assert "use ddtrace>=2<br>or stay \\| on 3.11." in rows[0]
    assert "Django 1.7 is too old<br>upgrade: 100% \\| soon<br>please |" in rows[2]
    assert lines[-2:] == ["", "- note one<br>note two: 50%"]


def test_github_escapes_properties_and_data_per_the_workflow_command_rules():
    out = render_github(escaping_report())
    lines = out.splitlines()
    assert len(lines) == 4 and "\r" not in out  # one command per record
    prop = "file=deps%2C prod/requirements%3A100%25.txt"
    assert lines[0].startswith(f"::error {prop},line=7,title=ddguard::ddtrace 1.20.19")
    assert lines[0].endswith("Fix: use ddtrace>=2%0Aor stay | on 3.11.")
    assert lines[1].startswith("ok: ddtrace 4.0.0 works")
    assert lines[2] == (
        f"::warning {prop},line=3,title=ddguard::"
        "Django 1.7 is too old%0D%0Aupgrade: 100%25 | soon%0Dplease"
    )
    assert lines[3] == "::notice title=ddguard::note one%0Anote two: 50%25"


def test_github_plain_lines_cannot_start_a_command():
    report = escaping_report()
    ok = replace(report.results[1], fix="x\n::error::injected")
    out = render_github(replace(report, results=(report.results[0], ok)))
    assert not any(line.startswith("::error::") for line in out.splitlines())
    assert len(out.splitlines()) == 4
