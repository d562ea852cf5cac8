"""The interpreter and platform a ddtrace release is judged for.

A Target is declared with pip's own flags (``--python-version``, ``--implementation``,
``--abi``, ``--platform``), with a compact ``cp312-manylinux_x86_64`` form, built for an
interpreter whose facts are known (:meth:`Target.for_interpreter`), or probed from the
running interpreter by :meth:`Target.from_host`, the one place that looks at the host.
This module is the only one that reads platform tags and ``cpXY`` strings.

Every value is bounded: a Python, glibc, musl or macOS version newer than the newest
known (``data/platforms.json``) plus a margin is refused as one no interpreter has, so no
input can make tag expansion run long.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from ddguard.errors import InputError
from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.tags import Tag

Triple = Tuple[str, str, str]  # (interpreter, abi, platform) of a wheel tag


class Implementation(str, enum.Enum):
    CPYTHON = "cpython"
    PYPY = "pypy"
    GRAALPY = "graalpy"
    IRONPYTHON = "ironpython"
    JYTHON = "jython"

    @property
    def short(self) -> str:
        """pip's ``--implementation`` code: cp, pp, gp, ip, jy."""
        return _SHORT[self]

    @classmethod
    def parse(cls, text: str) -> Implementation:
        """``cp``/``cpython`` (any case) and the like; InputError for anything else."""
        word = text.strip().lower()
        for member in cls:
            if word in (member.value, _SHORT[member]):
                return member
        raise InputError(
            f"unknown Python implementation {text!r}: use one of "
            + ", ".join(f"{_SHORT[m]} ({m.value})" for m in cls)
        )


_SHORT = {
    Implementation.CPYTHON: "cp",
    Implementation.PYPY: "pp",
    Implementation.GRAALPY: "gp",
    Implementation.IRONPYTHON: "ip",
    Implementation.JYTHON: "jy",
}


class Os(str, enum.Enum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"
    OTHER = "other"


class Arch(str, enum.Enum):
    X86_64 = "x86_64"
    I686 = "i686"
    AARCH64 = "aarch64"
    OTHER = "other"


class Libc(str, enum.Enum):
    GLIBC = "glibc"
    MUSL = "musl"


class PlatformLimits(Record):
    """The newest versions known (``data/platforms.json``) and how far past them to accept."""

    cpython: Dict[int, Tuple[int, int]]  # major -> (lowest, newest known minor)
    cpython_margin: int
    newest_glibc_minor: int
    glibc_margin: int
    newest_musl_minor: int
    musl_margin: int
    newest_macos: int
    macos_margin: int
    constraints_pythons: Tuple[Tuple[int, int], Tuple[int, int]]
    reviewed: str


@functools.lru_cache(maxsize=None)
def limits() -> PlatformLimits:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "platforms.json")
    with open(path, encoding="utf-8") as handle:
        doc: Any = json.load(handle)
    low, high = doc["constraints_pythons"]
    return PlatformLimits(
        cpython={int(k): (int(v[0]), int(v[1])) for k, v in doc["cpython"].items()},
        cpython_margin=int(doc["cpython_margin"]),
        newest_glibc_minor=int(doc["newest_glibc_minor"]),
        glibc_margin=int(doc["glibc_margin"]),
        newest_musl_minor=int(doc["newest_musl_minor"]),
        musl_margin=int(doc["musl_margin"]),
        newest_macos=int(doc["newest_macos"]),
        macos_margin=int(doc["macos_margin"]),
        constraints_pythons=((int(low[0]), int(low[1])), (int(high[0]), int(high[1]))),
        reviewed=str(doc["reviewed"]),
    )


