"""Transitional: ``ddguard db update`` / ``db status`` for the current ``cli.py``.

The store is :mod:`ddguard.knowledge.store` (structured results, no words). This module
only words its results the way ``cli.py`` prints them today; delete it once the command
line renders ``store.update()``, ``store.reset()`` and ``store.status()`` through
``ddguard.report``.
"""

from __future__ import annotations

import datetime
from typing import List, NamedTuple, Optional

from ddguard.knowledge import DatabaseKind, store

STALE_DAYS = store.STALE_DAYS
_KIND_WORDS = {
    DatabaseKind.ENVIRONMENT: "DDGUARD_DB",
    DatabaseKind.EMBEDDED: "embedded",
    DatabaseKind.USER: "user cache",
    DatabaseKind.FILE: "file",
}


def change_lines(changes: store.Changes) -> List[str]:
    if changes.empty:
        return ["no change"]
    out = []
    if changes.new_releases:
        out.append(
            f"new releases ({len(changes.new_releases)}): " + ", ".join(changes.new_releases)
        )
    if changes.new_wheel_tags:
        out.append(
            f"new wheel tags ({len(changes.new_wheel_tags)}): "
            + ", ".join(f"{v} {t}" for v, t in changes.new_wheel_tags)
        )
    if changes.removed_releases:
        out.append(
            f"releases no longer listed ({len(changes.removed_releases)}): "
            + ", ".join(changes.removed_releases)
        )
    if changes.new_yanks:
        out.append(
            f"new yanks ({len(changes.new_yanks)}): "
            + ", ".join(f"{v} ({r})" if r else v for v, r in changes.new_yanks)
        )
    return out


class _Changes(NamedTuple):
    changes: store.Changes

    def lines(self) -> List[str]:
        return change_lines(self.changes)


class _Updated(NamedTuple):
    path: str
    releases: int
    newest: str
    previous: str
    changes: _Changes


def update(from_file: Optional[str] = None) -> _Updated:
    result = store.update(from_file)
    return _Updated(
        result.path, result.releases, result.newest, result.previous, _Changes(result.changes)
    )


class _Status(NamedTuple):
    status: store.Status

    @property
    def fetched(self) -> str:
        return self.status.fetched

    @property
    def stale(self) -> bool:
        return self.status.stale

    def as_text(self) -> str:
        s = self.status
        rows = [
            f"database: {s.path} ({_KIND_WORDS[s.kind]})",
            f"snapshot: {s.fetched} ({s.age_days} days old)",
            f"source: {s.source}",
            f"releases: {s.releases} (newest {s.newest}, {s.yanked} yanked), "
            f"{s.lines} release lines, {s.wheel_tags} distinct wheel tags",
        ]
        if s.stale:
            rows.append(
                f"warning: the database is older than {STALE_DAYS} days; "
                "refresh it with `ddguard db update` (or `--from FILE` offline)"
            )
        return "\n".join(rows) + "\n"


def status(today: Optional[datetime.date] = None) -> _Status:
    return _Status(store.status(today))
