"""pyproject.toml (PEP 621, PEP 735, build-system, Poetry, PDM, uv) and Pipfile.

Imports nothing heavy until an entry names ddtrace: build hooks call
:func:`read_pyproject` on every build.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ddguard.errors import InputError
from ddguard.pins_common import (
    DDTRACE,
    LineIndex,
    Names,
    and_markers,
    canonical,
    leading_name,
    load_toml,
    make_pin,
    marker_or_error,
    mentions_any,
    read_text,
    url_pin_facts,
    wanted,
    wheel_facts,
)

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    from ddguard.pins import Pin, PinKind, ProjectScan

_POETRY_PART = re.compile(r"(\^|~=|~|===|==|!=|<=|>=|<|>|=)?\s*([0-9][0-9A-Za-z.*+!_-]*)")


class Collector:
    """Pins, notes and the Python range found in one TOML document."""

    def __init__(self, path: str, text: str, names: Names = DDTRACE) -> None:
        self.path = path
        self.names = names
        self.index = LineIndex(text)
        self.pins: List[Pin] = []
        self.notes: List[str] = []
        self.python_range: Optional[SpecifierSet] = None

    def where(self, line: int) -> str:
        return f"{self.path}:{line}"

    def strings(
        self,
        values: Any,
        key: str,
        headers: Sequence[str],
        context: Optional[str],
        kind: Optional[PinKind] = None,
    ) -> None:
        """A list of PEP 508 strings (``dependencies = [...]``)."""
        if values is None:
            return
        if not isinstance(values, list):
            line = self.index.entry(key, headers)
            raise InputError(f"{key} must be a list of requirement strings", self.path, line)
        for value in values:
            if isinstance(value, dict):
                continue  # include-group tables, handled by the caller
            if not isinstance(value, str):
                line = self.index.entry(str(value), headers)
                raise InputError(f"{key}: {value!r} is not a requirement string", self.path, line)
            if not mentions_any(value, self.names):
                continue
            if value.lstrip().startswith("-e"):
                from ddguard.pins_reqfile import editable_line

                line = self.index.entry(value, headers)
                pin = editable_line(
                    value.strip()[2:].strip(),
                    self.where(line),
                    kind or _kind(),
                    context,
                    self.names,
                )
            else:
                name = leading_name(value.strip())
                if name is not None and not wanted(name, self.names):
                    continue  # mentions a wanted name without naming it: claim no line
                line = self.index.entry(value, headers, name=name or "ddtrace")
                pin = make_pin(
                    value,
                    self.where(line),
                    kind=kind,
                    context=context,
                    path=self.path,
                    line=line,
                    names=self.names,
                )
            if pin is not None:
                self.pins.append(pin)

    def set_python(self, text: Any, headers: Sequence[str], key: str, poetry: bool = False) -> None:
        if not isinstance(text, str):
            return
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            if poetry and "||" in text:  # a union: no single range for the notes to use
                for part in text.split("||"):
                    SpecifierSet(poetry_specifier(part))
                return
            spec = SpecifierSet(poetry_specifier(text) if poetry else text)
        except (InvalidSpecifier, ValueError):
            line = self.index.header(*headers) + 1
            found = self.index.find([text], max(line - 1, 0), claim=False)
            raise InputError(
                f"{key} {text!r} is not a valid version range", self.path, found or line
            ) from None
        if self.python_range is None:
            self.python_range = spec


def _kind() -> PinKind:
    from ddguard.pins import PinKind

    return PinKind.DECLARED


def read_pyproject(path: str, names: Names = DDTRACE) -> ProjectScan:
    from ddguard.pins import ProjectScan

    text = read_text(path)
    collector = Collector(path, text, names)
    scan_pyproject(load_toml(text, path), collector)
    return ProjectScan(
        tuple(collector.pins), tuple(collector.notes), collector.python_range, (path,)
    )


def _table(doc: Dict[str, Any], *keys: str) -> Dict[str, Any]:
    node: Any = doc
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def scan_pyproject(doc: Dict[str, Any], c: Collector) -> None:
    from ddguard.pins import PinKind

    project = _table(doc, "project")
    c.set_python(project.get("requires-python"), ["project"], "requires-python")
    c.strings(project.get("dependencies"), "dependencies", ["project"], None)
    if "dependencies" in (project.get("dynamic") or []):
        c.notes.append(
            f"{c.path}: [project] dependencies are dynamic (computed by the build backend); "
            "ddguard reads only what is written"
        )
    for extra, values in _table(project, "optional-dependencies").items():
        c.strings(
            values,
            extra,
            ["project.optional-dependencies", "project"],
            f"extra '{extra}'",
        )
    c.strings(
        _table(doc, "build-system").get("requires"),
        "requires",
        ["build-system"],
        "build-system.requires",
    )
    dependency_groups(_table(doc, "dependency-groups"), c)
    poetry(_table(doc, "tool", "poetry"), c)
    for group, values in _table(doc, "tool", "pdm", "dev-dependencies").items():
        c.strings(values, group, ["tool.pdm.dev-dependencies"], f"PDM dev group '{group}'")
    uv = _table(doc, "tool", "uv")
    c.strings(
        uv.get("constraint-dependencies"),
        "constraint-dependencies",
        ["tool.uv"],
        "uv constraint-dependencies",
        kind=PinKind.CONSTRAINT,
    )
    c.strings(
        uv.get("override-dependencies"),
        "override-dependencies",
        ["tool.uv"],
        "uv override-dependencies",
    )
    c.strings(uv.get("dev-dependencies"), "dev-dependencies", ["tool.uv"], "uv dev-dependencies")
    tox = _table(doc, "tool", "tox")
    if tox:
        from ddguard.pins_config import read_pyproject_tox, tox_state

        state = tox_state(c.path, c.names)
        read_pyproject_tox(tox, "\n".join(c.index.lines), c.path, state)
        c.pins.extend(state.pins)
        c.notes.extend(state.notes)


def dependency_groups(groups: Dict[str, Any], c: Collector) -> None:
    """PEP 735: each string under the group that writes it; include-group names who includes it."""
    included_by: Dict[str, List[str]] = {}
    for name, values in groups.items():
        if not isinstance(values, list):
            raise InputError(
                f"dependency group {name!r} must be a list",
                c.path,
                c.index.header("dependency-groups") + 1,
            )
        for value in values:
            if isinstance(value, dict):
                target = value.get("include-group")
                if not isinstance(target, str) or target not in groups:
                    line = c.index.find(
                        ["include-group"], c.index.header("dependency-groups"), claim=False
                    )
                    raise InputError(
                        f"dependency group {name!r} includes unknown group {target!r}", c.path, line
                    )
                included_by.setdefault(target, []).append(name)
    _check_group_cycles(groups, c)
    for name, values in groups.items():
        context = f"group '{name}'"
        includers = _all_includers(name, included_by)
        if includers:
            context += ", included by " + ", ".join(f"'{g}'" for g in includers)
        c.strings(values, name, ["dependency-groups"], context)


def _all_includers(name: str, included_by: Dict[str, List[str]]) -> List[str]:
    found: List[str] = []
    todo = list(included_by.get(name, []))
    while todo:
        group = todo.pop(0)
        if group not in found:
            found.append(group)
            todo.extend(included_by.get(group, []))
    return found


def _check_group_cycles(groups: Dict[str, Any], c: Collector) -> None:
    def visit(name: str, path: Tuple[str, ...]) -> None:
        if name in path:
            chain = " -> ".join((*path, name))
            raise InputError(
                f"dependency groups include each other in a cycle: {chain}",
                c.path,
                c.index.header("dependency-groups") + 1,
            )
        for value in groups.get(name) or []:
            if isinstance(value, dict) and isinstance(value.get("include-group"), str):
                visit(value["include-group"], (*path, name))

    for group in groups:
        visit(group, ())


# --- Poetry --------------------------------------------------------------------------


def poetry_specifier(text: str) -> str:
    """A Poetry constraint (``^1.2``, ``~1.2.3``, ``1.2.*``, ``*``, ``>=1,<2``) as PEP 440."""
    from packaging.version import InvalidVersion, Version

    text = text.strip()
    if text in ("", "*"):
        return ""
    if "||" in text:
        raise ValueError("'||' alternatives have no PEP 440 equivalent")
    parts: List[str] = []
    rest = text
    for found in _POETRY_PART.finditer(text):
        op, version = found.group(1) or "==", found.group(2)
        rest = rest.replace(found.group(0), "", 1)
        if op in ("^", "~"):
            try:
                release = list(Version(version).release)
            except InvalidVersion:
                raise ValueError(f"{version!r} is not a version") from None
            given = len(version.split("+")[0].split("."))
            release = release[:given] or [0]
            if op == "^":
                nonzero = [i for i, n in enumerate(release) if n != 0]
                bump = nonzero[0] if nonzero else len(release) - 1
            else:
                bump = 0 if len(release) == 1 else 1
            upper = [*release[:bump], release[bump] + 1]
            parts.append(f">={version}")
            parts.append("<" + ".".join(str(n) for n in upper))
        elif op == "=":
            parts.append(f"=={version}")
        else:
            parts.append(f"{op}{version}")
    if rest.replace(",", "").strip():
        raise ValueError(f"cannot read {text!r}")
    return ",".join(parts)


def _python_marker(text: str) -> Optional[str]:
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


def poetry(tool: Dict[str, Any], c: Collector) -> None:
    if not tool:
        return
    deps = _table(tool, "dependencies")
    python = deps.get("python")
    if python is not None:
        c.set_python(python, ["tool.poetry.dependencies"], "python", poetry=True)
    extras: Dict[str, List[str]] = {}
    for extra, members in _table(tool, "extras").items():
        for name in members if isinstance(members, list) else []:
            if isinstance(name, str) and wanted(name.split("[", 1)[0], c.names):
                extras.setdefault(canonical(name.split("[", 1)[0]), []).append(extra)
    tables: List[Tuple[str, Dict[str, Any], Optional[str]]] = [
        ("tool.poetry.dependencies", deps, None),
        (
            "tool.poetry.dev-dependencies",
            _table(tool, "dev-dependencies"),
            "Poetry dev-dependencies",
        ),
    ]
    for group, body in _table(tool, "group").items():
        tables.append(
            (
                f"tool.poetry.group.{group}.dependencies",
                _table(body, "dependencies") if isinstance(body, dict) else {},
                f"Poetry group '{group}'",
            )
        )
    for header, table, context in tables:
        for key, value in table.items():
            if not wanted(key, c.names):
                continue
            names = extras.get(canonical(key))
            ctx = context
            if names and header == "tool.poetry.dependencies":
                ctx = ", ".join(f"extra '{n}'" for n in names)
            poetry_entry(key, value, header, ctx, c)


def poetry_entry(key: str, value: Any, header: str, context: Optional[str], c: Collector) -> None:
    start = c.index.header(header, header.rsplit(".", 1)[0])
    key_line = c.index.find_key(key, start) or (start + 1 if start >= 0 else 1)
    items = value if isinstance(value, list) else [value]
    for position, item in enumerate(items):
        line = key_line
        if isinstance(value, list) and isinstance(item, dict):
            needle = item.get("version") or item.get("python") or item.get("markers")
            if isinstance(needle, str):
                line = c.index.find([f'"{needle}"', f"'{needle}'"], key_line - 1) or key_line
        pin = poetry_pin(key, item, c.where(line), context, c, line)
        if pin is not None:
            c.pins.append(pin)
        del position


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def poetry_pin(
    key: str, item: Any, source: str, context: Optional[str], c: Collector, line: int
) -> Optional[Pin]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ddguard.pins import Pin, PinKind

    written = f"{key} = {_inline(item)}"
    table: Dict[str, Any] = item if isinstance(item, dict) else {"version": item}
    if not isinstance(item, (dict, str)):
        raise InputError(f"{key}: unexpected value {item!r}", c.path, line)
    markers: List[Optional[Marker]] = []
    if isinstance(table.get("markers"), str):
        markers.append(marker_or_error(table["markers"], c.path, line))
    if isinstance(table.get("python"), str):
        try:
            text = _python_marker(table["python"])
        except ValueError as exc:
            raise InputError(f"python {table['python']!r}: {exc}", c.path, line) from None
        if text:
            markers.append(marker_or_error(text, c.path, line))
    if isinstance(table.get("platform"), str):
        markers.append(marker_or_error(f'sys_platform == "{table["platform"]}"', c.path, line))
    marker = and_markers(*markers)
    unknown: Optional[str] = None
    tags: Tuple[str, ...] = ()
    spec_text = ""
    alternatives: Tuple[SpecifierSet, ...] = ()
    if "git" in table:
        ref = table.get("tag") or table.get("rev") or table.get("branch") or "default branch"
        unknown = (
            f"git dependency {table['git']} ({ref}): its version is only known once it is built"
        )
    elif "path" in table:
        facts = wheel_facts(str(table["path"]))
        if facts is None:
            unknown = f"path dependency {table['path']}: its version is only known once it is built"
        else:
            spec_text, tags = f"=={facts[0]}", facts[1]
    elif "url" in table:
        version, tags, unknown = url_pin_facts(str(table["url"]))
        spec_text = f"=={version}" if version else ""
    else:
        version_text = table.get("version", "*")
        if not isinstance(version_text, str):
            raise InputError(f"{key}: version must be a string", c.path, line)
        try:
            if "||" in version_text:
                alternatives = tuple(
                    SpecifierSet(poetry_specifier(part)) for part in version_text.split("||")
                )
            else:
                spec_text = poetry_specifier(version_text)
        except (ValueError, InvalidSpecifier) as exc:
            unknown = f"Poetry constraint {version_text!r}: {exc}"
    try:
        specifier = SpecifierSet(spec_text)
    except InvalidSpecifier:
        raise InputError(
            f"{key}: cannot read version constraint {_inline(item)}", c.path, line
        ) from None
    return Pin(
        requirement=written,
        source=source,
        specifier=specifier,
        marker=marker,
        kind=PinKind.DECLARED,
        context=context,
        unknown_reason=unknown,
        wheel_tags=tags,
        name=key,
        alternatives=alternatives,
    )


# --- Pipfile -------------------------------------------------------------------------


def read_pipfile(path: str, names: Names = DDTRACE) -> ProjectScan:
    from ddguard.pins import ProjectScan

    text = read_text(path)
    doc = load_toml(text, path)
    c = Collector(path, text, names)
    requires = _table(doc, "requires")
    if isinstance(requires.get("python_full_version"), str):
        c.set_python("==" + requires["python_full_version"], ["requires"], "python_full_version")
    elif isinstance(requires.get("python_version"), str):
        c.set_python("==" + requires["python_version"] + ".*", ["requires"], "python_version")
    for category, table in doc.items():
        if category in ("source", "requires", "scripts", "pipenv") or not isinstance(table, dict):
            continue
        context = None if category == "packages" else f"Pipfile [{category}]"
        for key, value in table.items():
            if not wanted(key, c.names):
                continue
            line = c.index.find_key(key, c.index.header(category)) or 1
            c.pins.append(pipfile_pin(key, value, c.where(line), context, c, line))
    return ProjectScan(tuple(c.pins), tuple(c.notes), c.python_range, (path,))


_PIPFILE_MARKER_KEYS = (
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_system",
    "python_version",
    "python_full_version",
    "implementation_name",
)


def pipfile_pin(
    key: str, value: Any, source: str, context: Optional[str], c: Collector, line: int
) -> Pin:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from ddguard.pins import Pin, PinKind

    table: Dict[str, Any] = value if isinstance(value, dict) else {"version": value}
    markers: List[Optional[Marker]] = []
    if isinstance(table.get("markers"), str):
        markers.append(marker_or_error(table["markers"], c.path, line))
    for name in _PIPFILE_MARKER_KEYS:
        if isinstance(table.get(name), str):
            markers.append(marker_or_error(f"{name} {table[name]}", c.path, line))
    unknown = None
    tags: Tuple[str, ...] = ()
    version = table.get("version", "*")
    spec_text = "" if version == "*" else str(version)
    for vcs in ("git", "hg", "svn", "bzr"):
        if vcs in table:
            unknown = f"{vcs} reference {table[vcs]}: its version is only known once it is built"
    if "file" in table:
        found, tags, unknown = url_pin_facts(str(table["file"]))
        spec_text = f"=={found}" if found else ""
    if "path" in table:
        unknown = f"path {table['path']}: its version is only known once it is built"
    if table.get("editable"):
        unknown = "editable install: its version is only known once it is built"
    try:
        specifier = SpecifierSet(spec_text)
    except InvalidSpecifier:
        raise InputError(f"{key}: cannot read version {version!r}", c.path, line) from None
    return Pin(
        requirement=f"{key} = {_inline(value)}",
        source=source,
        specifier=specifier,
        marker=and_markers(*markers),
        kind=PinKind.DECLARED,
        context=context,
        unknown_reason=unknown,
        wheel_tags=tags,
        name=key,
    )