class Target(Record):
    """A CPython (or other) interpreter on a platform, as wheel tags see it."""

    implementation: Implementation
    python_version: Tuple[int, ...]  # (3, 12) or (3, 12, 1)
    abis: Tuple[str, ...]  # ("cp312",), ("cp313t",); empty means "derive like pip"
    platforms: Tuple[str, ...]  # wheel platform tags, most preferred first, pip-expanded
    declared: bool = True  # False when probed from the running interpreter

    # --- derived facts -------------------------------------------------------------

    @property
    def python(self) -> Tuple[int, int]:
        return (self.python_version[0], self.python_version[1])

    @property
    def python_str(self) -> str:
        return "%d.%d" % self.python

    @property
    def python_full_str(self) -> str:
        parts = list(self.python_version) + [0] * (3 - len(self.python_version))
        return ".".join(str(p) for p in parts[:3])

    @property
    def interpreter_tag(self) -> str:
        return "%s%d%d" % (self.implementation.short, self.python[0], self.python[1])

    @property
    def free_threaded(self) -> bool:
        return any(abi.endswith("t") and abi.startswith("cp") for abi in self.abis)

    @property
    def os(self) -> Os:
        return platform_os(self.platforms[0]) if self.platforms else Os.OTHER

    @property
    def arch(self) -> Arch:
        return platform_arch(self.platforms[0]) if self.platforms else Arch.OTHER

    @property
    def libc(self) -> Optional[Libc]:
        for platform in self.platforms:
            if platform.startswith("musllinux"):
                return Libc.MUSL
            if platform.startswith("manylinux"):
                return Libc.GLIBC
        return None

    def tags(self) -> FrozenSet[Tag]:
        """Every wheel tag this target installs, as pip computes it (``packaging.tags``)."""
        return _compute_tags(self)

    def supported_by_pair(self) -> Dict[Tuple[str, str], FrozenSet[str]]:
        """The same tags grouped: the platforms installed for each (interpreter, abi)."""
        return _supported_by_pair(self)

    def supported(self) -> FrozenSet[Triple]:
        """The same tags as (interpreter, abi, platform) strings. For a declared target they
        are computed here by pip's rules without importing ``packaging.tags`` (with its
        logging, platform and subprocess imports it costs a check a third of its time);
        tests hold the two equal."""
        return _supported(self)

    def installs_any(self, tags: Iterable[Triple]) -> bool:
        """Whether pip installs a wheel tagged with one of ``tags`` here: ``tags &
        supported()`` compared pair by pair, without building that set (a thousand tags
        for a Linux target; flattening them cost ``ddguard constraints`` a fifth of its
        time)."""
        by_pair = _supported_by_pair(self)
        return any(
            not platforms.isdisjoint(by_pair.get(pair, ()))
            for pair, platforms in _grouped_by_pair(frozenset(tags)).items()
        )

    def with_python(self, minor: Tuple[int, int]) -> Target:
        """The same platform with another CPython feature release."""
        abis = ("cp%d%d" % minor,) if minor >= (3, 8) else ()
        return self._replace(
            implementation=Implementation.CPYTHON, python_version=minor, abis=abis, declared=True
        )

    def marker_env(self) -> Dict[str, str]:
        """PEP 508 marker environment of this target (for evaluating requirement markers)."""
        return _marker_env(self)

    # --- construction ------------------------------------------------------------

    @classmethod
    def from_host(cls) -> Target:
        """The running interpreter; probed once per process."""
        return _host_target()

    @classmethod
    def from_pip_flags(
        cls,
        python_version: Optional[str] = None,
        implementation: Optional[str] = None,
        abis: Sequence[str] = (),
        platforms: Sequence[str] = (),
    ) -> Target:
        """A target declared with pip's flags; what is not declared comes from the host."""
        host = _host_target()
        version = (
            parse_python_version(python_version)
            if python_version is not None
            else host.python_version
        )
        impl = Implementation.parse(implementation) if implementation else host.implementation
        for abi in abis:
            _check_abi(abi)
        expanded: List[str] = []
        for platform in platforms:
            expanded.extend(p for p in expand_platform(platform) if p not in expanded)
        keep_host_abis = python_version is None and not implementation and not abis
        return cls(
            implementation=impl,
            python_version=version,
            abis=tuple(abis) if abis else (host.abis if keep_host_abis else ()),
            platforms=tuple(expanded) if expanded else host.platforms,
            declared=bool(python_version is not None or implementation or abis or platforms),
        )

    @classmethod
    def from_compact(cls, text: str) -> Target:
        """``cp312-manylinux_x86_64``, ``cp313t-musllinux_1_2_aarch64``, ``cp311-win_amd64``.

        A platform family without a version (``manylinux_x86_64``, ``musllinux_aarch64``,
        ``macosx_arm64``) means a current system of that family.
        """
        interpreter, sep, platform = text.strip().partition("-")
        short, digits = interpreter[:2].lower(), interpreter[2:]
        threaded = digits.endswith("t")
        digits = digits[:-1] if threaded else digits
        if (
            not sep
            or short not in _SHORT.values()
            or not digits.isdigit()
            or not 2 <= len(digits) <= 4
            or "-" in platform
            or not platform
        ):
            raise InputError(
                f"cannot read target {_quote(text)}: write it as INTERPRETER-PLATFORM, "
                "e.g. cp312-manylinux_x86_64, cp311-musllinux_aarch64, cp313-macosx_arm64, "
                "cp312-win_amd64"
            )
        implementation = Implementation.parse(short)
        version = _bounded_python((int(digits[0]), int(digits[1:])), text)
        if threaded and (implementation is not Implementation.CPYTHON or version < (3, 13)):
            raise InputError(
                f"cannot read target {_quote(text)}: free-threaded builds (t) are CPython 3.13+"
            )
        abi = (
            f"cp{digits}{'t' if threaded else ''}"
            if implementation is Implementation.CPYTHON and version >= (3, 8)
            else ""
        )
        platforms = expand_family(platform)
        if platforms is None:
            platforms = expand_platform(platform)
        return cls(
            implementation=implementation,
            python_version=version,
            abis=(abi,) if abi else (),
            platforms=tuple(platforms),
            declared=True,
        )

    @classmethod
    def for_interpreter(
        cls,
        version: Sequence[int],
        implementation: str = "cpython",
        free_threaded: bool = False,
        platforms: Sequence[str] = (),
    ) -> Target:
        """Another interpreter whose facts are known (a tox env, a venv's python, a PDM
        PythonInfo): its version and ABI, on ``platforms`` (default: this host's). The
        running interpreter itself gives the host's Target."""
        host = _host_target()
        impl = Implementation.parse(implementation)
        numbers = tuple(int(v) for v in version[:3])
        if len(numbers) < 2:
            raise InputError(f"interpreter version {version!r} names no minor version")
        _bounded_python(numbers[:2], ".".join(map(str, numbers)))
        if (
            numbers[:2] == host.python
            and impl is host.implementation
            and free_threaded == host.free_threaded
            and not platforms
        ):
            return host
        abis: Tuple[str, ...] = ()
        if impl is Implementation.CPYTHON and numbers[:2] >= (3, 8):
            abis = ("cp%d%d%s" % (numbers[0], numbers[1], "t" if free_threaded else ""),)
        expanded: List[str] = []
        for platform in platforms:
            expanded.extend(p for p in expand_platform(platform) if p not in expanded)
        return cls(
            implementation=impl,
            python_version=numbers,
            abis=abis,
            platforms=tuple(expanded) or host.platforms,
            declared=True,
        )


