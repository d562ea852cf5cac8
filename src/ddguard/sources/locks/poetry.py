"""poetry.lock: the locked entry, the markers of the edges that require it, its files
(``files`` of the entry, or Poetry 1.1's ``[metadata.files]``), groups and Python range."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind, Scan
from ddguard.sources.interface import Reader
from ddguard.sources.locks.blocks import (
    Edges,
    edge_markers,
    lock_scan,
    locked_pin,
    mentioned_blocks,
    metadata_string,
    section,
)
from ddguard.sources.names import DDTRACE, Names, wanted
from ddguard.sources.poetry import poetry_specifier
from ddguard.sources.text import LOCK_LIMIT, read_text


def read_poetry_lock(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path, LOCK_LIMIT)
    blocks, _ = mentioned_blocks(text, path, "package", names)
    edges = Edges()
    for block in blocks:
        for key, value in block.table("dependencies").items():
            if not wanted(key, names):
                continue
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, (str, dict)):
                    raise block.wrong(f"dependencies {key}", "a string or a table", item)
                marker = block.item_text(item, "markers", key) if isinstance(item, dict) else None
                edges.add(block.name, key, block.marker(marker, key))
    pins: List[Pin] = []
    for block in blocks:
        name = block.name
        if not wanted(name, names):
            continue
        markers_of, requirers = edges.of(name)
        files = [block.item_text(f, "file", "files") or "" for f in block.tables("files")]
        if not files:
            files = _metadata_files(text, name)
        own = block.data.get("markers")
        markers: List[str] = []
        if isinstance(own, str):
            markers = [own]
        elif isinstance(own, dict):
            markers = [m for m in own.values() if isinstance(m, str)]
            if len(markers) < len(own):
                markers = []
        elif own is not None:
            raise block.wrong("markers", "a string or a table", own)
        groups = block.strings("groups")
        if not groups and block.data.get("category") is not None:
            groups = [block.text_field("category") or ""]
        origin = Origin(
            OriginKind.LOCK,
            tool="poetry",
            requirers=tuple(requirers),
            direct=False if requirers else None,
            groups=tuple(groups),
        )
        pins.append(
            locked_pin(
                block,
                origin=origin,
                version=block.text_field("version"),
                markers=markers or edge_markers(markers_of),
                files=files,
                reference=_reference(block.table("source")),
            )
        )
    return lock_scan(path, pins, _python(text, path))


def _reference(source: Dict[str, Any]) -> Optional[Reference]:
    kind = source.get("type")
    if kind not in ("git", "directory"):
        return None
    url = source.get("url")
    return Reference(
        ReferenceKind.VCS if kind == "git" else ReferenceKind.PATH,
        url if isinstance(url, str) else "",
    )


def _python(text: str, path: str) -> Optional[str]:
    value = metadata_string(text, path, "python-versions")
    if value is None:
        return None
    try:
        return poetry_specifier(value) or None
    except ValueError:
        return None  # a union (or a range Poetry alone reads): no single range


def _metadata_files(text: str, name: str = "ddtrace") -> List[str]:
    """Poetry 1.1 locks keep file names under ``[metadata.files]``."""
    body = section(text, "metadata.files")
    if body is None:
        return []
    key = re.compile(r"^[\"']?" + re.escape(name) + r"[\"']?[ \t]*=[ \t]*\[", re.M)
    found = key.search(body)
    if not found:
        return []
    end = body.find("\n]", found.end())
    listed = body[found.end() : end if end >= 0 else len(body)]
    return re.findall(r'file = "([^"]+)"', listed)


class PoetryLockReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_poetry_lock(path, names)


READER = PoetryLockReader()
