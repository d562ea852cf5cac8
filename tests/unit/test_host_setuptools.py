"""The setuptools plugin and the build check every build hook shares, in-process: the
``egg_info.writers`` hook refuses an opted-in project whose ``install_requires`` or
``extras_require`` names a ddtrace that does not work (SystemExit with ddguard's paragraph
and the file and line that declare it), lets the others build, and turns bad input into
one line. (tests/integrations builds real setuptools projects.)"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
from host_standins import (
    ACCEPTED_ON_ANY_HOST,
    BAD_PROJECT_FILES,
    REFUSED_ON_ANY_HOST,
    assert_one_line_input_error,
)

from ddguard.environment import CHECKED_VARIABLE
from ddguard.hosts.build_check import FOOTER, build_pins, check_project
from ddguard.hosts.setuptools import _names_ddtrace, _pin, check_egg_info
from ddguard.model import OriginKind

OPTED_IN = {
    "tool-table": "[tool.ddguard]\n",
    "build-requires": '[build-system]\nrequires = ["setuptools", "DDGuard>=0.1"]\n',
    "build-requires-marker": "[build-system]\nrequires = [\"ddguard ; python_version >= '3.8'\"]\n",
}


@pytest.fixture(autouse=True)
def no_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DDGUARD_SKIP", "DDGUARD_MODE", CHECKED_VARIABLE):
        monkeypatch.delenv(name, raising=False)


def egg_info(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    install_requires: Any,
    extras_require: Optional[Dict[str, Any]] = None,
) -> None:
    """setuptools/command/egg_info.py ``egg_info.run``: each ``egg_info.writers`` entry point
    is called as ``writer(cmd, basename, filename)`` in the project directory; ``cmd.distribution``
    carries the computed ``install_requires`` and ``extras_require``."""
    monkeypatch.chdir(root)
    distribution = types.SimpleNamespace(
        install_requires=install_requires, extras_require=extras_require or {}
    )
    check_egg_info(
        types.SimpleNamespace(distribution=distribution),
        "ddguard",
        str(root / "x.egg-info" / "ddguard"),
    )


def opt_in(root: Path, how: str = "tool-table", more: str = "") -> Path:
    (root / "pyproject.toml").write_text(OPTED_IN[how] + more)
    return root


@pytest.mark.parametrize("how", sorted(OPTED_IN))
def test_an_opted_in_project_with_a_refused_requirement_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    opt_in(tmp_path, how)
    (tmp_path / "setup.cfg").write_text(
        f"[options]\ninstall_requires =\n    requests\n    {REFUSED_ON_ANY_HOST}\n"
    )
    with pytest.raises(SystemExit) as stopped:
        egg_info(tmp_path, monkeypatch, ["requests", REFUSED_ON_ANY_HOST])
    text = str(stopped.value.code)
    assert (
        text.startswith("ddguard: ddtrace 0.27.1 ")
        and "(setup.cfg:4)" in text
        and text.endswith(FOOTER.format(project=tmp_path.name))
    )


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="the building interpreter is judged: ddtrace is CPython-only")
@pytest.mark.parametrize(
    "install_requires", [[ACCEPTED_ON_ANY_HOST], ["requests"], [], None, ACCEPTED_ON_ANY_HOST]
)
def test_a_working_or_absent_ddtrace_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, install_requires: Any
) -> None:
    opt_in(tmp_path)
    egg_info(tmp_path, monkeypatch, install_requires)


def test_declared_targets_are_judged_and_the_project_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opt_in(tmp_path, more='targets = ["cp312-manylinux_x86_64"]\n[project]\nname = "svc"\n')
    with pytest.raises(SystemExit, match=r"(?s)CPython 3\.12.*checked svc's ddtrace"):
        egg_info(tmp_path, monkeypatch, ["ddtrace==1.20.19"])


@pytest.mark.parametrize(
    "extras_require, refused",
    [
        ({"tracing": [REFUSED_ON_ANY_HOST]}, True),
        ({"tracing": REFUSED_ON_ANY_HOST + "\nrequests\n"}, True),
        ({"tracing:python_version >= '3'": [REFUSED_ON_ANY_HOST]}, True),
        # a marker that excludes every host
        ({"tracing:sys_platform == 'nope'": [REFUSED_ON_ANY_HOST]}, False),
        ({"tracing": [REFUSED_ON_ANY_HOST + "; sys_platform == 'nope'"]}, False),
        ({"tracing": ["requests"]}, False),
    ],
)
def test_extras_are_judged_with_their_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extras_require: Dict[str, Any], refused: bool
) -> None:
    opt_in(tmp_path)
    if not refused:
        egg_info(tmp_path, monkeypatch, [], extras_require)
        return
    with pytest.raises(SystemExit) as stopped:
        egg_info(tmp_path, monkeypatch, [], extras_require)
    assert str(stopped.value.code).startswith("ddguard: ddtrace 0.27.1 ")


def test_the_pin_names_the_first_project_file_and_line_that_declare_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["ddguard"]\n')
    (tmp_path / "setup.cfg").mkdir()  # unreadable as a file: skipped
    (tmp_path / "setup.py").write_text(
        f'setup(\n  extras_require={{"tracing": ["{REFUSED_ON_ANY_HOST}"]}},\n)\n'
    )
    pins = [
        _pin(str(tmp_path), "ddtrace>=2", None),
        _pin(str(tmp_path), REFUSED_ON_ANY_HOST + "; python_version > '3'", "tracing"),
    ]
    assert [(p.origin.kind, p.origin.path, p.origin.line, p.origin.name) for p in pins] == [
        # written in no project file: setup.py, no line
        (OriginKind.DEPENDENCY, str(tmp_path / "setup.py"), None, None),
        (OriginKind.EXTRA, str(tmp_path / "setup.py"), 2, "tracing"),
    ]
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\ndependencies = ["{REFUSED_ON_ANY_HOST}"]\n'
    )
    assert _pin(str(tmp_path), REFUSED_ON_ANY_HOST, None).origin.path == str(
        tmp_path / "pyproject.toml"
    )


@pytest.mark.parametrize(
    "text, names_ddtrace",
    [
        ("ddtrace", True),
        ("DDTrace>=2", True),
        ("ddtrace[opentracing]", True),
        ("ddtrace ; python_version < '3.12'", True),
        ("ddtrace @ https://example.invalid/ddtrace.whl", True),
        ("ddtrace(>=1)", True),
        ("  ddtrace~=2.0", True),
        ("ddtrace-api", False),
        ("ddtracer", False),
        ("dd-trace", False),
        ("requests", False),
        ("", False),
    ],
)
def test_which_requirements_name_ddtrace(text: str, names_ddtrace: bool) -> None:
    assert _names_ddtrace(text) is names_ddtrace


# --- when the plugin stays out of the way -----------------------------------------------------


def test_a_project_that_did_not_opt_in_is_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "ddguardian"]\n'
    )
    egg_info(tmp_path, monkeypatch, [REFUSED_ON_ANY_HOST])
    (tmp_path / "pyproject.toml").unlink()
    egg_info(tmp_path, monkeypatch, [REFUSED_ON_ANY_HOST])  # no pyproject.toml at all


@pytest.mark.parametrize("how", ["DDGUARD_SKIP", "checked-by-the-wrapper"])
def test_skip_and_an_earlier_check_of_the_same_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    opt_in(tmp_path)
    if how == "DDGUARD_SKIP":
        monkeypatch.setenv("DDGUARD_SKIP", "yes")
    else:
        monkeypatch.setenv(CHECKED_VARIABLE, str(tmp_path.resolve()))
    egg_info(tmp_path, monkeypatch, [REFUSED_ON_ANY_HOST])


def test_a_command_without_a_distribution_is_ignored() -> None:
    check_egg_info(types.SimpleNamespace(), "ddguard", "x")


@pytest.mark.parametrize("name", sorted(BAD_PROJECT_FILES))
def test_bad_project_config_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(BAD_PROJECT_FILES[name])
    with pytest.raises(SystemExit) as stopped:
        egg_info(tmp_path, monkeypatch, [REFUSED_ON_ANY_HOST])
    assert_one_line_input_error(str(stopped.value.code), tmp_path)


def test_a_bad_declared_target_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opt_in(tmp_path, more='targets = ["cp312-nonsense"]\n')
    with pytest.raises(SystemExit) as stopped:
        egg_info(tmp_path, monkeypatch, [ACCEPTED_ON_ANY_HOST])
    text = str(stopped.value.code)
    assert text.startswith("ddguard: ") and "nonsense" in text and "\n" not in text


# --- the shared build check ---------------------------------------------------------------------


def test_the_build_check_reads_nothing_without_a_pyproject(tmp_path: Path) -> None:
    assert build_pins(str(tmp_path)) == []
    assert check_project(str(tmp_path)) is None


def test_the_build_check_is_skipped_with_ddguard_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "app"\ndependencies = ["{REFUSED_ON_ANY_HOST}"]\n'
    )
    assert check_project(str(tmp_path)) is not None
    monkeypatch.setenv("DDGUARD_SKIP", "1")
    assert check_project(str(tmp_path)) is None
