"""Helpers shared by the project-file readers (``pins_*`` modules): text, TOML, names,
PEP 508 strings into :class:`~ddguard.pins.Pin`, and line numbers.

Line numbers: TOML and INI parsers do not report where a value was written, so each
reader first parses the file, then finds the entry's line with a cheap text search
(:class:`LineIndex`): from the line of the table header the value sits under, the first
line not already claimed that holds the value as written (else its key, else the word
``ddtrace``), falling back to the header line. Duplicates claim successive lines.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, AbstractSet, Any, Dict, List, Optional, Sequence, Set, Tuple

from ddguard.errors import InputError
from ddguard.installed import canonical as canonical  # re-exported for the readers

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    from ddguard.pins import Pin, PinKind

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


def read_text(path: str) -> str:
    """The file's text: UTF-8 with or without a BOM; CRLF is handled by ``splitlines``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", path, line) from None


def load_toml(text: str, path: str) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on the older interpreters under tox
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else None
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "invalid TOML"
        raise InputError(f"invalid TOML: {what}", path, line) from None


Names = AbstractSet[str]  # canonical names of the packages a scan looks for
DDTRACE: Names = frozenset({"ddtrace"})


def wanted(name: str, names: Names = DDTRACE) -> bool:
    """Whether ``name`` is one of the (canonical) ``names`` a scan looks for."""
    return canonical(name) in names


def mentions_any(text: str, names: Names) -> bool:
    """Cheap prefilter: could ``text`` name one of ``names``? (case- and separator-blind)"""
    lowered = text.lower().replace("_", "-").replace(".", "-")
    return any(name in lowered for name in names)


def leading_name(text: str) -> Optional[str]:
    found = _NAME.match(text)
    return found.group(1) if found else None


def marker_or_error(text: str, path: str, line: Optional[int]) -> Marker:
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(text)
    except InvalidMarker as exc:
        raise InputError(
            f"invalid environment marker {text!r}: {str(exc).splitlines()[0]}", path, line
        ) from None


def and_markers(*markers: Optional[Marker]) -> Optional[Marker]:
    present = [m for m in markers if m is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    from packaging.markers import Marker

    return Marker(" and ".join(f"({m})" for m in present))


def or_markers(texts: Sequence[str]) -> Optional[Marker]:
    if not texts:
        return None
    from packaging.markers import Marker

    return Marker(" or ".join(f"({t})" for t in texts)) if len(texts) > 1 else Marker(texts[0])


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


def url_pin_facts(url: str) -> Tuple[Optional[str], Tuple[str, ...], Optional[str]]:
    """(version, wheel tags, unknown reason) for a direct reference."""
    if url.startswith(_VCS_PREFIXES):
        return None, (), f"VCS reference {url}: its version is only known once it is built"
    facts = wheel_facts(url)
    if facts is None:
        return (
            None,
            (),
            (
                f"direct reference {url} names no wheel or sdist file: its version cannot be known "
                "without building it"
            ),
        )
    return facts[0], facts[1], None


def make_pin(
    text: str,
    source: str,
    *,
    kind: Optional[PinKind] = None,
    context: Optional[str] = None,
    extra_marker: Optional[Marker] = None,
    path: Optional[str] = None,
    line: Optional[int] = None,
    names: Names = DDTRACE,
) -> Optional[Pin]:
    """A PEP 508 requirement string into a Pin, or None when it names none of ``names``.

    Only strings that name one of them are parsed fully (packaging's parser is the slow part)."""
    stripped = text.strip()
    name = leading_name(stripped)
    if name is None:
        raise InputError(f"cannot read requirement {text!r}: no project name", path, line)
    if not wanted(name, names):
        return None
    from packaging.specifiers import SpecifierSet

    from ddguard.pins import Pin, PinKind

    plain = _plain_specifier(stripped, name)
    if plain is not None:
        return Pin(
            requirement=stripped,
            name=name,
            source=source,
            specifier=plain,
            marker=extra_marker,
            kind=kind or PinKind.DECLARED,
            context=context,
        )
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(stripped)
    except InvalidRequirement as exc:
        raise InputError(
            f"cannot read requirement {stripped!r}: {str(exc).splitlines()[0]}", path, line
        ) from None
    specifier = requirement.specifier
    tags: Tuple[str, ...] = ()
    unknown: Optional[str] = None
    if requirement.url:
        version, tags, unknown = url_pin_facts(requirement.url)
        specifier = SpecifierSet(f"=={version}") if version else SpecifierSet()
    return Pin(
        requirement=stripped,
        name=requirement.name,
        source=source,
        specifier=specifier,
        marker=and_markers(requirement.marker, extra_marker),
        kind=kind or PinKind.DECLARED,
        context=context,
        unknown_reason=unknown,
        wheel_tags=tags,
    )


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
        return SpecifierSet(rest)
    except InvalidSpecifier:
        return None  # the full parser says what is wrong


class LineIndex:
    """Find the line of a parsed entry by text search (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.lines: List[str] = text.splitlines()
        self.used: Set[int] = set()
        self._headers: Optional[Dict[str, int]] = None

    def header(self, *names: str) -> int:
        """0-based index of the first ``[name]``/``[[name]]`` header among ``names``, or -1."""
        if self._headers is None:
            found: Dict[str, int] = {}
            for number, raw in enumerate(self.lines):
                stripped = raw.strip()
                if stripped.startswith("["):
                    key = re.sub(r"\s|\"|'", "", stripped.split("#", 1)[0]).strip("[]")
                    found.setdefault(key.lower(), number)
            self._headers = found
        hits = [self._headers[n.lower()] for n in names if n.lower() in self._headers]
        return min(hits) if hits else -1

    def find(self, needles: Sequence[str], start: int = 0, *, claim: bool = True) -> Optional[int]:
        """1-based line of the first unclaimed line at or after ``start`` holding a needle."""
        for needle in needles:
            if not needle:
                continue
            for number in range(max(start, 0), len(self.lines)):
                if number not in self.used and needle in self.lines[number]:
                    if claim:
                        self.used.add(number)
                    return number + 1
        return None

    def find_key(self, key: str, start: int = 0) -> Optional[int]:
        pattern = re.compile(r"\s*[\"']?" + re.escape(key) + r"[\"']?\s*[=.]")
        for number in range(max(start, 0), len(self.lines)):
            if number not in self.used and pattern.match(self.lines[number]):
                self.used.add(number)
                return number + 1
        return None

    def entry(
        self,
        value: str,
        headers: Sequence[str],
        key: Optional[str] = None,
        name: str = "ddtrace",
    ) -> int:
        """Line of a string value written under one of ``headers`` (or a top-level table)."""
        start = self.header(*headers) if headers else 0
        line = self.find([value, value.replace('"', '\\"')], start)
        if line is None and key is not None:
            line = self.find_key(key, start)
        if line is None:
            needles = [name, name.lower(), name.upper()]
            line = self.find([*needles, "DDTrace"] if name == "ddtrace" else needles, start)
        if line is None:
            line = start + 1 if start >= 0 else 1
        return line
