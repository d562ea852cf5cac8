"""PyYAML is paid for only when a YAML deployment file is read: a fresh interpreter
importing ddguard's entry points, or discovering a project without YAML, never loads it
(``python -X importtime`` lists every module imported)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _imported(code: str) -> set:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize(
    "module", ["ddguard", "ddguard.api", "ddguard.cli", "ddguard.sources.targets"]
)
def test_importing_an_entry_point_does_not_import_yaml(module: str) -> None:
    imported = _imported(f"import {module}")
    assert module in imported or module == "ddguard"
    assert not {name for name in imported if name == "yaml" or name.startswith("yaml.")}


def test_discovering_a_project_without_yaml_files_does_not_import_yaml(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "tox.ini").write_text("[tox]\nenvlist = py312\n")
    code = (
        "from ddguard.sources.targets import discover\n"
        f"assert len(discover({str(tmp_path)!r}).declarations) == 2\n"
    )
    assert "yaml" not in _imported(code)


def test_a_workflow_does_import_yaml(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("jobs: {}\n")
    code = f"from ddguard.sources.targets import discover\ndiscover({str(tmp_path)!r})\n"
    assert "yaml" in _imported(code)  # the test above can fail
