"""ddguard.nox.check's argument handling, with a stand-in for nox's Session."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

import ddguard.nox
from ddguard.model import Origin, OriginKind
from ddguard.nox import collect_pins
from ddguard.report.words import interpreter, source
from ddguard.target import Implementation

CP311 = "cp311-manylinux_x86_64"
CP312 = "cp312-manylinux_x86_64"


class SessionError(Exception):
    pass


class FakeSession:
    """What ddguard.nox uses of nox's Session: bin, error, warn, log."""

    def __init__(self) -> None:
        self.warnings: List[str] = []
        self.logs: List[str] = []

    @property
    def bin(self) -> str:
        raise ValueError("no virtualenv")  # nox says so for python=False sessions

    def error(self, text: str) -> None:
        raise SessionError(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def log(self, text: str) -> None:
        self.logs.append(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("requests\nddtrace==1.20.19\n")
    (tmp_path / "constraints.txt").write_text("ddtrace<3\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "1"\ndependencies = ["ddtrace>=1.20,<2"]\n'
        '[project.optional-dependencies]\nnew = ["ddtrace==3.0.0"]\n'
    )
    return tmp_path


def test_requirement_forms_are_all_read(project: Path) -> None:
    reqs = project / "requirements.txt"
    for form in (["-r", str(reqs)], [f"-r{reqs}"], [f"-r={reqs}"], [str(reqs)], [reqs]):
        pins, _ = collect_pins(form, None)
        assert [(p.text, source(p.origin)) for p in pins] == [("ddtrace==1.20.19", f"{reqs}:2")]
        assert [p.origin.kind for p in pins] == [OriginKind.DEPENDENCY]


def test_plain_requirements_and_other_packages(project: Path) -> None:
    pins, _ = collect_pins(["requests", "ddtrace==1.20.19", "pytest>=8"], None)
    assert [(p.text, p.origin) for p in pins] == [
        ("ddtrace==1.20.19", Origin(OriginKind.ARGUMENT, tool="nox"))
    ]


def test_project_directory_or_file_with_extras(project: Path) -> None:
    for where in (project, project / "pyproject.toml", str(project)):
        pins, _ = collect_pins([], where)
        assert [p.text for p in pins] == ["ddtrace>=1.20,<2"]
    pins, _ = collect_pins([], project, extras=["new"])
    assert sorted(p.text for p in pins) == ["ddtrace==3.0.0", "ddtrace>=1.20,<2"]


def test_refusal_ends_the_session_with_the_paragraph(project: Path) -> None:
    session = FakeSession()
    with pytest.raises(SessionError) as caught:
        ddguard.nox.check(session, ["-r", str(project / "requirements.txt")], targets=[CP312])
    text = str(caught.value)
    assert text.startswith(
        "ddguard refused ddtrace:\nddtrace 1.20.19 does not work on CPython 3.12"
    )
    assert f"{project / 'requirements.txt'}:2" in text


def test_compatible_target_logs_and_returns_the_report(project: Path) -> None:
    session = FakeSession()
    report = ddguard.nox.check(session, ["ddtrace==1.20.19"], targets=[CP311])
    assert report is not None and report.ok
    assert session.logs and "CPython 3.11" in session.logs[0]


def test_warn_mode_warns_and_off_mode_skips(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = FakeSession()
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    report = ddguard.nox.check(session, ["ddtrace==1.20.19"], targets=[CP312])
    assert report is not None and not report.ok
    assert any("does not work on CPython 3.12" in w for w in session.warnings)
    monkeypatch.setenv("DDGUARD_MODE", "off")
    assert ddguard.nox.check(FakeSession(), ["ddtrace==1.20.19"], targets=[CP312]) is None


def test_bad_input_ends_the_session_with_one_line(project: Path) -> None:
    with pytest.raises(
        SessionError, match=r"^ddguard: Python version .cp99-nowhere.: no CPython has that version"
    ):
        ddguard.nox.check(FakeSession(), ["ddtrace==1.20.19"], targets=["cp99-nowhere"])
    with pytest.raises(SessionError, match=r"^ddguard: .*missing\.txt"):
        ddguard.nox.check(FakeSession(), ["-r", str(project / "missing.txt")], targets=[CP311])


def test_without_a_virtualenv_the_running_interpreter_is_judged() -> None:
    host = ddguard.nox.session_target(FakeSession())
    if host.implementation is not Implementation.CPYTHON:  # every release refuses PyPy, naming it
        with pytest.raises(SessionError, match=interpreter(host)):
            ddguard.nox.check(FakeSession(), ["ddtrace"])
        return
    report = ddguard.nox.check(FakeSession(), ["ddtrace"])
    assert report is not None
    assert [t.python for t in report.targets] == [ddguard.nox.session_target(FakeSession()).python]
