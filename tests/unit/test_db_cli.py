"""``ddguard db update --from FILE`` / ``ddguard db status`` through today's command line
(``cli.py`` words ``store`` results via the transitional ``ddguard.db``). When the command
line renders ``store`` results itself, these move with it."""

from __future__ import annotations

import os

import pytest
from index_documents import EMBEDDED, encoded, index_document, newer_document

from ddguard import knowledge
from ddguard.cli import main


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("DDGUARD_DB", raising=False)
    yield tmp_path / "cache" / "ddguard" / "releases.json"
    knowledge.load.cache_clear()


def test_update_prints_the_changes_then_status_names_the_copy(tmp_path, cache, capsys):
    source = tmp_path / "ddtrace.json"
    source.write_bytes(encoded(newer_document()))
    assert main(["db", "update", "--from", str(source)]) == 0
    out = capsys.readouterr().out
    assert f"updated {cache}: 861 releases, newest 99.0.0" in out
    assert "new releases (1): 99.0.0" in out and "new yanks (1): 1.20.19 (test yank)" in out
    assert main(["db", "status"]) == 0
    assert f"database: {cache} (user cache)" in capsys.readouterr().out

    source.write_bytes(encoded(index_document()))
    assert main(["db", "update", "--from", str(source)]) == 0
    assert "releases no longer listed (1): 99.0.0" in capsys.readouterr().out


def test_a_bad_file_is_one_error_line_and_exit_2(tmp_path, cache, capsys):
    source = tmp_path / "bad.json"
    source.write_bytes(b'{"releases": {"1.0": [{"filename": 5}]}}')
    assert main(["db", "update", "--from", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ddguard: error: cannot update from") and len(err.splitlines()) == 1
    assert not cache.exists()


def test_status_of_the_embedded_snapshot_and_of_an_override(cache, capsys, monkeypatch):
    assert main(["db"]) == 0
    assert f"database: {EMBEDDED} (embedded)" in capsys.readouterr().out
    monkeypatch.setenv("DDGUARD_DB", str(EMBEDDED))
    assert main(["db", "status"]) == 0
    assert "(DDGUARD_DB)" in capsys.readouterr().out
