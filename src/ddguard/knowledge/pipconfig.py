"""pip's configuration files, read as INI data: which index, CA bundle and timeout pip uses.

Never runs pip: ``python -m pip config`` puts the current directory first on ``sys.path``,
so a ``pip/`` folder in a project would run. The files and their order are pip's own
(https://pip.pypa.io/en/stable/topics/configuration/, and pip's ``configuration.py``):
``PIP_CONFIG_FILE`` (``os.devnull``: no file at all), then global, user (skipped when
``PIP_CONFIG_FILE`` names an existing file) and site files, each overriding the ones before
it, ``PIP_CONFIG_FILE`` last; within them ``[install]`` overrides ``[global]``.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, List, Mapping, Tuple

from ddguard.errors import DatabaseError
from ddguard.knowledge.document import InvalidDocument, read_bytes
from ddguard.record import Record

MAX_CONFIG_BYTES = 1024 * 1024
_ETC = "/etc"  # the system directories (tests point them elsewhere)
_MAC_SYSTEM = "/Library/Application Support/pip"
_SECTIONS = ("global", "install")  # later wins


class Setting(Record):
    value: str
    file: str  # the configuration file that set it


def config_files(
    environ: Mapping[str, str], platform: str = sys.platform, prefix: str = sys.prefix
) -> List[str]:
    """pip's configuration files in loading order (later files override earlier ones)."""
    override = environ.get("PIP_CONFIG_FILE")
    if override is not None and override == os.devnull:
        return []
    home = os.path.expanduser("~")
    name = "pip.ini" if platform == "win32" else "pip.conf"
    if platform == "win32":
        program_data = (
            environ.get("ProgramData") or environ.get("ALLUSERSPROFILE") or r"C:\ProgramData"
        )
        global_files = [os.path.join(program_data, "pip", name)]
        appdata = environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
        user_files = [os.path.join(home, "pip", name), os.path.join(appdata, "pip", name)]
    elif platform == "darwin":
        global_files = [os.path.join(_MAC_SYSTEM, name)]
        support = os.path.join(home, "Library", "Application Support", "pip")
        current = support if os.path.isdir(support) else os.path.join(home, ".config", "pip")
        user_files = [os.path.join(home, ".pip", name), os.path.join(current, name)]
    else:
        dirs = (environ.get("XDG_CONFIG_DIRS") or "").strip() or os.path.join(_ETC, "xdg")
        global_files = [os.path.join(d, "pip", name) for d in dirs.split(os.pathsep) if d]
        global_files.append(os.path.join(_ETC, name))
        config_home = (environ.get("XDG_CONFIG_HOME") or "").strip() or os.path.join(
            home, ".config"
        )
        user_files = [os.path.join(home, ".pip", name), os.path.join(config_home, "pip", name)]
    files = list(global_files)
    if not (override and os.path.exists(override)):
        files += user_files
    files.append(os.path.join(prefix, name))
    if override:
        files.append(override)
    return files


def settings(
    environ: Mapping[str, str], platform: str = sys.platform, prefix: str = sys.prefix
) -> Dict[str, Setting]:
    """Option name ("index-url", "cert", "timeout", ...) -> the value pip's ``install``
    command reads from its configuration files, and the file it comes from."""
    merged: Dict[Tuple[str, str], Setting] = {}
    for path in config_files(environ, platform, prefix):
        if os.path.exists(path):
            for section, key, value in _read(path):
                merged[(section, key)] = Setting(value, path)
    chosen: Dict[str, Setting] = {}
    for section in _SECTIONS:
        for (where, key), setting in merged.items():
            if where == section and setting.value.strip():
                chosen[key] = setting
    return chosen


def _read(path: str) -> List[Tuple[str, str, str]]:
    """(section, normalized option, value) of one INI file; DatabaseError naming the file
    (never quoting it) when pip could not read it either."""
    import configparser

    try:
        raw = read_bytes(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise DatabaseError(
            f"cannot read pip's configuration file {path}: {exc.strerror or exc}"
        ) from None
    except InvalidDocument as exc:
        raise DatabaseError(f"pip's configuration file {path} cannot be used: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatabaseError(
            f"pip's configuration file {path} is not UTF-8 text (byte {exc.start})"
        ) from None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        if line is None and isinstance(exc, configparser.ParsingError) and exc.errors:
            line = exc.errors[0][0]
        where = f" (line {line})" if line else ""
        raise DatabaseError(
            f"pip's configuration file {path} is not an INI file pip can read{where}"
        ) from None
    return [
        (section, key.lower().replace("_", "-"), value)
        for section in parser.sections()
        if section in _SECTIONS
        for key, value in parser.items(section)
    ]
