"""What every deployment-file reader shares: bounded reading, where a value was written,
Python version words, and the record of what one file declared.

Readers raise :class:`~ddguard.errors.InputError` for a file they cannot read or parse;
discovery turns that into a note, a file named on the command line into an exit.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.model import Note, NoteCode
from ddguard.model.deployment import TargetDeclaration, TargetKind
from ddguard.record import Record
from ddguard.sources.text import read_text as _read_text
from ddguard.target import Arch, Implementation, Libc, Os, limits

MAX_BYTES = 1 << 20  # a deployment file larger than this is not read
EVIDENCE_CHARS = 200


def read_text(path: str, shown: str) -> str:
    """The text of a regular file of at most MAX_BYTES, as UTF-8 (the sources' one reader);
    InputError naming ``shown`` (the path as the user sees it) otherwise."""
    try:
        text = _read_text(path, MAX_BYTES)
    except InputError as exc:
        raise InputError(exc.message, shown, exc.line) from None
    if "\x00" in text:
        raise InputError("binary file (NUL bytes), not text", shown)
    return text


class Written(Record):
    """Where a value was written: the file (relative to the project root), line, text."""

    path: str
    line: int
    evidence: str

    @property
    def ref(self) -> str:
        return f"{self.path}:{self.line}"


def evidence(text: str) -> str:
    """A source line as written, trimmed and bounded."""
    shown = text.strip()
    return shown if len(shown) <= EVIDENCE_CHARS else shown[: EVIDENCE_CHARS - 1] + "…"


class Lines:
    """A file's lines, for evidence by line number."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def at(self, line: int) -> Written:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Written(self.path, line, evidence(text))


class Found:
    """What one reader found: declarations and notes, in order."""

    def __init__(self) -> None:
        self.declarations: List[TargetDeclaration] = []
        self.notes: List[Note] = []

    def note(self, code: NoteCode, where: Written, text: Optional[str] = None) -> None:
        self.notes.append(Note(code, where.path, where.line, _bounded(text)))

    def declare(
        self,
        kind: TargetKind,
        where: Written,
        python: Python,
        *,
        os: Optional[Os] = None,
        arch: Optional[Arch] = None,
        libc: Optional[Libc] = None,
        via: Optional[Written] = None,
        stage: Optional[str] = None,
        final: Optional[bool] = None,
        platform_tag: Optional[str] = None,
    ) -> None:
        """A declaration, and the major-only note when the version names a major alone."""
        if python.version is not None and len(python.version) == 1:
            self.note(NoteCode.TARGET_MAJOR_ONLY, where, python.text)
        self.declarations.append(
            TargetDeclaration(
                kind=kind,
                path=where.path,
                line=where.line,
                evidence=where.evidence,
                implementation=python.implementation,
                python_version=python.version,
                free_threaded=python.free_threaded,
                os=os,
                arch=arch,
                libc=libc if os is Os.LINUX else None,
                stage=stage,
                final=final,
                via=via.ref if via is not None and via.ref != where.ref else None,
                platform_tag=platform_tag,
            )
        )

    def extend(self, other: Found) -> None:
        self.declarations.extend(other.declarations)
        self.notes.extend(other.notes)


def _bounded(text: Optional[str]) -> Optional[str]:
    return None if text is None else evidence(text)


# --- Python version words --------------------------------------------------------------


class Python(Record):
    """A Python named by a file: ``version`` None when the words name no readable version."""

    implementation: Implementation
    version: Optional[Tuple[int, ...]]
    free_threaded: bool = False
    text: str = ""  # as written


_VERSION = re.compile(
    r"""^(?P<nums>\d{1,2}(?:\.\d{1,4}){0,2}|\d\.x)   # 3, 3.12, 3.12.1, 3.x
        (?:(?:a|b|rc|-alpha|-beta|-rc|-dev|-beta\.|-alpha\.|-rc\.)\.?\d*)?  # pre-releases
        (?P<t>t)?                                  # free-threaded
        (?:\.x)?$""",
    re.VERBOSE,
)
_IMPLEMENTATIONS = (
    ("cpython", Implementation.CPYTHON),
    ("python", Implementation.CPYTHON),
    ("pypy", Implementation.PYPY),
    ("py", Implementation.CPYTHON),
    ("graalpy", Implementation.GRAALPY),
)


def python_words(text: str, default: Implementation = Implementation.CPYTHON) -> Optional[Python]:
    """``3.12``, ``3.12.1``, ``3.13t``, ``3.15-dev``, ``3.x``, ``pypy3.10``, ``pypy-3.10``,
    ``pypy3.10-v7.3.15``, ``python-3.11.6``, ``python3.12``: a Python, its version None when
    the words name an implementation but no version (``pypy``, ``python``, ``3.99``).
    None when the words do not name a Python at all."""
    word = text.strip().lower()
    implementation = default
    named = False
    for prefix, member in _IMPLEMENTATIONS:
        if word.startswith(prefix):
            implementation, named, word = member, True, word[len(prefix) :].lstrip("-_ ")
            break
    if implementation is Implementation.PYPY or implementation is Implementation.GRAALPY:
        word = word.split("-", 1)[0]  # pypy3.10-v7.3.15: the PyPy release after the dash
        if implementation is Implementation.GRAALPY:
            return Python(implementation, None, text=text)  # GraalPy versions are its own
    if not word:
        return Python(implementation, None, text=text) if named else None
    found = _VERSION.match(word)
    if found is None:
        return None if not named else Python(implementation, None, text=text)
    nums = found.group("nums")
    if nums.endswith(".x"):
        nums = nums[:-2]
    version = bounded_version(tuple(int(n) for n in nums.split(".")))
    return Python(implementation, version, bool(found.group("t")), text)


def bounded_version(numbers: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
    """``numbers`` when some CPython has that version (major, minor within the known range
    plus the margin); a patch above 99 (a date in a tag) is dropped. None otherwise."""
    bounds = limits()
    known = bounds.cpython.get(numbers[0])
    if known is None:
        return None
    if len(numbers) == 1:
        return numbers
    newest = known[1] + (bounds.cpython_margin if numbers[0] == 3 else 0)
    if not known[0] <= numbers[1] <= newest:
        return None
    if len(numbers) > 2 and numbers[2] > 99:
        return numbers[:2]
    return numbers[:3]


def runtime_words(text: str) -> Optional[Python]:
    """A cloud runtime name: Lambda ``python3.12``, App Engine ``python312``, GCF ``python311``.
    None for a runtime that is not Python (``nodejs20.x``, ``provided.al2023``)."""
    word = text.strip().lower()
    if not word.startswith("python"):
        return None
    rest = word[len("python") :]
    if "." in rest or not rest:
        return python_words(word)
    if rest.isdigit():  # python312, python39, python27, python3
        numbers = (int(rest[0]),) if len(rest) == 1 else (int(rest[0]), int(rest[1:]))
        return Python(Implementation.CPYTHON, bounded_version(numbers), text=text)
    return Python(Implementation.CPYTHON, None, text=text)


# --- platform words --------------------------------------------------------------------

_ARCH_WORDS = {
    "amd64": Arch.X86_64,
    "x86_64": Arch.X86_64,
    "x64": Arch.X86_64,
    "arm64": Arch.AARCH64,
    "aarch64": Arch.AARCH64,
    "386": Arch.I686,
    "i386": Arch.I686,
    "i686": Arch.I686,
    "x86": Arch.I686,
    "arm": Arch.OTHER,
    "ppc64le": Arch.OTHER,
    "s390x": Arch.OTHER,
    "riscv64": Arch.OTHER,
}


def arch_word(text: str) -> Optional[Arch]:
    return _ARCH_WORDS.get(text.strip().lower())


def oci_platform(text: str) -> Tuple[Optional[Os], Optional[Arch]]:
    """``linux/amd64``, ``linux/arm64/v8``, ``linux/arm/v7``, ``windows/amd64``."""
    parts = text.strip().lower().split("/")
    os_name = {"linux": Os.LINUX, "windows": Os.WINDOWS, "darwin": Os.MACOS}.get(parts[0])
    arch = arch_word(parts[1]) if len(parts) > 1 else None
    return os_name, arch
