"""One requirement into a :class:`~ddguard.model.Pin`: PEP 508 strings (a fast path without
packaging's requirement parser for plain ``ddtrace==X``), direct references (a URL, a VCS
URL, a local path, ``-e``), markers (validated when read), extras.

Only text that names a wanted package is parsed fully: packaging's parser is the slow part.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Dict, Optional, Sequence, Tuple, Union

from ddguard.errors import InputError
from ddguard.model import Origin, Pin, Reference, ReferenceKind
from ddguard.sources.names import DDTRACE, Names, canonical, wanted
from ddguard.sources.text import QuotingError, detail, shown

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_BARE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9._-]+)")
VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")

# Marker environments shaped like ``Target.marker_env()``: a marker that cannot be
# evaluated in these cannot be evaluated for a target either, so it is refused when read.
_ENVIRONMENTS: Tuple[Dict[str, str], ...] = tuple(
    {
        "implementation_name": implementation,
        "implementation_version": full,
        "os_name": "nt" if system == "win32" else "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython" if implementation == "cpython" else "PyPy",
        "platform_release": "",
        "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[system],
        "platform_version": "",
        "python_full_version": full,
        "python_version": full.rsplit(".", 1)[0],
        "sys_platform": system,
        "extra": "",
    }
    for implementation, full, system, machine in (
        ("cpython", "3.12.0", "linux", "x86_64"),
        ("cpython", "3.8.10", "darwin", "arm64"),
        ("pypy", "3.10.14", "win32", "AMD64"),
    )
)


def leading_name(text: str) -> Optional[str]:
    found = _NAME.match(text)
    return found.group(1) if found else None


def parse_marker(text: str, path: Optional[str], line: Optional[int]) -> Marker:
    """A marker that packaging can parse and evaluate, else a QuotingError naming it."""
    found = _marker(text)
    if isinstance(found, str):
        raise QuotingError(found, path, line)
    return found


def check_marker(marker: Marker, path: Optional[str], line: Optional[int]) -> None:
    problem = _evaluation_problem(str(marker))
    if problem is not None:
        raise QuotingError(problem, path, line)


# Files repeat the same few markers and requirements: each text is parsed and checked once.


@functools.lru_cache(maxsize=1024)
def _marker(text: str) -> Union[Marker, str]:
    """The parsed marker, or the message saying why it cannot be used."""
    from packaging.markers import InvalidMarker, Marker

    try:
        marker = Marker(text)
    except InvalidMarker as exc:
        return f"invalid environment marker {shown(text)}: {detail(exc)}"
    except RecursionError:
        return "invalid environment marker: nested too deeply"
    return _evaluation_problem(str(marker)) or marker


@functools.lru_cache(maxsize=1024)
def _evaluation_problem(text: str) -> Optional[str]:
    from packaging.markers import Marker

    marker = Marker(text)
    for environment in _ENVIRONMENTS:
        try:
            marker.evaluate(environment)
        except RecursionError:
            return "invalid environment marker: nested too deeply"
        except Exception as exc:  # UndefinedComparison, InvalidVersion...: packaging's own
            return f"environment marker {shown(text)} cannot be evaluated: {detail(exc)}"
    return None


@functools.lru_cache(maxsize=1024)
def _requirement(text: str) -> Union[Requirement, str]:
    """The parsed PEP 508 requirement, or the message saying why it cannot be read."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        return f"cannot read requirement {shown(text)}: {detail(exc)}"
    except RecursionError:
        return f"cannot read requirement {shown(text)}: nested too deeply"


