"""A project's whole Python range: the CPython versions it admits on which a pin breaks.

The one judgement behind the CLI's notes, the build hooks and the PDM/Poetry plugins (a
lock covers every interpreter the range admits). The CPython versions considered come
from the database (``Knowledge.cpython_minors``), never from guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

from ddguard.evaluate.requirement import applies, refuses
from ddguard.model import Minor, Options, Pin
from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.knowledge import Knowledge
    from ddguard.target import Target

Admits = Callable[[str], bool]  # does the range admit this full version ("3.12.0")?
_PATCHES = range(0, 40)  # CPython patch releases reach .20-ish; a range may start inside a minor


class RangeFinding(Record):
    """One pin that breaks on part of the project's Python range, on one platform."""

    pin: Pin
    target: Target  # the platform (and the first broken CPython) it was judged on
    broken: Tuple[Minor, ...]  # admitted CPython versions where the pin is refused
    admitted: Tuple[Minor, ...]  # every CPython version the range admits
    marker: Optional[str]  # a python_version marker that excludes ``broken``, if one does


def admitted_minors(knowledge: Knowledge, admits: Admits) -> Tuple[Minor, ...]:
    """The known CPython versions with some release inside the range."""
    return tuple(
        minor
        for minor in knowledge.cpython_minors
        if any(admits("%d.%d.%d" % (minor[0], minor[1], patch)) for patch in _PATCHES)
    )


def judge_python_range(
    knowledge: Knowledge,
    pins: Sequence[Pin],
    admits: Admits,
    targets: Sequence[Target],
    options: Options,
) -> Tuple[RangeFinding, ...]:
    """For each pin and each distinct platform among ``targets``: the admitted CPython
    versions where the pin is refused."""
    admitted = admitted_minors(knowledge, admits)
    if not admitted:
        return ()
    findings: List[RangeFinding] = []
    platforms: Dict[Tuple[str, ...], Target] = {}
    for target in targets:
        platforms.setdefault(target.platforms, target)
    for target in platforms.values():
        seen = set()
        for pin in pins:
            key = (str(pin.specifier), pin.alternatives, str(pin.marker), pin.unknown)
            if pin.unknown or key in seen:
                continue
            seen.add(key)
            broken = tuple(
                minor
                for minor in admitted
                if applies(pin, target.with_python(minor))
                and refuses(knowledge, pin, target.with_python(minor), options)
            )
            if broken:
                findings.append(
                    RangeFinding(
                        pin=pin,
                        target=target.with_python(broken[0]),
                        broken=broken,
                        admitted=admitted,
                        marker=_marker(broken, admitted),
                    )
                )
    return tuple(findings)


def _marker(broken: Tuple[Minor, ...], admitted: Tuple[Minor, ...]) -> Optional[str]:
    good = [m for m in admitted if m not in broken]
    if not good:
        return None
    if broken[0] > max(good):
        return 'python_version < "%d.%d"' % broken[0]
    if broken[-1] < min(good):
        return 'python_version >= "%d.%d"' % min(good)
    return None
