"""The GitHub Action (action.yml + action/run.sh), its steps run as a runner runs them.

A small runner reads action.yml, substitutes ``${{ inputs.* }}`` (declared defaults unless a
test gives a value) and ``${{ github.action_path }}``, and runs each step's ``run`` with
``bash --noprofile --norc -eo pipefail`` (GitHub's ``shell: bash``), in GITHUB_WORKSPACE, with
GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY (a fresh file per step) and
RUNNER_TEMP set. Any other expression in action.yml fails the test: the runner here would not
know its value.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "action" / "run.sh"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

REFUSED_312 = "ddtrace 1.20.19 does not work on CPython 3.12, manylinux x86_64"


def action() -> Dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


class StepRun(NamedTuple):
    name: str
    returncode: int
    stdout: str
    stderr: str
    summary: str


class Runner:
    """One job's runner: its RUNNER_TEMP and workspace, shared by the steps it runs."""

    def __init__(self, temp: Path, workspace: Path, user_python: Path) -> None:
        self.temp = temp
        self.workspace = workspace
        self.user_python = user_python  # the job's python, which must stay without ddguard

    def expand(self, text: str, inputs: Dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression == "github.action_path":
                return str(ROOT)
            name = expression[len("inputs.") :]
            assert expression.startswith("inputs.") and name in inputs, expression
            return inputs[name]

        return EXPRESSION.sub(value, text)

    def run(self, given: Optional[Dict[str, str]] = None) -> List[StepRun]:
        """Every step of the action with these inputs; stops after a failing step."""
        declared = action()["inputs"]
        unknown = set(given or {}) - set(declared)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        inputs.update(given or {})
        done = []
        for number, step in enumerate(action()["runs"]["steps"]):
            assert step["shell"] == "bash", step
            summary = self.temp / f"step_summary_{number}"
            summary.write_text("")
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DDGUARD_", "PYTHONPATH", "GITHUB_", "INPUT_", "RUNNER_"))
            }
            env.update(
                CI="true",
                GITHUB_ACTIONS="true",
                GITHUB_ACTION_PATH=str(ROOT),
                GITHUB_WORKSPACE=str(self.workspace),
                GITHUB_STEP_SUMMARY=str(summary),
                RUNNER_TEMP=str(self.temp),
                XDG_CACHE_HOME=str(self.temp / "cache"),  # the embedded database, not a user's
            )
            env.update({k: self.expand(str(v), inputs) for k, v in step.get("env", {}).items()})
            script = self.temp / f"step_{number}.sh"
            script.write_text(self.expand(step["run"], inputs))
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            done.append(
                StepRun(
                    step["name"], proc.returncode, proc.stdout, proc.stderr, summary.read_text()
                )
            )
            if proc.returncode != 0:
                break
        return done


def check_step(steps: List[StepRun]) -> StepRun:
    assert len(steps) == len(action()["runs"]["steps"]), steps  # the install step passed
    return steps[-1]


def errors(run: StepRun) -> List[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("::error ")]


def cells(summary: str) -> List[List[str]]:
    """The markdown table's rows (separator row left out), each row's first five cells."""
    rows = [line for line in summary.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.split("|")[1:6]] for row in rows]


# --- the inputs action.yml declares are the inputs run.sh reads ---------------------------


def test_every_declared_input_reaches_the_script_and_the_script_reads_no_other() -> None:
    declared = set(action()["inputs"])
    assert declared == {"targets", "project", "strict", "args", "python"}
    mapped: Dict[str, str] = {}
    for step in action()["runs"]["steps"]:
        assert "run.sh" in step["run"] and "${{" not in step["run"], step["run"]
        for key, value in step.get("env", {}).items():
            match = re.fullmatch(r"\$\{\{ inputs\.([a-z_-]+) \}\}", str(value))
            assert match, f"{key}: {value}"
            mapped[key] = match.group(1)
    assert sorted(mapped.values()) == sorted(declared)  # each input passed once
    assert all(key == "INPUT_" + name.upper() for key, name in mapped.items())
    read = set(re.findall(r"\bINPUT_[A-Z_]+\b", SCRIPT.read_text()))
    assert read == set(mapped), read ^ set(mapped)


