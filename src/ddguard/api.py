"""The facade every entry point calls: requirements and project files in, a Report out.

>>> import ddguard
>>> report = ddguard.check(["ddtrace==1.20.19"], ddguard.Target.from_compact("cp312-manylinux_x86_64"))
>>> report.ok
False
"""

from __future__ import annotations

import enum
from typing import (
    TYPE_CHECKING,
    Callable,
    Collection,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from ddguard import knowledge as _knowledge
from ddguard.errors import InputError
from ddguard.model import (
    Explanation,
    MatrixCell,
    Note,
    NoteCode,
    Options,
    Origin,
    OriginKind,
    Pin,
    Reference,
    ReferenceKind,
    Report,
    Result,
    Scan,
)
from ddguard.record import Record
from ddguard.target import Target

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

    from ddguard.evaluate.rewrite import Choice
    from ddguard.knowledge import Knowledge
    from ddguard.model.deployment import Deployment
    from ddguard.model.fixes import FixPlan
    from ddguard.writers import Decision as WriterDecision

__all__ = ["Report", "check", "judge"]

Requirement = Union[str, Pin]
ARGUMENT = Origin(OriginKind.ARGUMENT)


def check(
    requirements: Iterable[Requirement],
    target: Union[Target, Sequence[Target], None] = None,
    *,
    allow_source_build: bool = False,
    strict: bool = False,
    knowledge: Optional[Knowledge] = None,
) -> Report:
    """Judge each ddtrace requirement (strings like ``"ddtrace>=2,<3"``, or Pins read from
    project files) on each target (default: the running interpreter)."""
    targets = _targets(target)
    pins = [requirement_pin(r) if isinstance(r, str) else r for r in requirements]
    options = Options(allow_source_build=allow_source_build, strict=strict)
    return Report(targets=targets, results=judge(pins, targets, options, knowledge))


def judge(
    pins: Sequence[Pin],
    targets: Sequence[Target],
    options: Options = Options(),
    knowledge: Optional[Knowledge] = None,
) -> Tuple[Result, ...]:
    """One result per pin and target whose marker applies, in pin order."""
    from ddguard.evaluate.requirement import applies
    from ddguard.evaluate.requirement import judge as judge_pin

    db = knowledge or _knowledge.load()
    return tuple(
        judge_pin(db, pin, each, options) for pin in pins for each in targets if applies(pin, each)
    )


def refusals(report: Report) -> List[str]:
    """The paragraph of every refused result (what a host prints when it refuses)."""
    from ddguard.report import paragraph

    return [paragraph(r) for r in report.results if r.refused]


# --- requirements given as text ------------------------------------------------------------


def requirement_pin(text: str, origin: Origin = ARGUMENT) -> Pin:
    """A requirement given on the command line or to :func:`check`: ``ddtrace==2.8.5``,
    ``2.8.5`` (a release), ``>=2,<3`` (a range), or a direct reference; anything not naming
    ddtrace is bad input."""
    stripped = text.strip()
    if not stripped:
        raise InputError("empty requirement: name a release (ddtrace==2.21.12) or a range")
    if len(stripped) > 4096:
        raise InputError(f"requirement too long ({len(stripped)} characters)")
    if stripped[0].isdigit():
        stripped = f"ddtrace=={stripped}"
    elif stripped[0] in "<>=!~":
        stripped = f"ddtrace{stripped}"
    plain = _plain_specifier(stripped)
    if plain is not None:
        return Pin(text=text.strip(), specifier=plain, origin=origin, name=stripped[:7])
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    try:
        parsed = Parsed(stripped)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0][:200]
        raise InputError(f"cannot read requirement {_shown(text)}: {reason}") from None
    if canonicalize_name(parsed.name) != "ddtrace":
        raise InputError(f"{_shown(text)} is not a ddtrace requirement: ddguard checks ddtrace only")
    reference = _reference(parsed.url) if parsed.url else None
    specifier = parsed.specifier
    if reference is not None:
        specifier = SpecifierSet(f"=={reference.version}") if reference.version else SpecifierSet()
    return Pin(
        text=text.strip(),
        specifier=specifier,
        origin=origin,
        name=parsed.name,
        marker=parsed.marker,
        extras=frozenset(canonicalize_name(e) for e in parsed.extras),
        reference=reference,
    )


