"""``ddguard.knowledge.snapshot``: the index's JSON document -> the compact snapshot."""

from __future__ import annotations

import hashlib
import json

import pytest
from index_documents import EMBEDDED, encoded, index_document

from ddguard.knowledge.document import InvalidDocument
from ddguard.knowledge.releases import parse_releases
from ddguard.knowledge.snapshot import build_snapshot, check_wheel_filename, dump


def test_rebuilding_the_embedded_snapshot_from_its_index_document_is_byte_identical():
    embedded = json.loads(EMBEDDED.read_text("utf-8"))
    raw = encoded(index_document())
    built = build_snapshot(raw, embedded["source"], embedded["fetched"])
    expected = dict(embedded, input_sha256=hashlib.sha256(raw).hexdigest())
    assert dump(built) == dump(expected)
    assert {k: built[k] for k in ("tags", "tag_sets", "releases")} == {
        k: embedded[k] for k in ("tags", "tag_sets", "releases")
    }


def test_a_wheel_with_a_build_tag_keeps_only_its_tags():
    doc = {
        "releases": {
            "1.0": [
                {
                    "filename": "ddtrace-1.0-1-cp38-cp38-manylinux_2_17_x86_64.whl",
                    "upload_time": "2026-01-01T00:00:00",
                }
            ]
        }
    }
    snapshot = build_snapshot(encoded(doc), "test")
    assert snapshot["tags"] == ["cp38-cp38-manylinux_2_17_x86_64"]
    (release,) = parse_releases(snapshot)
    assert {str(t) for t in release.wheel_tags()} == {"cp38-cp38-manylinux_2_17_x86_64"}


def test_origin_and_index_are_recorded_when_known():
    doc = {"releases": {"1.0": [{"filename": "ddtrace-1.0.tar.gz", "upload_time": "2026-01-01"}]}}
    snapshot = build_snapshot(encoded(doc), "s", origin="index", index="https://u:***@h/simple")
    assert (snapshot["origin"], snapshot["index"]) == ("index", "https://u:***@h/simple")


@pytest.mark.parametrize(
    "filename",
    [
        "ddtrace-1.0-cp3!-none-any.whl",  # bad tag text (cached per tag text)
        "ddtrace-1.0-cp38-cp38-",  # empty tag component
        "ddtrace-1.x-cp38-cp38-manylinux_2_17_x86_64.whl",  # bad version (cached per head)
        "ddtrace-1.0-x1-cp38-cp38-manylinux_2_17_x86_64.whl",  # bad build tag
        "ddtrace-1.0-1-2-cp38-cp38-manylinux_2_17_x86_64.whl",  # too many parts
        "ddtrace-1.0-cp38.whl",  # too few parts
    ],
)
def test_wheel_names_are_refused_as_packaging_refuses_them(filename):
    """Exactly what the installed packaging refuses (older packaging, e.g. on 3.8, accepts
    an empty or odd tag component: then the snapshot accepts it too)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    name = filename if filename.endswith(".whl") else filename + ".whl"
    try:
        parse_wheel_filename(name)
    except InvalidWheelFilename as expected:
        with pytest.raises(InvalidDocument) as refused:
            check_wheel_filename(name)
        assert str(refused.value) == f"bad wheel file name {name!r}: {expected}"
    else:
        check_wheel_filename(name)
    check_wheel_filename("ddtrace-1.0-1-cp38-cp38-manylinux_2_17_x86_64.whl")
