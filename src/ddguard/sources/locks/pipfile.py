"""Pipfile.lock (JSON): each category's entry, its version, markers and references."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ddguard.errors import InputError
from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind, Scan
from ddguard.sources.interface import Reader
from ddguard.sources.locks.blocks import lock_scan
from ddguard.sources.names import DDTRACE, Names, wanted
from ddguard.sources.requirement import exact, parse_marker, url_reference
from ddguard.sources.text import LineIndex, QuotingError, describe, load_json, read_text, shown

_REFERENCES = (
    ("git", ReferenceKind.VCS),
    ("hg", ReferenceKind.VCS),
    ("svn", ReferenceKind.VCS),
    ("bzr", ReferenceKind.VCS),
    ("path", ReferenceKind.PATH),
    ("editable", ReferenceKind.EDITABLE),
)


def read_pipfile_lock(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path)
    doc = load_json(text, path)
    if not isinstance(doc, dict):
        raise InputError(f"Pipfile.lock must hold a JSON object, not {describe(doc)}", path, 1)
    index = LineIndex(text)
    pins: List[Pin] = []
    for category, table in doc.items():
        if category == "_meta":
            continue
        start = (index.find([f'"{category}"'], 0, claim=False) or 1) - 1
        if not isinstance(table, dict):
            raise QuotingError(
                f"{shown(category)} must be an object, not {describe(table)}", path, start + 1
            )
        for name, entry in table.items():
            if not wanted(name, names):
                continue
            line = index.find([f'"{name}"'], start) or start + 1
            if not isinstance(entry, dict):
                raise InputError(f"{name}: expected an object, not {describe(entry)}", path, line)
            pins.append(_pin(name, entry, category, path, line))
    return lock_scan(path, pins, _python(doc.get("_meta"), index, path))


def _python(meta: Any, index: LineIndex, path: str) -> Optional[str]:
    """``_meta.requires``: python_full_version, else python_version (as a range)."""
    requires = meta.get("requires") if isinstance(meta, dict) else None
    if (meta is not None and not isinstance(meta, dict)) or (
        requires is not None and not isinstance(requires, dict)
    ):
        line = index.find(['"requires"', '"_meta"'], 0, claim=False)
        raise InputError("_meta.requires must be an object", path, line)
    for key, suffix in (("python_full_version", ""), ("python_version", ".*")):
        value = (requires or {}).get(key)
        if value is not None:
            if not isinstance(value, str):
                line = index.find([f'"{key}"'], 0, claim=False)
                raise InputError(f"{key} must be a string, not {describe(value)}", path, line)
            return "==" + value + suffix
    return None


def _pin(name: str, entry: Dict[str, Any], category: str, path: str, line: int) -> Pin:
    def text(key: str) -> Optional[str]:
        value = entry.get(key)
        if value is None or isinstance(value, str):
            return value
        raise InputError(f"{name}: {key} must be a string, not {describe(value)}", path, line)

    version = text("version")
    if version is not None and not version.startswith("=="):
        raise QuotingError(f"{name}: version {shown(version)} is not ==VERSION", path, line)
    pinned = version[2:] if version else None
    reference: Optional[Reference] = None
    for key, kind in _REFERENCES:
        value = entry.get(key)
        if value:
            reference = Reference(kind, value if isinstance(value, str) else "")
    file = text("file")
    if file is not None:
        reference = url_reference(file)
        pinned = reference.version
    markers = text("markers")
    unknown = reference is not None and reference.version is None
    return Pin(
        text=f"{name}=={pinned}" if pinned else name,
        specifier=exact(None if unknown else pinned, path, line),
        origin=Origin(OriginKind.LOCK, path, line, tool="pipenv", groups=(category,)),
        name=name,
        marker=parse_marker(markers, path, line) if markers is not None else None,
        reference=reference,
        wheel_tags=reference.wheel_tags if reference else (),
    )


class PipfileLockReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_pipfile_lock(path, names)


READER = PipfileLockReader()
