"""The meta-path hook: idempotent, reacts only to ``ddtrace``, gone after the first trigger
unless it refused (then every later ``import ddtrace`` is refused again)."""

from __future__ import annotations

import sys
from typing import List, Optional

import pytest

import _ddguard_hook as _hook
from ddguard import startup


@pytest.fixture(autouse=True)
def clean_meta_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys, "meta_path", [f for f in sys.meta_path if not getattr(f, "ddguard_hook", False)]
    )
    monkeypatch.delenv("DDGUARD_MODE", raising=False)
    monkeypatch.delitem(sys.modules, "ddtrace", raising=False)


def hooks() -> List[object]:
    return [f for f in sys.meta_path if getattr(f, "ddguard_hook", False)]


def test_install_twice_installs_one_finder_first() -> None:
    _hook.install()
    _hook.install()  # .pth import lines run twice in a venv
    assert len(hooks()) == 1 and sys.meta_path[0] is hooks()[0]


def test_off_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "OFF")
    _hook.install()
    assert hooks() == []


def test_already_imported_ddtrace_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ddtrace", object())
    _hook.install()
    assert hooks() == []


@pytest.mark.parametrize("name", ["json", "ddtrace_other", "ddtraceauto", "ddguard"])
def test_other_names_pass_through(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup, "check_on_import", lambda: pytest.fail("checked"))
    _hook.install()
    assert _hook.DDTraceImportHook().find_spec(name) is None
    assert len(hooks()) == 1


def test_a_ddtrace_submodule_reaching_the_hook_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest's assertion rewriter loads ddtrace's Python modules itself; the first
    compiled extension (``ddtrace.internal._rand``) still falls through to the hook."""
    calls: List[str] = []
    monkeypatch.setattr(startup, "check_on_import", lambda: calls.append("checked"))
    _hook.install()
    assert _hook.DDTraceImportHook().find_spec("ddtrace.internal._rand") is None
    assert calls == ["checked"]


def test_first_ddtrace_import_checks_once_and_removes_the_hook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: List[int] = []

    def check() -> Optional[ImportError]:
        calls.append(1)
        return None

    monkeypatch.setattr(startup, "check_on_import", check)
    _hook.install()
    assert hooks()[0].find_spec("ddtrace") is None  # type: ignore[attr-defined]
    assert calls == [1] and hooks() == []


def test_refusal_is_raised_from_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        startup, "check_on_import", lambda: ImportError("PARAGRAPH", name="ddtrace")
    )
    _hook.install()
    with pytest.raises(ImportError, match="PARAGRAPH"):
        __import__("ddtrace")
    assert len(hooks()) == 1 and sys.meta_path[0] is hooks()[0]
    with pytest.raises(ImportError, match="PARAGRAPH"):  # runpy and fallbacks retry: refused again
        __import__("ddtrace")
    assert "ddtrace" not in sys.modules


def test_hook_moves_back_in_front_of_a_finder_inserted_later() -> None:
    """pytest inserts its assertion rewriter at sys.meta_path[0] and loads ddtrace (a pytest11
    plugin's package) through it; the hook must be first again before that import."""

    class Rewriter:
        def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
            return None

    _hook.install()
    rewriter = Rewriter()
    sys.meta_path.insert(0, rewriter)
    hooks()[0].find_spec("some_module_imported_meanwhile")  # type: ignore[attr-defined]
    assert sys.meta_path[0] is hooks()[0]
    assert rewriter in sys.meta_path and len(hooks()) == 1
