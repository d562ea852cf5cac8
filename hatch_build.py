"""ddguard's own build: the ``ddguard[ddtrace]`` extra, generated from the embedded database.

A hatchling metadata hook (``[tool.hatch.metadata.hooks.custom]``): it imports
``ddguard.evaluate.constraints`` from this tree's ``src`` (not any installed ddguard) and sets
``optional-dependencies.ddtrace`` to ``ddtrace`` plus the rules ``ddguard constraints``
prints, so the wheel's METADATA carries ``Requires-Dist: ddtrace...; ... and extra ==
"ddtrace"`` lines for resolvers that read dependencies before building anything.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List

from hatchling.metadata.plugin.interface import MetadataHookInterface


def ddtrace_extra(root: str) -> List[str]:
    """``evaluate.constraints.extra_requirements`` over ``src/ddguard/data/releases.json`` of ``root``."""
    src = os.path.join(root, "src")
    ours = [name for name in sys.modules if name == "ddguard" or name.startswith("ddguard.")]
    saved = {name: sys.modules.pop(name) for name in ours}
    sys.path.insert(0, src)
    try:
        from ddguard import knowledge
        from ddguard.evaluate import constraints

        db = knowledge.load(os.path.join(src, "ddguard", "data", "releases.json"))
        return constraints.extra_requirements(db)
    finally:
        sys.path.remove(src)
        for name in [n for n in sys.modules if n == "ddguard" or n.startswith("ddguard.")]:
            del sys.modules[name]
        sys.modules.update(saved)


class DDtraceExtraHook(MetadataHookInterface):
    def update(self, metadata: Dict[str, Any]) -> None:
        extras = metadata.setdefault("optional-dependencies", {})
        extras["ddtrace"] = ddtrace_extra(self.root)
