"""Integration ranges, table-driven from the rows of the data files they are generated from
(extracted into ``tests/fixtures/integrations/`` by ``scripts/refresh_integrations.py``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

import ddguard
from ddguard import sources
from ddguard.evaluate import integrations
from ddguard.evaluate.integrations import findings_for, known_packages, pin_findings
from ddguard.knowledge import integrations as integration_data
from ddguard.model import Note, NoteCode, Origin, OriginKind
from ddguard.model.findings import FindingCase, FindingKind
from ddguard.report.words import finding as sentence
from ddguard.report.words import note, source
from ddguard.sources import installed
from ddguard.target import Target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "integrations"
TABLE_2X = FIXTURES / "2x-doc-table.csv"
TESTED_4X = FIXTURES / "4x-tested-versions.json"
CP311 = Target.from_compact("cp311-manylinux_x86_64")
R_TXT = Origin(OriginKind.DEPENDENCY, path="r.txt", line=1)


def integration_findings(ddtrace_version, target, packages, strict=False):
    return integrations.version_findings(Version(ddtrace_version), target, packages, strict=strict)


def range_findings(ddtrace_version, target, name, specifier, strict=False):
    return integrations.range_findings(
        Version(ddtrace_version), target, name, specifier, origin=R_TXT, strict=strict
    )


def declared_pins(files=(), projects=()):
    """The integration-package pins of files and projects, read as ``check --integrations``
    reads them (the readers asked for the integration packages' names)."""
    wanted = known_packages()
    found = []
    for path in files:
        found.extend(sources.read_requirements_file(path, wanted).pins)
    for path in projects:
        found.extend(sources.scan_project(path, wanted).pins)
    return found


def file_and_line(origin):
    return source(origin).rsplit("/", 1)[1]


def below(version: str) -> str:
    """A version just below ``version``: 1.8 -> 1.7.999, 1.0 -> 0.999."""
    release = list(Version(version).release)
    index = max(i for i, part in enumerate(release) if part > 0)
    return ".".join(map(str, [*release[:index], release[index] - 1, 999]))


def above(version: str) -> str:
    return f"{Version(version).release[0] + 1}.0"


def _table_2x():
    lines = TABLE_2X.read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


def _tested_4x():
    return json.loads(TESTED_4X.read_text(encoding="utf-8"))["rows"]


def _rows_2x():
    rows = []
    for row in _table_2x():
        if not row["packages"] or row["supported_versions"] == "any":
            continue
        spec = SpecifierSet(row["supported_versions"])
        low = next(s.version for s in spec if s.operator == ">=")
        high = next((s.version for s in spec if s.operator in ("<", "<=")), None)
        rows.append(pytest.param(row["packages"], low, high, id=f"{row['packages']}{spec}"))
    return rows


def _kinds(findings, package):
    return {f.kind for f in findings if canonicalize_name(f.package) == canonicalize_name(package)}


@pytest.mark.parametrize(("package", "low", "high"), _rows_2x())
def test_2x_table_minimum_is_a_problem_and_upper_bound_untested(package, low, high):
    assert FindingKind.BELOW_MINIMUM in _kinds(
        integration_findings("2.21.0", CP311, {package: below(low)}), package
    )
    assert _kinds(integration_findings("2.21.0", CP311, {package: low}), package) == set()
    if high is not None:
        over = above(high)
        assert _kinds(integration_findings("2.21.0", CP311, {package: over}), package) == {
            FindingKind.UNTESTED
        }
        # 3.x keeps the 2.x floors only: above the 2.x upper bound is not reported
        assert _kinds(integration_findings("3.5.0", CP311, {package: over}), package) == set()
    assert FindingKind.BELOW_MINIMUM in _kinds(
        integration_findings("3.5.0", CP311, {package: below(low)}), package
    )


def _rows_4x():
    entries = _tested_4x()
    rows = []
    for entry in entries:
        dep, name = entry["dependency"], entry["integration"]
        tested = entry["python_versions"].get("3.11")
        if dep.startswith("stdlib.") or not tested or not tested[0]:
            continue
        if canonicalize_name(dep) != canonicalize_name(name) and any(
            canonicalize_name(e["dependency"]) == canonicalize_name(name)
            for e in entries
            if e["integration"] == name
        ):
            continue  # a secondary dependency: see test_secondary_dependency_needs_its_primary
        floor = min((low for low, _ in entry["python_versions"].values() if low), key=Version)
        rows.append(pytest.param(name, dep, floor, tested[0], tested[1], id=f"{name}-{dep}"))
    return rows


@pytest.mark.parametrize(("integration", "package", "floor", "low", "high"), _rows_4x())
def test_4x_tested_range_per_python(integration, package, floor, low, high):
    def own(version):
        return {
            f.kind
            for f in integration_findings("4.2.0", CP311, {package: version})
            if f.integration == integration
        }

    assert own(low) == set()
    assert own(high) == set()
    over = integration_findings("4.2.0", CP311, {package: above(high)})
    assert FindingKind.UNTESTED in _kinds(over, package)  # one per package, across integrations
    assert FindingKind.BELOW_MINIMUM in _kinds(
        integration_findings("4.2.0", CP311, {package: below(floor)}), package
    )
    if Version(floor) < Version(low):
        assert own(floor) == {FindingKind.UNTESTED}  # supported, but not tested on 3.11


def test_django_1_7_under_2x_message_and_strict():
    (finding,) = integration_findings("2.5.0", CP311, {"Django": "1.7"})
    assert sentence(finding) == (
        "Django 1.7 is below the supported >=1.8 for ddtrace 2.x: Django requests will not be traced"
    )
    assert finding.case is FindingCase.BELOW_FLOOR
    assert (
        finding.problem and not finding.refused and finding.origin == Origin(OriginKind.INSTALLED)
    )
    assert source(finding.origin) == "installed"
    (strict,) = integration_findings("2.5.0", CP311, {"Django": "1.7"}, strict=True)
    assert strict.refused


@pytest.mark.parametrize("release", ["0.60.0", "1.20.19", "5.0.0"])
def test_lines_without_data_report_nothing(release):
    assert integration_findings(release, CP311, {"Django": "1.0", "aiopg": "9.0"}) == []


def test_secondary_dependency_needs_its_primary():
    alone = integration_findings("4.2.0", CP311, {"elasticsearch7": "1.0"})
    assert alone == []
    both = integration_findings("4.2.0", CP311, {"elasticsearch7": "1.0", "elasticsearch": "8.0"})
    assert [f.package for f in both if f.problem] == ["elasticsearch7"]


def test_unparseable_versions_are_skipped():
    assert integration_findings("2.5.0", CP311, {"Django": "not a version"}) == []


def test_generated_data_records_the_inputs_the_fixtures_were_extracted_from():
    data = json.loads(
        (Path(ddguard.__file__).parent / "data" / "integrations.json").read_text("utf-8")
    )
    recorded = {source["file"]: source["sha256"] for source in data["sources"]}
    table_sha = next(
        line.split(": ", 1)[1]
        for line in TABLE_2X.read_text(encoding="utf-8").splitlines()
        if line.startswith("# sha256: ")
    )
    tested_sha = json.loads(TESTED_4X.read_text(encoding="utf-8"))["sha256"]
    assert recorded == {
        "integrations-2x-doc-table.csv": table_sha,
        "dd-trace-py-supported_versions.json": tested_sha,
    }, "rerun scripts/refresh_integrations.py"
    assert set(data["lines"]) == {"0", "1", "2", "3", "4"}


def test_the_fixtures_hold_every_row_the_tables_are_tested_by():
    assert len(_rows_2x()) > 40 and len(_rows_4x()) > 80


def test_installed_reads_dist_info_names_and_egg_info_headers(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "Django-1.7.dist-info").mkdir(parents=True)
    (first / "aiopg-0.16.0.dist-info").mkdir()
    (first / "legacy.egg-info").mkdir()
    (first / "legacy.egg-info" / "PKG-INFO").write_text("Name: Legacy_Pkg\nVersion: 2.0\n\nbody")
    (second / "django-5.0.dist-info").mkdir(parents=True)
    (second / "not_a_dist").mkdir()
    found = installed.versions([str(first), str(second), str(tmp_path / "missing")])
    assert found == {"django": "1.7", "aiopg": "0.16.0", "legacy-pkg": "2.0"}
    (first / "Django-1.7.dist-info" / "METADATA").write_text("Name: Django\nVersion: 1.7\n")
    spelled = installed.versions([str(first)], spelled={"django"})
    assert spelled == {"Django": "1.7", "aiopg": "0.16.0", "Legacy_Pkg": "2.0"}


def test_requirement_pins_follow_includes_and_keep_markers(tmp_path):
    (tmp_path / "base.txt").write_text("redis==2.0\nrequests>=2\n")
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# app\nDjango==1.7 --hash=sha256:abc\n"
        "aiopg==0.17 ; python_version < '3'\n-r base.txt\nnot-an-integration==1.0\n"
    )
    pins = declared_pins(files=[str(req)])
    assert [(p.name, str(p.specifier), file_and_line(p.origin)) for p in pins] == [
        ("Django", "==1.7", "requirements.txt:2"),
        ("aiopg", "==0.17", "requirements.txt:3"),
        ("redis", "==2.0", "base.txt:1"),
        ("requests", ">=2", "base.txt:2"),
    ]
    report = findings_for(ddguard.check(["ddtrace==2.5.0"], CP311), pins=pins, installed={})
    assert [(f.package, f.kind.value, file_and_line(f.origin)) for f in report.integrations] == [
        ("Django", "below-minimum", "requirements.txt:2"),
        ("redis", "below-minimum", "base.txt:1"),
    ]  # aiopg's marker is false on CPython 3.11; requests>=2 reaches the supported range


