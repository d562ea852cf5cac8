"""Which of a ddtrace release's dependencies pip builds from source on a target.

:func:`resolve` walks the closure recorded in :mod:`ddguard.knowledge.dependencies` for
one target the way pip's resolver picks, without backtracking: for each package, the
newest release inside the intersection of every specifier that requires it, whose
Requires-Python admits the target, not yanked (unless pinned with ``==`` and nothing else
is left), with a file the target can use: a wheel for its tags or an sdist (plain
``pip install``), or only a wheel (``pip install --only-binary=:all:``). Plain pip builds
such a pick from its sdist when it has no wheel for the target even if an older release
in range has one: that is a :class:`MissingWheel` too (:attr:`Missing.NEWEST_HAS_NO_WHEEL`),
since the install needs a compiler.

Pure: no I/O beyond reading the data file once, no host probing, no English.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import (
    TYPE_CHECKING,
    Callable,
    Deque,
    Dict,
    FrozenSet,
    List,
    Optional,
    Set,
    Tuple,
)

from ddguard.knowledge.dependencies import (
    ROOT,
    Dependency,
    DependencyData,
    DependencyRelease,
    canonical_name,
    load,
    normal_version,
)
from ddguard.knowledge.requires_python import admits
from ddguard.model import Missing, MissingWheel
from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from ddguard.target import Target, Triple

MAX_ROUNDS = 6  # re-walks when a later requirer narrows an earlier pick


class Pick(Record):
    """One package of the closure and the release the walk chose."""

    package: str
    version: Optional[str]  # None: nothing in range can be installed
    has_wheel: bool  # the chosen release has a wheel for the target
    specifier: str
    via: Tuple[str, ...] = ()
    extra: Optional[str] = None


class Closure(Record):
    """The result of walking one release's dependencies for one target."""

    known: bool  # the data records this ddtrace release
    picks: Tuple[Pick, ...] = ()  # the packages walked (relevant ones, unless ``full``)
    missing: Tuple[MissingWheel, ...] = ()
    unknown_packages: Tuple[str, ...] = ()  # required, not in the data (not followed)
    unread: Tuple[Tuple[str, str], ...] = ()  # (package, version) picked whose own
    # requirements the data does not record (not followed)


def missing_wheels(
    ddtrace_version: str,
    target: Target,
    extras: FrozenSet[str] = frozenset(),
    data: Optional[DependencyData] = None,
    only_binary: bool = False,
) -> Tuple[MissingWheel, ...]:
    """The required packages of ``ddtrace_version`` (with ``extras``) that pip builds from
    source on ``target``, or cannot install. Empty when the data does not know the release.

    ``only_binary=False`` (default) is plain ``pip install``: a package counts when the
    release pip picks has no wheel for the target. ``only_binary=True`` is
    ``pip install --only-binary=:all:``: it counts only when no release in range has one.
    """
    return resolve(ddtrace_version, target, extras, data, only_binary).missing


def resolve(
    ddtrace_version: str,
    target: Target,
    extras: FrozenSet[str] = frozenset(),
    data: Optional[DependencyData] = None,
    only_binary: bool = False,
    full: bool = False,
) -> Closure:
    """The dependency closure of ``ddtrace_version`` with ``extras`` on ``target``: the
    packages through which a binary one can be reached, or every package when ``full``."""
    data = data if data is not None else load()
    index = data.ddtrace_requirement_set(ddtrace_version, target.interpreter_tag)
    if index is None:
        return Closure(known=False)
    walked = _walk_set(data, index, target, frozenset(extras), only_binary, full)
    if not walked.missing:
        return walked
    version = normal_version(ddtrace_version)
    return walked._replace(missing=tuple(m._replace(required_by=version) for m in walked.missing))


@functools.lru_cache(maxsize=8192)
def _walk_set(
    data: DependencyData,
    index: int,
    target: Target,
    extras: FrozenSet[str],
    only_binary: bool,
    full: bool,
) -> Closure:
    """The walk of requirement set ``index``: the walk of those of its requirements that
    can lead to a binary package (sets that share them share the walk)."""
    asked = frozenset(canonical_name(e) for e in extras)
    rows = data.members(index) if full else data.relevant_rows(index, target.python_str)
    return _walk(data, tuple(rows), target, asked, only_binary, full)


@functools.lru_cache(maxsize=4096)
def _walk(
    data: DependencyData,
    rows: Tuple[int, ...],
    target: Target,
    extras: FrozenSet[str],
    only_binary: bool,
    full: bool,
) -> Closure:
    """One walk per set of requirements that can lead to a binary package: the ~900
    ddtrace releases share a dozen or two of them on each Python."""
    root = data.requirements(rows)
    walk = _Walk(data, target, only_binary, full)
    constraints: Dict[str, SpecifierSet] = {}
    for _ in range(MAX_ROUNDS):
        walk.run(root, extras, constraints)
        if walk.settled():
            break
        constraints = dict(walk.specifiers)
    return walk.closure("")