def test_every_input_has_a_description_and_a_string_default() -> None:
    for name, spec in action()["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default"), str), name
    assert action()["runs"]["using"] == "composite"


def test_the_script_is_executable_as_the_steps_run_it() -> None:
    assert os.access(SCRIPT, os.X_OK)
    done = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- the steps, run -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """A runner whose install step has run once, with ``python`` a plain venv standing for
    the user's environment (which must stay without ddguard)."""
    root = tmp_path_factory.mktemp("action")
    user = root / "user-venv"
    subprocess.run([sys.executable, "-m", "venv", str(user)], check=True)
    runner = Runner(root / "runner-temp", root / "workspace", user / "bin" / "python")
    runner.temp.mkdir()
    runner.workspace.mkdir()
    steps = runner.run({"python": str(runner.user_python), "project": "", "args": "--help"})
    install = steps[0]
    if install.returncode != 0 and "cannot install ddguard" in install.stdout:
        pytest.skip(f"ddguard does not build from the package index here: {install.stderr[-500:]}")
    assert install.returncode == 0, install
    assert steps[1].returncode == 0, steps[1]  # --help
    return runner


def project(runner: Runner, files: Dict[str, str]) -> None:
    """The workspace holds exactly these files (the checked-out repository)."""
    for old in sorted(runner.workspace.rglob("*"), reverse=True):
        old.rmdir() if old.is_dir() else old.unlink()
    for name, text in files.items():
        path = runner.workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def runs(test: Any) -> Any:
    """A test that runs the steps: the install step builds ddguard with pip (the package
    index serves the build backend and ddguard's dependencies)."""
    return pytest.mark.slow(pytest.mark.network(test))


@runs
def test_install_step_uses_a_private_venv_and_leaves_the_users_python_alone(job: Runner) -> None:
    assert (job.temp / "ddguard-venv" / "bin" / "ddguard").exists()
    user = job.user_python
    done = subprocess.run([str(user), "-c", "import ddguard"], capture_output=True, text=True)
    assert done.returncode == 1 and "No module named 'ddguard'" in done.stderr
    # and a second use of the action in the job does not build ddguard again
    again = job.run({"python": str(user), "project": "", "args": "ddtrace==4.16.0"})
    assert "already installed" in again[0].stdout, again[0]
    assert again[1].returncode == 0, again[1]


@runs
@pytest.mark.parametrize(
    "targets",
    [
        "cp311-manylinux_x86_64\ncp312-manylinux_x86_64\n",
        "cp311-manylinux_x86_64 cp312-manylinux_x86_64",
        "  cp311-manylinux_x86_64,\n\tcp312-manylinux_x86_64  ",
    ],
)
def test_a_refused_argument_pin_fails_the_step_with_an_error_annotation_and_a_summary(
    job: Runner, targets: str
) -> None:
    project(job, {})
    run = check_step(job.run({"targets": targets, "project": "", "args": "ddtrace==1.20.19"}))
    assert run.returncode == 1, run
    (error,) = errors(run)
    assert error.startswith(f"::error title=ddguard::{REFUSED_312}."), error
    assert "Fix: use ddtrace>=2.0.1" in error
    warning = [line for line in run.stdout.splitlines() if line.startswith("::warning ")]
    assert len(warning) == 1 and "works on CPython 3.11" in warning[0]  # End of Life
    assert "--target cp311-manylinux_x86_64 --target cp312-manylinux_x86_64" in run.stdout
    assert run.summary.startswith("### ddguard: ddtrace compatibility\n")
    assert cells(run.summary) == [
        ["status", "requirement", "source", "target", "verdict"],
        ["warning", "ddtrace==1.20.19", "argv", "CPython 3.11, manylinux x86_64", "compatible"],
        ["REFUSED", "ddtrace==1.20.19", "argv", "CPython 3.12, manylinux x86_64", "incompatible"],
    ]