def _shown(text: str) -> str:
    shown = repr(text.strip())
    return shown if len(shown) <= 80 else shown[:60] + "…" + shown[-10:]


def _plain_specifier(text: str) -> Optional[SpecifierSet]:
    """``ddtrace==1.20.19`` without extras, markers or URL, read without packaging's
    requirement parser (whose import costs more than a whole check)."""
    if text[:7].lower() != "ddtrace" or any(c in text for c in ";@[("):
        return None
    rest = text[7:].strip()
    if rest[:1] not in ("", "<", ">", "=", "!", "~"):
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(rest)
    except InvalidSpecifier:
        return None  # the full parser says what is wrong


def _reference(url: str) -> Reference:
    """A direct reference: its version when the URL names a wheel or sdist file."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    if url.startswith(("git+", "hg+", "svn+", "bzr+")):
        return Reference(ReferenceKind.VCS, url)
    name = url.rsplit("/", 1)[-1].split("#", 1)[0].split("?", 1)[0]
    kind = ReferenceKind.PATH if url.startswith("file:") else ReferenceKind.URL
    try:
        if name.endswith(".whl"):
            _, version, _, tags = parse_wheel_filename(name)
            return Reference(kind, url, str(version), tuple(sorted(str(t) for t in tags)))
        _, version = parse_sdist_filename(name)
        return Reference(kind, url, str(version))
    except (InvalidWheelFilename, InvalidSdistFilename):
        return Reference(kind, url)


def _targets(target: Union[Target, Sequence[Target], None]) -> Tuple[Target, ...]:
    if target is None:
        return (Target.from_host(),)
    if isinstance(target, Target):
        return (target,)
    return tuple(target) or (Target.from_host(),)


# --- a project's Python range ----------------------------------------------------------------


def python_range_notes(
    pins: Sequence[Pin],
    admits: Callable[[str], bool],
    range_text: str,
    targets: Sequence[Target],
    options: Options = Options(),
    knowledge: Optional[Knowledge] = None,
) -> Tuple[Note, ...]:
    """For each pin and platform: the CPython versions inside the project's Python range
    on which it is refused (``ddtrace==1.20.19`` under ``>=3.8`` breaks on 3.12+)."""
    from ddguard.evaluate.python_range import judge_python_range

    db = knowledge or _knowledge.load()
    notes = []
    for finding in judge_python_range(db, pins, admits, targets, options):
        broken = _merge(finding.broken)
        notes.append(
            Note(
                NoteCode.PYTHON_RANGE,
                path=finding.pin.origin.path,
                line=finding.pin.origin.line,
                text=" ".join(range_text.split()),
                pin=finding.pin,
                pythons=broken,
                target=finding.target,
                marker=finding.marker,
            )
        )
    return tuple(notes)


def specifier_admits(specifier: SpecifierSet) -> Callable[[str], bool]:
    return lambda version: specifier.contains(version, prereleases=True)


def _merge(minors: Sequence[Tuple[int, int]]) -> Tuple[Tuple[Tuple[int, int], Optional[Tuple[int, int]]], ...]:
    from ddguard.evaluate.release import merge_minors

    return merge_minors(list(minors))


# --- checks of a whole invocation (the CLI's `check`) ----------------------------------------


class TargetChoice(str, enum.Enum):
    """``check --targets``: which targets to judge when none is given with flags."""

    HOST = "host"  # the running interpreter
    DECLARED = "declared"  # the deployment targets the project's files declare
    AUTO = "auto"  # declared ones when the project declares any, else the host


class CheckRequest(Record):
    requirements: Tuple[str, ...] = ()
    files: Tuple[str, ...] = ()
    projects: Tuple[str, ...] = ()
    targets: Tuple[Target, ...] = ()  # given with flags: judged, nothing else
    options: Options = Options()
    integrations: bool = False
    installed_fallback: bool = True  # no requirement and no project: the installed ddtrace
    choice: TargetChoice = TargetChoice.AUTO


def run_check(request: CheckRequest, knowledge: Optional[Knowledge] = None) -> Report:
    """What ``ddguard check`` does: the requirements given, the files and projects named
    (else the current directory's project, else the installed ddtrace), on every target."""
    from ddguard import sources

    db = knowledge or _knowledge.load()
    pins: List[Pin] = [requirement_pin(text) for text in request.requirements]
    notes: List[Note] = []
    files: List[str] = []
    projects = list(request.projects)
    if not (pins or request.files or projects) and sources.find_project_files("."):
        projects = ["."]
    targets, declared_by, target_notes = _choose_targets(request, projects)
    notes.extend(target_notes)
    names: Optional[Collection[str]] = None
    if request.integrations:
        from ddguard.evaluate.integrations import scan_names

        names = scan_names()
    others: List[Pin] = []

    def take(scan: Scan, path: str) -> List[Pin]:
        found, more = _split(scan.pins)
        others.extend(more)
        pins.extend(found)
        notes.extend(scan.notes)
        files.extend(scan.files)
        if not found:
            notes.append(Note(NoteCode.NO_DDTRACE_IN, path=path))
        return found

    for path in request.files:
        take(sources.read_requirements_file(path, names), path)
    for path in projects:
        scan = sources.scan_project(path, names)
        found = take(scan, path)
        if found and scan.python_range is not None and str(scan.python_range):
            notes.extend(
                python_range_notes(
                    found,
                    specifier_admits(scan.python_range),
                    scan.python_range_text or str(scan.python_range),
                    targets,
                    request.options,
                    db,
                )
            )
    pins = _unique(pins)
    if not pins and not request.files and not projects and request.installed_fallback:
        installed = installed_ddtrace()
        if installed is None:
            notes.append(Note(NoteCode.NOTHING_TO_CHECK))
        else:
            pins.append(Pin(text=f"ddtrace=={installed}", specifier=_exact(installed), origin=Origin(OriginKind.INSTALLED)))
    results = judge(pins, targets, request.options, db)
    if declared_by:
        results = tuple(r._replace(declared_by=declared_by.get(r.target, ())) for r in results)
    report = Report(
        targets=tuple(targets),
        results=results,
        notes=tuple(notes),
        files=tuple(dict.fromkeys(files)),
    )
    if request.integrations:
        from ddguard.evaluate.integrations import findings_for

        report = findings_for(report, pins=_unique(others), strict=request.options.strict)
    return report


def _choose_targets(
    request: CheckRequest, projects: Sequence[str]
) -> Tuple[Tuple[Target, ...], Dict[Target, Tuple[str, ...]], List[Note]]:
    """The targets of a check: the flags' targets; else the host, or the deployment
    targets of the projects read (``--targets``), with the files declaring each."""
    import os

    if request.targets:
        return request.targets, {}, []
    if request.choice is TargetChoice.HOST:
        return (Target.from_host(),), {}, []
    roots = [p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in projects]
    if not roots and request.choice is TargetChoice.DECLARED:
        roots = ["."]
    declared_by: Dict[Target, Tuple[str, ...]] = {}
    notes: List[Note] = []
    for root in dict.fromkeys(roots):
        found = deployment(root)
        notes.extend(found.notes)
        for target, where in found.targets:
            paths = tuple(os.path.join(root, w) if root != "." else w for w in where)
            declared_by[target] = tuple(dict.fromkeys(declared_by.get(target, ()) + paths))
    if declared_by:
        return tuple(declared_by), declared_by, notes
    if request.choice is TargetChoice.DECLARED:
        notes.append(Note(NoteCode.NO_DEPLOYMENT_TARGETS, path=roots[0] if roots else "."))
    return (Target.from_host(),), {}, notes


def _exact(version: str) -> SpecifierSet:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(f"=={version}")
    except InvalidSpecifier:
        return SpecifierSet()


def _split(pins: Sequence[Pin]) -> Tuple[List[Pin], List[Pin]]:
    """(ddtrace pins, pins of other packages) of one scan."""
    ours: List[Pin] = []
    others: List[Pin] = []
    for pin in pins:
        (ours if _canonical(pin.name) == "ddtrace" else others).append(pin)
    return ours, others


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def _unique(pins: List[Pin]) -> List[Pin]:
    """Drop a pin met again at the same file and line (however the path was spelled)."""
    import os

    seen = set()
    kept: List[Pin] = []
    for pin in pins:
        origin = pin.origin
        if origin.path is not None:
            key = (os.path.realpath(origin.path), origin.line, _canonical(pin.name))
            if key in seen:
                continue
            seen.add(key)
        kept.append(pin)
    return kept


def installed_ddtrace() -> Optional[str]:
    """The version of the ddtrace installed for this interpreter, if any."""
    from ddguard.sources.installed import versions

    return versions().get("ddtrace")


# --- explain, matrix, constraints --------------------------------------------------------------


def explain(spec: str, targets: Sequence[Target], knowledge: Optional[Knowledge] = None) -> Explanation:
    """The facts of the release ``spec`` names (or every release of a range), and the
    verdict on each target."""
    from ddguard.evaluate.pick import releases_in

    db = knowledge or _knowledge.load()
    pin = requirement_pin(spec)
    if pin.unknown:
        raise InputError(f"{_shown(spec)} is a reference, not a release: name a version or a range")
    releases = releases_in(db, pin.specifier)
    if not releases:
        from ddguard.evaluate.pick import exact_version

        pinned = exact_version(pin.specifier)
        newer = pinned is not None and pinned > db.newest.version
        raise InputError(
            f"no ddtrace release in the database matches {_shown(spec)} "
            f"(it knows {db.releases[0].version} to {db.newest.version}, snapshot of {db.info.fetched})"
            + (": refresh it with `ddguard db update`" if newer else "")
        )
    return Explanation(spec, tuple(releases), db, judge([pin], targets, Options(), db))


def matrix(release: Optional[str] = None, knowledge: Optional[Knowledge] = None) -> Tuple[Knowledge, Tuple[object, ...]]:
    """The release lines (newest first) the ``release`` specifier touches (all by default)."""
    from packaging.specifiers import SpecifierSet

    db = knowledge or _knowledge.load()
    lines = tuple(db.lines)
    if release:
        spec = requirement_pin(release).specifier
        lines = tuple(
            line
            for line in lines
            if db.releases_in(spec & SpecifierSet(f">={line.major}.0,<{line.major + 1}"), prereleases=True)
        )
    return db, lines


def constraint_rules(
    targets: Sequence[Target], *, allow_source_build: bool = False, knowledge: Optional[Knowledge] = None
) -> Tuple[list, Knowledge]:  # type: ignore[type-arg]
    """The constraint rules for ``targets``, or for the whole matrix when none are given."""
    from ddguard.evaluate import constraints

    db = knowledge or _knowledge.load()
    if targets:
        return constraints.rules_for_targets(db, targets, allow_source_build=allow_source_build), db
    return constraints.matrix_rules(db, allow_source_build=allow_source_build), db


# --- installers: the environment and the project's whole Python range ----------------------


def installer_check(
    requirements: Sequence[Requirement],
    current: Target,
    *,
    options: Options = Options(),
    python_range: Optional[str] = None,
    admits: Optional[Callable[[str], bool]] = None,
    knowledge: Optional[Knowledge] = None,
    also: Sequence[Target] = (),
) -> Tuple[Report, Tuple[Note, ...]]:
    """What PDM and Poetry refuse: the requirements on the environment's interpreter, and
    the CPython versions the project's Python range admits where they break (a lock covers
    them all). ``admits`` reads the range when it is not PEP 440 (Poetry's); ``also``: more
    targets to judge (the deployment targets, with ``[tool.ddguard] discover``)."""
    db = knowledge or _knowledge.load()
    pins = [requirement_pin(r) if isinstance(r, str) else r for r in requirements]
    targets = [current, *(t for t in also if t != current)]
    report = Report(targets=tuple(targets), results=judge(pins, targets, options, db))
    if not python_range or not python_range.strip():
        return report, ()
    if admits is None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            admits = specifier_admits(SpecifierSet(python_range))
        except InvalidSpecifier:
            return report, ()
    return report, python_range_notes(pins, admits, python_range, [current], options, db)


def refusal_text(report: Report, notes: Sequence[Note] = ()) -> Optional[str]:
    """The paragraphs of a refusal (each refused result once, then the range notes)."""
    from ddguard.report.words import note, paragraph

    seen = set()
    parts = []
    for result in report.results:
        key = (result.version, result.target, result.verdict)
        if result.refused and key not in seen:
            seen.add(key)
            parts.append(paragraph(result))
    parts.extend(note(n) + "." for n in notes if n.code is NoteCode.PYTHON_RANGE)
    return "\n".join(parts) if parts else None


MATRIX_PLATFORMS = (
    "manylinux_x86_64",
    "manylinux_aarch64",
    "musllinux_x86_64",
    "musllinux_aarch64",
    "macosx_arm64",
    "macosx_x86_64",
    "win_amd64",
    "win32",
)


def matrix_grid(knowledge: Optional[Knowledge] = None) -> Tuple[Knowledge, Tuple[MatrixCell, ...]]:
    """Every release line x every known CPython x every platform family: what an installer
    picks from the line there, judged (the picture ``matrix --format html`` draws)."""
    from packaging.specifiers import SpecifierSet

    db = knowledge or _knowledge.load()
    cells = []
    for line in reversed(db.lines):
        spec = SpecifierSet(f">={line.major}.0,<{line.major + 1}")
        pin = Pin(text=f"ddtrace>={line.major}.0,<{line.major + 1}", specifier=spec, origin=ARGUMENT)
        for platform in MATRIX_PLATFORMS:
            for minor in db.cpython_minors:
                target = Target.from_compact("cp%d%d-%s" % (minor[0], minor[1], platform))
                (result,) = judge([pin], [target], Options(), db)
                cells.append(MatrixCell(line.major, minor, platform, result))
    return db, tuple(cells)


# --- deployment targets --------------------------------------------------------------------


def deployment_of_files(root: str, paths: Sequence[str]) -> Deployment:
    """The targets the named deployment files declare (each read strictly: a broken file
    is bad input)."""
    from ddguard.sources.targets import read_file

    found = [read_file(path, root=root) for path in paths]
    return _grouped(
        [d for f in found for d in f.declarations],
        [n for f in found for n in f.notes],
        [x for f in found for x in f.files],
    )


def deployment(root: str) -> Deployment:
    """The deployment targets the project at ``root`` declares. What a file leaves unstated
    is filled in the widest plausible way rather than guessed: an unstated architecture
    judges both x86_64 and aarch64 (Linux, macOS; x86_64 on Windows), an unstated libc is
    glibc (musl is always written: alpine), an unstated OS is Linux, an unstated
    implementation CPython. A major version alone (``python:3``) names no target."""
    from ddguard.sources.targets import discover

    found = discover(root)
    return _grouped(found.declarations, found.notes, found.files)


def _grouped(declarations: Sequence[object], notes: Sequence[Note], files: Sequence[str]) -> Deployment:
    from ddguard.model.deployment import Deployment

    grouped: Dict[Target, List[str]] = {}
    for declaration in declarations:
        for target in _targets_of(declaration):
            where = declaration.source  # type: ignore[attr-defined]
            places = grouped.setdefault(target, [])
            if where not in places:
                places.append(where)
    return Deployment(
        targets=tuple((t, tuple(s)) for t, s in grouped.items()),
        declarations=tuple(declarations),
        notes=tuple(notes),
        files=tuple(files),
    )


def _targets_of(declaration: object) -> List[Target]:
    from ddguard.sources.targets.convert import to_target
    from ddguard.target import Arch, Implementation, Libc, Os

    decl = declaration
    version = getattr(decl, "python_version", None)
    if version is None or len(version) < 2:
        return []
    filled = decl._replace(  # type: ignore[attr-defined]
        implementation=getattr(decl, "implementation", None) or Implementation.CPYTHON,
        os=getattr(decl, "os", None) or Os.LINUX,
    )
    arches = [filled.arch] if filled.arch is not None else (
        [Arch.X86_64] if filled.os is Os.WINDOWS else [Arch.X86_64, Arch.AARCH64]
    )
    found = []
    for arch in arches:
        try:
            target = to_target(filled, assume_arch=arch, assume_libc=Libc.GLIBC)
        except InputError:
            target = None
        if target is not None:
            found.append(target)
    return found


def discovered_targets(root: str) -> List[Target]:
    return [t for t, _ in deployment(root).targets]


# --- ddguard fix ------------------------------------------------------------------------------


LOCK_COMMANDS = {
    "uv.lock": "uv lock --upgrade-package ddtrace",
    "poetry.lock": "poetry update ddtrace",
    "pdm.lock": "pdm update ddtrace",
    "Pipfile.lock": "pipenv update ddtrace",
    "pylock.toml": "regenerate pylock.toml with the tool that wrote it (pip lock, uv export, pdm export)",
}
PIP_COMPILE_COMMAND = "pip-compile -P ddtrace"


def plan_fix(request: CheckRequest, root: str = ".", *, split: bool = False, knowledge: Optional[Knowledge] = None) -> FixPlan:
    """What ``ddguard fix`` would change: every ddtrace requirement the same ``check``
    refuses, rewritten to the smallest change that passes on every target in play."""
    import os

    from ddguard import writers
    from ddguard.evaluate.rewrite import decide
    from ddguard.model.fixes import FixEdit, FixPlan, Unfixed

    db = knowledge or _knowledge.load()
    report = run_check(request._replace(installed_fallback=False), db)
    targets = report.targets
    refused: Dict[Tuple[str, int], Pin] = {}
    reasons: Dict[Tuple[str, int], List[str]] = {}
    where_refused: Dict[Tuple[str, int], List[Target]] = {}
    commands: List[str] = []
    unfixed: List[Unfixed] = []
    for result in report.results:
        if not result.refused:
            continue
        pin, origin = result.pin, result.pin.origin
        if origin.kind is OriginKind.LOCK:
            name = os.path.basename(origin.path or "")
            command = LOCK_COMMANDS.get(name) or (LOCK_COMMANDS["pylock.toml"] if name.startswith("pylock.") else None)
            if command and command not in commands:
                commands.append(command)
            continue
        if origin.path is None or origin.line is None:
            unfixed.append(Unfixed(pin, (result.target,), "not-a-file"))
            continue
        key = (os.path.realpath(origin.path), origin.line)
        refused.setdefault(key, pin)
        reasons.setdefault(key, []).extend(r.code.value for r in result.reasons if r.code.value not in reasons.get(key, []))
        where_refused.setdefault(key, []).append(result.target)
    requests: Dict[str, List[object]] = {}
    steps: Dict[Tuple[str, int], str] = {}
    for key, pin in refused.items():
        decision = decide(db, pin, targets, request.options)
        if pin.unknown:
            unfixed.append(Unfixed(pin, decision.refused_on, "reference"))
            continue
        writer_decision: Optional[WriterDecision]
        if decision.choice is not None:
            writer_decision = _writer_decision(db, decision.choice, decision.targets, request.options)
            split_form = None
            steps[key] = decision.choice.step.value
        elif decision.split is not None and split:
            writer_decision = _keep_decision(db, pin, decision.targets, decision.split.python, request.options)
            above = tuple(t for t in decision.targets if t.python >= decision.split.python)
            newer = _writer_decision(db, decision.split.choice, above, request.options)
            split_form = writers.Split(python=decision.split.python, newer=newer)
            steps[key] = "split"
            if writer_decision is None:
                unfixed.append(Unfixed(pin, decision.conflict, "conflict"))
                continue
        else:
            unfixed.append(Unfixed(pin, decision.conflict, "split-needed" if decision.split else "conflict"))
            continue
        assert pin.origin.path is not None and pin.origin.line is not None
        assert writer_decision is not None
        requests.setdefault(pin.origin.path, []).append(
            writers.EditRequest(
                line=pin.origin.line,
                syntax=writers.syntax_for(pin.origin.path, pin.origin.tool),
                decision=writer_decision,
                text=pin.text,
                split=split_form,
            )
        )
    changes = []
    edits: List[FixEdit] = []
    for path, file_requests in requests.items():
        try:
            change = writers.plan(root, path, file_requests)  # type: ignore[arg-type]
        except InputError as exc:
            if "outside the project" in str(exc):
                for request_ in file_requests:
                    pin = refused[(os.path.realpath(path), request_.line)]  # type: ignore[attr-defined]
                    unfixed.append(Unfixed(pin, (), "outside-project"))
                continue
            raise
        changes.append(change)
        for edit in change.edits:
            key = (os.path.realpath(path), edit.line)
            edits.append(
                FixEdit(edit, tuple(dict.fromkeys(reasons.get(key, []))), tuple(where_refused.get(key, [])), steps.get(key, ""))
            )
        if _pip_compiled(change.original):
            commands.append(PIP_COMPILE_COMMAND)
    return FixPlan(root, report, tuple(changes), tuple(edits), tuple(unfixed), tuple(dict.fromkeys(commands)))


def _pip_compiled(original: bytes) -> bool:
    return b"autogenerated by pip-compile" in original[:4096]


def _writer_decision(
    knowledge: Knowledge, choice: Choice, targets: Sequence[Target], options: Options
) -> WriterDecision:
    """The writers' Decision for a choice: its release, from the start of its working run
    up to the first later final release that fails somewhere (exclusive)."""
    from ddguard import writers
    from ddguard.evaluate.release import passes

    version = choice.version
    high = next(
        (
            r.version
            for r in knowledge.releases
            if r.version > version
            and not r.version.is_prerelease
            and not r.yanked
            and not all(passes(knowledge, r, t, options) for t in targets)
        ),
        None,
    )
    return writers.Decision(version=version, low=choice.low, high=high)


def _keep_decision(
    knowledge: Knowledge, pin: Pin, targets: Sequence[Target], python: Tuple[int, int], options: Options
) -> Optional[WriterDecision]:
    """For a split: the requirement as it is, for the CPythons below ``python`` (its pin,
    or the release an installer picks there)."""
    from ddguard import writers
    from ddguard.evaluate.pick import installer_pick, releases_in

    below = [t for t in targets if t.python < python]
    candidates = releases_in(knowledge, pin.specifier)
    picks = [installer_pick(candidates, t) for t in below]
    if not picks or any(p is None for p in picks):
        return None
    version = max(p.version for p in picks if p is not None)
    return writers.Decision(version=version)


def apply_fix(plan: FixPlan) -> Tuple[str, ...]:
    """Write every planned change (atomically); the paths written."""
    from ddguard import writers

    written = []
    for change in plan.changes:
        if writers.apply(change):  # type: ignore[arg-type]
            written.append(change.relpath)  # type: ignore[attr-defined]
    return tuple(written)
