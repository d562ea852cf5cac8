"""The paragraph reads right and its suggestions work when checked themselves."""

from __future__ import annotations

import re

import pytest

import ddguard
from ddguard.model import Verdict
from ddguard.report import paragraph
from ddguard.report.words import fixes

C = ddguard.Target.from_compact


@pytest.mark.parametrize(
    "requirement, target",
    [
        ("ddtrace==1.20.19", "cp312-manylinux_x86_64"),
        ("ddtrace==1.20.19", "cp312-manylinux_i686"),  # 4.x has no i686 wheels
        ("ddtrace==2.21.12", "cp311-manylinux_i686"),
        ("ddtrace==2.99.0", "cp312-manylinux_i686"),
        ("ddtrace==1.20.19", "cp38-manylinux_x86_64"),
        ("ddtrace<2", "cp312-win32"),
        ("ddtrace==3.12.2", "cp312-manylinux_x86_64"),  # yanked
    ],
)
def test_every_suggested_requirement_passes_on_the_same_target(requirement, target):
    (result,) = ddguard.check([requirement], C(target)).results
    suggested = re.findall(r"ddtrace((?:[<>=!~]=?[0-9][0-9.]*,?)+)", fixes(result) or "")
    assert suggested, fixes(result)
    for spec in suggested:
        (again,) = ddguard.check([f"ddtrace{spec}"], C(target)).results
        assert again.verdict is Verdict.COMPATIBLE and not again.refused, (spec, again)


def test_a_warning_is_not_given_as_the_reason_for_a_refusal():
    (result,) = ddguard.check(["ddtrace==1.20.19"], C("cp312-manylinux_x86_64")).results
    text = paragraph(result)
    why = text.split(" Why: ")[1].split(" Also: ")[0]
    assert "End of Life" not in why
    assert "Also: release line 1.x is End of Life" in text


def test_a_compatible_release_with_a_warning_says_but():
    (result,) = ddguard.check(["ddtrace==1.20.19"], C("cp311-manylinux_x86_64")).results
    assert ", but release line 1.x is End of Life since " in paragraph(result)
    assert " Why: " not in paragraph(result)


def test_a_file_named_twice_is_reported_once(tmp_path, monkeypatch, capsys):
    from ddguard.cli import main

    (tmp_path / "requirements.txt").write_text("ddtrace==1.20.19\n")
    monkeypatch.chdir(tmp_path)
    args = [
        "check",
        "-r",
        "requirements.txt",
        "--project",
        ".",
        "--target",
        "cp312-manylinux_x86_64",
    ]
    assert main(args) == 1
    assert capsys.readouterr().out.count("REFUSED:") == 1


def test_json_carries_the_facts_of_the_paragraph():
    import json

    from ddguard.report import render_json

    report = ddguard.check(["ddtrace==1.20.19"], C("cp312-manylinux_x86_64"))
    (result,) = json.loads(render_json(report))["results"]
    assert result["reason_codes"] == ["line-runtime", "no-wheel-for-python"]
    assert result["warning_codes"] == ["end-of-life"]
    assert result["fix"] in result["message"] and result["verdict"] == "incompatible"
