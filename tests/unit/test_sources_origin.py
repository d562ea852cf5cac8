"""Where each pin comes from, as structure: the Origin of every reader's pins, the selection
of what installing a project with some extras and groups pulls in (issue 13: a group
included through ``{include-group = ...}`` was missed), and the reader registry."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import pytest

from ddguard import sources
from ddguard.model import Origin, OriginKind, ReferenceKind
from ddguard.sources.interface import Reader

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"


def origins(project: str) -> List[tuple]:
    scan = sources.scan_project(str(PROJECTS / project))
    return [
        (
            f"{os.path.basename(p.origin.path or '')}:{p.origin.line}",
            p.origin.kind,
            p.origin.name,
            p.origin.tool,
            p.origin.included_by,
        )
        for p in scan.pins
    ]


DEP, EXTRA, GROUP, BUILD = (
    OriginKind.DEPENDENCY,
    OriginKind.EXTRA,
    OriginKind.GROUP,
    OriginKind.BUILD_SYSTEM,
)
CONSTRAINT, OVERRIDE, TOX, LOCK = (
    OriginKind.CONSTRAINT,
    OriginKind.OVERRIDE,
    OriginKind.TOX_ENV,
    OriginKind.LOCK,
)
ORIGINS = {
    "pep621": [
        ("pyproject.toml:11", DEP, None, None, ()),
        ("pyproject.toml:16", EXTRA, "tracing", None, ()),
        ("pyproject.toml:2", BUILD, None, None, ()),
        ("pyproject.toml:20", GROUP, "base", None, ("test",)),
    ],
    "uv": [
        ("uv.lock:16", LOCK, None, "uv", ()),
        ("uv.lock:31", LOCK, None, "uv", ()),
        ("pyproject.toml:6", DEP, None, None, ()),
        ("pyproject.toml:7", DEP, None, None, ()),
        ("pyproject.toml:11", CONSTRAINT, None, "uv", ()),
        ("pyproject.toml:12", OVERRIDE, None, "uv", ()),
    ],
    "pdm": [
        ("pdm.lock:14", LOCK, None, "pdm", ()),
        ("pyproject.toml:8", GROUP, "tracing", "pdm", ()),
    ],
    "pipenv": [
        ("Pipfile.lock:9", LOCK, None, "pipenv", ()),
        ("Pipfile:7", DEP, None, "pipenv", ()),
        ("Pipfile:11", GROUP, "dev-packages", "pipenv", ()),
    ],
    "setupcfg": [
        ("setup.cfg:8", DEP, None, None, ()),
        ("setup.cfg:12", EXTRA, "apm", "setuptools", ()),
        ("tox.ini:7", TOX, None, "tox", ()),
        ("tox.ini:8", TOX, None, "tox", ()),
        ("requirements-test.txt:1", TOX, None, "tox", ()),
    ],
    "reqs": [
        ("requirements.txt:5", DEP, None, None, ()),
        ("requirements.txt:8", DEP, None, None, ()),
        ("dev.in:1", DEP, None, None, ()),
        ("base.txt:3", DEP, None, None, ()),
        ("constraints.txt:1", CONSTRAINT, None, None, ()),
    ],
}


@pytest.mark.parametrize("project", sorted(ORIGINS))
def test_every_pin_of_the_corpus_carries_its_origin(project: str) -> None:
    assert origins(project) == ORIGINS[project]


def test_lock_origins_say_who_requires_the_package() -> None:
    scan = sources.scan_project(str(PROJECTS / "uv"))
    first = scan.pins[0].origin
    assert first.requirers == ("svc",) and first.direct is True
    (poetry,) = [
        p for p in sources.scan_project(str(PROJECTS / "poetry")).pins if p.origin.kind is LOCK
    ]
    assert poetry.origin.requirers == ("datadog-helper",) and poetry.origin.direct is False
    (pdm,) = [p for p in sources.scan_project(str(PROJECTS / "pdm")).pins if p.origin.kind is LOCK]
    assert pdm.origin.groups == ("tracing",)


def test_tox_factor_and_references_are_structure() -> None:
    scan = sources.scan_project(str(PROJECTS / "setupcfg"))
    assert [p.origin.factor for p in scan.pins if p.origin.kind is TOX] == ["py311", "py312", None]
    (editable,) = sources.read_requirements_file(
        str(PROJECTS / "reqs" / "requirements" / "dev.in")
    ).pins
    assert editable.reference is not None and editable.reference.kind is ReferenceKind.EDITABLE
    assert editable.unknown


def test_requirement_extras_are_normalized() -> None:
    pin = sources.parse_requirement(
        "DDTrace[OpenTracing, profiling]>=2", Origin(OriginKind.ARGUMENT)
    )
    assert pin is not None and pin.extras == frozenset({"opentracing", "profiling"})


# --- what installing the project pulls in ---------------------------------------------------

PYPROJECT = """\
[project]
name = "svc"
version = "1"
dependencies = ["requests"]

