"""Small stand-ins for the host APIs the tox and hatchling adapters touch (the PDM and Poetry
ones are in installer_standins.py), so their unit tests run in-process without those hosts
installed, and the cases every adapter is tested with.

Each stand-in mirrors one real API (named next to it, read at the commit given) and only
the part an adapter uses; tests/integrations runs the real hosts. ``load_adapter`` installs
the stand-ins in ``sys.modules`` for one test and imports a fresh copy of the adapter under
them, so a real host that happens to be installed never interferes.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from argparse import Namespace
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

import pluggy
import pytest
from packaging.requirements import Requirement

# Sources read: tox-dev/tox@ccb12fc2 (tox 4), pypa/hatch@ed8e30be (hatchling).


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


def tree(leaves: Dict[str, Dict[str, Any]]) -> Dict[str, types.ModuleType]:
    """Modules for the dotted names in ``leaves`` and every parent package, each child set
    as an attribute of its parent (as the import system does)."""
    modules: Dict[str, types.ModuleType] = {}
    for dotted, attributes in leaves.items():
        parts = dotted.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name not in modules:
                modules[name] = _module(name)
                modules[name].__path__ = []  # type: ignore[attr-defined]  # a package
        modules[dotted].__dict__.update(attributes)
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    return modules


def load_adapter(
    monkeypatch: pytest.MonkeyPatch, adapter: str, modules: Dict[str, types.ModuleType]
) -> Any:
    """Import a fresh ``ddguard.hosts.<adapter>`` under the stand-in ``modules``; everything
    (the stand-ins, the adapter module and its attribute on ``ddguard.hosts``) is put back
    as it was when the test ends."""
    import ddguard.hosts

    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    dotted = f"ddguard.hosts.{adapter}"
    monkeypatch.setitem(sys.modules, dotted, None)  # records what to restore...
    del sys.modules[dotted]  # ...then makes room for the fresh import
    monkeypatch.setattr(ddguard.hosts, adapter, None, raising=False)
    return importlib.import_module(dotted)


# --- tox 4 ------------------------------------------------------------------------------------

# tox/plugin/__init__.py: ``impl = pluggy.HookimplMarker("tox")``.
TOX_IMPL = pluggy.HookimplMarker("tox")
_tox_spec = pluggy.HookspecMarker("tox")


class ToxSpec:
    """tox/plugin/spec.py: the hooks the adapter implements, with tox's argument names."""

    @_tox_spec
    def tox_add_option(self, parser: Any) -> None: ...

    @_tox_spec
    def tox_add_env_config(self, env_conf: Any, state: Any) -> None: ...

    @_tox_spec
    def tox_on_install(self, tox_env: Any, arguments: Any, section: str, of_type: str) -> None: ...


class ToxFail(RuntimeError):
    """tox/tox_env/errors.py: ``class Fail(RuntimeError)``, an env that failed."""


def tox_modules() -> Dict[str, types.ModuleType]:
    return tree(
        {
            "tox.plugin": {"NAME": "tox", "impl": TOX_IMPL},
            "tox.tox_env.errors": {"Fail": ToxFail},
        }
    )


def tox_manager(adapter: Any) -> pluggy.PluginManager:
    """tox/plugin/manager.py: tox calls its plugins through a pluggy manager named "tox"."""
    manager = pluggy.PluginManager("tox")
    manager.add_hookspecs(ToxSpec)
    manager.register(adapter)
    return manager


class ToxConfigSet:
    """tox/config/sets.py ``ConfigSet``: ``conf[key]`` loads a defined key and raises
    KeyError for one nobody defined (``self._defined[item]``); ``add_config`` defines one."""

    def __init__(self, values: Optional[Dict[str, Any]] = None) -> None:
        self._defined: Dict[str, Any] = dict(values or {})
        self.added: List[Dict[str, Any]] = []

    def __getitem__(self, item: str) -> Any:
        return self._defined[item]

    def add_config(
        self,
        keys: Any,
        of_type: Any,
        default: Any,
        desc: str,
        post_process: Any = None,
        factory: Any = None,
    ) -> None:
        self.added.append({"keys": keys, "of_type": of_type, "default": default, "desc": desc})
        for key in [keys] if isinstance(keys, str) else keys:
            self._defined.setdefault(key, default)