def test_lock_pins_name_the_line(tmp_path):
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "ddtrace"\nversion = "2.5.0"\n\n'
        '[[package]]\nname = "django"\nversion = "1.7.11"\n'
    )
    pins = declared_pins(projects=[str(tmp_path)])
    assert [(p.name, str(p.specifier), file_and_line(p.origin)) for p in pins] == [
        ("django", "==1.7.11", "uv.lock:8")
    ]


@pytest.mark.parametrize(
    "declared, problem",
    [
        ("Django<1.8", True),
        ("Django<=1.7.11", True),
        ("Django==1.7.*", True),
        ("Django~=1.7.0", True),
        ("Django>=1.4,<1.8", True),
        ("Django<=1.8", False),  # admits 1.8
        ("Django<1.9", False),
        ("Django>=1.4", False),  # the installed or locked version is judged instead
        ("Django!=1.7", False),
    ],
)
def test_a_declared_range_below_the_minimum_is_a_problem(declared, problem):
    spec = SpecifierSet(declared[len("Django") :])
    found = range_findings("2.5.0", CP311, "Django", spec)
    assert bool(found) is problem
    if problem:
        assert found[0].case is FindingCase.RANGE_BELOW_FLOOR and found[0].origin == R_TXT
        assert sentence(found[0]) == (
            f"Django {spec} allows only versions below the supported >=1.8 for ddtrace 2.x: "
            "Django requests will not be traced"
        )
        assert found[0].kind is FindingKind.BELOW_MINIMUM and found[0].version == str(spec)


