"""Turn the package index's JSON metadata for ddtrace into ddguard's compact release snapshot.

Used by ``scripts/refresh_db.py`` (which regenerates the embedded snapshot) and by
``ddguard db update`` (which refreshes a user copy). Stdlib only: it never runs at startup.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import subprocess
import sys
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

from ddguard.errors import DatabaseError

SCHEMA = 1
PROJECT = "ddtrace"


def index_json_url(project: str = PROJECT, index_url: Optional[str] = None) -> str:
    """The JSON API address of the index pip uses: ``<root>/pypi/<project>/json``.

    The index is, in order: ``index_url``, ``$DDGUARD_INDEX_URL``, ``$PIP_INDEX_URL``,
    pip's configured ``global.index-url``, pip's default index.
    """
    simple = index_url or os.environ.get("DDGUARD_INDEX_URL") or os.environ.get("PIP_INDEX_URL")
    if not simple:
        simple = _pip_index_url()
    root = simple.rstrip("/")
    if root.endswith("/simple"):
        root = root[: -len("/simple")]
    return f"{root}/pypi/{project}/json"


def _pip_index_url() -> str:
    try:
        configured = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        configured = ""
    if configured:
        return configured
    try:
        from pip._internal.models.index import PyPI  # pip's own default index
    except ImportError as exc:
        raise DatabaseError(
            "cannot tell which package index to read: pip is not importable here; "
            "set DDGUARD_INDEX_URL to the index's simple URL, or use --from FILE"
        ) from exc
    return str(PyPI.simple_url)


def fetch_index_json(url: str, timeout: float = 60.0) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bytes(response.read())
    except OSError as exc:
        raise DatabaseError(f"cannot read {url}: {exc}") from exc


def build_snapshot(raw: bytes, source: str, fetched: Optional[str] = None) -> Dict[str, Any]:
    """Compact, deterministic snapshot of every release in the index's JSON document."""
    try:
        document = json.loads(raw.decode("utf-8"))
        releases = document["releases"]
        if not isinstance(releases, dict):
            raise TypeError("'releases' is not an object")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise DatabaseError(f"{source}: not the index's JSON for {PROJECT}: {exc}") from exc

    from packaging.version import InvalidVersion, Version

    tag_index: Dict[str, int] = {}
    tag_sets: List[Tuple[int, ...]] = []
    set_index: Dict[Tuple[int, ...], int] = {}
    rows: List[List[Any]] = []
    try:
        ordered = sorted(releases, key=Version)
    except InvalidVersion as exc:
        raise DatabaseError(f"{source}: a release has an invalid version: {exc}") from exc
    for version in ordered:
        files = releases[version]
        if not files:
            continue
        wheel_tags: List[str] = []
        sdist = None
        for entry in files:
            name = entry["filename"]
            if name.endswith(".whl"):
                check_wheel_filename(name, source)
                # keep the compressed tag text so the file name can be rebuilt exactly
                wheel_tags.append(name[:-4].split("-", 2)[2])
            elif name.endswith((".tar.gz", ".zip", ".tar.bz2")):
                sdist = (
                    name[len(f"{PROJECT}-{version}.") :]
                    if name.startswith(f"{PROJECT}-{version}.")
                    else name
                )
        for tag in sorted(wheel_tags):
            tag_index.setdefault(tag, len(tag_index))
        key = tuple(sorted(tag_index[t] for t in wheel_tags))
        if key not in set_index:
            set_index[key] = len(tag_sets)
            tag_sets.append(key)
        yanked = all(entry.get("yanked") for entry in files)
        yank_reason = next((e.get("yanked_reason") or "" for e in files if e.get("yanked")), "")
        rows.append(
            [
                version,
                min(entry["upload_time"] for entry in files)[:10],
                files[0].get("requires_python") or None,
                yank_reason if yanked else None,
                sdist,
                set_index[key],
            ]
        )
    return {
        "schema": SCHEMA,
        "project": PROJECT,
        "source": source,
        "fetched": fetched or datetime.date.today().isoformat(),
        "input_sha256": hashlib.sha256(raw).hexdigest(),
        "columns": ["version", "uploaded", "requires_python", "yanked_reason", "sdist", "tag_set"],
        "tags": sorted(tag_index, key=tag_index.__getitem__),
        "tag_sets": [list(s) for s in tag_sets],
        "releases": rows,
    }


def check_wheel_filename(name: str, source: str) -> None:
    """Refuse what ``packaging.utils.parse_wheel_filename`` refuses, parsing each distinct
    name-version-build part and each distinct tag text once (~46k files, ~200 tag texts)."""
    stem = name[:-4]
    if stem.count("-") in (4, 5):
        head, python, abi, platform = stem.rsplit("-", 3)
        if _valid_head(head) and _valid_tags(f"{python}-{abi}-{platform}"):
            return
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        parse_wheel_filename(name)  # the precise reason
    except InvalidWheelFilename as exc:
        raise DatabaseError(f"{source}: bad wheel file name {name!r}: {exc}") from exc


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
    head = {k: v for k, v in snapshot.items() if k not in ("tags", "tag_sets", "releases")}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"{json.dumps(key)}: {json.dumps(value)},")
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
