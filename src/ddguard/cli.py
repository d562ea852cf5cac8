"""``ddguard`` command line: parse arguments, call the core, render, map errors to exit codes.

Exit codes: 0 nothing refused, 1 something refused, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Set, Tuple, TypeVar, Union

from ddguard import __version__
from ddguard.errors import DDGuardError

if TYPE_CHECKING:
    from ddguard.pins import Pin
    from ddguard.target import Target

EXIT_OK, EXIT_REFUSED, EXIT_INPUT = 0, 1, 2


def add_target_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (default: the running interpreter; pip's flags)")
    group.add_argument(
        "--python-version",
        action="append",
        default=[],
        metavar="X.Y",
        help="Python version to check for, like pip's (repeat for several targets)",
    )
    group.add_argument("--implementation", metavar="IMPL", help="cp, pp, gp... like pip's")
    group.add_argument(
        "--abi", action="append", default=[], metavar="ABI", help="cp312, cp313t... (repeatable)"
    )
    group.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="TAG",
        help="wheel platform tag, e.g. manylinux2014_x86_64, musllinux_1_2_aarch64, "
        "macosx_11_0_arm64, win_amd64 (repeatable, pip's expansion)",
    )
    group.add_argument(
        "--target",
        dest="compact_targets",
        action="append",
        default=[],
        metavar="T",
        help="compact target, e.g. cp312-manylinux_x86_64 (repeatable; one row per target)",
    )


def targets_from_args(args: argparse.Namespace) -> List[Target]:
    from ddguard.target import Target

    targets = [Target.from_compact(text) for text in args.compact_targets]
    pip_flags = args.python_version or args.implementation or args.abi or args.platform
    if pip_flags or not targets:
        for version in args.python_version or [None]:
            targets.append(
                Target.from_pip_flags(
                    version, args.implementation, tuple(args.abi), tuple(args.platform)
                )
            )
    return targets


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ddguard",
        description="Check that a ddtrace release works on an interpreter and platform.",
    )
    parser.add_argument("--version", action="version", version=f"ddguard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check", help="check ddtrace requirements (default: the installed ddtrace)"
    )
    check.add_argument(
        "requirements", nargs="*", metavar="REQUIREMENT", help='e.g. "ddtrace==1.20.19"'
    )
    check.add_argument(
        "-r",
        "--requirement",
        dest="files",
        action="append",
        default=[],
        metavar="FILE",
        help="pip requirements or constraints file (repeatable)",
    )
    check.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="PATH",
        help="project file or directory (pyproject.toml, lock files, ...)",
    )
    check.add_argument(
        "--require-ddtrace", action="store_true", help="exit 1 when no ddtrace requirement is found"
    )
    check.add_argument(
        "--allow-source-build",
        action="store_true",
        help="accept releases that would be built from source",
    )
    check.add_argument(
        "--strict", action="store_true", help="also refuse unknown releases and end-of-life lines"
    )
    check.add_argument("--format", choices=["text", "json", "markdown", "github"], default="text")
    check.add_argument(
        "--integrations",
        action="store_true",
        help="also check installed (and, with -r/--project, pinned) versions of instrumented "
        "libraries against the ddtrace line's supported ranges",
    )
    add_target_flags(check)
    check.set_defaults(run=run_check)

    explain = commands.add_parser("explain", help="the whole story of one release or range")
    explain.add_argument(
        "spec", metavar="SPEC", help='a release ("1.20.19") or requirement ("ddtrace>=2,<3")'
    )
    explain.add_argument("--format", choices=["text", "json"], default="text")
    add_target_flags(explain)
    explain.set_defaults(run=run_explain)

    matrix = commands.add_parser("matrix", help="the compatibility tables, for every release line")
    matrix.add_argument("--release", metavar="SPEC", help="only the lines this specifier touches")
    matrix.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    matrix.set_defaults(run=run_matrix)

    constraints = commands.add_parser(
        "constraints",
        help="the matrix as a pip constraints file (or [tool.uv] settings) that refuses "
        "incompatible ddtrace releases",
    )
    constraints.add_argument("--format", choices=["pip", "uv"], default="pip")
    constraints.add_argument(
        "--allow-source-build",
        action="store_true",
        help="keep releases that would be built from source",
    )
    add_target_flags(constraints)
    constraints.set_defaults(run=run_constraints)

    db = commands.add_parser("db", help="refresh or describe the release database")
    db.set_defaults(run=run_db_status)
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_update = db_commands.add_parser(
        "update", help="refresh from the package index's JSON API into the user cache"
    )
    db_update.add_argument(
        "--from", dest="from_file", metavar="FILE", help="a saved copy of the index's JSON"
    )
    db_update.set_defaults(run=run_db_update)
    db_status = db_commands.add_parser("status", help="which database is in use, and how old")
    db_status.set_defaults(run=run_db_status)
    return parser


_Item = TypeVar("_Item", "str", "Pin", "Union[str, Pin]")


def run_check(args: argparse.Namespace) -> int:
    from ddguard.api import check
    from ddguard.report import RENDERERS, Format

    targets = targets_from_args(args)
    items: List[Union[str, Pin]] = list(args.requirements)
    notes: List[str] = []
    found_pins = bool(items)
    projects = list(args.project)
    if not (items or args.files or projects):
        from ddguard.pins import find_project_files

        if find_project_files("."):
            projects = ["."]
    others: List[Pin] = []  # integration-package pins, read in the same pass (--integrations)
    if args.files or projects:
        from ddguard import pins

        names = None
        if args.integrations:
            from ddguard.integration_check import scan_names, split_ddtrace

            names = scan_names()
        for path in args.files:
            found = pins.read_requirements_file(path, names)
            if names:
                found, more = split_ddtrace(found)
                others.extend(more)
            items.extend(found)
            found_pins = found_pins or bool(found)
            if not found:
                notes.append(f"no ddtrace requirement found in {path}")
        for path in projects:
            scan = pins.scan_project(path, names)
            if names:
                found, more = split_ddtrace(scan.pins)
                others.extend(more)
                scan = replace(scan, pins=tuple(found))
            items.extend(scan.pins)
            notes.extend(scan.notes)
            found_pins = found_pins or bool(scan.pins)
            if not scan.pins:
                notes.append(f"no ddtrace requirement found in {path}")
            elif scan.python_range is not None and str(scan.python_range):
                from ddguard.api import python_range_notes

                notes.extend(
                    python_range_notes(
                        scan.pins,
                        scan.python_range,
                        targets,
                        allow_source_build=args.allow_source_build,
                        strict=args.strict,
                    )
                )
        items = _unique(items)  # `-r requirements.txt --project .` reads that file twice
        others = _unique(others)
    elif not items:
        installed = _installed_ddtrace_version()
        if installed is None:
            notes.append("ddtrace is not installed in this environment: nothing to check")
        else:
            items.append(f"ddtrace=={installed}")
    report = check(items, targets, allow_source_build=args.allow_source_build, strict=args.strict)
    if notes:
        report = replace(report, notes=tuple(notes))
    if args.integrations:
        from ddguard.integration_check import findings_for

        report = findings_for(report, pins=others, strict=args.strict)
    sys.stdout.write(RENDERERS[Format(args.format)](report))
    if not report.ok:
        return EXIT_REFUSED
    if args.require_ddtrace and not (report.results or found_pins):
        return EXIT_REFUSED
    return EXIT_OK


def _unique(items: List[_Item]) -> List[_Item]:
    """Drop a pin met again at the same file and line (however the path was spelled)."""
    seen: Set[Tuple[str, str, str]] = set()
    kept: List[_Item] = []
    for item in items:
        if not isinstance(item, str):
            path, sep, line = item.source.rpartition(":")
            key = (os.path.realpath(path), line, item.name) if sep else (item.source, "", "")
            if key in seen:
                continue
            seen.add(key)
        kept.append(item)
    return kept


def _installed_ddtrace_version() -> Optional[str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ddtrace")
    except PackageNotFoundError:
        return None


def run_explain(args: argparse.Namespace) -> int:
    from ddguard.explain import explain

    targets = targets_from_args(args) if _any_target_flag(args) else []
    story = explain(args.spec, targets)
    if args.format == "json":
        sys.stdout.write(json.dumps(story.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(story.as_text())
    return EXIT_OK


def _any_target_flag(args: argparse.Namespace) -> bool:
    return bool(
        args.python_version
        or args.implementation
        or args.abi
        or args.platform
        or args.compact_targets
    )


def run_matrix(args: argparse.Namespace) -> int:
    from ddguard.explain import matrix

    sys.stdout.write(matrix(args.release, args.format))
    return EXIT_OK


def run_constraints(args: argparse.Namespace) -> int:
    from ddguard import constraints as c
    from ddguard.knowledge import load

    db = load()
    fmt = c.ConstraintFormat(args.format)
    if _any_target_flag(args):
        targets = targets_from_args(args)
        rules = c.rules_for_targets(db, targets, allow_source_build=args.allow_source_build)
    else:
        targets = []
        rules = c.matrix_rules(db, allow_source_build=args.allow_source_build)
    sys.stdout.write(
        c.render(db, rules, fmt, targets=targets, allow_source_build=args.allow_source_build)
    )
    return EXIT_OK


def run_db_update(args: argparse.Namespace) -> int:
    from ddguard import db

    result = db.update(args.from_file)
    print(f"updated {result.path}: {result.releases} releases, newest {result.newest}")
    print(f"compared with {result.previous}:")
    for line in result.changes.lines():
        print(f"  {line}")
    override = os.environ.get("DDGUARD_DB")
    if override:
        print(f"note: DDGUARD_DB={override} is in use instead; unset it to use this update")
    return EXIT_OK


def run_db_status(args: argparse.Namespace) -> int:
    from ddguard import db

    state = db.status()
    sys.stdout.write(state.as_text())
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Optional[Callable[[argparse.Namespace], int]] = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        return run(args)
    except DDGuardError as exc:
        print(f"ddguard: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