@runs
def test_a_compatible_argument_pin_passes_the_step(job: Runner) -> None:
    project(job, {})
    run = check_step(
        job.run({"targets": "cp312-manylinux_x86_64", "project": "", "args": "'ddtrace==4.16.0'"})
    )
    assert run.returncode == 0, run
    assert not errors(run) and "::warning" not in run.stdout
    assert "ok: ddtrace 4.16.0 works on CPython 3.12, manylinux x86_64" in run.stdout
    assert (
        "| ok | ddtrace==4.16.0 | argv | CPython 3.12, manylinux x86_64 | compatible |"
        in run.summary
    )


@runs
@pytest.mark.parametrize(("strict", "status"), [("false", 0), ("true", 1)])
def test_strict_refuses_an_end_of_life_line(job: Runner, strict: str, status: int) -> None:
    project(job, {})
    given = {"targets": "cp311-manylinux_x86_64", "project": "", "strict": strict}
    run = check_step(job.run({**given, "args": "ddtrace==1.20.19"}))
    assert run.returncode == status, run
    assert bool(errors(run)) == (status == 1)


@runs
@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"targets": "cp312-nowhere"}, "unknown platform tag 'nowhere'"),
        ({"strict": "yes"}, "the strict input must be true or false, not 'yes'"),
        ({"args": "'ddtrace==1.20.19"}, "the args input is not a list of shell words"),
    ],
)
def test_bad_input_fails_the_step_with_exit_2_and_one_error_annotation(
    job: Runner, given: Dict[str, str], message: str
) -> None:
    project(job, {})
    run = check_step(job.run({"project": "", "args": "ddtrace==1.20.19", **given}))
    assert run.returncode == 2, run
    (error,) = errors(run)
    assert error.startswith("::error title=ddguard::") and message in error, error
    assert "Traceback" not in run.stdout + run.stderr


# --- reading the checked-out project (needs ddguard's project readers: issue 13) ----------


@runs
def test_a_refused_pin_in_the_project_is_annotated_on_its_line(job: Runner) -> None:
    project(job, {"requirements.txt": "requests\nddtrace==1.20.19\n"})
    run = check_step(job.run({"targets": "cp312-manylinux_x86_64"}))
    assert run.returncode == 1, run
    (error,) = errors(run)
    assert error.startswith(
        f"::error file=requirements.txt,line=2,title=ddguard::{REFUSED_312} (requirements.txt:2)."
    ), error
    assert cells(run.summary)[1:] == [
        [
            "REFUSED",
            "ddtrace==1.20.19",
            "requirements.txt:2",
            "CPython 3.12, manylinux x86_64",
            "incompatible",
        ]
    ]


@runs
def test_a_project_in_a_subdirectory_is_annotated_with_its_repository_path(job: Runner) -> None:
    files = {
        "services/api/pyproject.toml": '[project]\nname = "api"\nversion = "1"\n'
        'dependencies = [\n  "ddtrace==1.20.19",\n]\n'
    }
    project(job, files)
    run = check_step(job.run({"targets": "cp312-manylinux_x86_64", "project": "services/api"}))
    assert run.returncode == 1, run
    (error,) = errors(run)
    assert error.startswith("::error file=services/api/pyproject.toml,line=5,title=ddguard::"), (
        error
    )


@runs
def test_a_compatible_pin_in_the_project_passes_the_step(job: Runner) -> None:
    project(job, {"requirements.txt": "ddtrace==4.16.0\n", "README.md": "app\n"})
    run = check_step(job.run({"targets": "cp312-manylinux_x86_64\ncp313-musllinux_aarch64"}))
    assert run.returncode == 0, run
    assert not errors(run)
    assert [row[:3] for row in cells(run.summary)[1:]] == 2 * [
        ["ok", "ddtrace==4.16.0", "requirements.txt:1"]
    ]


@runs
def test_without_targets_the_project_s_declared_deployment_targets_are_judged(
    job: Runner,
) -> None:
    project(
        job, {"requirements.txt": "ddtrace==1.20.19\n", "Dockerfile": "FROM python:3.12-slim\n"}
    )
    run = check_step(job.run({}))
    assert run.returncode == 1, run
    assert errors(run) and all("does not work on CPython 3.12" in e for e in errors(run)), run
    assert all(e.startswith("::error file=requirements.txt,line=1,") for e in errors(run))
    assert "declared in Dockerfile:1" in run.stdout, run.stdout
