"""ddtrace's dependencies on a target: which required packages pip would build from source.

Rows against the shipped data (src/ddguard/data/dependencies.json), rules against small
generated documents, and hostile data files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from dependency_documents import Row
from dependency_documents import document as _document
from hypothesis import given, settings
from hypothesis import strategies as st

from ddguard.errors import DatabaseError
from ddguard.evaluate import closure
from ddguard.evaluate.closure import Missing, MissingWheel, missing_wheels, resolve
from ddguard.knowledge import dependencies
from ddguard.target import Target

LINUX = "manylinux_x86_64"


def _target(text: str) -> Target:
    return Target.from_compact(text)


# --- the shipped data ---------------------------------------------------------------------

# (release, target, extras, {package: (specifier, what is missing)}) — from the index as
# recorded; pip's own verdicts on most of these are in tests/fixtures/pip_closure_verdicts.json
SHIPPED: List[Tuple[str, str, Tuple[str, ...], Dict[str, Tuple[str, Missing]]]] = [
    # issue 17: psutil==5.6.7 has wheels for Windows and CPython <= 3.8 only
    ("2.0.0", "cp312-manylinux_x86_64", (), {"psutil": ("==5.6.7", Missing.NO_WHEEL_IN_RANGE)}),
    ("2.0.0", "cp39-manylinux_aarch64", (), {"psutil": ("==5.6.7", Missing.NO_WHEEL_IN_RANGE)}),
    ("2.0.0", "cp310-macosx_14_0_arm64", (), {"psutil": ("==5.6.7", Missing.NO_WHEEL_IN_RANGE)}),
    ("2.0.0", "cp312-win_amd64", (), {"psutil": ("==5.6.7", Missing.NO_WHEEL_IN_RANGE)}),
    ("2.1.1", "cp39-manylinux_aarch64", (), {"psutil": ("~=5.8", Missing.NO_WHEEL_IN_RANGE)}),
    # a psutil range that has wheels there
    ("2.1.1", "cp312-manylinux_x86_64", (), {}),
    ("2.1.1", "cp310-macosx_14_0_arm64", (), {}),
    # no psutil any more
    ("2.2.0", "cp39-manylinux_aarch64", (), {}),
    ("4.16.0", "cp313-manylinux_x86_64", (), {}),
    # extras: opentracing publishes only an sdist
    ("2.21.0", "cp312-manylinux_x86_64", ("opentracing",), {"opentracing": (">=2.0.0", Missing.NO_WHEEL_IN_RANGE)}),
    ("2.21.0", "cp312-manylinux_x86_64", (), {}),
]  # fmt: skip


def _ids(row: Tuple[str, str, Tuple[str, ...], Dict[str, Any]]) -> str:
    release, target, extras, _ = row
    return f"{release}{'[' + ','.join(extras) + ']' if extras else ''}-{target}"


@pytest.mark.parametrize("row", SHIPPED, ids=_ids)
def test_missing_wheels_in_the_shipped_data(
    row: Tuple[str, str, Tuple[str, ...], Dict[str, Tuple[str, Missing]]],
) -> None:
    release, target, extras, expected = row
    found = missing_wheels(release, _target(target), frozenset(extras))
    by_package = {fact.package: fact for fact in found}
    for package, (specifier, kind) in expected.items():
        assert package in by_package, found
        fact = by_package[package]
        assert (fact.specifier, fact.missing, fact.required_by) == (specifier, kind, release)
        assert fact.extra == (extras[0] if extras else None)
    if not expected:
        assert found == ()


def test_issue_17_fact_names_the_pin_and_the_release() -> None:
    (psutil,) = [
        f
        for f in missing_wheels("2.0.0", _target("cp312-manylinux_x86_64"))
        if f.package == "psutil"
    ]
    assert psutil.picked == "5.6.7"
    assert psutil.newest_with_wheel is None
    assert psutil.compiled  # psutil publishes platform wheels: its build compiles C
    assert psutil.via == ()


def test_the_same_pin_installs_from_a_wheel_where_one_was_published() -> None:
    # psutil 5.6.7 has cp38 Windows wheels: 2.0.0 on CPython 3.8 / Windows needs no build
    assert "psutil" not in {f.package for f in missing_wheels("2.0.0", _target("cp38-win_amd64"))}


@pytest.mark.parametrize(
    ("python", "expected"), [("cp311", False), ("cp312", True)], ids=["cp311", "cp312"]
)
def test_markers_are_evaluated_for_the_target(python: str, expected: bool) -> None:
    # 2.0.0: setuptools; python_version >= "3.12"
    closure = resolve("2.0.0", _target(f"{python}-{LINUX}"), full=True)
    assert ("setuptools" in {p.package for p in closure.picks}) is expected


def test_packages_that_lead_to_no_binary_one_are_not_entered() -> None:
    # 4.16.0: bytecode<1,>=0.16.0; python_version >= "3.13.0" and the like: pure, no marker
    # is parsed; wrapt (binary) and opentelemetry-api (can lead to wrapt) are walked
    target = _target("cp313-manylinux_x86_64")
    dependencies._marker.cache_clear()
    walked = {p.package for p in resolve("4.16.0", target).picks}
    assert dependencies._marker.cache_info().currsize == 0
    assert "wrapt" in walked and "bytecode" not in walked
    assert "bytecode" in {p.package for p in resolve("4.16.0", target, full=True).picks}


def test_an_extra_adds_its_own_closure() -> None:
    base = resolve("4.16.0", _target("cp313-manylinux_x86_64"))
    otel = resolve("4.16.0", _target("cp313-manylinux_x86_64"), frozenset({"opentelemetry"}))
    base_names = {p.package for p in base.picks}
    extra_picks = {p.package: p for p in otel.picks if p.package not in base_names}
    assert "grpcio" in extra_picks  # through opentelemetry-exporter-otlp-proto-grpc
    grpcio = extra_picks["grpcio"]
    assert grpcio.extra == "opentelemetry" and grpcio.via and grpcio.has_wheel
    assert not otel.unknown_packages and not otel.unread


def test_a_release_the_data_does_not_know_has_no_facts() -> None:
    assert missing_wheels("99.0.0", _target("cp312-manylinux_x86_64")) == ()
    assert resolve("99.0.0", _target("cp312-manylinux_x86_64")).known is False


def test_every_shipped_release_resolves_on_common_targets() -> None:
    data = dependencies.load()
    targets = [
        _target(t) for t in ("cp312-manylinux_x86_64", "cp39-macosx_arm64", "cp311-win_amd64")
    ]
    for version in data.ddtrace_versions():
        for target in targets:
            closure = resolve(version, target, data=data)
            assert closure.known
            assert not closure.unknown_packages, (version, target)
            for fact in closure.missing:
                assert isinstance(fact, MissingWheel) and fact.required_by == version


def test_load_is_cached() -> None:
    assert dependencies.load() is dependencies.load()


# --- the rules, on generated documents ------------------------------------------------------


def _facts(
    doc: Dict[str, Any], target: str = "cp312-manylinux_x86_64", **kw: Any
) -> Dict[str, MissingWheel]:
    data = dependencies.from_document(json.loads(json.dumps(doc)))
    return {f.package: f for f in missing_wheels("1.0.0", _target(target), data=data, **kw)}


WHEEL = ["cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"]
OTHER = ["cp312-cp312-win_amd64"]
PURE = ["py3-none-any"]


@pytest.mark.parametrize(
    ("rows", "only_binary", "expected"),
    [
        # pip's pick (the newest) has a wheel: nothing missing
        ([("1.0", None, 0, 1, WHEEL), ("2.0", None, 0, 1, WHEEL)], False, None),
        # the newest has only an sdist: plain pip builds it, --only-binary takes 1.0
        ([("1.0", None, 0, 1, WHEEL), ("2.0", None, 0, 1, [])], False, Missing.NEWEST_HAS_NO_WHEEL),
        ([("1.0", None, 0, 1, WHEEL), ("2.0", None, 0, 1, [])], True, None),
        # wheels only for another platform
        ([("1.0", None, 0, 1, OTHER)], False, Missing.NO_WHEEL_IN_RANGE),
        ([("1.0", None, 0, 1, OTHER)], True, Missing.NO_WHEEL_IN_RANGE),
        # neither a wheel for the target nor an sdist
        ([("1.0", None, 0, 0, OTHER)], False, Missing.NO_INSTALLABLE_VERSION),
        # the newest with a wheel is yanked: pip skips it, picks the sdist-only 1.0
        ([("1.0", None, 0, 1, []), ("2.0", None, 1, 1, WHEEL)], False, Missing.NO_WHEEL_IN_RANGE),
        # Requires-Python excludes the release with a wheel
        (
            [("1.0", None, 0, 1, []), ("2.0", ">=3.13", 0, 1, WHEEL)],
            False,
            Missing.NO_WHEEL_IN_RANGE,
        ),
        # a pre-release is not picked when a final release matches
        ([("1.0", None, 0, 1, WHEEL), ("2.0rc1", None, 0, 1, [])], False, None),
        # ... but is when nothing else does
        ([("2.0rc1", None, 0, 1, [])], False, Missing.NO_WHEEL_IN_RANGE),
        # a pure wheel installs anywhere
        ([("1.0", None, 0, 1, PURE)], False, None),
    ],
)
def test_pip_pick_rules(rows: List[Row], only_binary: bool, expected: Optional[Missing]) -> None:
    facts = _facts(_document(["dep"], {"dep": rows}), only_binary=only_binary)
    assert (facts["dep"].missing if facts else None) == expected


def test_a_yanked_release_counts_only_when_pinned_and_nothing_else_is_left() -> None:
    rows: List[Row] = [("1.0", None, 1, 1, [])]
    assert _facts(_document(["dep==1.0"], {"dep": rows}))["dep"].picked == "1.0"
    assert (
        _facts(_document(["dep>=1"], {"dep": rows}))["dep"].missing
        is Missing.NO_INSTALLABLE_VERSION
    )


def test_specifiers_of_every_requirer_are_intersected() -> None:
    rows: List[Row] = [("1.0", None, 0, 1, []), ("2.0", None, 0, 1, WHEEL)]
    doc = _document(
        ["dep", "middle"],
        {"dep": rows, "middle": [("1.0", None, 0, 1, PURE)]},
        requires={("middle", "1.0"): ["dep<2"]},
        binary={"middle": False},
    )
    fact = _facts(doc)["dep"]
    assert (fact.specifier, fact.picked, fact.missing) == ("<2", "1.0", Missing.NO_WHEEL_IN_RANGE)


def test_transitive_dependency_names_its_path_and_markers_and_extras_apply() -> None:
    doc = _document(
        ['middle; extra == "x"', 'skipped; python_version < "3.8"'],
        {
            "middle": [("1.0", None, 0, 1, PURE)],
            "deep": [("1.0", None, 0, 1, [])],
            "skipped": [("1.0", None, 0, 1, [])],
        },
        requires={("middle", "1.0"): ['deep; sys_platform == "linux"']},
        binary={"middle": False},
    )
    assert _facts(doc) == {}
    facts = _facts(doc, extras=frozenset({"x"}))
    assert set(facts) == {"deep"}
    assert (facts["deep"].via, facts["deep"].extra) == (("middle",), "x")
    assert _facts(doc, target="cp312-win_amd64", extras=frozenset({"x"})) == {}


def test_wheels_built_on_other_pythons_can_list_other_requirements() -> None:
    doc = _document(
        ["dep"],
        {"dep": [("1.0", None, 0, 1, [])], "old": [("1.0", None, 0, 1, [])]},
        overrides={"cp37": ["old"]},
    )
    assert set(_facts(doc)) == {"dep"}
    assert set(_facts(doc, target="cp37-manylinux_x86_64")) == {"old"}


@pytest.mark.parametrize(
    ("relevant", "python", "entered"),
    [
        (False, "3.12", False),
        (["3.11"], "3.12", False),
        (["3.11"], "3.11", True),
        (["3.11"], "3.13", True),
    ],
)
def test_relevance_by_python(relevant: Any, python: str, entered: bool) -> None:
    """A package through which no binary one was reached on that Python is not entered;
    a Python the refresh did not walk (3.13 here) is entered."""
    doc = _document(
        ["middle"],
        {"middle": [("1.0", None, 0, 1, PURE)], "deep": [("1.0", None, 0, 1, [])]},
        requires={("middle", "1.0"): ["deep"]},
        binary={"middle": False},
        relevant={"middle": relevant},
    )
    facts = _facts(doc, target=f"cp{python.replace('.', '')}-manylinux_x86_64")
    assert ("deep" in facts) is entered


def test_a_pure_package_without_recorded_releases_is_not_a_fact() -> None:
    doc = _document(["dep>5"], {"dep": [("1.0", None, 0, 1, PURE)]}, binary={"dep": False})
    assert _facts(doc) == {}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),  # version
            st.sampled_from([None, ">=3.13", "<3.12", ">=3.8"]),
            st.booleans(),  # yanked
            st.booleans(),  # sdist
            st.sampled_from([[], WHEEL, OTHER, PURE]),
        ),
        max_size=8,
        unique_by=lambda r: r[0],
    ),
    st.integers(0, 30),
    st.booleans(),
)
def test_pick_matches_a_reference_model(rows: List[Any], bound: int, only_binary: bool) -> None:
    """Against a direct statement of pip's rule (final releases, no exact pins)."""
    spec = f"<={bound}"
    releases = [(f"{v}.0", rp, int(y), int(s), t) for v, rp, y, s, t in rows]
    facts = _facts(_document([f"dep{spec}"], {"dep": releases}), only_binary=only_binary)

    def usable(r: Any, need_wheel: bool) -> bool:
        has_wheel = r[4] in (WHEEL, PURE)
        admits = r[1] in (None, ">=3.8")  # the target is CPython 3.12
        in_range = int(r[0].split(".")[0]) <= bound
        return admits and not r[2] and in_range and (has_wheel or (not need_wheel and bool(r[3])))

    def newest(need_wheel: bool) -> Optional[Any]:
        found = [r for r in releases if usable(r, need_wheel)]
        return max(found, key=lambda r: int(r[0].split(".")[0])) if found else None

    plain, wheel = newest(False), newest(True)
    if plain is None and wheel is None:
        expected = Missing.NO_INSTALLABLE_VERSION
    elif wheel is None:
        expected = Missing.NO_WHEEL_IN_RANGE
    elif plain is not wheel and not only_binary:
        expected = Missing.NEWEST_HAS_NO_WHEEL
    else:
        expected = None
    assert (facts["dep"].missing if facts else None) == expected


