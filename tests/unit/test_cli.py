"""The command line as a user runs it: ``ddguard.cli.main`` in-process, exit codes, JSON,
bad input. (tests/integrations runs the installed ``ddguard`` command.)"""

from __future__ import annotations

import json

import pytest
from cli_run import run

RESULT_FIELDS = {"requirement", "source", "version", "verdict", "support_level", "reasons", "fix"}


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
    assert ranged["compatible_range"] == ">=2.0.1,<=2.21.12"


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


@pytest.mark.parametrize(
    "args",
    [
        ("check", "ddtrace==1.20.19", "--target", "cp312-manylinux"),
        ("check", "ddtrace==1.20.19", "--target", "cp312-manylinux_x86_64-extra"),
        ("check", "ddtrace==1.20.19", "--platform", "linux"),
        ("check", "ddtrace==1.20.19", "--platform", "macosx_10_9"),
        ("check", "ddtrace==1.20.19", "--python-version", ""),
        ("check", "ddtrace==1.20.19", "--python-version", "3.10000000"),
        ("check", "ddtrace==1.20.19", "--python-version", "3.12.100000"),
        ("check", "ddtrace==1.20.19", "--platform", "macosx_1000000_0_arm64"),
        ("check", "ddtrace==1.20.19", "--platform", "manylinux_2_100000_x86_64"),
        ("check", "ddtrace==1.20.19", "--target", "cp31000000-manylinux_x86_64"),
        ("check", "ddtrace==1.20.19", "--target", "cp313t-musllinux_99_9_x86_64"),
        ("check", "ddtrace==1.20.19", "--abi", "x" * 100),
        ("check", ""),
        ("check", "   "),
        ("check", "ddtrace==" + "1" * 5000),
        ("check", "ddtrace; python_version ~= 'abc'", "--target", "cp312-manylinux_x86_64"),
        ("explain", ""),
        ("matrix", "--release", "=>2"),
        ("constraints", "--target", "cp312-plan9"),
    ],
)
def test_values_no_interpreter_has_are_refused_in_one_line(args, tmp_path):
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ddguard: error: "), proc.stderr
    assert len(lines[0]) < 400


@pytest.mark.parametrize(
    "reference",
    [
        "ddtrace @ git+https://github.com/DataDog/dd-trace-py@v2.8.5",
        "ddtrace @ https://example.com/archive/main.zip",
        "ddtrace @ file:///src/dd-trace-py",
    ],
)
def test_a_reference_on_the_command_line_is_unknown_and_refused_under_strict(reference, tmp_path):
    code, doc = run_json("check", reference, "--target", "cp312-manylinux_x86_64", cwd=tmp_path)
    assert code == 0
    (result,) = doc["results"]
    assert (result["verdict"], result["version"], result["reason_codes"]) == (
        "unknown",
        None,
        ["unknown-reference"],
    )
    assert (
        run(
            "check", reference, "--target", "cp312-manylinux_x86_64", "--strict", cwd=tmp_path
        ).returncode
        == 1
    )


def test_a_reference_to_a_wheel_is_judged_by_the_wheel(tmp_path):
    url = "ddtrace @ https://files.example/ddtrace-2.8.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    code, doc = run_json("check", url, "--target", "cp312-manylinux_x86_64", cwd=tmp_path)
    assert code == 1
    assert doc["results"][0]["reason_codes"][-1] == "wheel-file-mismatch"
    assert run("check", url, "--target", "cp311-manylinux_x86_64", cwd=tmp_path).returncode == 0


def test_an_unknown_command_suggests_the_nearest(tmp_path):
    proc = run("chek", "ddtrace==1.20.19", cwd=tmp_path)
    assert proc.returncode == 2
    assert "did you mean `check`?" in proc.stderr


def test_an_unknown_flag_after_a_subcommand_shows_that_usage(tmp_path):
    proc = run("check", "--frobnicate", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: ddguard check")
    assert "unrecognized arguments: --frobnicate" in proc.stderr


def test_version_flag(tmp_path):
    for flag in ("-V", "--version"):
        proc = run(flag, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout.startswith("ddguard ")


@pytest.mark.parametrize("command", ["check", "explain", "matrix", "constraints", "db"])
def test_every_subcommand_help_has_a_description_examples_and_exit_codes(command, tmp_path):
    proc = run(command, "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "examples:" in proc.stdout and "exit codes:" in proc.stdout
    assert f"ddguard {command}" in proc.stdout.split("examples:")[1]


def test_check_help_describes_its_defaults_and_environment(tmp_path):
    out = run("check", "--help", cwd=tmp_path).stdout
    assert "reads the project in the current directory" in out and "installed ddtrace" in out
    assert "DDGUARD_DB" in out and "NO_COLOR" in out
    assert "output format:" in out


def test_explain_exits_like_check_when_a_target_refuses(tmp_path):
    assert run("explain", "1.20.19", cwd=tmp_path).returncode == 0
    assert (
        run("explain", "1.20.19", "--target", "cp312-manylinux_x86_64", cwd=tmp_path).returncode
        == 1
    )
    assert (
        run("explain", "1.20.19", "--target", "cp311-manylinux_x86_64", cwd=tmp_path).returncode
        == 0
    )


def test_the_console_command_exits_with_mains_code_and_skips_the_last_collection(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc

    from ddguard.cli import console

    monkeypatch.setattr(
        "sys.argv", ["ddguard", "check", "ddtrace==1.20.19", "--target", "cp312-manylinux_x86_64"]
    )
    try:
        with pytest.raises(SystemExit) as exit_info:
            console()
        assert exit_info.value.code == 1
        assert not hasattr(gc, "freeze") or gc.get_freeze_count() > 0
    finally:
        if hasattr(gc, "unfreeze"):
            gc.unfreeze()
    assert "REFUSED: ddtrace 1.20.19" in capsys.readouterr().out
