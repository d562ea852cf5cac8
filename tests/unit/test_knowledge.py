"""Loading the database: once, cheaply, from data; any damaged file is one DatabaseError
naming it; the line facts are the reviewed derivation, read, never recomputed."""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

import ddguard
from ddguard import knowledge
from ddguard.errors import DatabaseError
from ddguard.knowledge import DatabaseKind, derive, integrations, releases
from ddguard.knowledge.document import clean_text
from ddguard.model import SupportLevel

DATA = Path(ddguard.__file__).parent / "data"
EMBEDDED = DATA / "releases.json"
SNAPSHOT = json.loads(EMBEDDED.read_text("utf-8"))


@pytest.fixture
def override(tmp_path, monkeypatch):
    """Write a document as $DDGUARD_DB; load() it uncached."""

    def use(content) -> Path:
        path = tmp_path / "db.json"
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
        monkeypatch.setenv("DDGUARD_DB", str(path))
        return path

    yield use
    knowledge.load.cache_clear()


def load_uncached():
    return knowledge.read_chosen()


def refused(path: Path) -> str:
    with pytest.raises(DatabaseError) as caught:
        load_uncached()
    message = str(caught.value)
    assert message.startswith(f"the ddguard database {path} (DDGUARD_DB) ")
    assert len(message.splitlines()) == 1 and "unset it" in message
    for raw_text in ("Traceback", "KeyError", "IndexError", "TypeError", "Expecting"):
        assert raw_text not in message
    return message


# --- loaded once, from data ------------------------------------------------------------------


def test_load_is_cached_and_reads_the_embedded_snapshot(monkeypatch, tmp_path):
    monkeypatch.delenv("DDGUARD_DB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    knowledge.load.cache_clear()
    db = knowledge.load()
    assert knowledge.load() is db
    assert db.info.kind is DatabaseKind.EMBEDDED and db.info.embedded and db.info.verified
    assert db.info.path == str(EMBEDDED) and db.info.lines_basis == "scripts/refresh_db.py"
    knowledge.load.cache_clear()


def test_lines_json_is_what_its_inputs_derive():
    """The reviewed facts equal a fresh derivation from the shipped snapshot and policy,
    and record the sha256 of exactly those files (regenerate with refresh_db.py)."""
    shipped = json.loads((DATA / "lines.json").read_text("utf-8"))
    policy_raw = (DATA / "policy.json").read_bytes()
    assert (
        shipped["inputs"]["releases"]["sha256"] == hashlib.sha256(EMBEDDED.read_bytes()).hexdigest()
    )
    assert shipped["inputs"]["policy"]["sha256"] == hashlib.sha256(policy_raw).hexdigest()
    derived = derive.derive(
        releases.parse_releases(SNAPSHOT),
        json.loads(policy_raw),
        generated=shipped["generated"],
        generated_by=shipped["generated_by"],
        inputs=shipped["inputs"],
    )
    assert derived == shipped


def test_4x_runs_the_cpythons_its_requires_python_admits_not_every_wheel_it_ships():
    db = knowledge.load()
    four = db.line(Version("4.0"))
    assert four.python_ranges() == (((3, 9), (3, 14)),)
    assert any(  # the wheels that the derivation must not count
        name.startswith("cp315")
        for r in db.releases
        if r.version.major == 4
        for name in r.wheel_files
    )


def test_known_minors_are_one_list_from_the_data():
    db = knowledge.load()
    assert db.cpython_minors == ((2, 7), *((3, m) for m in range(5, 15)))
    supported = {
        (low[0], m)
        for line in db.lines
        for low, high in line.python_ranges()
        for m in range(low[1], (high or db.cpython_minors[-1])[1] + 1)
    }
    assert set(db.cpython_minors) == supported


def _release(version, requires, *tags, yank=None):
    return releases.Release(Version(version), "2026-01-01", requires, yank, None, tuple(tags))


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        ("<3.15,>=3.9", (((3, 13), (3, 14)),)),  # cp315 wheel forbidden by its own metadata
        ("<3.16,>=3.9", (((3, 13), (3, 15)),)),
        (None, (((3, 13), (3, 15)),)),
        (">=3.14", (((3, 14), (3, 15)),)),
    ],
)
def test_a_wheel_counts_only_where_its_releases_requires_python_admits_it(requires, expected):
    tags = [f"cp3{m}-cp3{m}-manylinux_2_28_x86_64" for m in (13, 14, 15)]
    facts = derive.derive(
        [
            _release("1.0.0", None, "cp27-cp27m-manylinux1_x86_64"),
            _release("9.0.0", requires, *tags),
        ],
        {
            "source": "test",
            "support_levels_as_published": [
                {"release": ">=1.0,<2", "support_level": "maintenance"}
            ],
            "runtimes": [],
        },
        generated="2026-01-01",
        generated_by="test",
        inputs={},
    )
    _, lines, minors = knowledge.lines.parse_lines(facts)
    assert lines[-1].python_ranges() == expected
    assert minors == tuple(
        m for low, high in expected for m in [(3, x) for x in range(low[1], high[1] + 1)]
    )


