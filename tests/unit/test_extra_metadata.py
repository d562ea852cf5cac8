"""The ``ddguard[ddtrace]`` extra is the constraints rules, generated at build time: no drift."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import List

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import ddguard
from ddguard import knowledge
from ddguard.evaluate import constraints
from ddguard.target import Target

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = Path(ddguard.__file__).resolve().parent / "data" / "releases.json"


@pytest.fixture(scope="module")
def db() -> knowledge.Knowledge:
    return knowledge.load(str(EMBEDDED))  # what the build reads, not a user's updated copy


@pytest.fixture(scope="module")
def extra(db: knowledge.Knowledge) -> List[str]:
    return constraints.extra_requirements(db)


def _as_metadata(requirements: List[str]) -> List[str]:
    """Each requirement as hatchling writes it under the extra: ``(<marker>) and extra == ...``."""
    out = []
    for text in requirements:
        req = Requirement(text)
        clause = f'({req.marker}) and extra == "ddtrace"' if req.marker else 'extra == "ddtrace"'
        out.append(str(Requirement(f"{req.name}{req.specifier}; {clause}")))
    return sorted(out)


def test_extra_is_ddtrace_plus_every_rule_that_leaves_a_known_release(
    db: knowledge.Knowledge, extra: List[str]
) -> None:
    rules = constraints.matrix_rules(db)
    assert extra[0] == 'ddtrace; implementation_name == "cpython"'
    kept = [r.requirement() for r in rules if constraints.admits_a_release(db, r)]
    assert extra[1:] == kept
    dropped = [r for r in rules if not constraints.admits_a_release(db, r)]
    # only targets where no known release works: PyPy, and below ddguard's own Python floor
    assert {r.marker for r in dropped} <= {
        'implementation_name != "cpython"',
        'python_version == "3.7" and implementation_name == "cpython" and '
        'sys_platform == "darwin" and platform_machine == "arm64"',
    }
    assert len(kept) >= 40


@pytest.mark.parametrize(
    ("compact", "version", "allowed"),
    [
        ("cp312-manylinux_x86_64", "1.20.19", False),
        ("cp311-manylinux_x86_64", "1.20.19", True),
        ("cp312-manylinux_x86_64", "2.21.0", True),
        ("cp312-manylinux_x86_64", "99.0.0", True),  # newer than the database: allowed
        ("cp313-win_amd64", "3.8.0", False),
    ],
)
def test_extra_evaluated_for_a_target_matches_the_verdict(
    extra: List[str], compact: str, version: str, allowed: bool
) -> None:
    env = dict(Target.from_compact(compact).marker_env(), extra="ddtrace")
    applying = [
        Requirement(text)
        for text in extra
        if Requirement(text).marker is None or Requirement(text).marker.evaluate(env)  # type: ignore[union-attr]
    ]
    assert len(applying) >= 2  # ddtrace itself and this target's rule
    spec = SpecifierSet(",".join(str(r.specifier) for r in applying if str(r.specifier)))
    assert spec.contains(version, prereleases=True) is allowed


def test_installed_metadata_carries_the_generated_extra(extra: List[str]) -> None:
    """Under tox, ddguard is installed from the wheel hatchling built: its Requires-Dist."""
    from importlib import metadata

    try:
        dist = metadata.distribution("ddguard")
    except metadata.PackageNotFoundError:
        pytest.skip("ddguard runs from the source tree, not an installed wheel")
    if (
        Path(str(dist.locate_file("ddguard/__init__.py"))).resolve()
        != Path(ddguard.__file__).resolve()
    ):
        pytest.skip("the installed ddguard is not the one under test")
    assert "ddtrace" in (dist.metadata.get_all("Provides-Extra") or [])
    lines = [r for r in dist.requires or [] if Requirement(r).name == "ddtrace"]
    assert sorted(str(Requirement(r)) for r in lines) == _as_metadata(extra)
    plain = {"extra": ""}
    assert not any(Marker(str(Requirement(r).marker)).evaluate(plain) for r in lines)


def test_build_hook_sets_the_extra_from_this_tree(extra: List[str]) -> None:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling is not installed here (the installed-metadata test covers tox)")
    sys.path.insert(0, str(ROOT))
    try:
        import hatch_build
    finally:
        sys.path.remove(str(ROOT))
    metadata: dict = {"name": "ddguard"}
    hatch_build.DDtraceExtraHook(str(ROOT), {}).update(metadata)
    if EMBEDDED != ROOT / "src" / "ddguard" / "data" / "releases.json":
        tree_db = knowledge.load(str(ROOT / "src" / "ddguard" / "data" / "releases.json"))
        extra = constraints.extra_requirements(tree_db)
    assert metadata["optional-dependencies"] == {"ddtrace": extra}
    assert sys.modules["ddguard"] is ddguard  # the hook put back the ddguard under test
