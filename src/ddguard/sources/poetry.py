"""Poetry's ``[tool.poetry]`` tables (dependencies, extras, dev-dependencies, groups) and
its constraint syntax (``^1.2``, ``~1.2.3``, ``1.2.*``, ``*``, ``>=1,<2``, ``a || b``)
translated into PEP 440 by a linear scanner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.model import Origin, OriginKind, Pin, Reference, ReferenceKind
from ddguard.sources.collector import Collector
from ddguard.sources.names import canonical, wanted
from ddguard.sources.requirement import and_markers, file_reference, parse_marker, referenced
from ddguard.sources.text import QuotingError, describe, shown

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

_OPERATORS = ("===", "~=", "==", "!=", "<=", ">=", "^", "~", "<", ">", "=")
_VERSION_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.*+!_-")


def poetry_specifier(text: str) -> str:
    """A Poetry constraint (``^1.2``, ``~1.2.3``, ``1.2.*``, ``*``, ``>=1,<2``) as PEP 440;
    ValueError when it has none."""
    text = text.strip()
    if text in ("", "*"):
        return ""
    if "||" in text:
        raise ValueError("'||' alternatives have no PEP 440 equivalent")
    parts: List[str] = []
    at, end = 0, len(text)
    while at < end:
        if text[at] == "," or text[at].isspace():
            at += 1
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, at)), "")
        start = at + len(op)
        while start < end and text[start].isspace():
            start += 1
        stop = start
        while stop < end and text[stop] in _VERSION_CHARS:
            stop += 1
        if start == end or not "0" <= text[start] <= "9":
            raise ValueError(f"cannot read {shown(text)}")
        parts.extend(_translate(op or "==", text[start:stop]))
        at = stop
    return ",".join(dict.fromkeys(parts))  # a clause written twice is judged once


def _translate(op: str, version: str) -> List[str]:
    if op in ("^", "~"):
        from packaging.version import InvalidVersion, Version

        try:
            release = list(Version(version).release)
        except InvalidVersion:
            raise ValueError(f"{shown(version)} is not a version") from None
        given = len(version.split("+")[0].split("."))
        release = release[:given] or [0]
        if op == "^":
            nonzero = [i for i, n in enumerate(release) if n != 0]
            bump = nonzero[0] if nonzero else len(release) - 1
        else:
            bump = 0 if len(release) == 1 else 1
        upper = [*release[:bump], release[bump] + 1]
        return [f">={version}", "<" + ".".join(str(n) for n in upper)]
    return [f"=={version}" if op == "=" else f"{op}{version}"]


def python_marker(text: str) -> Optional[str]:
    """Poetry's ``python = "~2.7 || ^3.6"`` as a marker."""
    alternatives = [poetry_specifier(part) for part in text.split("||")]
    if not all(alternatives):
        return None
    joined = [
        " and ".join(
            f'python_full_version {s[: len(s) - len(s.lstrip("<>=!~"))]} "{s.lstrip("<>=!~")}"'
            for s in spec.split(",")
        )
        for spec in alternatives
    ]
    return joined[0] if len(joined) == 1 else " or ".join(f"({j})" for j in joined)


def read_poetry(tool: Dict[str, Any], c: Collector) -> None:
    if not tool:
        return
    header = "tool.poetry"
    deps = c.table(tool, "dependencies", header)
    c.set_python(deps.get("python"), [f"{header}.dependencies"], "python", poetry_specifier)
    extras: Dict[str, List[str]] = {}
    for extra, members in c.table(tool, "extras", header).items():
        if not isinstance(members, list):
            raise c.wrong(
                f"extra {shown(extra)} must be an array", members, extra, [f"{header}.extras"]
            )
        for name in members:
            if not isinstance(name, str):
                raise c.wrong(
                    f"extra {shown(extra)} must list names", name, extra, [f"{header}.extras"]
                )
            if wanted(name.split("[", 1)[0], c.names):
                extras.setdefault(canonical(name.split("[", 1)[0]), []).append(extra)
    tables: List[Tuple[str, Dict[str, Any], Origin]] = [
        (f"{header}.dependencies", deps, Origin(OriginKind.DEPENDENCY, tool="poetry")),
        (
            f"{header}.dev-dependencies",
            c.table(tool, "dev-dependencies", header),
            Origin(OriginKind.GROUP, tool="poetry"),
        ),
    ]
    for group, body in c.table(tool, "group", header).items():
        where = f"{header}.group.{group}"
        if not isinstance(body, dict):
            raise c.wrong(f"[{where}] must be a table", body, group, [f"{header}.group"])
        tables.append(
            (
                f"{where}.dependencies",
                c.table(body, "dependencies", where),
                Origin(OriginKind.GROUP, name=group, tool="poetry"),
            )
        )
    for table_header, table, origin in tables:
        for key, value in table.items():
            if not wanted(key, c.names):
                continue
            named = extras.get(canonical(key))
            here = origin
            if named and origin.kind is OriginKind.DEPENDENCY:
                here = Origin(
                    OriginKind.EXTRA, name=named[0], included_by=tuple(named[1:]), tool="poetry"
                )
            _entry(key, value, table_header, here, c)


