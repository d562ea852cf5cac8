"""The command line as a user runs it: ``python -m ddguard``, exit codes, JSON, bad input.

Each test spawns the interpreter running the suite, with the ddguard the suite imports
first on ``PYTHONPATH`` (the source tree, or the installed wheel under tox).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ddguard

PACKAGE_ROOT = str(Path(ddguard.__file__).resolve().parent.parent)
RESULT_FIELDS = {"requirement", "source", "version", "verdict", "support_level", "reasons", "fix"}


def run(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    env.pop("DDGUARD_DB", None)
    env["XDG_CACHE_HOME"] = str(Path(cwd or ".").resolve() / ".no-user-db")  # embedded DB only
    return subprocess.run(
        [sys.executable, "-m", "ddguard", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def run_json(*args, cwd=None):
    proc = run(*args, "--format", "json", cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_refusal_exits_1_and_names_the_fix(tmp_path):
    proc = run("check", "ddtrace==1.20.19", "--target", "cp312-manylinux_x86_64", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("REFUSED: ddtrace 1.20.19 does not work on CPython 3.12")
    assert "ddtrace>=2" in proc.stdout and "CPython 3.11" in proc.stdout
    assert proc.stderr == ""


def test_pass_exits_0(tmp_path):
    proc = run("check", "ddtrace==4.16.0", "--target", "cp312-manylinux_x86_64", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: ddtrace 4.16.0 works on CPython 3.12")


def test_eol_pass_warns_and_strict_refuses(tmp_path):
    args = ("check", "ddtrace==1.20.19", "--implementation", "cp", "--python-version", "3.11")
    args += ("--platform", "manylinux2014_x86_64")
    warned = run(*args, cwd=tmp_path)
    assert warned.returncode == 0
    assert warned.stdout.startswith("warning:") and "End of Life" in warned.stdout
    assert run(*args, "--strict", cwd=tmp_path).returncode == 1


def test_source_build_refused_unless_allowed(tmp_path):
    args = ("check", "ddtrace==4.16.0", "--implementation", "cp", "--python-version", "3.12")
    args += ("--platform", "macosx_11_0_arm64")
    assert run(*args, cwd=tmp_path).returncode == 1
    assert run(*args, "--allow-source-build", cwd=tmp_path).returncode == 0


def test_json_contract(tmp_path):
    code, doc = run_json(
        "check",
        "ddtrace==1.20.19",
        "ddtrace>=1,<3",
        "--target",
        "cp312-manylinux_x86_64",
        cwd=tmp_path,
    )
    assert code == 1
    assert doc["ok"] is False
    assert doc["target"]["description"] == "CPython 3.12, manylinux x86_64"
    assert [r["requirement"] for r in doc["results"]] == ["ddtrace==1.20.19", "ddtrace>=1,<3"]
    for result in doc["results"]:
        assert set(result) >= RESULT_FIELDS
        assert result["source"] == "argv"
        assert result["verdict"] in ("compatible", "source-build", "incompatible", "unknown")
        assert result["support_level"] in ("ga", "maintenance", "eol", None)
        assert isinstance(result["reasons"], list)
    refused, ranged = doc["results"]
    assert refused["version"] == "1.20.19"
    assert refused["verdict"] == "incompatible"
    assert refused["support_level"] == "eol"
    assert "ddtrace>=2" in refused["fix"]
    assert ranged["version"] == "2.21.12"
    assert ranged["verdict"] == "compatible"
    assert ranged["compatible_range"] == ">=2.0.0,<=2.21.12"


def test_json_unknown_version_passes_with_null_level(tmp_path):
    code, doc = run_json("check", "ddtrace==9.0.0", "--target", "cp312-win_amd64", cwd=tmp_path)
    assert code == 0
    (result,) = doc["results"]
    assert (result["verdict"], result["support_level"]) == ("unknown", None)


def test_one_result_per_requirement_and_target_in_order(tmp_path):
    code, doc = run_json(
        "check",
        "ddtrace==1.20.19",
        "--target",
        "cp312-manylinux_x86_64",
        "--target",
        "cp311-manylinux_x86_64",
        cwd=tmp_path,
    )
    assert code == 1
    assert [r["verdict"] for r in doc["results"]] == ["incompatible", "compatible"]


def test_requirements_file_results_name_path_and_line(tmp_path):
    (tmp_path / "requirements.txt").write_text("requests\nddtrace==1.20.19\n", encoding="utf-8")
    code, doc = run_json(
        "check", "-r", "requirements.txt", "--target", "cp312-manylinux_x86_64", cwd=tmp_path
    )
    assert code == 1
    (result,) = doc["results"]
    assert result["source"] == "requirements.txt:2"


@pytest.mark.parametrize(
    "args",
    [
        ("check", "ddtrace=1.20.19", "--target", "cp312-manylinux_x86_64"),
        ("check", "ddtrace==1.20.19", "--platform", "solaris_sparc"),
        ("check", "ddtrace==1.20.19", "--platform", "Linux x86_64"),
        ("check", "ddtrace==1.20.19", "--target", "cp312-plan9_x86_64"),
        ("check", "ddtrace==1.20.19", "--target", "python3.12"),
        ("check", "ddtrace==1.20.19", "--python-version", "three"),
        ("check", "ddtrace==1.20.19", "--implementation", "zz"),
        ("check", "requests==2.31.0", "--target", "cp312-manylinux_x86_64"),
        ("check", "-r", "does-not-exist.txt", "--target", "cp312-manylinux_x86_64"),
        ("explain", "ddtrace=>2"),
    ],
    ids=[
        "malformed-requirement",
        "unknown-platform-tag",
        "platform-with-space",
        "unknown-compact-platform",
        "unreadable-compact-target",
        "bad-python-version",
        "unknown-implementation",
        "not-ddtrace",
        "missing-requirements-file",
        "explain-malformed",
    ],
)
def test_bad_input_exits_2_with_one_line(args, tmp_path):
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ddguard: error: ")


def test_malformed_line_in_a_file_names_file_and_line(tmp_path):
    (tmp_path / "requirements.txt").write_text("flask\nddtrace=1.20\n", encoding="utf-8")
    proc = run("check", "-r", "requirements.txt", cwd=tmp_path)
    assert proc.returncode == 2
    assert "requirements.txt:2" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_usage_error_exits_2(tmp_path):
    proc = run("check", "--format", "xml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_explain_and_matrix(tmp_path):
    explained = run("explain", "1.20.19", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "1.x" in explained.stdout and "End of Life" in explained.stdout
    assert "2.7, 3.5–3.11" in explained.stdout
    matrix = run("matrix", "--format", "json", cwd=tmp_path)
    assert matrix.returncode == 0, matrix.stderr
    doc = json.loads(matrix.stdout)
    levels = {row["line"]: row["support_level"] for row in doc["releases"]}
    assert levels["4.x"] == "General Availability"
    assert levels["3.x"] == "Maintenance"
    assert levels["2.x"] == levels["1.x"] == "End of Life"
