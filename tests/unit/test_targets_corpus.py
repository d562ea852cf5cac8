"""Discovery on real deployment files collected from public repositories
(tests/fixtures/targets/*/SOURCE), against the targets written down before the reader
existed (expected.json): every declared target found with its file:line, Python, OS,
architecture and libc; nothing invented; the notes said."""

from __future__ import annotations

from pathlib import Path

import pytest
from targets_corpus import cases, expected_rows, found_rows

from ddguard.sources.targets import discover

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPUS = cases(FIXTURES / "targets")
HELD_OUT = cases(FIXTURES / "targets_heldout")


def test_the_corpus_holds_forty_real_files_with_their_source() -> None:
    real = [
        p
        for case in CORPUS
        for p in case.rglob("*")
        if p.is_file() and p.name not in ("SOURCE", "expected.json")
    ]
    assert len(real) >= 40
    assert all((case / "SOURCE").read_text("utf-8").startswith("repository: ") for case in CORPUS)


@pytest.mark.parametrize("case", CORPUS + HELD_OUT, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_discovery_finds_exactly_the_declared_targets(case: Path) -> None:
    expected, expected_notes = expected_rows(case)
    found, notes = found_rows(discover(str(case)))
    assert sorted(found - expected, key=str) == [], "invented or wrong"
    assert sorted(expected - found, key=str) == [], "missed"
    assert notes == expected_notes
