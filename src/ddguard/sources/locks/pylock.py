"""pylock.toml (PEP 751): the locked entry, its marker, wheels and Python range."""

from __future__ import annotations

from typing import List, Optional

from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind, Scan
from ddguard.sources.interface import Reader
from ddguard.sources.locks.blocks import Block, lock_scan, locked_pin, mentioned_blocks
from ddguard.sources.names import DDTRACE, Names, wanted
from ddguard.sources.text import LOCK_LIMIT, load_toml, read_text

_KINDS = (
    ("vcs", ReferenceKind.VCS),
    ("directory", ReferenceKind.PATH),
    ("archive", ReferenceKind.URL),
)


def read_pylock(path: str, names: Names = DDTRACE) -> Scan:
    text = read_text(path, LOCK_LIMIT)
    blocks, head = mentioned_blocks(text, path, "packages", names)
    header = load_toml(head, path) if head.strip() else {}
    pins: List[Pin] = []
    for block in blocks:
        if not wanted(block.name, names):
            continue
        files = []
        for wheel in block.tables("wheels"):
            for key in ("name", "url", "path"):
                value = block.item_text(wheel, key, "wheels")
                if value:
                    files.append(value)
                    break
        version = block.text_field("version")
        marker = block.text_field("marker")
        pins.append(
            locked_pin(
                block,
                origin=Origin(OriginKind.LOCK, tool="pylock"),
                version=version,
                markers=[marker] if marker is not None else [],
                files=files,
                reference=None if version else _reference(block),
            )
        )
    return lock_scan(path, pins, header.get("requires-python"))


def _reference(block: Block) -> Optional[Reference]:
    found = None
    for key, kind in _KINDS:
        table = block.data.get(key)
        if isinstance(table, dict):
            where = block.item_text(table, "url", key) or block.item_text(table, "path", key)
            found = Reference(kind, where or "")
        elif table is not None:
            raise block.wrong(key, "a table", table)
    return found


class PylockReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_pylock(path, names)


READER = PylockReader()
