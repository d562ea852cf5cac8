"""Reading project files, once and bounded: the one file reader, the one TOML and JSON
loaders, and :class:`LineIndex`, which finds the line a parsed value was written on.

Only regular files are read (a FIFO, a device or a directory is named, never opened for
reading), up to a size limit, as UTF-8 with or without a BOM. Parse errors become one
:class:`~ddguard.errors.InputError` naming the file and line; an error whose message quotes
the file's content is a :class:`QuotingError`, which the facade redacts for files outside
the project directory.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
import sys
from array import array
from typing import Any, Dict, Optional, Sequence, Set, Tuple

from ddguard.errors import InputError

MIB = 1024 * 1024
TEXT_LIMIT = 8 * MIB  # requirements files (100,000 lines are ~3 MB), Pipfile.lock
DECLARATION_LIMIT = 2 * MIB  # pyproject.toml, Pipfile, setup.cfg, tox.ini: parsed whole
# TOML locks, read by block (a 5,000-package uv.lock is ~5 MB); at worst Python keeps the
# text four bytes a character (one character outside the BMP does it): ~100 MB
LOCK_LIMIT = 24 * MIB
MAX_NESTING = 100  # includes, dependency groups, tox substitutions: deeper is refused

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class QuotingError(InputError):
    """An InputError whose message quotes the content of the file it names."""


def shown(text: str, limit: int = 120) -> str:
    """``text`` quoted for a one-line message: repr (escapes line breaks and control
    characters), cut after ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def detail(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message, cut after ``limit`` characters."""
    lines = str(exc).splitlines()
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= limit else first[:limit] + "..."


def read_text(path: str, limit: int = TEXT_LIMIT) -> str:
    """The text of the regular file ``path``: UTF-8 with or without a BOM (CRLF is left to
    the line splitting), at most ``limit`` bytes."""
    if "\x00" in path:
        raise InputError(f"not a file name: {shown(path)}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    try:
        status = os.fstat(descriptor)
        mode = status.st_mode
        if not stat.S_ISREG(mode):
            what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            if what == "a directory":
                raise InputError("is a directory, not a file", path)
            raise InputError(f"is {what}, not a regular file: ddguard reads only files", path)
        if status.st_size > limit:
            raise InputError(f"larger than {limit // MIB} MiB: not read", path)
        # read what fstat announced (+1 to see growth); a buffer of ``limit`` bytes would
        # cost milliseconds. Size 0 may be a file whose size is unknown (/proc): bounded read
        wanted = status.st_size + 1 if status.st_size else limit + 1
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(wanted)
            if status.st_size and len(data) == wanted <= limit:  # it grew since fstat
                data += handle.read(limit + 1 - len(data))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise InputError(f"larger than {limit // MIB} MiB: not read", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", path, line) from None


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on the older interpreters under tox
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    return tomllib


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")


def load_toml(text: str, path: str, first_line: int = 1) -> Dict[str, Any]:
    """A TOML document; ``first_line`` is the line of ``text``'s start in the file."""
    tomllib = _tomllib()
    try:
        document: Dict[str, Any] = tomllib.loads(text)
        return document
    except RecursionError:
        raise InputError(
            "invalid TOML: arrays or tables nested too deeply",
            path,
            first_line - 1 + deep_line(text),
        ) from None
    except ValueError as exc:  # TOMLDecodeError, and int() refusing thousands of digits
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        if found:
            line: Optional[int] = int(found.group(1))
        elif "at end of document" in message:
            line = text.count("\n") + 1
        else:  # int() refusing a number thousands of digits long
            line = _long_number_line(text)
        what = detail(ValueError(_TOML_WHERE.sub("", message)))
        where = None if line is None else first_line - 1 + line
        raise InputError(f"invalid TOML: {what or 'cannot be read'}", path, where) from None


def load_json(text: str, path: str) -> Any:
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(
            "invalid JSON: arrays or objects nested too deeply",
            path,
            deep_line(text),
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {_json_reason(exc)}", path, exc.lineno) from None
    except ValueError as exc:  # a number with thousands of digits
        raise InputError(f"invalid JSON: {detail(exc)}", path, _long_number_line(text)) from None


def _json_reason(exc: Any) -> str:
    """The decoder's reason, on CPython. PyPy 7.3's decoder can hand back a message whose
    formatting crashes the interpreter (a SystemError from RPython): there, the column."""
    if sys.implementation.name == "cpython":
        return str(exc.msg)
    return f"unexpected text at column {int(exc.colno)}"


def _long_number_line(text: str) -> Optional[int]:
    found = re.search(r"[0-9_]{4000}", text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def deep_line(text: str, depth: int = MAX_NESTING) -> int:
    """The 1-based line where ``[``/``{`` first nest ``depth`` deep (strings are not told
    apart: this only locates a parse that ran out of stack), else the last line."""
    level = 0
    line = 1
    for match in re.finditer(r"[\[{\]}\n]", text):
        char = match.group()
        if char == "\n":
            line += 1
        elif char in "[{":
            level += 1
            if level >= depth:
                return line
        else:
            level -= 1
    return line


def describe(value: Any) -> str:
    """What a parsed value is, for a message (never its repr: it may nest thousands deep)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return "a date or time" if value is not None else "null"


class LineIndex:
    """The line a parsed value was written on, by text search.

    TOML and JSON parsers do not say where a value was written: a reader parses the file,
    then asks for the first line at or after its table header that holds the value as
    written and that no earlier answer claimed (duplicates claim successive lines).
    Searches run in C over the whole text; a value searched again resumes where its last
    search stopped. Hostile files (thousands of values none of which is written as parsed)
    could still make each search scan the file, so the total work is bounded: past the
    budget, a search answers None and the reader falls back to the header's line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = array("q", [0])  # offsets of line starts: 8 bytes a line, not 36
        self.starts.extend(m.end() for m in re.finditer("\n", text))
        self.used: Set[int] = set()  # claimed 0-based lines
        self._headers: Optional[Dict[str, int]] = None
        self._resume: Dict[Tuple[str, int], int] = {}
        self._budget = 64 * len(text) + 4 * MIB

    def line_text(self, number: int) -> str:
        """The 0-based line ``number`` without its line break."""
        end = self.starts[number + 1] - 1 if number + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[number] : end].rstrip("\r")

    def header(self, *names: str) -> int:
        """0-based line of the first ``[name]``/``[[name]]`` header among ``names``, or -1."""
        if self._headers is None:
            found: Dict[str, int] = {}
            for match in re.finditer(r"^[ \t]*\[", self.text, re.M):
                number = bisect.bisect_right(self.starts, match.start()) - 1
                raw = self.line_text(number).split("#", 1)[0]
                key = re.sub(r"\s|\"|'", "", raw).strip("[]")
                found.setdefault(key.lower(), number)
            self._headers = found
        hits = [self._headers[n.lower()] for n in names if n.lower() in self._headers]
        return min(hits) if hits else -1

    def _offset(self, line: int) -> int:
        line = max(line, 0)
        return self.starts[line] if line < len(self.starts) else len(self.text)

    def _search(self, needle: str, start: int, claim: bool) -> Optional[int]:
        if not needle or "\n" in needle:
            return None
        key = (needle, max(start, 0))
        position = self._resume.get(key, self._offset(start))
        while self._budget > 0:
            found = self.text.find(needle, position)
            self._budget -= (found if found >= 0 else len(self.text)) - position + len(needle)
            if found < 0:
                self._resume[key] = len(self.text)
                return None
            number = bisect.bisect_right(self.starts, found) - 1
            if number not in self.used:
                self._resume[key] = self.starts[number]
                if claim:
                    self.used.add(number)
                return number
            position = self._offset(number + 1)
        return None

    def find(self, needles: Sequence[str], start: int = 0, *, claim: bool = True) -> Optional[int]:
        """1-based line of the first unclaimed line at or after ``start`` holding a needle."""
        for needle in needles:
            number = self._search(needle, start, claim)
            if number is not None:
                return number + 1
        return None

    def find_key(self, key: str, start: int = 0) -> Optional[int]:
        """1-based line of the first unclaimed ``key =`` (or ``key.``) line at or after ``start``."""
        pattern = re.compile(r"^[ \t]*[\"']?" + re.escape(key) + r"[\"']?[ \t]*[=.]", re.M)
        position = self._offset(start)
        while self._budget > 0:
            found = pattern.search(self.text, position)
            self._budget -= (found.end() if found else len(self.text)) - position + 1
            if found is None:
                return None
            number = bisect.bisect_right(self.starts, found.start()) - 1
            if number not in self.used:
                self.used.add(number)
                return number + 1
            position = self._offset(number + 1)
        return None

    def entry(
        self,
        value: str,
        headers: Sequence[str],
        key: Optional[str] = None,
        name: str = "ddtrace",
    ) -> int:
        """Line of a string value written under one of ``headers`` (or a top-level table)."""
        start = self.header(*headers) if headers else 0
        line = self.find([value, value.replace('"', '\\"')], start)
        if line is None and key is not None:
            line = self.find_key(key, start)
        if line is None:
            needles = [name, name.lower(), name.upper()]
            line = self.find([*needles, "DDTrace"] if name == "ddtrace" else needles, start)
        if line is None:
            line = start + 1 if start >= 0 else 1
        return line
