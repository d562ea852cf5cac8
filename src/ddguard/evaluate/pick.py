"""Which release an installer takes for a requirement, and runs of releases as ranges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Tuple, Union

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ddguard.evaluate.release import wheel_triples
from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge, Release
    from ddguard.model import VersionRun
    from ddguard.target import Target


class AnyOf(Record):
    """A union of specifiers (Poetry ``^1.20 || ~2.8``): a version matches when any does."""

    alternatives: Tuple[SpecifierSet, ...]

    def contains(self, item: Union[str, Version], prereleases: Optional[bool] = None) -> bool:
        return any(s.contains(item, prereleases=prereleases) for s in self.alternatives)


Specifier = Union[SpecifierSet, AnyOf]


def exact_version(specifier: SpecifierSet) -> Optional[Version]:
    """The one version an ``==X`` / ``===X`` specifier names, else None."""
    specs = list(specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        try:
            return Version(specs[0].version)
        except InvalidVersion:
            return None
    return None


def admits_prereleases(specifier: SpecifierSet) -> Optional[bool]:
    """Pre-releases count when the specifier names one (as pip does)."""
    for spec in specifier:
        if "*" in spec.version:
            continue
        try:
            if Version(spec.version).is_prerelease:
                return True
        except InvalidVersion:
            continue
    return None


def releases_in(knowledge: Knowledge, specifier: Specifier) -> List[Release]:
    """The known releases a specifier (or union) allows, oldest first."""
    if isinstance(specifier, AnyOf):
        allowed = {r.version for alt in specifier.alternatives for r in releases_in(knowledge, alt)}
        return [r for r in knowledge.releases if r.version in allowed]
    pinned = exact_version(specifier)
    if pinned is not None:
        release = knowledge.release(pinned)
        return [release] if release is not None else []
    return knowledge.releases_in(specifier, prereleases=admits_prereleases(specifier))


def beyond(specifier: SpecifierSet, newest: Version) -> bool:
    """Whether the specifier's lower bound lies above ``newest`` (``>=9``, ``^5``)."""
    for spec in specifier:
        if spec.operator in (">=", ">", "~=", "==", "==="):
            try:
                if Version(spec.version.rstrip(".*")) > newest:
                    return True
            except InvalidVersion:
                continue
    return False


def installer_pick(candidates: Sequence[Release], target: Target) -> Optional[Release]:
    """pip's choice: the newest non-yanked release whose Requires-Python admits the target
    and that has a file the target can use (a matching wheel, or an sdist to build)."""
    for release in reversed(candidates):
        if release.yanked or not release.admits_python(target.python_full_str):
            continue
        if release.sdist or target.installs_any(wheel_triples(release)):
            return release
    return None


def runs(
    knowledge: Knowledge, chosen: Iterable[Release], within: Optional[Sequence[Release]] = None
) -> Tuple[VersionRun, ...]:
    """Contiguous runs of ``chosen`` among the final, non-yanked releases (of ``within``, else
    of the whole database), as (first, last) pairs; last is None when a run reaches the
    newest release (an open range)."""
    pool = [r for r in (within or knowledge.releases) if not r.version.is_prerelease and not r.yanked]
    wanted = {r.version for r in chosen}
    found: List[Tuple[Version, Version]] = []
    start: Optional[Version] = None
    previous: Optional[Version] = None
    for release in pool:
        if release.version in wanted:
            start = start or release.version
            previous = release.version
        elif start is not None and previous is not None:
            found.append((start, previous))
            start = previous = None
    if start is not None and previous is not None:
        found.append((start, previous))
    newest = knowledge.newest.version
    out: List[VersionRun] = []
    for low, high in found:
        open_ended = low != high and (
            high == newest or (within is None and pool and high == pool[-1].version)
        )
        out.append((low, None if open_ended else high))
    return tuple(out)
