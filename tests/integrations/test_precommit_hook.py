"""The pre-commit hook's entry, run as pre-commit runs it (cwd = the repository, args = targets)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def hook_command(args: List[str]) -> List[str]:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    entry = re.search(r"^\s*entry:\s*(.+)$", text, re.MULTILINE)
    assert entry is not None
    assert re.search(r"^\s*pass_filenames:\s*false\s*$", text, re.MULTILINE)
    argv = shlex.split(entry.group(1))
    assert argv[0] == "ddguard"
    return [sys.executable, "-m", "ddguard", *argv[1:], *args]


# --- the files pattern: which changes make pre-commit run the hook --------------------------


def files_pattern() -> re.Pattern[str]:
    """The hook's ``files:`` regex, compiled as pre-commit compiles it (Python's ``re``,
    searched in each repository-relative path)."""
    yaml = pytest.importorskip("yaml")
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert "exclude" not in hook and "types" not in hook and "types_or" not in hook
    return re.compile(hook["files"])


# Files ddguard reads: found in a project directory (--project), included by -r/-c from
# anywhere, or routed by name to a deployment-file reader (ddguard targets, any depth).
MUST_MATCH = [
    "requirements.txt",
    "requirements-dev.txt",
    "requirements_test.txt",
    "requirements.lock.txt",
    "Requirements.TXT",
    "requirements.in",
    "dev-requirements.txt",
    "services/api/requirements.txt",
    "requirements/prod.txt",
    "requirements/base.in",
    "requirements/ci/py312.txt",
    "backend/requirements/prod.txt",
    "constraints.txt",
    "constraints-py312.txt",
    "ci/constraints.txt",
    "dev.in",
    "tools/lint.in",
    "pyproject.toml",
    "services/api/pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "tox.toml",
    "Pipfile",
    "Pipfile.lock",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "pylock.toml",
    "pylock.dev.toml",
    "pylock.py312-linux.toml",
    "Dockerfile",
    "dockerfile",
    "docker/Dockerfile",
    "Dockerfile.prod",
    "Dockerfile-dev",
    "Dockerfile_lambda",
    "deploy/Dockerfile.lambda",
    "api.Dockerfile",
    "configs/buildtime/poetry.dockerfile",
    "Containerfile",
    "build.containerfile",
    ".github/workflows/ci.yml",
    ".github/workflows/release.yaml",
    ".github/workflows/Tests.YML",
    "services/api/.github/workflows/ci.yml",
    ".gitlab-ci.yml",
    ".python-version",
    "app/.python-version",
    "runtime.txt",
    ".tool-versions",
    "template.yaml",
    "sam/template.yml",
    "template.json",
    "infra/stack.template",
    "infra/api.template.yaml",
    "infra/api.cfn.yml",
    "serverless.yml",
    "functions/serverless.yaml",
    "app.yaml",
    "cdk.json",
    "main.tf",
    "modules/lambda/variables.tf",
]

MUST_NOT_MATCH = [
    "MANIFEST.in",
    "manifest.in",
    "pkg/MANIFEST.in",
    "setup.py",
    "README.md",
    "docs/requirements.rst",
    "requirements.txt.bak",
    "requirements.txt~",
    "requirements",
    "requirements/README.md",
    "notes.txt",
    "src/app/main.py",
    "Cargo.lock",
    "yarn.lock",
    "package-lock.json",
    "Gemfile.lock",
    "pyproject.toml.orig",
    "pylock.json",
    "Dockerfile/README.md",
    "Dockerfile.md",
    "docs/Dockerfile.txt",
    "Dockerfile.dockerignore",
    "Dockerfile.bak",
    "docker-compose.yml",
    ".github/dependabot.yml",
    ".github/actions/setup/action.yml",
    ".github/workflows/README.md",
    "ci.yml",
    "terraform.tfvars",
    "main.tf.json",
    "templates/deployment.yaml",
    "config.yaml",
    "src/Pipfile.bak",
    ".python-version.bak",
]


@pytest.mark.parametrize("path", MUST_MATCH)
def test_files_pattern_runs_the_hook_for_a_file_ddguard_reads(path: str) -> None:
    assert files_pattern().search(path), path


@pytest.mark.parametrize("path", MUST_NOT_MATCH)
def test_files_pattern_skips_the_hook_for_other_files(path: str) -> None:
    assert not files_pattern().search(path), path


def read_as_requirements(path: str) -> bool:
    """The requirement files ddguard reads, by name (the project scan's rule, and the names
    -r/-c includes use): requirements*/constraints* .txt or .in, anything .txt/.in in a
    requirements/ folder, *.in but MANIFEST.in, the declarations and the locks."""
    *folders, name = path.split("/")
    lower = name.lower()
    if lower.endswith((".txt", ".in")) and ("requirements" in lower or "constraints" in lower):
        return True
    if "requirements" in folders and name.endswith((".txt", ".in")):
        return True
    if lower.endswith(".in") and lower != "manifest.in":
        return True
    if name in ("Pipfile.lock", "uv.lock", "poetry.lock", "pdm.lock", "pylock.toml"):
        return True
    if name.startswith("pylock.") and name.endswith(".toml") and len(name) > len("pylock..toml"):
        return True
    return lower in ("pyproject.toml", "setup.cfg", "tox.ini", "pipfile")


def routed_by_name(path: str) -> bool:
    """Whether ddguard's deployment-file discovery reads ``path`` because of its name (YAML
    and Python files it reads only after looking inside are left to the user's config)."""
    from ddguard.sources.targets.walk import Route, route

    return route(path) not in (None, Route.YAML, Route.PYTHON_SOURCE)