class ToxParsedRequirement:
    """tox/tox_env/python/pip/req/file.py ``ParsedRequirement(req, options, from_file,
    lineno)``: ``requirement`` (a packaging Requirement when valid), ``options`` (a dict,
    ``is_constraint`` for ``-c`` lines), ``from_file``, ``lineno``."""

    def __init__(self, req: str, options: Dict[str, Any], from_file: str, lineno: int) -> None:
        self.requirement = Requirement(req)
        self.options = options
        self.from_file = from_file
        self.lineno = lineno


class ToxRequirements:
    """tox/tox_env/python/pip/req_file.py ``PythonDeps`` / ``PythonConstraints``: inline
    lines come ``from_file`` ``<toxinidir>/tox.ini``; ``requirements`` lists them parsed."""

    def __init__(self, root: Path, lines: Iterable[Tuple[str, Any]]) -> None:
        inline = str(root / "tox.ini")
        self.requirements = [
            ToxParsedRequirement(text, {}, inline, 0)
            if where is None
            else ToxParsedRequirement(
                text, where[2] if len(where) > 2 else {}, str(where[0]), where[1]
            )
            for text, where in lines
        ]


class VersionInfo(NamedTuple):
    """tox/tox_env/python/api.py ``VersionInfo``."""

    major: int
    minor: int
    micro: int
    releaselevel: str
    serial: int


class ToxPythonInfo(NamedTuple):
    """tox/tox_env/python/api.py ``PythonInfo`` (the fields the adapter reads)."""

    implementation: str
    version_info: VersionInfo
    free_threaded: bool = False


def tox_env(
    root: Path,
    python: Tuple[int, int, int] = (3, 12, 1),
    *,
    name: str = "py312",
    packaged: bool = True,
    conf: Optional[Dict[str, Any]] = None,
    report: bool = False,
    implementation: str = "CPython",
) -> Any:
    """A tox run env (tox/tox_env/python/runner.py ``PythonRun``): ``name``, the parsed CLI
    ``options``, its ``conf`` (``deps``, ``extras``, ``dependency_groups`` and
    ``constraints`` are defined by tox; ``ddguard`` by the plugin), the ``core`` config
    (``tox_root`` and ``package_root``, Paths), its ``base_python`` and ``package_env``
    (None when the package is not installed)."""
    values: Dict[str, Any] = {
        "extras": set(),
        "dependency_groups": set(),
        "constraints": ToxRequirements(root, []),
        "ddguard": True,
    }
    values.update(conf or {})
    return types.SimpleNamespace(
        name=name,
        options=Namespace(ddguard_report=report),
        conf=ToxConfigSet(values),
        core=ToxConfigSet({"tox_root": root, "package_root": root}),
        base_python=ToxPythonInfo(implementation, VersionInfo(*python, "final", 0)),
        package_env=object() if packaged else None,
    )


# --- hatchling --------------------------------------------------------------------------------

HATCH_IMPL = pluggy.HookimplMarker("hatch")  # hatchling/plugin/__init__.py
_hatch_spec = pluggy.HookspecMarker("hatch")


class HatchSpec:
    """hatchling/plugin/specs.py: ``hatch_register_build_hook()``."""

    @_hatch_spec
    def hatch_register_build_hook(self) -> None: ...


class BuildHookInterface:
    """hatchling/builders/hooks/plugin/interface.py ``BuildHookInterface(root, config,
    build_config, metadata, directory, target_name, app=None)``: read-only ``root``,
    ``config`` (the hook's table), ``target_name`` ("wheel", "sdist"); ``initialize()``."""

    PLUGIN_NAME = ""

    def __init__(
        self,
        root: str,
        config: Dict[str, Any],
        build_config: Any,
        metadata: Any,
        directory: str,
        target_name: str,
        app: Any = None,
    ) -> None:
        self.__root = root
        self.__config = config
        self.__target_name = target_name

    @property
    def root(self) -> str:
        return self.__root

    @property
    def config(self) -> Dict[str, Any]:
        return self.__config

    @property
    def target_name(self) -> str:
        return self.__target_name

    def initialize(self, version: str, build_data: Dict[str, Any]) -> None:
        """Runs immediately before each build."""


