"""The interpreter and platform a ddtrace release is judged for.

A Target is declared with pip's own flags (``--python-version``, ``--implementation``,
``--abi``, ``--platform``), with a compact ``cp312-manylinux_x86_64`` form, or probed
from the running interpreter by :meth:`Target.from_host`, the one place that looks at
the host.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from packaging import tags as _tags

from ddguard.errors import InputError

IMPLEMENTATION_NAMES = {
    "cp": "cpython",
    "pp": "pypy",
    "gp": "graalpy",
    "ip": "ironpython",
    "jy": "jython",
}
_DISPLAY_IMPLEMENTATION = {
    "cpython": "CPython",
    "pypy": "PyPy",
    "graalpy": "GraalPy",
    "ironpython": "IronPython",
    "jython": "Jython",
}
_OS_DISPLAY = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}

# Newest glibc and musl minor versions a family shorthand (``manylinux_x86_64``) admits.
_NEWEST_GLIBC_MINOR = 40
_NEWEST_MUSL_MINOR = 2
_NEWEST_MACOS = 15


@dataclass(frozen=True)
class Target:
    """A CPython (or other) interpreter on a platform, as wheel tags see it."""

    implementation: str  # sys.implementation.name: "cpython", "pypy", ...
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
        short = next((k for k, v in IMPLEMENTATION_NAMES.items() if v == self.implementation), "py")
        return "%s%d%d" % (short, self.python[0], self.python[1])

    @property
    def free_threaded(self) -> bool:
        return any(abi.endswith("t") and abi.startswith("cp") for abi in self.abis)

    @property
    def os(self) -> str:
        """ "linux", "macos", "windows" or the raw platform tag's family."""
        return _platform_os(self.platforms[0]) if self.platforms else "unknown"

    @property
    def arch(self) -> str:
        """CPU architecture normalized to x86_64, i686, aarch64 or the tag's own word."""
        return _platform_arch(self.platforms[0]) if self.platforms else "unknown"

    @property
    def libc(self) -> Optional[str]:
        for platform in self.platforms:
            if platform.startswith("musllinux"):
                return "musl"
            if platform.startswith("manylinux"):
                return "glibc"
        return None

    def tags(self) -> FrozenSet[_tags.Tag]:
        """Every wheel tag this target installs, as pip computes it."""
        return _compute_tags(self)

    def describe(self) -> str:
        """ "CPython 3.12, manylinux x86_64" — how messages name the target."""
        impl = _DISPLAY_IMPLEMENTATION.get(self.implementation, self.implementation)
        text = f"{impl} {self.python_str}"
        if self.free_threaded:
            text += " (free-threaded)"
        return f"{text}, {self.platform_description()}"

    def platform_description(self) -> str:
        os_name = self.os
        arch = self.arch
        if os_name == "linux":
            family = self.libc and ("musllinux" if self.libc == "musl" else "manylinux")
            return f"{family or 'linux'} {arch}"
        if os_name == "macos":
            return "macOS " + (
                "Apple Silicon" if arch == "aarch64" else "Intel" if arch == "x86_64" else arch
            )
        if os_name == "windows":
            bits = {"x86_64": "64-bit", "i686": "32-bit", "aarch64": "ARM64"}.get(arch, arch)
            return f"Windows {bits}"
        return self.platforms[0] if self.platforms else "unknown platform"

    def marker_env(self) -> Dict[str, str]:
        """PEP 508 marker environment of this target (for evaluating requirement markers)."""
        os_name = self.os
        arch = self.arch
        machine = {
            ("windows", "x86_64"): "AMD64",
            ("windows", "i686"): "x86",
            ("windows", "aarch64"): "ARM64",
            ("macos", "aarch64"): "arm64",
        }.get((os_name, arch), arch)
        return {
            "implementation_name": self.implementation,
            "implementation_version": self.python_full_str,
            "os_name": "nt" if os_name == "windows" else "posix",
            "platform_machine": machine,
            "platform_python_implementation": _DISPLAY_IMPLEMENTATION.get(
                self.implementation, self.implementation
            ),
            "platform_release": "",
            "platform_system": {"linux": "Linux", "macos": "Darwin", "windows": "Windows"}.get(
                os_name, ""
            ),
            "platform_version": "",
            "python_full_version": self.python_full_str,
            "python_version": self.python_str,
            "sys_platform": {"linux": "linux", "macos": "darwin", "windows": "win32"}.get(
                os_name, os_name
            ),
            "extra": "",
        }

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
        version = parse_python_version(python_version) if python_version else host.python_version
        if implementation:
            impl = IMPLEMENTATION_NAMES.get(implementation)
            if impl is None:
                raise InputError(
                    f"unknown --implementation {implementation!r}: use one of "
                    + ", ".join(sorted(IMPLEMENTATION_NAMES))
                )
        else:
            impl = host.implementation
        for abi in abis:
            _check_abi(abi)
        expanded: List[str] = []
        for platform in platforms:
            _check_platform(platform)
            expanded.extend(p for p in expand_platform(platform) if p not in expanded)
        keep_host_abis = not python_version and not implementation and not abis
        return cls(
            implementation=impl,
            python_version=version,
            abis=tuple(abis) if abis else (host.abis if keep_host_abis else ()),
            platforms=tuple(expanded) if expanded else host.platforms,
            declared=bool(python_version or implementation or abis or platforms),
        )

    @classmethod
    def from_compact(cls, text: str) -> Target:
        """``cp312-manylinux_x86_64``, ``cp313t-musllinux_1_2_aarch64``, ``cp311-win_amd64``.

        A platform family without a version (``manylinux_x86_64``, ``musllinux_aarch64``,
        ``macosx_arm64``) means a current system of that family.
        """
        interpreter, sep, platform = text.partition("-")
        short, digits = interpreter[:2], interpreter[2:]
        digits = digits.rstrip("t")
        if not sep or short not in IMPLEMENTATION_NAMES or not digits.isdigit() or len(digits) < 2:
            raise InputError(
                f"cannot read target {text!r}: write it as INTERPRETER-PLATFORM, "
                "e.g. cp312-manylinux_x86_64, cp311-musllinux_aarch64, cp313-macosx_arm64, cp312-win_amd64"
            )
        version = (int(digits[0]), int(digits[1:]))
        abi = f"{interpreter}" if short == "cp" and version >= (3, 8) else ""
        platforms = _expand_family(platform)
        if platforms is None:
            _check_platform(platform)
            platforms = expand_platform(platform)
        return cls(
            implementation=IMPLEMENTATION_NAMES[short],
            python_version=version,
            abis=(abi,) if abi else (),
            platforms=tuple(platforms),
            declared=True,
        )


