"""Targets: compact and pip-flag forms, pip's platform expansion, descriptions, bad input."""

from __future__ import annotations

import pytest
from packaging.tags import Tag

from ddguard.errors import InputError
from ddguard.report import words
from ddguard.target import Target, expand_platform, parse_python_version


@pytest.mark.parametrize(
    ("text", "implementation", "python", "os", "arch", "libc", "description"),
    [
        ("cp312-manylinux_x86_64", "cpython", (3, 12), "linux", "x86_64", "glibc",
         "CPython 3.12, manylinux x86_64"),
        ("cp311-musllinux_aarch64", "cpython", (3, 11), "linux", "aarch64", "musl",
         "CPython 3.11, musllinux aarch64"),
        ("cp313t-manylinux_x86_64", "cpython", (3, 13), "linux", "x86_64", "glibc",
         "CPython 3.13 (free-threaded), manylinux x86_64"),
        ("cp312-macosx_arm64", "cpython", (3, 12), "macos", "aarch64", None,
         "CPython 3.12, macOS Apple Silicon"),
        ("cp312-win_amd64", "cpython", (3, 12), "windows", "x86_64", None,
         "CPython 3.12, Windows 64-bit"),
        ("cp312-win32", "cpython", (3, 12), "windows", "i686", None,
         "CPython 3.12, Windows 32-bit"),
        ("cp312-win_arm64", "cpython", (3, 12), "windows", "aarch64", None,
         "CPython 3.12, Windows ARM64"),
        ("pp310-manylinux_x86_64", "pypy", (3, 10), "linux", "x86_64", "glibc",
         "PyPy 3.10, manylinux x86_64"),
        ("cp39-manylinux_2_28_i686", "cpython", (3, 9), "linux", "i686", "glibc",
         "CPython 3.9, manylinux i686"),
    ],
)  # fmt: skip
def test_compact_target(text, implementation, python, os, arch, libc, description):
    target = Target.from_compact(text)
    assert target.implementation == implementation
    assert target.python == python
    assert (target.os, target.arch, target.libc) == (os, arch, libc)
    assert words.target(target) == description


def test_free_threaded_abi_only_matches_free_threaded_wheels():
    target = Target.from_compact("cp313t-manylinux_x86_64")
    assert target.free_threaded
    assert Tag("cp313", "cp313t", "manylinux_2_17_x86_64") in target.tags()
    assert Tag("cp313", "cp313", "manylinux_2_17_x86_64") not in target.tags()


def test_family_shorthand_means_a_current_system():
    glibc = Target.from_compact("cp312-manylinux_x86_64")
    assert Tag("cp312", "cp312", "manylinux_2_28_x86_64") in glibc.tags()
    assert Tag("cp312", "cp312", "manylinux2014_x86_64") in glibc.tags()
    assert Tag("cp312", "cp312", "manylinux1_x86_64") in glibc.tags()
    musl = Target.from_compact("cp311-musllinux_x86_64")
    assert Tag("cp311", "cp311", "musllinux_1_1_x86_64") in musl.tags()
    assert Tag("cp311", "cp311", "manylinux2014_x86_64") not in musl.tags()


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        # pip adds the older legacy manylinux aliases for x86 only ...
        ("manylinux2014_x86_64", ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]),
        ("manylinux2014_aarch64", ["manylinux2014_aarch64"]),
        # ... and does not expand PEP 600 or musllinux tags.
        ("manylinux_2_28_x86_64", ["manylinux_2_28_x86_64"]),
        ("musllinux_1_2_x86_64", ["musllinux_1_2_x86_64"]),
        ("win32", ["win32"]),
    ],
)  # fmt: skip
def test_pip_platform_expansion(platform, expected):
    assert expand_platform(platform) == expected


