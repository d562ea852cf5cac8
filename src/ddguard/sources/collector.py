"""What the TOML declaration readers (pyproject.toml, Poetry, Pipfile) share: a
:class:`Collector` of pins, notes and the Python range of one document, with typed access
to its tables (a value of the wrong type is an InputError naming its line, never read as
something else)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from ddguard.errors import InputError
from ddguard.model import Note, Origin, Pin, Scan
from ddguard.sources.names import DDTRACE, Names, mentions_any, wanted
from ddguard.sources.requirement import editable_pin, leading_name, make_pin
from ddguard.sources.text import LineIndex, QuotingError, describe, shown

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet


class Collector:
    """Pins, notes and the Python range found in one TOML document."""

    def __init__(self, path: str, text: str, names: Names = DDTRACE) -> None:
        self.path = path
        self.names = names
        self.index = LineIndex(text)
        self.pins: List[Pin] = []
        self.notes: List[Note] = []
        self.python_range: Optional[SpecifierSet] = None
        self.python_range_text: Optional[str] = None

    def scan(self) -> Scan:
        return Scan(
            tuple(self.pins),
            tuple(self.notes),
            self.python_range,
            self.python_range_text,
            (self.path,),
        )

    def key_line(self, key: str, headers: Sequence[str]) -> int:
        start = self.index.header(*headers) if headers else 0
        return self.index.find_key(key, max(start, 0)) or max(start, 0) + 1

    def table(self, parent: Dict[str, Any], key: str, header: str) -> Dict[str, Any]:
        """``parent[key]``, a table ({} when absent)."""
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            line = self.key_line(key, [header] if header else [])
            where = f"[{header}] {key}" if header else f"[{key}]"
            raise InputError(f"{where} must be a table, not {describe(value)}", self.path, line)
        return value

    def wrong(self, what: str, value: Any, key: str, headers: Sequence[str]) -> InputError:
        """A value of the wrong type (``what`` may quote a key of the file)."""
        return QuotingError(
            f"{what}, not {describe(value)}", self.path, self.key_line(key, headers)
        )

    def strings(
        self,
        values: Any,
        key: str,
        headers: Sequence[str],
        origin: Origin,
        tables: bool = False,
    ) -> None:
        """A list of PEP 508 strings (``dependencies = [...]``); with ``tables``, the
        include-group tables a PEP 735 group may hold are left to the caller."""
        if values is None:
            return
        if not isinstance(values, list):
            raise self.wrong(f"{key} must be an array of requirement strings", values, key, headers)
        for value in values:
            if tables and isinstance(value, dict):
                continue
            if not isinstance(value, str):
                line = self.index.entry(key, headers)
                raise InputError(
                    f"{key}: an entry is {describe(value)}, not a requirement string",
                    self.path,
                    line,
                )
            if not mentions_any(value, self.names):
                continue
            if value.lstrip().startswith("-e"):
                line = self.index.entry(value, headers)
                here = origin._replace(path=self.path, line=line)
                pin = editable_pin(value.strip()[2:].strip(), here, self.names)
            else:
                name = leading_name(value.strip())
                if name is not None and not wanted(name, self.names):
                    continue  # mentions a wanted name without naming it: claim no line
                line = self.index.entry(value, headers, name=name or "ddtrace")
                pin = make_pin(value, origin._replace(path=self.path, line=line), self.names)
            if pin is not None:
                self.pins.append(pin)

    def set_python(
        self,
        text: Any,
        headers: Sequence[str],
        key: str,
        translate: Optional[Callable[[str], str]] = None,
    ) -> None:
        """The project's Python range; ``translate`` turns another syntax (Poetry's) into
        PEP 440, and a ``||`` union gives no single range."""
        if text is None:
            return
        if not isinstance(text, str):
            raise self.wrong(f"{key} must be a string", text, key, headers)
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            if translate is not None and "||" in text:
                for part in text.split("||"):
                    SpecifierSet(translate(part))
                return
            spec = SpecifierSet(translate(text) if translate else text)
        except (InvalidSpecifier, ValueError):
            line = self.index.header(*headers) + 1
            found = self.index.find([text], max(line - 1, 0), claim=False)
            raise QuotingError(
                f"{key} {shown(text)} is not a valid version range", self.path, found or line
            ) from None
        if self.python_range is None:
            self.python_range = spec
            self.python_range_text = text
