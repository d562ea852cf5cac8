"""``ddguard db update`` and ``ddguard db status``: refresh and describe the release database.

``update`` reads the index's JSON API for ddtrace (or a saved copy of it), turns it into a
snapshot (``ddguard.snapshot``), validates it (schema, every version and Requires-Python
parses, it loads, and it never lists fewer releases than the embedded snapshot or the
copy it replaces), then writes it atomically to ``$XDG_CACHE_HOME/ddguard/releases.json``.
On any failure the old database stays and a DatabaseError names the reason.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

from ddguard import knowledge, snapshot
from ddguard.errors import DatabaseError

STALE_DAYS = 90


@dataclass(frozen=True)
class Changes:
    new_releases: Tuple[str, ...]
    new_wheel_tags: Tuple[Tuple[str, str], ...]  # (version, wheel tag) on a known release
    new_yanks: Tuple[Tuple[str, str], ...]  # (version, reason)

    def lines(self) -> List[str]:
        if not (self.new_releases or self.new_wheel_tags or self.new_yanks):
            return ["no change"]
        out = []
        if self.new_releases:
            out.append(f"new releases ({len(self.new_releases)}): " + ", ".join(self.new_releases))
        if self.new_wheel_tags:
            out.append(
                f"new wheel tags ({len(self.new_wheel_tags)}): "
                + ", ".join(f"{v} {t}" for v, t in self.new_wheel_tags)
            )
        if self.new_yanks:
            out.append(
                f"new yanks ({len(self.new_yanks)}): "
                + ", ".join(f"{v} ({r})" if r else v for v, r in self.new_yanks)
            )
        return out


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    releases: int
    newest: str
    fetched: str
    source: str
    changes: Changes
    previous: str  # the database it was compared with


def update(
    from_file: Optional[str] = None,
    *,
    index_url: Optional[str] = None,
    destination: Optional[Path] = None,
    fetch: Callable[[str], bytes] = snapshot.fetch_index_json,
) -> UpdateResult:
    """Refresh the user copy; raise DatabaseError (leaving the old copy) on any failure."""
    if from_file:
        try:
            raw = Path(from_file).read_bytes()
        except OSError as exc:
            raise DatabaseError(f"cannot read {from_file}: {exc.strerror}") from exc
        source = f"package index JSON API, saved as {Path(from_file).name}"
        label = from_file
    else:
        url = snapshot.index_json_url(index_url=index_url)
        raw = fetch(url)
        source = "package index JSON API (the index pip uses), /pypi/ddtrace/json"
        label = url
    destination = destination or knowledge.user_database_path()
    document = snapshot.build_snapshot(raw, source)
    new = validate(document, label)
    embedded = _load(_embedded_path())
    previous = _load(destination) if destination.is_file() else None
    for baseline in filter(None, (embedded, previous)):
        if (
            len(new.releases) < len(baseline.releases)
            or new.newest.version < baseline.newest.version
        ):
            raise DatabaseError(
                f"{label} lists {len(new.releases)} ddtrace releases up to {new.newest.version}, "
                f"fewer or older than the {len(baseline.releases)} up to "
                f"{baseline.newest.version} in {baseline.info.path}: keeping the current database"
            )
    old = previous or embedded
    write_atomic(destination, snapshot.dump(document))
    return UpdateResult(
        path=destination,
        releases=len(new.releases),
        newest=str(new.newest.version),
        fetched=new.info.fetched,
        source=source,
        changes=diff(old, new),
        previous=old.info.path,
    )


def validate(document: Any, label: str) -> knowledge.Knowledge:
    """The snapshot as the loader will read it back, or DatabaseError."""
    try:
        text = snapshot.dump(document)
        reread = json.loads(text)
        policy = json.loads((_embedded_path().parent / "policy.json").read_text("utf-8"))
        db = knowledge.from_documents(reread, policy, label, embedded=False)
        for release in db.releases:
            if release.requires_python:
                knowledge._specifier(release.requires_python)
            release.wheel_tags()
    except DatabaseError:
        raise
    except Exception as exc:  # any shape problem is a refusal, never a traceback
        raise DatabaseError(f"{label}: fails validation: {exc}") from exc
    return db


def diff(old: knowledge.Knowledge, new: knowledge.Knowledge) -> Changes:
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
    return Changes(tuple(new_releases), tuple(new_tags), tuple(new_yanks))


def write_atomic(path: Path, text: str) -> None:
    """Write next to ``path`` then rename over it: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".releases-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@dataclass(frozen=True)
class Status:
    path: str
    kind: str  # "DDGUARD_DB", "user cache", "embedded"
    fetched: str
    source: str
    age_days: int
    releases: int
    lines: int
    yanked: int
    wheel_tags: int
    newest: str

    @property
    def stale(self) -> bool:
        return self.age_days > STALE_DAYS

    def as_text(self) -> str:
        rows = [
            f"database: {self.path} ({self.kind})",
            f"snapshot: {self.fetched} ({self.age_days} days old)",
            f"source: {self.source}",
            f"releases: {self.releases} (newest {self.newest}, {self.yanked} yanked), "
            f"{self.lines} release lines, {self.wheel_tags} distinct wheel tags",
        ]
        if self.stale:
            rows.append(
                f"warning: the database is older than {STALE_DAYS} days; "
                "refresh it with `ddguard db update` (or `--from FILE` offline)"
            )
        return "\n".join(rows) + "\n"


def status(today: Optional[datetime.date] = None) -> Status:
    db = _load(None)
    if os.environ.get("DDGUARD_DB"):
        kind = "DDGUARD_DB"
    elif db.info.embedded:
        kind = "embedded"
    else:
        kind = "user cache"
    fetched = datetime.date.fromisoformat(db.info.fetched[:10])
    return Status(
        path=db.info.path,
        kind=kind,
        fetched=fetched.isoformat(),
        source=db.info.source,
        age_days=((today or datetime.date.today()) - fetched).days,
        releases=len(db.releases),
        lines=len(db.lines),
        yanked=sum(1 for r in db.releases if r.yanked),
        wheel_tags=len({t for r in db.releases for t in r.wheel_files}),
        newest=str(db.newest.version),
    )


def _embedded_path() -> Path:
    return Path(knowledge.__file__).resolve().parent / "data" / "releases.json"


def _load(path: Optional[Path]) -> knowledge.Knowledge:
    """A fresh (uncached) load, so that an update in this process is seen."""
    return knowledge.load.__wrapped__(str(path) if path else None)
