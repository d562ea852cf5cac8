"""``[tool.ddguard]`` of a project's pyproject.toml, as the build hooks read it.

Only the standard library and ddguard's errors are imported here: the build hooks run on
pip's critical path and must not pay for packaging unless there is a ddtrace requirement.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ddguard.errors import InputError

DEFAULT_BACKEND = "setuptools.build_meta"
SUPPORTED_BACKENDS = (
    "setuptools.build_meta",
    "setuptools.build_meta:__legacy__",
    "hatchling.build",
    "flit_core.buildapi",
    "pdm.backend",
    "poetry.core.masonry.api",
)
SKIP_VARIABLE = "DDGUARD_SKIP"
_KEYS = ("backend", "backend-path", "allow-source-build", "strict", "targets")
# Options hatchling itself reads from every build hook table.
HATCH_HOOK_KEYS = (
    "dependencies",
    "enable-by-default",
    "require-runtime-dependencies",
    "require-runtime-features",
)


@dataclass(frozen=True)
class BuildConfig:
    """What ``[tool.ddguard]`` asks of the build hooks."""

    backend: str = DEFAULT_BACKEND
    backend_path: Tuple[str, ...] = ()
    allow_source_build: bool = False
    strict: bool = False
    targets: Tuple[str, ...] = ()  # compact targets checked besides the building interpreter
    present: bool = False  # whether the project has a [tool.ddguard] table at all
    build_requires: Tuple[str, ...] = field(default=())  # build-system.requires, as written


def skipped(environ: Optional[Mapping[str, str]] = None) -> bool:
    """``DDGUARD_SKIP=1`` (or true/yes) turns every build-time check off, for emergencies."""
    value = (environ if environ is not None else os.environ).get(SKIP_VARIABLE, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_toml(path: str) -> Dict[str, Any]:
    """Parse a TOML file; a syntax error is an InputError naming the file and line."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.8-3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as handle:
            document: Dict[str, Any] = tomllib.load(handle)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"not valid TOML: {exc}", path, line) from exc
    return document


def read_config(path: str, document: Optional[Mapping[str, Any]] = None) -> BuildConfig:
    """``[tool.ddguard]`` of ``path`` (a pyproject.toml); defaults when the table is absent."""
    doc = document if document is not None else load_toml(path)
    build_system = doc.get("build-system", {})
    requires = build_system.get("requires", []) if isinstance(build_system, dict) else []
    tool = doc.get("tool", {})
    table = tool.get("ddguard") if isinstance(tool, dict) else None
    if table is None:
        return BuildConfig(build_requires=tuple(str(r) for r in requires))
    if not isinstance(table, dict):
        raise InputError("[tool.ddguard] must be a table", path)
    return config_from_table(table, path, requires=requires, present=True)


def config_from_table(
    table: Mapping[str, Any],
    path: str,
    *,
    requires: Any = (),
    present: bool = True,
    where: str = "[tool.ddguard]",
    backend_allowed: bool = True,
    ignored: Tuple[str, ...] = (),
    defaults: Optional[BuildConfig] = None,
) -> BuildConfig:
    """Validate one options table (``[tool.ddguard]`` or a hatch hook's table)."""
    allowed = _KEYS if backend_allowed else _KEYS[2:]
    unknown = sorted(k for k in table if k not in allowed and k not in ignored)
    if unknown:
        raise InputError(
            f"{where} has unknown key {unknown[0]!r}: known keys are {', '.join(allowed)}", path
        )
    base = defaults or BuildConfig()
    backend = table.get("backend", base.backend)
    if not isinstance(backend, str) or not backend.strip():
        raise InputError(f"{where} backend must be a module name like {DEFAULT_BACKEND!r}", path)
    if backend.strip().startswith("ddguard.build"):
        raise InputError(
            f"{where} backend names ddguard.build itself: name the real backend, "
            f"e.g. {DEFAULT_BACKEND!r} or 'hatchling.build'",
            path,
        )
    return BuildConfig(
        backend=backend.strip(),
        backend_path=_strings(table, "backend-path", path, where, base.backend_path),
        allow_source_build=_flag(table, "allow-source-build", path, where, base.allow_source_build),
        strict=_flag(table, "strict", path, where, base.strict),
        targets=_strings(table, "targets", path, where, base.targets),
        present=present,
        build_requires=tuple(str(r) for r in requires or ()),
    )


def _flag(table: Mapping[str, Any], key: str, path: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{where} {key} must be true or false, not {value!r}", path)
    return value


def _strings(
    table: Mapping[str, Any], key: str, path: str, where: str, default: Tuple[str, ...]
) -> Tuple[str, ...]:
    value = table.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where} {key} must be a list of strings", path)
    items: List[str] = [v.strip() for v in value if v.strip()]
    return tuple(items)


def requires_ddguard(requires: Tuple[str, ...]) -> bool:
    """Whether build-system.requires lists ddguard (any spelling, any specifier)."""
    for text in requires:
        name = text.strip().split(";", 1)[0]
        for stop in "<>=!~[ @(":
            name = name.split(stop, 1)[0]
        if name.strip().lower().replace("_", "-").replace(".", "-") == "ddguard":
            return True
    return False