def test_macos_platform_expands_to_older_releases_like_pip():
    expanded = expand_platform("macosx_12_0_arm64")
    assert expanded[0] == "macosx_12_0_arm64"
    assert "macosx_11_0_arm64" in expanded
    assert "macosx_11_0_universal2" in expanded
    assert "macosx_14_0_arm64" not in expanded


def test_pip_flags_target():
    target = Target.from_pip_flags("3.12", "cp", (), ("manylinux2014_x86_64",))
    assert target.declared
    assert target.python_full_str == "3.12.0"
    assert Tag("cp312", "cp312", "manylinux2014_x86_64") in target.tags()
    assert Tag("cp311", "cp311", "manylinux2014_x86_64") not in target.tags()
    assert Tag("py3", "none", "any") in target.tags()


@pytest.mark.parametrize(("text", "expected"), [("3.12", (3, 12)), ("312", (3, 12)),
                                                ("3.12.1", (3, 12, 1)), ("27", (2, 7))])  # fmt: skip
def test_python_version_like_pip(text, expected):
    assert parse_python_version(text) == expected


@pytest.mark.parametrize("text", ["3", "three", "3.x", "3.12.1.4", ""])
def test_bad_python_version(text):
    with pytest.raises(InputError):
        parse_python_version(text)


@pytest.mark.parametrize(
    "call",
    [
        lambda: Target.from_compact("python3.12"),
        lambda: Target.from_compact("cp312"),
        lambda: Target.from_compact("cp312-solaris_sparc"),
        lambda: Target.from_compact("zz312-manylinux_x86_64"),
        lambda: Target.from_pip_flags("3.12", "cp", (), ("Linux-x86_64",)),
        lambda: Target.from_pip_flags("3.12", "cp", (), ("freebsd_13_amd64",)),
        lambda: Target.from_pip_flags("3.12", "xx", (), ("manylinux2014_x86_64",)),
        lambda: Target.from_pip_flags("3.12", "cp", ("cp3 12",), ("manylinux2014_x86_64",)),
    ],
)
def test_bad_target_is_an_input_error_naming_the_input(call):
    with pytest.raises(InputError) as info:
        call()
    assert "'" in str(info.value)  # quotes what it could not read


def test_marker_environment():
    env = Target.from_compact("cp312-win_amd64").marker_env()
    assert env["sys_platform"] == "win32"
    assert env["platform_machine"] == "AMD64"
    assert env["python_version"] == "3.12"
    linux = Target.from_compact("pp310-manylinux_aarch64").marker_env()
    assert linux["platform_python_implementation"] == "PyPy"
    assert linux["sys_platform"] == "linux"


def test_host_target_is_probed_once_and_installs_its_own_tags():
    from packaging.tags import sys_tags

    host = Target.from_host()
    assert host is Target.from_host()
    assert not host.declared
    assert next(iter(sys_tags())) in host.tags()


# --- the tags a declared target installs: pip's rules restated, packaging as the oracle -----

PYTHONS = ["27", "35", "36", "37", "38", "39", "310", "311", "312", "313", "313t", "314", "315"]
FAMILIES = [
    "manylinux_x86_64",
    "manylinux_aarch64",
    "manylinux_i686",
    "musllinux_x86_64",
    "musllinux_aarch64",
    "macosx_arm64",
    "macosx_x86_64",
    "win32",
    "win_amd64",
    "win_arm64",
    "linux_armv7l",
]


def _oracle(target: Target) -> set:  # type: ignore[type-arg]
    return {(t.interpreter, t.abi, t.platform) for t in target.tags()}


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("family", FAMILIES)
def test_supported_tags_equal_packaging_for_cpython(python: str, family: str) -> None:
    target = Target.from_compact(f"cp{python}-{family}")
    assert target.supported() == _oracle(target)