def _quote(text: str) -> str:
    """An input value inside an error message: repr, cut to a readable length."""
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:60] + "…" + shown[-10:]


def parse_python_version(text: str) -> Tuple[int, ...]:
    """pip's ``--python-version``: "3.12", "312", "3.12.1" (never a major alone)."""
    stripped = text.strip()
    if "." in stripped:
        parts = stripped.split(".")
    elif len(stripped) > 1:
        parts = [stripped[0], stripped[1:]]
    else:
        parts = [stripped]
    if not all(p.isdigit() and len(p) <= 4 for p in parts) or not 1 <= len(parts) <= 3:
        raise InputError(f"cannot read Python version {_quote(text)}: write it like 3.12 or 312")
    numbers = tuple(int(p) for p in parts)
    if len(numbers) == 1:
        raise InputError(f"Python version {_quote(text)} names no minor version: write it like 3.12")
    _bounded_python(numbers[:2], text)
    if len(numbers) == 3 and numbers[2] > 99:
        raise InputError(f"Python version {_quote(text)}: no CPython has that patch release")
    return numbers


def _bounded_python(minor: Tuple[int, ...], text: str) -> Tuple[int, int]:
    """``minor`` when some interpreter could have it; InputError naming ``text`` otherwise."""
    bounds = limits()
    known = bounds.cpython.get(minor[0])
    newest = None if known is None else known[1] + (bounds.cpython_margin if minor[0] == 3 else 0)
    if known is None or newest is None or not known[0] <= minor[1] <= newest:
        versions = ", ".join(
            "%d.%d–%d.%d" % (major, low, major, high) for major, (low, high) in sorted(bounds.cpython.items())
        )
        raise InputError(
            f"Python version {_quote(text)}: no CPython has that version "
            f"(known: {versions}, as of {bounds.reviewed})"
        )
    return (minor[0], minor[1])