def test_pyproject_pipfile_lock_and_poetry_pins_are_judged(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\n'
        'dependencies = ["ddtrace==2.5.0", "Django<1.8", "flask>=2"]\n\n'
        '[tool.poetry.dependencies]\nredis = "~2.4"\n'
    )
    (tmp_path / "Pipfile.lock").write_text(
        '{"_meta": {}, "default": {"aiopg": {"version": "==0.11.0"}}}'
    )
    report = findings_for(
        ddguard.check(["ddtrace==2.5.0"], CP311),
        pins=declared_pins(projects=[str(tmp_path)]),
        installed={},
    )
    found = {(f.package, f.version, file_and_line(f.origin)) for f in report.integrations}
    assert found == {
        ("aiopg", "0.11.0", "Pipfile.lock:1"),
        ("Django", "<1.8", "pyproject.toml:4"),
        ("redis", "<2.5,>=2.4", "pyproject.toml:7"),
    }


def test_cli_reads_project_files_once_for_ddtrace_and_integrations(tmp_path, monkeypatch, capsys):
    from ddguard import cli

    (tmp_path / "requirements.txt").write_text("ddtrace==2.5.0\nDjango==1.7\n")
    calls = []
    real = sources.scan_project
    monkeypatch.setattr(sources, "scan_project", lambda *a, **k: calls.append(a) or real(*a, **k))
    for reader in ("read_requirements_file", "read_file", "read_pyproject"):
        monkeypatch.setattr(sources, reader, lambda *a, **k: 1 / 0)
    monkeypatch.setattr(installed, "versions", lambda *a, **k: {})  # not this environment's
    code = cli.main(
        [
            "check",
            "--project",
            str(tmp_path),
            "--integrations",
            "--strict",
            "--target",
            "cp311-manylinux_x86_64",
        ]
    )
    assert code == 1
    assert len(calls) == 1
    assert "Django 1.7 is below the supported >=1.8 for ddtrace 2.x" in capsys.readouterr().out


def test_strict_refuses_the_report():
    report = findings_for(
        ddguard.check(["ddtrace==4.2.0"], CP311), installed={"Django": "1.7"}, strict=True
    )
    assert not report.ok
    assert [f.refused for f in report.integrations] == [True]
    lenient = findings_for(ddguard.check(["ddtrace==4.2.0"], CP311), installed={"Django": "1.7"})
    assert lenient.ok


def test_no_ddtrace_means_a_note():
    report = findings_for(ddguard.check([], CP311), installed={"Django": "1.7"})
    assert report.integrations == ()
    assert Note(NoteCode.NO_RELEASE_FOR_INTEGRATIONS) in report.notes
    assert note(Note(NoteCode.NO_RELEASE_FOR_INTEGRATIONS)) == (
        "no ddtrace release to check the integrations against"
    )


def test_loader_is_cached_and_data_small():
    assert integration_data.load() is integration_data.load()
    size = (Path(ddguard.__file__).parent / "data" / "integrations.json").stat().st_size
    assert size < 64_000


