"""One rule, one answer: every suggested fix passes under the options that refused; the CLI
and the installer plugins judge a project's Python range the same way, in the same words;
the build hooks judge only what the build installs."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Iterator

import pytest

import ddguard
from ddguard.api import CheckRequest, installer_check, refusal_text, run_check
from ddguard.model import FixKind, NoteCode, Options
from ddguard.report.words import note
from ddguard.target import Target

C = Target.from_compact
CASES = [
    ("ddtrace==1.20.19", "cp312-manylinux_x86_64"),
    ("ddtrace==1.20.19", "cp311-manylinux_x86_64"),  # works, End of Life
    ("ddtrace==2.21.12", "cp312-manylinux_i686"),
    ("ddtrace<2", "cp312-win32"),
    ("ddtrace==4.16.0", "cp312-macosx_arm64"),  # a source build on an old macOS family? judged as is
    ("ddtrace==3.12.2", "cp312-manylinux_x86_64"),  # yanked
    ("ddtrace>=1,<3", "cp313-musllinux_aarch64"),
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("allow_source_build", [False, True])
@pytest.mark.parametrize("requirement, compact", CASES)
def test_every_fix_passes_under_the_same_options(requirement, compact, strict, allow_source_build):  # type: ignore[no-untyped-def]
    options = {"strict": strict, "allow_source_build": allow_source_build}
    target = C(compact)
    (result,) = ddguard.check([requirement], target, **options).results
    for fix in result.fixes:
        if fix.kind is FixKind.OTHER_PYTHON:
            assert fix.python is not None and fix.version is not None
            again = ddguard.check([f"ddtrace=={fix.version}"], target.with_python(fix.python), **options)
            assert not again.results[0].refused, (fix, again.results[0].reasons)
        elif fix.specifier:
            (again,) = ddguard.check([f"ddtrace{fix.specifier}"], target, **options).results
            assert not again.refused, (fix, again.reasons)
        elif fix.kind is FixKind.NARROW_RANGE:
            for low, high in fix.runs:
                spec = f"=={low}" if high == low else f">={low}" + (f",<={high}" if high else "")
                (again,) = ddguard.check([f"ddtrace{spec}"], target, **options).results
                assert not again.refused, (spec, again.reasons)


def test_strict_never_suggests_the_refused_combination_itself() -> None:
    (result,) = ddguard.check(["ddtrace==1.20.19"], C("cp311-manylinux_x86_64"), strict=True).results
    assert result.refused  # End of Life under --strict
    assert not any(f.kind is FixKind.OTHER_PYTHON for f in result.fixes)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.8"\n'
        'dependencies = ["ddtrace==1.20.19"]\n'
    )
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(here)


def test_cli_and_installer_plugins_give_the_same_sub_range_in_the_same_words(project: Path) -> None:
    target = C("cp311-manylinux_x86_64")
    report = run_check(CheckRequest(projects=(".",), targets=(target,)))
    (cli_note,) = [n for n in report.notes if n.code is NoteCode.PYTHON_RANGE]
    from ddguard import sources

    pins = sources.read_file("pyproject.toml").pins
    _, plugin_notes = installer_check(pins, target, options=Options(), python_range=">=3.8")
    (plugin_note,) = plugin_notes
    assert note(cli_note) == note(plugin_note)
    assert re.search(r"does not work on CPython 3\.12–3\.14 \(manylinux x86_64\)", note(cli_note))
    text = refusal_text(*installer_check(pins, target, options=Options(), python_range=">=3.8"))
    assert text is not None and note(cli_note) in text


def test_the_build_hook_judges_only_what_the_build_installs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ddguard.hosts.build_check import build_pins, check_project

    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "ddtrace==1.20.19"]\n'
        '[project]\nname = "app"\nversion = "0"\ndependencies = []\n'
        '[project.optional-dependencies]\ntracing = ["ddtrace==2.21.12"]\n'
        '[dependency-groups]\ndev = ["ddtrace==1.20.19"]\n'
        "[tool.tox.env.py312]\ndeps = [\"ddtrace==1.20.19\"]\n"
        '[tool.ddguard]\ntargets = ["cp312-manylinux_x86_64"]\n'
    )
    assert [p.text for p in build_pins(str(tmp_path))] == ["ddtrace==2.21.12"]
    monkeypatch.delenv("DDGUARD_SKIP", raising=False)
    message = check_project(str(tmp_path))  # groups, tox and build requirements are not installed
    if sys.implementation.name == "cpython":  # the building interpreter is judged too
        assert message is None
    else:
        assert message is not None and "1.20.19" not in message