def and_markers(*markers: Optional[Marker]) -> Optional[Marker]:
    present = [m for m in markers if m is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    from packaging.markers import Marker

    return Marker(" and ".join(f"({m})" for m in present))


def or_markers(texts: Sequence[str], path: str, line: Optional[int]) -> Optional[Marker]:
    """Markers given as text (each checked), joined with ``or``."""
    if not texts:
        return None
    parsed = [parse_marker(t, path, line) for t in texts]
    if len(parsed) == 1:
        return parsed[0]
    from packaging.markers import Marker

    return Marker(" or ".join(f"({m})" for m in parsed))


def wheel_facts(filename: str) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """Version and tags from a wheel (tags empty for an sdist) file name, else None."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    name = filename.rsplit("/", 1)[-1].split("#", 1)[0].split("?", 1)[0]
    try:
        if name.endswith(".whl"):
            _, version, _, tags = parse_wheel_filename(name)
            return str(version), tuple(sorted(str(t) for t in tags))
        _, version = parse_sdist_filename(name)
        return str(version), ()
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def file_reference(location: str, kind: ReferenceKind) -> Reference:
    """A reference to ``location``: its version and tags when it names a wheel or sdist."""
    if kind is not ReferenceKind.VCS and not location.startswith(VCS_PREFIXES):
        facts = wheel_facts(location)
        if facts is not None:
            return Reference(kind, location, facts[0], facts[1])
    elif kind is not ReferenceKind.VCS:
        kind = ReferenceKind.VCS
    return Reference(kind, location)


def url_reference(url: str) -> Reference:
    return file_reference(url, ReferenceKind.URL)


def exact(version: Optional[str], path: Optional[str], line: Optional[int]) -> SpecifierSet:
    """``==version`` (empty for None); a version that is not one is a QuotingError."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not version:
        return SpecifierSet()
    try:
        return SpecifierSet(f"=={version}")
    except InvalidSpecifier:
        raise QuotingError(f"version {shown(version)} is not a valid version", path, line) from None


def referenced(reference: Reference) -> SpecifierSet:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(f"=={reference.version}") if reference.version else SpecifierSet()


def make_pin(
    text: str,
    origin: Origin,
    names: Names = DDTRACE,
    extra_marker: Optional[Marker] = None,
) -> Optional[Pin]:
    """A PEP 508 requirement string into a Pin, or None when it names none of ``names``."""
    stripped = text.strip()
    path, line = origin.path, origin.line
    if not stripped:
        raise InputError("empty requirement", path, line)
    name = leading_name(stripped)
    if name is None:
        raise QuotingError(
            f"cannot read requirement {shown(stripped)}: no project name", path, line
        )
    if not wanted(name, names):
        return None
    plain = _plain_specifier(stripped, name)
    if plain is not None:
        return Pin(text=stripped, specifier=plain, origin=origin, name=name, marker=extra_marker)
    requirement = _requirement(stripped)
    if isinstance(requirement, str):
        raise QuotingError(requirement, path, line)
    if requirement.marker is not None:
        check_marker(requirement.marker, path, line)
    specifier = _unique(requirement.specifier)
    reference = None
    if requirement.url:
        reference = url_reference(requirement.url)
        specifier = referenced(reference)
    return Pin(
        text=stripped,
        specifier=specifier,
        origin=origin,
        name=requirement.name,
        marker=and_markers(requirement.marker, extra_marker),
        extras=frozenset(canonical(e) for e in requirement.extras),
        reference=reference,
        wheel_tags=reference.wheel_tags if reference else (),
    )


def _unique(specifier: SpecifierSet) -> SpecifierSet:
    """The same clauses, each once (judging costs a pass over the releases per clause)."""
    if len(specifier) < 8:
        return specifier
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(",".join(dict.fromkeys(str(s) for s in specifier)))


def _plain_specifier(text: str, name: str) -> Optional[SpecifierSet]:
    """``name==1.2`` or ``name>=1,<2``, with no extras, marker or URL, read without
    packaging's requirement parser: its import costs more than a whole build-hook check."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if any(c in text for c in ";@[("):
        return None
    rest = text[len(name) :].strip()
    if rest[:1] not in ("", "<", ">", "=", "!", "~"):
        return None
    try:
        return _unique(SpecifierSet(rest))
    except InvalidSpecifier:
        return None  # the full parser says what is wrong


# --- references written without a name (requirements files) --------------------------------


def is_named_reference(args: str) -> bool:
    """PEP 508 ``name [extras] @ url`` (read without a backtracking regex)."""
    rest = args.lstrip()
    found = _BARE_NAME.match(rest)
    if found is None:
        return False
    rest = rest[found.end() :].lstrip()
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            return False
        rest = rest[close + 1 :].lstrip()
    return rest.startswith("@")


def is_bare_reference(args: str) -> bool:
    """A URL or path without a PEP 508 name: ``./ddtrace-2.8.5.tar.gz``, ``git+https://…``."""
    if is_named_reference(args):
        return False
    head = args.split(";", 1)[0].strip()
    name = head.split("#", 1)[0]
    return (
        "://" in head
        or head.startswith((".", "/", "~"))
        or name.endswith(ARCHIVES)
        or head.startswith(VCS_PREFIXES)
    )


def reference_name(reference: str) -> Optional[str]:
    """The project a bare reference installs: ``#egg=``, a file name, a dd-trace-py checkout."""
    egg = _EGG.search(reference)
    if egg:
        return egg.group(1).split("[", 1)[0]
    last = reference.rstrip("/").rsplit("/", 1)[-1].split("#", 1)[0]
    for suffix in ARCHIVES:
        if last.endswith(suffix):
            return last.split("-", 1)[0]
    if canonical(last) in ("ddtrace", "dd-trace-py"):
        return "ddtrace"
    return None


def reference_pin(args: str, origin: Origin, names: Names = DDTRACE) -> Optional[Pin]:
    """A bare URL or path (``https://…/ddtrace-2.8.5-….whl``, ``./ddtrace-….tar.gz``)."""
    location, _, marker_text = args.partition(";")
    location = location.strip()
    name = reference_name(location)
    if name is None or not wanted(name, names):
        return None
    marker = (
        parse_marker(marker_text.strip(), origin.path, origin.line) if marker_text.strip() else None
    )
    remote = "://" in location or location.startswith(VCS_PREFIXES)
    reference = file_reference(location, ReferenceKind.URL if remote else ReferenceKind.PATH)
    return Pin(
        text=args.strip(),
        specifier=referenced(reference),
        origin=origin,
        name=name,
        marker=marker,
        reference=reference,
        wheel_tags=reference.wheel_tags,
    )


def editable_pin(location: str, origin: Origin, names: Names = DDTRACE) -> Optional[Pin]:
    """``-e LOCATION``: always unknown (its version is known once it is built)."""
    from packaging.specifiers import SpecifierSet

    name = reference_name(location)
    if name is None or not wanted(name, names):
        return None
    return Pin(
        text=f"-e {location}",
        specifier=SpecifierSet(),
        origin=origin,
        name=name,
        reference=Reference(ReferenceKind.EDITABLE, location),
    )