def test_the_tables_agree_with_the_readers() -> None:
    wrong = [p for p in MUST_MATCH if not (read_as_requirements(p) or routed_by_name(p))]
    wrong += [p for p in MUST_NOT_MATCH if read_as_requirements(p) or routed_by_name(p)]
    assert wrong == []


_PIECES = st.sampled_from(
    ["", "requirements", "constraints", "dev-", "-dev", "Docker", "docker", "file", "Container",
     "pylock", "pyproject", "Pipfile", "uv", "poetry", "pdm", "setup", "tox", "MANIFEST",
     "manifest", "runtime", "app", "template", "serverless", "cdk", "stack", ".cfn", "main",
     ".python-version", ".tool-versions", ".gitlab-ci", "Cargo", ".", "_", "-", "x"]
)  # fmt: skip
_SUFFIXES = st.sampled_from(
    ["", ".txt", ".TXT", ".in", ".IN", ".toml", ".lock", ".yml", ".yaml", ".YML", ".json",
     ".cfg", ".ini", ".tf", ".md", ".template", ".bak", ".dockerfile", ".Dockerfile", ".dev",
     ".py", ".rst", ".dockerignore"]
)  # fmt: skip
_FOLDERS = st.lists(
    st.sampled_from(["requirements", ".github", "workflows", ".github/workflows", "sub", "ci"]),
    max_size=3,
)
_NAMES = st.builds(lambda a, b, c, ext: a + b + c + ext, _PIECES, _PIECES, _PIECES, _SUFFIXES)


@settings(max_examples=3000, deadline=None)
@given(_FOLDERS, _NAMES)
def test_files_pattern_matches_exactly_the_files_ddguard_reads_by_name(
    folders: List[str], name: str
) -> None:
    path = "/".join([*folders, name])
    if not name or "//" in path:
        return
    expected = read_as_requirements(path) or routed_by_name(path)
    assert bool(files_pattern().search(path)) == expected, path


# a project directory holding every kind of file `ddguard check --project` reads
READ_BY_THE_PROJECT_SCAN = {
    "pyproject.toml": "pep621/pyproject.toml",
    "setup.cfg": "setupcfg/setup.cfg",
    "tox.ini": "setupcfg/tox.ini",
    "requirements-test.txt": "setupcfg/requirements-test.txt",
    "Pipfile": "pipenv/Pipfile",
    "Pipfile.lock": "pipenv/Pipfile.lock",
    "uv.lock": "uv/uv.lock",
    "poetry.lock": "poetry/poetry.lock",
    "pdm.lock": "pdm/pdm.lock",
    "pylock.toml": "pylock/pylock.toml",
    "pylock.dev.toml": "pylock/pylock.toml",
    "requirements.txt": "ddtrace==2.21.12\n",
    "Requirements-CI.txt": "ddtrace==2.21.12\n",
    "constraints.txt": "ddtrace<3\n",
    "dev.in": "ddtrace>=2\n",
    "requirements/prod.txt": "ddtrace==2.21.12\n",
    "requirements/test.in": "ddtrace>=2\n",
}
NOT_READ = {
    "MANIFEST.in": "include README.md\n",
    "setup.py": "raise SystemExit('never run')\n",
    "notes.txt": "ddtrace==1.20.19\n",
    "Cargo.lock": "version = 3\n",
    "requirements/README.md": "ddtrace==1.20.19\n",
}


