"""Where things are written in a TOML document: a small parser that keeps offsets.

``tomllib`` says what a document means, not where: this parser walks the text once (the
document has been checked with ``tomllib`` first) and records each key/value pair of the
tables with the offsets of its key and value, arrays and inline tables with their items,
and strings with their quoting. Nothing here changes text.
"""

from __future__ import annotations

import bisect
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

from ddguard.errors import InputError
from ddguard.record import Record

MAX_DEPTH = 100  # arrays and inline tables nested deeper are refused (no dependency table is)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[0-9A-Za-z_+\-.:]+(?: [0-9][0-9:.+\-Z]*)?")
_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "e": "\x1b",
}


class Node(Record):
    """A value: ``kind`` is "string", "array", "table" (inline) or "scalar"."""

    kind: str
    start: int
    end: int
    quote: str = ""  # strings: '"', "'", '"""' or "'''"
    items: Tuple[Node, ...] = ()  # arrays
    pairs: Tuple[Pair, ...] = ()  # inline tables


class Pair(Record):
    key: Tuple[str, ...]  # a dotted key, one element per part
    start: int  # the key
    value: Node


class Entry(Record):
    """A key/value pair of a table (``table`` is the header's key, () before any header)."""

    table: Tuple[str, ...]
    pair: Pair


class Header(Record):
    key: Tuple[str, ...]
    start: int
    end: int


class Document(Record):
    text: str
    entries: Tuple[Entry, ...]
    headers: Tuple[Header, ...]
    line_starts: Tuple[int, ...]

    def line_of(self, offset: int) -> int:
        """1-based line of an offset (TOML counts lines by ``\\n``)."""
        return bisect.bisect_right(self.line_starts, offset)

    def line_span(self, number: int) -> Tuple[int, int]:
        start = self.line_starts[number - 1]
        end = self.line_starts[number] if number < len(self.line_starts) else len(self.text)
        return start, end


def load(text: str, path: str) -> Dict[str, Any]:
    """What the document means, or InputError naming the line."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on the older interpreters under tox
        import tomli as tomllib
    try:
        loaded: Dict[str, Any] = tomllib.loads(text)
        return loaded
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        raise InputError("invalid TOML", path, int(found.group(1)) if found else None) from None
    except RecursionError:
        raise InputError("TOML nested too deeply", path) from None


def parse(text: str, path: str) -> Document:
    """Offsets of the tables' pairs. ``text`` must be valid TOML (see :func:`load`)."""
    parser = _Parser(text, path)
    parser.document()
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    return Document(text, tuple(parser.entries), tuple(parser.headers), tuple(starts))


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 0
        self.entries: List[Entry] = []
        self.headers: List[Header] = []

    def fail(self, message: str) -> InputError:
        return InputError(message, self.path, self.text.count("\n", 0, self.pos) + 1)

    def document(self) -> None:
        table: Tuple[str, ...] = ()
        text = self.text
        while True:
            self.skip(newlines=True)
            if self.pos >= len(text):
                return
            start = self.pos
            if text[self.pos] == "[":
                double = text.startswith("[[", self.pos)
                self.pos += 2 if double else 1
                self.skip()
                table = self.key()
                self.skip()
                close = "]]" if double else "]"
                if not text.startswith(close, self.pos):
                    raise self.fail("unclosed table header")
                self.pos += len(close)
                self.headers.append(Header(table, start, self.pos))
                continue
            key = self.key()
            self.skip()
            if not text.startswith("=", self.pos):
                raise self.fail("expected '=' after a key")
            self.pos += 1
            self.skip()
            self.entries.append(Entry(table, Pair(key, start, self.value(0))))

    def skip(self, newlines: bool = False) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def key(self) -> Tuple[str, ...]:
        parts: List[str] = []
        while True:
            self.skip()
            char = self.text[self.pos : self.pos + 1]
            if char in ('"', "'"):
                node = self.string()
                parts.append(string_value(self.text, node))
            else:
                found = _BARE_KEY.match(self.text, self.pos)
                if found is None:
                    raise self.fail("expected a key")
                parts.append(found.group(0))
                self.pos = found.end()
            self.skip()
            if not self.text.startswith(".", self.pos):
                return tuple(parts)
            self.pos += 1

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail("values nested too deeply")
        text = self.text
        char = text[self.pos : self.pos + 1]
        if char in ('"', "'"):
            return self.string()
        if char == "[":
            return self.array(depth)
        if char == "{":
            return self.table(depth)
        found = _SCALAR.match(text, self.pos)
        if found is None:
            raise self.fail("expected a value")
        self.pos = found.end()
        return Node("scalar", found.start(), found.end())

    def string(self) -> Node:
        text = self.text
        start = self.pos
        for quote in ('"""', "'''", '"', "'"):
            if text.startswith(quote, start):
                break
        self.pos = start + len(quote)
        escapes = quote[0] == '"'
        while True:
            if self.pos >= len(text):
                raise self.fail("unterminated string")
            char = text[self.pos]
            if escapes and char == "\\":
                self.pos += 2
                continue
            if len(quote) == 1 and char == "\n":
                raise self.fail("newline in a string")
            if text.startswith(quote, self.pos):
                self.pos += len(quote)
                if len(quote) == 3:  # up to two more quotes belong to the content
                    extra = 0
                    while extra < 2 and text.startswith(quote[0], self.pos):
                        self.pos += 1
                        extra += 1
                return Node("string", start, self.pos, quote)
            self.pos += 1

    def array(self, depth: int) -> Node:
        start = self.pos
        self.pos += 1
        items: List[Node] = []
        while True:
            self.skip(newlines=True)
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return Node("array", start, self.pos, items=tuple(items))
            items.append(self.value(depth + 1))
            self.skip(newlines=True)
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise self.fail("expected ',' or ']' in an array")

    def table(self, depth: int) -> Node:
        start = self.pos
        self.pos += 1
        pairs: List[Pair] = []
        while True:
            self.skip(newlines=True)
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return Node("table", start, self.pos, pairs=tuple(pairs))
            key_start = self.pos
            key = self.key()
            self.skip()
            if not self.text.startswith("=", self.pos):
                raise self.fail("expected '=' in an inline table")
            self.pos += 1
            self.skip()
            pairs.append(Pair(key, key_start, self.value(depth + 1)))
            self.skip(newlines=True)
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("}", self.pos):
                raise self.fail("expected ',' or '}' in an inline table")


