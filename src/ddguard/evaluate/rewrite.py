"""``ddguard fix``'s decision: the smallest change to a refused requirement that passes on
every target in play.

In order: the newest release of the same minor, else of the same line, else the newest
release of the oldest supported line that works, else the newest release that works —
never a release that fails on one of the targets. When no release works on all of them,
a split by ``python_version`` marker (the requirement as it is where it works, a new one
where it does not) when the targets divide that way.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

from ddguard.evaluate.pick import exact_version, installer_pick, releases_in
from ddguard.evaluate.release import passes
from ddguard.evaluate.requirement import applies, refuses
from ddguard.model import Minor, Options, Pin, SupportLevel
from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.version import Version

    from ddguard.knowledge import Knowledge, Release
    from ddguard.target import Target


class Step(str, enum.Enum):
    """Which rule chose the release (for the edit's record)."""

    SAME_MINOR = "same-minor"
    SAME_LINE = "same-line"
    SUPPORTED_LINE = "oldest-supported-line"
    NEWEST = "newest"


class Choice(Record):
    """A release to move the requirement to, and the range of its line that works."""

    version: Version
    low: Version  # the first release of the working run ending at ``version``
    high: Optional[Version]  # the first release after it that does not work (None: none known)
    step: Step


class Split(Record):
    """No release works everywhere: keep the requirement below ``python``, use ``choice`` from it."""

    python: Minor
    choice: Choice


class Decision(Record):
    pin: Pin
    targets: Tuple[Target, ...]  # the targets where the pin's marker applies
    refused_on: Tuple[Target, ...]  # those where it is refused today
    choice: Optional[Choice]  # None: nothing to change, or no single release works
    split: Optional[Split]  # when no single release works but a python_version split does
    conflict: Tuple[Target, ...]  # no release works on all of these together


def decide(knowledge: Knowledge, pin: Pin, targets: Sequence[Target], options: Options) -> Decision:
    """What to rewrite ``pin`` to so that it passes on every target it applies to."""
    applying = tuple(t for t in targets if applies(pin, t))
    refused = tuple(t for t in applying if refuses(knowledge, pin, t, options))
    if not refused or pin.unknown:
        return Decision(pin, applying, refused, None, None, ())
    base = _base_version(knowledge, pin, applying)
    choice = _choose(knowledge, applying, options, base)
    if choice is not None:
        return Decision(pin, applying, refused, choice, None, ())
    return Decision(pin, applying, refused, None, _split(knowledge, pin, applying, refused, options, base), refused)


def _base_version(knowledge: Knowledge, pin: Pin, targets: Sequence[Target]) -> Optional[Version]:
    """The release the requirement means today: the pin, or what an installer picks."""
    pinned = exact_version(pin.specifier) if not pin.alternatives else None
    if pinned is not None:
        return pinned
    candidates = releases_in(knowledge, pin.specifier)
    picks = [installer_pick(candidates, t) for t in targets]
    versions = [p.version for p in picks if p is not None]
    if versions:
        return max(versions)
    return candidates[-1].version if candidates else None


def _works_everywhere(knowledge: Knowledge, targets: Sequence[Target], options: Options) -> List[Release]:
    return [
        r
        for r in knowledge.releases
        if not r.version.is_prerelease and all(passes(knowledge, r, t, options) for t in targets)
    ]


def _choose(
    knowledge: Knowledge, targets: Sequence[Target], options: Options, base: Optional[Version]
) -> Optional[Choice]:
    working = _works_everywhere(knowledge, targets, options)
    if not working:
        return None
    picked: Optional[Release] = None
    step = Step.NEWEST
    if base is not None:
        same_minor = [r for r in working if (r.version.major, r.version.minor) == (base.major, base.minor)]
        same_line = [r for r in working if r.version.major == base.major]
        if same_minor:
            picked, step = same_minor[-1], Step.SAME_MINOR
        elif same_line:
            picked, step = same_line[-1], Step.SAME_LINE
    if picked is None:
        supported = [r for r in working if _supported(knowledge, r)]
        if supported:
            oldest_line = supported[0].version.major
            picked = [r for r in supported if r.version.major == oldest_line][-1]
            step = Step.SUPPORTED_LINE
        else:
            picked = working[-1]
    return _with_run(knowledge, picked, working, step)


def _with_run(knowledge: Knowledge, picked: Release, working: Sequence[Release], step: Step) -> Choice:
    """The contiguous run of working final releases (of the same line) around ``picked``."""
    ok = {r.version for r in working}
    line = [
        r for r in knowledge.releases if r.version.major == picked.version.major and not r.version.is_prerelease and not r.yanked
    ]
    index = next(i for i, r in enumerate(line) if r.version == picked.version)
    low = index
    while low > 0 and line[low - 1].version in ok:
        low -= 1
    high = index
    while high + 1 < len(line) and line[high + 1].version in ok:
        high += 1
    after = line[high + 1].version if high + 1 < len(line) else None
    return Choice(version=picked.version, low=line[low].version, high=after, step=step)


def _supported(knowledge: Knowledge, release: Release) -> bool:
    line = knowledge.line(release.version)
    return line is not None and line.level is not SupportLevel.EOL


def _split(
    knowledge: Knowledge,
    pin: Pin,
    targets: Sequence[Target],
    refused: Sequence[Target],
    options: Options,
    base: Optional[Version],
) -> Optional[Split]:
    """The requirement stays where it works and a new one takes over from the lowest
    CPython where it breaks — when every target below that CPython passes and a single
    release works on every target from it."""
    first = min(t.python for t in refused)
    below = [t for t in targets if t.python < first]
    above = [t for t in targets if t.python >= first]
    if any(t in refused for t in below) or not below:
        return None
    choice = _choose(knowledge, above, options, base)
    return Split(first, choice) if choice is not None else None