def expand_platform(platform: str) -> List[str]:
    """pip's expansion of one ``--platform`` value into the tags it accepts."""
    _check_platform(platform)
    prefix, sep, suffix = platform.partition("_")
    if platform.startswith("macosx"):
        version = _macos_tag_version(platform)
        arch = platform.split("_", 3)[-1]
        if version is None:
            return [platform]
        return mac_platforms(version, arch)
    if prefix == "manylinux2014" and suffix in ("i686", "x86_64"):
        return [platform, f"manylinux2010{sep}{suffix}", f"manylinux1{sep}{suffix}"]
    if prefix == "manylinux2010":
        return [platform, f"manylinux1{sep}{suffix}"]
    return [platform]


def expand_family(platform: str) -> Optional[List[str]]:
    """Platform families written without a version, for the compact target form."""
    bounds = limits()
    family, _, arch = platform.partition("_")
    if not arch or arch[0].isdigit() or arch not in _KNOWN_ARCHES:
        return None
    if family == "manylinux":
        tags = [f"manylinux_2_{m}_{arch}" for m in range(bounds.newest_glibc_minor, 4, -1)]
        tags.append(f"manylinux2014_{arch}")  # the legacy aliases wheels still carry
        if arch in ("x86_64", "i686"):
            tags += [f"manylinux2010_{arch}", f"manylinux1_{arch}"]
        return tags
    if family == "musllinux":
        return [f"musllinux_1_{m}_{arch}" for m in range(bounds.newest_musl_minor, -1, -1)]
    if family == "macosx" and arch in ("arm64", "x86_64", "universal2"):
        return mac_platforms((bounds.newest_macos, 0), arch)
    if family == "linux" and arch in ("x86_64", "aarch64", "i686"):
        return expand_family(f"manylinux_{arch}")
    return None


def mac_platforms(version: Tuple[int, int], arch: str) -> List[str]:
    """The macOS platform tags a ``version``/``arch`` interpreter installs, newest first:
    ``packaging.tags.mac_platforms`` with both arguments given, without importing
    ``packaging.tags`` (logging, platform, subprocess: ~7 ms a process)."""
    found: List[str] = []
    if (10, 0) <= version < (11, 0):
        for minor in range(version[1], -1, -1):
            found += [f"macosx_10_{minor}_{f}" for f in _mac_binary_formats((10, minor), arch)]
    if version >= (11, 0):
        for major in range(version[0], 10, -1):
            found += [f"macosx_{major}_0_{f}" for f in _mac_binary_formats((major, 0), arch)]
        for minor in range(16, 3, -1):
            # x86-64 runs binaries for earlier releases; arm64 only their universal2 builds
            formats = _mac_binary_formats((10, minor), arch) if arch == "x86_64" else ["universal2"]
            found += [f"macosx_10_{minor}_{f}" for f in formats]
    return found


def _mac_binary_formats(version: Tuple[int, int], arch: str) -> List[str]:
    formats = [arch]
    if arch in ("x86_64", "i386"):
        if version < (10, 4):
            return []
        formats += ["intel", "fat64", "fat3"] if arch == "x86_64" else ["intel", "fat3", "fat"]
    elif arch == "ppc64":
        if version > (10, 5) or version < (10, 4):
            return []
        formats.append("fat64")
    elif arch == "ppc":
        if version > (10, 6):
            return []
        formats += ["fat3", "fat"]
    if arch in ("arm64", "x86_64"):
        formats.append("universal2")
    if arch in ("x86_64", "i386", "ppc64", "ppc", "intel"):
        formats.append("universal")
    return formats


_KNOWN_ARCHES = frozenset(
    {
        "x86_64", "i686", "aarch64", "arm64", "universal2", "armv7l", "ppc64le", "s390x",
        "riscv64", "armv6l", "ppc64", "intel", "amd64",
    }
)  # fmt: skip