def string_value(text: str, node: Node) -> str:
    """The value of a one-line string node."""
    return decode(text, node)[0]


def decode(text: str, node: Node) -> Tuple[str, List[int]]:
    """A one-line string's value, and for each of its characters (and its end) the offset
    in ``text`` where that character is written (an escape counts as one character)."""
    body_start, body_end = node.start + len(node.quote), node.end - len(node.quote)
    if node.quote == "'":
        return text[body_start:body_end], list(range(body_start, body_end + 1))
    if node.quote != '"':
        raise ValueError("multi-line strings are not decoded here")
    chars: List[str] = []
    offsets: List[int] = []
    pos = body_start
    while pos < body_end:
        offsets.append(pos)
        char = text[pos]
        if char != "\\":
            chars.append(char)
            pos += 1
            continue
        code = text[pos + 1]
        if code in _ESCAPES:
            chars.append(_ESCAPES[code])
            pos += 2
        elif code in "uU":
            size = 4 if code == "u" else 8
            chars.append(chr(int(text[pos + 2 : pos + 2 + size], 16)))
            pos += 2 + size
        elif code == "x":
            chars.append(chr(int(text[pos + 2 : pos + 4], 16)))
            pos += 4
        else:  # pragma: no cover - tomllib refused the document already
            raise ValueError(f"unknown escape \\{code}")
    offsets.append(body_end)
    return "".join(chars), offsets


def encode(value: str, quote: str) -> Optional[str]:
    """``value`` as the body of a one-line string quoted with ``quote``; None when a
    literal string cannot hold it."""
    if quote == "'":
        if "'" in value or any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
            return None
        return value
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\u{ord(char):04X}" if char != "\t" else "\\t")
        else:
            out.append(char)
    return "".join(out)


def differences(old: Any, new: Any) -> List[Tuple[Tuple[Any, ...], Any, Any]]:
    """Where two loaded documents differ: the outermost differing values, with their paths
    (tables and arrays of the same length are compared item by item)."""
    found: List[Tuple[Tuple[Any, ...], Any, Any]] = []
    todo: List[Tuple[Tuple[Any, ...], Any, Any]] = [((), old, new)]
    while todo:
        path, a, b = todo.pop()
        if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
            todo.extend(((*path, k), a[k], b[k]) for k in a)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            todo.extend(((*path, i), x, y) for i, (x, y) in enumerate(zip(a, b)))
        elif type(a) is not type(b) or a != b:
            found.append((path, a, b))
    return found
