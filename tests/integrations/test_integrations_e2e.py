"""``ddguard check --integrations`` in a real venv with stub libraries, and one real
``ddguard db update`` from the package index (marked ``network``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stubwheel import make_wheel

ROOT = Path(__file__).resolve().parents[2]
PY311 = Path("/root/.pyenv/versions/3.11.7/bin/python")


def run(argv: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    cwd = env.get("XDG_CACHE_HOME", "/")  # not the checkout: no project files around
    os.makedirs(cwd, exist_ok=True)
    return subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def venv(ddguard_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """python3.11 venv: ddguard's wheel, a stub ddtrace 2.5.0 and a stub Django 1.7."""
    if not PY311.exists():
        pytest.skip(f"needs {PY311}")
    base = tmp_path_factory.mktemp("integrations-venv")
    stubs = base / "stubs"
    make_wheel(stubs, "ddtrace", "2.5.0", files={"ddtrace/__init__.py": ""})
    make_wheel(stubs, "Django", "1.7", files={"django/__init__.py": ""})
    make_wheel(stubs, "Django", "4.2", files={"django/__init__.py": ""})
    subprocess.run([str(PY311), "-m", "venv", str(base / "venv")], check=True)
    python = base / "venv" / "bin" / "python"
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check", "install"]
    done = subprocess.run([*pip, str(ddguard_wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [*pip, "--no-index", "--find-links", str(stubs), "ddtrace==2.5.0", "Django==1.7"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return base / "venv"


def clean_env(tmp_path: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DDGUARD_", "PYTHON"))}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), NO_COLOR="1")
    return env


DJANGO = (
    "Django 1.7 is below the supported >=1.8 for ddtrace 2.x: Django requests will not be traced"
)


def test_old_django_under_ddtrace_2_is_warned_then_refused_under_strict(venv, tmp_path):
    ddguard = str(venv / "bin" / "ddguard")
    env = clean_env(tmp_path)
    done = run([ddguard, "check", "--integrations"], env)
    assert done.returncode == 0, done.stdout + done.stderr  # warned, not refused
    assert f"warning: {DJANGO}." in done.stdout

    done = run([ddguard, "check", "--integrations", "--strict", "--format", "json"], env)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["integrations"]
    assert [(f["package"], f["version"], f["refused"]) for f in findings] == [
        ("Django", "1.7", True)
    ]

    done = run([ddguard, "check"], env)  # without the flag: no integration finding
    assert "Django" not in done.stdout


def test_requirements_pin_is_reported_with_its_line(venv, tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("ddtrace==2.5.0\nflask==0.9\n")
    done = run(
        [
            str(venv / "bin" / "ddguard"),
            "check",
            "-r",
            str(req),
            "--integrations",
            "--format",
            "github",
        ],
        clean_env(tmp_path),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"::warning file={req},line=2,title=ddguard::flask 0.9 is below the supported >=0.10 "
        "for ddtrace 2.x: flask requests will not be traced"
    ) in done.stdout
    assert f"::warning title=ddguard::{DJANGO}" in done.stdout  # installed, no file


def test_newer_django_is_not_reported(venv, tmp_path):
    python = str(venv / "bin" / "python")
    stubs = venv.parent / "stubs"
    env = clean_env(tmp_path)
    pip = [python, "-m", "pip", "-q", "--disable-pip-version-check", "install", "--no-index"]
    try:
        done = run([*pip, "--find-links", str(stubs), "Django==4.2"], env)
        assert done.returncode == 0, done.stderr
        done = run([str(venv / "bin" / "ddguard"), "check", "--integrations"], env)
        assert done.returncode == 0
        assert "Django" not in done.stdout
    finally:
        run([*pip, "--find-links", str(stubs), "Django==1.7"], env)


@pytest.mark.network
def test_real_db_update_from_the_index(tmp_path):
    sys.path.insert(0, str(ROOT / "src"))
    from ddguard.errors import DatabaseError
    from ddguard.knowledge import refresh

    try:
        refresh.fetch(refresh.choose_index()._replace(timeout=20))
    except DatabaseError as exc:
        pytest.skip(f"package index unreachable: {exc}")
    env = clean_env(tmp_path)
    env["PYTHONPATH"] = str(ROOT / "src")
    done = run([sys.executable, "-m", "ddguard", "db", "update"], env)
    assert done.returncode == 0, done.stderr
    assert "releases, newest" in done.stdout
    cache = tmp_path / "cache" / "ddguard" / "releases.json"
    assert cache.is_file()
    done = run([sys.executable, "-m", "ddguard", "db", "status"], env)
    assert f"database: {cache} (user cache)" in done.stdout
