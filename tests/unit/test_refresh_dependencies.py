"""The offline parts of scripts/refresh_dependencies.py: the range-request zip reader (on
in-memory wheels, no network), requires.txt translation and the compact tag tables."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path
from typing import List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.tags import parse_tag

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import _pypi  # noqa: E402
import refresh_dependencies  # noqa: E402

from ddguard.knowledge import dependencies  # noqa: E402


def _wheel(members: int, metadata: str, force_zip64: bool, method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for number in range(members):  # a big central directory, like ddtrace's wheels
            archive.writestr(f"ddtrace/module_{number}.py", "x = %d\n" % number * 20)
        with archive.open("ddtrace-1.0.dist-info/METADATA", "w", force_zip64=force_zip64) as f:
            f.write(metadata.encode())
        archive.writestr("ddtrace-1.0.dist-info/RECORD", "")
    return buffer.getvalue()


@pytest.mark.parametrize("members", [0, 50, 4000])
@pytest.mark.parametrize("force_zip64", [False, True])
@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_wheel_metadata_by_ranges(
    monkeypatch: pytest.MonkeyPatch, members: int, force_zip64: bool, method: int
) -> None:
    metadata = "Metadata-Version: 2.1\nName: ddtrace\nRequires-Dist: psutil ==5.6.7\n"
    metadata += "Requires-Dist: bytecode ; python_version >= '3.8'\n\n" + "body " * 3000
    blob = _wheel(members, metadata, force_zip64, method)
    asked: List[Tuple[int, int]] = []

    def fetch_range(url: str, start: int, end: int) -> bytes:
        assert 0 <= start < end <= len(blob)
        asked.append((start, end))
        return blob[start:end]

    monkeypatch.setattr(_pypi, "fetch_range", fetch_range)
    text, requests = _pypi.wheel_metadata("https://example/x.whl", len(blob))
    assert text == metadata
    assert _pypi.requires_dist(text) == ["psutil ==5.6.7", "bytecode ; python_version >= '3.8'"]
    assert requests == len(asked) <= 4
    assert sum(end - start for start, end in asked) < len(blob) or len(blob) < 3 * _pypi.TAIL


def test_not_a_zip_is_a_fetch_error(monkeypatch: pytest.MonkeyPatch) -> None:
    blob = b"not a zip" * 100
    monkeypatch.setattr(_pypi, "fetch_range", lambda url, start, end: blob[start:end])
    with pytest.raises(_pypi.FetchError):
        _pypi.wheel_metadata("https://example/x.whl", len(blob))


def test_requires_txt_sections_become_markers() -> None:
    text = (
        'wrapt\nmsgpack\n\n[:python_version < "3.4"]\nenum34\n\n[opentracing]\nopentracing>=2.0.0\n'
    )
    assert _pypi.requires_txt_to_dist(text) == [
        "wrapt",
        "msgpack",
        'enum34; python_version < "3.4"',
        'opentracing>=2.0.0; extra == "opentracing"',
    ]


TAGS = st.sampled_from(
    [
        "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
        "cp312-cp312-win_amd64",
        "cp311-cp311-win_amd64",
        "cp311-cp311-musllinux_1_2_aarch64",
        "cp36-abi3-macosx_10_9_x86_64",
        "py2.py3-none-any",
        "py3-none-any",
        "pp310-pypy310_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64",
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(TAGS, max_size=8), min_size=1, max_size=5))
def test_grouped_tag_sets_expand_to_the_same_tags(releases: List[List[str]]) -> None:
    tables = refresh_dependencies.Tables()
    indexes = [tables.tag_set(tags) for tags in releases]
    doc = refresh_dependencies.document([], {}, tables, {}, "2026-01-01")
    data = dependencies.from_document(doc)
    for tags, index in zip(releases, indexes):
        expected = {tag for text in tags for tag in parse_tag(text)}
        assert data.tag_set(index) == {(t.interpreter, t.abi, t.platform) for t in expected}


def test_a_walk_over_the_shipped_data_records_picks_and_nothing_missing() -> None:
    """The refresh's walk step, on data that is complete for these releases."""
    walked = refresh_dependencies.Walked()
    keys = [
        ("cp312-manylinux_x86_64", "2.0.0", frozenset(), False),
        ("cp312-manylinux_x86_64", "2.21.0", frozenset({"opentracing"}), False),
    ]
    refresh_dependencies.walk(dependencies.load(), walked, keys)
    assert walked.walks == 2 and not walked.missing
    assert ("psutil", "5.6.7") in walked.picks[keys[0]]
    assert any(package == "opentracing" for package, _ in walked.picks[keys[1]])
