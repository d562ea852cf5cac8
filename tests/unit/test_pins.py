"""Reading ddtrace pins from every project format of the corpus in tests/fixtures/projects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ddguard import pins
from ddguard.errors import InputError
from ddguard.sources.poetry import poetry_specifier

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"
SRC = Path(__file__).resolve().parents[2] / "src"


def rows(name):
    """(file:line, specifier, marker, kind, context) for each pin of a corpus project."""
    scan = pins.scan_project(str(PROJECTS / name))
    return [
        (
            os.path.relpath(p.source, PROJECTS / name).replace(os.sep, "/"),
            str(p.specifier),
            str(p.marker) if p.marker else None,
            p.kind.value,
            p.context,
        )
        for p in scan.pins
    ]


CASES = {
    "reqs": [
        ("requirements.txt:5", "==1.20.19", 'python_version < "3.12"', "declared", None),
        ("requirements.txt:8", "==2.8.5", 'python_version >= "3.12"', "declared", None),
        ("requirements/dev.in:1", "", None, "declared", None),
        ("requirements/base.txt:3", "==2.8.5", None, "declared", None),
        ("constraints.txt:1", "<3", None, "constraint", "constraint"),
    ],
    "pep621": [
        ("pyproject.toml:11", "==1.20.19", None, "declared", None),
        (
            "pyproject.toml:16",
            "<3,>=2.8",
            'platform_machine == "x86_64"',
            "declared",
            "extra 'tracing'",
        ),
        (
            "pyproject.toml:2",
            ">=2.0",
            'python_version >= "3.8"',
            "declared",
            "build-system.requires",
        ),
        ("pyproject.toml:20", "~=2.8.0", None, "declared", "group 'base', included by 'test'"),
    ],
    "poetry": [
        (
            "poetry.lock:17",
            "==1.20.19",
            'python_version < "3.12"',
            "locked",
            "locked, transitive (required by datadog-helper)",
        ),
        ("pyproject.toml:9", "<0.61,>=0.60.1", 'python_full_version < "3.7"', "declared", None),
        (
            "pyproject.toml:10",
            "<1.21,>=1.20",
            'python_full_version >= "3.7" and python_full_version < "3.12"',
            "declared",
            None,
        ),
        (
            "pyproject.toml:11",
            "<3,>=2.8",
            'sys_platform == "linux" and python_full_version >= "3.12"',
            "declared",
            None,
        ),
        ("pyproject.toml:15", "==2.8.*", None, "declared", "Poetry group 'dev'"),
    ],
    "uv": [
        (
            "uv.lock:16",
            "==2.8.5",
            'python_full_version < "3.13"',
            "locked",
            "locked, direct dependency of svc",
        ),
        (
            "uv.lock:31",
            "==3.0.0",
            'python_full_version >= "3.13"',
            "locked",
            "locked, direct dependency of svc",
        ),
        ("pyproject.toml:6", "==2.8.5", 'python_version < "3.13"', "declared", None),
        ("pyproject.toml:7", "==3.0.0", 'python_version >= "3.13"', "declared", None),
        ("pyproject.toml:11", "<4", None, "constraint", "uv constraint-dependencies"),
        ("pyproject.toml:12", ">=2.8", None, "declared", "uv override-dependencies"),
    ],
    "pdm": [
        ("pdm.lock:14", "==2.8.7", 'python_version >= "3.8"', "locked", "locked; groups tracing"),
        ("pyproject.toml:8", "<2.9,>=2.8", None, "declared", "PDM dev group 'tracing'"),
    ],
    "pipenv": [
        ("Pipfile.lock:9", "==1.20.19", 'python_version < "3.12"', "locked", "locked"),
        ("Pipfile:7", "==1.20.19", 'python_version < "3.12"', "declared", None),
        ("Pipfile:11", "", None, "declared", "Pipfile [dev-packages]"),
    ],
    "pylock": [
        ("pylock.toml:11", "==3.2.1", 'python_version >= "3.11"', "locked", "locked"),
    ],
    "setupcfg": [
        ("setup.cfg:8", "<2,>=1.20", 'python_version < "3.12"', "declared", None),
        ("setup.cfg:12", "==2.8.5", None, "declared", "extra 'apm'"),
        (
            "tox.ini:7",
            "==1.20.19",
            'python_version == "3.11"',
            "declared",
            "tox [testenv], factor 'py311'",
        ),
        (
            "tox.ini:8",
            "==2.8.5",
            'python_version == "3.12"',
            "declared",
            "tox [testenv], factor 'py312'",
        ),
        ("requirements-test.txt:1", ">=2", None, "declared", "tox [testenv]"),
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
    assert str(pins.scan_project(str(PROJECTS / project)).python_range) == python_range


def test_locked_wheels_and_direct_references_carry_their_tags():
    by_source = {
        p.source.rsplit("/", 1)[-1]: p for p in pins.scan_project(str(PROJECTS / "uv")).pins
    }
    assert "cp312-cp312-manylinux2014_x86_64" in by_source["uv.lock:16"].wheel_tags
    base = pins.read_requirements_file(str(PROJECTS / "reqs" / "requirements" / "base.txt"))
    assert "cp311-cp311-manylinux_2_17_x86_64" in base[-1].wheel_tags


def test_editable_vcs_reference_is_unknown_with_reason():
    found = pins.read_requirements_file(str(PROJECTS / "reqs" / "requirements" / "dev.in"))
    assert found[0].unknown_reason and "editable" in found[0].unknown_reason


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
        pins.scan_project(str(PROJECTS / project))
    assert str(caught.value).startswith(str(PROJECTS / project / where) + ": ")
    assert what in str(caught.value)


def test_setup_py_is_never_read_and_that_is_said():
    scan = pins.scan_project(str(PROJECTS / "setuppy_only"))
    assert scan.pins == () and "never runs project code" in scan.notes[0]


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
def test_parse_requirement_text(text, specifier, unknown):
    pin = pins.parse_requirement_text(text, "x.txt:3")
    assert pin is not None and str(pin.specifier) == specifier
    assert bool(pin.unknown_reason) is unknown and pin.source == "x.txt:3"


def test_parse_requirement_text_ignores_other_projects():
    assert pins.parse_requirement_text("requests==2.31", "x:1") is None


def run_cli(*argv, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    return subprocess.run(
        [sys.executable, "-m", "ddguard", "check", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )


def test_cli_project_json_sources_and_python_range_note():
    proc = run_cli(
        "--project",
        str(PROJECTS / "pep621"),
        "--target",
        "cp311-manylinux_x86_64",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["results"][0]["source"] == str(PROJECTS / "pep621" / "pyproject.toml") + ":11"
    note = next(n for n in data["notes"] if "ddtrace==1.20.19" in n)
    assert "does not work on CPython 3.12" in note and "(>=3.8)" in note


def test_cli_refuses_a_locked_pin_before_the_declaration():
    proc = run_cli(
        "--project",
        str(PROJECTS / "poetry"),
        "--target",
        "cp311-manylinux_x86_64",
        "--format",
        "json",
    )
    sources = [r["source"].rsplit("/", 1)[-1] for r in json.loads(proc.stdout)["results"]]
    assert sources[0] == "poetry.lock:17"


def test_cli_markers_are_evaluated_for_the_target_not_the_host():
    proc = run_cli(
        "-r",
        str(PROJECTS / "reqs" / "requirements.txt"),
        "--target",
        "cp312-manylinux_x86_64",
        "--format",
        "json",
    )
    sources = [r["source"].rsplit("/", 1)[-1] for r in json.loads(proc.stdout)["results"]]
    assert "requirements.txt:5" not in sources and "requirements.txt:8" in sources


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
    default = pins.scan_project(str(tmp_path))
    assert [p.name for p in default.pins] == ["ddtrace"]
    scan = pins.scan_project(str(tmp_path), names={"ddtrace", "Django"})
    found = {p.name.lower(): p for p in scan.pins}
    assert set(found) == {"django", "ddtrace"}
    assert str(found["django"].specifier) == "==1.7.11"
    assert found["django"].source.endswith(f"{lock}:2")
    assert str(found["django"].marker) == 'python_version < "3.12"'
    assert found["ddtrace"] == default.pins[0]


def _pins(path):
    return [
        (
            p.source.rsplit("/", 1)[-1],
            str(p.specifier),
            str(p.marker) if p.marker else None,
            p.context,
        )
        for p in pins.scan_project(str(path)).pins
    ]


def test_tox_ini_deps_follow_section_substitutions(tmp_path):
    (tmp_path / "tox.ini").write_text(
        "[base]\ndeps =\n    ddtrace==1.20.19\n    requests\n\n"
        "[testenv]\ndeps =\n    {[base]deps}\n    {posargs}\n\n"
        "[testenv:lint]\ndeps = {[testenv]deps}\n"
    )
    assert _pins(tmp_path / "tox.ini") == [("tox.ini:3", "==1.20.19", None, "tox [testenv]")]
    (tmp_path / "tox.ini").write_text("[a]\ndeps = {[a]deps}\n[testenv]\ndeps = {[a]deps}\n")
    with pytest.raises(InputError, match="refers to itself"):
        pins.scan_project(str(tmp_path / "tox.ini"))


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
        ("pyproject.toml:8", "==1.20.19", None, "tox [testenv]"),
        (
            "pyproject.toml:13",
            "==2.8.5",
            'python_version == "3.12"',
            "tox [testenv], factor 'py312'",
        ),
        ("pyproject.toml:17", ">=2", None, "tox env_run_base"),
        ("requirements-test.txt:1", "==4.0.0", None, "tox env_run_base"),
        ("pyproject.toml:20", "==3.0.0", None, "tox env 'lint'"),
    ]


def test_poetry_union_is_judged_as_its_alternatives(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.8"\nddtrace = "^1.20 || ~2.8"\n'
    )
    (pin,) = pins.scan_project(str(tmp_path)).pins
    assert pin.unknown_reason is None
    assert [str(a) for a in pin.alternatives] == ["<2,>=1.20", "<2.9,>=2.8"]
    import ddguard

    report = ddguard.check([pin], ddguard.Target.from_compact("cp311-manylinux_x86_64"))
    assert [(r.verdict.value, r.version) for r in report.results] == [("compatible", "2.8.7")]
