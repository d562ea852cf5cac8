"""Turn the package index's JSON metadata for ddtrace into ddguard's compact snapshot.

Pure: bytes in, a document out (``scripts/refresh_db.py`` and ``ddguard db update`` fetch
the bytes). Every value the snapshot keeps is checked here, and a document of the wrong
shape is one :class:`~ddguard.knowledge.document.InvalidDocument` sentence naming the
release and file at fault, never a ``KeyError``.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from typing import Any, Dict, List, NoReturn, Optional, Tuple

from ddguard.knowledge.document import (
    InvalidDocument,
    expect_list,
    expect_object,
    expect_str,
    is_date,
    kind_of,
    parse_json,
    shown,
)
from ddguard.knowledge.releases import COLUMNS, SCHEMA

PROJECT = "ddtrace"
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2")


def build_snapshot(
    raw: bytes,
    source: str,
    fetched: Optional[str] = None,
    *,
    origin: Optional[str] = None,
    index: Optional[str] = None,
) -> Dict[str, Any]:
    """Compact, deterministic snapshot of every release in the index's JSON document.

    ``origin`` ("index" or "file") and ``index`` (redacted) are recorded when given."""
    document = expect_object(parse_json(raw), "the document")
    if "releases" not in document:
        raise InvalidDocument(f"it is not the index's JSON for {PROJECT}: it has no 'releases'")
    releases = document["releases"]
    if not isinstance(releases, dict):
        raise InvalidDocument(
            f"it is not the index's JSON for {PROJECT}: 'releases' is {kind_of(releases)}, "
            "not an object of versions"
        )
    from packaging.version import InvalidVersion, Version

    parsed: List[Tuple[Version, str]] = []
    for text in releases:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            raise InvalidDocument(
                f"it lists a release with an invalid version {shown(text)}"
            ) from None
    tag_index: Dict[str, int] = {}
    tag_sets: List[Tuple[int, ...]] = []
    set_index: Dict[Tuple[int, ...], int] = {}
    rows: List[List[Any]] = []
    for _, version in sorted(parsed):
        files = expect_list(releases[version], f"release {shown(version)}")
        if not files:
            continue
        row, wheel_tags = _release_row(version, files)
        for tag in sorted(wheel_tags):
            tag_index.setdefault(tag, len(tag_index))
        key = tuple(sorted(tag_index[t] for t in wheel_tags))
        if key not in set_index:
            set_index[key] = len(tag_sets)
            tag_sets.append(key)
        rows.append([*row, set_index[key]])
    if not rows:
        raise InvalidDocument(f"it lists no {PROJECT} release with files")
    snapshot: Dict[str, Any] = {
        "schema": SCHEMA,
        "project": PROJECT,
        "source": source,
        "fetched": fetched or datetime.date.today().isoformat(),
        "input_sha256": hashlib.sha256(raw).hexdigest(),
    }
    if origin is not None:
        snapshot["origin"] = origin
    if index is not None:
        snapshot["index"] = index
    snapshot.update(
        columns=list(COLUMNS),
        tags=sorted(tag_index, key=tag_index.__getitem__),
        tag_sets=[list(s) for s in tag_sets],
        releases=rows,
    )
    return snapshot


def _release_row(version: str, files: List[Any]) -> Tuple[List[Any], List[str]]:
    """[version, uploaded, requires_python, yank reason, sdist] and the wheel tag texts.

    The common case costs a few type tests per file: ddtrace has ~46,000 of them."""
    wheel_tags: List[str] = []
    sdist = None
    uploads: List[str] = []
    for number, entry in enumerate(files, 1):
        if type(entry) is not dict:
            _refuse_file(entry, number, version)
        name, upload = entry.get("filename"), entry.get("upload_time")
        requires, reason = entry.get("requires_python"), entry.get("yanked_reason")
        if not (
            type(name) is str
            and type(upload) is str
            and _DATE(upload)
            and (requires is None or type(requires) is str)
            and (reason is None or type(reason) is str)
        ):
            _refuse_file(entry, number, version)
        uploads.append(upload[:10])
        if name.endswith(".whl"):
            wheel_tags.append(wheel_tag_text(name))
        elif name.endswith(_SDIST_SUFFIXES):
            prefix = f"{PROJECT}-{version}."
            sdist = name[len(prefix) :] if name.startswith(prefix) else name
    yanked = all(bool(e.get("yanked")) for e in files)
    reason = next((e.get("yanked_reason") or "" for e in files if e.get("yanked")), "")
    first = files[0].get("requires_python") or None
    return [version, min(uploads), first, reason if yanked else None, sdist], wheel_tags


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").match  # YYYY-MM-DD, then anything


def _refuse_file(item: Any, number: int, version: str) -> NoReturn:
    """Raise InvalidDocument saying what is wrong with a file entry."""
    what = f"file {number} of release {shown(version)}"
    entry = expect_object(item, what)
    expect_str(entry.get("filename"), f"the 'filename' of {what}")
    upload = expect_str(entry.get("upload_time"), f"the 'upload_time' of {what}")
    if not is_date(upload[:10]):
        raise InvalidDocument(f"the 'upload_time' of {what} is {shown(upload)}, not a date")
    for key in ("requires_python", "yanked_reason"):
        if entry.get(key) is not None:
            expect_str(entry[key], f"the {key!r} of {what}")
    raise InvalidDocument(f"{what} is not a file entry of the index's JSON")  # not reached


def wheel_tag_text(name: str) -> str:
    """``python-abi-platform`` of a wheel file name (compressed tag sets kept, so the name
    can be rebuilt), once the name is one ``packaging.utils.parse_wheel_filename`` accepts;
    InvalidDocument otherwise. Each distinct name-version-build part and tag text is parsed
    once (~46k files, ~200 tag texts)."""
    stem = name[:-4]
    if stem.count("-") in (4, 5):
        head, python, abi, platform = stem.rsplit("-", 3)
        tags = f"{python}-{abi}-{platform}"
        if _valid_head(head) and _valid_tags(tags):
            return tags
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        parse_wheel_filename(name)  # the precise reason
    except InvalidWheelFilename as exc:
        raise InvalidDocument(f"bad wheel file name {shown(name, 120)}: {exc}") from None
    return "-".join(stem.rsplit("-", 3)[1:])  # an older packaging accepting an odd name


def check_wheel_filename(name: str) -> None:
    """InvalidDocument for a wheel file name ``packaging`` refuses."""
    wheel_tag_text(name)


@functools.lru_cache(maxsize=4096)
def _valid_head(head: str) -> bool:
    """``name-version`` or ``name-version-build`` of a wheel file name."""
    return _parses(f"{head}-py3-none-any.whl")


@functools.lru_cache(maxsize=4096)
def _valid_tags(tags: str) -> bool:
    """``python-abi-platform`` (each possibly compressed with ``.``)."""
    return _parses(f"x-0-{tags}.whl")


def _parses(filename: str) -> bool:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return True


def dump(snapshot: Dict[str, Any]) -> str:
    """One release per line: small, deterministic and readable in a diff."""
    listed = ("tags", "tag_sets", "releases", "derived")
    head = {k: v for k, v in snapshot.items() if k not in listed}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"{json.dumps(key)}: {json.dumps(value)},")
    if "derived" in snapshot:
        lines.append(f'"derived": {dump_lines(snapshot["derived"]).rstrip()},')
    lines.append('"tags": [')
    lines.append(",\n".join(json.dumps(t) for t in snapshot["tags"]))
    lines.append("],")
    lines.append('"tag_sets": [')
    lines.append(",\n".join(json.dumps(s, separators=(",", ":")) for s in snapshot["tag_sets"]))
    lines.append("],")
    lines.append('"releases": [')
    lines.append(",\n".join(json.dumps(r, separators=(",", ":")) for r in snapshot["releases"]))
    lines.append("]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dump_lines(document: Dict[str, Any]) -> str:
    """The lines document: one release line per line, for review in a diff."""
    head = {k: v for k, v in document.items() if k != "lines"}
    lines = ["{"]
    lines.extend(f"{json.dumps(k)}: {json.dumps(v)}," for k, v in head.items())
    lines.append('"lines": [')
    lines.append(",\n".join(json.dumps(line) for line in document["lines"]))
    lines.append("]")
    lines.append("}")
    return "\n".join(lines) + "\n"
