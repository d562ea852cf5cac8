"""The compatibility database: ddtrace's releases and the facts of its release lines.

Loaded once per process (:func:`load`) from the snapshot shipped in ``ddguard/data``, or
``$DDGUARD_DB``, or the user copy ``ddguard db update`` wrote, then queried read-only
through :class:`Knowledge`. Nothing here derives facts or touches the network: the line
facts are data (``data/lines.json``, or the ``derived`` part of a user copy), the refresh
lives in :mod:`ddguard.knowledge.store`.
"""

from __future__ import annotations

import enum
import functools
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ddguard.errors import DatabaseError
from ddguard.knowledge.document import InvalidDocument, read_json
from ddguard.knowledge.lines import LevelChange, ReleaseLine, RuntimeRule, parse_lines
from ddguard.knowledge.releases import Release, parse_head, parse_releases
from ddguard.model import Minor
from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from ddguard.knowledge.dependencies import DependencyData

__all__ = [
    "DatabaseInfo",
    "DatabaseKind",
    "Knowledge",
    "LevelChange",
    "Release",
    "ReleaseLine",
    "RuntimeRule",
    "build",
    "chosen_database",
    "data_path",
    "from_documents",
    "load",
    "load_one",
    "read_chosen",
    "read_database",
    "user_database_path",
]


class DatabaseKind(str, enum.Enum):
    EMBEDDED = "embedded"  # the snapshot shipped in ddguard/data
    USER = "user"  # the copy `ddguard db update` keeps in the user cache
    ENVIRONMENT = "environment"  # $DDGUARD_DB
    FILE = "file"  # a path a caller gave load()


class DatabaseInfo(Record):
    path: str
    source: str
    fetched: str  # YYYY-MM-DD
    input_sha256: str
    policy_source: str
    embedded: bool
    kind: DatabaseKind = DatabaseKind.FILE
    verified: bool = False  # fetched from the index by ddguard (not `--from FILE`)
    index_url: Optional[str] = None  # the index it came from, credentials redacted
    lines_generated: str = ""  # when the line facts were derived
    lines_basis: str = ""  # who derived them: scripts/refresh_db.py, ddguard db update


class Knowledge:
    """Read-only queries over the loaded database."""

    def __init__(
        self,
        releases: Sequence[Release],
        lines: Sequence[ReleaseLine],
        info: DatabaseInfo,
        cpython_minors: Sequence[Minor] = (),
        dependencies: Optional[DependencyData] = None,
    ) -> None:
        self.releases: Tuple[Release, ...] = tuple(releases)
        self.lines: Tuple[ReleaseLine, ...] = tuple(lines)
        self.info = info
        # The CPython minors ddtrace releases are known for, oldest first: those a
        # project's Python range is judged over.
        self.cpython_minors: Tuple[Minor, ...] = tuple(cpython_minors)
        self._by_version = {r.version: r for r in self.releases}
        self._by_major = {line.major: line for line in self.lines}
        self._dependencies = dependencies

    @property
    def dependencies(self) -> DependencyData:
        """What installing each release pulls in: the data shipped in ``ddguard/data``
        unless given (releases it does not record pull in nothing judged)."""
        if self._dependencies is None:
            from ddguard.knowledge.dependencies import load as load_dependencies

            self._dependencies = load_dependencies()
        return self._dependencies

    @property
    def newest(self) -> Release:
        return self.releases[-1]

    def release(self, version: Version) -> Optional[Release]:
        return self._by_version.get(version)

    def release_named(self, version: str) -> Optional[Release]:
        """The release the snapshot spells ``version`` (``"2.21.12"``)."""
        return next((r for r in self.releases if str(r.version) == version), None)

    def line(self, version: Version) -> Optional[ReleaseLine]:
        return self._by_major.get(version.major)

    def releases_in(
        self, specifier: SpecifierSet, prereleases: Optional[bool] = None
    ) -> List[Release]:
        allowed = set(specifier.filter((r.version for r in self.releases), prereleases=prereleases))
        return [r for r in self.releases if r.version in allowed]


# --- where the database is ---------------------------------------------------------------


def user_database_path() -> str:
    """Where ``ddguard db update`` keeps its copy (the user cache directory)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ddguard", "releases.json")


def data_path(name: str) -> str:
    """A file of the package's data directory (``ddguard/data``)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", name)


def chosen_database(path: Optional[str] = None) -> Tuple[str, DatabaseKind]:
    """Where :func:`load` looks first: ``path``, else ``$DDGUARD_DB``, else the user copy
    when there is one, else the embedded snapshot (:func:`read_chosen` then prefers an
    embedded snapshot fetched after the user copy)."""
    if path:
        return path, DatabaseKind.FILE
    override = os.environ.get("DDGUARD_DB")
    if override:
        return override, DatabaseKind.ENVIRONMENT
    user = user_database_path()
    if os.path.exists(user):
        return user, DatabaseKind.USER
    return data_path("releases.json"), DatabaseKind.EMBEDDED


@functools.lru_cache(maxsize=None)
def load(path: Optional[str] = None) -> Knowledge:
    """The database :func:`read_chosen` picks. Cached: the same object for the life of the
    process (``load.cache_clear()`` after an update in this process)."""
    return read_chosen(path)