def test_yanked_and_prerelease_wheels_do_not_widen_a_line():
    facts = derive.derive(
        [
            _release("1.0.0", None, "cp27-cp27m-manylinux1_x86_64"),
            _release("9.0.0", None, "cp312-cp312-win_amd64"),
            _release("9.1.0rc1", None, "cp313-cp313-win_amd64"),
            _release("9.1.0", None, "cp314-cp314-win_amd64", yank="broken"),
        ],
        {
            "source": "t",
            "support_levels_as_published": [
                {"release": ">=1.0,<2", "support_level": "maintenance"}
            ],
            "runtimes": [],
        },
        generated="2026-01-01",
        generated_by="test",
        inputs={},
    )
    _, lines, _ = knowledge.lines.parse_lines(facts)
    assert lines[-1].python_ranges() == (((3, 12), (3, 12)),)


def test_levels_follow_the_next_majors_first_final_releases():
    db = knowledge.load()
    assert [(line.major, line.level) for line in db.lines] == [
        (0, SupportLevel.EOL),
        (1, SupportLevel.EOL),
        (2, SupportLevel.EOL),
        (3, SupportLevel.MAINTENANCE),
        (4, SupportLevel.GA),
    ]


def test_knowledge_values_are_named_tuples_not_dataclasses():
    db = knowledge.load()
    for value in (db.newest, db.lines[0], db.lines[0].runtimes[0], db.lines[0].history[0], db.info):
        assert isinstance(value, tuple) and hasattr(value, "_replace")


# --- any damaged database: one line naming the file and the way out --------------------------------


SHAPES = {
    "a-json-list": [1, 2, 3],
    "a-number": 5,
    "a-string": "releases",
    "null": None,
    "wrong-schema": dict(SNAPSHOT, schema=2),
    "no-releases": {k: v for k, v in SNAPSHOT.items() if k != "releases"},
    "releases-an-object": dict(SNAPSHOT, releases={"1.0": []}),
    "no-release": dict(SNAPSHOT, releases=[]),
    "invalid-tag": dict(SNAPSHOT, tags=["not a tag", *SNAPSHOT["tags"][1:]]),
    "tag-a-number": dict(SNAPSHOT, tags=[5, *SNAPSHOT["tags"][1:]]),
    "tag-set-out-of-range": dict(SNAPSHOT, tag_sets=[[10**6], *SNAPSHOT["tag_sets"][1:]]),
    "invalid-version": dict(SNAPSHOT, releases=[["x.y", *SNAPSHOT["releases"][0][1:]]]),
    "duplicate-version": dict(SNAPSHOT, releases=SNAPSHOT["releases"][:2] * 2),
    "short-row": dict(SNAPSHOT, releases=[SNAPSHOT["releases"][0][:3]]),
    "bad-date": dict(SNAPSHOT, releases=[["1.0.0", "soon", None, None, None, 0]]),
    "bad-requires-python": dict(
        SNAPSHOT, releases=[["1.0.0", "2026-01-01", "three", None, None, 0]]
    ),
    "fetched-not-a-date": dict(SNAPSHOT, fetched="yesterday"),
    "derived-lines-garbage": dict(SNAPSHOT, derived={"schema": 1, "lines": 5}),
}


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_a_database_of_the_wrong_shape_is_one_line(override, kind):
    refused(override(SHAPES[kind]))