_Queued = Tuple[str, Tuple[str, ...], Optional[str]]  # package, packages leading to it, extra


class CompiledDependency(Record):
    """A package a release requires directly that publishes platform-specific wheels."""

    package: str
    specifier: str
    extra: Optional[str]  # the ddtrace extra that asks for it; None: always installed
    marker: Optional[str]
    wheel_tags: FrozenSet[Triple]  # every wheel tag of its releases inside ``specifier``


def compiled_dependencies(
    ddtrace_version: str, data: Optional[DependencyData] = None
) -> Tuple[CompiledDependency, ...]:
    """The release's direct requirements (its extras' too) on compiled packages that pip
    may have to build (their *binary* flag), with the wheels their releases in range
    publish: where an install needs no compiler for them."""
    data = data if data is not None else load()
    found: List[CompiledDependency] = []
    for requirement in data.ddtrace_requirements(ddtrace_version) or ():
        package = data.package(requirement.name)
        if package is None or not (package.compiled and package.binary):
            continue  # pure wheels of the others are not all recorded
        tags: FrozenSet[Triple] = frozenset().union(
            *(
                data.tag_set(release.tag_set)
                for release in package.releases
                if requirement.specifier.contains(release.version, prereleases=True)
            )
        )
        found.append(
            CompiledDependency(
                requirement.name,
                str(requirement.specifier),
                requirement.extra,
                requirement.marker,
                tags,
            )
        )
    return tuple(found)


class _Choice(Record):
    picked: Optional[DependencyRelease]  # what plain pip installs
    wheel: Optional[DependencyRelease]  # what --only-binary=:all: installs


class _Walk:
    """One breadth-first walk of the closure; rerun until every pick satisfies every
    requirer seen (pip would backtrack; the closures here settle in one or two rounds)."""

    def __init__(self, data: DependencyData, target: Target, only_binary: bool, full: bool) -> None:
        self.data = data
        self.target = target
        self.only_binary = only_binary
        self.full = full
        self.python = target.python_str
        self.env: Optional[Dict[str, str]] = None  # built when a marker needs it

    def run(
        self,
        root: Tuple[Dependency, ...],
        extras: FrozenSet[str],
        constraints: Dict[str, SpecifierSet],
    ) -> None:
        self.specifiers: Dict[str, SpecifierSet] = {}
        self.used: Dict[str, SpecifierSet] = {}  # what each pick was chosen with
        self.choices: Dict[str, Optional[_Choice]] = {}
        self.origin: Dict[str, Tuple[Tuple[str, ...], Optional[str]]] = {}
        self.order: List[str] = []
        self.unknown: List[str] = []
        self.unread: List[Tuple[str, str]] = []
        asked: Dict[str, Set[str]] = {}
        done: Dict[str, Set[str]] = {}
        queue: Deque[_Queued] = deque()
        self._visit(root, {""}, (), None, queue, asked)  # base requirements first
        for asked_extra in sorted(extras):
            self._visit(root, {asked_extra}, (), asked_extra, queue, asked)
        while queue:
            name, via, extra = queue.popleft()
            wanted = asked[name] - done.setdefault(name, set())
            if not wanted:
                continue
            done[name] |= wanted
            if name not in self.choices:
                spec = self.specifiers[name]
                if name in constraints:
                    spec = spec & constraints[name]
                self.used[name] = spec
                self.choices[name] = self._choose(name, spec)
            choice = self.choices[name]
            if choice is None:
                continue
            chosen = choice.wheel if self.only_binary else choice.picked
            if chosen is None:
                continue
            if chosen.requires is None:
                self.unread.append((name, chosen.version))
                continue
            requirements = self.data.requirement_set(chosen.requires)
            self._visit(requirements, wanted, via + (name,), extra, queue, asked)

    def _visit(
        self,
        requirements: Tuple[Dependency, ...],
        extras: Set[str],
        via: Tuple[str, ...],
        extra: Optional[str],
        queue: Deque[_Queued],
        asked: Dict[str, Set[str]],
    ) -> None:
        """Record what ``requirements`` (of a package installed with ``extras``) ask for;
        queue each package for the extras not asked of it before."""
        for requirement in requirements:
            name = requirement.name
            if name == ROOT or (not self.full and self.data.relevant(name, self.python) is False):
                continue
            if requirement.extra is not None and requirement.extra not in extras:
                continue
            if requirement.marker is not None and not self._applies(requirement.marker, extras):
                continue
            known = self.specifiers.get(name)
            self.specifiers[name] = (
                requirement.specifier if known is None else known & requirement.specifier
            )
            before = asked.setdefault(name, set())
            wanted = {""} | set(requirement.extras)
            if name not in self.origin:
                self.origin[name] = (via, extra)
                self.order.append(name)
            if not wanted <= before:
                before |= wanted
                queue.append((name, via, extra))

    def _applies(self, marker: str, extras: Set[str]) -> bool:
        if self.env is None:
            self.env = self.target.marker_env()
        parsed = self.data.marker(marker)
        return any(parsed.evaluate({**self.env, "extra": e}) for e in extras)

    def _choose(self, name: str, spec: SpecifierSet) -> Optional[_Choice]:
        if self.data.package(name) is None:
            self.unknown.append(name)
            return None
        return _choose(self.data, name, spec, self.target)

    def settled(self) -> bool:
        return all(
            self.used.get(name) == self.specifiers[name] or self._still_fits(name)
            for name in self.choices
        )

    def _still_fits(self, name: str) -> bool:
        choice = self.choices[name]
        if choice is None:
            return True
        chosen = choice.wheel if self.only_binary else choice.picked
        return chosen is None or self.specifiers[name].contains(chosen.version, prereleases=True)

    def closure(self, ddtrace_version: str) -> Closure:  # "" until resolve() names it
        picks: List[Pick] = []
        missing: List[MissingWheel] = []
        for name in self.order:
            choice = self.choices.get(name)
            if choice is None:
                continue
            via, extra = self.origin[name]
            spec = str(self.used[name])
            chosen = choice.wheel if self.only_binary else choice.picked
            has_wheel = chosen is not None and chosen is choice.wheel
            version = None if chosen is None else chosen.version
            picks.append(Pick(name, version, has_wheel, spec, via, extra))
            package = self.data.package(name)
            if package is None or not package.binary:
                continue
            kind: Optional[Missing] = None
            if choice.picked is None and choice.wheel is None:
                kind = Missing.NO_INSTALLABLE_VERSION
            elif choice.wheel is None:
                kind = Missing.NO_WHEEL_IN_RANGE
            elif not self.only_binary and choice.picked is not choice.wheel:
                kind = Missing.NEWEST_HAS_NO_WHEEL
            if kind is not None:
                missing.append(
                    MissingWheel(
                        package=name,
                        specifier=spec,
                        required_by=ddtrace_version,
                        missing=kind,
                        picked=None if choice.picked is None else choice.picked.version,
                        newest_with_wheel=None if choice.wheel is None else choice.wheel.version,
                        compiled=package.compiled,
                        via=via,
                        extra=extra,
                    )
                )
        return Closure(
            known=True,
            picks=tuple(picks),
            missing=tuple(missing),
            unknown_packages=tuple(dict.fromkeys(self.unknown)),
            unread=tuple(dict.fromkeys(self.unread)),
        )


