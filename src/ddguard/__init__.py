"""ddguard: refuse a ddtrace release that does not work on this interpreter and platform.

Kept tiny on purpose: ``import ddguard.auto`` runs at application startup, so the public
names below are imported only when first used.

PYTEST_DONT_REWRITE: the startup hook may import this package (when ddtrace is imported)
before pytest marks it (a ``pytest11`` plugin's package) for assertion rewriting; the
marker stops that warning.
"""

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: import ddguard.auto runs at app startup
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"
__all__ = ["DDGuardError", "Report", "Target", "__version__", "check", "require"]

_LAZY = {
    "check": "ddguard.api",
    "Report": "ddguard.api",
    "Target": "ddguard.target",
    "DDGuardError": "ddguard.errors",
    "require": "ddguard.startup",
}


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ddguard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
