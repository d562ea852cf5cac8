"""The user copy of the database: ``ddguard db update``, ``db reset`` and ``db status``.

``update`` reads the index's JSON API for ddtrace (or a saved copy of it), builds a snapshot
(:mod:`.snapshot`), derives its line facts (:mod:`.derive`), loads it back as the loader
will, and replaces ``$XDG_CACHE_HOME/ddguard/releases.json`` atomically. On any failure the
old database stays and a DatabaseError names the reason. It never lists fewer or older
releases than the trusted ones, unless forced: the embedded snapshot, and the previous copy
when ddguard fetched it from the index itself. A saved document (``--from``) and releases
uploaded "in the future" are never trusted, so a bogus release cannot lock out genuine
updates. Updates hold a lock (released by the OS if the process dies) and compare-and-swap
the file, so concurrent updates never lose one; leftovers of a killed update are removed.

Results are values; the command line words them.
"""

from __future__ import annotations

import datetime
import enum
import functools
import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ddguard.errors import DatabaseError
from ddguard.knowledge import (
    DatabaseKind,
    Knowledge,
    build,
    data_path,
    files,
    load,
    read_chosen,
    read_database,
    user_database_path,
)
from ddguard.knowledge import refresh as _refresh
from ddguard.knowledge.derive import derive
from ddguard.knowledge.document import InvalidDocument, read_bytes, read_json
from ddguard.knowledge.releases import Release, parse_releases
from ddguard.knowledge.snapshot import build_snapshot, dump
from ddguard.record import Record

STALE_DAYS = 90


class Stage(str, enum.Enum):
    """What an update is doing, for a progress display."""

    FETCHING = "fetching"
    VALIDATING = "validating"
    WRITING = "writing"


class Origin(str, enum.Enum):
    INDEX = "index"  # fetched from the package index by ddguard: trusted
    FILE = "file"  # a saved document (``--from FILE``): never a reference for later updates


class Changes(Record):
    new_releases: Tuple[str, ...]
    new_wheel_tags: Tuple[Tuple[str, str], ...]  # (version, wheel tag) on a known release
    new_yanks: Tuple[Tuple[str, str], ...]  # (version, reason)
    removed_releases: Tuple[str, ...] = ()  # listed before, not now (a forced or file update)

    @property
    def empty(self) -> bool:
        return not (
            self.new_releases or self.new_wheel_tags or self.new_yanks or self.removed_releases
        )


class IndexUsed(Record):
    url: str  # the simple URL, credentials redacted
    origin: _refresh.IndexOrigin
    config_file: Optional[str]  # the pip configuration file naming it


class UpdateResult(Record):
    path: str  # the user copy written
    releases: int
    newest: str
    fetched: str
    source: str  # as stored (credentials redacted)
    origin: Origin
    index_used: Optional[IndexUsed]  # None for ``--from FILE``
    changes: Changes  # against ``previous``
    previous: str  # the database it was compared with (the old copy, else the embedded one)
    previous_unusable: bool  # the old copy could not be read: it was replaced
    forced: bool
    future_uploads: Tuple[str, ...]  # releases dated after today: kept, never trusted
    removed_leftovers: int  # temporaries of interrupted updates removed
    environment_override: Optional[str]  # $DDGUARD_DB, which loading still prefers


class ResetResult(Record):
    path: str  # the user copy
    removed: bool  # there was one
    removed_leftovers: int
    serving: str  # the database that loads now
    environment_override: Optional[str]


class Status(Record):
    path: str
    kind: DatabaseKind
    fetched: str
    source: str
    age_days: int
    releases: int
    lines: int
    yanked: int
    wheel_tags: int
    newest: str
    verified: bool
    index_url: Optional[str]
    lines_generated: str

    @property
    def stale(self) -> bool:
        return self.age_days > STALE_DAYS


Progress = Callable[[Stage], None]
Fetch = Callable[[_refresh.Index], bytes]


# --- update ---------------------------------------------------------------------------------