@pytest.mark.parametrize("family", FAMILIES)
def test_installs_any_is_the_intersection_with_supported(family: str) -> None:
    """On every tag set the snapshot's releases publish, plus each tag alone."""
    from ddguard import knowledge
    from ddguard.evaluate.release import wheel_triples

    sets = {wheel_triples(r) for r in knowledge.load().releases}
    sets |= {frozenset([tag]) for tags in list(sets) for tag in tags}
    sets.add(frozenset())
    for python in ("27", "36", "312", "313t"):
        target = Target.from_compact(f"cp{python}-{family}")
        supported = target.supported()
        answers = {tags: target.installs_any(tags) for tags in sets}
        assert answers == {tags: bool(tags & supported) for tags in sets}
        if python == "312" and family != "linux_armv7l":
            assert any(answers.values())  # the comparison met both answers


@pytest.mark.parametrize(
    "flags",
    [
        ("3.12", "cp", ("cp312",), ("manylinux2014_x86_64",)),
        ("3.12", "cp", ("cp312", "abi3", "none"), ("manylinux_2_28_aarch64",)),
        ("3.13", "cp", ("cp313t",), ("macosx_14_0_arm64",)),
        ("3.13", "cp", ("cp313t", "abi3t"), ("win_amd64",)),
        ("3.7", "cp", (), ("manylinux1_x86_64",)),
        ("2.7", "cp", (), ("manylinux1_i686",)),
        ("3.10", "pp", ("pypy310_pp73",), ("manylinux2014_x86_64",)),
        ("3.9", "gp", (), ("manylinux2014_aarch64",)),
    ],
)
def test_supported_tags_equal_packaging_for_pip_flags(flags) -> None:  # type: ignore[no-untyped-def]
    version, implementation, abis, platforms = flags
    target = Target.from_pip_flags(version, implementation, abis, platforms)
    assert target.supported() == _oracle(target)


def test_parse_tag_text_expands_like_packaging() -> None:
    from packaging.tags import parse_tag

    from ddguard.target import parse_tag_text

    for text in (
        "cp38-cp38-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "py2.py3-none-any",
        "cp312-abi3-macosx_10_9_universal2",
        "CP39-CP39-WIN_AMD64",
    ):
        assert parse_tag_text(text) == {(t.interpreter, t.abi, t.platform) for t in parse_tag(text)}


def test_the_host_probe_equals_packaging_sys_tags() -> None:
    """On 64-bit glibc CPython the host is probed without packaging.tags (the startup
    check's cold path); everywhere the tags are the ones pip computes."""
    from packaging import tags as packaging_tags

    from ddguard.target import _glibc_cpython_host

    host = Target.from_host()
    expected = {(t.interpreter, t.abi, t.platform) for t in packaging_tags.sys_tags()}
    assert host.supported() == expected
    light = _glibc_cpython_host()
    if light is None:
        pytest.skip("not a 64-bit glibc CPython: packaging probes this host")
    platforms = list(dict.fromkeys(t.platform for t in packaging_tags.sys_tags() if t.platform != "any"))
    # packaging 26.4 lists linux_<arch> first, 26.2 (the last for CPython 3.8) last
    assert set(light.platforms) == set(platforms)
    manylinux = [p for p in platforms if p.startswith("manylinux")]
    assert [p for p in light.platforms if p.startswith("manylinux")] == manylinux


@pytest.mark.parametrize("arch", ["arm64", "x86_64", "universal2", "i386", "ppc", "ppc64", "intel"])
def test_mac_platforms_are_packagings(arch: str) -> None:
    from packaging.tags import mac_platforms as packagings

    from ddguard.target import mac_platforms

    def spelled_as_today(tag: str) -> str:
        # packaging < 26.3 (pip < 26.3) named the 10.4-era format "fat32"; pip 26.3 says "fat3"
        return tag[: -len("fat32")] + "fat3" if tag.endswith("_fat32") else tag

    versions = [(10, minor) for minor in range(0, 17)] + [(major, 0) for major in range(11, 27)]
    for version in versions:
        expected = [spelled_as_today(t) for t in packagings(version, arch)]
        assert mac_platforms(version, arch) == expected, version
