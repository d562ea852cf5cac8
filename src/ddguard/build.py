"""PEP 517 backend wrapper: refuse to build a project whose ddtrace pin cannot work here.

A project opts in with::

    [build-system]
    requires = ["ddguard", "setuptools>=64"]
    build-backend = "ddguard.build"

    [tool.ddguard]
    backend = "setuptools.build_meta"   # or hatchling.build, flit_core.buildapi,
                                        # pdm.backend, poetry.core.masonry.api

The check runs in ``get_requires_for_build_wheel`` / ``get_requires_for_build_editable``,
the first hooks pip and uv call, before pip resolves or builds any dependency (so before
ddtrace's sdist is downloaded). Later hooks re-check and delegate. Only the hooks the
real backend defines exist here (frontends probe by attribute: hatchling hides its
``prepare_metadata_*`` hooks under pip, and a wrapper that showed them would change what
pip does). ``build_sdist`` is refused only with ``strict``: an sdist is platform-neutral.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from types import ModuleType
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ddguard.build_config import BuildConfig, load_toml, read_config, skipped

_WHEEL_HOOKS = (
    "prepare_metadata_for_build_wheel",
    "build_wheel",
    "prepare_metadata_for_build_editable",
    "build_editable",
)
_SDIST_HOOKS = ("get_requires_for_build_sdist", "build_sdist")
_OPTIONAL = (*_WHEEL_HOOKS, *_SDIST_HOOKS, "get_requires_for_build_editable")

__all__ = ["get_requires_for_build_wheel"]


@functools.lru_cache(maxsize=None)
def _project() -> Tuple[BuildConfig, Mapping[str, Any]]:
    """``[tool.ddguard]`` and the whole pyproject.toml of the tree being built (the cwd)."""
    path = "pyproject.toml"
    document: Mapping[str, Any] = load_toml(path) if os.path.isfile(path) else {}
    return read_config(path, document), document


@functools.lru_cache(maxsize=None)
def _inner() -> ModuleType:
    """The real backend named by ``[tool.ddguard] backend`` (``module`` or ``module:object``)."""
    config = _config_or_exit()
    for entry in reversed(config.backend_path):
        full = os.path.abspath(entry)
        if full not in sys.path:
            sys.path.insert(0, full)
    module_name, _, attribute = config.backend.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(
            f"ddguard: cannot import the build backend {config.backend!r} named by "
            f"[tool.ddguard] backend in pyproject.toml ({exc}): list it in "
            "[build-system] requires next to ddguard"
        ) from exc
    backend: Any = module
    for part in filter(None, attribute.split(".")):
        backend = getattr(backend, part)
    return backend  # type: ignore[no-any-return]


def _config_or_exit() -> BuildConfig:
    from ddguard.errors import DDGuardError

    try:
        return _project()[0]
    except DDGuardError as exc:
        raise SystemExit(f"ddguard: {exc}") from exc


def _check(hook: str) -> None:
    """Refuse (SystemExit with ddguard's paragraphs, which pip shows in its error box)."""
    if skipped():
        return
    config = _config_or_exit()
    if hook in _SDIST_HOOKS and not config.strict:
        return
    from ddguard.build_check import CHECKED_VARIABLE, check_project
    from ddguard.errors import DDGuardError

    try:
        message = check_project(".", config=config, document=_project()[1])
    except DDGuardError as exc:
        raise SystemExit(f"ddguard: {exc}") from exc
    if message is not None:
        raise SystemExit(message)
    os.environ[CHECKED_VARIABLE] = os.path.abspath(".")


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    _check("get_requires_for_build_wheel")
    hook = getattr(_inner(), "get_requires_for_build_wheel", None)
    return list(hook(config_settings)) if hook is not None else []


def _get_requires_for_build_editable(
    config_settings: Optional[Dict[str, Any]] = None,
) -> List[str]:
    _check("get_requires_for_build_editable")
    hook = getattr(_inner(), "get_requires_for_build_editable", None)
    return list(hook(config_settings)) if hook is not None else []


def _delegate(name: str, hook: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(hook)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check(name)
        return hook(*args, **kwargs)

    return checked


def __getattr__(name: str) -> Callable[..., Any]:
    """The optional hooks, present exactly when the real backend has them."""
    if name not in _OPTIONAL:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    inner = _inner()
    if name == "get_requires_for_build_editable":
        if not hasattr(inner, "build_editable"):
            raise AttributeError(f"{_config_or_exit().backend} has no build_editable hook")
        return _get_requires_for_build_editable
    hook = getattr(inner, name, None)
    if hook is None:
        raise AttributeError(f"{_config_or_exit().backend} has no {name} hook")
    return _delegate(name, hook)


def __dir__() -> List[str]:
    return sorted({*globals(), *(n for n in _OPTIONAL if _has(n))})


def _has(name: str) -> bool:
    try:
        __getattr__(name)
    except AttributeError:
        return False
    return True