# --- hostile data files ---------------------------------------------------------------------

GOOD = _document(["dep"], {"dep": [("1.0", None, 0, 1, WHEEL)]})


def _broken(path: str, value: Any) -> Dict[str, Any]:
    doc = json.loads(json.dumps(GOOD))
    node = doc
    keys = path.split("/")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


HOSTILE = [
    ("schema", 2),
    ("schema", "1"),
    ("source", 3),
    ("requirements", {"a": 1}),
    ("requirements", [1]),
    ("requirements", [["dep", ">=1", [], None]]),
    ("requirements/0", ["dep", ">=>1", [], None, None]),
    ("requirements/0", ["dep", "", [], None, "os_name =="]),
    ("requirements/0", ["dep", "", "extra", None, None]),
    ("requirements/0", ["dep", "", [], 1, None]),
    ("requirement_sets", [[99]]),
    ("requirement_sets", [[True]]),
    ("ddtrace", {}),
    ("ddtrace/0", ["1.0.0"]),
    ("ddtrace/0", ["1.0.0", 0, []]),
    ("ddtrace/0", [1, 0]),
    ("interpreters", "py3-none"),
    ("interpreters", ["cp312"]),
    ("platforms", [None]),
    ("tag_sets", [[-1]]),
    ("tag_sets", [[[[0], [0], [0]]]]),
    ("tag_sets", [[[[0], [5]]]]),
    ("tag_sets", [[[0, 0]]]),
    ("packages", []),
    ("packages/dep", {"binary": True, "releases": []}),
    ("packages/dep", {"binary": True, "compiled": True, "relevant": 1, "releases": []}),
    ("packages/dep", [True, True, True, []]),
    ("packages/dep/relevant", "yes"),
    ("packages/dep/relevant", [3.12]),
    ("walked_pythons", "3.12"),
    ("packages/dep/releases", [["1.0", None, 0, 1, 0]]),
    ("packages/dep/releases", [["1.0", None, 2, 1, 0, None]]),
    ("packages/dep/releases", [["1.0", 3.12, 0, 1, 0, None]]),
    ("packages/dep/releases", [["1.0", None, 0, 1, 9, None]]),
    ("packages/dep/releases", [["1.0", None, 0, 1, 0, "0"]]),
]


