"""hatchling build hook: the ddguard build check for projects built by hatchling.

Enable it with ``[tool.hatch.build.hooks.ddguard]`` (options: ``allow-source-build``,
``strict``, ``targets``, ``discover``, over ``[tool.ddguard]``) and ``ddguard`` in
``[build-system] requires``. Under pip, hatchling hides its ``prepare_metadata_*`` hooks,
so pip builds the wheel to learn its metadata and ``initialize()`` runs then, before pip
resolves dependencies (no ddtrace sdist is fetched). uv runs ``initialize()`` only at
``build_wheel``, in parallel with the builds of dependencies: there the ``ddguard.build``
wrapper, whose check runs in ``get_requires_for_build_wheel``, refuses earlier.
"""

from __future__ import annotations

import os
from typing import Any, Dict

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl


class DDGuardBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "ddguard"

    def initialize(self, version: str, build_data: Dict[str, Any]) -> None:
        from ddguard.config import (
            HATCH_HOOK_KEYS,
            config_from_table,
            load_pyproject,
            project_config,
            skipped,
        )
        from ddguard.environment import checked
        from ddguard.errors import DDGuardError
        from ddguard.hosts.build_check import check_project

        if skipped() or checked(self.root):
            return
        pyproject = os.path.join(self.root, "pyproject.toml")
        try:
            document = load_pyproject(pyproject)
            config = config_from_table(
                self.config,
                pyproject,
                where="[tool.hatch.build.hooks.ddguard]",
                backend_allowed=False,
                ignored=HATCH_HOOK_KEYS,
                defaults=project_config(pyproject, document),
            )
            if self.target_name == "sdist" and not config.strict:
                return
            message = check_project(self.root, config=config, document=document)
        except DDGuardError as exc:
            raise SystemExit(f"ddguard: {exc}") from None
        if message is not None:
            raise SystemExit(message)


@hookimpl
def hatch_register_build_hook() -> type:
    return DDGuardBuildHook
