"""Lock files: uv.lock, poetry.lock, pdm.lock, pylock.toml (PEP 751) and Pipfile.lock.

Big TOML locks are read by block, not parsed whole: a regular-expression pass finds the
table headers and the places that mention ddtrace, and only the ``[[package]]`` blocks
holding those mentions are parsed (tomllib on a 5,000-package lock takes most of a second;
this takes milliseconds). Files under 256 KiB are also parsed whole, so malformed small
locks are refused. The locked ddtrace entry gives the version, the markers under which
it is installed (the entry's own markers, else those on every edge that requires it) and
the wheel file names the lock records; the blocks that require it say whether it is a
direct or a transitive dependency.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ddguard.errors import InputError
from ddguard.pins_common import (
    DDTRACE,
    LineIndex,
    Names,
    canonical,
    load_toml,
    marker_or_error,
    or_markers,
    read_text,
    url_pin_facts,
    wanted,
    wheel_facts,
)

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from ddguard.pins import Pin, ProjectScan

_HEADER = re.compile(r"\n\[[^\n]*")  # headers at column 0, as lockers write them
_DEP_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_WHOLE_PARSE_LIMIT = 256 * 1024


class Block:
    def __init__(self, text: str, line: int, data: Dict[str, Any]) -> None:
        self.text = text
        self.line = line  # 1-based line of the block header
        self.data = data

    def line_of(self, needle: str) -> int:
        at = self.text.find(needle)
        return self.line if at < 0 else self.line + self.text.count("\n", 0, at)


def mentioned_blocks(
    text: str, path: str, array: str, names: Names = DDTRACE
) -> Tuple[List[Block], str]:
    """The ``[[array]]`` blocks that mention ddtrace (when in ``names``) or are named one of
    ``names`` (parsed), and the text before the first."""
    if len(text) < _WHOLE_PARSE_LIMIT:
        load_toml(text, path)
    # Literal-prefix searches run in C; only the few non-array headers are looked at here.
    framed = "\n" + text
    starts = [m.start() for m in re.finditer(re.escape(f"\n[[{array}]]"), framed)]
    others = [m.start() for m in re.finditer(r"\n\[(?!\[?" + re.escape(array) + r"[.\]])", framed)]
    ends = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(text)
        at = bisect.bisect_right(others, start)
        if at < len(others) and others[at] < end:
            end = others[at]
        ends.append(end)
    head = text[: starts[0]] if starts else text
    chosen: List[int] = []
    positions = _mentions(text) if "ddtrace" in names else []
    if names != DDTRACE:
        positions = sorted(positions + _named(framed, array, names))
    for position in positions:
        at = bisect.bisect_right(starts, position) - 1
        if at >= 0 and position < ends[at] and (not chosen or chosen[-1] != at):
            chosen.append(at)
    blocks = []
    for at in sorted(set(chosen)):
        body = text[starts[at] : ends[at]]
        line = text.count("\n", 0, starts[at]) + 1
        try:
            doc = load_toml(body, path)
        except InputError as exc:
            raise InputError(exc.message, path, (exc.line or 1) + line - 1) from None
        entries = doc.get(array)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            blocks.append(Block(body, line, entries[0]))
    return blocks, head


def _mentions(text: str) -> List[int]:
    """Offsets of "ddtrace" in any case (a literal search: much faster than a regex)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return [m.start() for m in re.finditer("ddtrace", text, re.I)]
    found = []
    at = lowered.find("ddtrace")
    while at >= 0:
        found.append(at)
        at = lowered.find("ddtrace", at + 7)
    return found


def _named(framed: str, array: str, names: Names) -> List[int]:
    """Offsets (in the unframed text) of the ``name = "X"`` first lines of ``[[array]]``
    blocks whose X is one of ``names``: lockers write the name first. One regex pass with a
    literal prefix; a search per name would cost ~4 ms each on a 5 MB lock."""
    pattern = re.compile(
        r"\n\[\[" + re.escape(array) + r"\]\][ \t]*\r?\nname[ \t]*=[ \t]*[\"']([^\"'\n]+)"
    )
    return [m.start(1) - 1 for m in pattern.finditer(framed) if canonical(m.group(1)) in names]


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _spec(version: Any) -> SpecifierSet:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(f"=={version}") if isinstance(version, str) and version else SpecifierSet()


