"""pytest plugin (entry point ``pytest11``, name ``ddguard``; ``-p no:ddguard`` disables it).

When pytest registers this plugin — while it is still loading plugins, so before any
test, conftest or ``pytest_configure`` — the installed ddtrace is checked against the
running interpreter exactly as ``import ddguard.auto`` does; a refusal aborts the run as
a usage error (exit status 4) whose message is ddguard's paragraph. ddtrace registers its
own pytest plugin, which imports ddtrace; when pytest loads that one first, the startup
check refuses the import and, pytest being loaded, raises :class:`RefusedUsageError`
instead: the same usage error, whatever the plugin order.

``--ddguard-target=cp312-manylinux_x86_64`` (repeatable, or the ``ddguard_targets`` ini
list) also checks the installed ddtrace release on declared targets, and the
``ddguard_target`` fixture gives tests one Target per declared target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List

import pytest

from ddguard.errors import RefusedError

if TYPE_CHECKING:
    from ddguard.target import Target

_TARGET_HELP = (
    "also check the installed ddtrace release on this target "
    "(cp312-manylinux_x86_64 form; repeatable); feeds the ddguard_target fixture"
)


class RefusedUsageError(RefusedError, pytest.UsageError):  # type: ignore[misc]  # final
    """A startup-check refusal raised while pytest runs: an ImportError for code that
    catches those, and a usage error for pytest (``ERROR: ddguard: …``, exit status 4),
    even from the import of ddtrace's own pytest plugin."""


def usage_error(refusal: BaseException) -> RefusedUsageError:
    """The startup check's refusal as pytest's usage error."""
    return RefusedUsageError(f"ddguard: {refusal}")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Called as pytest registers this plugin: the earliest moment a plugin gets."""
    check_installed()


def check_installed() -> None:
    """The ``ddguard.auto`` check; a refusal becomes pytest's usage error (exit 4)."""
    from ddguard.config import mode
    from ddguard.model import Mode

    if mode() is Mode.OFF:
        return
    from ddguard import startup
    from ddguard.errors import DDGuardError

    try:
        startup.require()
    except RefusedUsageError:
        raise
    except DDGuardError as exc:
        raise pytest.UsageError(f"ddguard: {exc}") from None


def installed_ddtrace_version() -> str | None:
    from ddguard.api import installed_ddtrace

    return installed_ddtrace()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ddguard", "ddtrace compatibility (ddguard)")
    group.addoption(
        "--ddguard-target",
        action="append",
        dest="ddguard_targets",
        default=[],
        metavar="TARGET",
        help=_TARGET_HELP,
    )
    parser.addini("ddguard_targets", "targets for --ddguard-target, one per line", type="linelist")


def declared_targets(config: pytest.Config) -> List[Target]:
    from ddguard.errors import InputError
    from ddguard.target import Target

    try:
        return [Target.from_compact(text) for text in _target_texts(config)]
    except InputError as exc:
        raise pytest.UsageError(f"ddguard: {exc}") from None


def _target_texts(config: pytest.Config) -> List[str]:
    """``--ddguard-target`` values, then the ``ddguard_targets`` ini lines, stripped."""
    texts = list(config.getoption("ddguard_targets") or []) + list(config.getini("ddguard_targets"))
    return [text.strip() for text in texts if text.strip()]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    targets = declared_targets(config)
    version = installed_ddtrace_version() if targets else None
    if version is None:
        return
    from ddguard.config import mode
    from ddguard.model import Mode

    if mode() is Mode.OFF:
        return
    from ddguard.api import check, refusals

    refused = refusals(check([f"ddtrace=={version}"], targets))
    if refused and mode() is Mode.STRICT:
        raise pytest.UsageError("ddguard: " + "\n".join(refused))
    for text in refused:
        config.issue_config_time_warning(pytest.PytestWarning(f"ddguard: {text}"), stacklevel=2)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``ddguard_target`` runs once per declared target (the running interpreter if none),
    unless the test parametrizes it itself."""
    if "ddguard_target" not in metafunc.fixturenames:
        return
    if any("ddguard_target" in m.args[0] for m in metafunc.definition.iter_markers("parametrize")):
        return
    ids = _target_texts(metafunc.config) or ["host"]
    metafunc.parametrize("ddguard_target", ids, ids=ids, indirect=True)


@pytest.fixture
def ddguard_target(request: pytest.FixtureRequest) -> Target:
    """A ddguard Target: each ``--ddguard-target`` in turn, or the running interpreter.
    Parametrize it indirectly with compact strings to test a matrix of your own."""
    from ddguard.errors import InputError
    from ddguard.target import Target

    value = getattr(request, "param", "host")
    if isinstance(value, Target):
        return value
    if value == "host":
        return Target.from_host()
    try:
        return Target.from_compact(str(value))
    except InputError as exc:
        raise pytest.UsageError(f"ddguard: {exc}") from None