def update(
    from_file: Optional[str] = None,
    *,
    force: bool = False,
    index_url: Optional[str] = None,
    destination: Optional[str] = None,
    fetch: Optional[Fetch] = None,
    progress: Optional[Progress] = None,
    today: Optional[datetime.date] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> UpdateResult:
    """Refresh the user copy; DatabaseError (the old copy kept) on any failure.

    ``force`` replaces the copy even when the new data lists fewer or older releases than
    the trusted ones (the way out of a bad copy). ``fetch`` reads an index's JSON document
    (default: :func:`ddguard.knowledge.refresh.fetch`); ``progress`` hears each stage."""
    say = progress or (lambda stage: None)
    env = os.environ if environ is None else environ
    day = today or datetime.date.today()
    destination = destination or user_database_path()
    say(Stage.FETCHING)
    index: Optional[_refresh.Index] = None
    if from_file:
        raw = _read_saved(from_file)
        label, origin = from_file, Origin.FILE
        source = f"package index JSON API, saved as {os.path.basename(from_file)}"
    else:
        index = _refresh.choose_index(index_url, env)
        raw = (fetch or _refresh.fetch)(index)
        label, origin = index.shown, Origin.INDEX
        source = f"package index JSON API of {index.shown} (/pypi/ddtrace/json)"
    say(Stage.VALIDATING)
    text, new = _validated(raw, source, label, origin, index, destination, day)
    future = tuple(str(r.version) for r in new.releases if r.uploaded > _tomorrow(day))
    say(Stage.WRITING)
    directory = os.path.dirname(os.path.abspath(destination))
    with files.locked(directory) as held:
        removed = files.remove_leftovers(directory, everything=held)
        for _attempt in range(3):
            seen = files.identity(destination)
            previous, unusable = _previous(destination)
            if not force:
                _refuse_older(new, [_embedded(), previous], label)
            if files.identity(destination) == seen:  # compare-and-swap, should a lock fail
                files.write(destination, text)
                break
        else:
            raise DatabaseError(
                f"{destination} kept changing while updating it: try `ddguard db update` again"
            )
    load.cache_clear()
    old = previous or _embedded()
    return UpdateResult(
        path=destination,
        releases=len(new.releases),
        newest=str(new.newest.version),
        fetched=new.info.fetched,
        source=source,
        origin=origin,
        index_used=IndexUsed(index.shown, index.origin, index.config_file) if index else None,
        changes=diff(old, new),
        previous=old.info.path,
        previous_unusable=unusable,
        forced=force,
        future_uploads=future,
        removed_leftovers=removed,
        environment_override=env.get("DDGUARD_DB") or None,
    )


def _read_saved(path: str) -> bytes:
    try:
        return read_bytes(path, _refresh.MAX_RESPONSE_BYTES)
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}") from None
    except InvalidDocument as exc:
        raise DatabaseError(f"cannot update from {path}: {exc}") from None


def _validated(
    raw: bytes,
    source: str,
    label: str,
    origin: Origin,
    index: Optional[_refresh.Index],
    destination: str,
    day: datetime.date,
) -> Tuple[str, Knowledge]:
    """The text to write, and the database as the loader will read it back."""
    try:
        document = build_snapshot(
            raw,
            source,
            day.isoformat(),
            origin=origin.value,
            index=index.shown if index is not None else None,
        )
        # a release dated after tomorrow is kept, but no line fact rests on it
        dated = [r for r in parse_releases(document) if r.uploaded <= _tomorrow(day)]
        document["derived"] = derive(
            dated,
            _policy(),
            generated=day.isoformat(),
            generated_by="ddguard db update",
            inputs={
                "releases": {"source": source, "sha256": document["input_sha256"]},
                "policy": {"file": "policy.json"},
            },
        )
        text = dump(document)
        new = build(json.loads(text), destination, DatabaseKind.USER)  # as load() will
    except InvalidDocument as exc:
        raise DatabaseError(
            f"cannot update from {label}: {exc}; the current database is kept"
        ) from None
    return text, new


def _tomorrow(day: datetime.date) -> str:
    return (day + datetime.timedelta(days=1)).isoformat()


def _trusted(db: Knowledge) -> List[Release]:
    """The releases of a trusted database that may serve as a reference: none dated after
    the day it was fetched."""
    limit = _tomorrow(datetime.date.fromisoformat(db.info.fetched))
    return [r for r in db.releases if r.uploaded <= limit]


