"""``ddguard db update [--force] / reset / status`` wired to ``ddguard.knowledge.store``:
exit codes, files and one-line errors (the wording is ``ddguard.report``'s)."""

from __future__ import annotations

import os

import pytest
from index_documents import encoded, newer_document

from ddguard import knowledge
from ddguard.cli import main


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("DDGUARD_DB", raising=False)
    yield tmp_path / "cache" / "ddguard" / "releases.json"
    knowledge.load.cache_clear()


def test_update_status_reset(tmp_path, cache, capsys):
    source = tmp_path / "ddtrace.json"
    source.write_bytes(encoded(newer_document()))
    assert main(["db", "update", "--from", str(source)]) == 0
    assert cache.is_file() and "99.0.0" in capsys.readouterr().out
    assert main(["db", "status"]) == 0
    assert str(cache) in capsys.readouterr().out
    assert main(["db", "reset"]) == 0
    assert not cache.exists()


def test_a_bad_file_is_one_error_line_and_exit_2(tmp_path, cache, capsys):
    source = tmp_path / "bad.json"
    source.write_bytes(b'{"releases": {"1.0": [{"filename": 5}]}}')
    assert main(["db", "update", "--from", str(source)]) == 2
    err = capsys.readouterr().err
    assert "cannot update from" in err and len(err.strip().splitlines()) == 1
    assert not cache.exists()


def test_a_corrupt_copy_is_one_line_naming_the_way_out_which_works(cache, capsys):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"garbage")
    assert main(["db", "status"]) == 2
    err = capsys.readouterr().err
    assert "`ddguard db reset`" in err and len(err.strip().splitlines()) == 1
    assert main(["db", "reset"]) == 0 and main(["db", "status"]) == 0
