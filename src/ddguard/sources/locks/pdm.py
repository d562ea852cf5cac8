"""pdm.lock: the locked entry, the markers of the requirement strings that require it,
its files, groups and Python range."""

from __future__ import annotations

import re
from typing import List, Optional

from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind, Scan
from ddguard.sources.interface import Reader
from ddguard.sources.locks.blocks import (
    Block,
    Edges,
    edge_markers,
    lock_scan,
    locked_pin,
    mentioned_blocks,
    metadata_string,
)
from ddguard.sources.names import DDTRACE, Names, wanted
from ddguard.sources.requirement import file_reference
from ddguard.sources.text import LOCK_LIMIT, read_text

_DEP_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def read_pdm_lock(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path, LOCK_LIMIT)
    blocks, _ = mentioned_blocks(text, path, "package", names)
    edges = Edges()
    for block in blocks:
        for dep in block.strings("dependencies"):
            found = _DEP_NAME.match(dep)
            if found and wanted(found.group(1), names):
                _, _, marker = dep.partition(";")
                edges.add(block.name, found.group(1), block.marker(marker.strip() or None, dep))
    pins: List[Pin] = []
    for block in blocks:
        name = block.name
        if not wanted(name, names):
            continue
        markers_of, requirers = edges.of(name)
        files = [
            block.item_text(f, "file", "files") or block.item_text(f, "url", "files") or ""
            for f in block.tables("files")
        ]
        own = block.text_field("marker")
        origin = Origin(
            OriginKind.LOCK,
            tool="pdm",
            requirers=tuple(requirers),
            direct=False if requirers else None,
            groups=tuple(block.strings("groups")),
        )
        pins.append(
            locked_pin(
                block,
                origin=origin,
                version=block.text_field("version"),
                markers=[own] if own is not None else edge_markers(markers_of),
                files=files,
                reference=_reference(block),
            )
        )
    return lock_scan(path, pins, metadata_string(text, path, "requires_python"))


def _reference(block: Block) -> Optional[Reference]:
    found = None
    for key, kind in (
        ("git", ReferenceKind.VCS),
        ("path", ReferenceKind.PATH),
        ("url", ReferenceKind.URL),
    ):
        location = block.text_field(key)
        if location is not None:
            reference = (
                file_reference(location, kind) if key == "url" else Reference(kind, location)
            )
            if reference.version is None:
                found = reference
    return found


class PdmLockReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_pdm_lock(path, names)


READER = PdmLockReader()