def test_installed_findings_reads_sys_path(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "Django-1.7.dist-info").mkdir(parents=True)
    (site / "Django-1.7.dist-info" / "METADATA").write_text("Name: Django\nVersion: 1.7\n")
    monkeypatch.setattr("sys.path", [str(site)])
    (finding,) = integrations.installed_findings("2.5.0", CP311)
    assert sentence(finding).startswith("Django 1.7 is below the supported >=1.8")


_ABOVE_4X_311 = (
    "allows only versions above the newest version ddtrace 4.x tested on CPython 3.11 "
    "(4.2.20–5.2.15): untested"
)


@pytest.mark.parametrize(
    "ddtrace_version, target, declared, message",
    [
        # 4.x: Django tested on CPython 3.11 from 4.2.20 to 5.2.15
        ("4.2.0", "cp311", "Django>=6", f"Django >=6 {_ABOVE_4X_311}"),
        ("4.2.0", "cp311", "Django>5.2.15", f"Django >5.2.15 {_ABOVE_4X_311}"),
        ("4.2.0", "cp311", "Django==6.*", f"Django ==6.* {_ABOVE_4X_311}"),
        ("4.2.0", "cp311", "Django~=6.0", f"Django ~=6.0 {_ABOVE_4X_311}"),
        ("4.2.0", "cp311", "Django>=6,<7", f"Django <7,>=6 {_ABOVE_4X_311}"),
        ("4.2.0", "cp311", "Django>=5.2.15", None),  # admits the newest tested
        ("4.2.0", "cp311", "Django>=5,<7", None),
        ("4.2.0", "cp311", "Django<6", None),
        # on CPython 3.9 the newest tested is 4.2.30
        (
            "4.2.0",
            "cp39",
            "Django>=5",
            "Django >=5 allows only versions above the newest version ddtrace 4.x tested on "
            "CPython 3.9 (2.2.28–4.2.30): untested",
        ),
        # a Python the 4.x data does not list: above the highest tested on any
        (
            "4.2.0",
            "cp38",
            "Django>=6",
            "Django >=6 allows only versions above the supported range >=2.2.28,<=5.2.15 for "
            "ddtrace 4.x: untested",
        ),
        # two ranges of one package with the same ceiling (ray): said once, with the first
        (
            "4.2.0",
            "cp38",
            "ray>=6",
            "ray >=6 allows only versions above the supported range >=2.46.0,<=2.54.1 for "
            "ddtrace 4.x: untested",
        ),
        # 2.x table: aiopg >=0.12.0,<=0.16
        (
            "2.5.0",
            "cp311",
            "aiopg>=0.17",
            "aiopg >=0.17 allows only versions above the supported range >=0.12.0,<=0.16 for "
            "ddtrace 2.x: untested",
        ),
        (
            "2.5.0",
            "cp311",
            "aiopg>0.16",
            "aiopg >0.16 allows only versions above the "
            "supported range >=0.12.0,<=0.16 for ddtrace 2.x: untested",
        ),
        ("2.5.0", "cp311", "aiopg>=0.16", None),
        ("2.5.0", "cp311", "Django>=6", None),  # the 2.x table has no Django upper bound
        ("3.0.0", "cp311", "aiopg>=0.17", None),  # 3.x: floors only
    ],
)
def test_a_declared_range_above_the_newest_tested_is_untested(
    ddtrace_version, target, declared, message
):
    name = declared.split("<")[0].split(">")[0].split("=")[0].split("~")[0]
    spec = SpecifierSet(declared[len(name) :])
    found = range_findings(
        ddtrace_version, Target.from_compact(f"{target}-manylinux_x86_64"), name, spec, strict=True
    )
    assert [sentence(f) for f in found] == ([message] if message else [])
    for finding in found:
        assert finding.kind is FindingKind.UNTESTED and not finding.refused
        assert not finding.problem and finding.version == str(spec)


@pytest.mark.parametrize(
    "poetry, kinds",
    [
        ('"^6.0 || ^7.0"', {FindingKind.UNTESTED}),  # every alternative is above
        ('"^1.6 || ^5.0"', set()),  # one alternative reaches the tested range
        ('"~1.6 || ~1.7"', {FindingKind.BELOW_MINIMUM}),
    ],
)
def test_a_poetry_union_of_an_integration_is_judged_when_every_alternative_is(
    tmp_path, poetry, kinds
):
    (tmp_path / "pyproject.toml").write_text(f"[tool.poetry.dependencies]\nDjango = {poetry}\n")
    (pin,) = declared_pins(projects=[str(tmp_path)])
    found = pin_findings(pin, Version("4.2.0"), CP311, strict=False)
    assert {f.kind for f in found} == kinds
    for finding in found:
        assert " || " in finding.version and finding.version in sentence(finding)