@pytest.mark.parametrize(("where", "value"), HOSTILE, ids=[f"{w}={v!r}"[:40] for w, v in HOSTILE])
def test_wrong_shape_is_one_line(tmp_path: Path, where: str, value: Any) -> None:
    path = tmp_path / "dependencies.json"
    path.write_text(json.dumps(_broken(where, value)), encoding="utf-8")
    with pytest.raises(DatabaseError) as info:  # when loaded, used, or checked whole
        data = dependencies.load(str(path))
        closure.resolve("1.0.0", _target("cp312-manylinux_x86_64"), data=data)
        data.validate()
    message = str(info.value)
    assert "\n" not in message and str(path) in message and len(message) < 300


def test_a_bad_version_or_requirement_is_one_line() -> None:
    doc = _document(["dep"], {"dep": [("not a version", None, 0, 1, WHEEL)]})
    _facts(doc)  # using it does not crash; the whole check names it:
    with pytest.raises(DatabaseError, match=r"packages\['dep'\].releases is not valid versions"):
        dependencies.from_document(doc).validate()
    doc = _document(["dep"], {"dep": [("1.0", None, 0, 1, WHEEL), ("2.0", None, 0, 1, WHEEL)]})
    doc["packages"]["dep"]["releases"].reverse()
    with pytest.raises(DatabaseError, match="in ascending order"):
        dependencies.from_document(doc).validate()
    doc = _document(["dep"], {})
    doc["requirements"][0][1] = ">=> 1"
    with pytest.raises(DatabaseError, match=r"requirements\[0\] is not a valid specifier"):
        _facts(doc)


