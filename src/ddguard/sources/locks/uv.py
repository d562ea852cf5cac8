"""uv.lock: the locked entry, the edges that require it (markers, direct or transitive),
its wheels and source."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind, Scan
from ddguard.sources.interface import Reader
from ddguard.sources.locks.blocks import (
    Block,
    Edges,
    edge_markers,
    lock_scan,
    locked_pin,
    mentioned_blocks,
)
from ddguard.sources.names import DDTRACE, Names, wanted
from ddguard.sources.requirement import file_reference
from ddguard.sources.text import LOCK_LIMIT, load_toml, read_text

_SOURCE_KINDS = (
    ("git", ReferenceKind.VCS),
    ("editable", ReferenceKind.EDITABLE),
    ("directory", ReferenceKind.PATH),
    ("path", ReferenceKind.PATH),
    ("url", ReferenceKind.URL),
)


def read_uv_lock(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path, LOCK_LIMIT)
    blocks, head = mentioned_blocks(text, path, "package", names)
    header = load_toml(head, path) if head.strip() else {}
    edges = Edges()
    roots: List[str] = []
    for block in blocks:
        name = block.name
        source = block.table("source")
        if "virtual" in source or "editable" in source:
            roots.append(name)
        lists = [block.tables("dependencies")]
        for key in ("optional-dependencies", "dev-dependencies"):
            for group, deps in block.table(key).items():
                if not isinstance(deps, list) or not all(isinstance(d, dict) for d in deps):
                    raise block.wrong(f"{key} {group}", "an array of tables", deps)
                lists.append(deps)
        for deps in lists:
            for dep in deps:
                dependency = block.item_text(dep, "name", "dependencies")
                if dependency and wanted(dependency, names):
                    marker = block.item_text(dep, "marker", "dependencies")
                    edges.add(name, dependency, block.marker(marker, "dependencies"))
    pins: List[Pin] = []
    for block in blocks:
        name = block.name
        if not wanted(name, names):
            continue
        markers_of, requirers = edges.of(name)
        direct = [r for r in requirers if r in roots]
        origin = Origin(
            OriginKind.LOCK,
            tool="uv",
            requirers=tuple(direct or requirers),
            direct=bool(direct) if requirers else None,
        )
        files = [_file(block, wheel) for wheel in block.tables("wheels")]
        markers = block.strings("resolution-markers")
        pins.append(
            locked_pin(
                block,
                origin=origin,
                version=block.text_field("version"),
                markers=markers or edge_markers(markers_of),
                files=files,
                reference=_reference(block),
            )
        )
    python = header.get("requires-python")
    return lock_scan(path, pins, python)


def _file(block: Block, wheel: Dict[str, Any]) -> str:
    for key in ("url", "path", "filename"):
        value = block.item_text(wheel, key, "wheels")
        if value:
            return value
    return ""


def _reference(block: Block) -> Optional[Reference]:
    source = block.table("source")
    for key, kind in _SOURCE_KINDS:
        if key in source:
            location = block.item_text(source, key, "source") or ""
            if key in ("url", "path"):
                return file_reference(location, kind)
            return Reference(kind, location)
    return None


class UvLockReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_uv_lock(path, names)


READER = UvLockReader()
