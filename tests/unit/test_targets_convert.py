"""A declaration becomes a Target only when it names everything a wheel tag needs; the
caller's assumptions for what it leaves unstated are explicit. And yaml stays out of
every module's top level (import ddtrace must not pay for it)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional, Tuple

import pytest

from ddguard.model.deployment import TargetDeclaration, TargetKind
from ddguard.sources.targets import to_target
from ddguard.target import Arch, Implementation, Libc, Os, Target

CP, PP = Implementation.CPYTHON, Implementation.PYPY


def _declaration(**fields: object) -> TargetDeclaration:
    base = TargetDeclaration(TargetKind.DOCKERFILE, "Dockerfile", 1, "FROM python:3.12")
    return base._replace(**fields)


COMPACT = [
    ((CP, (3, 12), Os.LINUX, Arch.X86_64, Libc.GLIBC, False), "cp312-manylinux_x86_64"),
    ((CP, (3, 12, 4), Os.LINUX, Arch.AARCH64, Libc.MUSL, False), "cp312-musllinux_aarch64"),
    ((CP, (3, 13), Os.LINUX, Arch.X86_64, Libc.GLIBC, True), "cp313t-manylinux_x86_64"),
    ((PP, (3, 10), Os.LINUX, Arch.X86_64, Libc.GLIBC, False), "pp310-manylinux_x86_64"),
    ((CP, (3, 11), Os.MACOS, Arch.AARCH64, None, False), "cp311-macosx_arm64"),
    ((CP, (3, 9), Os.WINDOWS, Arch.I686, None, False), "cp39-win32"),
    ((CP, (3, 12), Os.WINDOWS, Arch.X86_64, None, False), "cp312-win_amd64"),
    ((CP, (3,), Os.LINUX, Arch.X86_64, Libc.GLIBC, False), None),  # a major only
    ((CP, (3, 12), Os.LINUX, None, Libc.GLIBC, False), None),  # arch unstated
    ((CP, (3, 12), Os.LINUX, Arch.X86_64, None, False), None),  # libc unstated
    ((CP, (3, 12), None, None, None, False), None),  # tox, .python-version
    ((CP, (3, 12), Os.LINUX, Arch.OTHER, Libc.GLIBC, False), None),  # linux/arm/v7
    ((None, (3, 12), Os.LINUX, Arch.X86_64, Libc.GLIBC, False), None),
]


@pytest.mark.parametrize(("facts", "compact"), COMPACT, ids=[str(c) for _, c in COMPACT])
def test_compact_names_a_target_only_when_every_fact_is_declared(
    facts: Tuple[
        Optional[Implementation],
        Tuple[int, ...],
        Optional[Os],
        Optional[Arch],
        Optional[Libc],
        bool,
    ],
    compact: Optional[str],
) -> None:
    impl, version, os_name, arch, libc, threaded = facts
    declaration = _declaration(
        implementation=impl,
        python_version=version,
        os=os_name,
        arch=arch,
        libc=libc,
        free_threaded=threaded,
    )
    assert declaration.compact() == compact
    target = to_target(declaration)
    if compact is None:
        assert target is None
    else:
        assert target == Target.from_compact(compact)
        assert (target.os, target.arch, target.python) == (os_name, arch, version[:2])


def test_assumptions_fill_only_what_the_file_leaves_unstated() -> None:
    slim = _declaration(implementation=CP, python_version=(3, 12), os=Os.LINUX, libc=Libc.GLIBC)
    assert to_target(slim) is None
    target = to_target(slim, assume_arch=Arch.AARCH64, assume_libc=Libc.MUSL)
    assert target == Target.from_compact("cp312-manylinux_aarch64")  # the stated glibc stays
    windows = _declaration(implementation=CP, python_version=(3, 12), os=Os.WINDOWS)
    assert to_target(
        windows, assume_libc=Libc.GLIBC, assume_arch=Arch.X86_64
    ) == Target.from_compact("cp312-win_amd64")


def test_an_exact_platform_tag_from_the_config_is_kept() -> None:
    declaration = _declaration(
        kind=TargetKind.DDGUARD_CONFIG, implementation=CP, python_version=(3, 12), os=Os.LINUX,
        arch=Arch.X86_64, libc=Libc.MUSL, platform_tag="musllinux_1_1_x86_64",
    )  # fmt: skip
    assert to_target(declaration) == Target.from_compact("cp312-musllinux_1_1_x86_64")


SRC = Path(__file__).resolve().parents[2] / "src"


def test_yaml_is_imported_inside_functions_only() -> None:
    """A module-level ``import yaml`` anywhere would make ``import ddguard`` (and the
    startup hook) pay for PyYAML; the process-level check is in the integration tests."""
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "yaml" or n.startswith("yaml.") for n in names):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
