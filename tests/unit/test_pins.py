"""Reading ddtrace pins from every project format of the corpus in tests/fixtures/projects."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_run import run
from packaging.version import Version

import ddguard
from ddguard import sources
from ddguard.errors import InputError
from ddguard.model import NoteCode, Origin, OriginKind, ReferenceKind
from ddguard.report.words import note, reference, source
from ddguard.sources.poetry import poetry_specifier
from ddguard.target import Target

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"

DEPENDENCY = Origin(OriginKind.DEPENDENCY)
CONSTRAINT = Origin(OriginKind.CONSTRAINT)


def rows(name):
    """(file:line, specifier, marker, origin without its path and line) for each pin of a
    corpus project."""
    scan = sources.scan_project(str(PROJECTS / name))
    return [
        (
            f"{os.path.relpath(p.origin.path, PROJECTS / name)}:{p.origin.line}".replace(
                os.sep, "/"
            ),
            str(p.specifier),
            str(p.marker) if p.marker else None,
            p.origin._replace(path=None, line=None),
        )
        for p in scan.pins
    ]


CASES = {
    "reqs": [
        ("requirements.txt:5", "==1.20.19", 'python_version < "3.12"', DEPENDENCY),
        ("requirements.txt:8", "==2.8.5", 'python_version >= "3.12"', DEPENDENCY),
        ("requirements/dev.in:1", "", None, DEPENDENCY),
        ("requirements/base.txt:3", "==2.8.5", None, DEPENDENCY),
        ("constraints.txt:1", "<3", None, CONSTRAINT),
    ],
    "pep621": [
        ("pyproject.toml:11", "==1.20.19", None, DEPENDENCY),
        (
            "pyproject.toml:16",
            "<3,>=2.8",
            'platform_machine == "x86_64"',
            Origin(OriginKind.EXTRA, name="tracing"),
        ),
        (
            "pyproject.toml:2",
            ">=2.0",
            'python_version >= "3.8"',
            Origin(OriginKind.BUILD_SYSTEM),
        ),
        (
            "pyproject.toml:20",
            "~=2.8.0",
            None,
            Origin(OriginKind.GROUP, name="base", included_by=("test",)),
        ),
    ],
    "poetry": [
        (
            "poetry.lock:17",
            "==1.20.19",
            'python_version < "3.12"',
            Origin(OriginKind.LOCK, tool="poetry", requirers=("datadog-helper",), direct=False),
        ),
        (
            "pyproject.toml:9",
            "<0.61,>=0.60.1",
            'python_full_version < "3.7"',
            Origin(OriginKind.DEPENDENCY, tool="poetry"),
        ),
        (
            "pyproject.toml:10",
            "<1.21,>=1.20",
            'python_full_version >= "3.7" and python_full_version < "3.12"',
            Origin(OriginKind.DEPENDENCY, tool="poetry"),
        ),
        (
            "pyproject.toml:11",
            "<3,>=2.8",
            'sys_platform == "linux" and python_full_version >= "3.12"',
            Origin(OriginKind.DEPENDENCY, tool="poetry"),
        ),
        ("pyproject.toml:15", "==2.8.*", None, Origin(OriginKind.GROUP, name="dev", tool="poetry")),
    ],
    "uv": [
        (
            "uv.lock:16",
            "==2.8.5",
            'python_full_version < "3.13"',
            Origin(OriginKind.LOCK, tool="uv", requirers=("svc",), direct=True),
        ),
        (
            "uv.lock:31",
            "==3.0.0",
            'python_full_version >= "3.13"',
            Origin(OriginKind.LOCK, tool="uv", requirers=("svc",), direct=True),
        ),
        ("pyproject.toml:6", "==2.8.5", 'python_version < "3.13"', DEPENDENCY),
        ("pyproject.toml:7", "==3.0.0", 'python_version >= "3.13"', DEPENDENCY),
        ("pyproject.toml:11", "<4", None, Origin(OriginKind.CONSTRAINT, tool="uv")),
        ("pyproject.toml:12", ">=2.8", None, Origin(OriginKind.OVERRIDE, tool="uv")),
    ],
    "pdm": [
        (
            "pdm.lock:14",
            "==2.8.7",
            'python_version >= "3.8"',
            Origin(OriginKind.LOCK, tool="pdm", groups=("tracing",)),
        ),
        (
            "pyproject.toml:8",
            "<2.9,>=2.8",
            None,
            Origin(OriginKind.GROUP, name="tracing", tool="pdm"),
        ),
    ],
    "pipenv": [
        (
            "Pipfile.lock:9",
            "==1.20.19",
            'python_version < "3.12"',
            Origin(OriginKind.LOCK, tool="pipenv", groups=("default",)),
        ),
        (
            "Pipfile:7",
            "==1.20.19",
            'python_version < "3.12"',
            Origin(OriginKind.DEPENDENCY, tool="pipenv"),
        ),
        ("Pipfile:11", "", None, Origin(OriginKind.GROUP, name="dev-packages", tool="pipenv")),
    ],
    "pylock": [
        (
            "pylock.toml:11",
            "==3.2.1",
            'python_version >= "3.11"',
            Origin(OriginKind.LOCK, tool="pylock"),
        ),
    ],
    "setupcfg": [
        ("setup.cfg:8", "<2,>=1.20", 'python_version < "3.12"', DEPENDENCY),
        ("setup.cfg:12", "==2.8.5", None, Origin(OriginKind.EXTRA, name="apm", tool="setuptools")),
        (
            "tox.ini:7",
            "==1.20.19",
            'python_version == "3.11"',
            Origin(OriginKind.TOX_ENV, tool="tox", factor="py311"),
        ),
        (
            "tox.ini:8",
            "==2.8.5",
            'python_version == "3.12"',
            Origin(OriginKind.TOX_ENV, tool="tox", factor="py312"),
        ),
        ("requirements-test.txt:1", ">=2", None, Origin(OriginKind.TOX_ENV, tool="tox")),
    ],
    "noddtrace": [],
}


@pytest.mark.parametrize("project", sorted(CASES))
def test_every_pin_of_the_corpus_with_its_line_marker_and_context(project):
    assert rows(project) == CASES[project]


@pytest.mark.parametrize(
    ("project", "python_range"),
    [
        ("pep621", ">=3.8"),
        ("poetry", "<4,>=3.8"),
        ("pipenv", "==3.11.*"),
        ("setupcfg", ">=3.7"),
        ("pylock", ">=3.11"),
        ("reqs", "None"),
    ],
)
def test_project_python_range(project, python_range):
    assert str(sources.scan_project(str(PROJECTS / project)).python_range) == python_range


def test_locked_wheels_and_direct_references_carry_their_tags():
    by_source = {
        source(p.origin).rsplit("/", 1)[-1]: p
        for p in sources.scan_project(str(PROJECTS / "uv")).pins
    }
    assert "cp312-cp312-manylinux2014_x86_64" in by_source["uv.lock:16"].wheel_tags
    base = sources.read_requirements_file(str(PROJECTS / "reqs" / "requirements" / "base.txt"))
    wheel = base.pins[-1]
    assert "cp311-cp311-manylinux_2_17_x86_64" in wheel.wheel_tags
    assert wheel.reference is not None and wheel.reference.wheel_tags == wheel.wheel_tags


def test_editable_vcs_reference_is_unknown_with_reason():
    found = sources.read_requirements_file(str(PROJECTS / "reqs" / "requirements" / "dev.in"))
    pin = found.pins[0]
    assert pin.unknown and pin.reference is not None
    assert pin.reference.kind is ReferenceKind.EDITABLE
    (result,) = ddguard.check([pin], Target.from_compact("cp311-manylinux_x86_64")).results
    assert reference(result).startswith("editable install of git+https://github.com/DataDog/")


@pytest.mark.parametrize(
    ("project", "where", "what"),
    [
        ("bad_toml", "pyproject.toml:5", "invalid TOML"),
        ("bad_requirement", "requirements.txt:2", "cannot read requirement 'ddtrace=1.20.19'"),
        ("cycle", "requirements.txt:1", "circular include"),
    ],
)
def test_malformed_input_names_file_and_line(project, where, what):
    with pytest.raises(InputError) as caught:
        sources.scan_project(str(PROJECTS / project))
    assert str(caught.value).startswith(str(PROJECTS / project / where) + ": ")
    assert what in str(caught.value)


def test_setup_py_is_never_read_and_that_is_said():
    scan = sources.scan_project(str(PROJECTS / "setuppy_only"))
    assert scan.pins == () and [n.code for n in scan.notes] == [NoteCode.SETUP_PY_NOT_READ]
    assert scan.notes[0].path == str(PROJECTS / "setuppy_only" / "setup.py")
    assert "never runs project code" in note(scan.notes[0])


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("1.2.*", "==1.2.*"),
        ("*", ""),
        (">=1.2, <2.0", ">=1.2,<2.0"),
        ("1.20.19", "==1.20.19"),
        ("~=2.8", "~=2.8"),
    ],
)
def test_poetry_constraints_as_pep440(poetry, pep440):
    assert poetry_specifier(poetry) == pep440


@pytest.mark.parametrize(
    ("text", "specifier", "unknown"),
    [
        ("ddtrace==1.20.19 --hash=sha256:abc", "==1.20.19", False),
        ("DDTrace[opentracing]>=2,<3", "<3,>=2", False),
        ("https://x.invalid/ddtrace-2.8.5-cp311-cp311-win_amd64.whl", "==2.8.5", False),
        ("ddtrace @ git+https://github.com/DataDog/dd-trace-py@v2.8.5", "", True),
        ("-e ./dd-trace-py", "", True),
    ],
)
def test_parse_requirement(text, specifier, unknown):
    origin = Origin(OriginKind.DEPENDENCY, path="x.txt", line=3)
    pin = sources.parse_requirement(text, origin)
    assert pin is not None and str(pin.specifier) == specifier
    assert pin.unknown is unknown and pin.origin == origin and source(pin.origin) == "x.txt:3"


def test_parse_requirement_ignores_other_projects():
    assert (
        sources.parse_requirement("requests==2.31", Origin(OriginKind.DEPENDENCY, "x", 1)) is None
    )


def run_cli(*argv, cwd=None):
    """``ddguard check ARGV`` in-process, from ``cwd``."""
    return run("check", *argv, cwd=cwd)


def test_cli_project_json_sources_and_python_range_note(tmp_path):
    proc = run_cli(
        "--project",
        str(PROJECTS / "pep621"),
        "--target",
        "cp311-manylinux_x86_64",
        "--format",
        "json",
        cwd=tmp_path,  # outside the project: its files are named by their absolute paths
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    pyproject = str(PROJECTS / "pep621" / "pyproject.toml")
    first = data["results"][0]
    assert first["source"] == pyproject + ":11"
    assert first["specifier"] == "==1.20.19"
    assert (first["origin"]["kind"], first["origin"]["path"], first["origin"]["line"]) == (
        "dependency",
        pyproject,
        11,
    )
    range_note = next(n for n in data["notes"] if "ddtrace==1.20.19" in n)
    assert "does not work on CPython 3.12" in range_note and "(>=3.8)" in range_note


def test_cli_refuses_a_locked_pin_before_the_declaration():
    proc = run_cli(
        "--project",
        str(PROJECTS / "poetry"),
        "--target",
        "cp311-manylinux_x86_64",
        "--format",
        "json",
    )
    named = [r["source"].rsplit("/", 1)[-1] for r in json.loads(proc.stdout)["results"]]
    assert named[0] == "poetry.lock:17"


def test_cli_markers_are_evaluated_for_the_target_not_the_host():
    proc = run_cli(
        "-r",
        str(PROJECTS / "reqs" / "requirements.txt"),
        "--target",
        "cp312-manylinux_x86_64",
        "--format",
        "json",
    )
    named = [r["source"].rsplit("/", 1)[-1] for r in json.loads(proc.stdout)["results"]]
    assert "requirements.txt:5" not in named and "requirements.txt:8" in named


def test_cli_no_ddtrace_and_require_ddtrace(tmp_path):
    plain = run_cli("--project", str(PROJECTS / "noddtrace"))
    assert plain.returncode == 0 and "no ddtrace requirement found in" in plain.stdout
    required = run_cli("--project", str(PROJECTS / "noddtrace"), "--require-ddtrace")
    assert required.returncode == 1


def test_cli_defaults_to_the_project_in_the_current_directory():
    proc = run_cli(
        "--target", "cp312-manylinux_x86_64", "--format", "json", cwd=str(PROJECTS / "pep621")
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["results"][0]["source"].endswith("pyproject.toml:11")


def test_cli_malformed_file_exits_2_with_path_line():
    proc = run_cli("--project", str(PROJECTS / "bad_toml"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"{PROJECTS / 'bad_toml' / 'pyproject.toml'}:5: invalid TOML" in proc.stderr


@pytest.mark.parametrize(
    "lock, text",
    [
        (
            "poetry.lock",
            '[[package]]\nname = "Django"\nversion = "1.7.11"\nmarkers = "python_version < \'3.12\'"'
            '\n\n[[package]]\nname = "ddtrace"\nversion = "2.5.0"\n\n'
            '[package.dependencies]\ndjango = ">=1"\n',
        ),
        (
            "pdm.lock",
            '[[package]]\nname = "django"\nversion = "1.7.11"\nmarker = "python_version < \'3.12\'"'
            '\n\n[[package]]\nname = "ddtrace"\nversion = "2.5.0"\ndependencies = ["django>=1"]\n',
        ),
    ],
)
def test_a_scan_for_more_names_returns_their_lock_entries(tmp_path, lock, text):
    (tmp_path / lock).write_text(text)
    default = sources.scan_project(str(tmp_path))
    assert [p.name for p in default.pins] == ["ddtrace"]
    scan = sources.scan_project(str(tmp_path), names={"ddtrace", "Django"})
    found = {p.name.lower(): p for p in scan.pins}
    assert set(found) == {"django", "ddtrace"}
    assert str(found["django"].specifier) == "==1.7.11"
    assert found["django"].origin.path == str(tmp_path / lock)
    assert found["django"].origin.line == 2 and found["django"].origin.kind is OriginKind.LOCK
    assert str(found["django"].marker) == 'python_version < "3.12"'
    assert found["ddtrace"] == default.pins[0]


def _pins(path):
    return [
        (
            source(p.origin).rsplit("/", 1)[-1],
            str(p.specifier),
            str(p.marker) if p.marker else None,
            p.origin._replace(path=None, line=None),
        )
        for p in sources.scan_project(str(path)).pins
    ]


TESTENV = Origin(OriginKind.TOX_ENV, tool="tox")


def test_tox_ini_deps_follow_section_substitutions(tmp_path):
    (tmp_path / "tox.ini").write_text(
        "[base]\ndeps =\n    ddtrace==1.20.19\n    requests\n\n"
        "[testenv]\ndeps =\n    {[base]deps}\n    {posargs}\n\n"
        "[testenv:lint]\ndeps = {[testenv]deps}\n"
    )
    assert _pins(tmp_path / "tox.ini") == [("tox.ini:3", "==1.20.19", None, TESTENV)]
    (tmp_path / "tox.ini").write_text("[a]\ndeps = {[a]deps}\n[testenv]\ndeps = {[a]deps}\n")
    with pytest.raises(InputError, match="refers to itself"):
        sources.scan_project(str(tmp_path / "tox.ini"))


def test_tox_configuration_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n[tool.tox]\nlegacy_tox_ini = """\n'
        "[base]\ndeps = ddtrace==1.20.19\n\n[testenv]\ndeps =\n    {[base]deps}\n"
        '    py312: ddtrace==2.8.5\n"""\n\n'
        '[tool.tox.env_run_base]\ndeps = ["ddtrace>=2", "-r requirements-test.txt"]\n\n'
        '[tool.tox.env.lint]\ndeps = ["ddtrace==3.0.0", { replace = "ref", of = ["x"] }]\n'
    )
    (tmp_path / "requirements-test.txt").write_text("ddtrace==4.0.0\n")
    assert _pins(tmp_path / "pyproject.toml") == [
        ("pyproject.toml:8", "==1.20.19", None, TESTENV),
        (
            "pyproject.toml:13",
            "==2.8.5",
            'python_version == "3.12"',
            TESTENV._replace(factor="py312"),
        ),
        ("pyproject.toml:17", ">=2", None, TESTENV._replace(name="env_run_base")),
        ("requirements-test.txt:1", "==4.0.0", None, TESTENV._replace(name="env_run_base")),
        ("pyproject.toml:20", "==3.0.0", None, TESTENV._replace(name="lint")),
    ]


def test_poetry_union_is_judged_as_its_alternatives(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.8"\nddtrace = "^1.20 || ~2.8"\n'
    )
    (pin,) = sources.scan_project(str(tmp_path)).pins
    assert not pin.unknown
    assert [str(a) for a in pin.alternatives] == ["<2,>=1.20", "<2.9,>=2.8"]
    report = ddguard.check([pin], Target.from_compact("cp311-manylinux_x86_64"))
    assert [(r.verdict.value, r.version) for r in report.results] == [
        ("compatible", Version("2.8.7"))
    ]
