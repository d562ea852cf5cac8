"""YAML read with PyYAML's safe composer into small values that keep line numbers.

``yaml`` is imported inside :func:`load` only: importing ddguard (or ddtrace with the
startup hook) never pays for it. Nothing is constructed: custom tags (``!Ref``,
``!reference``) stay scalars or lists with their tag. Aliases are expanded here under a
node budget (a billion-laughs file is refused, not expanded), merge keys (``<<``) are
applied, and a nesting too deep for the composer is one error line.
"""

from __future__ import annotations

import gc
import re
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Set, Tuple, Union

from ddguard.errors import InputError
from ddguard.record import Record

if TYPE_CHECKING:
    from yaml.nodes import Node as YamlNode

MAX_NODES = 200_000  # values a file may expand to, aliases included
MAX_FLOW_DEPTH = 200  # [ and { nesting refused before parsing (the composer recurses)
_BRACKETS = re.compile(r"[\[\]{}]")
_COMPACT_NESTING = re.compile(r"^[ \t]*(?:[-?][ \t]+){%d}" % MAX_FLOW_DEPTH, re.MULTILINE)


class Scalar(Record):
    text: str  # as written, before any YAML typing: 3.10 stays "3.10"
    line: int
    tag: str = ""  # "" for plain and quoted scalars, "!Ref" and the like otherwise
    style: str = ""  # "|" or ">" for block scalars, quotes for quoted ones

    def lines(self) -> List[Tuple[int, str]]:
        """(line, text) of each line of the value: a block scalar starts below its key."""
        first = self.line + 1 if self.style in ("|", ">") else self.line
        return [(first + i, text) for i, text in enumerate(self.text.splitlines())]


class Seq(Record):
    items: Tuple[Value, ...]
    line: int
    tag: str


class Map(Record):
    entries: Tuple[Tuple[Scalar, Value], ...]
    line: int
    tag: str

    def get(self, key: str) -> Optional[Value]:
        for name, value in self.entries:
            if name.text == key:
                return value
        return None

    def key(self, key: str) -> Optional[Scalar]:
        for name, _ in self.entries:
            if name.text == key:
                return name
        return None

    def scalar(self, key: str) -> Optional[Scalar]:
        value = self.get(key)
        return value if isinstance(value, Scalar) else None

    def map(self, key: str) -> Optional[Map]:
        value = self.get(key)
        return value if isinstance(value, Map) else None

    def seq(self, key: str) -> Optional[Seq]:
        value = self.get(key)
        return value if isinstance(value, Seq) else None


Value = Union[Scalar, Seq, Map]


def load(text: str, path: str) -> Optional[Value]:
    """The first document of ``text``; None for an empty file. InputError for YAML that
    does not parse, nests too deeply or expands past :data:`MAX_NODES`."""
    if _flow_depth(text) > MAX_FLOW_DEPTH or _COMPACT_NESTING.search(text):
        raise InputError("YAML nested too deeply to read", path)
    import yaml

    # libyaml's composer recurses in C: the checks above bound its depth (block nesting by
    # indentation cannot pass ~1,500 levels in MAX_BYTES), so it is used when present.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    collecting = gc.isenabled()
    gc.disable()  # the cyclic collector would rescan the growing node graph: 3x slower
    try:
        root = next(iter(yaml.compose_all(text, Loader=loader)), None)
        return None if root is None else _Converter(path).convert(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        raise InputError(
            f"invalid YAML: {problem}", path, mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {type(exc).__name__}", path) from None
    except RecursionError:
        raise InputError("YAML nested too deeply to read", path) from None
    finally:
        if collecting:
            gc.enable()


def _flow_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting, counted without parsing (quotes not honoured: an
    over-count only refuses a file that nests brackets 200 deep inside strings)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


class _Converter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.active: Set[int] = set()

    def convert(self, node: YamlNode) -> Value:
        import yaml

        self.count += 1
        if self.count > MAX_NODES:
            raise InputError(f"YAML expands to more than {MAX_NODES} values (aliases)", self.path)
        line = node.start_mark.line + 1
        tag = node.tag if node.tag.startswith("!") else ""
        if isinstance(node, yaml.ScalarNode):
            return Scalar(str(node.value), line, tag, node.style or "")
        if id(node) in self.active:
            raise InputError("YAML alias refers to itself", self.path, line)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return Seq(tuple(self.convert(item) for item in node.value), line, tag)
            return Map(self._entries(node), line, tag)
        except RecursionError:
            raise InputError("YAML nested too deeply to read", self.path, line) from None
        finally:
            self.active.discard(id(node))

    def _entries(self, node: YamlNode) -> Tuple[Tuple[Scalar, Value], ...]:
        import yaml

        own: Dict[str, Tuple[Scalar, Value]] = {}
        merged: List[Tuple[Scalar, Value]] = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    converted = self.convert(source)
                    if isinstance(converted, Map):
                        merged.extend(converted.entries)
                continue
            name = Scalar(str(key.value), key.start_mark.line + 1)
            own[name.text] = (name, self.convert(value))
        entries = list(own.values())
        seen = set(own)
        for name, value in merged:  # explicit keys win, then earlier merged mappings
            if name.text not in seen:
                seen.add(name.text)
                entries.append((name, value))
        return tuple(entries)


def walk(value: Value) -> Iterator[Value]:
    """Every value under ``value`` (``value`` included), depth first, without recursion."""
    stack: List[Value] = [value]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Seq):
            stack.extend(reversed(current.items))
        elif isinstance(current, Map):
            stack.extend(v for _, v in reversed(current.entries))
