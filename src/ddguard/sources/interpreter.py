"""Another interpreter as a target (``--python PATH``, like pip's and uv's): its facts are
asked of it in a subprocess that runs no code of the project or the current directory."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import TYPE_CHECKING, List

from ddguard.errors import InputError

if TYPE_CHECKING:
    from ddguard.target import Target

# Runs under the probed interpreter (Python 2.7 and 3.x): standard library only.
_PROBE = """
import json, platform, sys, sysconfig
libc = platform.libc_ver()
print(json.dumps({
    "implementation": getattr(sys, "implementation", None) and sys.implementation.name or "cpython",
    "version": list(sys.version_info[:3]),
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "platform": sysconfig.get_platform(),
    "libc": list(libc),
}))
"""


def probe(path: str) -> Target:
    """The Target of the interpreter at ``path``; InputError when it cannot be asked."""
    from ddguard.target import Target

    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise InputError(f"--python {path!r} is not an executable file")
    with tempfile.TemporaryDirectory(prefix="ddguard-probe-") as empty:
        try:
            done = subprocess.run(
                [path, "-E", "-s", "-S", "-c", _PROBE],
                capture_output=True,
                text=True,
                timeout=30,
                cwd=empty,  # nothing importable where the probe starts
                env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise InputError(f"--python {path!r} could not be run: {exc}") from None
    try:
        facts = json.loads(done.stdout.strip().splitlines()[-1])
        version = [int(v) for v in facts["version"]]
        platform = str(facts["platform"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise InputError(f"--python {path!r} did not answer like a Python interpreter") from None
    return Target.for_interpreter(
        version,
        str(facts["implementation"]),
        bool(facts.get("free_threaded")),
        platforms=_platforms(platform, facts.get("libc") or []),
    )


def _platforms(sysconfig_platform: str, libc: List[str]) -> List[str]:
    """Wheel platform tags for a ``sysconfig.get_platform()`` value on another interpreter;
    empty (the host's own) when it runs on this machine's OS and CPU."""
    from ddguard.target import Target, platform_arch, platform_os

    host = Target.from_host()
    kind, _, rest = sysconfig_platform.partition("-")
    if kind == "linux":
        arch = rest.replace("-", "_")
        family = "musllinux" if libc and libc[0] == "musl" else "manylinux"
        tag = f"{family}_{arch}"
    elif kind == "macosx":
        version, _, arch = rest.partition("-")
        tag = "macosx_%s_%s" % (version.replace(".", "_"), arch)
    elif kind.startswith("win"):
        tag = {"win32": "win32", "win-amd64": "win_amd64", "win-arm64": "win_arm64"}.get(
            sysconfig_platform, "win_amd64"
        )
    else:
        return []
    if host.platforms and (platform_os(tag), platform_arch(tag)) == (host.os, host.arch):
        return []
    from ddguard.target import expand_family

    return expand_family(tag) or [tag]