def _tags(names: Sequence[str]) -> Tuple[str, ...]:
    found: List[str] = []
    for name in names:
        facts = wheel_facts(name)
        if facts:
            found.extend(t for t in facts[1] if t not in found)
    return tuple(found)


def _locked_pin(
    path: str,
    block: Block,
    *,
    version: Any,
    markers: Sequence[str],
    files: Sequence[str],
    context: str,
    unknown: Optional[str] = None,
    name: str = "ddtrace",
) -> Pin:
    from ddguard.pins import Pin, PinKind

    line = block.line_of("name = ")
    marker = None
    if markers:
        try:
            marker = or_markers(markers)
        except Exception:
            marker = marker_or_error(" or ".join(markers), path, line)
    written = f"{name}=={version}" if isinstance(version, str) and version else name
    return Pin(
        requirement=written,
        source=f"{path}:{line}",
        specifier=_spec(version) if unknown is None else _spec(None),
        marker=marker,
        kind=PinKind.LOCKED,
        context=context,
        unknown_reason=unknown,
        wheel_tags=_tags(files),
        name=name,
    )


def _who(requirers: Sequence[str], roots: Sequence[str]) -> str:
    if not requirers:
        return "locked"
    direct = [r for r in requirers if r in roots]
    if direct:
        return "locked, direct dependency of " + ", ".join(direct)
    return "locked, transitive (required by " + ", ".join(requirers) + ")"


def _name(block: Block) -> str:
    return str(block.data.get("name", ""))


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


def _edge_markers(edges: Sequence[Optional[str]]) -> List[str]:
    """Markers under which ddtrace is required: empty when any edge is unconditional."""
    if not edges or any(m is None for m in edges):
        return []
    return list(dict.fromkeys(m for m in edges if m))


def _scan(
    path: str, pins: List[Pin], python: Optional[str], notes: Sequence[str] = ()
) -> ProjectScan:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ddguard.pins import ProjectScan

    python_range = None
    if python:
        try:
            python_range = SpecifierSet(python)
        except InvalidSpecifier:
            python_range = None
    return ProjectScan(tuple(pins), tuple(notes), python_range, (path,))


# --- uv.lock -------------------------------------------------------------------------


def read_uv_lock(path: str, names: Names = DDTRACE) -> ProjectScan:
    text = read_text(path)
    blocks, head = mentioned_blocks(text, path, "package", names)
    header = load_toml(head, path) if head.strip() else {}
    ours = [b for b in blocks if wanted(_name(b), names)]
    edges = Edges()
    roots: List[str] = []
    for block in blocks:
        data = block.data
        name = str(data.get("name", "?"))
        source = _dict(data.get("source"))
        if source and ("virtual" in source or "editable" in source):
            roots.append(name)
        groups: List[Any] = [data.get("dependencies") or []]
        for key in ("optional-dependencies", "dev-dependencies"):
            table = data.get(key)
            if isinstance(table, dict):
                groups.extend(table.values())
        for group in groups:
            for dep in group if isinstance(group, list) else []:
                if isinstance(dep, dict) and wanted(str(dep.get("name", "")), names):
                    marker = dep.get("marker")
                    edges.add(name, str(dep["name"]), marker if isinstance(marker, str) else None)
    pins = []
    for block in ours:
        data = block.data
        markers_of, requirers = edges.of(_name(block))
        source = _dict(data.get("source"))
        unknown = None
        for kind in ("git", "editable", "directory", "path", "url"):
            if kind in source:
                location = str(source[kind])
                if kind in ("url", "path") and wheel_facts(location):
                    break
                unknown = (
                    f"locked from {kind} {location}: its version is only known once it is built"
                )
                break
        files = [
            str(w.get("url") or w.get("path") or w.get("filename") or "")
            for w in data.get("wheels") or []
            if isinstance(w, dict)
        ]
        markers = [m for m in data.get("resolution-markers") or [] if isinstance(m, str)]
        pins.append(
            _locked_pin(
                path,
                block,
                version=data.get("version"),
                markers=markers or _edge_markers(markers_of),
                files=files,
                context=_who(requirers, roots),
                unknown=unknown,
                name=_name(block),
            )
        )
    return _scan(path, pins, header.get("requires-python"))


