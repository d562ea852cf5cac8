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

from ddguard.config import ProjectConfig, load_pyproject, project_config, skipped
from ddguard.environment import mark_checked

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
def _project() -> Tuple[ProjectConfig, Mapping[str, Any]]:
    """``[tool.ddguard]`` and the whole pyproject.toml of the tree being built (the cwd)."""
    path = "pyproject.toml"
    document: Mapping[str, Any] = load_pyproject(path) if os.path.isfile(path) else {}
    return project_config(path, document), document


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
        ) from None
    backend: Any = module
    for part in filter(None, attribute.split(".")):
        try:
            backend = getattr(backend, part)
        except AttributeError:
            raise SystemExit(
                f"ddguard: the build backend {config.backend!r} named by [tool.ddguard] backend "
                f"in pyproject.toml has no {part!r}"
            ) from None
    return backend  # type: ignore[no-any-return]


def _config_or_exit() -> ProjectConfig:
    from ddguard.errors import DDGuardError

    try:
        return _project()[0]
    except DDGuardError as exc:
        raise SystemExit(f"ddguard: {exc}") from None


def _check(hook: str) -> None:
    """Refuse (SystemExit with ddguard's paragraphs, which pip shows in its error box)."""
    if skipped():
        return
    config = _config_or_exit()
    if hook in _SDIST_HOOKS and not config.strict:
        return
    first = hook.startswith("get_requires_for_build_")
    stamp = _passed_stamp()
    if not first and stamp is not None and os.path.exists(stamp):
        mark_checked(".")  # the setuptools plugin and hatchling hook need not judge it either
        return  # the first hook judged this very tree, interpreter and database
    from ddguard.errors import DDGuardError
    from ddguard.hosts.build_check import check_project

    try:
        message = check_project(".", config=config, document=_project()[1])
    except DDGuardError as exc:
        raise SystemExit(f"ddguard: {exc}") from None
    except RecursionError:
        raise SystemExit("ddguard: pyproject.toml is nested too deeply to read") from None
    if message is not None:
        raise SystemExit(message)
    mark_checked(".")
    if stamp is not None:
        try:
            os.makedirs(os.path.dirname(stamp), exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            os.close(os.open(stamp, flags, 0o600))  # never through a planted symlink
        except OSError:
            pass  # an unwritable cache only costs later hooks a full check


def _passed_stamp() -> Optional[str]:
    """The file remembering that the check passed for this pyproject.toml, interpreter,
    ddguard and database. pip runs every hook in a new process; with it, the hooks after
    ``get_requires_for_build_*`` skip a judgement that would only repeat the first."""
    import hashlib

    from ddguard import __version__
    from ddguard.config import cache_dir

    database = os.environ.get("DDGUARD_DB") or os.path.join(cache_dir(), "releases.json")
    try:
        with open("pyproject.toml", "rb") as file:
            digest = hashlib.sha256(file.read())
        database_mtime = os.stat(database).st_mtime_ns if os.path.exists(database) else 0
    except OSError:
        return None
    for part in (os.path.abspath("."), sys.executable, sys.version, __version__, database):
        digest.update(part.encode() + b"\0")
    digest.update(str(database_mtime).encode())
    return os.path.join(cache_dir(), "build-passed", digest.hexdigest()[:32])


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