def parse_python_version(text: str) -> Tuple[int, ...]:
    """pip's ``--python-version``: "3", "3.12", "312", "3.12.1"."""
    text = text.strip()
    if "." in text:
        parts = text.split(".")
    elif len(text) > 1:
        parts = [text[0], text[1:]]
    else:
        parts = [text]
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
        raise InputError(f"cannot read Python version {text!r}: write it like 3.12 or 312")
    numbers = tuple(int(p) for p in parts)
    if len(numbers) == 1:
        raise InputError(f"Python version {text!r} names no minor version: write it like 3.12")
    return numbers


def expand_platform(platform: str) -> List[str]:
    """pip's expansion of one ``--platform`` value into the tags it accepts."""
    prefix, sep, suffix = platform.partition("_")
    if platform.startswith("macosx"):
        version = _macos_tag_version(platform)
        arch = platform.split("_", 3)[-1]
        if version is None:
            return [platform]
        return list(_tags.mac_platforms(version, arch))
    if prefix == "manylinux2014" and suffix in ("i686", "x86_64"):
        return [platform, f"manylinux2010{sep}{suffix}", f"manylinux1{sep}{suffix}"]
    if prefix == "manylinux2010":
        return [platform, f"manylinux1{sep}{suffix}"]
    return [platform]


def _expand_family(platform: str) -> Optional[List[str]]:
    """Platform families written without a version, for the compact target form."""
    family, _, arch = platform.partition("_")
    if family == "manylinux" and arch and not arch[0].isdigit():
        tags = [f"manylinux_2_{m}_{arch}" for m in range(_NEWEST_GLIBC_MINOR, 4, -1)]
        tags.append(f"manylinux2014_{arch}")  # the legacy aliases wheels still carry
        if arch in ("x86_64", "i686"):
            tags += [f"manylinux2010_{arch}", f"manylinux1_{arch}"]
        return tags
    if family == "musllinux" and arch and not arch[0].isdigit():
        return [f"musllinux_1_{m}_{arch}" for m in range(_NEWEST_MUSL_MINOR, -1, -1)]
    if family == "macosx" and arch in ("arm64", "x86_64", "universal2"):
        major = _NEWEST_MACOS
        return list(_tags.mac_platforms((major, 0), arch))
    if family == "linux" and arch in ("x86_64", "aarch64", "i686"):
        return _expand_family(f"manylinux_{arch}")
    return None


