"""The other outputs: ``explain``, ``matrix``, ``constraints`` and ``db``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, AbstractSet, Any, Dict, List, Optional, Sequence, Tuple

from ddguard import __version__
from ddguard.report import Style, result_block, result_json
from ddguard.report.words import clean, line_specifier, platform_tag, python_ranges, target

if TYPE_CHECKING:
    from ddguard.evaluate.constraints import Rule
    from ddguard.knowledge import Knowledge, Release, ReleaseLine
    from ddguard.model import Explanation
    from ddguard.target import Target, Triple

LEVEL_WORDS = {"ga": "General Availability", "maintenance": "Maintenance", "eol": "End of Life"}
OS_TITLE = {"linux": "Linux", "macos": "MacOS", "windows": "Windows"}
CPU_TITLE = {
    "linux": {"x86_64": "x86-64", "i686": "i686", "aarch64": "AArch64"},
    "macos": {"x86_64": "Intel", "aarch64": "Apple Silicon"},
    "windows": {"x86_64": "64bit", "i686": "32bit", "aarch64": "ARM64"},
}
PUBLISHED_PAGE = "ddtrace's published 'Python Compatibility Requirements' page (2.x era)"


# --- explain -------------------------------------------------------------------------------


def release_facts(knowledge: Knowledge, release: Release) -> Dict[str, Any]:
    from ddguard.evaluate.closure import compiled_dependencies
    from ddguard.evaluate.release import wheel_pythons, wheel_triples

    line = knowledge.line(release.version)
    return {
        "version": str(release.version),
        "uploaded": release.uploaded,
        "line": f"{line.major}.x" if line else None,
        "line_specifier": line_specifier(line.major) if line else None,
        "support_level": line.level.value if line else None,
        "line_runtimes": python_ranges(line.python_ranges()) if line else None,
        "requires_python": release.requires_python,
        "yanked": release.yanked,
        "yank_reason": clean(release.yank_reason) if release.yank_reason else release.yank_reason,
        "sdist": release.sdist is not None,
        "wheel_pythons": python_ranges(wheel_pythons(release)),
        "wheel_platforms": _wheel_platforms(wheel_triples(release)),
        "files": release.filenames(),
        "compiled_dependencies": [
            {
                "package": d.package,
                "specifier": d.specifier,
                "extra": d.extra,
                "marker": d.marker,
                "wheel_platforms": _wheel_platforms(d.wheel_tags),
            }
            for d in compiled_dependencies(str(release.version), knowledge.dependencies)
        ],
    }


def _wheel_platforms(tags: AbstractSet[Triple]) -> Dict[str, List[str]]:
    """{"manylinux x86_64": ["3.7", "3.8"], ...}: the CPython versions with a wheel, by
    platform; a stable-ABI wheel reads "3.7+", a pure one ("py3-none-any") "py3"."""
    from ddguard.evaluate.release import cpython_of

    platforms: Dict[str, List[str]] = {}
    for interpreter, abi, platform in sorted(tags):
        minor = cpython_of(interpreter)
        if platform == "any":
            where, python = "any platform (pure Python)", interpreter
        elif minor is None:
            continue
        else:
            where = platform_tag(platform)
            python = "%d.%d" % minor + ("+" if abi == "abi3" else "")
        found = platforms.setdefault(where, [])
        if python not in found:
            found.append(python)
    order = sorted(platforms, key=lambda where: (where.startswith("any"), where))
    return {where: sorted(platforms[where], key=_python_order) for where in order}


def _python_order(text: str) -> Tuple[int, ...]:
    digits = text.lstrip("py").rstrip("+")
    return tuple(int(p) for p in digits.split(".") if p.isdigit())


def explain_json(story: Explanation) -> Dict[str, Any]:
    return {
        "spec": story.spec,
        "releases": [release_facts(story.knowledge, r) for r in story.releases],  # type: ignore[arg-type]
        "verdicts": [result_json(r) for r in story.verdicts],
        "database": {
            "source": story.knowledge.info.source,
            "fetched": story.knowledge.info.fetched,
        },
    }


def explain_text(story: Explanation, style: Style = Style()) -> str:
    out: List[str] = []
    releases = story.releases
    if len(releases) > 1:
        out.append(
            f"{clean(story.spec)} matches {len(releases)} releases, "
            f"{releases[0].version} to {releases[-1].version}; the newest:"  # type: ignore[attr-defined]
        )
    for release in releases[-1:]:
        facts = release_facts(story.knowledge, release)  # type: ignore[arg-type]
        level = LEVEL_WORDS.get(facts["support_level"] or "", "?")
        out.append(f"ddtrace {facts['version']} (uploaded {facts['uploaded']})")
        out.append(
            f"  release line {facts['line']} ({facts['line_specifier']}): {level}; "
            f"the line supports CPython {facts['line_runtimes']}"
        )
        out.append(f"  Requires-Python: {clean(facts['requires_python'] or '(none declared)')}")
        if facts["yanked"]:
            out.append(f"  yanked: {facts['yank_reason'] or 'no reason given'}")
        out.append(
            f"  wheels for CPython {facts['wheel_pythons'] or '(none)'}; "
            f"sdist: {'yes' if facts['sdist'] else 'no'}"
        )
        for where, pythons in facts["wheel_platforms"].items():
            out.append(f"    {where}: {', '.join(pythons)}")
        for dependency in facts["compiled_dependencies"]:
            wanted = clean(dependency["package"] + dependency["specifier"])
            if dependency["extra"]:
                wanted += f" (extra {clean(dependency['extra'])})"
            elif dependency["marker"]:
                wanted += f" (where {clean(dependency['marker'])})"
            out.append(f"  requires {wanted}, compiled; its wheels in that range:")
            for where, pythons in dependency["wheel_platforms"].items():
                out.append(f"    {where}: {', '.join(pythons)}")
            if not dependency["wheel_platforms"]:
                out.append("    none (pip builds it from source everywhere)")
    for result in story.verdicts:
        out.append(f"[{result.verdict.value}] " + result_block(result, style))
    return "\n".join(out) + "\n"


# --- matrix ----------------------------------------------------------------------------------


def matrix_rows(lines: Sequence[ReleaseLine]) -> Dict[str, List[Dict[str, str]]]:
    releases = [
        {
            "release": line_specifier(line.major),
            "line": f"{line.major}.x",
            "support_level": LEVEL_WORDS[line.level.value],
            "since": next((h.since for h in reversed(line.history) if h.since), ""),
            "as_published": next((LEVEL_WORDS[h.level.value] for h in line.history if not h.since), ""),
        }
        for line in reversed(lines)
    ]
    runtimes = [
        {
            "os": OS_TITLE.get(str(rule.os), str(rule.os)),
            "cpu": ", ".join(CPU_TITLE.get(str(rule.os), {}).get(str(c), str(c)) for c in rule.cpus),
            "runtime": "CPython",
            "runtime_version": python_ranges(rule.python).replace("–", "-"),
            "ddtrace": line_specifier(line.major),
            "basis": line.runtime_basis,
        }
        for line in lines
        for rule in line.runtimes
    ]
    return {"releases": releases, "runtimes": runtimes}


def render_matrix(found: Tuple[Knowledge, Tuple[Any, ...]], fmt: str) -> str:
    knowledge, lines = found
    rows = matrix_rows(lines)
    sources = (
        f"Source: {PUBLISHED_PAGE}, and the package index's release facts "
        f"(snapshot of {knowledge.info.fetched})."
    )
    if fmt == "json":
        document = {
            **rows,
            "database": {
                "source": knowledge.info.source,
                "fetched": knowledge.info.fetched,
                "policy": PUBLISHED_PAGE,
            },
        }
        return json.dumps(document, indent=2) + "\n"
    release_cols = [
        ("Release", "release"),
        ("Support level", "support_level"),
        ("Since", "since"),
        ("As published", "as_published"),
    ]
    runtime_cols = [
        ("OS", "os"),
        ("CPU", "cpu"),
        ("Runtime", "runtime"),
        ("Runtime version", "runtime_version"),
        ("Supported ddtrace versions", "ddtrace"),
    ]
    table = _markdown_table if fmt == "markdown" else _text_table
    return table(release_cols, rows["releases"]) + "\n" + table(runtime_cols, rows["runtimes"]) + "\n" + sources + "\n"


def _markdown_table(columns: Sequence[Tuple[str, str]], rows: Sequence[Dict[str, str]]) -> str:
    out = [
        "| " + " | ".join(title for title, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        out.append("| " + " | ".join(str(row[key]).replace("|", "\\|") for _, key in columns) + " |")
    return "\n".join(out) + "\n"


def _text_table(columns: Sequence[Tuple[str, str]], rows: Sequence[Dict[str, str]]) -> str:
    widths = [max([len(title)] + [len(str(r[key])) for r in rows]) for title, key in columns]
    out = ["  ".join(title.ljust(w) for (title, _), w in zip(columns, widths)).rstrip()]
    for row in rows:
        out.append("  ".join(str(row[key]).ljust(w) for (_, key), w in zip(columns, widths)).rstrip())
    return "\n".join(out) + "\n"


# --- constraints -----------------------------------------------------------------------------


def render_constraints(
    knowledge: Knowledge,
    rules: Sequence[Rule],
    fmt: str,
    targets: Sequence[Target] = (),
    allow_source_build: bool = False,
) -> str:
    from ddguard.evaluate.constraints import pythons

    covered = pythons()
    scope = (
        "targets: " + "; ".join(target(t) for t in targets)
        if targets
        else "CPython %d.%d-%d.%d on manylinux, macOS and Windows (x86-64, AArch64/arm64, x86)"
        % (covered[0] + covered[-1])
    )
    head = [
        f"# ddguard {__version__} constraints for ddtrace, database of {knowledge.info.fetched}",
        f"# {scope}",
        "# Each line excludes the known ddtrace releases that do not work where its marker",
        "# matches; releases newer than the database stay allowed. Markers cannot express musl,",
        "# glibc or macOS versions: the build hook and the startup check judge the real host.",
    ]
    if fmt == "pip":
        head.append("# Use: pip install -c THIS_FILE ...   or   PIP_CONSTRAINT=THIS_FILE pip install ...")
        return "\n".join(head + [r.requirement() for r in rules]) + "\n"
    head.append("# Paste into pyproject.toml; no-build-package keeps uv from building a")
    head.append("# wheel-less pin from its sdist.")
    lines = head + ["[tool.uv]", "constraint-dependencies = ["]
    lines.extend(f"    {_toml_string(r.requirement(quote=chr(39)))}," for r in rules)
    lines.append("]")
    if not allow_source_build:
        lines.append('no-build-package = ["ddtrace"]')
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- db ----------------------------------------------------------------------------------------


_INDEX_ORIGIN = {
    "argument": "given on the command line",
    "DDGUARD_INDEX_URL": "from DDGUARD_INDEX_URL",
    "PIP_INDEX_URL": "from PIP_INDEX_URL",
    "pip-config": "from pip's configuration",
    "default": "pip's default index",
}
_KIND = {"embedded": "embedded", "user": "user cache", "environment": "DDGUARD_DB", "file": "file"}


def render_update(result: Any, override: Optional[str] = None) -> str:
    """``db update``'s summary: what was written, from where, and what changed."""
    lines = [f"updated {result.path}: {result.releases} releases, newest {result.newest}"]
    if result.index_used is not None:
        where = _INDEX_ORIGIN.get(result.index_used.origin.value, result.index_used.origin.value)
        if result.index_used.config_file:
            where += f" ({result.index_used.config_file})"
        lines.append(f"index: {clean(result.index_used.url)} ({where})")
    else:
        lines.append(f"source: {clean(result.source)} (a saved file: never the reference for later updates)")
    if result.previous_unusable:
        lines.append("the previous copy could not be read: replaced")
    elif result.forced:
        lines.append("--force: replaced the previous copy whatever it held")
    lines.append(f"compared with {result.previous}:")
    lines.extend(f"  {line}" for line in changes_lines(result.changes))
    if result.future_uploads:
        lines.append(
            "note: releases dated in the future are kept but not trusted: " + ", ".join(result.future_uploads)
        )
    if result.removed_leftovers:
        lines.append(f"removed {result.removed_leftovers} leftover temporary file(s) of an interrupted update")
    override = override or result.environment_override
    if override:
        lines.append(f"note: DDGUARD_DB={override} is in use instead; unset it to use this update")
    return "\n".join(lines) + "\n"


