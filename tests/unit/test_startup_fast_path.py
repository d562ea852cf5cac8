"""The startup check's fast path (one release read, no packaging.specifiers) says
"nothing to say" exactly when the full judgement of the installed copy does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ddguard import knowledge
from ddguard.errors import DatabaseError
from ddguard.evaluate.installed import InstalledCopy, fits, judge_installed
from ddguard.evaluate.release import file_group
from ddguard.target import Implementation, Target

CPYTHONS_2_21 = ((3, 8), (3, 9), (3, 10), (3, 11), (3, 12))  # ddtrace 2.21.12 has wheels

HOSTS = [
    "cp27-manylinux_x86_64",
    "cp36-manylinux_x86_64",
    "cp38-manylinux_aarch64",
    "cp311-manylinux_x86_64",
    "cp312-manylinux_x86_64",
    "cp312-musllinux_x86_64",
    "cp313-manylinux_x86_64",
    "cp313t-manylinux_x86_64",
    "cp314-manylinux_x86_64",
    "cp39-macosx_arm64",
    "cp312-win_amd64",
    "cp310-win32",
    "pp39-manylinux_x86_64",
]


def copy_of(version: str, tags: List[str]) -> InstalledCopy:
    return InstalledCopy(
        site="/site",
        version=version,
        wheel_tags=tuple(tags),
        requires_python=None,
        executable=sys.executable,
        own_site=True,
    )


@pytest.fixture(scope="module")
def each_alone() -> Dict[str, knowledge.Knowledge]:
    """One release of each group sharing the facts a release's own verdict rests on
    (line, Requires-Python, wheels, sdist; :func:`file_group`), as load_one reads it."""
    whole = knowledge.load()
    found = {}
    seen = set()
    for release in whole.releases:
        group = file_group(whole, release)
        if group in seen:
            continue
        seen.add(group)
        one = knowledge.load_one(str(release.version))
        assert one is not None and one.releases == (release,)
        found[str(release.version)] = one
    assert len(found) > 20
    return found


@pytest.mark.parametrize("compact", HOSTS)
def test_fast_path_agrees_with_the_full_judgement_on_every_release(
    compact: str, each_alone: Dict[str, knowledge.Knowledge]
) -> None:
    host = Target.from_compact(compact)
    whole = knowledge.load()
    own = "-".join(sorted(host.supported())[0])  # a wheel built for this host
    other = "cp35-cp35m-win32"
    fast_yes = 0
    for version, one in each_alone.items():
        for tags in ([own], [other], []):
            expected = judge_installed(whole, copy_of(version, tags), host) is None
            assert fits(one, version, tuple(tags), host) is expected, (version, tags)
            fast_yes += expected
    if compact.startswith("cp3") and not host.free_threaded:
        assert fast_yes > 3  # the common case does take the fast path


def test_a_version_the_snapshot_does_not_spell_so_is_left_to_the_full_path() -> None:
    for version in ("99.0.0", "2.21.12+local", "02.21.12", "", "garbage"):
        assert knowledge.load_one(version) is None


def write_db(path: Path, rows: List[Any], fetched: str = "2026-11-25") -> Path:
    doc: Dict[str, Any] = json.loads(Path(knowledge.data_path("releases.json")).read_text())
    doc["releases"] = rows
    doc["fetched"] = fetched
    path.write_text(json.dumps(doc))
    return path


def test_only_the_named_row_is_read_and_a_doubled_row_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = json.loads(Path(knowledge.data_path("releases.json")).read_text())["releases"]
    good = next(row for row in base if row[0] == "2.21.12")
    db = write_db(tmp_path / "db.json", [good, ["1.0.0", "not a date", None, None, None, 0]])
    monkeypatch.setenv("DDGUARD_DB", str(db))
    knowledge.load.cache_clear()
    try:
        one = knowledge.load_one("2.21.12")
        assert one is not None and [str(r.version) for r in one.releases] == ["2.21.12"]
        with pytest.raises(DatabaseError, match="upload date"):
            knowledge.load()  # the whole file is still refused where it is read whole
        write_db(db, [good, good])
        assert knowledge.load_one("2.21.12") is None
    finally:
        knowledge.load.cache_clear()


def test_load_one_reads_the_database_load_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user copy older than the embedded snapshot is passed over, as load() does."""
    base = json.loads(Path(knowledge.data_path("releases.json")).read_text())["releases"]
    row = list(next(row for row in base if row[0] == "2.21.12"))
    row[2] = ">=3.99"  # only the user copy says so
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "ddguard").mkdir()
    user = tmp_path / "ddguard" / "releases.json"
    knowledge.load.cache_clear()
    try:
        write_db(user, [row], fetched="2000-01-01")
        one = knowledge.load_one("2.21.12")
        assert one is not None and one.releases[0].requires_python != ">=3.99"
        write_db(user, [row], fetched="2999-01-01")
        one = knowledge.load_one("2.21.12")
        assert one is not None and one.releases[0].requires_python == ">=3.99"
    finally:
        knowledge.load.cache_clear()


def test_the_compatible_startup_path_imports_no_specifiers_and_reads_no_other_release(
    tmp_path: Path,
) -> None:
    """In a fresh interpreter: a compatible installed release is judged without
    packaging.specifiers and without the dependency data."""
    host = Target.from_host()
    if host.implementation is not Implementation.CPYTHON or host.python not in CPYTHONS_2_21:
        pytest.skip("needs a CPython ddtrace 2.21.12 publishes wheels for")
    tag = "-".join(sorted(host.supported())[0])
    site = tmp_path / "site"
    (site / "ddtrace").mkdir(parents=True)
    (site / "ddtrace" / "__init__.py").write_text("")
    info = site / "ddtrace-2.21.12.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ddtrace\nVersion: 2.21.12\n\n")
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nTag: {tag}\n")
    code = (
        "import sys; sys.path.insert(0, %r); from ddguard import startup; "
        "o = startup.evaluate(startup.find_ddtrace(sys.path)); "
        "print(o.verdict, 'packaging.specifiers' in sys.modules, "
        "'ddguard.knowledge.dependencies' in sys.modules)" % str(site)
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["compatible", "False", "False"], done.stderr


def test_a_damaged_tag_is_refused_where_it_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = json.loads(Path(knowledge.data_path("releases.json")).read_text())
    row = next(row for row in doc["releases"] if row[0] == "2.21.12")
    own = set(doc["tag_sets"][row[5]])
    used = {i for members in doc["tag_sets"] for i in members}
    elsewhere = next(i for i in sorted(used) if i not in own)
    monkeypatch.setenv("DDGUARD_DB", str(tmp_path / "db.json"))
    for damaged, one_ok in ((elsewhere, True), (min(own), False)):
        broken = json.loads(json.dumps(doc))
        broken["tags"][damaged] = "not a tag"
        (tmp_path / "db.json").write_text(json.dumps(broken))
        knowledge.load.cache_clear()
        try:
            with pytest.raises(DatabaseError, match=f"tag {damaged} .*is not a wheel tag"):
                knowledge.load()
            if one_ok:
                one = knowledge.load_one("2.21.12")
                assert one is not None and str(one.releases[0].version) == "2.21.12"
            else:
                with pytest.raises(DatabaseError, match="is not a wheel tag"):
                    knowledge.load_one("2.21.12")
        finally:
            knowledge.load.cache_clear()