def _check_platform(platform: str) -> None:
    if not platform or any(c in platform for c in " -./") or platform != platform.lower():
        raise InputError(
            f"unknown platform tag {platform!r}: use a wheel platform tag such as "
            "manylinux2014_x86_64, manylinux_2_28_aarch64, musllinux_1_2_x86_64, "
            "macosx_11_0_arm64, win_amd64 or win32"
        )
    if _platform_os(platform) == "unknown":
        raise InputError(
            f"unknown platform tag {platform!r}: ddguard knows manylinux*, musllinux*, "
            "linux_*, macosx_*, win_amd64, win32 and win_arm64 tags"
        )


def _check_abi(abi: str) -> None:
    if not abi or not abi.replace("_", "").isalnum():
        raise InputError(f"cannot read --abi {abi!r}: write it like cp312, cp313t, abi3 or none")


def _platform_os(platform: str) -> str:
    if platform.startswith(("manylinux", "musllinux", "linux")):
        return "linux"
    if platform.startswith("macosx"):
        return "macos"
    if platform in ("win32", "win_amd64", "win_arm64", "win_ia64") or platform.startswith("win_"):
        return "windows"
    return "unknown"


def _platform_arch(platform: str) -> str:
    if platform == "win32":
        return "i686"
    if platform.startswith("win_"):
        return {"amd64": "x86_64", "arm64": "aarch64"}.get(platform[4:], platform[4:])
    if platform.startswith("macosx"):
        arch = platform.split("_", 3)[-1]
        return {"arm64": "aarch64", "intel": "x86_64"}.get(arch, arch)
    for family in ("manylinux2014_", "manylinux2010_", "manylinux1_", "linux_"):
        if platform.startswith(family):
            return _normal_arch(platform[len(family) :])
    # manylinux_2_17_x86_64, musllinux_1_2_aarch64
    parts = platform.split("_", 3)
    return _normal_arch(parts[3]) if len(parts) == 4 else platform


def _normal_arch(arch: str) -> str:
    return {"amd64": "x86_64", "x86": "i686", "i386": "i686", "arm64": "aarch64"}.get(arch, arch)


def _macos_tag_version(platform: str) -> Optional[Tuple[int, int]]:
    parts = platform.split("_")
    if parts[0] == "macosx" and len(parts) >= 4 and parts[1].isdigit() and parts[2].isdigit():
        return (int(parts[1]), int(parts[2]))
    return None


@functools.lru_cache(maxsize=None)
def _compute_tags(target: Target) -> FrozenSet[_tags.Tag]:
    if not target.declared:
        return frozenset(_tags.sys_tags())
    platforms: Optional[Iterable[str]] = list(target.platforms) or None
    if target.implementation == "cpython":
        found = list(_tags.cpython_tags(target.python, list(target.abis) or None, platforms))
    else:
        found = list(
            _tags.generic_tags(target.interpreter_tag, list(target.abis) or None, platforms)
        )
    found.extend(_tags.compatible_tags(target.python, target.interpreter_tag, platforms))
    return frozenset(found)


@functools.lru_cache(maxsize=None)
def _host_target() -> Target:
    host_tags = list(_tags.sys_tags())
    platforms: List[str] = []
    abis: List[str] = []
    for tag in host_tags:
        if tag.platform not in platforms and tag.platform != "any":
            platforms.append(tag.platform)
        if tag.abi not in abis and tag.abi not in ("none", "abi3"):
            abis.append(tag.abi)
    return Target(
        implementation=sys.implementation.name,
        python_version=tuple(sys.version_info[:3]),
        abis=tuple(abis),
        platforms=tuple(platforms),
        declared=False,
    )


@functools.lru_cache(maxsize=None)
def platform_os_arch(platform: str) -> Tuple[str, str]:
    """("linux", "x86_64") for manylinux2014_x86_64, ("windows", "i686") for win32, ..."""
    return _platform_os(platform), _platform_arch(platform)


def describe_platform(platform: str) -> str:
    """ "manylinux x86_64", "macOS Apple Silicon", "Windows 64-bit" for one platform tag."""
    return Target("cpython", (3, 0), (), (platform,)).platform_description()
