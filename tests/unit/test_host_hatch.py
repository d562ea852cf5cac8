"""The hatchling build hook in-process, under stand-ins for hatchling's plugin API
(host_standins.py): registered through hatch's pluggy hook, its ``initialize()`` refuses a
build whose ddtrace does not work on the build's interpreter or the declared targets
(SystemExit with ddguard's paragraph, which hatchling prints), lets a working one build,
skips sdists unless strict, and turns bad hook options into one line.
(tests/integrations builds real projects with hatchling.)"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
from host_standins import (
    BAD_PROJECT_FILES,
    BuildHookInterface,
    assert_one_line_input_error,
    hatch_manager,
    hatch_modules,
    load_adapter,
    write_project,
)

from ddguard.environment import CHECKED_VARIABLE
from ddguard.hosts.build_check import FOOTER

CP312 = "cp312-manylinux_x86_64"


@pytest.fixture
def hook_class(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("DDGUARD_SKIP", "DDGUARD_MODE", CHECKED_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    adapter = load_adapter(monkeypatch, "hatch", hatch_modules())
    (registered,) = hatch_manager(adapter).hook.hatch_register_build_hook()
    return registered


def build(
    hook_class: Any, root: Path, config: Optional[Dict[str, Any]] = None, target: str = "wheel"
) -> None:
    """hatchling builds a target: it makes the hook (root, config, build_config, metadata,
    directory, target_name) and calls ``initialize(version, build_data)``."""
    hook = hook_class(str(root), config or {}, None, None, str(root / "dist"), target)
    hook.initialize("standard", {})


def test_the_hook_is_registered_under_its_table_name(hook_class: Any) -> None:
    assert issubclass(hook_class, BuildHookInterface) and hook_class.PLUGIN_NAME == "ddguard"


@pytest.mark.parametrize(
    "dependencies, extra",
    [
        (["ddtrace==1.20.19"], ""),
        (["requests", "ddtrace<2"], ""),
        ([], '[project.optional-dependencies]\ntracing = ["ddtrace==1.20.19"]\n'),
    ],
)
def test_a_refused_dependency_stops_the_build_with_ddguards_paragraph(
    hook_class: Any, tmp_path: Path, dependencies: Any, extra: str
) -> None:
    write_project(tmp_path, dependencies, extra)
    with pytest.raises(SystemExit) as stopped:
        build(hook_class, tmp_path, {"targets": [CP312]})
    text = str(stopped.value.code)
    *paragraphs, footer = text.split("\n\n")  # the running interpreter's may come first
    assert footer == FOOTER.format(project="app")
    assert all(p.startswith("ddguard: ddtrace 1.20.19 ") for p in paragraphs), text
    assert any(
        re.search(r"does not work on CPython 3\.12, manylinux x86_64", p) for p in paragraphs
    ), text


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the building interpreter is judged: ddtrace is CPython-only")
@pytest.mark.parametrize("config", [{"targets": [CP312]}, {"targets": CP312}, {}])
def test_a_working_dependency_builds(
    hook_class: Any, tmp_path: Path, config: Dict[str, Any]
) -> None:
    write_project(tmp_path, ["ddtrace>=2"])  # a release works on every CPython the tests run on
    build(hook_class, tmp_path, config)


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the building interpreter is judged: ddtrace is CPython-only")
def test_the_hook_table_adds_to_tool_ddguard(hook_class: Any, tmp_path: Path) -> None:
    write_project(tmp_path, ["ddtrace==1.20.19"], f'[tool.ddguard]\ntargets = ["{CP312}"]\n')
    with pytest.raises(SystemExit):
        build(hook_class, tmp_path)
    write_project(
        tmp_path, ["ddtrace>=2"], '[tool.ddguard]\ntargets = ["cp311-manylinux_x86_64"]\n'
    )
    build(hook_class, tmp_path, {"strict": True})


def test_discover_judges_the_deployment_targets(hook_class: Any, tmp_path: Path) -> None:
    write_project(tmp_path, ["ddtrace>=1,<2"])
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    with pytest.raises(SystemExit, match=r"CPython 3\.12"):
        build(hook_class, tmp_path, {"discover": True})


@pytest.mark.parametrize("strict", [False, True])
def test_an_sdist_is_judged_only_when_strict(hook_class: Any, tmp_path: Path, strict: bool) -> None:
    write_project(tmp_path, ["ddtrace==1.20.19"])
    config = {"targets": [CP312], "strict": strict}
    if strict:
        with pytest.raises(SystemExit):
            build(hook_class, tmp_path, config, target="sdist")
    else:
        build(hook_class, tmp_path, config, target="sdist")


@pytest.mark.parametrize("how", ["DDGUARD_SKIP", "checked-by-the-wrapper"])
def test_skip_and_an_earlier_check_of_the_same_tree_skip(
    hook_class: Any, tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, ["ddtrace==1.20.19"])
    if how == "DDGUARD_SKIP":
        monkeypatch.setenv("DDGUARD_SKIP", "1")
    else:
        monkeypatch.setenv(CHECKED_VARIABLE, str(tmp_path.resolve()))
    build(hook_class, tmp_path, {"targets": [CP312]})


@pytest.mark.parametrize(
    "config",
    [
        {"strict": "yes"},
        {"targets": 312},
        {"targets": ["cp312-nonsense"]},
        {"targets": ["not a target"]},
        {"backend": "setuptools.build_meta"},  # only [tool.ddguard] names a backend
        {"stirct": True},
        {"discover": "x" * 50_000},
    ],
)
def test_bad_hook_options_are_one_line(
    hook_class: Any, tmp_path: Path, config: Dict[str, Any]
) -> None:
    write_project(tmp_path, ["ddtrace==1.20.19"])
    with pytest.raises(SystemExit) as stopped:
        build(hook_class, tmp_path, config)
    text = str(stopped.value.code)
    assert text.startswith("ddguard: ") and "\n" not in text and len(text) < 500, text[:600]


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the building interpreter is judged: ddtrace is CPython-only")
def test_hatchlings_own_hook_options_are_not_ddguards_to_judge(
    hook_class: Any, tmp_path: Path
) -> None:
    write_project(tmp_path, ["ddtrace>=2"])
    build(
        hook_class,
        tmp_path,
        {
            "dependencies": ["ddguard"],
            "enable-by-default": True,
            "require-runtime-dependencies": True,
        },
    )


@pytest.mark.parametrize("name", sorted(BAD_PROJECT_FILES))
def test_a_bad_project_file_is_one_line(hook_class: Any, tmp_path: Path, name: str) -> None:
    (tmp_path / "pyproject.toml").write_text(BAD_PROJECT_FILES[name])
    with pytest.raises(SystemExit) as stopped:
        build(hook_class, tmp_path)
    assert_one_line_input_error(str(stopped.value.code), tmp_path)