def _refuse_older(new: Knowledge, references: List[Optional[Knowledge]], label: str) -> None:
    for reference in references:
        if reference is None or not reference.info.verified:
            continue
        trusted = _trusted(reference)
        if not trusted:
            continue
        newest = max(r.version for r in trusted)
        if len(new.releases) < len(trusted) or new.newest.version < newest:
            raise DatabaseError(
                f"{label} lists {len(new.releases)} ddtrace releases up to "
                f"{new.newest.version}, fewer or older than the {len(trusted)} up to {newest} "
                f"in {reference.info.path}: keeping the current database "
                "(`ddguard db update --force` replaces it anyway)"
            )


def _previous(destination: str) -> Tuple[Optional[Knowledge], bool]:
    """The copy being replaced, and whether one exists that cannot be read."""
    if not os.path.lexists(destination):
        return None, False
    try:
        return read_database(destination, DatabaseKind.USER), False
    except DatabaseError:
        return None, True


@functools.lru_cache(maxsize=None)
def _embedded() -> Knowledge:
    return read_database(data_path("releases.json"), DatabaseKind.EMBEDDED)


def _policy() -> Dict[str, Any]:
    try:
        policy: Dict[str, Any] = read_json(data_path("policy.json"))
    except (OSError, InvalidDocument) as exc:
        raise DatabaseError(
            f"cannot read ddguard's policy data {data_path('policy.json')}: {exc}; "
            "reinstall ddguard"
        ) from None
    return policy


def diff(old: Knowledge, new: Knowledge) -> Changes:
    new_releases, new_tags, new_yanks = [], [], []
    for release in new.releases:
        before = old.release(release.version)
        if before is None:
            new_releases.append(str(release.version))
            continue
        for tag in sorted(set(release.wheel_files) - set(before.wheel_files)):
            new_tags.append((str(release.version), tag))
        if release.yanked and not before.yanked:
            new_yanks.append((str(release.version), release.yank_reason or ""))
    removed = tuple(str(r.version) for r in old.releases if new.release(r.version) is None)
    return Changes(tuple(new_releases), tuple(new_tags), tuple(new_yanks), removed)


# --- reset and status -------------------------------------------------------------------------


def reset(
    destination: Optional[str] = None, environ: Optional[Mapping[str, str]] = None
) -> ResetResult:
    """Remove the user copy (and leftovers of interrupted updates): the embedded snapshot
    serves again. Works whatever state the copy is in."""
    env = os.environ if environ is None else environ
    destination = destination or user_database_path()
    directory = os.path.dirname(os.path.abspath(destination))
    removed = False
    leftovers = 0
    if os.path.isdir(directory):
        with files.locked(directory) as held:
            leftovers = files.remove_leftovers(directory, everything=held)
            try:
                os.unlink(destination)
                removed = True
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise DatabaseError(f"cannot remove {destination}: {exc.strerror or exc}") from None
    load.cache_clear()
    override = env.get("DDGUARD_DB") or None
    return ResetResult(
        path=destination,
        removed=removed,
        removed_leftovers=leftovers,
        serving=override or data_path("releases.json"),
        environment_override=override,
    )


def status(today: Optional[datetime.date] = None) -> Status:
    """The database loading would use now; DatabaseError (with the way out) when broken."""
    db = read_chosen()
    fetched = datetime.date.fromisoformat(db.info.fetched)
    return Status(
        path=db.info.path,
        kind=db.info.kind,
        fetched=db.info.fetched,
        source=db.info.source,
        age_days=((today or datetime.date.today()) - fetched).days,
        releases=len(db.releases),
        lines=len(db.lines),
        yanked=sum(1 for r in db.releases if r.yanked),
        wheel_tags=len({t for r in db.releases for t in r.wheel_files}),
        newest=str(db.newest.version),
        verified=db.info.verified,
        index_url=db.info.index_url,
        lines_generated=db.info.lines_generated,
    )


__all__ = [
    "STALE_DAYS",
    "Changes",
    "IndexUsed",
    "Origin",
    "ResetResult",
    "Stage",
    "Status",
    "UpdateResult",
    "diff",
    "reset",
    "status",
    "update",
]
