"""Build tiny stub wheels for tests (no build backend, no network).

    make_wheel(tmp_path, "ddtrace", "1.20.19", "cp311-cp311-manylinux_2_17_x86_64")

gives ``tmp_path/ddtrace-1.20.19-cp311-cp311-manylinux_2_17_x86_64.whl`` with a
``ddtrace/__init__.py`` (or the ``files`` given), METADATA, WHEEL with the Tag lines of
the (possibly compressed) tag, and RECORD. pip installs it with ``--no-index
--find-links DIR``; pip checks the tags against the target interpreter, so pass
``--python-version``/``--platform`` + ``--target`` (or force with ``--no-deps``
and the file path plus ``--force-reinstall``) to install one for another interpreter.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Union


def make_wheel(
    directory: Union[str, Path],
    name: str,
    version: str,
    tag: str = "py3-none-any",
    files: Optional[Dict[str, str]] = None,
    requires_python: Optional[str] = None,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``directory`` and return its path."""
    dist = name.replace("-", "_")
    contents = dict(files) if files else {f"{dist}/__init__.py": f"__version__ = {version!r}\n"}
    info = f"{dist}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    contents[f"{info}/METADATA"] = metadata + "\n"
    contents[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: ddguard-tests\nRoot-Is-Purelib: "
        + ("true" if tag.endswith("-none-any") else "false")
        + "\n"
        + "".join(f"Tag: {t}\n" for t in expand(tag))
    )
    record: List[str] = []
    for path, text in contents.items():
        data = text.encode("utf-8")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = "\n".join(record) + "\n"
    target = Path(directory) / f"{dist}-{version}-{tag}.whl"
    os.makedirs(directory, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
    return target


def expand(tag: str) -> List[str]:
    """``cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`` -> one tag per platform."""
    interpreters, abis, platforms = tag.split("-")
    return [
        f"{i}-{a}-{p}"
        for i in interpreters.split(".")
        for a in abis.split(".")
        for p in platforms.split(".")
    ]
