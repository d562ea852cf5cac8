"""A project's ``[tool.ddguard]`` table, as every entry point reads it (the build hooks, the
tox/PDM/Poetry plugins), and the environment variables as model values (their one parser
is :mod:`ddguard.environment`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Optional, Tuple

from ddguard.environment import cache_dir, integrations_setting, mode_problem, mode_value, skipped
from ddguard.errors import InputError
from ddguard.record import Record

if TYPE_CHECKING:
    from ddguard.model import Mode

__all__ = [
    "ProjectConfig",
    "cache_dir",
    "integrations_setting",
    "mode",
    "mode_problem",
    "parse_mode",
    "project_config",
    "read_project_config",
    "skipped",
]
DEFAULT_BACKEND = "setuptools.build_meta"
_KEYS = ("backend", "backend-path", "allow-source-build", "strict", "targets", "discover")
# Options hatchling itself reads from every build hook table.
HATCH_HOOK_KEYS = (
    "dependencies",
    "enable-by-default",
    "require-runtime-dependencies",
    "require-runtime-features",
)


def mode(environ: Optional[Mapping[str, str]] = None) -> Mode:
    """``DDGUARD_MODE`` as a :class:`~ddguard.model.Mode` (see :mod:`ddguard.environment`)."""
    from ddguard.model import Mode  # the build hooks read the config without the model

    return Mode(mode_value(environ))


def parse_mode(text: str) -> Mode:
    """A mode given by a caller (``ddguard.require(mode=...)``): InputError when unknown."""
    from ddguard.model import Mode

    try:
        return Mode(text.strip().lower())
    except ValueError:
        raise InputError(f"unknown mode {text[:40]!r}: use one of strict, warn, off") from None


class ProjectConfig(Record):
    """What ``[tool.ddguard]`` (or the hatch hook's table) asks for."""

    backend: str = DEFAULT_BACKEND
    backend_path: Tuple[str, ...] = ()
    allow_source_build: bool = False
    strict: bool = False
    targets: Tuple[str, ...] = ()  # compact targets judged besides the running interpreter
    discover: bool = False  # also judge the deployment targets the project's files declare
    present: bool = False  # whether the project has a [tool.ddguard] table at all
    build_requires: Tuple[str, ...] = ()  # build-system.requires, as written


def project_config(path: str, document: Mapping[str, Any]) -> ProjectConfig:
    """``[tool.ddguard]`` of a parsed pyproject.toml at ``path``; defaults when absent."""
    build_system = document.get("build-system", {})
    requires = build_system.get("requires", []) if isinstance(build_system, dict) else []
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise InputError("[build-system] requires must be a list of requirement strings", path)
    tool = document.get("tool", {})
    table = tool.get("ddguard") if isinstance(tool, dict) else None
    if table is None:
        return ProjectConfig(build_requires=tuple(requires))
    if not isinstance(table, dict):
        raise InputError("[tool.ddguard] must be a table", path)
    return config_from_table(table, path, requires=tuple(requires))


def config_from_table(
    table: Mapping[str, Any],
    path: str,
    *,
    requires: Tuple[str, ...] = (),
    where: str = "[tool.ddguard]",
    backend_allowed: bool = True,
    ignored: Tuple[str, ...] = (),
    defaults: Optional[ProjectConfig] = None,
) -> ProjectConfig:
    """Validate one options table (``[tool.ddguard]`` or a hatch hook's table)."""
    allowed = _KEYS if backend_allowed else _KEYS[2:]
    unknown = sorted(str(k) for k in table if k not in allowed and k not in ignored)
    if unknown:
        raise InputError(
            f"{where} has unknown key {unknown[0][:40]!r}: known keys are {', '.join(allowed)}", path
        )
    base = defaults or ProjectConfig()
    backend = table.get("backend", base.backend)
    if not isinstance(backend, str) or not _is_backend_name(backend.strip()):
        raise InputError(
            f"{where} backend must name a module, like {DEFAULT_BACKEND!r} or "
            "'setuptools.build_meta:__legacy__'",
            path,
        )
    if backend.strip().startswith("ddguard.build"):
        raise InputError(
            f"{where} backend names ddguard.build itself: name the real backend, "
            f"e.g. {DEFAULT_BACKEND!r} or 'hatchling.build'",
            path,
        )
    backend_path = _strings(table, "backend-path", path, where, base.backend_path)
    for entry in backend_path:
        _inside_tree(entry, path, where)
    return ProjectConfig(
        backend=backend.strip(),
        backend_path=backend_path,
        allow_source_build=_flag(table, "allow-source-build", path, where, base.allow_source_build),
        strict=_flag(table, "strict", path, where, base.strict),
        targets=_strings(table, "targets", path, where, base.targets),
        discover=_flag(table, "discover", path, where, base.discover),
        present=True,
        build_requires=requires,
    )


def _is_backend_name(text: str) -> bool:
    """``package.module`` or ``package.module:object.attribute`` (PEP 517's form)."""
    module, colon, attribute = text.partition(":")
    parts = module.split(".") + (attribute.split(".") if colon else [])
    return bool(module) and all(p.isidentifier() for p in parts)


def _inside_tree(entry: str, path: str, where: str) -> None:
    """PEP 517: backend-path entries are relative and stay inside the project tree."""
    root = os.path.dirname(os.path.abspath(path))
    full = os.path.normpath(os.path.join(root, entry))
    if os.path.isabs(entry) or not (full == root or full.startswith(root + os.sep)):
        raise InputError(
            f"{where} backend-path {entry[:80]!r} leaves the project directory "
            "(PEP 517 allows only paths inside the source tree)",
            path,
        )


def _flag(table: Mapping[str, Any], key: str, path: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{where} {key} must be true or false, not {str(value)[:40]!r}", path)
    return value


def _strings(
    table: Mapping[str, Any], key: str, path: str, where: str, default: Tuple[str, ...]
) -> Tuple[str, ...]:
    value = table.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where} {key} must be a list of strings", path)
    return tuple(v.strip() for v in value if v.strip())


def requires_ddguard(requires: Tuple[str, ...]) -> bool:
    """Whether build-system.requires lists ddguard (any spelling, any specifier)."""
    for text in requires:
        name = text.strip().split(";", 1)[0]
        for stop in "<>=!~[ @(":
            name = name.split(stop, 1)[0]
        if name.strip().lower().replace("_", "-").replace(".", "-") == "ddguard":
            return True
    return False


def load_pyproject(path: str) -> Mapping[str, Any]:
    """A pyproject.toml as data (the sources' one TOML loader); InputError when broken."""
    from ddguard.sources import load_toml_file

    return load_toml_file(path)


def read_project_config(root: str) -> ProjectConfig:
    """``[tool.ddguard]`` of the project at ``root``; defaults without a pyproject.toml."""
    path = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(path):
        return ProjectConfig()
    return project_config(path, load_pyproject(path))
