"""What the TOML lock readers share: reading a lock by block, typed access to a block's
fields, the edges that require a package, and the locked Pin.

Big TOML locks are read by block, not parsed whole: literal searches (run in C) find the
``[[package]]`` headers and the places that mention ddtrace, and only the blocks holding
those mentions are parsed (tomllib on a 5,000-package lock takes most of a second; this
takes milliseconds). Files under 256 KiB are also parsed whole, so malformed small locks
are refused. Headers must be written as lockers write them (``[[package]]`` at the start
of a line): any other spelling would hide entries from the block search, so it is refused.
"""

from __future__ import annotations

import bisect
import re
from array import array as offsets
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ddguard.errors import InputError
from ddguard.model import Origin, OriginKind, Pin, Reference, Scan
from ddguard.sources.names import DDTRACE, Names, canonical
from ddguard.sources.requirement import exact, or_markers, parse_marker, wheel_facts
from ddguard.sources.text import QuotingError, describe, load_toml, shown

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

_WHOLE_PARSE_LIMIT = 256 * 1024
_CHUNK = 1 << 20


class Block:
    """One ``[[array]]`` entry: its text, the line of its header, its parsed table."""

    def __init__(self, path: str, text: str, line: int, data: Dict[str, Any]) -> None:
        self.path = path
        self.text = text
        self.line = line  # 1-based line of the block header
        self.data = data

    def line_of(self, needle: str) -> int:
        at = self.text.find(needle)
        return self.line if at < 0 else self.line + self.text.count("\n", 0, at)

    def wrong(self, key: str, what: str, value: Any) -> InputError:
        return QuotingError(
            f"{key} must be {what}, not {describe(value)}", self.path, self.line_of(f"{key} =")
        )

    def text_field(self, key: str) -> Optional[str]:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.wrong(key, "a string", value)

    def table(self, key: str) -> Dict[str, Any]:
        value = self.data.get(key)
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        raise self.wrong(key, "a table", value)

    def array(self, key: str) -> List[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        raise self.wrong(key, "an array", value)

    def tables(self, key: str) -> List[Dict[str, Any]]:
        found = self.array(key)
        for value in found:
            if not isinstance(value, dict):
                raise self.wrong(f"{key} entries", "tables", value)
        return found

    def strings(self, key: str) -> List[str]:
        found = self.array(key)
        for value in found:
            if not isinstance(value, str):
                raise self.wrong(f"{key} entries", "strings", value)
        return found

    def item_text(self, item: Dict[str, Any], key: str, where: str) -> Optional[str]:
        value = item.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.wrong(f"{where} {key}", "a string", value)

    def marker(self, text: Optional[str], near: str) -> Optional[str]:
        """An edge's marker, checked on the line that writes it (``near`` when the marker
        is not written as parsed)."""
        if text is not None:
            line = self.line_of(text) if text in self.text else self.line_of(near)
            parse_marker(text, self.path, line)
        return text

    @property
    def name(self) -> str:
        name = self.text_field("name")
        if not name:
            raise InputError("a locked package has no name", self.path, self.line)
        return name


def _headers(text: str, path: str, array: str) -> Tuple[Sequence[int], Sequence[int]]:
    """Offsets of the ``[[array]]`` headers and of the other top-level table headers.

    Two literal-prefix searches in C. A header that spells the array otherwise (indented,
    spaced, quoted, or ``[array]`` as a table) would hide entries from the block search,
    so it is refused; the second search finds those among the few non-array lines that
    start with ``[`` (or whitespace then ``[``)."""
    name = re.escape(array)
    starts = offsets("q", [0] if text.startswith(f"[[{array}]]") else [])  # 8 bytes an entry
    starts.extend(m.start() + 1 for m in re.finditer(r"\n\[\[" + name + r"\]\]", text))
    others = offsets("q")
    odd = re.compile(r"\n(?:[ \t]+\[|\[(?!\[" + name + r"\]\]|\[" + name + r"\.|" + name + r"\.))")
    first = [0] if odd.match("\n" + text[:256]) else []
    for at in first + [m.start() + 1 for m in odd.finditer(text)]:
        end = text.find("\n", at)
        header = re.sub(r"[\s\"']", "", text[at : end if end >= 0 else len(text)])
        if header.lstrip("[").startswith((array + "]", array + ".")):
            line = text.count("\n", 0, at) + 1
            if header.startswith(f"[{array}]"):
                raise InputError(
                    f"{array} must be an array of tables ([[{array}]]), not a table", path, line
                )
            raise InputError(
                f"[[{array}]] headers must be written at the start of a line, as lockers "
                "write them (ddguard finds entries by their headers)",
                path,
                line,
            )
        if text[at] == "[":
            others.append(at)  # another table: it ends the entry before it
    return starts, others


def mentioned_blocks(
    text: str, path: str, array: str, names: Names = DDTRACE
) -> Tuple[List[Block], str]:
    """The ``[[array]]`` blocks that mention ddtrace (when in ``names``) or are named one of
    ``names`` (parsed), and the text before the first."""
    whole = load_toml(text, path) if len(text) < _WHOLE_PARSE_LIMIT else None
    starts, others = _headers(text, path, array)
    if whole is not None:
        entries = whole.get(array)
        count = len(entries) if isinstance(entries, list) else 0
        if count != len(starts) or (entries is not None and not isinstance(entries, list)):
            key = re.search(r"(?:^|\n)[ \t]*" + re.escape(array) + r"[ \t]*=", text)
            line = text.count("\n", 0, key.start()) + 1 + key.group().startswith("\n") if key else 1
            what = "an inline array" if isinstance(entries, list) else describe(entries)
            raise InputError(
                f"{array} must be written as [[{array}]] tables, not as {what}", path, line
            )

    def end_of(at: int) -> int:
        end = starts[at + 1] if at + 1 < len(starts) else len(text)
        other = bisect.bisect_right(others, starts[at])
        return others[other] if other < len(others) and others[other] < end else end

    head = text[: starts[0]] if starts else text
    positions: Iterable[int] = _mentions(text) if "ddtrace" in names else ()
    if names != DDTRACE:
        import heapq

        positions = heapq.merge(positions, _named(text, array, names))
    chosen: List[Tuple[int, int]] = []  # (entry, its end): each once, in order
    for position in positions:
        at = bisect.bisect_right(starts, position) - 1
        if at < 0 or (chosen and chosen[-1][0] == at):
            continue
        end = end_of(at)
        if position < end:
            chosen.append((at, end))
    blocks = []
    line, counted = 1, 0
    for at, end in chosen:
        line += text.count("\n", counted, starts[at])
        counted = starts[at]
        body = text[starts[at] : end]
        entries = load_toml(body, path, first_line=line).get(array)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            blocks.append(Block(path, body, line, entries[0]))
    return blocks, head


def _mentions(text: str) -> Iterator[int]:
    """Offsets of "ddtrace" in any case, in order: a literal search of lowered 1 MiB chunks
    (a case-blind regex is three times slower; lowering the whole text would copy it)."""
    for base in range(0, len(text), _CHUNK):
        chunk = text[base : base + _CHUNK + 6]
        lowered = chunk.lower()
        if len(lowered) != len(chunk):
            hits: Iterable[int] = (m.start() for m in re.finditer("ddtrace", chunk, re.I))
        else:
            hits = _finds(lowered, "ddtrace")
        yield from (base + h for h in hits if h < _CHUNK)


def _finds(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + len(needle))


def _named(text: str, array: str, names: Names) -> List[int]:
    """Offsets of the ``name = "X"`` first lines of ``[[array]]`` blocks whose X is one of
    ``names``: lockers write the name first. One regex pass with a literal prefix; a
    search per name would cost ~4 ms each on a 5 MB lock."""
    pattern = re.compile(
        r"\[\[" + re.escape(array) + r"\]\][ \t]*\r?\nname[ \t]*=[ \t]*[\"']([^\"'\n]+)"
    )
    return [m.start(1) for m in pattern.finditer(text) if canonical(m.group(1)) in names]


def section(text: str, name: str) -> Optional[str]:
    """The text of a top-level ``[name]`` table (``[metadata]``), up to the next header
    (literal searches: a multi-line regex would test every position of a big lock)."""
    header = f"[{name}]"
    at = 0 if text.startswith(header) else text.find("\n" + header) + 1
    while at > 0 or text.startswith(header):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if not text[at + len(header) : end].strip():
            following = text.find("\n[", end)
            return text[at : following if following >= 0 else len(text)]
        at = text.find("\n" + header, end) + 1
        if at == 0:
            break
    return None


def metadata_string(text: str, path: str, key: str) -> Optional[str]:
    """``key`` of the lock's top-level ``[metadata]`` table (its Python range, as the locker
    wrote it); None when absent, QuotingError naming the line when it is not a string."""
    body = section(text, "metadata")
    if body is None:
        return None
    line = text.count("\n", 0, text.find(body)) + 1
    metadata = load_toml(body, path, first_line=line).get("metadata", {})
    value = metadata.get(key) if isinstance(metadata, dict) else None
    if value is not None and not isinstance(value, str):
        raise QuotingError(f"{key} must be a string, not {describe(value)}", path, line)
    return value


def tags(files: Sequence[str]) -> Tuple[str, ...]:
    found: List[str] = []
    for name in files:
        facts = wheel_facts(name)
        if facts:
            found.extend(t for t in facts[1] if t not in found)
    return tuple(found)


class Edges:
    """Who requires each wanted package, and under which markers (None: unconditionally).

    Complete for ddtrace only (every block that mentions it is parsed); packages wanted by
    other ``names`` are found by their own entry, so only its own markers apply to them."""

    def __init__(self) -> None:
        self.markers: Dict[str, List[Optional[str]]] = {}
        self.requirers: Dict[str, List[str]] = {}

    def add(self, requirer: str, dependency: str, marker: Optional[str]) -> None:
        key = canonical(dependency)
        if key == canonical(requirer):
            return
        self.markers.setdefault(key, []).append(marker)
        found = self.requirers.setdefault(key, [])
        if requirer not in found:
            found.append(requirer)

    def of(self, name: str) -> Tuple[List[Optional[str]], List[str]]:
        key = canonical(name)
        if key != "ddtrace":
            return [], []
        return self.markers.get(key, []), self.requirers.get(key, [])


def edge_markers(edges: Sequence[Optional[str]]) -> List[str]:
    """Markers under which ddtrace is required: empty when any edge is unconditional."""
    if not edges or any(m is None for m in edges):
        return []
    return list(dict.fromkeys(m for m in edges if m))


def locked_pin(
    block: Block,
    *,
    origin: Origin,
    version: Optional[str],
    markers: Sequence[str],
    files: Sequence[str],
    reference: Optional[Reference] = None,
) -> Pin:
    """The Pin of a locked entry: ``==version`` unless it was built from a reference."""
    from packaging.specifiers import SpecifierSet

    line = block.line_of("name = ")
    name = block.name
    specifier = exact(version, block.path, line)
    if reference is not None and reference.version is None:
        specifier = SpecifierSet()
    return Pin(
        text=f"{name}=={version}" if version else name,
        specifier=specifier,
        origin=origin._replace(kind=OriginKind.LOCK, path=block.path, line=line),
        name=name,
        marker=or_markers(markers, block.path, line),
        reference=reference,
        wheel_tags=tags(files),
    )


def lock_scan(path: str, pins: List[Pin], python: Any) -> Scan:
    """A lock's Scan; its Python range when it records a readable one."""
    python_range: Optional[SpecifierSet] = None
    if isinstance(python, str) and python:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            python_range = SpecifierSet(python)
        except InvalidSpecifier:
            raise QuotingError(
                f"requires-python {shown(python)} is not a valid version range", path
            ) from None
    return Scan(
        tuple(pins), (), python_range, python if python_range is not None else None, (path,)
    )
