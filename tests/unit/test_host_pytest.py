"""The pytest plugin's hooks called in-process with small stand-ins for pytest's config,
parser and metafunc: the startup check as a usage error, ``--ddguard-target`` and the
``ddguard_targets`` ini list, the ``ddguard_target`` fixture. (tests/integrations runs
pytest with the plugin on real ddtrace installs.)"""

from __future__ import annotations

import types
from typing import Any, Callable, Dict, List, Optional

import pytest

from ddguard import startup
from ddguard.errors import InputError, RefusedError
from ddguard.hosts import pytest as plugin
from ddguard.target import Target

CP312 = "cp312-manylinux_x86_64"


@pytest.fixture(autouse=True)
def strict_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DDGUARD_MODE", raising=False)


class Config:
    """pytest's ``Config``: ``getoption(dest)``, ``getini(name)`` and
    ``issue_config_time_warning(warning, stacklevel)``."""

    def __init__(
        self, options: Optional[List[str]] = None, ini: Optional[List[str]] = None
    ) -> None:
        self._options = {"ddguard_targets": options or []}
        self._ini = {"ddguard_targets": ini or []}
        self.warnings: List[Warning] = []

    def getoption(self, name: str) -> Any:
        return self._options[name]

    def getini(self, name: str) -> Any:
        return self._ini[name]

    def issue_config_time_warning(self, warning: Warning, stacklevel: int) -> None:
        self.warnings.append(warning)


def installed(monkeypatch: pytest.MonkeyPatch, version: Optional[str]) -> None:
    import ddguard.api

    monkeypatch.setattr(ddguard.api, "installed_ddtrace", lambda: version)


# --- the startup check ------------------------------------------------------------------------


def test_registering_the_plugin_runs_the_startup_check(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: List[str] = []
    monkeypatch.setattr(startup, "require", lambda: calls.append("require"))
    plugin.pytest_addhooks(None)  # type: ignore[arg-type]
    assert calls == ["require"]


@pytest.mark.parametrize(
    "error, message",
    [
        (InputError("unknown mode 'loud'"), "ddguard: unknown mode 'loud'"),
        (
            RefusedError("ddtrace 1.20.19 does not work on CPython 3.12"),
            "ddguard: ddtrace 1.20.19 does not work on CPython 3.12",
        ),
    ],
)
def test_a_startup_refusal_or_bad_input_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    def require() -> None:
        raise error

    monkeypatch.setattr(startup, "require", require)
    with pytest.raises(pytest.UsageError) as failed:
        plugin.check_installed()
    assert str(failed.value) == message


def test_the_refusal_raised_while_pytest_imports_ddtrace_passes_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refusal = plugin.usage_error(RefusedError("ddtrace 1.20.19 does not work on CPython 3.12"))
    assert isinstance(refusal, ImportError) and isinstance(refusal, pytest.UsageError)

    def require() -> None:
        raise refusal

    monkeypatch.setattr(startup, "require", require)
    with pytest.raises(plugin.RefusedUsageError) as failed:
        plugin.check_installed()
    assert (
        failed.value is refusal
        and str(refusal) == "ddguard: ddtrace 1.20.19 does not work on CPython 3.12"
    )


def test_off_mode_skips_the_startup_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "off")
    monkeypatch.setattr(startup, "require", lambda: pytest.fail("checked in off mode"))
    plugin.check_installed()


def test_the_installed_version_comes_from_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    installed(monkeypatch, "2.21.12")
    assert plugin.installed_ddtrace_version() == "2.21.12"


# --- declared targets -------------------------------------------------------------------------


def test_the_option_and_the_ini_list_are_declared_in_ddguards_group() -> None:
    added: Dict[str, Any] = {}

    class Group:
        def addoption(self, *names: str, **attributes: Any) -> None:
            added[names[0]] = attributes

    parser = types.SimpleNamespace(
        getgroup=lambda name, description: Group(),
        addini=lambda name, help, type: added.setdefault(name, type),
    )
    plugin.pytest_addoption(parser)  # type: ignore[arg-type]
    assert (
        added["--ddguard-target"]["action"] == "append"
        and added["--ddguard-target"]["dest"] == "ddguard_targets"
    )
    assert added["ddguard_targets"] == "linelist"


@pytest.mark.parametrize(
    "options, ini, expected",
    [
        ([], [], []),
        ([CP312], [], [CP312]),
        (
            [" cp311-win_amd64 "],
            ["", "cp313-macosx_arm64"],
            ["cp311-win_amd64", "cp313-macosx_arm64"],
        ),
    ],
)
def test_targets_come_from_the_option_then_the_ini_list(
    options: List[str], ini: List[str], expected: List[str]
) -> None:
    config = Config(options, ini)
    assert plugin.declared_targets(config) == [Target.from_compact(t) for t in expected]  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["cp312", "cp312-nonsense", "python3.12-linux", "x" * 40_000])
