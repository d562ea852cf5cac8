"""Container image references: which Python, libc and architecture an image name states.

Only images whose Python is part of their published name are read: the official
``python`` and ``pypy`` images (any Docker Hub mirror, the arch-specific namespaces such
as ``arm64v8/``), AWS Lambda base images, the Dev Container, CircleCI, uv, tiangolo,
nikolaik, Bitnami and Red Hat UBI Python images. Any other image (``ubuntu``, ``node``,
a private base, distroless) is UNKNOWN: discovery says so and never guesses.
"""

from __future__ import annotations

import enum
import re
from typing import List, Optional, Tuple

from ddguard.record import Record
from ddguard.sources.targets.common import Python, python_words
from ddguard.target import Arch, Implementation, Libc, Os


class ImageStatus(str, enum.Enum):
    PYTHON = "python"  # a Python image with a readable version (possibly a major only)
    NO_VERSION = "no-version"  # a Python image whose tag names no version (latest, slim)
    UNKNOWN = "unknown"  # an image whose Python is unknown
    SCRATCH = "scratch"  # FROM scratch: no Python, nothing to say


class ImageFacts(Record):
    status: ImageStatus
    python: Optional[Python] = None
    os: Optional[Os] = None
    arch: Optional[Arch] = None
    libc: Optional[Libc] = None
    lambda_image: bool = False  # an AWS Lambda base image (x86_64 unless stated)


