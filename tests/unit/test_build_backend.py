"""ddguard.build: the PEP 517 wrapper checks in the first hooks and mirrors the inner backend."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Iterator, List

import pytest

from ddguard import build
from ddguard.environment import CHECKED_VARIABLE, checked

FAKE_BACKEND = """
CALLS = []

def get_requires_for_build_wheel(config_settings=None):
    CALLS.append("get_requires_for_build_wheel")
    return ["inner-req"]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    CALLS.append("build_wheel")
    return "app-0.1-py3-none-any.whl"

def build_sdist(sdist_directory, config_settings=None):
    CALLS.append("build_sdist")
    return "app-0.1.tar.gz"
"""
EDITABLE = """
def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    CALLS.append("build_editable")
    return "app-0.1-py3-none-any.whl"
"""

REFUSED_HERE = "ddtrace==1.20.19"  # checked on the extra target cp312 below
NEWER_THAN_DB = "ddtrace==99.0.0"


def write_project(
    root: Path,
    pin: str,
    *,
    extra: str = "",
    backend_module: str = "fakebackend",
    editable: bool = False,
) -> None:
    (root / f"{backend_module}.py").write_text(FAKE_BACKEND + (EDITABLE if editable else ""))
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["ddguard"]
            build-backend = "ddguard.build"

            [project]
            name = "app"
            version = "0.1"
            dependencies = ["{pin}"]

            [tool.ddguard]
            backend = "{backend_module}"
            backend-path = ["."]
            targets = ["cp312-manylinux_x86_64"]
            """
        )
        + extra
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DDGUARD_SKIP", raising=False)
    monkeypatch.delenv("_DDGUARD_BUILD_CHECKED", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    build._project.cache_clear()
    build._inner.cache_clear()
    sys.modules.pop("fakebackend", None)
    yield tmp_path
    build._project.cache_clear()
    build._inner.cache_clear()
    sys.modules.pop("fakebackend", None)
    sys.path[:] = [p for p in sys.path if p != str(tmp_path)]


def inner_calls() -> List[str]:
    calls: List[str] = sys.modules["fakebackend"].CALLS
    return calls


def test_incompatible_pin_is_refused_in_get_requires_for_build_wheel(project: Path) -> None:
    write_project(project, REFUSED_HERE)
    with pytest.raises(SystemExit) as refused:
        build.get_requires_for_build_wheel()
    message = str(refused.value.code)
    assert message.startswith("ddguard: ddtrace 1.20.19 does not work on ")  # PyPy: host first
    assert "ddtrace 1.20.19 does not work on CPython 3.12, manylinux x86_64" in message
    assert "(pyproject.toml:8)" in message
    assert "DDGUARD_SKIP=1" in message.splitlines()[-1]
    assert "fakebackend" not in sys.modules or inner_calls() == []


def test_unknown_release_passes_and_delegates(project: Path) -> None:
    write_project(project, NEWER_THAN_DB)
    assert build.get_requires_for_build_wheel() == ["inner-req"]
    assert build.build_wheel("dist") == "app-0.1-py3-none-any.whl"
    assert inner_calls() == ["get_requires_for_build_wheel", "build_wheel"]


def test_strict_refuses_a_release_newer_than_the_database(project: Path) -> None:
    write_project(project, NEWER_THAN_DB)
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace("[tool.ddguard]", "[tool.ddguard]\nstrict = true")
    )
    (project / "pyproject.toml").write_text(text)
    with pytest.raises(SystemExit, match="cannot be checked"):
        build.get_requires_for_build_wheel()


def test_later_hooks_recheck_before_delegating(project: Path) -> None:
    write_project(project, REFUSED_HERE)
    with pytest.raises(SystemExit):
        build.build_wheel("dist")
    assert inner_calls() == []


def test_sdist_is_platform_neutral_unless_strict(project: Path) -> None:
    write_project(project, REFUSED_HERE)
    assert build.build_sdist("dist") == "app-0.1.tar.gz"