# --- poetry.lock ---------------------------------------------------------------------


def read_poetry_lock(path: str, names: Names = DDTRACE) -> ProjectScan:
    text = read_text(path)
    blocks, _ = mentioned_blocks(text, path, "package", names)
    ours = [b for b in blocks if wanted(_name(b), names)]
    edges = Edges()
    for block in blocks:
        for key, value in _dict(block.data.get("dependencies")).items():
            if not wanted(key, names):
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                marker = item.get("markers") if isinstance(item, dict) else None
                edges.add(
                    str(block.data.get("name", "?")),
                    key,
                    marker if isinstance(marker, str) else None,
                )
    python = _poetry_python(text, path)
    pins = []
    for block in ours:
        data = block.data
        markers_of, requirers = edges.of(_name(block))
        files = [str(f.get("file", "")) for f in data.get("files") or [] if isinstance(f, dict)]
        if not files:
            files = _poetry_metadata_files(text, _name(block))
        own = data.get("markers")
        markers: List[str] = []
        if isinstance(own, str):
            markers = [own]
        elif isinstance(own, dict):
            markers = [m for m in own.values() if isinstance(m, str)]
            if len(markers) < len(own):
                markers = []
        source = _dict(data.get("source"))
        unknown = None
        if source.get("type") in ("git", "directory"):
            unknown = (
                f"locked from {source.get('type')} {source.get('url')}: its version is only "
                "known once it is built"
            )
        groups = data.get("groups") or ([data["category"]] if "category" in data else [])
        context = _who(requirers, [])
        if groups:
            context += "; groups " + ", ".join(str(g) for g in groups)
        pins.append(
            _locked_pin(
                path,
                block,
                version=data.get("version"),
                markers=markers or _edge_markers(markers_of),
                files=files,
                context=context,
                unknown=unknown,
                name=_name(block),
            )
        )
    return _scan(path, pins, python)


def _section(text: str, name: str) -> Optional[str]:
    found = re.search(r"^\[" + re.escape(name) + r"\][ \t]*$", text, re.M)
    if not found:
        return None
    end = _HEADER.search(text, found.end())
    return text[found.start() : end.start() if end else len(text)]


def _poetry_python(text: str, path: str) -> Optional[str]:
    body = _section(text, "metadata")
    if body is None:
        return None
    value = load_toml(body, path).get("metadata", {}).get("python-versions")
    if not isinstance(value, str):
        return None
    from ddguard.pins_pyproject import poetry_specifier

    try:
        return poetry_specifier(value)
    except ValueError:
        return None


def _poetry_metadata_files(text: str, name: str = "ddtrace") -> List[str]:
    """Poetry 1.1 locks keep file names under ``[metadata.files]``."""
    body = _section(text, "metadata.files")
    if body is None:
        return []
    key = r'["\']?' + re.escape(name) + r'["\']?'
    found = re.search(r"^" + key + r"\s*=\s*\[(.*?)^\]", body, re.M | re.S)
    return re.findall(r'file = "([^"]+)"', found.group(1)) if found else []


# --- pdm.lock ------------------------------------------------------------------------


def read_pdm_lock(path: str, names: Names = DDTRACE) -> ProjectScan:
    text = read_text(path)
    blocks, _ = mentioned_blocks(text, path, "package", names)
    ours = [b for b in blocks if wanted(_name(b), names)]
    edges = Edges()
    for block in blocks:
        for dep in block.data.get("dependencies") or []:
            name = _DEP_NAME.match(dep) if isinstance(dep, str) else None
            if name and wanted(name.group(1), names):
                _, _, marker = str(dep).partition(";")
                edges.add(str(block.data.get("name", "?")), name.group(1), marker.strip() or None)
    metadata = _section(text, "metadata")
    python = None
    if metadata is not None:
        value = load_toml(metadata, path).get("metadata", {}).get("requires_python")
        python = value if isinstance(value, str) else None
    pins = []
    for block in ours:
        data = block.data
        markers_of, requirers = edges.of(_name(block))
        files = [
            str(f.get("file") or f.get("url") or "")
            for f in data.get("files") or []
            if isinstance(f, dict)
        ]
        unknown = None
        for kind in ("git", "path", "url"):
            if kind in data and not (kind == "url" and wheel_facts(str(data[kind]))):
                unknown = (
                    f"locked from {kind} {data[kind]}: its version is only known once it is built"
                )
        own_marker = data.get("marker")
        context = _who(requirers, [])
        if data.get("groups"):
            context += "; groups " + ", ".join(str(g) for g in data["groups"])
        pins.append(
            _locked_pin(
                path,
                block,
                version=data.get("version"),
                markers=[own_marker] if isinstance(own_marker, str) else _edge_markers(markers_of),
                files=files,
                context=context,
                unknown=unknown,
                name=_name(block),
            )
        )
    return _scan(path, pins, python)