def hatch_modules() -> Dict[str, types.ModuleType]:
    return tree(
        {
            "hatchling.builders.hooks.plugin.interface": {"BuildHookInterface": BuildHookInterface},
            "hatchling.plugin": {"hookimpl": HATCH_IMPL},
        }
    )


def hatch_manager(adapter: Any) -> pluggy.PluginManager:
    """hatchling/plugin/manager.py: a pluggy manager named "hatch" collects the hooks."""
    manager = pluggy.PluginManager("hatch")
    manager.add_hookspecs(HatchSpec)
    manager.register(adapter)
    return manager


# --- the cases every adapter is tested with ---------------------------------------------------

# (requirement, interpreter): ddtrace refuses to work there, whatever the platform.
REFUSED = [
    ("ddtrace==1.20.19", (3, 12, 1)),  # 1.x supports up to 3.11
    ("ddtrace~=1.20.0", (3, 12, 1)),
    ("ddtrace<2", (3, 13, 0)),
    ("ddtrace==2.21.12", (3, 14, 0)),
    ("ddtrace==0.60.1", (3, 11, 7)),
]
# ...works there, with nothing to warn about.
ACCEPTED = [
    ("ddtrace==4.16.0", (3, 12, 1)),
    ("ddtrace>=4", (3, 13, 0)),
    ("ddtrace==4.16.0", (3, 11, 7)),
]
# ...works there, with a warning (End of Life line).
WARNED = [
    ("ddtrace==1.20.19", (3, 11, 7)),
    ("ddtrace==2.21.12", (3, 12, 1)),
]
# Refused, and accepted, on whatever CPython and platform runs the tests (for the build
# hooks, which judge the running interpreter): 0.27.1 publishes only an sdist.
REFUSED_ON_ANY_HOST = "ddtrace==0.27.1"
ACCEPTED_ON_ANY_HOST = "ddtrace>=2"
# pyproject.toml texts whose [tool.ddguard] (or the file itself) is bad input.
BAD_PROJECT_FILES = {
    "strict-not-bool": '[tool.ddguard]\nstrict = "yes"\n',
    "source-build-number": "[tool.ddguard]\nallow-source-build = 1\n",
    "discover-list": "[tool.ddguard]\ndiscover = [true]\n",
    "targets-number": "[tool.ddguard]\ntargets = 3\n",
    "targets-table": "[tool.ddguard.targets]\nx = 1\n",
    "unknown-key": "[tool.ddguard]\nstirct = true\n",
    "not-a-table": "[tool]\nddguard = 5\n",
    "backend-not-a-module": '[tool.ddguard]\nbackend = "not a module"\n',
    "requires-not-a-list": '[build-system]\nrequires = "ddguard"\n[tool.ddguard]\n',
    "broken-toml": "[tool.ddguard\nstrict = true\n",
    "long-value": '[tool.ddguard]\nstrict = "' + "x" * 50_000 + '"\n',
    "deep-nesting": "[tool.ddguard]\nstrict = " + "[" * 5_000 + "]" * 5_000 + "\n",
}


def write_project(root: Path, dependencies: Iterable[str] = (), extra: str = "") -> Path:
    """A pyproject.toml at ``root`` with these [project] dependencies and more TOML."""
    listed = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "0"\ndependencies = [{listed}]\n{extra}',
        encoding="utf-8",
    )
    return root


def assert_one_line_input_error(text: str, root: Path) -> None:
    """The host's error for bad input: one short line, ddguard's, naming the project's file."""
    assert text.startswith("ddguard: "), text
    assert "\n" not in text.strip(), text
    assert f"{root.name}{os.sep}pyproject.toml" in text and len(text) < 500, text[:600]