def test_ddguard_skip_lets_everything_through(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(project, REFUSED_HERE)
    monkeypatch.setenv("DDGUARD_SKIP", "1")
    assert build.get_requires_for_build_wheel() == ["inner-req"]


@pytest.mark.parametrize(
    "hook",
    [
        "prepare_metadata_for_build_wheel",
        "prepare_metadata_for_build_editable",
        "build_editable",
        "get_requires_for_build_editable",
        "get_requires_for_build_sdist",
    ],
)
def test_hooks_the_inner_backend_lacks_are_absent(project: Path, hook: str) -> None:
    write_project(project, NEWER_THAN_DB)
    assert not hasattr(build, hook)


def test_editable_hooks_appear_with_the_inner_build_editable(project: Path) -> None:
    write_project(project, REFUSED_HERE, editable=True)
    assert hasattr(build, "build_editable")
    with pytest.raises(SystemExit, match="does not work"):
        build.get_requires_for_build_editable()


def test_no_ddtrace_requirement_passes(project: Path) -> None:
    write_project(project, "requests>=2")
    assert build.get_requires_for_build_wheel() == ["inner-req"]


def test_optional_dependencies_are_checked_and_named(project: Path) -> None:
    write_project(
        project,
        "requests>=2",
        extra='\n[project.optional-dependencies]\ntracing = ["ddtrace==1.20.19"]\n',
    )
    text = (project / "pyproject.toml").read_text()
    # the optional table must come before [tool.ddguard] to stay in [project]
    head, tool = text.split("[tool.ddguard]")
    tool, optional = tool.split("\n[project.optional-dependencies]")
    (project / "pyproject.toml").write_text(
        head + "[project.optional-dependencies]" + optional + "\n[tool.ddguard]" + tool
    )
    with pytest.raises(SystemExit, match=r"ddtrace 1\.20\.19 does not work"):
        build.get_requires_for_build_wheel()


def test_missing_inner_backend_names_the_fix(project: Path) -> None:
    write_project(project, NEWER_THAN_DB)
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace('backend = "fakebackend"', 'backend = "no_such_backend"')
    )
    (project / "pyproject.toml").write_text(text)
    with pytest.raises(
        SystemExit,
        match=r"cannot import the build backend 'no_such_backend'.*\[build-system\] requires",
    ):
        build.get_requires_for_build_wheel()


def test_bad_config_is_one_paragraph_naming_the_file(project: Path) -> None:
    write_project(project, NEWER_THAN_DB)
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace("backend-path", "strict = 'yes'\nbackend-path")
    )
    (project / "pyproject.toml").write_text(text)
    with pytest.raises(
        SystemExit, match=r"ddguard: pyproject.toml: \[tool.ddguard\] strict must be true or false"
    ):
        build.get_requires_for_build_wheel()


@pytest.mark.skipif(
    sys.implementation.name != "cpython", reason="needs a host that passes: ddtrace is CPython-only"
)
def test_later_hooks_trust_a_passed_first_hook_of_the_same_tree(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip runs each hook in a new process: after get_requires_for_build_wheel passed,
    build_wheel does not judge again, unless pyproject.toml changed."""
    from ddguard.hosts import build_check

    write_project(project, "ddtrace==2.21.12")
    build.get_requires_for_build_wheel()
    judged: List[str] = []
    real = build_check.check_project
    monkeypatch.setattr(
        build_check, "check_project", lambda *a, **k: judged.append("x") or real(*a, **k)
    )
    build._project.cache_clear()
    monkeypatch.delenv(CHECKED_VARIABLE)  # a new process for the next hook
    build.build_wheel(str(project))
    assert judged == []
    # ... and the setuptools plugin or hatchling hook in that process does not judge it either
    assert checked(str(project))
    write_project(project, REFUSED_HERE)  # a new tree: no stamp, judged and refused
    build._project.cache_clear()
    with pytest.raises(SystemExit):
        build.build_wheel(str(project))
    assert judged == ["x"]
