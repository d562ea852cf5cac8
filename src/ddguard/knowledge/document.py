"""Reading ddguard's JSON data documents safely: regular files only, bounded in size and
nesting, every shape problem one sentence, every text free of terminal control characters.

Parsers raise :class:`InvalidDocument` with a sentence that does not name the file;
``ddguard.knowledge.load`` names the file and the way out.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any, Dict, List, Optional

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # the shipped snapshot is ~80 KB; a user copy is alike


class InvalidDocument(ValueError):
    """A data document that cannot be used; ``str()`` is one sentence about what is wrong."""


def read_bytes(path: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a regular file, at most ``limit``; OSError as from ``open``, or
    InvalidDocument for a FIFO, a device, a directory or an oversized file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidDocument("it is not a regular file")
        chunks: List[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise InvalidDocument(f"it is larger than {limit // (1024 * 1024)} MB")
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """JSON text as Python values; InvalidDocument (without quoting the text) otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDocument(f"it is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidDocument(
            f"it is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InvalidDocument("it is not valid JSON (nested too deeply)") from None


def read_json(path: str) -> Any:
    return parse_json(read_bytes(path))


# --- shape checks --------------------------------------------------------------------------

_TYPE_WORDS = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def kind_of(value: Any) -> str:
    return _TYPE_WORDS.get(type(value), type(value).__name__)


def expect_object(value: Any, what: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidDocument(f"{what} is {kind_of(value)}, not an object")
    return value


def expect_list(value: Any, what: str) -> List[Any]:
    if not isinstance(value, list):
        raise InvalidDocument(f"{what} is {kind_of(value)}, not a list")
    return value


def expect_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidDocument(f"{what} is {kind_of(value)}, not a string")
    return value


def expect_optional_str(value: Any, what: str) -> Optional[str]:
    if value is None:
        return None
    return expect_str(value, what)


def expect_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidDocument(f"{what} is {kind_of(value)}, not a whole number")
    return value


def field(document: Dict[str, Any], key: str, what: str) -> Any:
    if key not in document:
        raise InvalidDocument(f"{what} has no {key!r}")
    return document[key]


def shown(value: str, limit: int = 40) -> str:
    """A value quoted inside a message: repr, cut to a readable length, no control chars."""
    text = repr(clean_text(value))
    return text if len(text) <= limit else text[: limit - 11] + "…" + text[-10:]


def is_date(text: str) -> bool:
    """``YYYY-MM-DD`` (digits; the calendar is not checked)."""
    return (
        len(text) == 10
        and text[4] == "-"
        and text[7] == "-"
        and text.isascii()
        and text[:4].isdigit()
        and text[5:7].isdigit()
        and text[8:].isdigit()
    )


# --- text from data reaches terminals: no control characters --------------------------------

_SPACE = dict.fromkeys(map(ord, "\t\n\r\x0b\x0c"), " ")
_CONTROLS: Dict[int, Optional[str]] = {
    **dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)]),
    # bidirectional overrides and isolates can reorder what a terminal shows
    **dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
    **_SPACE,
}


def clean_text(text: str) -> str:
    """``text`` without C0/C1 control characters and bidirectional controls (whitespace
    controls become spaces): a yank reason must not move the cursor or recolour a terminal."""
    return text.translate(_CONTROLS) if not text.isprintable() else text
