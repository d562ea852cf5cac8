"""pip's command line, read as pip reads it, with the defaults pip takes from its
configuration files and ``PIP_*`` environment variables: what ``pip install`` (``download``,
``wheel``) was asked to install, and for which interpreter.

pip parses with optparse: general options, then the command, then the command's options
and requirements in any order; long options may be abbreviated to a unique prefix and take
their value after ``=`` or as the next argument; short options combine (``-qU``,
``-rfile``); ``--`` ends the options. Every option of pip 23.2 to 26.2 is known here by
whether it takes a value (``scripts/pip_option_table.py`` prints the table from pip's own
parsers), so no option's value is ever read as a requirement. An option pip added later is
unknown: a value written after it with ``=`` is skipped; without ``=``, the argument after
it may be its value and is not judged. Configuration files are read as INI data, never by
running pip; a file pip cannot read is skipped here (pip reports it).

Stdlib only, no ddguard import: this runs inside pip's process before pip is imported.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, FrozenSet, Iterator, List, Mapping, Optional, Set, Tuple

from ddguard.record import Record


def _table(text: str) -> FrozenSet[str]:
    return frozenset(text.split())


# pip 23.2–26.2, every command that takes requirements (install, download, wheel), and the
# general options (scripts/pip_option_table.py).
_TAKE_VALUE = _table(
    """
    --abi --all-releases --build-constraint --build-option --cache-dir --cert --client-cert
    --config-settings --constraint --default-timeout --dest --destination-dir
    --destination-directory --editable --exists-action --extra-index-url --find-links
    --global-option --group --implementation --index-url --keyring-provider --local-log
    --log --log-file --no-binary --only-binary --only-final --platform --prefix
    --progress-bar --proxy --pypi-url --python --python-version --refresh-package --report
    --requirement --requirements-from-script --resume-retries --retries --root
    --root-user-action --source --source-dir --source-directory --src --target --timeout
    --trusted-host --upgrade-strategy --uploaded-prior-to --use-deprecated --use-feature
    --wheel-dir -C -c -d -e -f -i -r -t -w
    """
)
_FLAGS = _table(
    """
    --break-system-packages --check-build-dependencies --compile --debug
    --disable-pip-version-check --dry-run --force-reinstall --help --ignore-installed
    --ignore-requires-python --isolated --no-build-isolation --no-cache-dir --no-clean
    --no-color --no-compile --no-dependencies --no-deps --no-index --no-input --no-proxy-env
    --no-python-version-warning --no-require-hashes --no-use-pep517 --no-user --no-verify
    --no-warn-conflicts --no-warn-script-location --only-dependencies --only-deps --pre
    --prefer-binary --quiet --require-hashes --require-venv --require-virtualenv --upgrade
    --use-pep517 --user --verbose --version -I -U -V -h -q -v
    """
)
# The options pip accepts before the command name (its main parser).
_GENERAL = _table(
    """
    --cache-dir --cert --client-cert --debug --default-timeout --disable-pip-version-check
    --exists-action --help --isolated --keyring-provider --local-log --log --log-file
    --no-cache-dir --no-color --no-input --no-proxy-env --no-python-version-warning --proxy
    --python --quiet --require-venv --require-virtualenv --resume-retries --retries
    --timeout --trusted-host --use-deprecated --use-feature --verbose --version -V -h -q -v
    """
)
_LONG = sorted(o for o in _TAKE_VALUE | _FLAGS if o.startswith("--"))

# The options that decide what is installed, and for which interpreter: option -> (what
# it sets, how), as pip's option definitions say.
_TRACKED: Dict[str, Tuple[str, str]] = {
    "-r": ("requirements", "append"),
    "--requirement": ("requirements", "append"),
    "-c": ("constraints", "append"),
    "--constraint": ("constraints", "append"),
    "-e": ("editables", "append"),
    "--editable": ("editables", "append"),
    "--group": ("groups", "append"),
    "--pre": ("pre", "true"),
    "--all-releases": ("releases", "yes"),  # pip 26: pre-releases allowed, per package
    "--only-final": ("releases", "no"),
    "--only-binary": ("binary", "yes"),
    "--no-binary": ("binary", "no"),
    "--python-version": ("python_version", "store"),
    "--platform": ("platforms", "append"),
    "--implementation": ("implementation", "store"),
    "--abi": ("abis", "append"),
    "-t": ("target_dir", "store"),
    "--target": ("target_dir", "store"),
    "--prefix": ("prefix", "store"),
    "--user": ("user", "true"),
    "--no-user": ("user", "false"),
    "-U": ("upgrade", "true"),
    "--upgrade": ("upgrade", "true"),
    "--force-reinstall": ("reinstall", "true"),
    "-I": ("ignore_installed", "true"),
    "--ignore-installed": ("ignore_installed", "true"),
    "--only-deps": ("only_deps", "true"),
    "--only-dependencies": ("only_deps", "true"),
    "--python": ("python", "store"),
}
_COMMANDS = ("install", "download", "wheel")
_TRUE = ("y", "yes", "t", "true", "on", "1")  # pip's strtobool
_FALSE = ("n", "no", "f", "false", "off", "0")


class PipCall(Record):
    """What one pip command line (with pip's configuration) asks for."""

    command: str  # install, download or wheel
    requirements: Tuple[str, ...] = ()  # positional arguments, as written
    requirement_files: Tuple[str, ...] = ()  # -r, and `requirement` from configuration
    constraint_files: Tuple[str, ...] = ()
    editables: Tuple[str, ...] = ()
    groups: Tuple[Tuple[str, str], ...] = ()  # --group [path:]name -> (pyproject path, name)
    pre: bool = False  # pre-releases of ddtrace count (--pre, --all-releases)
    only_binary: bool = False  # ddtrace from wheels only (--only-binary)
    no_binary: bool = False  # ddtrace built from source (--no-binary)
    python_version: Optional[str] = None  # the target, pip's flags
    platforms: Tuple[str, ...] = ()
    implementation: Optional[str] = None
    abis: Tuple[str, ...] = ()
    target_dir: Optional[str] = None
    prefix: Optional[str] = None
    user: bool = False
    upgrade: bool = False
    reinstall: bool = False  # --force-reinstall
    ignore_installed: bool = False  # -I
    only_deps: bool = False  # the requirements' dependencies only (pip 26)
    python: Optional[str] = None  # --python PATH (pip re-runs itself under PATH)

    @property
    def names_target(self) -> bool:
        """A target interpreter named with pip's flags instead of this one."""
        return bool(self.python_version or self.platforms or self.implementation or self.abis)

    @property
    def keeps_installed(self) -> bool:
        """pip keeps an installed ddtrace that satisfies the request."""
        return (
            self.command == "install"
            and not (self.upgrade or self.reinstall or self.ignore_installed)
            and not self.target_dir  # --target installs into an empty directory
            and not self.names_target
        )


class _Exclusive:
    """pip's FormatControl / ReleaseControl: two package sets (``yes``/``no``) where
    ``:all:`` covers every package, ``:none:`` empties one, and a name moves between them."""

    def __init__(self) -> None:
        self.yes: Set[str] = set()
        self.no: Set[str] = set()

    def add(self, value: str, yes: bool) -> None:
        target, other = (self.yes, self.no) if yes else (self.no, self.yes)
        names = value.split(",")
        while ":all:" in names:
            other.clear()
            target.clear()
            target.add(":all:")
            del names[: names.index(":all:") + 1]
            if ":none:" not in names:
                return
        for name in names:
            if name == ":none:":
                target.clear()
                continue
            key = _canonical(name)
            other.discard(key)
            target.add(key)

    def decides(self, name: str) -> Optional[bool]:
        if name in self.yes:
            return True
        if name in self.no:
            return False
        if ":all:" in self.yes:
            return True
        if ":all:" in self.no:
            return False
        return None


class _Values:
    """What the options set so far: pip's optparse values for the tracked options."""

    def __init__(self) -> None:
        self.lists: Dict[str, List[str]] = {}
        self.scalars: Dict[str, Optional[str]] = {}
        self.flags: Dict[str, bool] = {}
        self.binary = _Exclusive()
        self.releases = _Exclusive()

    def set(self, option: str, value: Optional[str], from_config: bool) -> None:
        dest, how = _TRACKED[option]
        if how == "append":
            if from_config:  # a configuration value replaces, split on whitespace
                self.lists[dest] = (value or "").split()
            else:
                self.lists.setdefault(dest, []).append(value or "")
        elif how == "store":
            self.scalars[dest] = value
        elif how in ("true", "false"):
            if from_config:  # "yes"/"no" as pip's strtobool reads them
                word = (value or "").lower()
                if word not in _TRUE and word not in _FALSE:
                    return  # pip refuses the value; it says so itself
                self.flags[dest] = word in _TRUE
            else:
                self.flags[dest] = how == "true"
        elif value is not None and not value.startswith("-"):
            (self.binary if dest == "binary" else self.releases).add(value, how == "yes")


def _canonical(name: str) -> str:
    """PEP 503, without importing ``re``: runs of ``-``, ``_``, ``.`` become one ``-``."""
    out: List[str] = []
    for char in name.lower():
        if char in "-_.":
            if out and out[-1] == "-":
                continue
            char = "-"
        out.append(char)
    return "".join(out)


# --- the command line ----------------------------------------------------------------------


def _long_option(text: str, allowed: FrozenSet[str]) -> Optional[str]:
    """optparse's lookup: an exact name, or the one option a prefix abbreviates."""
    if text in allowed:
        return text
    matches = [o for o in _LONG if o.startswith(text) and o in allowed]
    return matches[0] if len(matches) == 1 else None  # none, or ambiguous: pip refuses it


class _Parsed(Record):
    options: List[Tuple[str, Optional[str]]]  # (option, value) in order
    positional: List[str]  # positional arguments (none that may be an unknown option's value)
    unknown: bool  # an option this table does not know (or pip would refuse)


def _parse_options(args: List[str], interspersed: bool, allowed: FrozenSet[str]) -> _Parsed:
    """Split ``args`` as optparse does. Without ``interspersed`` (pip's main parser) the
    first positional argument stops the parse; it and the rest come back as positional."""
    options: List[Tuple[str, Optional[str]]] = []
    positional: List[str] = []
    unknown = False
    doubtful = False  # the previous option was unknown: this argument may be its value
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        was_doubtful, doubtful = doubtful, False
        if arg == "--":
            positional.extend(args[index:])
            break
        if arg[:1] != "-" or arg == "-":
            if not interspersed:
                positional.extend(args[index - 1 :])
                break
            if not was_doubtful:
                positional.append(arg)
            continue
        value: Optional[str]
        if arg[:2] == "--":
            name, equals, written = arg.partition("=")
            option = _long_option(name, allowed)
            if option is None or (equals and option not in _TAKE_VALUE):
                unknown, doubtful = True, not equals
                continue
            value = written if equals else None
            if option in _TAKE_VALUE and not equals:
                value = args[index] if index < len(args) else None
                index += 1
            options.append((option, value))
            continue
        for position in range(1, len(arg)):  # -qU, -rfile, -r file
            option = "-" + arg[position]
            if option not in allowed:
                unknown, doubtful = True, position == len(arg) - 1
                break
            value = None
            if option in _TAKE_VALUE:
                value = arg[position + 1 :]
                if not value:
                    value = args[index] if index < len(args) else None
                    index += 1
                options.append((option, value))
                break
            options.append((option, value))
    return _Parsed(options, positional, unknown)


def read_call(
    args: List[str],
    environ: Optional[Mapping[str, str]] = None,
    config_files: Optional[List[str]] = None,
) -> Optional[PipCall]:
    """What ``pip ARGS`` asks for, when its command is one ddguard judges: ``install``, or
    ``download``/``wheel`` for a target named with ``--python-version``/``--platform``
    (and the like). None for any other command, ``pip --version``, and a command line pip
    itself refuses before its command. ``environ`` defaults to ``os.environ`` and
    ``config_files`` to the files pip reads."""
    environ = os.environ if environ is None else environ
    general = _parse_options(args, interspersed=False, allowed=_GENERAL)
    if general.unknown or not general.positional:
        return None
    command, rest = general.positional[0], general.positional[1:]
    parsed = _parse_options(rest, interspersed=True, allowed=_TAKE_VALUE | _FLAGS)
    said = {option for option, _ in general.options + parsed.options}
    if command not in _COMMANDS or said & {"--version", "-V", "--help", "-h"}:
        return None  # another command, or pip prints its version or help and stops
    isolated = "--isolated" in args
    if config_files is None:
        config_files = pip_config_files(environ, isolated)
    values = _Values()
    for key, setting in _configuration(command, config_files, environ, isolated):
        if "--" + key in _TRACKED:
            values.set("--" + key, setting, from_config=True)
    for option, value in general.options:
        if option in _TRACKED:
            values.set(option, value, from_config=False)
    for option, value in parsed.options:
        if option == "--python":  # pip refuses --python after the command name
            if not environ.get("_PIP_RUNNING_IN_SUBPROCESS"):  # (its own re-run aside)
                return None
        elif option in _TRACKED:
            values.set(option, value, from_config=False)
    call = _call(command, parsed.positional, values)
    if command != "install" and not call.names_target:
        return None
    return call


def _call(command: str, positional: List[str], values: _Values) -> PipCall:
    lists, scalars, flags = values.lists, values.scalars, values.flags
    groups = []
    for text in lists.get("groups", []):
        path, sep, name = text.rpartition(":")
        groups.append((path if sep else "pyproject.toml", name))
    return PipCall(
        command=command,
        requirements=tuple(positional),
        requirement_files=tuple(lists.get("requirements", [])),
        constraint_files=tuple(lists.get("constraints", [])),
        editables=tuple(lists.get("editables", [])),
        groups=tuple(groups),
        pre=bool(flags.get("pre")) or values.releases.decides("ddtrace") is True,
        only_binary=values.binary.decides("ddtrace") is True,
        no_binary=values.binary.decides("ddtrace") is False,
        python_version=scalars.get("python_version") or None,
        platforms=tuple(lists.get("platforms", [])),
        implementation=scalars.get("implementation") or None,
        abis=tuple(lists.get("abis", [])),
        target_dir=scalars.get("target_dir") or None,
        prefix=scalars.get("prefix") or None,
        user=bool(flags.get("user")),
        upgrade=bool(flags.get("upgrade")),
        reinstall=bool(flags.get("reinstall")),
        ignore_installed=bool(flags.get("ignore_installed")),
        only_deps=bool(flags.get("only_deps")),
        python=scalars.get("python") or None,
    )


# --- configuration files and PIP_* variables --------------------------------------------------


_MAX_CONFIG_BYTES = 1 << 20


def pip_config_files(environ: Mapping[str, str], isolated: bool = False) -> List[str]:
    """The files pip reads, lowest priority first (pip's ``Configuration``): global, user
    (unless ``--isolated`` or ``PIP_CONFIG_FILE`` names an existing file), the environment's
    own (``sys.prefix``), ``PIP_CONFIG_FILE``. ``PIP_CONFIG_FILE=/dev/null``: none."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    windows = sys.platform == "win32"
    basename = "pip.ini" if windows else "pip.conf"
    home = os.path.expanduser("~")
    if windows:
        program_data = environ.get("ALLUSERSPROFILE") or environ.get("PROGRAMDATA") or ""
        global_dirs = [os.path.join(program_data, "pip")] if program_data else []
        user_dir = os.path.join(environ.get("APPDATA") or home, "pip")
    elif sys.platform == "darwin":
        global_dirs = ["/Library/Application Support/pip"]
        user_dir = os.path.join(home, "Library", "Application Support", "pip")
        if not os.path.isdir(user_dir):
            user_dir = os.path.join(home, ".config", "pip")
    else:
        xdg_dirs = environ.get("XDG_CONFIG_DIRS", "").strip() or "/etc/xdg"
        global_dirs = [os.path.join(d, "pip") for d in xdg_dirs.split(os.pathsep)] + ["/etc"]
        user_dir = os.path.join(
            environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "pip"
        )
    files = [os.path.join(d, basename) for d in global_dirs]
    if not isolated and not (env_file and os.path.exists(env_file)):
        files.append(os.path.join(home, "pip" if windows else ".pip", basename))
        files.append(os.path.join(user_dir, basename))
    files.append(os.path.join(sys.prefix, basename))
    if env_file:
        files.append(env_file)
    return files


def _configuration(
    command: str, files: List[str], environ: Mapping[str, str], isolated: bool
) -> Iterator[Tuple[str, str]]:
    """(key, value) in pip's order: ``[global]``, then ``[COMMAND]``, then ``PIP_*``
    variables (unless ``--isolated``); a later file overrides an earlier one's key, and
    empty values are dropped."""
    sections: Dict[str, Dict[str, str]] = {"global": {}, command: {}, ":env:": {}}
    for path in files:
        for section, key, value in _read_ini(path):
            if section in sections:
                sections[section][key] = value
    if not isolated:
        for name, value in environ.items():
            if name.startswith("PIP_") and name[4:].lower() not in ("version", "help"):
                sections[":env:"][_config_key(name[4:])] = value
    for section in ("global", command, ":env:"):
        for key, value in sections[section].items():
            if value:
                yield key, value


def _config_key(name: str) -> str:
    key = name.lower().replace("_", "-")
    return key[2:] if key.startswith("--") else key


def _read_ini(path: str) -> List[Tuple[str, str, str]]:
    """(section, key, value) of one configuration file; nothing when it is missing, not a
    regular file, too large, or not INI data pip could read (pip reports that itself)."""
    import configparser
    import locale

    try:
        if not os.path.isfile(path) or os.path.getsize(path) > _MAX_CONFIG_BYTES:
            return []
        parser = configparser.RawConfigParser()
        parser.read(path, encoding=locale.getpreferredencoding(False))
        return [
            (section, _config_key(key), value)
            for section in parser.sections()
            for key, value in parser.items(section)
        ]
    except (OSError, ValueError, configparser.Error):
        return []
