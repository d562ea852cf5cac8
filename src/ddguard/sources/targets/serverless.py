"""AWS Lambda functions declared in AWS SAM / CloudFormation templates and in Serverless
Framework ``serverless.yml``.

Lambda runs Amazon Linux (glibc) on x86_64 unless the function states ``arm64``
(``Architectures``, ``architecture``): the default is the platform's, not a guess. A
``Runtime: !Ref Param`` reads the parameter's ``Default``; ``${self:...}`` and the quoted
fallback of ``${env:X, 'python3.12'}`` are read in serverless.yml; any other variable is
a note. Container-image functions (``PackageType: Image``) have no runtime here.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets import yamltree
from ddguard.sources.targets.common import Found, Lines, Written, arch_word, runtime_words
from ddguard.sources.targets.yamltree import Map, Scalar, Seq, Value
from ddguard.target import Arch, Libc, Os

_FUNCTIONS = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_LAYERS = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
_SLS_VARIABLE = re.compile(r"\$\{([^{}]*)\}")


def looks_like_cloudformation(head: bytes) -> bool:
    """Cheap routing test on the start of a YAML or JSON file (not a parse)."""
    return (
        b"AWSTemplateFormatVersion" in head
        or b"AWS::Serverless" in head
        or (b"AWS::Lambda::" in head)
    )


# --- SAM / CloudFormation ---------------------------------------------------------------


def read_template(path: str, text: str) -> Found:
    lines = Lines(path, text)
    found = Found()
    root = yamltree.load(text, path)
    if not isinstance(root, Map):
        return found
    resources = root.map("Resources")
    if resources is None:
        return found
    transform = root.get("Transform")
    words = (
        [transform]
        if isinstance(transform, Scalar)
        else list(transform.items)
        if isinstance(transform, Seq)
        else []
    )
    sam = any(isinstance(w, Scalar) and w.text.startswith("AWS::Serverless") for w in words)
    kind = TargetKind.AWS_SAM if sam else TargetKind.CLOUDFORMATION
    parameters = root.map("Parameters")
    globals_ = root.map("Globals")
    global_function = globals_.map("Function") if globals_ is not None else None
    for _, resource in resources.entries:
        if not isinstance(resource, Map):
            continue
        type_ = resource.scalar("Type")
        properties = resource.map("Properties") or Map((), resource.line, "")
        if type_ is None:
            continue
        if type_.text in _FUNCTIONS:
            inherits = global_function if type_.text == "AWS::Serverless::Function" else None
            _function(properties, inherits, parameters, lines, kind, found)
        elif type_.text in _LAYERS:
            _layer(properties, parameters, lines, kind, found)
    return found


def _function(
    properties: Map,
    inherits: Optional[Map],
    parameters: Optional[Map],
    lines: Lines,
    kind: TargetKind,
    found: Found,
) -> None:
    package = properties.scalar("PackageType")
    if package is not None and package.text == "Image":
        return
    runtime = properties.get("Runtime")
    if runtime is None and inherits is not None:
        runtime = inherits.get("Runtime")
    if runtime is None:
        return
    architectures = properties.get("Architectures")
    if architectures is None and inherits is not None:
        architectures = inherits.get("Architectures")
    arch = Arch.X86_64
    if architectures is not None:
        first = (
            architectures.items[0]
            if isinstance(architectures, Seq) and architectures.items
            else architectures
        )
        resolved_arch = (
            _cfn_value(first, parameters, lines) if isinstance(first, (Scalar, Map)) else None
        )
        arch = arch_word(resolved_arch[0]) if resolved_arch else None  # type: ignore[assignment]
    _runtime(runtime, parameters, lines, kind, arch, found)


def _layer(
    properties: Map, parameters: Optional[Map], lines: Lines, kind: TargetKind, found: Found
) -> None:
    runtimes = properties.seq("CompatibleRuntimes")
    architectures = properties.seq("CompatibleArchitectures")
    arches: List[Optional[Arch]] = [None]
    if architectures is not None:
        arches = [arch_word(a.text) for a in architectures.items if isinstance(a, Scalar)] or [None]
    for runtime in runtimes.items if runtimes is not None else ():
        for arch in arches:
            _runtime(runtime, parameters, lines, kind, arch, found)


def _runtime(
    value: Value,
    parameters: Optional[Map],
    lines: Lines,
    kind: TargetKind,
    arch: Optional[Arch],
    found: Found,
) -> None:
    at = lines.at(value.line)
    resolved = _cfn_value(value, parameters, lines) if isinstance(value, (Scalar, Map)) else None
    if resolved is None:
        found.note(NoteCode.TARGET_VARIABLE, at, _shown(value))
        return
    python = runtime_words(resolved[0])
    if python is None:
        return
    if python.version is None:
        found.note(NoteCode.TARGET_NO_VERSION, resolved[1], resolved[0])
        return
    found.declare(kind, resolved[1], python, os=Os.LINUX, arch=arch, libc=Libc.GLIBC, via=at)


def _cfn_value(
    value: Value, parameters: Optional[Map], lines: Lines
) -> Optional[Tuple[str, Written]]:
    """A literal, or a ``!Ref``/``{Ref: }`` to a parameter with a ``Default``."""
    name: Optional[str] = None
    if isinstance(value, Scalar):
        if not value.tag:
            return value.text, lines.at(value.line)
        if value.tag == "!Ref":
            name = value.text
    elif isinstance(value, Map) and len(value.entries) == 1 and value.scalar("Ref") is not None:
        name = value.scalar("Ref").text  # type: ignore[union-attr]
    parameter = parameters.map(name) if parameters is not None and name else None
    default = parameter.scalar("Default") if parameter is not None else None
    if default is None:
        return None
    return default.text, lines.at(default.line)


def _shown(value: Value) -> str:
    if isinstance(value, Scalar):
        return f"{value.tag} {value.text}".strip()
    return value.tag or type(value).__name__


# --- Serverless Framework -----------------------------------------------------------------


def read_serverless(path: str, text: str) -> Found:
    lines = Lines(path, text)
    found = Found()
    root = yamltree.load(text, path)
    if not isinstance(root, Map):
        return found
    provider = root.map("provider") or Map((), 1, "")
    name = provider.scalar("name")
    aws = name is None or name.text.strip().lower() == "aws"
    functions = root.map("functions")
    entries = [f for _, f in functions.entries if isinstance(f, Map)] if functions else []
    if not entries:
        entries = [Map((), provider.line, "")]
    for function in entries:
        if function.get("image") is not None:
            continue
        runtime = function.get("runtime") or provider.get("runtime")
        if not isinstance(runtime, Scalar):
            continue
        architecture = function.get("architecture") or provider.get("architecture")
        arch: Optional[Arch] = Arch.X86_64 if aws else None
        if isinstance(architecture, Scalar):
            resolved_arch = _sls_value(architecture, root, lines)
            arch = arch_word(resolved_arch[0]) if resolved_arch else None
        at = lines.at(runtime.line)
        resolved = _sls_value(runtime, root, lines)
        if resolved is None:
            found.note(NoteCode.TARGET_VARIABLE, at, runtime.text)
            continue
        python = runtime_words(resolved[0])
        if python is None:
            continue
        if python.version is None:
            found.note(NoteCode.TARGET_NO_VERSION, resolved[1], resolved[0])
            continue
        found.declare(
            TargetKind.SERVERLESS,
            resolved[1],
            python,
            os=Os.LINUX if aws else None,
            arch=arch,
            libc=Libc.GLIBC if aws else None,
            via=at,
        )
    return found


def _sls_value(
    scalar: Scalar, root: Map, lines: Lines, depth: int = 0
) -> Optional[Tuple[str, Written]]:
    """A literal, ``${self:a.b}`` (read in this file) or the quoted fallback of
    ``${env:X, 'python3.12'}``; None for anything ddguard cannot see."""
    found = _SLS_VARIABLE.fullmatch(scalar.text.strip())
    if found is None:
        if "${" in scalar.text:
            return None
        return scalar.text, lines.at(scalar.line)
    if depth > 4:
        return None
    sources = [s.strip() for s in found.group(1).split(",")]
    for source in sources:
        if source[:1] in ("'", '"') and source[-1:] == source[:1] and len(source) >= 2:
            return source[1:-1], lines.at(scalar.line)
        if source.startswith("self:"):
            value: Optional[Value] = root
            for part in source[len("self:") :].split("."):
                value = value.get(part) if isinstance(value, Map) else None
            if isinstance(value, Scalar):
                return _sls_value(value, root, lines, depth + 1)
    return None
