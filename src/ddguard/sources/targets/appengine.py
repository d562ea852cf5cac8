"""Google App Engine ``app.yaml`` (and other service files): ``runtime: python312`` in the
standard environment; ``runtime: python`` with ``runtime_config`` ``runtime_version`` (or
the older ``python_version``) in the flexible one. Both run Linux with glibc (Ubuntu,
Debian); the architecture is not stated."""

from __future__ import annotations

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets import yamltree
from ddguard.sources.targets.common import Found, Lines, python_words, runtime_words
from ddguard.sources.targets.yamltree import Map
from ddguard.target import Libc, Os


def looks_like_app_engine(head: bytes) -> bool:
    """Cheap routing test for YAML files not named app.yaml (not a parse)."""
    return head.startswith(b"runtime: python") or b"\nruntime: python" in head


def read(path: str, text: str) -> Found:
    lines = Lines(path, text)
    found = Found()
    root = yamltree.load(text, path)
    if not isinstance(root, Map):
        return found
    runtime = root.scalar("runtime")
    if runtime is None:
        return found
    word = runtime.text.strip().lower()
    if word != "python":
        python = runtime_words(word)
        if python is None:
            return found  # not a Python service (go122, nodejs20, custom)
        if python.version is None:
            found.note(NoteCode.TARGET_NO_VERSION, lines.at(runtime.line), runtime.text)
        else:
            found.declare(
                TargetKind.APP_ENGINE, lines.at(runtime.line), python, os=Os.LINUX, libc=Libc.GLIBC
            )
        return found
    config = root.map("runtime_config")
    version = None
    if config is not None:
        version = config.scalar("runtime_version") or config.scalar("python_version")
    if version is None:
        found.note(NoteCode.TARGET_NO_VERSION, lines.at(runtime.line), runtime.text)
        return found
    python = python_words(version.text)
    if python is None or python.version is None:
        found.note(NoteCode.TARGET_NO_VERSION, lines.at(version.line), version.text)
        return found
    found.declare(
        TargetKind.APP_ENGINE, lines.at(version.line), python, os=Os.LINUX, libc=Libc.GLIBC
    )
    return found
