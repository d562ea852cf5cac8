"""The startup check on fake installs: dist-info directories in tmp_path, declared targets."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from ddguard import knowledge, startup
from ddguard.errors import InputError, RefusedError
from ddguard.evaluate.installed import judge_installed
from ddguard.model import FixKind, NoteCode, ReasonCode, Verdict
from ddguard.report.words import fixes, note, reason
from ddguard.target import Target


def fake_ddtrace(
    site: Path,
    version: str,
    tags: List[str],
    requires_python: Optional[str] = None,
    dist_info: bool = True,
) -> Path:
    (site / "ddtrace").mkdir(parents=True, exist_ok=True)
    (site / "ddtrace" / "__init__.py").write_text("")
    if dist_info:
        info = site / f"ddtrace-{version}.dist-info"
        info.mkdir()
        rp = f"Requires-Python: {requires_python}\n" if requires_python else ""
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: ddtrace\nVersion: {version}\n{rp}\nbody\n"
        )
        (info / "WHEEL").write_text("Wheel-Version: 1.0\n" + "".join(f"Tag: {t}\n" for t in tags))
    return site


CP311 = ["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"]
CP312 = ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"]


def judge(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    version: str,
    tags: List[str],
    target: str,
    own_site: Optional[bool] = None,
    **kw: object,
):
    fake_ddtrace(tmp_path, version, tags, **kw)  # type: ignore[arg-type]
    [location] = startup.find_ddtrace([str(tmp_path)])
    copy = startup.installed_copy(location)
    if own_site is not None:
        copy = copy._replace(own_site=own_site)
    return judge_installed(knowledge.load(), copy, Target.from_compact(target))


def why(result) -> List[str]:  # type: ignore[no-untyped-def]
    return [reason(r, result.target) for r in result.reasons]


# --- locating ddtrace -------------------------------------------------------------------


def test_no_ddtrace_on_path_finds_nothing(tmp_path: Path) -> None:
    assert startup.find_ddtrace([str(tmp_path), str(tmp_path / "missing")]) == []


def test_ddtrace_found_with_its_version(tmp_path: Path) -> None:
    fake_ddtrace(tmp_path, "2.21.12", CP311)
    [location] = startup.find_ddtrace([str(tmp_path), str(tmp_path)])  # listed twice: one install
    assert location.version == "2.21.12"
    assert location.dist_info == str(tmp_path / "ddtrace-2.21.12.dist-info")


def test_ddtrace_twice_on_path_is_reported_first_one_judged(tmp_path: Path) -> None:
    a, b = (
        fake_ddtrace(tmp_path / "a", "1.20.19", CP311),
        fake_ddtrace(tmp_path / "b", "2.21.12", CP311),
    )
    locations = startup.find_ddtrace([str(a), str(b)])
    assert [loc.version for loc in locations] == ["1.20.19", "2.21.12"]
    [fact] = startup.duplicate_notes(locations)
    assert fact.code is NoteCode.INSTALLED_TWICE
    assert fact.copies == (("1.20.19", str(a)), ("2.21.12", str(b)))
    text = note(fact)
    assert "installed 2 times" in text and "1.20.19 in" in text and "(shadowed)" in text


def test_several_metadata_directories_in_one_place_are_reported(tmp_path: Path) -> None:
    fake_ddtrace(tmp_path, "2.21.12", CP311)
    (tmp_path / "ddtrace-2.20.0.dist-info").mkdir()
    [location] = startup.find_ddtrace([str(tmp_path)])
    [fact] = startup.duplicate_notes([location])
    assert fact.code is NoteCode.SEVERAL_METADATA and len(fact.copies) == 2
    assert "holds 2 ddtrace metadata directories" in note(fact)


# --- verdicts ----------------------------------------------------------------------------


def test_cp311_wheel_on_cp312_is_refused_citing_both_pythons(tmp_path: Path) -> None:
    result = judge(tmp_path, "1.20.19", CP311, "cp312-manylinux_x86_64")
    assert result is not None and result.verdict is Verdict.INCOMPATIBLE and result.refused
    assert result.reasons[0].code is ReasonCode.BUILT_FOR_OTHER
    text = why(result)[0]
    assert "built for CPython 3.11" in text and "this is CPython 3.12" in text


def test_release_that_has_a_wheel_for_this_python_but_wrong_install_says_reinstall(
    tmp_path: Path,
) -> None:
    # The redesign: the installed wheel's own tags are their own reason code (before:
    # no-wheel-for-python, although the release has one)
    result = judge(tmp_path, "2.21.12", CP311, "cp312-manylinux_x86_64", own_site=True)
    assert result is not None and result.verdict is Verdict.INCOMPATIBLE and result.refused
    assert [r.code for r in result.reasons] == [ReasonCode.BUILT_FOR_OTHER]
    [fix] = result.fixes
    assert fix.kind is FixKind.REINSTALL and str(fix.version) == "2.21.12"
    words = fixes(result)
    assert words is not None
    assert f"{sys.executable} -m pip install --force-reinstall ddtrace==2.21.12" in words


def test_a_copy_outside_site_packages_is_named_with_the_way_to_remove_it(tmp_path: Path) -> None:
    result = judge(tmp_path, "2.21.12", CP311, "cp312-manylinux_x86_64", own_site=False)
    assert result is not None
    [fix] = result.fixes
    assert fix.outside and fix.path == str(tmp_path)
    words = fixes(result)
    assert words is not None and "which is not this interpreter's site-packages" in words
    assert f"--force-reinstall --target {tmp_path} ddtrace==2.21.12" in words


@pytest.mark.parametrize(
    ("version", "tags", "target"),
    [
        ("1.20.19", CP311, "cp311-manylinux_x86_64"),
        ("2.21.12", CP312, "cp312-manylinux_x86_64"),
        ("99.0.0", CP312, "cp312-manylinux_x86_64"),  # newer than the snapshot, own tags fit
    ],
)
def test_matching_install_has_nothing_to_say(
    tmp_path: Path, version: str, tags: List[str], target: str
) -> None:
    assert judge(tmp_path, version, tags, target) is None


def test_newer_than_snapshot_refused_by_its_own_requires_python(tmp_path: Path) -> None:
    result = judge(tmp_path, "99.0.0", CP312, "cp312-manylinux_x86_64", requires_python=">=3.13")
    assert result is not None and result.verdict is Verdict.INCOMPATIBLE
    assert [r.code for r in result.reasons] == [ReasonCode.REQUIRES_PYTHON]
    assert "declares Requires-Python >=3.13" in why(result)[0]


def test_newer_than_snapshot_refused_by_its_own_tags(tmp_path: Path) -> None:
    result = judge(tmp_path, "99.0.0", CP311, "cp312-manylinux_x86_64")
    assert result is not None and result.verdict is Verdict.INCOMPATIBLE
    assert [r.code for r in result.reasons] == [ReasonCode.BUILT_FOR_OTHER]


def test_unreleased_local_build_is_unknown(tmp_path: Path) -> None:
    result = judge(tmp_path, "2.8.5.dev3+g1234", CP312, "cp312-manylinux_x86_64")
    assert result is not None and result.verdict is Verdict.UNKNOWN and not result.refused
    assert [r.code for r in result.reasons] == [ReasonCode.NOT_IN_DATABASE]
    assert "2.8.5.dev3+g1234 is not a release in ddguard's database" in why(result)[0]


def test_pypy_is_refused(tmp_path: Path) -> None:
    result = judge(
        tmp_path, "2.21.12", ["pp310-pypy310_pp73-manylinux_2_17_x86_64"], "pp310-manylinux_x86_64"
    )
    assert result is not None and result.verdict is Verdict.INCOMPATIBLE
    assert any(r.code is ReasonCode.NOT_CPYTHON for r in result.reasons)


def test_ddtrace_without_metadata_is_unknown(tmp_path: Path) -> None:
    result = judge(tmp_path, "2.21.12", CP312, "cp312-manylinux_x86_64", dist_info=False)
    assert result is not None and result.verdict is Verdict.UNKNOWN and not result.refused
    assert [r.code for r in result.reasons] == [ReasonCode.NO_METADATA]


def test_locally_built_source_install_matching_the_host_is_fine(tmp_path: Path) -> None:
    # 0.5.3 has no wheel for cp311 (the engine says source-build); this one was built here.
    assert (
        judge(tmp_path, "0.5.3", ["cp311-cp311-manylinux_2_17_x86_64"], "cp311-manylinux_x86_64")
        is None
    )


# --- cache ---------------------------------------------------------------------------------


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DDGUARD_DB", raising=False)
    return tmp_path / "cache"


def test_cache_round_trip(cache_home: Path) -> None:
    outcome = startup.Outcome("incompatible", "the paragraph", ("a note",))
    startup.write_cache("k1", outcome)
    startup.write_cache("k2", startup.Outcome("compatible"))
    assert startup.read_cache("k1") == outcome
    assert startup.read_cache("k2") == startup.Outcome("compatible")
    assert startup.read_cache("k3") is None


def test_garbage_cache_is_ignored_and_rewritten(cache_home: Path) -> None:
    path = Path(startup.cache_path())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe garbage\x1f\x1f\n\x00")
    assert startup.read_cache("k") is None
    startup.write_cache("k", startup.Outcome("unknown", "msg"))
    assert startup.read_cache("k") == startup.Outcome("unknown", "msg")


def test_unwritable_cache_is_skipped_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no directory can be made under it
    startup.write_cache("k", startup.Outcome("compatible"))
    assert startup.read_cache("k") is None


def test_cache_key_changes_when_ddtrace_is_reinstalled(tmp_path: Path, cache_home: Path) -> None:
    fake_ddtrace(tmp_path / "site", "2.21.12", CP311)
    before = startup.cache_key(startup.find_ddtrace([str(tmp_path / "site")]))
    info = tmp_path / "site" / "ddtrace-2.21.12.dist-info"
    os.utime(info, ns=(1, 1))
    after = startup.cache_key(startup.find_ddtrace([str(tmp_path / "site")]))
    assert before != after


def test_check_uses_the_cache_on_the_second_start(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = fake_ddtrace(tmp_path / "site", "2.21.12", ["py3-none-any"])
    monkeypatch.setattr(sys, "path", [str(site)])
    calls: List[int] = []
    real = startup.evaluate

    def counting(locations: List[startup.Location]) -> startup.Outcome:
        calls.append(1)
        return real(locations)

    monkeypatch.setattr(startup, "evaluate", counting)
    first, second = startup._check(), startup._check()
    assert first == second and len(calls) == 1


# --- modes ---------------------------------------------------------------------------------


@pytest.fixture
def outcome_is(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(startup, "_done", [])
    monkeypatch.delenv("DDGUARD_MODE", raising=False)

    def set_outcome(verdict: str, message: str = "PARAGRAPH", notes: tuple = ()) -> None:  # type: ignore[type-arg]
        monkeypatch.setattr(startup, "_check", lambda: startup.Outcome(verdict, message, notes))

    return set_outcome


def test_strict_refuses_incompatible_with_an_import_error(outcome_is) -> None:  # type: ignore[no-untyped-def]
    outcome_is("incompatible")
    with pytest.raises(ImportError) as info:
        startup.require()
    assert isinstance(info.value, RefusedError) and info.value.name == "ddtrace"
    assert str(info.value).startswith("PARAGRAPH ") and "DDGUARD_MODE=warn" in str(info.value)


def test_hook_returns_the_refusal_for_a_short_traceback(outcome_is) -> None:  # type: ignore[no-untyped-def]
    outcome_is("incompatible")
    error = startup.check_on_import()
    assert isinstance(error, RefusedError) and error.__traceback__ is None


@pytest.mark.parametrize(
    ("verdict", "env"),
    [("incompatible", "warn"), ("source-build", ""), ("unknown", ""), ("source-build", "strict")],
)
def test_warnings_are_one_stderr_line_and_a_warning(
    outcome_is,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verdict: str,
    env: str,
) -> None:  # type: ignore[no-untyped-def]
    outcome_is(verdict)
    monkeypatch.setenv("DDGUARD_MODE", env)
    with pytest.warns(startup.DDGuardWarning, match="PARAGRAPH"):
        outcome = startup.require()
    assert outcome is not None and outcome.verdict == verdict
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ddguard: warning: PARAGRAPH")


@pytest.mark.parametrize("verdict", ["incompatible", "source-build", "unknown"])
def test_a_warning_never_raises_even_under_w_error(
    outcome_is,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verdict: str,
) -> None:  # type: ignore[no-untyped-def]
    import warnings

    outcome_is(verdict)
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # python -W error
        outcome = startup.require()
    assert outcome is not None and outcome.verdict == verdict
    assert capsys.readouterr().err.startswith("ddguard: warning: PARAGRAPH")


def test_off_does_nothing(outcome_is, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    outcome_is("incompatible")
    monkeypatch.setenv("DDGUARD_MODE", "off")
    assert startup.require() is None
    assert startup.require(mode="off") is None


def test_explicit_mode_beats_the_environment(outcome_is, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    outcome_is("incompatible")
    monkeypatch.setenv("DDGUARD_MODE", "off")
    with pytest.raises(RefusedError):
        startup.require(mode="strict")


def test_bad_mode_argument_is_an_input_error(outcome_is) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        startup.require(mode="loud")


def test_compatible_is_silent_but_notes_warn(
    outcome_is, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    outcome_is("compatible", "", ("ddtrace is installed 2 times",))
    with pytest.warns(startup.DDGuardWarning):
        startup.require()
    assert capsys.readouterr().err == "ddguard: warning: ddtrace is installed 2 times\n"


def test_missing_ddtrace_is_fine_unless_required(outcome_is) -> None:  # type: ignore[no-untyped-def]
    outcome_is("missing")
    outcome = startup.require()
    assert outcome is not None and outcome.verdict == "missing"
    with pytest.raises(RefusedError, match="not installed"):
        startup.require(installed=True)


def test_internal_error_fails_open(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(startup, "_done", [])

    def broken() -> startup.Outcome:
        raise RuntimeError("boom")

    monkeypatch.setattr(startup, "_check", broken)
    with pytest.warns(startup.DDGuardWarning, match="boom"):
        assert startup.require() is None
    assert "internal error" in capsys.readouterr().err


def test_refusal_under_sitecustomize_exits(outcome_is, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    outcome_is("incompatible")
    exits: List[int] = []
    monkeypatch.setattr(os, "_exit", lambda code: exits.append(code))
    namespace: Dict[str, object] = {"__name__": "sitecustomize", "require": startup.require}
    with pytest.raises(SystemExit):  # os._exit is faked, so the fallback SystemExit follows
        exec("require()", namespace)  # runs with sitecustomize's globals, as site would
    assert exits == [1]


# --- DDGUARD_INTEGRATIONS ------------------------------------------------------------------


@pytest.fixture
def site_with_django_17(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcome_is) -> Path:  # type: ignore[no-untyped-def]
    """ddtrace 2.5.0 and Django 1.7 installed, nothing else on sys.path (the modules the
    integration check needs are imported first)."""
    from ddguard.evaluate import integrations

    integrations.known_packages()
    fake_ddtrace(tmp_path, "2.5.0", ["py3-none-any"])
    info = tmp_path / "django-1.7.dist-info"  # pip's directory spelling
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Django\nVersion: 1.7\n\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    monkeypatch.setattr(startup, "_refused", [])
    outcome_is("compatible", "")
    return tmp_path


DJANGO_17 = "Django 1.7 is below the supported >=1.8 for ddtrace 2.x"


def test_integrations_are_not_checked_unless_asked(
    site_with_django_17: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ddguard.evaluate import integrations

    monkeypatch.delenv("DDGUARD_INTEGRATIONS", raising=False)
    monkeypatch.setattr(integrations, "installed_findings", lambda *a, **k: 1 / 0)
    assert startup.require() is not None
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("setting", "mode"), [("1", ""), ("strict", "warn")])
def test_integration_findings_warn_one_line_each(
    site_with_django_17: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: str,
    mode: str,
) -> None:
    monkeypatch.setenv("DDGUARD_INTEGRATIONS", setting)
    monkeypatch.setenv("DDGUARD_MODE", mode)
    with pytest.warns(startup.DDGuardWarning, match="Django 1.7"):
        startup.require()
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"ddguard: warning: {DJANGO_17}")


def test_strict_integrations_refuse_a_library_below_its_minimum(
    site_with_django_17: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDGUARD_INTEGRATIONS", "strict")
    with pytest.raises(RefusedError, match=DJANGO_17) as info:
        startup.require()
    assert "DDGUARD_INTEGRATIONS=strict" in str(info.value)
    with pytest.raises(RefusedError, match=DJANGO_17):  # a retried import is refused again
        startup.require()


def test_integration_check_failure_fails_open(
    site_with_django_17: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ddguard.evaluate import integrations

    monkeypatch.setenv("DDGUARD_INTEGRATIONS", "strict")
    monkeypatch.setattr(integrations, "installed_findings", lambda *a, **k: 1 / 0)
    with pytest.warns(startup.DDGuardWarning, match="ZeroDivisionError"):
        startup.require()
    assert "internal error in the integration check" in capsys.readouterr().err
