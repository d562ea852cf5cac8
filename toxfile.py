"""In-tree tox plugin: let tox find every CPython that pyenv installed.

pyenv's ``python3.X`` shims answer only for versions named in ``PYENV_VERSION``, so
before tox looks for interpreters we name every installed version there. Versions that
are not installed are simply absent, and ``skip_missing_interpreters`` skips their envs.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tox.plugin import impl


def _pyenv_versions() -> list[str]:
    root = os.environ.get("PYENV_ROOT")
    if not root:
        try:
            root = subprocess.run(
                ["pyenv", "root"], capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return []
    versions = Path(root) / "versions"
    if not versions.is_dir():
        return []
    return sorted(p.name for p in versions.iterdir() if (p / "bin" / "python").exists())


@impl
def tox_add_core_config(core_conf, state):  # type: ignore[no-untyped-def]
    installed = _pyenv_versions()
    if installed:
        wanted = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
        os.environ["PYENV_VERSION"] = ":".join(wanted + [v for v in installed if v not in wanted])
