"""``ddguard fix`` edits on real project files (tests/fixtures/fix, each with its SOURCE):
only the ddtrace entry's bytes change, the file still parses, the new requirement admits
the decided release and nothing outside the working run, a second run is a no-op, the
split form partitions the Pythons, and the diff applies back to the same bytes."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

from ddguard import sources
from ddguard.errors import InputError
from ddguard.sources.requirements_file import logical_lines, split_args_options
from ddguard.writers import Decision, EditNote, EditRequest, Split, Syntax, plan, unified_diff

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "fix"
FUTURE = Decision(Version("9.1.2"), Version("9.0.0"), Version("10"))  # outside every range
OLDER = Decision(Version("1.20.19"), Version("1.0.0"), Version("2"))
PROBES = [
    Version(v)
    for v in ("0.9", "1.0.0", "1.20.19", "2", "8.9.9", "9.0.0", "9.1.2", "9.99", "10", "10.0.1")
]


def _edited_file(case: str) -> str:
    source = (CORPUS / case / "SOURCE").read_text()
    return re.search(r"^file: ([^,:\s]+)", source, re.M).group(1)  # type: ignore[union-attr]


def _syntax(path: str, requirement: str) -> Syntax:
    if os.path.basename(path) == "Pipfile":
        return Syntax.PIPFILE
    if path.endswith(".toml"):
        return Syntax.POETRY if re.match(r"[\w.-]+ = ", requirement) else Syntax.TOML_STRING
    return Syntax.REQUIREMENTS


def _corpus():
    rows = []
    for case in sorted(os.listdir(CORPUS)):
        name = _edited_file(case)
        path = str(CORPUS / case / name)
        for pin in sources.read_file(path).pins:
            line = pin.origin.line
            if pin.origin.path == path and line is not None:
                rows.append(pytest.param(case, name, line, pin.text, id=f"{case}:{line}"))
    return rows


ENTRIES = _corpus()


def test_corpus_covers_every_format_and_variant():
    cases = {p.values[0] for p in ENTRIES}
    assert len(os.listdir(CORPUS)) == 39 and len(cases) == 38  # one case names only ddtrace-api
    syntaxes = {_syntax(p.values[1], p.values[3]) for p in ENTRIES}
    assert syntaxes == {Syntax.REQUIREMENTS, Syntax.TOML_STRING, Syntax.POETRY, Syntax.PIPFILE}
    data = [(CORPUS / c / _edited_file(c)).read_bytes() for c in cases]
    assert any(b"\r\n" in d for d in data) and any(d.startswith(b"\xef\xbb\xbf") for d in data)
    assert any(not d.endswith(b"\n") for d in data)
    assert any(b"--hash=" in d and b"# via" in d for d in data)


def _lines(data: bytes):
    parts = data.split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _extent(lines, line: int, syntax: Syntax) -> int:
    """How many physical lines the entry spans (pip's backslash continuations)."""
    if syntax is not Syntax.REQUIREMENTS:
        return 1
    count = 1
    while lines[line - 2 + count].rstrip(b"\r\n").endswith(b"\\") and line - 1 + count < len(lines):
        count += 1
    return count


def _parses(path: Path, syntax: Syntax) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    if syntax is not Syntax.REQUIREMENTS:
        tomllib.loads(text)
        return
    for _, line in logical_lines(text):
        args, _ = split_args_options(line)
        if args and "://" not in args:
            Requirement(args)


def _pin_at(path: Path, line: int):
    found = [
        p
        for p in sources.read_file(str(path)).pins
        if (p.origin.path, p.origin.line) == (str(path), line)
    ]
    assert len(found) == 1, found
    return found[0]


def _admits_exactly_the_run(specifier, decision: Decision) -> None:
    assert specifier.contains(decision.version, prereleases=True)
    for probe in PROBES:
        inside = (decision.low is None or probe >= decision.low) and (
            decision.high is None or probe < decision.high
        )
        if specifier.contains(probe, prereleases=True):
            assert inside, (specifier, probe)


def _copy(case: str, tmp_path: Path) -> Path:
    shutil.copytree(CORPUS / case, tmp_path / case)
    return tmp_path / case


@pytest.mark.parametrize(("case", "name", "line", "text"), ENTRIES)
def test_edit_changes_only_the_entry_and_admits_the_decided_release(
    case, name, line, text, tmp_path
):
    syntax = _syntax(name, text)
    decision = FUTURE
    change = plan(str(CORPUS), f"{case}/{name}", [EditRequest(line, syntax, decision, text)])
    (record,) = change.edits
    assert change.changed and record.changed and record.line == line
    before = _lines(change.original)
    extent = _extent(before, line, syntax)
    prefix, suffix = b"".join(before[: line - 1]), b"".join(before[line - 1 + extent :])
    assert change.data.startswith(prefix) and change.data.endswith(suffix)
    old_entry = b"".join(before[line - 1 : line - 1 + extent])
    new_entry = change.data[len(prefix) : len(change.data) - len(suffix)]
    assert new_entry.endswith(b"\r\n") == old_entry.endswith(b"\r\n")
    assert new_entry.endswith(b"\n") == old_entry.endswith(b"\n")
    for comment in re.findall(rb"\s#[^\r\n]*", old_entry):
        assert comment in new_entry
    if b"--hash" in old_entry:
        assert b"--hash" not in new_entry and EditNote.HASHES_REMOVED in record.notes
    else:
        assert EditNote.HASHES_REMOVED not in record.notes

    copy = _copy(case, tmp_path)
    (copy / name).write_bytes(change.data)
    _parses(copy / name, syntax)
    assert len(sources.read_file(str(copy / name)).pins) == len(
        sources.read_file(str(CORPUS / case / name)).pins
    )
    pin = _pin_at(copy / name, line)
    _admits_exactly_the_run(pin.specifier, decision)

    again = plan(
        str(tmp_path), f"{case}/{name}", [EditRequest(line, syntax, decision, pin.text)]
    )
    assert not again.changed and not again.edits[0].changed
    stale = plan(str(tmp_path), f"{case}/{name}", [EditRequest(line, syntax, decision, text)])
    assert not stale.changed and stale.edits[0].notes == (EditNote.ALREADY_APPLIED,)


def _marker_env(minor: int):
    env = default_environment()
    env.update(python_version=f"3.{minor}", python_full_version=f"3.{minor}.2")
    return env


@pytest.mark.parametrize(("case", "name", "line", "text"), ENTRIES)
def test_split_replaces_the_entry_by_two_that_partition_the_pythons(
    case, name, line, text, tmp_path
):
    syntax = _syntax(name, text)
    request = EditRequest(line, syntax, OLDER, text, Split((3, 12), FUTURE))
    if syntax is Syntax.PIPFILE:
        with pytest.raises(InputError, match="one entry per package"):
            plan(str(CORPUS), f"{case}/{name}", [request])
        return
    change = plan(str(CORPUS), f"{case}/{name}", [request])
    (record,) = change.edits
    assert record.added is not None
    if change.original.count(b"\n") == change.original.count(b"\r\n"):  # CRLF stays CRLF
        assert change.data.count(b"\n") == change.data.count(b"\r\n")
    assert change.data.startswith(b"\xef\xbb\xbf") == change.original.startswith(b"\xef\xbb\xbf")
    assert change.data.endswith(b"\n") == change.original.endswith(b"\n")
    before, after = _lines(change.original), _lines(change.data)
    extent = _extent(before, line, syntax)
    trailing = 0
    while line - 1 + extent + trailing < len(before) and re.match(
        rb"[ \t]+#", before[line - 1 + extent + trailing]
    ):
        trailing += 1
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            assert line - 1 <= i1 and i2 <= line - 1 + extent + trailing, (tag, i1, i2)
    original = _pin_at(CORPUS / case / name, line)
    copy = _copy(case, tmp_path)
    (copy / name).write_bytes(change.data)
    _parses(copy / name, syntax)
    others = Counter(
        p.text for p in sources.read_file(str(CORPUS / case / name)).pins if p != original
    )
    found = sources.read_file(str(copy / name)).pins
    fresh = Counter(p.text for p in found) - others
    two = [p for p in found if fresh[p.text] > 0]
    assert len(two) == 2, two
    older = [p for p in two if p.specifier.contains(OLDER.version)]
    newer = [p for p in two if p.specifier.contains(FUTURE.version)]
    assert len(older) == 1 and len(newer) == 1
    _admits_exactly_the_run(older[0].specifier, OLDER)
    _admits_exactly_the_run(newer[0].specifier, FUTURE)
    for minor in range(0, 16):
        env = _marker_env(minor)
        covered = original.marker is None or original.marker.evaluate(env)
        chosen = [p for p in (older[0], newer[0]) if p.marker.evaluate(env)]
        assert len(chosen) == (1 if covered else 0), minor
        if covered:
            assert chosen[0] is (older[0] if minor < 12 else newer[0])
    again = plan(str(tmp_path), f"{case}/{name}", [request])
    assert not again.changed and again.edits[0].notes == (EditNote.ALREADY_APPLIED,)


def _patch(original: bytes, diff: str) -> bytes:
    """A minimal unified-diff applier (what ``patch -p0`` does), for in-process tests."""
    source = _lines(original)
    out: list = []
    taken = 0
    lines = _lines(diff.encode("utf-8"))
    index = 2  # skip the --- and +++ headers
    previous = b""
    while index < len(lines):
        header = re.match(rb"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", lines[index])
        assert header, lines[index]
        start = int(header.group(1)) - (0 if header.group(2) == b"0" else 1)
        out.extend(source[taken:start])
        taken = start
        index += 1
        while index < len(lines) and not lines[index].startswith(b"@@"):
            body = lines[index]
            if body.startswith(b"\\"):  # the line before has no newline
                if previous in (b" ", b"+"):
                    out[-1] = out[-1][:-1]
                index += 1
                continue
            previous = body[:1]
            if previous in (b" ", b"-"):
                assert source[taken] == body[1:] or source[taken] + b"\n" == body[1:], (
                    source[taken],
                    body,
                )
                taken += 1
            if previous in (b" ", b"+"):
                out.append(body[1:])
            index += 1
    out.extend(source[taken:])
    return b"".join(out)


@pytest.mark.parametrize(("case", "name", "line", "text"), ENTRIES)
def test_diff_reproduces_the_edit_byte_for_byte(case, name, line, text):
    syntax = _syntax(name, text)
    requests = [EditRequest(line, syntax, FUTURE, text)]
    if syntax is not Syntax.PIPFILE:
        requests = [EditRequest(line, syntax, OLDER, text, Split((3, 12), FUTURE))]
    change = plan(str(CORPUS), f"{case}/{name}", requests)
    diff = unified_diff(change.original, change.data, change.relpath)
    assert diff.startswith(f"--- {case}/{name}\n+++ {case}/{name}\n@@ ")
    assert _patch(change.original, diff) == change.data
    assert unified_diff(change.original, change.original, change.relpath) == ""
    prefixed = unified_diff(change.original, change.data, change.relpath, prefixes=True)
    assert prefixed.startswith(f"--- a/{case}/{name}\n+++ b/{case}/{name}\n")