def _check_platform(platform: str) -> None:
    """A platform tag pip would accept, naming an OS and an architecture, within bounds."""
    usage = (
        f"unknown platform tag {_quote(platform)}: use a wheel platform tag such as "
        "manylinux2014_x86_64, manylinux_2_28_aarch64, musllinux_1_2_x86_64, "
        "macosx_11_0_arm64, win_amd64 or win32"
    )
    if (
        not platform
        or len(platform) > 64
        or not platform.replace("_", "").isalnum()
        or platform != platform.lower()
        or platform_os(platform) is Os.OTHER
    ):
        raise InputError(usage)
    if platform in ("win32", "win_amd64", "win_arm64"):
        return
    parts = platform.split("_")
    bounds = limits()
    if parts[0] in ("manylinux", "musllinux"):
        if len(parts) < 4 or not (parts[1].isdigit() and parts[2].isdigit()):
            raise InputError(usage)
        major, minor = int(parts[1]), int(parts[2])
        if parts[0] == "manylinux" and (
            major != 2 or minor > bounds.newest_glibc_minor + bounds.glibc_margin
        ):
            raise InputError(f"platform tag {_quote(platform)}: no glibc has that version")
        if parts[0] == "musllinux" and (
            major != 1 or minor > bounds.newest_musl_minor + bounds.musl_margin
        ):
            raise InputError(f"platform tag {_quote(platform)}: no musl has that version")
    elif parts[0] in ("manylinux1", "manylinux2010", "manylinux2014", "linux"):
        if len(parts) < 2:
            raise InputError(usage)
    elif parts[0] == "macosx":
        version = _macos_tag_version(platform)
        if version is None or len(parts) < 4:
            raise InputError(usage)
        if not (10 <= version[0] <= bounds.newest_macos + bounds.macos_margin) or version[1] > 20:
            raise InputError(f"platform tag {_quote(platform)}: no macOS has that version")
    if platform_arch(platform) is Arch.OTHER and parts[-1] not in _KNOWN_ARCHES:
        raise InputError(usage)


def _check_abi(abi: str) -> None:
    if not abi or len(abi) > 16 or not abi.replace("_", "").isalnum():
        raise InputError(f"cannot read --abi {_quote(abi)}: write it like cp312, cp313t, abi3 or none")


def platform_os(platform: str) -> Os:
    if platform.startswith(("manylinux", "musllinux", "linux")):
        return Os.LINUX
    if platform.startswith("macosx"):
        return Os.MACOS
    if platform == "win32" or platform.startswith("win_"):
        return Os.WINDOWS
    return Os.OTHER


def platform_arch(platform: str) -> Arch:
    return _ARCHES.get(_raw_arch(platform), Arch.OTHER)


def _raw_arch(platform: str) -> str:
    if platform == "win32":
        return "i686"
    if platform.startswith("win_"):
        return platform[4:]
    if platform.startswith("macosx"):
        return platform.split("_", 3)[-1]
    for family in ("manylinux2014_", "manylinux2010_", "manylinux1_", "linux_"):
        if platform.startswith(family):
            return platform[len(family) :]
    parts = platform.split("_", 3)  # manylinux_2_17_x86_64, musllinux_1_2_aarch64
    return parts[3] if len(parts) == 4 else platform


_ARCHES = {
    "x86_64": Arch.X86_64,
    "amd64": Arch.X86_64,
    "intel": Arch.X86_64,
    "i686": Arch.I686,
    "i386": Arch.I686,
    "x86": Arch.I686,
    "aarch64": Arch.AARCH64,
    "arm64": Arch.AARCH64,
}


def _macos_tag_version(platform: str) -> Optional[Tuple[int, int]]:
    parts = platform.split("_")
    if (
        parts[0] == "macosx"
        and len(parts) >= 4
        and parts[1].isdigit()
        and parts[2].isdigit()
        and len(parts[1]) <= 3
        and len(parts[2]) <= 3
    ):
        return (int(parts[1]), int(parts[2]))
    return None