@pytest.mark.parametrize(
    "content",
    [b"", b"QUOTED", b"\xff\xfe\x00QUOTED", b"[" * 100_000 + b"]" * 100_000, b"{" * 50_000],
    ids=["empty", "text", "binary", "deep-nesting", "unclosed"],
)
def test_garbage_is_one_line_without_quoting_it(override, content):
    assert "QUOTED" not in refused(override(content))


def test_non_regular_files_are_named_not_read(override, tmp_path, monkeypatch):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        monkeypatch.setenv("DDGUARD_DB", str(path))
        with pytest.raises(DatabaseError, match=r"not a regular file|Is a directory"):
            load_uncached()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    row=st.integers(0, len(SNAPSHOT["releases"]) - 1),
    column=st.integers(0, 5),
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=6,
    ),
)
def test_any_value_in_any_cell_loads_or_is_one_line(override, row, column, value):
    rows = [list(r) for r in SNAPSHOT["releases"]]
    rows[row][column] = value
    path = override(dict(SNAPSHOT, releases=rows))
    try:
        db = load_uncached()
    except DatabaseError as exc:
        assert str(exc).startswith(f"the ddguard database {path} (DDGUARD_DB) ")
        assert len(str(exc).splitlines()) == 1
    else:
        assert len(db.releases) == len(rows)


# --- text from the data reaches terminals clean ------------------------------------------------


BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROL = st.sampled_from(["\x1b[31m", "\x07", "\r", "\x9b2J", "\u202e", "\u2066", "\x00", "\n"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.text(max_size=6) | CONTROL, min_size=1, max_size=8))
def test_yank_reasons_and_sources_lose_their_control_characters(override, parts):
    text = "".join(parts)
    rows = [list(r) for r in SNAPSHOT["releases"]]
    rows[0][3] = text
    path = override(dict(SNAPSHOT, releases=rows, source=text or "s"))
    db = load_uncached()
    for shown in (db.releases[0].yank_reason, db.info.source):
        assert shown is not None and path.is_file()
        assert not any(unicodedata.category(c) == "Cc" or c in BIDI for c in shown)


def test_clean_text_keeps_printable_text_as_it_is():
    assert clean_text("wrong commit (see #123) – ünïcode") == "wrong commit (see #123) – ünïcode"
    assert clean_text("a\tb\nc\x1b[2Jd\u202ee") == "a b c[2Jde"


# --- the integration data: checked at load ---------------------------------------------------


INTEGRATIONS = json.loads((DATA / "integrations.json").read_text("utf-8"))


def _integrations(change):
    doc = json.loads(json.dumps(INTEGRATIONS))
    change(doc)
    return doc


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("lines"),
        lambda d: d.update(integrations=[]),
        lambda d: d["integrations"]["django"]["2"]["deps"][0].update(spec=">=not a version"),
        lambda d: d["integrations"]["django"]["2"]["deps"][0].update(package=5),
        lambda d: d["integrations"]["django"]["2"]["deps"][0].update(package="dj\x1b[2Jango"),
        lambda d: d["integrations"]["aiobotocore"]["4"]["deps"][0].update(min="x.y"),
        lambda d: d["integrations"]["aiobotocore"]["4"]["deps"][0]["python"].update(
            {"3.11": ["1"]}
        ),
        lambda d: d["integrations"].update({"evil\x07": {}}),
    ],
    ids=[
        "no-lines",
        "a-list",
        "bad-range",
        "name-a-number",
        "control-chars",
        "bad-min",
        "short-pair",
        "bell",
    ],
)
def test_damaged_integration_data_is_one_line_naming_the_file(tmp_path, change):
    path = tmp_path / "integrations.json"
    path.write_text(json.dumps(_integrations(change)))
    with pytest.raises(DatabaseError) as caught:
        integrations.load(str(path))
    message = str(caught.value)
    assert message.startswith(f"the integration data {path} is not usable: ")
    assert len(message.splitlines()) == 1 and "\x1b" not in message and "\x07" not in message


def test_the_shipped_integration_data_loads_once():
    assert integrations.load() is integrations.load()
    assert integrations.load().basis(2) is not None and integrations.load().basis(1) is None
