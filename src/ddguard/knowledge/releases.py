"""ddtrace's releases as the snapshot records them, and the snapshot's parser.

The snapshot (``data/releases.json``, or a user copy ``ddguard db update`` wrote) lists every
release once: version, upload date, Requires-Python, yank reason, sdist, and an index into
shared lists of wheel tag texts. Parsing checks every value it keeps, so a damaged file is
one :class:`~ddguard.knowledge.document.InvalidDocument`, never an exception later on.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, FrozenSet, Iterable, List, Optional, Set, Tuple

from packaging.version import InvalidVersion, Version

from ddguard.knowledge.document import (
    InvalidDocument,
    clean_text,
    expect_int,
    expect_list,
    expect_object,
    expect_optional_str,
    expect_str,
    field,
    is_date,
    shown,
)
from ddguard.knowledge.requires_python import admits, readable
from ddguard.record import Record

if TYPE_CHECKING:
    from packaging.tags import Tag

SCHEMA = 1
COLUMNS = ["version", "uploaded", "requires_python", "yanked_reason", "sdist", "tag_set"]


class Release(Record):
    version: Version
    uploaded: str  # YYYY-MM-DD of its first file
    requires_python: Optional[str]
    yank_reason: Optional[str]  # None when not yanked; "" when yanked without a reason
    sdist: Optional[str]  # sdist file extension, None when the release has none
    wheel_files: Tuple[str, ...]  # tag parts of the wheel file names ("cp312-cp312-win32")

    @property
    def yanked(self) -> bool:
        return self.yank_reason is not None

    def admits_python(self, python_full_version: str) -> bool:
        """Whether Requires-Python admits this Python (no Requires-Python admits all)."""
        return self.requires_python is None or admits(self.requires_python, python_full_version)

    def wheel_tags(self) -> FrozenSet[Tag]:
        return expand_tags(self.wheel_files)

    def filenames(self) -> List[str]:
        names = [f"ddtrace-{self.version}-{tags}.whl" for tags in self.wheel_files]
        if self.sdist:
            names.append(f"ddtrace-{self.version}.{self.sdist}")
        return names


class SnapshotHead(Record):
    """What a snapshot says about itself."""

    source: str
    fetched: str  # YYYY-MM-DD
    input_sha256: str
    origin: Optional[str]  # "index" (fetched by ddguard) or "file" (--from); None: not recorded
    index_url: Optional[str]  # the index it was fetched from, credentials redacted


def parse_head(document: Any) -> SnapshotHead:
    doc = expect_object(document, "the document")
    schema = doc.get("schema")
    if schema != SCHEMA:
        what = shown(str(schema)) if schema is not None else "no schema"
        raise InvalidDocument(f"it has {what} where a ddguard snapshot has schema {SCHEMA}")
    fetched = expect_str(field(doc, "fetched", "the document"), "'fetched'")
    if not is_date(fetched[:10]):
        raise InvalidDocument(f"'fetched' is {shown(fetched)}, not a date (YYYY-MM-DD)")
    origin = expect_optional_str(doc.get("origin"), "'origin'")
    index = expect_optional_str(doc.get("index"), "'index'")
    return SnapshotHead(
        source=clean_text(expect_str(field(doc, "source", "the document"), "'source'")),
        fetched=fetched[:10],
        input_sha256=clean_text(
            expect_str(field(doc, "input_sha256", "the document"), "'input_sha256'")
        ),
        origin=clean_text(origin) if origin is not None else None,
        index_url=clean_text(index) if index is not None else None,
    )


def parse_releases(document: Any, only: Optional[str] = None) -> Tuple[Release, ...]:
    """Every release of a snapshot document, sorted by version; with ``only``, the one
    release whose version the document spells so (none when it lists it twice), the other
    rows unread."""
    doc = expect_object(document, "the document")
    tags = expect_list(field(doc, "tags", "the document"), "'tags'")
    sets = expect_list(field(doc, "tag_sets", "the document"), "'tag_sets'")
    rows = expect_list(field(doc, "releases", "the document"), "'releases'")
    if not rows:
        raise InvalidDocument("it lists no release")
    used: Iterable[int] = range(len(sets))
    if only is not None:
        rows = [row for row in rows if type(row) is list and row and row[0] == only]
        if len(rows) != 1:
            return ()
        index = rows[0][-1]
        used = [index] if type(index) is int and 0 <= index < len(sets) else []
    tag_sets: List[Tuple[str, ...]] = [()] * len(sets)
    checked: Set[int] = set()  # tags found to be wheel tags
    for number in used:  # each tag set, checked with its tags (with ``only``: the one used)
        tag_sets[number] = _tag_set(sets[number], number, tags, checked)
    releases = [_release(row, number, tag_sets) for number, row in enumerate(rows)]
    if any(a.version >= b.version for a, b in zip(releases, releases[1:])):
        releases.sort(key=lambda r: r.version)
        for a, b in zip(releases, releases[1:]):
            if a.version == b.version:
                raise InvalidDocument(f"it lists release {a.version} twice")
    for text in {r.requires_python for r in releases if r.requires_python is not None}:
        if not readable(text):
            raise InvalidDocument(
                f"Requires-Python {shown(text)} of a release is not a version specifier"
            )
    return tuple(releases)


def _tag_set(members: Any, number: int, tags: List[Any], checked: Set[int]) -> Tuple[str, ...]:
    what = f"tag set {number}"
    indexes = [expect_int(i, f"a member of {what}") for i in expect_list(members, what)]
    if any(not 0 <= i < len(tags) for i in indexes):
        raise InvalidDocument(f"{what} names a tag the document does not list")
    for i in indexes:
        if i not in checked:
            if not is_tag_text(expect_str(tags[i], f"tag {i}")):
                raise InvalidDocument(f"tag {i} ({shown(tags[i])}) is not a wheel tag")
            checked.add(i)
    return tuple(tags[i] for i in indexes)


def _release(row: Any, number: int, tag_sets: List[Tuple[str, ...]]) -> Release:
    """One row, checked; the common case costs a few type tests and a Version."""
    if type(row) is list and len(row) == len(COLUMNS):
        version_text, uploaded, requires, yank, sdist, index = row
        if (
            type(version_text) is str
            and type(uploaded) is str
            and is_date(uploaded)
            and (requires is None or type(requires) is str)
            and (yank is None or type(yank) is str)
            and (sdist is None or type(sdist) is str)
            and type(index) is int
            and 0 <= index < len(tag_sets)
        ):
            try:
                version = Version(version_text)
            except InvalidVersion:
                pass  # the precise message below
            else:
                return Release(  # positional: this runs for every release at every load
                    version,
                    uploaded,
                    clean_text(requires) if requires is not None else None,
                    clean_text(yank) if yank is not None else None,
                    clean_text(sdist) if sdist is not None else None,
                    tag_sets[index],
                )
    _refuse_release(row, number, tag_sets)
    raise AssertionError("unreachable")  # pragma: no cover


def _refuse_release(row: Any, number: int, tag_sets: List[Tuple[str, ...]]) -> None:
    """Raise InvalidDocument saying what is wrong with a release row."""
    what = f"release {number}"
    cells = expect_list(row, what)
    if len(cells) != len(COLUMNS):
        raise InvalidDocument(f"{what} has {len(cells)} values where a release has {len(COLUMNS)}")
    version_text = expect_str(cells[0], f"the version of {what}")
    try:
        what = f"release {Version(version_text)}"
    except InvalidVersion:
        raise InvalidDocument(f"{what} has an invalid version {shown(version_text)}") from None
    uploaded = expect_str(cells[1], f"the upload date of {what}")
    if not is_date(uploaded):
        raise InvalidDocument(f"the upload date of {what} is {shown(uploaded)}, not YYYY-MM-DD")
    expect_optional_str(cells[2], f"Requires-Python of {what}")
    expect_optional_str(cells[3], f"the yank reason of {what}")
    expect_optional_str(cells[4], f"the sdist of {what}")
    index = expect_int(cells[5], f"the tag set of {what}")
    if not 0 <= index < len(tag_sets):
        raise InvalidDocument(f"{what} names a tag set the document does not list")


_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def is_tag_text(text: str) -> bool:
    """``python-abi-platform``, each part one or more ``.``-joined names (a compressed tag
    set, as wheel file names carry them): what ``packaging.tags.parse_tag`` expands."""
    parts = text.split("-")
    return len(parts) == 3 and all(
        name and _TAG_CHARS.issuperset(name) for part in parts for name in part.split(".")
    )


@functools.lru_cache(maxsize=None)
def expand_tags(files: Tuple[str, ...]) -> FrozenSet[Tag]:
    """Every tag the wheel tag texts name."""
    from packaging.tags import parse_tag

    return frozenset(tag for name in files for tag in parse_tag(name))
