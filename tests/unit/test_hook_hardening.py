"""The startup hook never breaks a process: probes are not imports, a half-uninstalled
ddguard is silent, and no ddguard warning becomes an exception."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from typing import Iterator, List

import pytest

import _ddguard_hook
from ddguard import startup


def _pth() -> Path:
    """The .pth line: at the top of site-packages when installed, in data/ in the source tree."""
    package = Path(startup.__file__).resolve().parent
    installed = package.parent / "ddguard.pth"
    return installed if installed.is_file() else package / "data" / "ddguard.pth"


PTH = _pth()


@pytest.fixture
def fake_ddtrace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[List[int]]:
    """A ddtrace package on sys.path, the hook installed, and a counter of checks."""
    (tmp_path / "ddtrace").mkdir()
    (tmp_path / "ddtrace" / "__init__.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    calls: List[int] = []
    monkeypatch.setattr(startup, "check_on_import", lambda: calls.append(1))
    for name in [n for n in sys.modules if n == "ddtrace" or n.startswith("ddtrace.")]:
        monkeypatch.delitem(sys.modules, name)
    _ddguard_hook.uninstall()
    _ddguard_hook.install()
    yield calls
    _ddguard_hook.uninstall()
    for name in [n for n in sys.modules if n == "ddtrace" or n.startswith("ddtrace.")]:
        del sys.modules[name]


def test_find_spec_is_a_question_not_an_import(fake_ddtrace: List[int]) -> None:
    spec = importlib.util.find_spec("ddtrace")
    assert spec is not None and fake_ddtrace == []
    assert _ddguard_hook.installed()
    import ddtrace  # noqa: F401  (the real import is checked)

    assert fake_ddtrace == [1]


def test_pkgutil_probe_is_not_an_import(fake_ddtrace: List[int]) -> None:
    import pkgutil

    assert any(m.name == "ddtrace" for m in pkgutil.iter_modules())
    assert fake_ddtrace == []
    # find_spec of a submodule imports its parent package: that is an import, and checked
    assert importlib.util.find_spec("ddtrace.missing_submodule") is None
    assert fake_ddtrace == [1]


def test_the_pth_line_is_silent_when_the_hook_module_is_gone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = PTH.read_text().strip()
    assert line.startswith("import ")  # site executes only lines that start with "import"
    monkeypatch.setitem(sys.modules, "_ddguard_hook", None)  # import raises ImportError
    exec(line, {})
    assert capsys.readouterr() == ("", "")


def test_the_pth_line_installs_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    _ddguard_hook.uninstall()
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    monkeypatch.delitem(sys.modules, "ddtrace", raising=False)
    exec(PTH.read_text().strip(), {})
    assert _ddguard_hook.installed()
    _ddguard_hook.uninstall()


@pytest.mark.parametrize("action", ["error", "always", "ignore"])
def test_a_ddguard_warning_never_raises(action: str, capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter(action)
        startup._warn("a  warning\nwith a newline")
    assert capsys.readouterr().err == "ddguard: warning: a warning with a newline\n"
