"""The values every layer shares: enums for what code branches on, frozen records for facts.

Nothing here reads files, imports ``packaging`` at run time, or makes words: sources build
:class:`Pin` values, ``evaluate`` turns them into :class:`Result` values, and only
``ddguard.report`` renders them as text.

Records are ``NamedTuple``s: frozen, hashable and built by name like frozen dataclasses,
without importing ``dataclasses`` (and ``inspect``), which alone would cost the command
line more than its whole check.

What only some commands make lives beside: :mod:`ddguard.model.findings` (integrations),
:mod:`ddguard.model.fixes` (``ddguard fix``) and :mod:`ddguard.model.deployment` (deployment
targets). Every class costs each process that imports it, and the startup check needs
none of those.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, FrozenSet, NoReturn, Optional, Tuple

from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from ddguard.model.findings import IntegrationFinding
    from ddguard.target import Arch, Os, Target

Minor = Tuple[int, int]  # a CPython feature release: (3, 12)
PythonRange = Tuple[Minor, Optional[Minor]]  # (low, high), high None when open-ended
VersionRun = Tuple["Version", Optional["Version"]]  # releases low..high (None: and newer)


def assert_never(value: NoReturn) -> NoReturn:
    """The unreachable arm of an exhaustive match on an enum (mypy checks it)."""
    raise AssertionError(f"unhandled value: {value!r}")


class Verdict(str, enum.Enum):
    COMPATIBLE = "compatible"
    SOURCE_BUILD = "source-build"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"


class SupportLevel(str, enum.Enum):
    GA = "ga"
    MAINTENANCE = "maintenance"
    EOL = "eol"


class Mode(str, enum.Enum):
    """``DDGUARD_MODE``: what a refusal does outside the CLI."""

    STRICT = "strict"  # refuse
    WARN = "warn"  # say it and go on
    OFF = "off"  # do not look


class Options(Record):
    """How a check judges: how strictly (``--strict``, ``--allow-source-build``) and what
    installing the release brings along."""

    allow_source_build: bool = False
    strict: bool = False
    extras: FrozenSet[str] = frozenset()  # ddtrace[...] extras: their dependencies count too
    dependencies: bool = True  # judge the packages an install pulls in (False: installed)


# --- where a requirement comes from --------------------------------------------------------


class OriginKind(str, enum.Enum):
    ARGUMENT = "argument"  # the command line or an API call
    DEPENDENCY = "dependency"  # what installing the project (or a requirements file) installs
    EXTRA = "extra"  # an optional-dependencies / extras_require entry
    GROUP = "group"  # a dependency group: PEP 735, Poetry, PDM dev, uv dev, Pipfile category
    BUILD_SYSTEM = "build-system"  # build-system.requires, setup_requires
    CONSTRAINT = "constraint"  # pip -c, uv constraint-dependencies, tox constraints
    OVERRIDE = "override"  # uv override-dependencies
    TOX_ENV = "tox-env"  # deps of a tox environment
    LOCK = "lock"  # an entry a lock file recorded
    INSTALLED = "installed"  # a distribution found on sys.path


class Origin(Record):
    """Where a requirement was written, as structure (``report`` makes the words)."""

    kind: OriginKind
    path: Optional[str] = None  # the file, as the user named it (None: argument, installed)
    line: Optional[int] = None  # 1-based
    name: Optional[str] = None  # the extra, group, tox env or lock category, as written
    # groups (PEP 735) that include ``name``, transitively; for a Poetry optional dependency
    # listed by several extras, the other extras that install it
    included_by: Tuple[str, ...] = ()
    tool: Optional[str] = None  # whose table: "poetry", "pdm", "uv", "pipenv", "tox", ...
    factor: Optional[str] = None  # a tox factor condition ("py312")
    requirers: Tuple[str, ...] = ()  # lock: the locked packages that require it
    direct: Optional[bool] = None  # lock: a direct dependency of the project (None: unknown)
    groups: Tuple[str, ...] = ()  # lock: the groups / categories the lock records for it

    def selected_by(self, extras: FrozenSet[str], groups: FrozenSet[str]) -> bool:
        """Whether installing the project with these (normalized) extras and groups installs
        a requirement of this origin."""
        if self.kind is OriginKind.DEPENDENCY:
            return True
        if self.kind is OriginKind.EXTRA:
            return _normal(self.name) in extras or any(
                _normal(e) in extras for e in self.included_by
            )
        if self.kind is OriginKind.GROUP:
            return _normal(self.name) in groups or any(_normal(g) in groups for g in self.included_by)
        return False


def _normal(name: Optional[str]) -> str:
    out = []
    previous_dash = False
    for char in (name or "").lower():
        dash = char in "-_."
        if dash and previous_dash:
            continue
        out.append("-" if dash else char)
        previous_dash = dash
    return "".join(out)


class ReferenceKind(str, enum.Enum):
    VCS = "vcs"
    EDITABLE = "editable"
    PATH = "path"  # a local file or directory
    URL = "url"  # an archive URL


class Reference(Record):
    """A direct reference instead of a version (``ddtrace @ git+https://…``, ``-e .``)."""

    kind: ReferenceKind
    location: str  # as written (report redacts credentials)
    version: Optional[str] = None  # when the file name names one (a wheel or sdist)
    wheel_tags: Tuple[str, ...] = ()  # tags of a named wheel file


class Pin(Record):
    """One requirement naming a package (ddtrace, unless a scan asked for others)."""

    text: str  # as written: "ddtrace[profiling]>=2,<3 ; python_version<'3.12'"
    specifier: SpecifierSet  # normalized PEP 440 (Poetry ^2.8.5 -> >=2.8.5,<3.0.0); empty: any
    origin: Origin
    name: str = "ddtrace"  # as written
    marker: Optional[Marker] = None  # evaluated against each target, never the host
    alternatives: Tuple[SpecifierSet, ...] = ()  # a Poetry || union; then ``specifier`` is empty
    extras: FrozenSet[str] = frozenset()  # normalized extras the requirement asks for
    reference: Optional[Reference] = None
    wheel_tags: Tuple[str, ...] = ()  # tags of the wheel files a lock records for it
    # a Poetry constraint with no PEP 440 equivalent: (the constraint as written, the part
    # that cannot be read); the pin is then unknown
    untranslated: Optional[Tuple[str, str]] = None

    @property
    def unknown(self) -> bool:
        """A reference whose version cannot be known without building it, or a constraint
        ddguard cannot translate."""
        return self.untranslated is not None or (
            self.reference is not None and self.reference.version is None
        )


# --- what a judgement found -----------------------------------------------------------------


class ReasonCode(str, enum.Enum):
    NOT_CPYTHON = "not-cpython"
    REQUIRES_PYTHON = "requires-python"
    LINE_RUNTIME = "line-runtime"
    LINE_PLATFORM = "line-platform"
    NO_WHEEL_FOR_PYTHON = "no-wheel-for-python"
    NO_WHEEL_FOR_ABI = "no-wheel-for-abi"
    NO_WHEEL_FOR_PLATFORM = "no-wheel-for-platform"
    NO_FILES = "no-installable-file"
    NOT_RELEASED = "not-released"
    NEWER_THAN_DATABASE = "newer-than-database"
    NO_RELEASE_IN_RANGE = "no-release-in-range"
    UNKNOWN_REFERENCE = "unknown-reference"
    WHEEL_FILE_MISMATCH = "wheel-file-mismatch"  # a direct reference to a wheel for elsewhere
    NO_METADATA = "no-metadata"  # an installed ddtrace without .dist-info
    NOT_IN_DATABASE = "not-in-database"  # an installed build the database does not list
    BUILT_FOR_OTHER = "built-for-other-interpreter"  # the installed wheel's own tags
    DEPENDENCY_NO_WHEEL = "dependency-no-wheel"  # pip compiles a required package
    DEPENDENCY_NOT_INSTALLABLE = "dependency-not-installable"  # no release of it installs
    YANKED = "yanked"
    END_OF_LIFE = "end-of-life"


class Missing(str, enum.Enum):
    """What is missing for a package ddtrace requires, on the target."""

    NO_WHEEL_IN_RANGE = "no-wheel-in-range"  # no release in the specifier has a wheel for it
    NEWEST_HAS_NO_WHEEL = "newest-has-no-wheel"  # pip's pick has none; an older one does
    NO_INSTALLABLE_VERSION = "no-installable-version"  # neither wheel nor sdist in range


class MissingWheel(Record):
    """A package installing ddtrace pulls in that pip builds from source on the target
    (or cannot install)."""

    package: str  # canonical name: "psutil"
    specifier: str  # every requirer's specifier, intersected: "==5.6.7" ("" for any)
    required_by: str  # the ddtrace release
    missing: Missing
    picked: Optional[str]  # the release plain pip installs (building it); None: none
    newest_with_wheel: Optional[str]  # the newest release in range with a wheel for the target
    compiled: bool  # the package publishes platform-specific wheels: its build compiles code
    via: Tuple[str, ...] = ()  # the packages leading to it from ddtrace (empty: direct)
    extra: Optional[str] = None  # the ddtrace extra that pulls it in; None: always installed


class Reason(Record):
    """One fact behind a verdict or a warning; which fields are set depends on ``code``."""

    code: ReasonCode
    version: Optional[Version] = None  # the release the fact is about
    line: Optional[int] = None  # its release line (major)
    requires_python: Optional[str] = None
    pythons: Tuple[PythonRange, ...] = ()  # CPython versions supported or published
    on_platform: bool = False  # ``pythons`` hold for the target's platform only
    runtimes: Tuple[Tuple[Os, Tuple[Arch, ...]], ...] = ()  # platforms a line supports
    wheel_platforms: Tuple[str, ...] = ()  # platform tags of the wheels for the target's Python
    same_cpu: bool = False  # ``wheel_platforms`` are for the target's OS and CPU
    has_wheels: bool = True  # the release publishes any wheel at all
    abis: Tuple[str, ...] = ()
    since: Optional[str] = None  # a date (end of life)
    text: Optional[str] = None  # a fact quoted from data: a yank reason, a reference, a tag
    specifier: Optional[str] = None  # a range the fact is about
    newest: Optional[Version] = None  # the newest release the database knows
    fetched: Optional[str] = None  # the database's snapshot date
    dependency: Optional[MissingWheel] = None  # dependency-no-wheel, dependency-not-installable
    target: Optional[Target] = None  # another interpreter named by the fact
    alternative: bool = False  # ``specifier`` is one alternative of a union


class FixKind(str, enum.Enum):
    NARROW_RANGE = "narrow-range"  # keep the part of the range that works
    NEWEST_IN_LINE = "newest-in-line"  # ==newest of the same line that works
    MOVE_TO = "move-to"  # a range that works (bounded when needed)
    NEWEST = "newest"  # ==newest release that works
    SUPPORTED_LINE = "supported-line"  # off an End-of-Life line
    OTHER_PYTHON = "other-python"  # run this release on another CPython
    ALLOW_SOURCE_BUILD = "allow-source-build"
    DEPENDENCY_WITH_WHEEL = "dependency-with-wheel"  # cap a dependency at its newest wheel
    REFRESH_DATABASE = "refresh-database"
    PIN_A_RELEASE = "pin-a-release"  # instead of an unversioned reference
    WHEEL_FOR_TARGET = "wheel-for-target"  # a direct wheel reference built elsewhere
    REINSTALL = "reinstall"  # the installed build is for another interpreter
    NOTHING_WORKS = "nothing-works"


class Fix(Record):
    """One way out; a result lists them in order of preference."""

    kind: FixKind
    specifier: Optional[str] = None  # the requirement to use: ">=2.0.0,<3", "==2.21.12"
    runs: Tuple[VersionRun, ...] = ()  # NARROW_RANGE: the working runs of the range
    newest: Optional[Version] = None  # the newest release the fix admits
    line: Optional[int] = None
    python: Optional[Minor] = None  # OTHER_PYTHON: the nearest CPython that works
    package: Optional[str] = None  # DEPENDENCY_WITH_WHEEL: the dependency ``specifier`` is for
    pythons: Tuple[PythonRange, ...] = ()  # OTHER_PYTHON: every CPython that works there
    version: Optional[Version] = None  # the release the fix is about
    executable: Optional[str] = None  # REINSTALL: the interpreter to reinstall with
    path: Optional[str] = None  # REINSTALL: where the copy that is imported lives
    outside: bool = False  # REINSTALL: ``path`` is not this interpreter's site-packages


class Alternative(Record):
    """One alternative of a union (Poetry ``^1.20 || ~2.8``) on one target."""

    specifier: str
    known: bool  # the database has releases in it
    works: Tuple[VersionRun, ...]  # its releases that work here
    picked: bool  # it holds the installer's pick


class Result(Record):
    """One requirement on one target. Build it by name."""

    pin: Pin
    target: Target
    verdict: Verdict
    refused: bool
    version: Optional[Version] = None  # the release judged: the pin, or an installer's pick
    picked: bool = False  # ``version`` is the installer's pick for a range
    line: Optional[int] = None
    support_level: Optional[SupportLevel] = None
    reasons: Tuple[Reason, ...] = ()  # why it is not compatible
    warnings: Tuple[Reason, ...] = ()  # yanked, end of life: said apart
    fixes: Tuple[Fix, ...] = ()
    compatible: Tuple[VersionRun, ...] = ()  # the part of a range that works here
    alternatives: Tuple[Alternative, ...] = ()
    declared_by: Tuple[str, ...] = ()  # "path:line" of the deployment files naming the target

    @property
    def problem(self) -> bool:
        return self.refused or bool(self.warnings) or self.verdict is not Verdict.COMPATIBLE


class NoteCode(str, enum.Enum):
    NO_DDTRACE_IN = "no-ddtrace-in"  # a file or project names no ddtrace
    NOTHING_TO_CHECK = "nothing-to-check"  # no requirement, no installed ddtrace
    SETUP_PY_NOT_READ = "setup-py-not-read"
    DYNAMIC_DEPENDENCIES = "dynamic-dependencies"
    URL_NOT_FETCHED = "url-not-fetched"  # -r https://...
    OUTSIDE_PROJECT = "outside-project"  # an include outside the project: not read
    PYTHON_RANGE = "python-range"  # a project's Python range admits CPythons that break
    NO_INTEGRATION_DATA = "no-integration-data"
    NO_RELEASE_FOR_INTEGRATIONS = "no-release-for-integrations"
    UNREADABLE = "unreadable"  # a discovered file that could not be read or parsed
    INSTALLED_TWICE = "installed-twice"  # ddtrace in several sys.path entries
    SEVERAL_METADATA = "several-metadata"  # several ddtrace dist-info directories in one place
    NO_DEPLOYMENT_TARGETS = "no-deployment-targets"  # --targets declared, and none is declared
    # deployment targets (issue 14): facts about a declaration that yields no complete target
    TARGET_MAJOR_ONLY = "target-major-only"  # python:3, pypy3, `3.x`: a major version only
    TARGET_NO_VERSION = "target-no-version"  # names a Python but no version (python:latest, a range)
    TARGET_VARIABLE = "target-variable"  # the value comes from a variable ddguard cannot see
    TARGET_UNKNOWN_IMAGE = "target-unknown-image"  # an image whose Python is unknown (ubuntu, node)
    TARGET_LIMIT = "target-limit"  # a bound discovery keeps was reached (files, matrix size)


class Note(Record):
    """Something worth saying that is not a verdict."""

    code: NoteCode
    path: Optional[str] = None
    line: Optional[int] = None
    text: Optional[str] = None  # a value quoted from the input (a URL, a range, an error)
    pin: Optional[Pin] = None
    pythons: Tuple[PythonRange, ...] = ()  # PYTHON_RANGE: where the pin breaks
    target: Optional[Target] = None
    line_major: Optional[int] = None  # NO_INTEGRATION_DATA
    marker: Optional[str] = None  # PYTHON_RANGE: a marker that would exclude the breaking part
    copies: Tuple[Tuple[str, str], ...] = ()  # INSTALLED_TWICE/SEVERAL_METADATA: (version, place)


class Scan(Record):
    """What reading one file, or a whole project, found."""

    pins: Tuple[Pin, ...] = ()
    notes: Tuple[Note, ...] = ()
    python_range: Optional[SpecifierSet] = None  # requires-python / Poetry's python
    python_range_text: Optional[str] = None  # as written (Poetry syntax kept)
    files: Tuple[str, ...] = ()  # files read


class Report(Record):
    """Every result of one check, in requirement order (one row per target)."""

    targets: Tuple[Target, ...]
    results: Tuple[Result, ...] = ()
    notes: Tuple[Note, ...] = ()
    integrations: Tuple[IntegrationFinding, ...] = ()
    files: Tuple[str, ...] = ()  # project files read

    @property
    def ok(self) -> bool:
        return not any(r.refused for r in self.results) and not any(
            f.refused for f in self.integrations
        )

    @property
    def target(self) -> Target:
        return self.targets[0]


# --- what the facade returns besides a Report (report renders them) -------------------------


class Explanation(Record):
    """``ddguard explain``: the releases a specifier matches and the verdict on each target."""

    spec: str
    releases: Tuple[object, ...]  # knowledge.Release values: every release the spec matches
    knowledge: Any  # the ddguard.knowledge.Knowledge they come from (model does not import it)
    verdicts: Tuple[Result, ...]  # one per target given


class MatrixCell(Record):
    line: int
    python: Tuple[int, int]
    platform: str  # compact platform part: manylinux_x86_64, macosx_arm64, win32, ...
    result: Result  # the release an installer picks from the line, judged there
