"""AWS CDK apps in Python: ``Runtime.PYTHON_3_13`` and ``Architecture.ARM_64`` read from
the source text with :func:`ast.parse`. The app is never imported or run.

A runtime passed as ``runtime=`` to a call (``_lambda.Function(...)``) takes that call's
``architecture=``, x86_64 (Lambda's default) when it has none; a runtime written
elsewhere (a constant, ``compatible_runtimes=[...]``) has no architecture.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, Optional

from ddguard.errors import InputError
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets.common import Found, Lines, Python, bounded_version
from ddguard.target import Arch, Implementation, Libc, Os

_RUNTIME = re.compile(r"^PYTHON_(\d+)_(\d+)$")
_ARCHITECTURES = {"ARM_64": Arch.AARCH64, "X86_64": Arch.X86_64}


def mentions_runtime(data: bytes) -> bool:
    return b"PYTHON_3" in data or b"PYTHON_2" in data


def read(path: str, text: str) -> Found:
    lines = Lines(path, text)
    found = Found()
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        raise InputError("not valid Python source", path, getattr(exc, "lineno", None)) from None
    except (RecursionError, MemoryError):
        raise InputError("Python source nested too deeply to read", path) from None
    arch_of: Dict[int, Optional[Arch]] = {}  # id(runtime expression) -> the call's architecture
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            runtime = keywords.get("runtime")
            if runtime is not None:
                arch_of[id(runtime)] = _architecture(keywords.get("architecture"))
    for node in ast.walk(tree):
        version = _runtime_version(node)
        if version is None:
            continue
        python = Python(Implementation.CPYTHON, version, text=f"PYTHON_{version[0]}_{version[1]}")
        found.declare(
            TargetKind.AWS_CDK,
            lines.at(node.lineno),  # type: ignore[attr-defined]
            python,
            os=Os.LINUX,
            arch=arch_of.get(id(node)),
            libc=Libc.GLIBC,
        )
    return found


def _runtime_version(node: ast.AST) -> Optional[tuple]:  # type: ignore[type-arg]
    """``Runtime.PYTHON_3_12``, whatever the module prefix (``_lambda.``, ``lambda_.``)."""
    if isinstance(node, ast.Attribute):
        found = _RUNTIME.match(node.attr)
        if found and _name(node.value) == "Runtime":
            return bounded_version((int(found.group(1)), int(found.group(2))))
    return None


def _architecture(node: Optional[ast.expr]) -> Optional[Arch]:
    if node is None:
        return Arch.X86_64
    if isinstance(node, ast.Attribute) and _name(node.value) == "Architecture":
        return _ARCHITECTURES.get(node.attr)
    return None


def _name(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None