def changes_lines(changes: Any) -> List[str]:
    removed = getattr(changes, "removed_releases", ())
    if not (changes.new_releases or changes.new_wheel_tags or changes.new_yanks or removed):
        return ["no change"]
    out = []
    if changes.new_releases:
        out.append(f"new releases ({len(changes.new_releases)}): " + ", ".join(changes.new_releases))
    if changes.new_wheel_tags:
        out.append(
            f"new wheel tags ({len(changes.new_wheel_tags)}): "
            + ", ".join(f"{v} {t}" for v, t in changes.new_wheel_tags)
        )
    if changes.new_yanks:
        out.append(
            f"new yanks ({len(changes.new_yanks)}): "
            + ", ".join(f"{v} ({clean(r)})" if r else v for v, r in changes.new_yanks)
        )
    if removed:
        out.append(f"releases no longer listed ({len(removed)}): " + ", ".join(removed))
    return out


def render_reset(result: Any) -> str:
    lines = [
        f"removed {result.path}" if result.removed else f"no user copy at {result.path}",
        f"database now: {result.serving}",
    ]
    if result.removed_leftovers:
        lines.append(f"removed {result.removed_leftovers} leftover temporary file(s)")
    if result.environment_override:
        lines.append(f"note: DDGUARD_DB={result.environment_override} is in use instead")
    return "\n".join(lines) + "\n"


def render_status(state: Any) -> str:
    from ddguard.knowledge.store import STALE_DAYS

    kind = _KIND.get(state.kind.value, state.kind.value)
    rows = [
        f"database: {state.path} ({kind}{'' if state.verified else ', from a saved file'})",
        f"snapshot: {state.fetched} ({state.age_days} days old)",
        f"source: {clean(state.source)}",
        f"releases: {state.releases} (newest {state.newest}, {state.yanked} yanked), "
        f"{state.lines} release lines, {state.wheel_tags} distinct wheel tags",
    ]
    if state.stale:
        rows.append(
            f"warning: the database is older than {STALE_DAYS} days; "
            "refresh it with `ddguard db update` (or `--from FILE` offline)"
        )
    return "\n".join(rows) + "\n"


__all__ = [
    "explain_json",
    "explain_text",
    "render_constraints",
    "render_matrix",
    "render_status",
    "render_update",
]
