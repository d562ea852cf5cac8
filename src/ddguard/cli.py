"""``ddguard`` command line: parse arguments, call the facade, render, map errors to exit codes.

Only the chosen subcommand's parser is built (argparse's parsers cost more than a check).
Exit codes: 0 nothing refused, 1 something refused, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Callable, Dict, List, NoReturn, Optional, Sequence, TextIO

from ddguard import __version__
from ddguard.errors import DDGuardError

if TYPE_CHECKING:
    from ddguard.report import Style
    from ddguard.target import Target

EXIT_OK, EXIT_REFUSED, EXIT_INPUT = 0, 1, 2

EXIT_CODES = """\
exit codes:
  0  nothing refused (warnings and notes allowed)
  1  something refused
  2  bad usage or input (one line naming the file:line or the value)"""

ENVIRONMENT = """\
environment:
  DDGUARD_DB       a releases.json to use instead of the cache and the embedded snapshot
  XDG_CACHE_HOME   cache root (default ~/.cache): ddguard/releases.json from `db update`
  NO_COLOR, FORCE_COLOR, TERM=dumb   colour in text output (also --color)"""


class Command:
    """One subcommand: its one-line help, and how to build its parser when chosen."""

    def __init__(self, help: str, build: Callable[[argparse.ArgumentParser], None]) -> None:
        self.help = help
        self.build = build


def _formatter(prog: str) -> argparse.HelpFormatter:
    # An explicit width: argparse would import shutil (and bz2, lzma) to ask the terminal,
    # for every parser, though help is rarely printed.
    try:
        width = int(os.environ.get("COLUMNS", "")) - 2
    except ValueError:
        width = 98
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32, width=max(width, 40))


class _Parser(argparse.ArgumentParser):
    """argparse, with ddguard's one-line errors (exit 2) and did-you-mean for commands."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        out(f"ddguard: error: {message}\n", sys.stderr)
        raise SystemExit(EXIT_INPUT)


# --- shared flags ----------------------------------------------------------------------------