def test_the_shipped_data_passes_the_whole_check() -> None:
    dependencies.load().validate()


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe garbage",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"schema": 1, "source": "' + b"x" * 50_000,
        b"[]",
        b"null",
        b"",
    ],
    ids=["garbage", "deep", "long-unterminated", "list", "null", "empty"],
)
def test_unreadable_file_is_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "dependencies.json"
    path.write_bytes(content)
    with pytest.raises(DatabaseError) as info:
        dependencies.load(str(path))
    assert "\n" not in str(info.value) and "xxxxxxxxxx" not in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_non_regular_files_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, Path(os.devnull), tmp_path / "absent.json"):
        with pytest.raises(DatabaseError) as info:
            dependencies.load(str(path))
        assert "\n" not in str(info.value)


# --- markers: the python_version form evaluated without packaging's parser -------------------

PYTHONS = [
    "2.7",
    "3.4",
    "3.5",
    "3.6",
    "3.7",
    "3.8",
    "3.9",
    "3.10",
    "3.11",
    "3.12",
    "3.13",
    "3.14",
    "3.15",
]
COMPARISON = st.builds(
    lambda op, version: f'python_version {op} "{version}"',
    st.sampled_from(["<", "<=", "==", "!=", ">=", ">", "~="]),
    st.sampled_from(["2", "2.7", "3", "3.0", "3.8", "3.11.0", "3.12", "3.13.1", "3.15.0", "4"]),
)