_HUB = ("", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")
_MIRRORS = {"mirror.gcr.io": "", "public.ecr.aws": "docker/"}  # registry -> library prefix
_ARCH_NAMESPACES = {
    "amd64": Arch.X86_64,
    "arm64v8": Arch.AARCH64,
    "i386": Arch.I686,
    "arm32v5": Arch.OTHER,
    "arm32v6": Arch.OTHER,
    "arm32v7": Arch.OTHER,
    "ppc64le": Arch.OTHER,
    "s390x": Arch.OTHER,
    "riscv64": Arch.OTHER,
    "mips64le": Arch.OTHER,
}
_GLIBC_WORDS = frozenset(
    {"slim", "bookworm", "bullseye", "buster", "stretch", "jessie", "trixie", "wheezy",
     "debian", "ubuntu", "focal", "jammy", "noble", "node", "browsers", "nodejs"}
)  # fmt: skip
_WINDOWS_WORDS = ("windowsservercore", "nanoserver")
# pre-release markers, PyPy or image releases (7.3.17, v7.3.17, 11, r0)
_KNOWN_WORD = re.compile(r"^(?:(?:a|b|rc)\d*|v?\d+(?:\.\d+)*|r\d+)$")


def split_reference(reference: str) -> Tuple[str, str, str]:
    """(registry, repository path, tag) of ``[registry/]path[:tag][@digest]``."""
    name = reference.strip().split("@", 1)[0]
    registry = ""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, name = first.lower(), rest
    repository, _, tag = name.rpartition(":") if ":" in name else (name, "", "")
    return registry, repository, tag


def classify(reference: str) -> ImageFacts:
    """What the image name states (see the module docstring)."""
    registry, repository, tag = split_reference(reference)
    repository = repository.lower()
    if not repository or (repository == "scratch" and not registry):
        return ImageFacts(ImageStatus.SCRATCH)
    path = repository
    if registry in _MIRRORS and path.startswith(_MIRRORS[registry] + "library/"):
        registry, path = "", path[len(_MIRRORS[registry]) :]
    if registry in _HUB:
        facts = _docker_hub(path, tag)
        if facts is not None:
            return facts
    facts = _vendor(registry, path, tag)
    return facts if facts is not None else ImageFacts(ImageStatus.UNKNOWN)


def _docker_hub(path: str, tag: str) -> Optional[ImageFacts]:
    parts = path.split("/")
    arch: Optional[Arch] = None
    if parts[0] == "library":
        parts = parts[1:]
    elif len(parts) == 2 and parts[0] in _ARCH_NAMESPACES:
        arch, parts = _ARCH_NAMESPACES[parts[0]], parts[1:]
    if len(parts) == 1 and parts[0] in ("python", "pypy"):
        default = Implementation.PYPY if parts[0] == "pypy" else Implementation.CPYTHON
        return _official_tag(tag, default)._replace(arch=arch)
    if path == "amazon/aws-lambda-python":
        return _lambda(tag)
    if path in ("cimg/python", "circleci/python", "bitnami/python"):
        return _versioned_tag(tag, default_libc=Libc.GLIBC)
    if parts[0] == "tiangolo" or path == "nikolaik/python-nodejs":
        return _python_word_tag(tag)
    return None


def _vendor(registry: str, path: str, tag: str) -> Optional[ImageFacts]:
    if registry == "public.ecr.aws" and path == "lambda/python":
        return _lambda(tag)
    if registry == "public.ecr.aws" and path.startswith("sam/build-python"):
        python = python_words(path[len("sam/build-") :])
        return _facts(python, Os.LINUX, Libc.GLIBC)
    if registry == "mcr.microsoft.com" and path in (
        "devcontainers/python",
        "vscode/devcontainers/python",
    ):
        words = tag.split("-")
        if len(words) > 1 and words[0].isdigit() and "." in words[1]:
            words = words[1:]  # 1-3.12-bookworm: the image's own version first
        return _versioned_tag("-".join(words), default_libc=Libc.GLIBC)
    if registry == "ghcr.io" and path == "astral-sh/uv":
        return _python_word_tag(tag) if "python" in tag else ImageFacts(ImageStatus.UNKNOWN)
    if registry in ("registry.access.redhat.com", "registry.redhat.io"):
        found = re.match(r"^ubi\d+/python-(\d)(\d+)$", path)
        if found:
            python = python_words(f"{found.group(1)}.{found.group(2)}")
            return _facts(python, Os.LINUX, Libc.GLIBC)
    return None


def _facts(python: Optional[Python], os: Optional[Os], libc: Optional[Libc]) -> ImageFacts:
    if python is None or python.version is None:
        return ImageFacts(ImageStatus.NO_VERSION, python, os)
    return ImageFacts(ImageStatus.PYTHON, python, os, None, libc)


def _official_tag(tag: str, default: Implementation) -> ImageFacts:
    """python:3.12-slim-bookworm, python:3.13.5-alpine3.22, python:3-windowsservercore,
    pypy:3.10-7.3.17-slim."""
    words = tag.lower().split("-") if tag else []
    python = python_words(words[0], default) if words else None
    if python is None or python.version is None:
        return ImageFacts(ImageStatus.NO_VERSION, None, Os.LINUX)
    os_name, libc = _variant(words[1:], Libc.GLIBC)
    return ImageFacts(ImageStatus.PYTHON, python, os_name, None, libc)


def _variant(words: List[str], default: Optional[Libc]) -> Tuple[Os, Optional[Libc]]:
    """The OS and libc the words after the version state; an unknown word (a misspelt
    variant, a private suffix) leaves the libc unknown rather than guessed."""
    libc = default
    unknown = False
    for word in words:
        if word.startswith(_WINDOWS_WORDS):
            return Os.WINDOWS, None
        if word.startswith("alpine"):
            libc = Libc.MUSL
        elif not (word in _GLIBC_WORDS or _KNOWN_WORD.match(word)):
            unknown = True
    return Os.LINUX, None if unknown and libc is not Libc.MUSL else libc


def _versioned_tag(tag: str, default_libc: Libc) -> ImageFacts:
    words = tag.lower().split("-") if tag else []
    python = python_words(words[0]) if words else None
    if python is None or python.version is None:
        return ImageFacts(ImageStatus.NO_VERSION, None, Os.LINUX)
    os_name, libc = _variant(words[1:], default_libc)
    return ImageFacts(ImageStatus.PYTHON, python, os_name, None, libc)


def _python_word_tag(tag: str) -> ImageFacts:
    """Tags naming ``pythonX.Y`` among other words: python3.12-bookworm-slim,
    0.5.1-python3.12-alpine, python3.11-nodejs20-slim."""
    words = tag.lower().split("-")
    for index, word in enumerate(words):
        if word.startswith("python") and len(word) > len("python"):
            python = python_words(word)
            if python is None or python.version is None:
                break
            rest = [w for w in words[index + 1 :] if not w.startswith("nodejs")]
            os_name, libc = _variant(rest, Libc.GLIBC)
            return ImageFacts(ImageStatus.PYTHON, python, os_name, None, libc)
    return ImageFacts(ImageStatus.NO_VERSION, None, Os.LINUX)


def _lambda(tag: str) -> ImageFacts:
    """public.ecr.aws/lambda/python:3.12, :3.12-arm64, :3.12.2024.01.05.12, :3.12-x86_64."""
    version, _, rest = tag.lower().partition("-")
    python = python_words(".".join(version.split(".")[:3])) if version else None
    if python is None or python.version is None:
        return ImageFacts(ImageStatus.NO_VERSION, None, Os.LINUX)
    arch = Arch.AARCH64 if rest == "arm64" else Arch.X86_64 if rest == "x86_64" else None
    return ImageFacts(ImageStatus.PYTHON, python, Os.LINUX, arch, Libc.GLIBC, lambda_image=True)
