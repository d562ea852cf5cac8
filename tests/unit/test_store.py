"""``ddguard.knowledge.store``: update, reset, status of the user copy. No network: the
index's document is injected (``fetch=``) or read from a file (``--from``)."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from pathlib import Path
from typing import List

import pytest
from index_documents import (
    EMBEDDED,
    add_release,
    encoded,
    index_document,
    newer_document,
    small_document,
)

from ddguard import knowledge
from ddguard.errors import DatabaseError
from ddguard.knowledge import DatabaseKind, files, refresh, store

INDEX = "https://index.example/simple"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("DDGUARD_DB", "DDGUARD_INDEX_URL", "PIP_INDEX_URL", "PIP_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # this machine's pip config: not read
    yield tmp_path / "cache" / "ddguard" / "releases.json"
    knowledge.load.cache_clear()


def serve(doc):
    """A fetch function answering with ``doc`` (what the index would send)."""
    raw = encoded(doc)
    return lambda index: raw


def from_index(doc, **options):
    return store.update(index_url=INDEX, fetch=serve(doc), **options)


def write(tmp_path: Path, doc, name="ddtrace.json") -> str:
    path = tmp_path / name
    path.write_bytes(encoded(doc))
    return str(path)


def leftovers(cache: Path) -> List[str]:
    return sorted(p.name for p in cache.parent.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture(scope="module")
def verified_newer(tmp_path_factory) -> bytes:
    """A user copy fetched from the index with newer_document() (built once)."""
    target = tmp_path_factory.mktemp("newer") / "releases.json"
    store.update(index_url=INDEX, fetch=serve(newer_document()), destination=str(target))
    return target.read_bytes()


def install(cache: Path, content: bytes) -> bytes:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(content)
    return content


# --- a good update --------------------------------------------------------------------------


def test_update_from_file_writes_the_copy_and_reports_the_changes(tmp_path, cache):
    result = store.update(write(tmp_path, newer_document()))
    assert result.changes.new_releases == ("99.0.0",)
    assert ("4.16.0", "cp315-cp315-manylinux_2_28_x86_64") in result.changes.new_wheel_tags
    assert result.changes.new_yanks == (("1.20.19", "test yank"),)
    assert result.origin is store.Origin.FILE and result.index_used is None
    assert result.previous == str(EMBEDDED) and result.path == str(cache)
    loaded = knowledge.load()
    assert loaded.info.path == str(cache) and loaded.info.kind is DatabaseKind.USER
    assert not loaded.info.embedded and not loaded.info.verified
    assert str(loaded.newest.version) == "99.0.0"
    assert leftovers(cache) == []


def test_same_data_from_the_index_reports_no_change_and_names_the_index(cache):
    result = from_index(index_document())
    assert result.changes.empty
    assert result.index_used == store.IndexUsed(INDEX, refresh.IndexOrigin.ARGUMENT, None)
    assert knowledge.load().info.verified and knowledge.load().info.index_url == INDEX


def test_progress_hears_each_stage_in_order(cache):
    stages: List[store.Stage] = []
    from_index(index_document(), progress=stages.append)
    assert stages == [store.Stage.FETCHING, store.Stage.VALIDATING, store.Stage.WRITING]


def test_the_copy_carries_line_facts_derived_from_its_own_releases(cache):
    doc = index_document()
    add_release(doc, "5.0.0", uploaded="2026-11-28", tag="cp313-cp313-manylinux_2_28_x86_64")
    from_index(doc, today=datetime.date(2026, 11, 30))
    db = knowledge.load()
    assert db.info.lines_basis == "ddguard db update"
    levels = {line.major: line.level.value for line in db.lines}
    assert levels[5] == "ga" and levels[4] == "maintenance" and levels[3] == "eol"
    assert db.line(knowledge.releases.Version("5.0")).python_ranges() == (((3, 13), (3, 13)),)


# --- bad input: one sentence naming the file, the old copy kept ---------------------------------


def _fewer():
    doc = index_document()
    for version in list(doc["releases"])[-3:]:
        del doc["releases"][version]
    return doc


def _mutated(change):
    def build():
        doc = small_document()  # the shape is refused whatever the size
        change(doc)
        return doc

    return build


BAD = {
    "not-json": lambda: b"<html>rate limited</html>",
    "garbage-bytes": lambda: bytes(range(256)) * 4,
    "truncated": lambda: json.dumps(small_document()).encode()[:5000],
    "deeply-nested": lambda: b"[" * 100_000 + b"]" * 100_000,
    "a-list": lambda: [1, 2, 3],
    "releases-a-list": lambda: {"releases": ["1.0.0"]},
    "no-releases-key": lambda: {"info": {}},
    "empty": lambda: {"releases": {}},
    "fewer-releases": _fewer,
    "invalid-version": _mutated(lambda d: d["releases"].update({"not-a-version": []})),
    "bad-wheel-name": _mutated(
        lambda d: d["releases"]["0.5.3"][0].update(filename="ddtrace-0.5.3-nonsense.whl")
    ),
    "files-a-string": _mutated(lambda d: d["releases"].update({"0.5.3": "files"})),
    "file-a-number": _mutated(lambda d: d["releases"]["0.5.3"].append(5)),
    "filename-a-number": _mutated(lambda d: d["releases"]["0.5.3"][0].update(filename=5)),
    "no-upload-time": _mutated(lambda d: d["releases"]["0.5.3"][0].pop("upload_time")),
    "upload-time-not-a-date": _mutated(
        lambda d: d["releases"]["0.5.3"][0].update(upload_time="yesterday")
    ),
    "requires-python-a-list": _mutated(
        lambda d: d["releases"]["0.5.3"][0].update(requires_python=[">=3"])
    ),
    "requires-python-not-a-specifier": _mutated(
        lambda d: [e.update(requires_python="three") for e in d["releases"]["0.5.3"]]
    ),
    "yank-reason-an-object": _mutated(
        lambda d: d["releases"]["0.5.3"][0].update(yanked=True, yanked_reason={})
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_one_sentence_and_the_old_copy_is_kept(tmp_path, cache, kind, verified_newer):
    before = install(cache, verified_newer)
    source = write(tmp_path, BAD[kind]())
    with pytest.raises(DatabaseError) as refused:
        store.update(source)
    message = str(refused.value)
    assert source in message and len(message.splitlines()) == 1
    for raw_text in ("KeyError", "Traceback", "Expecting", "object has no attribute"):
        assert raw_text not in message
    assert cache.read_bytes() == before
    assert leftovers(cache) == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_index_answers_name_the_index_not_a_file(cache, kind):
    with pytest.raises(DatabaseError) as refused:
        from_index(BAD[kind]())
    assert INDEX in str(refused.value) and len(str(refused.value).splitlines()) == 1
    assert not cache.exists()


def test_a_missing_file_is_an_error_without_a_copy(tmp_path, cache):
    with pytest.raises(DatabaseError, match="cannot read"):
        store.update(str(tmp_path / "nope.json"))
    assert not cache.exists()


def test_a_fifo_is_refused_not_waited_on(tmp_path, cache):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(DatabaseError, match="not a regular file"):
        store.update(str(fifo))


def test_a_failed_write_keeps_the_old_copy(tmp_path, cache, monkeypatch):
    from_index(index_document())
    before = cache.read_bytes()

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(
        DatabaseError, match=r"No space left on device.*the current database is kept"
    ):
        from_index(newer_document())
    assert cache.read_bytes() == before
    assert leftovers(cache) == []


def test_network_errors_keep_the_old_database(cache):
    def offline(index):
        raise DatabaseError(f"cannot reach the package index {index.shown}: no route to host")

    with pytest.raises(DatabaseError, match="no route"):
        store.update(index_url="http://127.0.0.1:9/simple", fetch=offline)
    assert not cache.exists()


# --- never older than what is trusted; a way out when it is wrong --------------------------------


def test_older_than_a_copy_fetched_from_the_index_is_refused_unless_forced(
    tmp_path, cache, verified_newer
):
    install(cache, verified_newer)
    old = write(tmp_path, index_document(), "old.json")
    with pytest.raises(DatabaseError, match=r"fewer or older.*--force"):
        store.update(old)
    assert str(knowledge.read_database(str(cache), DatabaseKind.USER).newest.version) == "99.0.0"
    result = store.update(old, force=True)
    assert result.forced and result.newest == "4.16.0"


def test_a_far_future_release_from_a_file_does_not_lock_out_genuine_updates(tmp_path, cache):
    bogus = add_release(index_document(), "99999.0.0")
    store.update(write(tmp_path, bogus))
    assert str(knowledge.load().newest.version) == "99999.0.0"
    result = from_index(index_document())  # the genuine index: not "older"
    assert result.newest == "4.16.0" and result.origin is store.Origin.INDEX
    assert result.changes.removed_releases == ("99999.0.0",) and not result.changes.empty


def test_a_release_dated_in_the_future_is_kept_but_never_a_reference(cache):
    today = datetime.date(2026, 11, 30)
    bogus = add_release(index_document(), "99999.0.0", uploaded="2999-01-01")
    result = from_index(bogus, today=today)
    assert result.future_uploads == ("99999.0.0",)
    db = knowledge.load()  # kept, but no line fact rests on it
    assert str(db.newest.version) == "99999.0.0" and [line.major for line in db.lines][-1] == 4
    assert db.lines[-1].level.value == "ga"
    later = from_index(index_document(), today=today)  # 99999.0.0 gone: accepted
    assert later.newest == "4.16.0"
    with pytest.raises(DatabaseError, match="fewer or older"):
        from_index(_fewer(), today=today)  # the genuine releases still are a reference


CORRUPT = {
    "garbage": b"garbage",
    "empty": b"",
    "a-json-list": b"[1, 2]",
    "truncated": EMBEDDED.read_bytes()[:3000],
    "invalid-tag": EMBEDDED.read_bytes().replace(
        b'"cp27-cp27m-manylinux1_i686"', b'"not a tag"', 1
    ),
    "invalid-version": EMBEDDED.read_bytes().replace(b'["0.', b'["zero.', 1),
}


RECOVERIES = {  # each kind of damage, each way out
    "garbage": "reset",
    "empty": "update",
    "a-json-list": "force",
    "truncated": "update",
    "invalid-tag": "force",
    "invalid-version": "reset",
}


@pytest.mark.parametrize(("kind", "recovery"), sorted(RECOVERIES.items()))
def test_a_corrupt_copy_names_the_way_out_which_works(cache, kind, recovery):
    install(cache, CORRUPT[kind])
    with pytest.raises(DatabaseError) as broken:
        knowledge.load()
    message = str(broken.value)
    assert str(cache) in message and len(message.splitlines()) == 1
    assert "`ddguard db reset`" in message and "`ddguard db update --force`" in message
    with pytest.raises(DatabaseError, match="ddguard db reset"):
        store.status()
    if recovery == "reset":
        reset = store.reset()
        assert reset.removed and not cache.exists() and reset.serving == str(EMBEDDED)
        assert knowledge.load().info.kind is DatabaseKind.EMBEDDED
    else:  # a plain update replaces it too: it is no reference
        updated = from_index(index_document(), force=recovery == "force")
        assert updated.previous_unusable and updated.previous == str(EMBEDDED)
        assert knowledge.load().info.kind is DatabaseKind.USER


def test_reset_without_a_copy_is_fine(cache):
    result = store.reset()
    assert not result.removed and result.serving == str(EMBEDDED)


# --- concurrent updates, killed updates ----------------------------------------------------------


def test_concurrent_updates_take_turns_and_lose_none(cache, monkeypatch):
    """Two updates validate at once; their compare-and-write sections never interleave,
    so the one with more releases always ends in the file."""
    smaller = add_release(index_document(), "99.0.0")
    larger = add_release(add_release(index_document(), "99.0.0"), "99.1.0")
    events: List[str] = []
    previous = store._previous

    def slow_previous(destination):
        events.append(f"{threading.current_thread().name} reads")
        time.sleep(0.2)  # a window for the other update, were there no lock
        return previous(destination)

    real_write = files.write

    def recorded_write(destination, text):
        real_write(destination, text)
        events.append(f"{threading.current_thread().name} writes")

    monkeypatch.setattr(store, "_previous", slow_previous)
    monkeypatch.setattr(files, "write", recorded_write)
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(name, doc):
        raw = encoded(doc)

        def fetch(index):
            barrier.wait()
            return raw

        try:
            outcomes[name] = store.update(index_url=INDEX, fetch=fetch).newest
        except DatabaseError as exc:
            outcomes[name] = str(exc)

    threads = [
        threading.Thread(target=run, args=(name, doc), name=name)
        for name, doc in (("small", smaller), ("large", larger))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes["large"] == "99.1.0"
    assert outcomes["small"] == "99.0.0" or "fewer or older" in outcomes["small"]
    assert str(knowledge.load().newest.version) == "99.1.0"
    first = events[0].split()[0]
    assert events[:2] == [f"{first} reads", f"{first} writes"]  # no read of the other between


def test_without_a_lock_compare_and_swap_still_loses_no_update(cache, monkeypatch):
    """A file system without locks: another update writes between our read and our write;
    ours sees the file change, compares again, and is refused instead of overwriting."""
    other = add_release(add_release(index_document(), "99.0.0"), "99.1.0")
    store.update(index_url=INDEX, fetch=serve(other), destination=str(cache.parent / "o.json"))
    other_copy = (cache.parent / "o.json").read_bytes()
    monkeypatch.setattr(files, "acquire", lambda fd, directory, wait: False)
    previous = store._previous
    calls = []

    def racing_previous(destination):
        found = previous(destination)
        if not calls:
            Path(destination).write_bytes(other_copy)  # the other update lands now
        calls.append(found)
        return found

    monkeypatch.setattr(store, "_previous", racing_previous)
    with pytest.raises(DatabaseError, match="fewer or older"):
        from_index(add_release(index_document(), "99.0.0"))
    assert cache.read_bytes() == other_copy and len(calls) == 2


def test_an_update_waits_for_the_lock_and_says_who_holds_it(cache, monkeypatch):
    import fcntl

    cache.parent.mkdir(parents=True)
    holder = os.open(cache.parent / ".releases.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    monkeypatch.setattr(files, "LOCK_WAIT_SECONDS", 0.2)
    try:
        with pytest.raises(DatabaseError, match="another `ddguard db update` has held"):
            from_index(index_document())
    finally:
        os.close(holder)  # as a killed process's lock: released
    assert from_index(index_document()).changes.empty


def test_leftovers_of_a_killed_update_are_removed(cache):
    cache.parent.mkdir(parents=True)
    for name in (".releases-abc123.tmp", ".releases-zzz.tmp"):
        (cache.parent / name).write_text("half a database")
    (cache.parent / "unrelated.tmp").write_text("not ours")
    result = from_index(index_document())
    assert result.removed_leftovers == 2
    assert leftovers(cache) == ["unrelated.tmp"]
    (cache.parent / ".releases-again.tmp").write_text("x")
    assert store.reset().removed_leftovers == 1


# --- status ------------------------------------------------------------------------------


def test_status_embedded_then_user_copy_then_override(cache, monkeypatch, verified_newer):
    state = store.status()
    snap = json.loads(EMBEDDED.read_text("utf-8"))
    assert state.kind is DatabaseKind.EMBEDDED and state.path == str(EMBEDDED)
    assert state.fetched == snap["fetched"] and state.releases == len(snap["releases"])
    assert state.verified and state.lines == 5 and state.lines_generated

    install(cache, verified_newer)
    state = store.status()
    assert state.kind is DatabaseKind.USER and state.path == str(cache)
    assert state.index_url == INDEX and state.newest == "99.0.0"

    monkeypatch.setenv("DDGUARD_DB", str(EMBEDDED))
    assert store.status().kind is DatabaseKind.ENVIRONMENT


def test_status_is_stale_after_90_days(cache):
    fetched = datetime.date.fromisoformat(store.status().fetched)
    assert not store.status(today=fetched + datetime.timedelta(days=90)).stale
    stale = store.status(today=fetched + datetime.timedelta(days=91))
    assert stale.stale and stale.age_days == 91


def test_an_update_under_ddguard_db_says_that_loading_still_prefers_it(cache, monkeypatch):
    monkeypatch.setenv("DDGUARD_DB", str(EMBEDDED))
    assert from_index(index_document()).environment_override == str(EMBEDDED)


def test_an_embedded_snapshot_fetched_after_the_user_copy_is_used(cache):
    """After an upgrade of ddguard, an old `db update` copy no longer hides newer data."""
    snap = json.loads(EMBEDDED.read_text("utf-8"))
    old = dict(snap, fetched="2020-01-01", releases=snap["releases"][:-1])
    install(cache, json.dumps(old).encode())
    assert knowledge.load().info.kind is DatabaseKind.EMBEDDED
    assert store.status().kind is DatabaseKind.EMBEDDED
    knowledge.load.cache_clear()
    same_day = dict(old, fetched=snap["fetched"])
    install(cache, json.dumps(same_day).encode())
    assert knowledge.load().info.kind is DatabaseKind.USER
    assert knowledge.load().newest.version < knowledge.read_database(
        str(EMBEDDED), DatabaseKind.EMBEDDED
    ).newest.version