def _shipped_markers() -> List[str]:
    data = dependencies.load()
    return sorted(
        {
            r.marker
            for index in range(len(data._doc["requirement_sets"]))
            for r in data.requirement_set(index)
            if r.marker
        }
    )


def _same_as_packaging(text: str) -> None:
    from packaging.markers import Marker

    fast = dependencies._python_version_marker(text)
    reference = Marker(text)
    for python in PYTHONS:
        environment = {**Target.from_compact(f"cp{python.replace('.', '')}-{LINUX}").marker_env()}
        if fast is None:
            continue
        assert fast.evaluate(environment) == reference.evaluate(environment), (text, python)


@pytest.mark.parametrize("text", _shipped_markers())
def test_every_shipped_marker_is_read_without_packaging_and_agrees(text: str) -> None:
    assert dependencies._python_version_marker(text) is not None
    _same_as_packaging(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(COMPARISON, min_size=1, max_size=3), min_size=1, max_size=3))
def test_generated_python_version_markers_agree_with_packaging(clauses: List[List[str]]) -> None:
    text = " or ".join(" and ".join(clause) for clause in clauses)
    _same_as_packaging(text)


@pytest.mark.parametrize(
    "text",
    [
        'sys_platform == "win32"',
        'python_version < "3.8" and sys_platform == "linux"',
        '(python_version < "3")',
    ],
)
def test_other_markers_go_to_packaging(text: str) -> None:
    assert dependencies._python_version_marker(text) is None
    assert type(dependencies.load().marker(text)).__name__ == "Marker"