def test_every_file_the_project_scan_reads_runs_the_hook_and_no_other(tmp_path: Path) -> None:
    """``ddguard check --project DIR -v`` names each file it read (``read PATH``): each is
    matched by the pattern, and the files it leaves alone are not."""
    fixtures = ROOT / "tests" / "fixtures" / "projects"
    for name, text in {**READ_BY_THE_PROJECT_SCAN, **NOT_READ}.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        source = fixtures / text
        path.write_bytes(source.read_bytes() if "\n" not in text else text.encode())
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("DDGUARD_MODE", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ddguard",
            "check",
            "--project",
            ".",
            "-v",
            "--color",
            "never",
            "--target",
            "cp312-manylinux_x86_64",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    read = sorted(set(re.findall(r"^\s*note\W+read (\S+)$", done.stdout, re.MULTILINE)))
    assert read == sorted(READ_BY_THE_PROJECT_SCAN), done.stdout
    pattern = files_pattern()
    assert [p for p in read if not pattern.search(p)] == []
    assert [p for p in NOT_READ if pattern.search(p)] == []


def run_hook(repo: Path, args: List[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("DDGUARD_MODE", None)
    return subprocess.run(
        hook_command(args), cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )


def test_hook_refuses_a_pin_that_breaks_a_deployment_target(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("ddtrace==1.20.19\n")
    done = run_hook(
        tmp_path, ["--target", "cp311-manylinux_x86_64", "--target", "cp312-manylinux_x86_64"]
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "does not work on CPython 3.12" in done.stdout
    assert "requirements.txt:1" in done.stdout


def test_hook_passes_a_pin_that_works_on_every_target(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("ddtrace==1.20.19\n")
    done = run_hook(tmp_path, ["--target", "cp311-manylinux_x86_64"])
    assert done.returncode == 0, done.stdout + done.stderr


# --- the real pre-commit, installed from the index --------------------------------------


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def precommit(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path, Dict[str, str]]:
    """pre-commit in a scratch venv, this repository's committed tree cloned (try-repo and
    ``repo:`` need a git repository), and pre-commit's cache in the temp dir."""
    root = tmp_path_factory.mktemp("pre-commit")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "pre-commit"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        pytest.skip("pre-commit does not install from the package index here")
    clone = root / "ddguard"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDGUARD_", "PYTHONPATH"))}
    env.update(
        PRE_COMMIT_HOME=str(root / "cache"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    return venv / "bin" / "pre-commit", clone, env


def _project(path: Path, pin: str) -> Path:
    path.mkdir()
    (path / "requirements.txt").write_text(f"requests\n{pin}\n")
    _git(path, "init", "-q")
    _git(path, "add", "requirements.txt")
    return path


@pytest.mark.network
@pytest.mark.slow
def test_real_precommit_refuses_with_the_paragraph_and_passes_a_compatible_pin(
    precommit: Tuple[Path, Path, Dict[str, str]], tmp_path: Path
) -> None:
    tool, clone, env = precommit
    rev = _git(clone, "rev-parse", "HEAD")
    config = (
        f"repos:\n- repo: {clone}\n  rev: {rev}\n  hooks:\n  - id: ddguard\n"
        "    args: [--target, cp311-manylinux_x86_64, --target, cp312-manylinux_x86_64]\n"
    )
    refused = _project(tmp_path / "refused", "ddtrace==1.20.19")
    (refused / ".pre-commit-config.yaml").write_text(config)
    done = subprocess.run(
        [str(tool), "run", "--all-files"], cwd=refused, env=env, capture_output=True, text=True
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert re.search(r"ddguard \(ddtrace compatibility\)\.+Failed", out), out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "requirements.txt:2" in out

    works = _project(tmp_path / "works", "ddtrace==2.21.12")
    (works / ".pre-commit-config.yaml").write_text(config)
    done = subprocess.run(
        [str(tool), "run", "--all-files"], cwd=works, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"ddguard \(ddtrace compatibility\)\.+Passed", done.stdout), done.stdout


@pytest.mark.network
@pytest.mark.slow
def test_real_precommit_try_repo_runs_the_hook_on_its_own_interpreter(
    precommit: Tuple[Path, Path, Dict[str, str]], tmp_path: Path
) -> None:
    # try-repo takes no args: the hook judges pre-commit's own interpreter (this one, 3.11+)
    tool, clone, env = precommit
    old = _project(tmp_path / "old", "ddtrace==0.47.0")  # wheels up to CPython 3.9 only
    done = subprocess.run(
        [str(tool), "try-repo", str(clone), "ddguard", "--all-files"],
        cwd=old,
        env=env,
        capture_output=True,
        text=True,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "ddtrace 0.47.0 does not work on CPython 3." in out
    fine = _project(tmp_path / "fine", "ddtrace==2.21.12")
    done = subprocess.run(
        [str(tool), "try-repo", str(clone), "ddguard", "--all-files"],
        cwd=fine,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.network
@pytest.mark.slow
def test_real_precommit_runs_the_hook_for_a_requirements_folder_and_skips_other_changes(
    precommit: Tuple[Path, Path, Dict[str, str]], tmp_path: Path
) -> None:
    tool, clone, env = precommit
    rev = _git(clone, "rev-parse", "HEAD")
    repo = tmp_path / "repo"
    (repo / "requirements").mkdir(parents=True)
    (repo / "requirements" / "prod.txt").write_text("ddtrace==1.20.19\n")
    (repo / "README.md").write_text("app\n")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {clone}\n  rev: {rev}\n  hooks:\n  - id: ddguard\n"
        "    args: [--target, cp312-manylinux_x86_64]\n"
    )
    _git(repo, "init", "-q")
    _git(repo, "add", ".")

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        argv = [str(tool), "run", "--files", *files]
        return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)

    skipped = run("README.md")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert re.search(
        r"ddguard \(ddtrace compatibility\)\.+\(no files to check\)Skipped", skipped.stdout
    )
    refused = run("requirements/prod.txt")
    out = refused.stdout + refused.stderr
    assert refused.returncode == 1, out
    assert re.search(r"ddguard \(ddtrace compatibility\)\.+Failed", out), out
    assert "ddtrace 1.20.19 does not work on CPython 3.12" in out
    assert "requirements/prod.txt:1" in out