@functools.lru_cache(maxsize=8192)
def _choose(data: DependencyData, name: str, spec: SpecifierSet, target: Target) -> _Choice:
    """What plain pip and ``--only-binary`` pick of ``name`` inside ``spec`` on ``target``
    (the same package and range come back in many walks). A release is usable when its
    Requires-Python admits the target and it has a file for it; wheels are looked at only
    for releases inside the range, newest first, until the pick."""
    package = data.package(name)
    assert package is not None
    python = target.python_full_str

    def runs_here(release: DependencyRelease) -> bool:
        return release.requires_python is None or admits(release.requires_python, python)

    def has_file(release: DependencyRelease) -> bool:
        return runs_here(release) and (release.sdist or data.has_wheel(release.tag_set, target))

    def has_wheel(release: DependencyRelease) -> bool:
        return runs_here(release) and data.has_wheel(release.tag_set, target)

    return _Choice(_pip_pick(data, name, spec, has_file), _pip_pick(data, name, spec, has_wheel))


def _pip_pick(
    data: DependencyData,
    name: str,
    spec: SpecifierSet,
    usable: Callable[[DependencyRelease], bool],
) -> Optional[DependencyRelease]:
    """pip's choice among the ``usable`` releases of ``name`` (newest first): the newest
    the specifier admits (pre-releases only when it names one or nothing else matches, as
    its ``filter``), a yanked one only when every match is yanked and the specifier pins a
    version with ``==``/``===``."""
    for prereleases in (bool(spec.prereleases), True):  # explicit: packagings differ on None
        first_yanked = None
        for release in _in_range(data, name, spec, prereleases):
            if not usable(release):
                continue
            if not release.yanked:
                return release
            if first_yanked is None:
                first_yanked = release
        if first_yanked is not None:
            pinned = any(
                s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
                for s in spec
            )
            return first_yanked if pinned else None
    return None


@functools.lru_cache(maxsize=8192)
def _in_range(
    data: DependencyData, name: str, spec: SpecifierSet, prereleases: bool
) -> Tuple[DependencyRelease, ...]:
    """The package's releases inside ``spec``, newest first (the same for every target)."""
    package = data.package(name)
    assert package is not None
    return tuple(
        release for release in package.releases if _contains(spec, release.version, prereleases)
    )


def _contains(spec: SpecifierSet, text: str, prereleases: bool) -> bool:
    version = _version(text)
    return version is not None and spec.contains(version, prereleases=prereleases)


@functools.lru_cache(maxsize=8192)
def _version(text: str) -> Optional[Version]:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:  # the data's check refuses these; never picked
        return None