def _marker_env(target: Target) -> Dict[str, str]:
    os_name, arch = target.os, target.arch
    machine = {
        (Os.WINDOWS, Arch.X86_64): "AMD64",
        (Os.WINDOWS, Arch.I686): "x86",
        (Os.WINDOWS, Arch.AARCH64): "ARM64",
        (Os.MACOS, Arch.AARCH64): "arm64",
    }.get((os_name, arch))
    if machine is None:
        machine = arch.value if arch is not Arch.OTHER else _raw_arch(target.platforms[0]) if target.platforms else ""
    return {
        "implementation_name": target.implementation.value,
        "implementation_version": target.python_full_str,
        "os_name": "nt" if os_name is Os.WINDOWS else "posix",
        "platform_machine": machine,
        "platform_python_implementation": _MARKER_IMPLEMENTATION[target.implementation],
        "platform_release": "",
        "platform_system": {Os.LINUX: "Linux", Os.MACOS: "Darwin", Os.WINDOWS: "Windows"}.get(
            os_name, ""
        ),
        "platform_version": "",
        "python_full_version": target.python_full_str,
        "python_version": target.python_str,
        "sys_platform": {Os.LINUX: "linux", Os.MACOS: "darwin", Os.WINDOWS: "win32"}.get(
            os_name, ""
        ),
        "extra": "",
    }


_MARKER_IMPLEMENTATION = {
    Implementation.CPYTHON: "CPython",
    Implementation.PYPY: "PyPy",
    Implementation.GRAALPY: "GraalVM",
    Implementation.IRONPYTHON: "IronPython",
    Implementation.JYTHON: "Jython",
}


@functools.lru_cache(maxsize=1024)
def _compute_tags(target: Target) -> FrozenSet[Tag]:
    from packaging import tags as _tags

    if not target.declared:
        return frozenset(_tags.sys_tags())
    platforms: Optional[List[str]] = list(target.platforms) or None
    if target.implementation is Implementation.CPYTHON:
        found = list(_tags.cpython_tags(target.python, list(target.abis) or None, platforms))
    else:
        found = list(_tags.generic_tags(target.interpreter_tag, list(target.abis), platforms))
    found.extend(_tags.compatible_tags(target.python, target.interpreter_tag, platforms))
    return frozenset(found)


@functools.lru_cache(maxsize=1024)
def _supported(target: Target) -> FrozenSet[Triple]:
    return frozenset(
        (interpreter, abi, platform)
        for (interpreter, abi), platforms in _supported_by_pair(target).items()
        for platform in platforms
    )


@functools.lru_cache(maxsize=1024)
def _grouped_by_pair(tags: FrozenSet[Triple]) -> Dict[Tuple[str, str], FrozenSet[str]]:
    """A release's wheel tags as platforms per (interpreter, abi), as targets hold theirs."""
    found: Dict[Tuple[str, str], Set[str]] = {}
    for python, abi, platform in tags:
        found.setdefault((python, abi), set()).add(platform)
    return {pair: frozenset(platforms) for pair, platforms in found.items()}


@functools.lru_cache(maxsize=1024)
def _supported_by_pair(target: Target) -> Dict[Tuple[str, str], FrozenSet[str]]:
    if not target.declared and target.implementation is not Implementation.CPYTHON:
        found: Dict[Tuple[str, str], Set[str]] = {}
        for tag in _compute_tags(target):
            found.setdefault((tag.interpreter, tag.abi), set()).add(tag.platform)
        return {pair: frozenset(platforms) for pair, platforms in found.items()}
    major, minor = target.python
    pairs: List[Tuple[str, str]] = []
    if target.implementation is Implementation.CPYTHON:
        interpreter = f"cp{major}{minor}"
        abis = list(target.abis) if target.abis else [_default_cpython_abi(target.python)]
        threading = _threaded(abis)
        stable = ("abi3", "abi3t", "none") if threading else ("abi3", "none")
        abis = [a for a in abis if a not in stable]
        pairs += [(interpreter, abi) for abi in abis]
        limited = "abi3t" if threading else "abi3"
        if (major, minor) >= (3, 2):
            pairs.append((interpreter, limited))
        pairs.append((interpreter, "none"))
        if (major, minor) >= (3, 2):
            pairs += [(f"cp{major}{m}", limited) for m in range(minor - 1, 1, -1)]
    else:
        interpreter = target.interpreter_tag
        abis = list(target.abis)
        if "none" not in abis:
            abis.append("none")
        pairs += [(interpreter, abi) for abi in abis]
    pure = [f"py{major}{minor}", f"py{major}"] + [f"py{major}{m}" for m in range(minor - 1, -1, -1)]
    pairs += [(version, "none") for version in pure]
    platforms = frozenset(target.platforms)
    by_pair = {pair: platforms for pair in pairs}
    for pair in [(interpreter, "none")] + [(version, "none") for version in pure]:
        by_pair[pair] = by_pair[pair] | {"any"}
    return by_pair