def add_target_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (default: the running interpreter; pip's flags)")
    group.add_argument(
        "--python-version",
        action="append",
        default=[],
        metavar="X.Y",
        help="Python version to judge for, like pip's (repeat for several targets)",
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
    group.add_argument(
        "--python",
        dest="interpreters",
        action="append",
        default=[],
        metavar="PATH",
        help="judge for another interpreter (a venv's or a container's python), like pip's and uv's --python",
    )


def add_output_flags(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument(
        "--format",
        choices=list(formats),
        default=formats[0],
        help="output format: " + ", ".join(formats) + f" (default {formats[0]})",
    )
    parser.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour in text output (auto: on a terminal, unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--compact", action="store_true", help="text: one line per result (for logs and grep)"
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="only refusals and errors")
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="also the facts that passed: files read, database"
    )


def add_judging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-source-build",
        action="store_true",
        help="accept releases that pip would build from source",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also refuse unknown releases and end-of-life lines"
    )


def targets_from_args(args: argparse.Namespace) -> List[Target]:
    from ddguard.target import Target

    targets = [Target.from_compact(text) for text in args.compact_targets]
    if args.interpreters:
        from ddguard.sources.interpreter import probe

        targets.extend(probe(path) for path in args.interpreters)
    pip_flags = args.python_version or args.implementation or args.abi or args.platform
    if pip_flags or not targets:
        for version in args.python_version or [None]:
            targets.append(
                Target.from_pip_flags(version, args.implementation, tuple(args.abi), tuple(args.platform))
            )
    return targets


def any_target_flag(args: argparse.Namespace) -> bool:
    return bool(
        args.python_version
        or args.implementation
        or args.abi
        or args.platform
        or args.compact_targets
        or args.interpreters
    )


def style_from_args(args: argparse.Namespace) -> Style:
    from ddguard.report import Style, terminal_width, use_color

    return Style(
        color=use_color(args.color),
        width=None if args.compact else terminal_width(),
        compact=args.compact,
        quiet=args.quiet,
        verbose=args.verbose,
    )


# --- check -------------------------------------------------------------------------------


def build_check(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Judge ddtrace requirements on interpreters and platforms: the release an installer\n"
        "would take, its line's support policy, Requires-Python and the wheels it publishes.\n\n"
        "Without a requirement, -r or --project, it reads the project in the current directory\n"
        "(pyproject.toml, lock files, requirements*.txt, ...), else the installed ddtrace."
    )
    parser.epilog = (
        "examples:\n"
        "  ddguard check ddtrace==1.20.19 --target cp312-manylinux_x86_64\n"
        "  ddguard check -r requirements.txt --python-version 3.12 --platform manylinux2014_x86_64\n"
        "  ddguard check --project . --format json\n\n" + EXIT_CODES + "\n\n" + ENVIRONMENT
    )
    parser.add_argument(
        "requirements", nargs="*", metavar="REQUIREMENT", help='e.g. "ddtrace==1.20.19" or ">=2,<3"'
    )
    parser.add_argument(
        "-r",
        "--requirement",
        dest="files",
        action="append",
        default=[],
        metavar="FILE",
        help="pip requirements or constraints file (repeatable)",
    )
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="PATH",
        help="project file or directory (pyproject.toml, lock files, ...)",
    )
    parser.add_argument(
        "--require-ddtrace", action="store_true", help="exit 1 when no ddtrace requirement is found"
    )
    parser.add_argument(
        "--integrations",
        action="store_true",
        help="also check installed (and, with -r/--project, pinned) versions of instrumented "
        "libraries against the ddtrace line's supported ranges",
    )
    parser.add_argument(
        "--targets",
        dest="target_choice",
        choices=["auto", "declared", "host"],
        default="auto",
        help="without target flags, judge the deployment targets the project's files declare "
        "(declared), the running interpreter (host), or the declared ones when there are any "
        "(auto, the default); see `ddguard targets`",
    )
    add_judging_flags(parser)
    add_output_flags(parser, ["text", "json", "markdown", "github", "html"])
    add_target_flags(parser)
    parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    from ddguard.api import CheckRequest, TargetChoice
    from ddguard.api import run_check as check
    from ddguard.model import Options
    from ddguard.report import Format, render

    report = check(
        CheckRequest(
            requirements=tuple(args.requirements),
            files=tuple(args.files),
            projects=tuple(args.project),
            targets=tuple(targets_from_args(args)) if any_target_flag(args) else (),
            options=Options(allow_source_build=args.allow_source_build, strict=args.strict),
            integrations=args.integrations,
            choice=TargetChoice(args.target_choice),
        )
    )
    out(render(report, Format(args.format), style_from_args(args)))
    if not report.ok:
        return EXIT_REFUSED
    if args.require_ddtrace and not report.results:
        return EXIT_REFUSED
    return EXIT_OK


# --- explain, matrix, constraints ------------------------------------------------------------


