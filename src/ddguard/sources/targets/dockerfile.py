"""Dockerfiles: every build stage whose base image states a Python, the final stage marked.

A small tokenizer, not a regex over the file: parser directives (``# escape=```),
continuation lines, comment lines inside them, BuildKit heredocs, ``ARG`` defaults before
the first ``FROM`` and their ``$VAR``/``${VAR}``/``${VAR:-default}`` substitution in
``FROM [--platform=…] image[:tag][@digest] [AS name]``; ``FROM name`` inherits an earlier
stage. A workflow that builds the file may override ``ARG`` values and the platform
(``docker/build-push-action`` ``build-args`` and ``platforms``).
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.record import Record
from ddguard.sources.targets.common import Found, Lines, Python, Written, oci_platform
from ddguard.sources.targets.images import ImageStatus, classify
from ddguard.target import Arch, Libc, Os

_DIRECTIVE = re.compile(r"^\s*#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_INNER = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^${}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)
_MAX_ROUNDS = 8  # nested ${A:-${B}} substitutions resolved per value


class Instruction(Record):
    keyword: str  # upper case
    args: str  # continuation lines joined
    line: int  # where the instruction starts


def instructions(text: str) -> Iterator[Instruction]:
    """The file's instructions, continuation lines joined, comments and heredoc bodies
    left out."""
    lines = text.splitlines()
    escape = "\\"
    start = 0
    while start < len(lines):
        directive = _DIRECTIVE.match(lines[start])
        if directive is None:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in ("\\", "`"):
            escape = directive.group(2)
        start += 1
    pending: List[str] = []
    first = 0
    heredocs: List[Tuple[str, bool]] = []
    for number in range(start, len(lines)):
        raw = lines[number]
        if heredocs:
            terminator, strip_tabs = heredocs[0]
            if (raw.lstrip("\t") if strip_tabs else raw) == terminator:
                heredocs.pop(0)
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            first = number + 1
        body = raw.rstrip()
        if body.endswith(escape):
            pending.append(body[: -len(escape)])
            continue
        pending.append(body)
        logical = "".join(pending).strip()
        pending = []
        keyword, _, args = logical.partition(" ")
        keyword = keyword.upper()
        if keyword in ("RUN", "COPY", "ADD"):
            heredocs.extend((m.group(3), m.group(1) == "-") for m in _HEREDOC.finditer(args))
        yield Instruction(keyword, args.strip(), first)
    if pending:
        logical = "".join(pending).strip()
        keyword, _, args = logical.partition(" ")
        yield Instruction(keyword.upper(), args.strip(), first)


class Var(Record):
    value: Optional[str]  # None: declared without a default (or automatic)
    origin: Optional[Written]  # where the value was written


Variables = Mapping[str, Var]


def substitute(text: str, variables: Variables) -> Tuple[Optional[str], List[Tuple[str, Written]]]:
    """``text`` with ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:+alt}`` replaced,
    and the (value, origin) of each variable used; None when one has no value."""
    used: List[Tuple[str, Written]] = []
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        var = variables.get(name)
        value = var.value if var is not None else None
        if operator in (":-", "-"):
            if value is None or (operator == ":-" and value == ""):
                return word
        elif operator in (":+", "+"):
            return word if value is not None and (operator == "+" or value != "") else ""
        if value is None:
            missing = True
            return ""
        if var is not None and var.origin is not None:
            used.append((value, var.origin))
        return value

    result = text
    for _ in range(_MAX_ROUNDS):
        replaced = _INNER.sub(replace, result)
        if replaced == result:
            break
        result = replaced
    return (None if missing else result), used


def _split_words(text: str) -> List[str]:
    """Whitespace-separated words, quotes kept together and removed."""
    words: List[str] = []
    current: List[str] = []
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "\"'":
            quote = char
        elif char.isspace():
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


class Platform(Record):
    os: Optional[Os]
    arch: Optional[Arch]
    origin: Optional[Written]  # where it was written, when outside the Dockerfile


class _Stage(Record):
    name: Optional[str]
    at: Written  # its FROM line
    python: Optional[Python]
    written: Optional[Written]  # where the Python version was written
    os: Optional[Os]
    arch: Optional[Arch]
    libc: Optional[Libc]
    platform_origin: Optional[Written]


_AUTOMATIC = ("TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
              "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT")  # fmt: skip


def read(
    path: str,
    text: str,
    *,
    build_args: Optional[Mapping[str, Tuple[str, Written]]] = None,
    platform: Optional[Platform] = None,
    target: Optional[str] = None,
    outside_kind: TargetKind = TargetKind.GITHUB_ACTIONS,
) -> Found:
    """The stages of the Dockerfile at ``path`` (relative to the project root).

    ``build_args`` override ``ARG`` defaults: name -> (value, where it was written);
    ``platform`` is the platform a build asks for; ``target`` the stage it builds.
    Declarations whose Python is written outside the file get ``outside_kind``.
    """
    lines = Lines(path, text)
    found = Found()
    variables: Dict[str, Var] = {name: Var(None, None) for name in _AUTOMATIC}
    if platform is not None and platform.origin is not None and platform.os and platform.arch:
        variables["TARGETPLATFORM"] = Var(
            f"{platform.os.value}/{platform.arch.value}", platform.origin
        )
    overrides = build_args or {}
    stages: List[_Stage] = []
    for instruction in instructions(text):
        at = lines.at(instruction.line)
        if instruction.keyword == "ARG" and not stages:
            _declare_args(instruction.args, at, variables, overrides)
        elif instruction.keyword == "FROM":
            stages.append(_stage(instruction.args, at, variables, stages, platform, found))
    final_index = len(stages) - 1
    if target is not None:
        named = [
            i for i, stage in enumerate(stages) if (stage.name or "").lower() == target.lower()
        ]
        final_index = named[-1] if named else final_index
    for index, stage in enumerate(stages):
        if stage.python is None or stage.written is None:
            continue
        inside = stage.written.path == path
        found.declare(
            TargetKind.DOCKERFILE if inside else outside_kind,
            stage.written,
            stage.python,
            os=stage.os,
            arch=stage.arch,
            libc=stage.libc,
            via=stage.at if stage.platform_origin is None or not inside else stage.platform_origin,
            stage=stage.name,
            final=index == final_index,
        )
    return found


def _declare_args(
    text: str,
    at: Written,
    variables: Dict[str, Var],
    overrides: Mapping[str, Tuple[str, Written]],
) -> None:
    for word in _split_words(text):
        name, sep, default = word.partition("=")
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            continue
        if name in overrides:
            variables[name] = Var(*overrides[name])
        elif not sep:
            variables.setdefault(name, Var(None, at))
        else:
            value, used = substitute(default, variables)
            origin = used[0][1] if len(used) == 1 and used[0][0] == value else at
            variables[name] = Var(value, origin if value is not None else at)


def _stage(
    text: str,
    at: Written,
    variables: Variables,
    stages: List[_Stage],
    build_platform: Optional[Platform],
    found: Found,
) -> _Stage:
    words = text.split()
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    image_text = rest[0] if rest else ""
    name = rest[2] if len(rest) >= 3 and rest[1].lower() == "as" else None
    platform = _platform(flags, variables, build_platform)
    image, used = substitute(image_text, variables)
    empty = _Stage(name, at, None, None, platform.os, platform.arch, None, platform.origin)
    if image is None:
        found.note(NoteCode.TARGET_VARIABLE, at, image_text)
        return empty
    for stage in reversed(stages):
        if stage.name is not None and stage.name.lower() == image.lower():
            return stage._replace(
                name=name,
                at=at,
                os=platform.os or stage.os,
                arch=platform.arch or stage.arch,
                platform_origin=platform.origin or stage.platform_origin,
            )
    facts = classify(image)
    if facts.status is ImageStatus.SCRATCH:
        return empty
    if facts.status is not ImageStatus.PYTHON or facts.python is None:
        code = NoteCode.TARGET_UNKNOWN_IMAGE
        if facts.status is ImageStatus.NO_VERSION:
            code = NoteCode.TARGET_NO_VERSION
        found.note(code, at, image)
        return empty
    version = facts.python.version or ()
    needle = ".".join(str(n) for n in version[:2])
    holders = [origin for value, origin in used if needle and needle in value]
    arch = facts.arch or platform.arch
    if arch is None and facts.lambda_image:
        arch = Arch.X86_64
    return _Stage(
        name,
        at,
        facts.python,
        holders[0] if len(holders) == 1 else at,
        platform.os or facts.os,
        arch,
        facts.libc,
        platform.origin,
    )


def _platform(
    flags: List[str], variables: Variables, build_platform: Optional[Platform]
) -> Platform:
    for flag in flags:
        name, _, value = flag.partition("=")
        if name.lower() != "--platform":
            continue
        resolved, used = substitute(value, variables)
        if resolved is None:
            return Platform(None, None, None)
        os_name, arch = oci_platform(resolved)
        origin = next((o for _, o in used if build_platform and o == build_platform.origin), None)
        return Platform(os_name, arch, origin)
    if build_platform is not None:
        return build_platform
    return Platform(None, None, None)
