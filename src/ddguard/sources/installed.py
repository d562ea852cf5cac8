"""The distributions installed on ``sys.path``, read cheaply from directory names.

A ``name-version.dist-info`` directory (PEP 376/627; installers normalize both parts) is
enough: no ``importlib.metadata`` import and no file read. Legacy ``.egg-info``
directories whose names carry no version fall back to their ``PKG-INFO`` headers. As
with ``importlib.metadata``, the first occurrence of a name on the path wins.
"""

from __future__ import annotations

import os
import sys
from typing import Container, Dict, Iterable, Optional, Tuple

from ddguard.sources.names import canonical


def distributions(
    paths: Optional[Iterable[str]] = None, spelled: Optional[Container[str]] = None
) -> Dict[str, Tuple[str, str]]:
    """{canonical name: (name, version)} for every distribution on ``paths`` (default
    ``sys.path``). Installers normalize directory names (``django-1.7.dist-info``); for the
    canonical names in ``spelled`` the name is read from the metadata (``Django``)."""
    found: Dict[str, Tuple[str, str]] = {}
    for entry in sys.path if paths is None else paths:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a directory (zip, missing)
            continue
        for name in sorted(names):
            parsed = _parse(entry or ".", name)
            if parsed is None:
                continue
            key = canonical(parsed[0])
            if key in found:
                continue
            if spelled is not None and key in spelled:
                headers = _from_headers(os.path.join(entry or ".", name))
                if headers is not None and canonical(headers[0]) == key:
                    parsed = (headers[0], parsed[1])
            found[key] = parsed
    return found


def versions(
    paths: Optional[Iterable[str]] = None, spelled: Optional[Container[str]] = None
) -> Dict[str, str]:
    """{name: version}: canonical names, or the metadata's spelling for ``spelled`` ones."""
    return (
        {name: version for name, version in distributions(paths, spelled).values()}
        if spelled
        else {key: version for key, (_, version) in distributions(paths).items()}
    )


def _parse(directory: str, name: str) -> Optional[Tuple[str, str]]:
    for suffix in (".dist-info", ".egg-info"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        return None
    parts = stem.split("-")
    if len(parts) >= 2 and parts[1][:1].isdigit():
        return parts[0], parts[1]
    return _from_headers(os.path.join(directory, name))


def _from_headers(path: str) -> Optional[Tuple[str, str]]:
    file = os.path.join(path, "PKG-INFO") if os.path.isdir(path) else path
    if os.path.isdir(path) and not os.path.isfile(file):
        file = os.path.join(path, "METADATA")
    headers: Dict[str, str] = {}
    text = _head(file)
    if text is None:
        return None
    for line in text.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        headers.setdefault(key.strip().lower(), value.strip())
    if "name" in headers and "version" in headers:
        return headers["name"], headers["version"]
    return None


def _head(path: str, size: int = 64 * 1024) -> Optional[str]:
    """The first ``size`` bytes of a regular file (never a FIFO or device: this runs at
    interpreter start), decoded leniently; None when unreadable."""
    import stat

    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read(size).decode("utf-8", errors="replace")
    except OSError:
        return None
    finally:
        os.close(descriptor)
