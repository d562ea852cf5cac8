"""[tool.ddguard] config, the setuptools plugin's opt-in, and the constraints file's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from ddguard import knowledge
from ddguard.config import read_project_config, requires_ddguard, skipped
from ddguard.errors import InputError
from ddguard.evaluate import constraints
from ddguard.evaluate.release import judge_release
from ddguard.hosts.setuptools import check_distribution
from ddguard.model import Verdict
from ddguard.report.tables import render_constraints
from ddguard.target import Target


def test_config_defaults_to_setuptools_when_table_is_absent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    config = read_project_config(str(tmp_path))
    assert (config.backend, config.present, config.strict) == (
        "setuptools.build_meta",
        False,
        False,
    )


@pytest.mark.parametrize(
    "table, message",
    [
        ("backend = 'ddguard.build'", "names ddguard.build itself"),
        ("strict = 1", "strict must be true or false"),
        ("targets = 3", "targets must be a list of strings"),
        ("colour = true", "unknown key 'colour'"),
    ],
)
def test_bad_config_names_the_file(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.ddguard]\n{table}\n")
    with pytest.raises(InputError, match=message) as error:
        read_project_config(str(tmp_path))
    assert str(error.value).startswith(str(path))


@pytest.mark.parametrize(
    "requires, expected",
    [(["ddguard>=0.1"], True), (["DDGuard[x]"], True), (["ddguard-extra"], False), ([], False)],
)
def test_requires_ddguard(requires: list, expected: bool) -> None:
    assert requires_ddguard(tuple(requires)) is expected


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_ddguard_skip_values(value: str, expected: bool) -> None:
    assert skipped({"DDGUARD_SKIP": value}) is expected


def _project(root: Path, requires: str, tool: str = "") -> None:
    (root / "pyproject.toml").write_text(
        f"[build-system]\nrequires = [{requires}]\n\n[project]\nname = 'sapp'\n"
        f"dependencies = ['ddtrace==1.20.99']\n{tool}"
    )


def test_setuptools_plugin_acts_for_projects_that_opt_in(tmp_path: Path) -> None:
    _project(tmp_path, "'setuptools', 'ddguard'")
    message = check_distribution(str(tmp_path), ["ddtrace==1.20.99"], {})
    assert message is not None and message.startswith("ddguard: ddtrace 1.20.99")
    assert "pyproject.toml:6" in message


def test_setuptools_plugin_ignores_projects_that_do_not_opt_in(tmp_path: Path) -> None:
    _project(tmp_path, "'setuptools'")
    assert check_distribution(str(tmp_path), ["ddtrace==1.20.99"], {}) is None


def test_setuptools_plugin_reads_extras_with_markers(tmp_path: Path) -> None:
    _project(tmp_path, "'setuptools'", "[tool.ddguard]\n")
    message = check_distribution(
        str(tmp_path), [], {"tracing:python_version>='3'": ["ddtrace==1.20.99"]}
    )
    assert message is not None and "never released" in message


TARGETS = [
    "cp312-manylinux_x86_64",
    "cp311-manylinux_aarch64",
    "cp38-win_amd64",
    "cp313-macosx_arm64",
]


@pytest.mark.parametrize("compact", TARGETS)
def test_constraint_allows_exactly_the_compatible_final_releases(compact: str) -> None:
    db = knowledge.load()
    target = Target.from_compact(compact)
    (rule,) = constraints.rules_for_targets(db, [target])
    assert Marker(rule.marker).evaluate(target.marker_env())
    spec = SpecifierSet(rule.specifier)
    for release in db.releases:
        if release.version.is_prerelease:
            continue
        works = judge_release(db, release, target).verdict is Verdict.COMPATIBLE
        assert spec.contains(release.version, prereleases=True) is works, release.version
    assert spec.contains("99.0.0"), "releases newer than the database stay allowed"
    assert not any(s.operator in (">=", "<=", "==") and "rc" in s.version for s in spec)


def test_matrix_file_refuses_1_20_19_on_312_and_allows_it_on_311() -> None:
    db = knowledge.load()
    rules = constraints.matrix_rules(db)
    for compact, allowed in (("cp312-manylinux_x86_64", False), ("cp311-manylinux_x86_64", True)):
        env = Target.from_compact(compact).marker_env()
        applying = [SpecifierSet(r.specifier) for r in rules if Marker(r.marker).evaluate(env)]
        assert applying
        assert all(s.contains("1.20.19") for s in applying) is allowed


def test_uv_format_forbids_building_ddtrace() -> None:
    db = knowledge.load()
    rules = constraints.rules_for_targets(db, [Target.from_compact("cp312-manylinux_x86_64")])
    text = render_constraints(db, rules, "uv")
    assert "[tool.uv]" in text and 'no-build-package = ["ddtrace"]' in text
    assert "python_version == '3.12'" in text
