"""One-line version files: ``.python-version`` (pyenv, uv), ``runtime.txt`` (Heroku) and
``.tool-versions`` (asdf, mise). No OS or architecture: they name a Python only."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets.common import Found, Lines, Python, python_words

_NOT_VERSIONS = frozenset({"system", "latest"})


def read_python_version(path: str, text: str) -> Found:
    """Every version named, one or more a line: ``3.12``, ``3.13.1``, ``3.15-dev``,
    ``pypy3.10-7.3.12``, ``3.12/envs/name``; ``system`` and virtualenv names are not
    Pythons."""
    return _read(path, text, TargetKind.PYTHON_VERSION_FILE, _words(text))


def read_runtime_txt(path: str, text: str) -> Found:
    """``python-3.11.6`` (also ``python-3.11`` and a bare ``3.11``)."""
    return _read(path, text, TargetKind.RUNTIME_TXT, _words(text))


def read_tool_versions(path: str, text: str) -> Found:
    """The versions on ``python`` lines: ``python 3.12.1 3.11.7``."""

    def python_lines() -> Iterator[Tuple[int, str]]:
        for number, word_list in _lines(text):
            if word_list and word_list[0] == "python":
                for word in word_list[1:]:
                    yield number, word

    return _read(path, text, TargetKind.TOOL_VERSIONS, python_lines())


def _lines(text: str) -> Iterator[Tuple[int, list]]:  # type: ignore[type-arg]
    for number, raw in enumerate(text.splitlines(), 1):
        yield number, raw.split("#", 1)[0].split()


def _words(text: str) -> Iterator[Tuple[int, str]]:
    for number, word_list in _lines(text):
        for word in word_list:
            yield number, word


def _read(path: str, text: str, kind: TargetKind, words: Iterator[Tuple[int, str]]) -> Found:
    lines = Lines(path, text)
    found = Found()
    for number, word in words:
        python = _version_word(word)
        if python is None:
            continue
        if python.version is None:
            found.note(NoteCode.TARGET_NO_VERSION, lines.at(number), word)
        else:
            found.declare(kind, lines.at(number), python)
    return found


def _version_word(word: str) -> Optional[Python]:
    if word.lower() in _NOT_VERSIONS or word.startswith(("ref:", "path:")):
        return None
    return python_words(word.split("/", 1)[0])
