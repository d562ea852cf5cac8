"""The package index's JSON document for ddtrace, rebuilt from the embedded snapshot, and
variations of it: what the store tests feed ``store.update`` instead of the network."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Dict, Optional

from packaging.version import Version

import ddguard

EMBEDDED = Path(ddguard.__file__).parent / "data" / "releases.json"


def index_document() -> Dict[str, Any]:
    """The index's JSON API document the embedded snapshot was built from (reconstructed;
    a new copy each call)."""
    return json.loads(_index_text())


def small_document(releases: int = 20) -> Dict[str, Any]:
    """The same document with only its first releases: enough where no count matters."""
    doc = index_document()
    doc["releases"] = dict(list(doc["releases"].items())[:releases])
    return doc


@functools.lru_cache(maxsize=None)
def _index_text() -> str:
    snap = json.loads(EMBEDDED.read_text("utf-8"))
    tag_sets = [[snap["tags"][i] for i in s] for s in snap["tag_sets"]]
    releases = {}
    for version, uploaded, requires, yank, sdist, tag_set in snap["releases"]:
        files = [{"filename": f"ddtrace-{version}-{t}.whl"} for t in tag_sets[tag_set]]
        if sdist:
            files.append({"filename": f"ddtrace-{version}.{sdist}"})
        for entry in files:
            entry.update(
                upload_time=f"{uploaded}T00:00:00",
                requires_python=requires,
                yanked=yank is not None,
                yanked_reason=yank,
            )
        releases[version] = files
    return json.dumps({"info": {"name": "ddtrace"}, "releases": releases})


def add_release(
    doc: Dict[str, Any],
    version: str,
    *,
    uploaded: str = "2026-11-20",
    tag: str = "cp312-cp312-manylinux_2_28_x86_64",
    requires_python: Optional[str] = ">=3.9",
) -> Dict[str, Any]:
    doc["releases"][version] = [
        {
            "filename": f"ddtrace-{version}-{tag}.whl",
            "upload_time": f"{uploaded}T00:00:00",
            "requires_python": requires_python,
            "yanked": False,
            "yanked_reason": None,
        }
    ]
    return doc


def newer_document() -> Dict[str, Any]:
    """One release more (99.0.0), a new wheel on the newest release, one new yank."""
    doc = index_document()
    newest = max(doc["releases"], key=Version)
    template = doc["releases"][newest][0]
    add_release(doc, "99.0.0", tag="cp314-cp314-manylinux_2_28_x86_64")
    doc["releases"][newest].append(
        dict(template, filename=f"ddtrace-{newest}-cp315-cp315-manylinux_2_28_x86_64.whl")
    )
    for entry in doc["releases"]["1.20.19"]:
        entry.update(yanked=True, yanked_reason="test yank")
    return doc


def encoded(doc: Any) -> bytes:
    return doc if isinstance(doc, bytes) else json.dumps(doc).encode()