def _default_cpython_abi(python: Tuple[int, int]) -> str:
    """The ABI pip derives for a CPython named without one (a release build: pymalloc
    before 3.8, wide unicode before 3.3)."""
    flags = ("m" if python < (3, 8) else "") + ("u" if python < (3, 3) else "")
    return "cp%d%d%s" % (python[0], python[1], flags)


def _threaded(abis: List[str]) -> bool:
    for abi in abis:
        if abi == "abi3t":
            return True
        if abi.startswith("cp") and abi[2:3].isdigit():
            return "t" in abi[2:].lstrip("0123456789")
    return False


def parse_tag_text(text: str) -> FrozenSet[Triple]:
    """``cp38-cp38-manylinux_2_17_x86_64.manylinux2014_x86_64`` as the (interpreter, abi,
    platform) triples it stands for (the expansion ``packaging.tags.parse_tag`` makes)."""
    interpreters, abis, platforms = text.lower().split("-")
    return frozenset(
        (i, a, p)
        for i in interpreters.split(".")
        for a in abis.split(".")
        for p in platforms.split(".")
    )


@functools.lru_cache(maxsize=None)
def _host_target() -> Target:
    light = _glibc_cpython_host()
    if light is not None:
        return light
    from packaging import tags as _tags

    platforms: List[str] = []
    abis: List[str] = []
    for tag in _tags.sys_tags():
        if tag.platform not in platforms and tag.platform != "any":
            platforms.append(tag.platform)
        if tag.abi not in abis and tag.abi not in ("none", "abi3"):
            abis.append(tag.abi)
    try:
        implementation = Implementation.parse(sys.implementation.name)
    except InputError:  # an interpreter ddguard has no name for: judged as not CPython
        implementation = Implementation.PYPY
    return Target(
        implementation=implementation,
        python_version=tuple(sys.version_info[:3]),
        abis=tuple(abis),
        platforms=tuple(platforms),
        declared=False,
    )


_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


def _glibc_cpython_host() -> Optional[Target]:
    """The running interpreter when it is a 64-bit CPython on glibc Linux, probed the way
    ``packaging.tags.sys_tags`` does (glibc from ``os.confstr``, ABI flags from
    ``sys.abiflags``) without importing it: the startup check's cold path would pay
    ``packaging.tags`` (logging, platform, subprocess, ctypes) on every start of a process
    whose cache is not writable. Anything else (musl, macOS, Windows, 32-bit, a custom
    ``_manylinux`` module): None, and packaging probes. Tests hold the two equal."""
    if sys.implementation.name != "cpython" or not sys.platform.startswith("linux"):
        return None
    if sys.maxsize <= 2**32 or "_manylinux" in sys.modules:
        return None
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
        arch = os.uname().machine
    except (AttributeError, ValueError, OSError):
        return None
    name, _, version = libc.partition(" ")
    parts = version.split(".")
    if name != "glibc" or len(parts) < 2 or not (parts[0] == "2" and parts[1].isdigit()):
        return None
    if arch not in ("x86_64", "aarch64", "ppc64le", "s390x") or _has_manylinux_module():
        return None
    platforms = [f"linux_{arch}"]
    oldest = 5 if arch == "x86_64" else 17
    for minor in range(int(parts[1]), oldest - 1, -1):
        platforms.append(f"manylinux_2_{minor}_{arch}")
        if minor in _LEGACY_MANYLINUX:
            platforms.append(f"{_LEGACY_MANYLINUX[minor]}_{arch}")
    flags = "".join(f for f in getattr(sys, "abiflags", "") if f in "td")
    interpreter = "cp%d%d" % sys.version_info[:2]
    abis = [interpreter + flags]
    if "d" in flags:
        abis.append(interpreter + flags.replace("d", ""))
    return Target(
        implementation=Implementation.CPYTHON,
        python_version=tuple(sys.version_info[:3]),
        abis=tuple(abis),
        platforms=tuple(platforms),
        declared=False,
    )


def _has_manylinux_module() -> bool:
    """A ``_manylinux`` module on the path may veto tags (PEP 600): leave it to packaging."""
    for entry in sys.path:
        try:
            if os.path.exists(os.path.join(entry or ".", "_manylinux.py")):
                return True
        except (TypeError, ValueError):
            continue
    return False
