"""INI-style project files: a small line-keeping INI reader (configparser forgets line
numbers) and setup.cfg (``install_requires``, ``extras_require``, ``setup_requires``,
``tests_require``, ``python_requires``). tox.ini is read by :mod:`ddguard.sources.tox`.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from ddguard.model import Origin, OriginKind, Pin, Scan
from ddguard.sources.interface import Reader
from ddguard.sources.names import DDTRACE, Names
from ddguard.sources.requirement import make_pin
from ddguard.sources.text import DECLARATION_LIMIT, QuotingError, read_text, shown

Entry = Tuple[str, str, List[Tuple[int, str]]]  # section, key, [(line, value line)]


def split_key(line: str) -> Tuple[str, str, str]:
    """``key = value`` or ``key: value`` at the first ``=`` or ``:`` (no regex: a long
    whitespace run must not cost quadratic time)."""
    cut = min((at for at in (line.find("="), line.find(":")) if at >= 0), default=-1)
    if cut < 0:
        return line, "", ""
    return line[:cut].rstrip(), line[cut], line[cut + 1 :].lstrip()


def entries(text: str, path: str, offset: int = 0) -> Iterator[Entry]:
    """(section, key, [(line, value)]) of an INI text whose first line is ``offset + 1``."""
    section: Optional[str] = None
    key: Optional[str] = None
    values: List[Tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), offset + 1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[:1] in (" ", "\t"):
            if key is None:
                raise QuotingError(
                    f"indented line {shown(stripped)} continues no key", path, number
                )
            values.append((number, stripped))
            continue
        if section is not None and key is not None:
            yield section, key, values
        key, values = None, []
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise QuotingError(f"unclosed section header {shown(stripped)}", path, number)
            section = stripped[1:-1].strip()
            continue
        name, sep, value = split_key(stripped)
        if section is None or not sep:
            raise QuotingError(
                f"cannot read line {shown(stripped)} (expected key = value)", path, number
            )
        key = name.strip().lower()
        values = [(number, value)] if value else []
    if section is not None and key is not None:
        yield section, key, values


_SETUP_ORIGINS = {
    "install_requires": Origin(OriginKind.DEPENDENCY),
    "setup_requires": Origin(OriginKind.BUILD_SYSTEM, tool="setuptools"),
    "tests_require": Origin(OriginKind.GROUP, name="tests_require", tool="setuptools"),
}


def read_setup_cfg(path: str, names: Names = DDTRACE) -> Scan:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    text = read_text(path, DECLARATION_LIMIT)
    pins: List[Pin] = []
    python_range = None
    python_text = None
    for section, key, values in entries(text, path):
        if section == "options" and key == "python_requires" and values:
            number, python_text = values[0]
            try:
                python_range = SpecifierSet(python_text)
            except InvalidSpecifier:
                raise QuotingError(
                    f"python_requires {shown(python_text)} is not a valid version range",
                    path,
                    number,
                ) from None
            continue
        if section == "options" and key in _SETUP_ORIGINS:
            origin = _SETUP_ORIGINS[key]
        elif section == "options.extras_require":
            origin = Origin(OriginKind.EXTRA, name=key, tool="setuptools")
        else:
            continue
        for number, value in values:
            pin = make_pin(value, origin._replace(path=path, line=number), names)
            if pin is not None:
                pins.append(pin)
    return Scan(tuple(pins), (), python_range, python_text, (path,))


class SetupCfgReader(Reader):
    def read(self, path: str, names: Names) -> Scan:
        return read_setup_cfg(path, names)


READER = SetupCfgReader()
