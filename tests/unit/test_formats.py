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
