"""ddguard's environment variables, one parser each. Standard library only and no
``typing`` at run time: the startup check reads them on every warm ``import ddtrace``."""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional

MODES = ("strict", "warn", "off")
SKIP_VARIABLE = "DDGUARD_SKIP"
# Set by a build hook once the project passed (judged in this process, or in an earlier
# hook of the same build), so that a second guard in the process (the setuptools plugin
# or hatchling hook under ddguard.build) does not judge it again.
CHECKED_VARIABLE = "_DDGUARD_BUILD_CHECKED"
_TRUE = ("1", "true", "yes", "on")


def _get(name: str, environ: "Optional[Mapping[str, str]]") -> str:
    return (environ if environ is not None else os.environ).get(name, "").strip().lower()


def mode_value(environ: "Optional[Mapping[str, str]]" = None) -> str:
    """``DDGUARD_MODE``: "strict" (default), "warn" or "off". An unknown value means
    strict (a guard that cannot read its switch stays on); :func:`mode_problem` names it."""
    value = _get("DDGUARD_MODE", environ)
    return value if value in MODES else "strict"


def mode_problem(environ: "Optional[Mapping[str, str]]" = None) -> "Optional[str]":
    """The bad ``DDGUARD_MODE`` value, if it is set to something else than a mode."""
    value = _get("DDGUARD_MODE", environ)
    return value[:40] if value and value not in MODES else None


def skipped(environ: "Optional[Mapping[str, str]]" = None) -> bool:
    """``DDGUARD_SKIP=1`` (or true/yes/on) turns every build-time check off, for emergencies."""
    return _get(SKIP_VARIABLE, environ) in _TRUE


def mark_checked(root: str) -> None:
    os.environ[CHECKED_VARIABLE] = os.path.abspath(root)


def checked(root: str) -> bool:
    """Whether a build hook of this process found the project at ``root`` passing."""
    return os.environ.get(CHECKED_VARIABLE) == os.path.abspath(root)


def integrations_setting(environ: "Optional[Mapping[str, str]]" = None) -> str:
    """``DDGUARD_INTEGRATIONS``: "off" (default), "warn" (1/true/yes/on/warn) or "strict"."""
    value = _get("DDGUARD_INTEGRATIONS", environ)
    if value == "strict":
        return "strict"
    return "warn" if value in _TRUE or value == "warn" else "off"


def cache_dir() -> str:
    """ddguard's user cache: the startup cache, the build stamps, ``db update``'s copy."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ddguard")