def load_one(version: str) -> Optional[Knowledge]:
    """The database :func:`load` reads holding only the release spelled ``version`` (its
    other rows unread): what the startup check needs to judge an installed release. None
    when the snapshot does not list that spelling once (then :func:`load` answers)."""
    chosen = read_chosen(only=version)
    return chosen if chosen.releases else None


def read_chosen(path: Optional[str] = None, *, only: Optional[str] = None) -> Knowledge:
    """The database at :func:`chosen_database` (uncached), except that a user copy is passed
    over for the embedded snapshot when that was fetched after it: an upgrade of ddguard
    brings newer data than an old ``db update``. A damaged copy is reported, with the way out."""
    chosen, kind = chosen_database(path)
    knowledge = read_database(chosen, kind, only=only)
    if kind is DatabaseKind.USER and _embedded_fetched() > knowledge.info.fetched:
        return read_database(data_path("releases.json"), DatabaseKind.EMBEDDED, only=only)
    return knowledge


@functools.lru_cache(maxsize=None)
def _embedded_fetched() -> str:
    """The embedded snapshot's fetch date ("" when it cannot say: the user copy is used)."""
    try:
        return parse_head(read_json(data_path("releases.json"))).fetched
    except (OSError, InvalidDocument):
        return ""


def read_database(path: str, kind: DatabaseKind, *, only: Optional[str] = None) -> Knowledge:
    """The database at ``path`` (uncached); DatabaseError naming the file and the way out.
    With ``only``, just the release spelled so (see :func:`~ddguard.knowledge.releases.parse_releases`)."""
    try:
        document = read_json(path)
    except OSError as exc:
        raise DatabaseError(
            f"cannot read {describe(path, kind)}: {exc.strerror or exc}{way_out(kind)}"
        ) from None
    except InvalidDocument as exc:
        raise DatabaseError(f"{describe(path, kind)} is not usable: {exc}{way_out(kind)}") from None
    return from_documents(document, None, path, kind is DatabaseKind.EMBEDDED, kind=kind, only=only)


def from_documents(
    releases_doc: Any,
    policy_doc: Any,
    path: str,
    embedded: bool,
    *,
    kind: Optional[DatabaseKind] = None,
    lines_doc: Any = None,
    only: Optional[str] = None,
) -> Knowledge:
    """A Knowledge from parsed documents (:func:`build`), or DatabaseError naming ``path``
    and the way out. ``policy_doc`` is accepted for callers of the former signature; the
    policy's source now travels with the line facts."""
    del policy_doc
    kind = kind or (DatabaseKind.EMBEDDED if embedded else DatabaseKind.FILE)
    try:
        return build(releases_doc, path, kind, lines_doc, only=only)
    except InvalidDocument as exc:
        raise DatabaseError(f"{describe(path, kind)} is not usable: {exc}{way_out(kind)}") from None


def build(
    releases_doc: Any,
    path: str,
    kind: DatabaseKind,
    lines_doc: Any = None,
    *,
    only: Optional[str] = None,
) -> Knowledge:
    """A Knowledge from a snapshot document and the line facts in ``lines_doc``, else the
    snapshot's own ``derived`` part, else ``data/lines.json``; InvalidDocument (a sentence
    that does not name the file) when either is damaged."""
    head = parse_head(releases_doc)
    releases = parse_releases(releases_doc, only)
    if lines_doc is None and isinstance(releases_doc, dict):
        lines_doc = releases_doc.get("derived")
    if lines_doc is None:
        lines_doc = _shipped_lines()
    lines_head, lines, minors = parse_lines(lines_doc)
    info = DatabaseInfo(
        path=path,
        source=head.source,
        fetched=head.fetched,
        input_sha256=head.input_sha256,
        policy_source=lines_head.policy_source,
        embedded=kind is DatabaseKind.EMBEDDED,
        kind=kind,
        verified=head.origin == "index" or kind is DatabaseKind.EMBEDDED,
        index_url=head.index_url,
        lines_generated=lines_head.generated,
        lines_basis=lines_head.basis,
    )
    return Knowledge(releases, lines, info, minors)


@functools.lru_cache(maxsize=None)
def _shipped_lines() -> Dict[str, Any]:
    path = data_path("lines.json")
    try:
        document: Dict[str, Any] = read_json(path)
    except (OSError, InvalidDocument) as exc:
        raise DatabaseError(
            f"cannot read ddguard's release-line data {path}: {exc}; reinstall ddguard"
        ) from None
    return document


def describe(path: str, kind: DatabaseKind) -> str:
    """The database named for a message: its path and where the choice came from."""
    if kind is DatabaseKind.ENVIRONMENT:
        return f"the ddguard database {path} (DDGUARD_DB)"
    if kind is DatabaseKind.USER:
        return f"the ddguard database {path} (the copy `ddguard db update` wrote)"
    if kind is DatabaseKind.EMBEDDED:
        return f"ddguard's embedded database {path}"
    return f"the ddguard database {path}"


def way_out(kind: DatabaseKind) -> str:
    if kind is DatabaseKind.USER:
        return (
            "; run `ddguard db reset` to use the embedded snapshot again, "
            "or `ddguard db update --force` to replace it"
        )
    if kind is DatabaseKind.ENVIRONMENT:
        return "; point DDGUARD_DB at a database `ddguard db update` wrote, or unset it"
    if kind is DatabaseKind.EMBEDDED:
        return "; the installed ddguard is damaged: reinstall it"
    return ""
