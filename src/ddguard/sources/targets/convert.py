"""A declaration as the :class:`~ddguard.target.Target` it names.

Only what the file states is used; what to assume for an architecture or libc it leaves
unstated is the caller's policy, passed explicitly (``assume_arch``, ``assume_libc``).
"""

from __future__ import annotations

from typing import Optional

from ddguard.model.deployment import TargetDeclaration
from ddguard.target import Arch, Libc, Os, Target


def to_target(
    declaration: TargetDeclaration,
    *,
    assume_arch: Optional[Arch] = None,
    assume_libc: Optional[Libc] = None,
) -> Optional[Target]:
    """The Target of ``declaration`` when its implementation, Python X.Y, OS,
    architecture and (on Linux) libc are known, the ``assume_*`` values standing in for
    the ones it does not state; None otherwise (a major only, no OS, Arch.OTHER)."""
    filled = declaration
    if filled.arch is None and assume_arch is not None:
        filled = filled._replace(arch=assume_arch)
    if filled.os is Os.LINUX and filled.libc is None and assume_libc is not None:
        filled = filled._replace(libc=assume_libc)
    compact = filled.compact()
    return Target.from_compact(compact) if compact is not None else None