# --- pylock.toml (PEP 751) -----------------------------------------------------------


def read_pylock(path: str, names: Names = DDTRACE) -> ProjectScan:
    text = read_text(path)
    blocks, head = mentioned_blocks(text, path, "packages", names)
    header = load_toml(head, path) if head.strip() else {}
    pins = []
    for block in blocks:
        data = block.data
        if not wanted(_name(block), names):
            continue
        files: List[str] = []
        for wheel in data.get("wheels") or []:
            if isinstance(wheel, dict):
                files.append(str(wheel.get("name") or wheel.get("url") or wheel.get("path") or ""))
        unknown = None
        version = data.get("version")
        for kind in ("vcs", "directory", "archive"):
            if isinstance(data.get(kind), dict) and not version:
                where = data[kind].get("url") or data[kind].get("path")
                unknown = f"locked from {kind} {where}: its version is only known once it is built"
        marker = data.get("marker")
        pins.append(
            _locked_pin(
                path,
                block,
                version=version,
                markers=[marker] if isinstance(marker, str) else [],
                files=files,
                context="locked",
                unknown=unknown,
                name=_name(block),
            )
        )
    python = header.get("requires-python")
    return _scan(path, pins, python if isinstance(python, str) else None)


# --- Pipfile.lock --------------------------------------------------------------------


def read_pipfile_lock(path: str, names: Names = DDTRACE) -> ProjectScan:
    from ddguard.pins import Pin, PinKind

    text = read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    if not isinstance(doc, dict):
        raise InputError("Pipfile.lock must hold a JSON object", path, 1)
    index = LineIndex(text)
    pins = []
    for category, table in doc.items():
        if category == "_meta" or not isinstance(table, dict):
            continue
        start = (index.find([f'"{category}"'], 0, claim=False) or 1) - 1
        for name, entry in table.items():
            if not wanted(name, names) or not isinstance(entry, dict):
                continue
            line = index.find([f'"{name}"'], start) or start + 1
            unknown = None
            version = entry.get("version")
            spec_version = (
                version[2:] if isinstance(version, str) and version.startswith("==") else None
            )
            tags: Tuple[str, ...] = ()
            for kind in ("git", "hg", "svn", "bzr", "path", "editable"):
                if entry.get(kind):
                    unknown = f"locked from {kind} {entry.get(kind)}: its version is only known once it is built"
            if isinstance(entry.get("file"), str):
                spec_version, tags, unknown = url_pin_facts(entry["file"])
            marker = None
            if isinstance(entry.get("markers"), str):
                marker = marker_or_error(entry["markers"], path, line)
            pins.append(
                Pin(
                    requirement=f"{name}=={spec_version}" if spec_version else name,
                    source=f"{path}:{line}",
                    specifier=_spec(spec_version),
                    marker=marker,
                    kind=PinKind.LOCKED,
                    context="locked" + ("" if category == "default" else f"; [{category}]"),
                    unknown_reason=unknown,
                    wheel_tags=tags,
                    name=name,
                )
            )
    meta = _dict(doc.get("_meta"))
    requires = _dict(meta.get("requires"))
    python = None
    if isinstance(requires.get("python_full_version"), str):
        python = "==" + requires["python_full_version"]
    elif isinstance(requires.get("python_version"), str):
        python = "==" + requires["python_version"] + ".*"
    return _scan(path, pins, python)
