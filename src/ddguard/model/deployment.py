"""Deployment targets: the Pythons a project's files say it runs on (issue 14)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Optional, Tuple

from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.model import Note
    from ddguard.target import Arch, Implementation, Libc, Os, Target


class TargetKind(str, enum.Enum):
    """The kind of file a deployment target was declared in."""

    DOCKERFILE = "dockerfile"
    GITHUB_ACTIONS = "github-actions"
    GITLAB_CI = "gitlab-ci"
    PYTHON_VERSION_FILE = "python-version-file"
    RUNTIME_TXT = "runtime-txt"
    TOOL_VERSIONS = "tool-versions"
    AWS_SAM = "aws-sam"
    CLOUDFORMATION = "cloudformation"
    SERVERLESS = "serverless"
    APP_ENGINE = "app-engine"
    AWS_CDK = "aws-cdk"
    TERRAFORM = "terraform"
    TOX = "tox"
    PIPFILE = "pipfile"
    DDGUARD_CONFIG = "ddguard-config"


# (os, arch, libc) values -> the platform family of the compact target form
_COMPACT_PLATFORMS = {
    ("linux", "x86_64", "glibc"): "manylinux_x86_64",
    ("linux", "aarch64", "glibc"): "manylinux_aarch64",
    ("linux", "i686", "glibc"): "manylinux_i686",
    ("linux", "x86_64", "musl"): "musllinux_x86_64",
    ("linux", "aarch64", "musl"): "musllinux_aarch64",
    ("linux", "i686", "musl"): "musllinux_i686",
    ("macos", "x86_64", None): "macosx_x86_64",
    ("macos", "aarch64", None): "macosx_arm64",
    ("windows", "x86_64", None): "win_amd64",
    ("windows", "i686", None): "win32",
    ("windows", "aarch64", None): "win_arm64",
}


class TargetDeclaration(Record):
    """One Python a project's file says it runs on. Unknown facts are None, never guessed.

    ``path:line`` is where the Python version is written (edit there to change it); ``via``
    names the statement that applied it when that is elsewhere: the ``FROM`` using an
    ``ARG`` default, a step using a matrix or env value, a Lambda ``Runtime: !Ref``.
    """

    kind: TargetKind
    path: str  # relative to the project root, "/"-separated
    line: int  # 1-based
    evidence: str  # that line as written, trimmed (at most 200 characters)
    implementation: Optional[Implementation] = None
    python_version: Optional[Tuple[int, ...]] = None  # (3, 12), (3, 13, 5), (3,) for a major only
    free_threaded: bool = False  # 3.13t
    os: Optional[Os] = None
    arch: Optional[Arch] = None
    libc: Optional[Libc] = None  # Linux only
    stage: Optional[str] = None  # the Docker stage name, as written
    final: Optional[bool] = None  # Docker: the stage ``docker build`` builds
    via: Optional[str] = None  # "relpath:LINE" of the statement that applied the value
    platform_tag: Optional[str] = None  # an exact wheel platform tag the file names

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"

    def compact(self) -> Optional[str]:
        """``cp312-manylinux_x86_64`` when the implementation, the Python feature release,
        the OS, the architecture and (on Linux) the libc are all declared; None otherwise.
        ``ddguard.target.Target.from_compact`` reads it."""
        version = self.python_version
        if self.implementation is None or version is None or len(version) < 2:
            return None
        platform = self.platform_tag
        if platform is None:
            if self.os is None or self.arch is None:
                return None
            libc = self.libc.value if self.libc is not None and self.os.value == "linux" else None
            platform = _COMPACT_PLATFORMS.get((self.os.value, self.arch.value, libc))
            if platform is None:
                return None
        threaded = "t" if self.free_threaded else ""
        return f"{self.implementation.short}{version[0]}{version[1]}{threaded}-{platform}"


class Deployment(Record):
    """Where a project says it runs: each distinct target with the files declaring it."""

    targets: Tuple[Tuple[Target, Tuple[str, ...]], ...]
    declarations: Tuple[object, ...]  # TargetDeclaration values, in file order
    notes: Tuple[Note, ...]
    files: Tuple[str, ...]


class Discovery(Record):
    """What discovering a project's deployment targets found."""

    declarations: Tuple[TargetDeclaration, ...] = ()
    notes: Tuple[Note, ...] = ()
    files: Tuple[str, ...] = ()  # files read, relative to the project root