def test_a_bad_target_is_a_one_line_usage_error(text: str) -> None:
    with pytest.raises(pytest.UsageError) as failed:
        plugin.declared_targets(Config([text]))  # type: ignore[arg-type]
    message = str(failed.value)
    assert message.startswith("ddguard: ") and "\n" not in message and len(message) < 500


def test_configure_without_targets_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    installed(monkeypatch, "1.20.19")
    config = Config()
    plugin.pytest_configure(config)  # type: ignore[arg-type]
    assert config.warnings == []


@pytest.mark.parametrize("mode", ["", "strict", "warn", "off"])
@pytest.mark.parametrize("version", [None, "1.20.19", "4.16.0"])
def test_configure_judges_the_installed_release_on_the_declared_targets(
    monkeypatch: pytest.MonkeyPatch, mode: str, version: Optional[str]
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", mode)
    installed(monkeypatch, version)
    config = Config([CP312])
    refused = version == "1.20.19" and mode != "off"
    if refused and mode != "warn":
        with pytest.raises(
            pytest.UsageError, match=r"^ddguard: ddtrace 1\.20\.19 does not work on CPython 3\.12"
        ):
            plugin.pytest_configure(config)  # type: ignore[arg-type]
        return
    plugin.pytest_configure(config)  # type: ignore[arg-type]
    assert [str(w) for w in config.warnings] == (
        ["ddguard: " + w for w in _refusals("1.20.19")] if refused else []
    )
    assert all(isinstance(w, pytest.PytestWarning) for w in config.warnings)


def _refusals(version: str) -> List[str]:
    from ddguard.api import check, refusals

    return refusals(check([f"ddtrace=={version}"], [Target.from_compact(CP312)]))


# --- the ddguard_target fixture ---------------------------------------------------------------


class Metafunc:
    """pytest's ``Metafunc``: ``fixturenames``, ``config``, ``definition.iter_markers`` and
    ``parametrize(argnames, argvalues, ids=..., indirect=...)``."""

    def __init__(
        self, fixturenames: List[str], config: Config, parametrized: Optional[str] = None
    ) -> None:
        self.fixturenames = fixturenames
        self.config = config
        markers = [types.SimpleNamespace(args=(parametrized, []))] if parametrized else []
        self.definition = types.SimpleNamespace(iter_markers=lambda name: iter(markers))
        self.calls: List[Any] = []

    def parametrize(
        self, argnames: str, argvalues: List[Any], ids: List[str], indirect: bool
    ) -> None:
        self.calls.append((argnames, argvalues, ids, indirect))


@pytest.mark.parametrize(
    "options, expected",
    [([], ["host"]), ([CP312], [CP312]), ([CP312, "cp311-win_amd64"], [CP312, "cp311-win_amd64"])],
)
def test_the_fixture_runs_once_per_declared_target(options: List[str], expected: List[str]) -> None:
    metafunc = Metafunc(["ddguard_target", "tmp_path"], Config(options))
    plugin.pytest_generate_tests(metafunc)  # type: ignore[arg-type]
    assert metafunc.calls == [("ddguard_target", expected, expected, True)]


@pytest.mark.parametrize(
    "metafunc",
    [
        Metafunc(["tmp_path"], Config([CP312])),
        Metafunc(["ddguard_target"], Config([CP312]), "ddguard_target, other"),
    ],
    ids=["not-used", "parametrized-by-the-test"],
)
def test_the_fixture_is_left_alone_when_unused_or_parametrized(metafunc: Metafunc) -> None:
    plugin.pytest_generate_tests(metafunc)  # type: ignore[arg-type]
    assert metafunc.calls == []


def _fixture_function() -> Callable[..., Any]:
    """The function behind ``@pytest.fixture`` (pytest >= 8.4 wraps it in an object)."""
    fixture: Any = plugin.ddguard_target
    unwrap = getattr(fixture, "_get_wrapped_function", None)
    if unwrap is not None:
        return unwrap()  # type: ignore[no-any-return]
    wrapped = getattr(fixture, "__pytest_wrapped__", None)
    return wrapped.obj if wrapped is not None else fixture  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "param, expected",
    [
        (None, Target.from_host()),
        ("host", Target.from_host()),
        (CP312, Target.from_compact(CP312)),
        (
            Target.from_compact("cp39-musllinux_aarch64"),
            Target.from_compact("cp39-musllinux_aarch64"),
        ),
    ],
)
def test_the_fixture_gives_one_target(param: Any, expected: Target) -> None:
    request = types.SimpleNamespace() if param is None else types.SimpleNamespace(param=param)
    assert _fixture_function()(request) == expected


def test_the_fixture_refuses_a_bad_target_as_a_usage_error() -> None:
    with pytest.raises(pytest.UsageError, match=r"^ddguard: "):
        _fixture_function()(types.SimpleNamespace(param="cp312-nonsense"))
