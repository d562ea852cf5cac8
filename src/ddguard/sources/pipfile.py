"""Pipfile: ``[packages]``, ``[dev-packages]`` and custom categories, ``[requires]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ddguard.errors import InputError
from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind, Scan
from ddguard.sources.collector import Collector
from ddguard.sources.interface import Reader
from ddguard.sources.names import DDTRACE, Names, wanted
from ddguard.sources.poetry import inline
from ddguard.sources.requirement import and_markers, parse_marker, url_reference
from ddguard.sources.text import (
    DECLARATION_LIMIT,
    QuotingError,
    describe,
    load_toml,
    read_text,
    shown,
)

if TYPE_CHECKING:
    from packaging.markers import Marker

_NOT_CATEGORIES = ("source", "requires", "scripts", "pipenv")
_MARKER_KEYS = (
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_system",
    "python_version",
    "python_full_version",
    "implementation_name",
)


def read_pipfile(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path, DECLARATION_LIMIT)
    doc = load_toml(text, path)
    c = Collector(path, text, names)
    requires = c.table(doc, "requires", "")
    for key, prefix, suffix in (("python_full_version", "==", ""), ("python_version", "==", ".*")):
        value = requires.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise c.wrong(f"[requires] {key} must be a string", value, key, ["requires"])
            c.set_python(prefix + value + suffix, ["requires"], key)
            break
    for category, table in doc.items():
        if category in _NOT_CATEGORIES:
            continue
        if not isinstance(table, dict):
            line = c.key_line(category, [])
            raise InputError(f"[{category}] must be a table, not {describe(table)}", path, line)
        origin = (
            Origin(OriginKind.DEPENDENCY, tool="pipenv")
            if category == "packages"
            else Origin(OriginKind.GROUP, name=category, tool="pipenv")
        )
        for key, value in table.items():
            if not wanted(key, c.names):
                continue
            line = c.index.find_key(key, c.index.header(category)) or 1
            c.pins.append(pipfile_pin(key, value, origin._replace(path=path, line=line)))
    return c.scan()


def pipfile_pin(key: str, value: Any, origin: Origin) -> Pin:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    path, line = origin.path, origin.line
    if not isinstance(value, (str, dict)):
        raise InputError(
            f"{key}: expected a version string or a table, not {describe(value)}", path, line
        )
    table: Dict[str, Any] = value if isinstance(value, dict) else {"version": value}

    def text(field: str) -> Optional[str]:
        found = table.get(field)
        if found is None or isinstance(found, str):
            return found
        raise InputError(f"{key}: {field} must be a string, not {describe(found)}", path, line)

    markers: List[Optional[Marker]] = []
    written = text("markers")
    if written is not None:
        markers.append(parse_marker(written, path, line))
    for name in _MARKER_KEYS:
        condition = text(name)
        if condition is not None:
            markers.append(parse_marker(f"{name} {condition}", path, line))
    version = text("version") or "*"
    spec_text = "" if version == "*" else version
    reference: Optional[Reference] = None
    for vcs in ("git", "hg", "svn", "bzr"):
        location = text(vcs)
        if location is not None:
            reference = Reference(ReferenceKind.VCS, location)
    file = text("file")
    if file is not None:
        reference = url_reference(file)
        spec_text = f"=={reference.version}" if reference.version else ""
    local = text("path")
    if local is not None:
        reference = Reference(ReferenceKind.PATH, local)
    if table.get("editable"):
        where = reference.location if reference is not None else ""
        reference = Reference(ReferenceKind.EDITABLE, where)
    try:
        specifier = SpecifierSet(spec_text)
    except InvalidSpecifier:
        raise QuotingError(f"{key}: cannot read version {shown(version)}", path, line) from None
    return Pin(
        text=f"{key} = {inline(value)}",
        specifier=specifier,
        origin=origin,
        name=key,
        marker=and_markers(*markers),
        reference=reference,
        wheel_tags=reference.wheel_tags if reference else (),
    )


class PipfileReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_pipfile(path, names)


READER = PipfileReader()
