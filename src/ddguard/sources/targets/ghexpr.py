"""GitHub Actions matrices (``include``/``exclude`` applied as GitHub does) and ``${{ }}``
expressions, as far as a file alone can evaluate them:
``matrix.*``, ``env.*``, ``inputs.*`` (the caller's value or the input's default) and
``a || 'literal'`` fallbacks. Anything else (``vars``, ``secrets``, ``needs``, functions,
comparisons) is unknown, and a value using it is a variable ddguard cannot see.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from ddguard.model import NoteCode
from ddguard.record import Record
from ddguard.sources.targets.common import Found, Lines, Written
from ddguard.sources.targets.yamltree import Map, Scalar, Seq, Value

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$")
_MAX_DEPTH = 4
MAX_COMBINATIONS = 256  # GitHub's own limit on a matrix

Combination = Dict[str, Value]


class Text(Record):
    value: str
    written: Written  # where the value's literal was written


class _Unknown(Exception):
    """An operand ddguard cannot evaluate."""


class Context:
    """What expressions may read in one job and matrix combination."""

    def __init__(
        self,
        lines: Lines,
        combo: Optional[Combination],  # None: a matrix ddguard cannot see (fromJSON)
        env: Sequence[Map],
        inputs: Map,
        bound: Optional[Dict[str, Optional[Text]]] = None,
    ) -> None:
        self.lines = lines
        self.combo = combo
        self.env = env
        self.inputs = inputs  # the workflow's declared inputs (their defaults)
        self.bound = bound  # the caller's values, when read as a called workflow

    def with_env(self, env: Optional[Map]) -> Context:
        if env is None:
            return self
        return Context(self.lines, self.combo, [env, *self.env], self.inputs, self.bound)

    def resolve(self, scalar: Scalar, depth: int = 0) -> Optional[Text]:
        """The scalar with its expressions replaced; None when one cannot be evaluated."""
        here = self.lines.at(scalar.line)
        if "${{" not in scalar.text:
            return Text(scalar.text, here)
        origins: List[Written] = []

        def replace(match: re.Match[str]) -> str:
            found = self._evaluate(match.group(1), here, depth)
            if found is None:
                return ""
            origins.append(found.written)
            return found.value

        try:
            value = EXPRESSION.sub(replace, scalar.text)
        except _Unknown:
            return None
        return Text(value, origins[0] if len(origins) == 1 else here)

    def _evaluate(self, expression: str, here: Written, depth: int) -> Optional[Text]:
        """The value of one expression as text (None: null)."""
        if depth > _MAX_DEPTH:
            raise _Unknown(expression)
        value = _Parser(expression, self, here, depth).parse()
        if value is None or value.value is None:
            return None
        if isinstance(value.value, bool):
            return Text("true" if value.value else "false", value.written or here)
        return Text(str(value.value), value.written or here)

    def condition(self, scalar: Optional[Scalar]) -> Optional[bool]:
        """An ``if:`` (with or without ``${{ }}``): True/False, None when unknown."""
        if scalar is None:
            return True
        text = scalar.text.strip()
        found = EXPRESSION.fullmatch(text)
        try:
            value = _Parser(
                found.group(1) if found else text, self, self.lines.at(scalar.line), 0
            ).parse()
        except _Unknown:
            return None
        return _truthy(value.value if value is not None else None)

    def _lookup(self, path: str, depth: int) -> Optional[Text]:
        """A context value; None when it is null; _Unknown when it cannot be known."""
        if not _PATH.match(path):
            raise _Unknown(path)
        head, *rest = path.split(".")
        node: Optional[Value] = None
        if head == "matrix" and rest:
            if self.combo is None:
                raise _Unknown(path)
            node = self.combo.get(rest[0])
            for part in rest[1:]:
                node = node.get(part) if isinstance(node, Map) else None
        elif head == "env" and len(rest) == 1:
            node = next((e.get(rest[0]) for e in self.env if e.get(rest[0]) is not None), None)
        elif head == "inputs" and len(rest) == 1:
            if self.bound is not None and rest[0] in self.bound:
                given = self.bound[rest[0]]
                if given is None:
                    raise _Unknown(path)
                return given
            spec = self.inputs.map(rest[0])
            node = spec.get("default") if spec is not None else None
            if node is None and spec is not None and self.bound is None:
                raise _Unknown(path)  # a caller ddguard does not see gives it
        else:
            raise _Unknown(path)
        if node is None:
            return None
        if not isinstance(node, Scalar):
            raise _Unknown(path)
        resolved = self.resolve(node, depth + 1)
        if resolved is None:
            raise _Unknown(path)
        return resolved


def bind(inputs: Optional[Map], context: Context) -> Dict[str, Optional[Text]]:
    """The ``with:`` values a job passes to a called workflow (None: unknown)."""
    bound: Dict[str, Optional[Text]] = {}
    for key, value in inputs.entries if inputs is not None else ():
        bound[key.text] = context.resolve(value) if isinstance(value, Scalar) else None
    return bound


def declared_inputs(on: Optional[Value]) -> Tuple[Map, bool]:
    """``on.workflow_call.inputs`` and ``on.workflow_dispatch.inputs``, and whether the
    workflow can be called by another."""
    entries: List[Tuple[Scalar, Value]] = []
    callable_ = False
    if isinstance(on, Map):
        for trigger in ("workflow_call", "workflow_dispatch"):
            spec = on.map(trigger)
            callable_ = callable_ or (trigger == "workflow_call" and on.key(trigger) is not None)
            declared = spec.map("inputs") if spec is not None else None
            if declared is not None:
                entries.extend(declared.entries)
    return Map(tuple(entries), 0, ""), callable_


def expand(matrix: Optional[Value], lines: Lines, found: Found) -> List[Optional[Combination]]:
    """The matrix combinations, as GitHub forms them; [{}] for no matrix, [None] for one
    ddguard cannot see (``${{ fromJSON(...) }}``)."""
    if matrix is None:
        return [{}]
    if not isinstance(matrix, Map):
        return [None]
    axes = [(k.text, v) for k, v in matrix.entries if k.text not in ("include", "exclude")]
    combos: List[Combination] = [{}] if axes else []
    for name, values in axes:
        items: Sequence[Value] = values.items if isinstance(values, Seq) else ()
        combos = [{**c, name: v} for c in combos for v in items][: MAX_COMBINATIONS + 1]
    exclude = matrix.seq("exclude")
    for entry in exclude.items if exclude is not None else ():
        if isinstance(entry, Map):
            combos = [c for c in combos if not _matches(c, entry)]
    original = {name for name, _ in axes}
    include = matrix.seq("include")
    base = list(combos)
    for entry in include.items if include is not None else ():
        if not isinstance(entry, Map):
            continue
        added = False
        for combo in base:
            if all(
                k.text not in original or k.text not in combo or _same(combo[k.text], v)
                for k, v in entry.entries
            ):
                # an original value is kept (it is equal); added keys may be overwritten
                combo.update({k.text: v for k, v in entry.entries if k.text not in original})
                added = True
        if not added:
            combos.append({k.text: v for k, v in entry.entries})
    if len(combos) > MAX_COMBINATIONS:
        found.note(NoteCode.TARGET_LIMIT, lines.at(matrix.line), f"{MAX_COMBINATIONS} combinations")
        combos = combos[:MAX_COMBINATIONS]
    return list(combos) or [{}]


def _matches(combo: Combination, entry: Map) -> bool:
    return all(k.text in combo and _same(combo[k.text], v) for k, v in entry.entries)


def _same(a: Optional[Value], b: Value) -> bool:
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return a.text.lower() == b.text.lower()
    if isinstance(a, Map) and isinstance(b, Map):
        return all(_same(a.get(k.text), v) for k, v in b.entries)
    return False


class _Value(Record):
    value: object  # str, float, bool or None
    written: Optional[Written]


def _truthy(value: object) -> bool:
    return value not in (None, False, 0, "")


def _loose(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).lower()


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>!(),\[\]])|(?P<path>[A-Za-z_][\w-]*(?:\.[\w*-]+)*))"
)


class _Parser:
    """``||``, ``&&``, ``!``, comparisons and parentheses over literals and context paths
    (GitHub's rules: || and && return an operand, strings compare case-insensitively).
    A function call or an unknown context makes the value unknown."""

    def __init__(self, text: str, context: Context, here: Written, depth: int) -> None:
        self.tokens: List[Tuple[str, str]] = []
        position = 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise _Unknown(text)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.context = context
        self.here = here
        self.depth = depth

    def parse(self) -> Optional[_Value]:
        value = self._or()
        if self.index != len(self.tokens):
            raise _Unknown("trailing tokens")
        return value

    def _peek(self) -> Optional[str]:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def _or(self) -> Optional[_Value]:
        value = self._and()
        while self._peek() == "||":
            self.index += 1
            right = self._and()
            value = value if value is not None and _truthy(value.value) else right
        return value

    def _and(self) -> Optional[_Value]:
        value = self._not()
        while self._peek() == "&&":
            self.index += 1
            right = self._not()
            value = right if value is not None and _truthy(value.value) else value
        return value

    def _not(self) -> Optional[_Value]:
        if self._peek() == "!":
            self.index += 1
            value = self._not()
            return _Value(not _truthy(value.value if value else None), None)
        return self._compare()

    def _compare(self) -> Optional[_Value]:
        left = self._primary()
        operator = self._peek()
        if operator not in ("==", "!=", "<", "<=", ">", ">="):
            return left
        self.index += 1
        right = self._primary()
        a, b = _loose(left.value if left else None), _loose(right.value if right else None)
        if operator in ("==", "!="):
            return _Value((a == b) == (operator == "=="), None)
        raise _Unknown(operator)

    def _primary(self) -> Optional[_Value]:
        if self.index >= len(self.tokens):
            raise _Unknown("missing operand")
        kind, token = self.tokens[self.index]
        self.index += 1
        if token == "(":
            value = self._or()
            if self._peek() != ")":
                raise _Unknown("unbalanced")
            self.index += 1
            return value
        if kind == "str":
            return _Value(token[1:-1].replace("''", "'"), self.here)
        if kind == "num":
            return _Value(float(token), self.here)
        if kind == "path":
            if token in ("null", "true", "false"):
                return _Value({"null": None, "true": True, "false": False}[token], None)
            if self._peek() == "(":
                raise _Unknown(token)  # a function
            found = self.context._lookup(token, self.depth)
            return _Value(found.value, found.written) if found is not None else None
        raise _Unknown(token)