def build_explain(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Every fact ddguard has about one release (or the newest release of a range): its\n"
        "line and support level, Requires-Python, the wheels it publishes; with a target,\n"
        "the verdict there. Exits like `check` when a target is given."
    )
    parser.epilog = (
        "examples:\n"
        "  ddguard explain 1.20.19\n"
        '  ddguard explain "ddtrace>=2,<3" --target cp313-musllinux_aarch64\n\n' + EXIT_CODES
    )
    parser.add_argument("spec", metavar="SPEC", help='a release ("1.20.19") or requirement ("ddtrace>=2,<3")')
    add_output_flags(parser, ["text", "json"])
    add_target_flags(parser)
    parser.set_defaults(run=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    from ddguard.api import explain
    from ddguard.report.tables import explain_json, explain_text

    targets = targets_from_args(args) if any_target_flag(args) else []
    story = explain(args.spec, targets)
    if args.format == "json":
        import json

        out(json.dumps(explain_json(story), indent=2, ensure_ascii=False) + "\n")
    else:
        out(explain_text(story, style_from_args(args)))
    return EXIT_REFUSED if any(r.refused for r in story.verdicts) else EXIT_OK


def build_matrix(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The compatibility tables of every release line: support levels and dates, and the\n"
        "CPython versions each line supports per OS and CPU."
    )
    parser.epilog = (
        "examples:\n  ddguard matrix\n  ddguard matrix --release '>=2' --format markdown\n"
        "  ddguard matrix --format html > ddtrace-matrix.html\n\n" + EXIT_CODES
    )
    parser.add_argument("--release", metavar="SPEC", help="only the lines this specifier touches")
    parser.add_argument(
        "--format",
        choices=["text", "json", "markdown", "html"],
        default="text",
        help="output format: text, json, markdown, or html (one self-contained page: lines x "
        "CPython versions x platforms, coloured by verdict; default text)",
    )
    parser.set_defaults(run=run_matrix)


def run_matrix(args: argparse.Namespace) -> int:
    if args.format == "html":
        from ddguard.api import matrix_grid
        from ddguard.report.html import render_matrix_html

        out(render_matrix_html(*matrix_grid()))
        return EXIT_OK
    from ddguard.api import matrix
    from ddguard.report.tables import render_matrix

    out(render_matrix(matrix(args.release), args.format))
    return EXIT_OK


def build_constraints(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The compatibility matrix as a pip constraints file (or [tool.uv] settings) that\n"
        "refuses incompatible ddtrace releases before anything is downloaded. Without target\n"
        "flags it covers every CPython of the matrix on manylinux, macOS and Windows; with\n"
        "them, one rule per target."
    )
    parser.epilog = (
        "examples:\n"
        "  ddguard constraints > ddtrace-constraints.txt\n"
        "  PIP_CONSTRAINT=ddtrace-constraints.txt pip install -r requirements.txt\n"
        "  ddguard constraints --format uv\n\n" + EXIT_CODES
    )
    parser.add_argument(
        "--format",
        choices=["pip", "uv"],
        default="pip",
        help="pip: a constraints file; uv: [tool.uv] constraint-dependencies (default pip)",
    )
    parser.add_argument(
        "--allow-source-build", action="store_true", help="keep releases that would be built from source"
    )
    add_target_flags(parser)
    parser.set_defaults(run=run_constraints)


def run_constraints(args: argparse.Namespace) -> int:
    from ddguard.api import constraint_rules
    from ddguard.report.tables import render_constraints

    targets = targets_from_args(args) if any_target_flag(args) else []
    rules, db = constraint_rules(targets, allow_source_build=args.allow_source_build)
    out(render_constraints(db, rules, args.format, targets, args.allow_source_build))
    return EXIT_OK


# --- fix ---------------------------------------------------------------------------------------


def build_fix(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Rewrite every ddtrace requirement that `ddguard check` (with the same arguments)\n"
        "refuses, in place, to the smallest change that passes on every target in play: the\n"
        "newest release of the same minor, else of the same line, else of the oldest\n"
        "supported line that works, else the newest. The requirement keeps its shape (==\n"
        "stays ==, ranges keep their operators, Poetry stays Poetry), its extras and markers,\n"
        "and every other byte of the file. Lock files are not edited: the command that\n"
        "refreshes them is printed."
    )
    parser.epilog = (
        "examples:\n"
        "  ddguard fix --dry-run                       # the diff; exit 1 when something would change\n"
        "  ddguard fix                                 # rewrite, judged on the declared targets\n"
        "  ddguard fix -r requirements.txt --target cp312-manylinux_x86_64 --split\n\n"
        "exit codes:\n"
        "  0  every refused requirement was fixed (--dry-run: nothing would change)\n"
        "  1  some could not be fixed, each named (--dry-run: something would change)\n"
        "  2  bad usage or input"
    )
    parser.add_argument(
        "-r", "--requirement", dest="files", action="append", default=[], metavar="FILE",
        help="a requirements or constraints file to fix (repeatable)",
    )
    parser.add_argument(
        "--project", default=None, metavar="DIR",
        help="the project directory (default: here); files outside it are never edited",
    )
    parser.add_argument("--dry-run", action="store_true", help="print a unified diff instead of writing")
    parser.add_argument(
        "--split", action="store_true",
        help="when no release works on every target, write the marker-split form "
        '(ddtrace==1.20.19; python_version < "3.12" and ddtrace>=2.0.0; python_version >= "3.12")',
    )
    parser.add_argument(
        "--targets", dest="target_choice", choices=["auto", "declared", "host"], default="auto",
        help="without target flags: the declared deployment targets when there are any (auto)",
    )
    add_judging_flags(parser)
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format: text, json (default text)")
    add_target_flags(parser)
    parser.set_defaults(run=run_fix)


def run_fix(args: argparse.Namespace) -> int:
    from ddguard.api import CheckRequest, TargetChoice, apply_fix, plan_fix
    from ddguard.model import Options
    from ddguard.report.fix import render_fix

    root = args.project or "."
    plan = plan_fix(
        CheckRequest(
            files=tuple(args.files),
            projects=(root,) if not args.files else (),
            targets=tuple(targets_from_args(args)) if any_target_flag(args) else (),
            options=Options(allow_source_build=args.allow_source_build, strict=args.strict),
            choice=TargetChoice(args.target_choice),
            installed_fallback=False,
        ),
        root,
        split=args.split,
    )
    written: tuple = () if args.dry_run else apply_fix(plan)  # type: ignore[type-arg]
    out(render_fix(plan, args.format, dry_run=args.dry_run, written=written))
    if args.dry_run:
        return EXIT_REFUSED if plan.changes or plan.unfixed else EXIT_OK
    return EXIT_REFUSED if plan.unfixed else EXIT_OK


# --- targets -------------------------------------------------------------------------------


def build_targets(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List the deployment targets a project's files declare, with file:line: Dockerfiles,\n"
        "GitHub Actions and GitLab CI, .python-version, runtime.txt, .tool-versions, AWS SAM /\n"
        "CloudFormation, serverless.yml, App Engine, AWS CDK (Python), Terraform, tox,\n"
        "Pipfile and [tool.ddguard] targets. Facts a file does not state stay unknown.\n"
        "`ddguard check` judges these targets by default."
    )
    parser.epilog = (
        "examples:\n  ddguard targets\n  ddguard targets --project services/api --format json\n"
        "  ddguard targets --file Dockerfile.prod\n\n" + EXIT_CODES
    )
    parser.add_argument("--project", default=".", metavar="DIR", help="the project directory (default: here)")
    parser.add_argument(
        "--file",
        dest="target_files",
        action="append",
        default=[],
        metavar="FILE",
        help="read this deployment file only (a broken one is an error, exit 2)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="output format: text, json, markdown (default text)",
    )
    parser.set_defaults(run=run_targets)


def run_targets(args: argparse.Namespace) -> int:
    from ddguard.api import deployment, deployment_of_files
    from ddguard.report.targets import render_targets

    found = deployment_of_files(args.project, args.target_files) if args.target_files else deployment(args.project)
    out(render_targets(found, args.format))
    return EXIT_OK


# --- db ----------------------------------------------------------------------------------------


def build_db(parser: argparse.ArgumentParser) -> None:
    parser.description = "Refresh, reset or describe the release database (default: status)."
    parser.epilog = (
        "examples:\n  ddguard db status\n  ddguard db update\n  ddguard db update --from ddtrace.json\n"
        "  ddguard db reset\n\n" + EXIT_CODES + "\n\nenvironment:\n"
        "  DDGUARD_INDEX_URL, PIP_INDEX_URL   the index to read (else pip's configuration files)\n"
        "  PIP_CERT, REQUESTS_CA_BUNDLE       CA bundle for the index\n"
        "  DDGUARD_DB                         a database file that overrides the cache"
    )
    parser.set_defaults(run=run_db_status)
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    update = actions.add_parser(
        "update",
        help="refresh from the package index's JSON API into the user cache",
        formatter_class=_formatter,
    )
    update.add_argument("--from", dest="from_file", metavar="FILE", help="a saved copy of the index's JSON")
    update.add_argument(
        "--force",
        action="store_true",
        help="replace the user copy even when it is broken or claims newer releases",
    )
    update.set_defaults(run=run_db_update)
    reset = actions.add_parser("reset", help="remove the user copy: the embedded snapshot serves again")
    reset.set_defaults(run=run_db_reset)
    status = actions.add_parser("status", help="which database is in use, and how old")
    status.set_defaults(run=run_db_status)


def run_db_update(args: argparse.Namespace) -> int:
    from ddguard.knowledge import store
    from ddguard.report.tables import render_update

    progress = _progress if sys.stderr.isatty() else None
    result = store.update(args.from_file, force=args.force, progress=progress)
    out(render_update(result, os.environ.get("DDGUARD_DB")))
    return EXIT_OK


def _progress(stage: object) -> None:
    out(f"ddguard: {getattr(stage, 'value', stage)}…\n", sys.stderr)
    sys.stderr.flush()


def run_db_reset(args: argparse.Namespace) -> int:
    from ddguard.knowledge import store
    from ddguard.report.tables import render_reset

    out(render_reset(store.reset()))
    return EXIT_OK


def run_db_status(args: argparse.Namespace) -> int:
    from ddguard.knowledge import store
    from ddguard.report.tables import render_status

    out(render_status(store.status()))
    return EXIT_OK


COMMANDS: Dict[str, Command] = {
    "check": Command("check ddtrace requirements (default: the project here, else the installed ddtrace)", build_check),
    "explain": Command("every fact about one release or range", build_explain),
    "matrix": Command("the compatibility tables, for every release line", build_matrix),
    "constraints": Command("a pip constraints file (or uv settings) that refuses incompatible releases", build_constraints),
    "fix": Command("rewrite refused ddtrace requirements in place (smallest change that works)", build_fix),
    "targets": Command("the deployment targets the project's files declare", build_targets),
    "db": Command("refresh, reset or describe the release database", build_db),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The top-level parser; only the subcommand named in ``argv`` is built in full."""
    parser = _Parser(
        prog="ddguard",
        description="Check that a ddtrace release works on an interpreter and platform.",
        epilog=EXIT_CODES,
        formatter_class=_formatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"ddguard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = _chosen(argv)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, formatter_class=_formatter)
        if name == chosen:
            command.build(sub)
            parser.set_defaults(chosen_parser=sub)
    return parser


def _chosen(argv: Sequence[str]) -> Optional[str]:
    for token in argv:
        if not token.startswith("-"):
            return token
    return None


def _unknown_command(argv: Sequence[str]) -> Optional[str]:
    """``ddguard chek``: the one-line error with the nearest command."""
    chosen = _chosen(argv)
    if chosen is None or chosen in COMMANDS:
        return None
    import difflib

    near = difflib.get_close_matches(chosen, list(COMMANDS), n=1)
    hint = f": did you mean `{near[0]}`?" if near else f": choose one of {', '.join(COMMANDS)}"
    return f"unknown command {chosen[:40]!r}{hint}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    problem = _unknown_command(arguments)
    if problem is not None:
        sys.stderr.write(f"usage: ddguard COMMAND ...\nddguard: error: {problem}\n")
        return EXIT_INPUT
    parser = build_parser(arguments)
    try:
        args, unknown = parser.parse_known_args(arguments)
        if unknown:  # the subcommand's usage, not the top-level one
            owner = getattr(args, "chosen_parser", None) or parser
            owner.error(f"unrecognized arguments: {' '.join(unknown)[:200]}")
    except SystemExit as exit:
        return int(exit.code or 0) if isinstance(exit.code, int) else EXIT_INPUT
    run: Optional[Callable[[argparse.Namespace], int]] = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        return run(args)
    except DDGuardError as exc:
        out(f"ddguard: error: {_one_line(str(exc))}\n", sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except RecursionError:
        sys.stderr.write("ddguard: error: input nested too deeply\n")
        return EXIT_INPUT


def console() -> None:
    """The ``ddguard`` command (and ``python -m ddguard``): :func:`main`, then an exit
    that skips the interpreter's last garbage collection over the verdict and walk caches
    (a sixth of a ``constraints`` run; the process ends anyway)."""
    code = main()
    import gc

    if hasattr(gc, "freeze"):  # CPython
        gc.freeze()
    sys.exit(code)


def _one_line(text: str) -> str:
    from ddguard.report.words import clean

    return clean(" ".join(text.split()))


_ASCII = str.maketrans({"–": "-", "—": "-", "→": "->", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "×": "x"})


def out(text: str, stream: Optional[TextIO] = None) -> None:
    """Write ``text``; on a stream that cannot encode it (PYTHONIOENCODING=ascii, a C
    locale), with ASCII punctuation and ``?`` for the rest, never a UnicodeEncodeError."""
    stream = stream or sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.translate(_ASCII).encode(encoding, "replace").decode(encoding))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