[project.optional-dependencies]
Tracing = ["ddtrace==2.8.5"]

[dependency-groups]
base = ["ddtrace==1.20.19"]
test = [{include-group = "base"}, "pytest"]
lint = ["ruff"]

[tool.poetry.group.dev.dependencies]
ddtrace = "^3"

[tool.pdm.dev-dependencies]
test = ["ddtrace==3.1.0"]

[build-system]
requires = ["ddtrace==0.1"]
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


@pytest.mark.parametrize(
    ("extras", "groups", "expected"),
    [
        ((), (), []),
        ((), ("test",), ["==1.20.19"]),  # through {include-group = "base"}
        ((), ("Test",), ["==1.20.19"]),  # names compare normalized
        ((), ("base",), ["==1.20.19"]),
        ((), ("lint",), []),
        (("tracing",), (), ["==2.8.5"]),
        (("TRACING",), ("test",), ["==2.8.5", "==1.20.19"]),
        ((), ("dev",), []),  # a Poetry group is not a PEP 735 group
    ],
)
def test_project_pins_select_by_origin(
    project: Path, extras: tuple, groups: tuple, expected: list
) -> None:
    scan = sources.project_pins(str(project), extras, groups)
    assert [str(p.specifier) for p in scan.pins] == expected
    from ddguard.nox import collect_pins

    pins, notes = collect_pins((), project, extras, groups)  # what the nox guard reads
    assert [str(p.specifier) for p in pins] == expected and notes == []


def test_project_pins_of_a_project_without_pyproject(tmp_path: Path) -> None:
    assert sources.project_pins(str(tmp_path), (), ("test",)).pins == ()


def test_a_poetry_dependency_in_two_extras_is_selected_by_either(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.8"\nddtrace = {version = "2.8.5", optional = true}\n'
        '[tool.poetry.extras]\napm = ["ddtrace"]\nall = ["ddtrace", "requests"]\n'
    )
    (pin,) = sources.scan_project(str(tmp_path)).pins
    assert (pin.origin.kind, pin.origin.name, pin.origin.included_by) == (EXTRA, "apm", ("all",))
    for extra in ("apm", "all"):
        assert len(sources.project_pins(str(tmp_path), (extra,), ()).pins) == 1
    assert sources.project_pins(str(tmp_path), ("other",), ()).pins == ()


# --- the tox plugin: dependency groups are installed with or without the package -----------


def _tox_env(root: Path, *, package: bool, groups: set, extras: set = frozenset()) -> Any:
    conf: Dict[str, Any] = {"dependency_groups": groups, "extras": set(extras)}
    return SimpleNamespace(
        name="py312",
        core={"tox_root": str(root), "package_root": str(root)},
        conf=conf,
        package_env=object() if package else None,
    )


@pytest.mark.parametrize("package", [False, True], ids=["skip_install", "with-package"])
def test_tox_env_pins_include_dependency_groups(project: Path, package: bool) -> None:
    tox_plugin = pytest.importorskip("ddguard.hosts.tox", reason="tox is not installed")
    env = _tox_env(project, package=package, groups={"test"})
    pins, notes = tox_plugin.env_pins(env, SimpleNamespace(requirements=[]))
    assert [str(p.specifier) for p in pins] == ["==1.20.19"]
    assert pins[0].origin.included_by == ("test",) and notes == []
    nothing, _ = tox_plugin.env_pins(_tox_env(project, package=package, groups=set()), None)
    assert nothing == []


# --- the registry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("pyproject.toml", "pyproject"),
        ("Pipfile", "pipfile"),
        ("setup.cfg", "config"),
        ("tox.ini", "tox"),
        ("uv.lock", "locks.uv"),
        ("poetry.lock", "locks.poetry"),
        ("pdm.lock", "locks.pdm"),
        ("Pipfile.lock", "locks.pipfile"),
        ("pylock.toml", "locks.pylock"),
        ("pylock.dev.toml", "locks.pylock"),
        ("requirements.txt", None),
        ("constraints.in", None),
    ],
)
def test_each_file_name_has_one_reader(name: str, module: Optional[str]) -> None:
    reader = sources.reader_for(name)
    if module is None:
        assert reader is None
    else:
        assert isinstance(reader, Reader)
        assert type(reader).__module__ == f"ddguard.sources.{module}"
