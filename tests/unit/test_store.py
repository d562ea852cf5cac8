"""``ddguard db update --from FILE`` and ``ddguard db status``: no network, a temp cache."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

import pytest

import ddguard
from ddguard import db, knowledge
from ddguard.cli import main
from ddguard.errors import DatabaseError

EMBEDDED = Path(ddguard.__file__).parent / "data" / "releases.json"


def index_document() -> dict:
    """The index's JSON API document the embedded snapshot was built from (reconstructed)."""
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
    return {"info": {"name": "ddtrace"}, "releases": releases}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DDGUARD_DB", raising=False)
    return tmp_path / "cache" / "ddguard" / "releases.json"


@pytest.fixture(scope="module")
def newer_snapshot(tmp_path_factory) -> bytes:
    """The cache file a good update of newer_document() writes (built once: ~1 s)."""
    tmp = tmp_path_factory.mktemp("newer")
    target = tmp / "releases.json"
    db.update(write(tmp, newer_document()), destination=target)
    return target.read_bytes()


def write(tmp_path: Path, document, name="ddtrace.json") -> str:
    path = tmp_path / name
    path.write_bytes(document if isinstance(document, bytes) else json.dumps(document).encode())
    return str(path)


def newer_document() -> dict:
    doc = index_document()
    newest = max(doc["releases"], key=knowledge.Version)
    template = doc["releases"][newest][0]
    doc["releases"]["99.0.0"] = [
        dict(template, filename="ddtrace-99.0.0-cp314-cp314-manylinux_2_28_x86_64.whl")
    ]
    doc["releases"][newest].append(
        dict(template, filename=f"ddtrace-{newest}-cp315-cp315-manylinux_2_28_x86_64.whl")
    )
    for entry in doc["releases"]["1.20.19"]:
        entry.update(yanked=True, yanked_reason="test yank")
    return doc


def test_update_from_file_writes_the_cache_and_prints_changes(tmp_path, cache, capsys):
    source = write(tmp_path, newer_document())
    assert main(["db", "update", "--from", source]) == 0
    out = capsys.readouterr().out
    assert "new releases (1): 99.0.0" in out
    assert "cp315-cp315-manylinux_2_28_x86_64" in out
    assert "new yanks (1): 1.20.19 (test yank)" in out
    loaded = knowledge.load.__wrapped__()
    assert loaded.info.path == str(cache) and not loaded.info.embedded
    assert str(loaded.newest.version) == "99.0.0"
    assert [p.name for p in cache.parent.iterdir()] == ["releases.json"]  # no temp file left


def test_same_data_again_reports_no_change(tmp_path, cache, capsys):
    source = write(tmp_path, index_document())
    assert main(["db", "update", "--from", source]) == 0
    assert "no change" in capsys.readouterr().out


def _fewer():
    doc = index_document()
    for version in list(doc["releases"])[-3:]:
        del doc["releases"][version]
    return doc


def _bad_version():
    doc = index_document()
    doc["releases"]["not-a-version"] = doc["releases"]["1.20.19"]
    return doc


def _bad_wheel():
    doc = index_document()
    doc["releases"]["1.20.19"][0]["filename"] = "ddtrace-1.20.19-nonsense.whl"
    return doc


BAD = {
    "not-json": lambda: b"<html>rate limited</html>",
    "truncated": lambda: json.dumps(index_document()).encode()[:5000],
    "schema-broken": lambda: {"releases": ["1.0.0"]},
    "no-releases-key": lambda: {"info": {}},
    "empty": lambda: {"releases": {}},
    "fewer-releases": _fewer,
    "invalid-version": _bad_version,
    "bad-wheel-name": _bad_wheel,
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_refused_and_the_old_database_kept(
    tmp_path, cache, capsys, kind, newer_snapshot
):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(newer_snapshot)
    before = cache.read_bytes()
    assert main(["db", "update", "--from", write(tmp_path, BAD[kind]())]) != 0
    err = capsys.readouterr().err
    assert err.startswith("ddguard: error: ") and len(err.strip().splitlines()) == 1
    assert cache.read_bytes() == before
    assert [p.name for p in cache.parent.iterdir()] == ["releases.json"]


def test_older_than_the_cache_is_refused(tmp_path, cache, newer_snapshot):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(newer_snapshot)
    with pytest.raises(DatabaseError, match="fewer or older"):
        db.update(write(tmp_path, index_document(), "old.json"))  # the embedded data: older


def test_missing_file_is_an_error_without_a_cache(tmp_path, cache, capsys):
    assert main(["db", "update", "--from", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not cache.exists()


def test_write_is_atomic(tmp_path, cache, monkeypatch):
    db.update(write(tmp_path, index_document()))
    before = cache.read_bytes()

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        db.update(write(tmp_path, newer_document(), "new.json"))
    assert cache.read_bytes() == before
    assert [p.name for p in cache.parent.iterdir()] == ["releases.json"]


def test_network_errors_keep_the_old_database(tmp_path, cache):
    def offline(url):
        raise DatabaseError(f"cannot read {url}: no route to host")

    with pytest.raises(DatabaseError, match="no route"):
        db.update(index_url="http://127.0.0.1:9/simple", fetch=offline)
    assert not cache.exists()


def test_status_embedded_then_user_cache_then_override(
    tmp_path, cache, capsys, monkeypatch, newer_snapshot
):
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "(embedded)" in out and str(EMBEDDED) in out
    snap = json.loads(EMBEDDED.read_text("utf-8"))
    assert f"snapshot: {snap['fetched']}" in out
    assert f"releases: {len(snap['releases'])} " in out

    cache.parent.mkdir(parents=True)
    cache.write_bytes(newer_snapshot)
    assert main(["db", "status"]) == 0
    assert f"{cache} (user cache)" in capsys.readouterr().out

    monkeypatch.setenv("DDGUARD_DB", str(EMBEDDED))
    assert main(["db"]) == 0
    assert "(DDGUARD_DB)" in capsys.readouterr().out


def test_status_warns_after_90_days(cache):
    fetched = datetime.date.fromisoformat(db.status().fetched)
    fresh = db.status(today=fetched + datetime.timedelta(days=90))
    stale = db.status(today=fetched + datetime.timedelta(days=91))
    assert not fresh.stale and "warning" not in fresh.as_text()
    assert stale.stale and "older than 90 days" in stale.as_text()
    assert "(91 days old)" in stale.as_text()


def test_rebuilding_the_embedded_snapshot_from_its_index_document_is_byte_identical():
    from ddguard import snapshot

    embedded = json.loads(EMBEDDED.read_text("utf-8"))
    raw = json.dumps(index_document()).encode()
    built = snapshot.build_snapshot(raw, embedded["source"], embedded["fetched"])
    expected = dict(embedded, input_sha256=hashlib.sha256(raw).hexdigest())
    assert snapshot.dump(built) == snapshot.dump(expected)
    assert {k: built[k] for k in ("tags", "tag_sets", "releases")} == {
        k: embedded[k] for k in ("tags", "tag_sets", "releases")
    }


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

    from ddguard import snapshot

    name = filename if filename.endswith(".whl") else filename + ".whl"
    try:
        parse_wheel_filename(name)
    except InvalidWheelFilename as expected:
        with pytest.raises(DatabaseError) as refused:
            snapshot.check_wheel_filename(name, "doc.json")
        assert str(refused.value) == f"doc.json: bad wheel file name {name!r}: {expected}"
    else:
        snapshot.check_wheel_filename(name, "doc.json")
    snapshot.check_wheel_filename("ddtrace-1.0-1-cp38-cp38-manylinux_2_17_x86_64.whl", "x")
