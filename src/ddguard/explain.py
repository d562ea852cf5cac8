"""`ddguard explain` (one release or range, all its facts) and `ddguard matrix` (the tables)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from packaging.specifiers import SpecifierSet

from ddguard import knowledge as _knowledge
from ddguard.api import parse_ddtrace_requirement
from ddguard.errors import InputError
from ddguard.evaluate import Result, exact_version, judge_requirement, wheel_pythons
from ddguard.knowledge import Knowledge, Release, format_python_ranges
from ddguard.report import paragraph, result_json, status_word
from ddguard.target import Target, describe_platform


@dataclass(frozen=True)
class Story:
    spec: str
    releases: Sequence[Release]
    knowledge: Knowledge
    verdicts: Sequence[Result]

    def release_facts(self, release: Release) -> Dict[str, Any]:
        line = self.knowledge.line(release.version)
        platforms: Dict[str, List[str]] = {}
        for tag in sorted(release.wheel_tags(), key=str):
            if tag.interpreter.startswith("cp"):
                where = describe_platform(tag.platform)
                python = f"{tag.interpreter[2]}.{tag.interpreter[3:]}"
                platforms.setdefault(where, [])
                if python not in platforms[where]:
                    platforms[where].append(python)
        return {
            "version": str(release.version),
            "uploaded": release.uploaded,
            "line": line.name if line else None,
            "line_specifier": line.specifier if line else None,
            "support_level": line.level.value if line else None,
            "line_runtimes": format_python_ranges(line.python_ranges()) if line else None,
            "requires_python": release.requires_python,
            "yanked": release.yanked,
            "yank_reason": release.yank_reason,
            "sdist": release.sdist is not None,
            "wheel_pythons": format_python_ranges(wheel_pythons(release)),
            "wheel_platforms": {
                k: sorted(v, key=lambda p: tuple(map(int, p.split("."))))
                for k, v in sorted(platforms.items())
            },
            "files": release.filenames(),
        }

    def as_json(self) -> Dict[str, Any]:
        return {
            "spec": self.spec,
            "releases": [self.release_facts(r) for r in self.releases],
            "verdicts": [result_json(r) for r in self.verdicts],
            "database": {
                "source": self.knowledge.info.source,
                "fetched": self.knowledge.info.fetched,
            },
        }

    def as_text(self) -> str:
        out: List[str] = []
        if len(self.releases) > 1:
            out.append(
                f"{self.spec} matches {len(self.releases)} releases, "
                f"{self.releases[0].version} to {self.releases[-1].version}; the newest:"
            )
        for release in self.releases[-1:]:
            facts = self.release_facts(release)
            level = (
                _knowledge.SupportLevel(facts["support_level"]).display
                if facts["support_level"]
                else "?"
            )
            out.append(f"ddtrace {facts['version']} (uploaded {facts['uploaded']})")
            out.append(
                f"  release line {facts['line']} ({facts['line_specifier']}): {level}; "
                f"the line supports CPython {facts['line_runtimes']}"
            )
            out.append(f"  Requires-Python: {facts['requires_python'] or '(none declared)'}")
            if release.yanked:
                out.append(f"  yanked: {release.yank_reason or 'no reason given'}")
            out.append(
                f"  wheels for CPython {facts['wheel_pythons'] or '(none)'}; "
                f"sdist: {'yes' if facts['sdist'] else 'no'}"
            )
            for where, pythons in facts["wheel_platforms"].items():
                out.append(f"    {where}: {', '.join(pythons)}")
        for result in self.verdicts:
            out.append(f"{status_word(result)} ({result.verdict.value}): {paragraph(result)}")
        return "\n".join(out) + "\n"


def explain(spec: str, targets: Sequence[Target], knowledge: Optional[Knowledge] = None) -> Story:
    db = knowledge or _knowledge.load()
    requirement = parse_ddtrace_requirement(spec)
    specifier = requirement.specifier
    pinned = exact_version(specifier)
    if pinned is not None:
        release = db.release(pinned)
        releases = [release] if release else []
    else:
        releases = db.releases_in(specifier)
    if not releases:
        raise InputError(
            f"no ddtrace release in the database matches {spec!r} "
            f"(it knows {db.releases[0].version} to {db.newest.version}, snapshot of {db.info.fetched})"
            + (
                ": refresh it with `ddguard db update`"
                if pinned is not None and pinned > db.newest.version
                else ""
            )
        )
    verdicts = [judge_requirement(db, specifier, t, requirement=spec) for t in targets]
    return Story(spec, releases, db, verdicts)


# --- matrix ---------------------------------------------------------------------------

_OS_TITLE = {"linux": "Linux", "macos": "MacOS", "windows": "Windows"}
_CPU_TITLE = {
    "linux": {"x86_64": "x86-64", "i686": "i686", "aarch64": "AArch64"},
    "macos": {"x86_64": "Intel", "aarch64": "Apple Silicon"},
    "windows": {"x86_64": "64bit", "i686": "32bit", "aarch64": "ARM64"},
}


def matrix_rows(db: Knowledge, release: Optional[str]) -> Dict[str, List[Dict[str, str]]]:
    lines = db.lines
    if release:
        spec = parse_ddtrace_requirement(release).specifier
        lines = tuple(
            line
            for line in lines
            if db.releases_in(spec & SpecifierSet(line.specifier), prereleases=True)
        )
    releases = [
        {
            "release": line.specifier,
            "line": line.name,
            "support_level": line.level.display,
            "since": next((h.since for h in reversed(line.history) if h.since), ""),
            "as_published": next((h.level.display for h in line.history if not h.since), ""),
        }
        for line in reversed(lines)
    ]
    runtimes = [
        {
            "os": _OS_TITLE.get(rule.os, rule.os),
            "cpu": ", ".join(_CPU_TITLE.get(rule.os, {}).get(c, c) for c in rule.cpus),
            "runtime": "CPython",
            "runtime_version": format_python_ranges(rule.python).replace("–", "-"),
            "ddtrace": line.specifier,
            "basis": line.runtime_basis,
        }
        for line in lines
        for rule in line.runtimes
    ]
    return {"releases": releases, "runtimes": runtimes}


def matrix(release: Optional[str], fmt: str, knowledge: Optional[Knowledge] = None) -> str:
    db = knowledge or _knowledge.load()
    rows = matrix_rows(db, release)
    if fmt == "json":
        return (
            json.dumps(
                {
                    **rows,
                    "database": {
                        "source": db.info.source,
                        "fetched": db.info.fetched,
                        "policy": db.info.policy_source,
                    },
                },
                indent=2,
            )
            + "\n"
        )
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
    render = _markdown_table if fmt == "markdown" else _text_table
    return (
        render(release_cols, rows["releases"])
        + "\n"
        + render(runtime_cols, rows["runtimes"])
        + f"\nSource: {db.info.policy_source}; releases: {db.info.source}, {db.info.fetched}.\n"
    )


def _markdown_table(columns: Sequence[Any], rows: Sequence[Dict[str, str]]) -> str:
    out = [
        "| " + " | ".join(title for title, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        out.append(
            "| " + " | ".join(str(row[key]).replace("|", "\\|") for _, key in columns) + " |"
        )
    return "\n".join(out) + "\n"


def _text_table(columns: Sequence[Any], rows: Sequence[Dict[str, str]]) -> str:
    widths = [max([len(title)] + [len(str(r[key])) for r in rows]) for title, key in columns]
    out = ["  ".join(title.ljust(w) for (title, _), w in zip(columns, widths)).rstrip()]
    for row in rows:
        out.append(
            "  ".join(str(row[key]).ljust(w) for (_, key), w in zip(columns, widths)).rstrip()
        )
    return "\n".join(out) + "\n"


__all__ = ["Story", "explain", "matrix"]