def _entry(key: str, value: Any, header: str, origin: Origin, c: Collector) -> None:
    start = c.index.header(header, header.rsplit(".", 1)[0])
    key_line = c.index.find_key(key, start) or (start + 1 if start >= 0 else 1)
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(value, list) and not isinstance(item, dict):
            message = f"{key}: multiple constraints must be tables, not {describe(item)}"
            raise QuotingError(message, c.path, key_line)
        line = key_line
        if isinstance(value, list) and isinstance(item, dict):
            needle = item.get("version") or item.get("python") or item.get("markers")
            if isinstance(needle, str):
                line = c.index.find([f'"{needle}"', f"'{needle}'"], key_line - 1) or key_line
        c.pins.append(poetry_pin(key, item, origin._replace(path=c.path, line=line)))


def inline(value: Any, depth: int = 0) -> str:
    """A TOML value as Poetry users write it (bounded: a value may nest thousands deep)."""
    if depth > 8:
        return "..."
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {inline(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inline(v, depth + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _text(table: Dict[str, Any], key: str, name: str, origin: Origin) -> Optional[str]:
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(
        f"{name}: {key} must be a string, not {describe(value)}", origin.path, origin.line
    )


def poetry_pin(key: str, item: Any, origin: Origin) -> Pin:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    path, line = origin.path, origin.line
    if not isinstance(item, (dict, str)):
        raise InputError(
            f"{key}: expected a version string or a table, not {describe(item)}", path, line
        )
    table: Dict[str, Any] = item if isinstance(item, dict) else {"version": item}
    markers: List[Optional[Marker]] = []
    written_markers = _text(table, "markers", key, origin)
    if written_markers is not None:
        markers.append(parse_marker(written_markers, path, line))
    python = _text(table, "python", key, origin)
    if python is not None:
        try:
            text = python_marker(python)
        except ValueError as exc:
            raise QuotingError(f"python {shown(python)}: {exc}", path, line) from None
        if text:
            markers.append(parse_marker(text, path, line))
    platform = _text(table, "platform", key, origin)
    if platform is not None:
        markers.append(parse_marker(f'sys_platform == "{platform}"', path, line))
    reference: Optional[Reference] = None
    untranslated: Optional[Tuple[str, str]] = None
    specifier: Optional[SpecifierSet] = None
    alternatives: Tuple[SpecifierSet, ...] = ()
    git, local, url = (_text(table, k, key, origin) for k in ("git", "path", "url"))
    if git is not None:
        reference = Reference(ReferenceKind.VCS, git)
    elif local is not None:
        reference = file_reference(local, ReferenceKind.PATH)
    elif url is not None:
        reference = file_reference(url, ReferenceKind.URL)
    else:
        version = _text(table, "version", key, origin) or "*"
        parts = version.split("||")
        if len(parts) > 1:
            specs = []
            for part in parts:
                try:
                    specs.append(SpecifierSet(poetry_specifier(part)))
                except (ValueError, InvalidSpecifier):
                    untranslated = (version, part.strip())
                    break
            else:
                alternatives = tuple(specs)
        else:
            try:
                translated = poetry_specifier(version)
            except ValueError:
                untranslated = (version, version.strip())
            else:
                try:
                    specifier = SpecifierSet(translated)
                except InvalidSpecifier:
                    raise QuotingError(
                        f"{key}: cannot read version constraint {shown(inline(item))}", path, line
                    ) from None
    if specifier is None:
        specifier = referenced(reference) if reference is not None else SpecifierSet()
    return Pin(
        text=f"{key} = {inline(item)}",
        specifier=specifier,
        origin=origin,
        name=key,
        marker=and_markers(*markers),
        alternatives=alternatives,
        reference=reference,
        wheel_tags=reference.wheel_tags if reference else (),
        untranslated=untranslated,
    )
