"""Terraform: Lambda functions (``aws_lambda_function``, a ``module`` with a ``runtime``
such as terraform-aws-modules/lambda), Lambda layers and Google Cloud Functions.

A small HCL reader (comments, strings with ``${}``, heredocs, nested blocks) keeps each
block's attributes with their lines. ``var.X`` reads the ``default`` of variable X and
``local.X`` the local X from the ``.tf`` files of the same directory (the module); a
value ddguard cannot see (no default, a tfvars file, a function call) is a note.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

from ddguard.errors import InputError
from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.record import Record
from ddguard.sources.targets.common import Found, Lines, Written, arch_word, runtime_words
from ddguard.target import Arch, Libc, Os

_MAX_DEPTH = 64
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_REFERENCE = re.compile(r"^(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)$")


class Attribute(Record):
    name: str
    expression: str  # as written, comments removed
    line: int


class Block(Record):
    type: str
    labels: Tuple[str, ...]
    attributes: Tuple[Attribute, ...]
    blocks: Tuple[Block, ...]
    line: int

    def attribute(self, name: str) -> Optional[Attribute]:
        return next((a for a in self.attributes if a.name == name), None)


class _Source(Record):
    path: str
    lines: Lines
    blocks: Tuple[Block, ...]


def parse(text: str, path: str) -> Tuple[Block, ...]:
    """The top-level blocks of an HCL file; InputError for one that does not parse."""
    return _Parser(_strip_comments(text, path), path).body(0)[0]


def _strip_comments(text: str, path: str) -> str:
    """``text`` with comments blanked (newlines kept, so lines stay true)."""
    out: List[str] = []
    i, n = 0, len(text)
    quote = False
    heredoc: Optional[str] = None
    while i < n:
        if heredoc is not None:
            end = text.find("\n", i)
            end = n if end < 0 else end + 1
            line = text[i:end]
            out.append(line)
            if line.strip() == heredoc:
                heredoc = None
            i = end
            continue
        char = text[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if char == '"' or char == "\n":
                quote = False
            i += 1
            continue
        if char == '"':
            quote = True
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise InputError("unterminated /* comment", path, text.count("\n", 0, i) + 1)
            out.append(re.sub(r"[^\n]", " ", text[i : end + 2]))
            i = end + 2
            continue
        elif text.startswith("<<", i):
            found = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)", text[i:])
            if found:
                heredoc = found.group(1)
                end = text.find("\n", i)
                end = n if end < 0 else end + 1
                out.append(text[i:end])
                i = end
                continue
        out.append(char)
        i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 0

    def line(self, pos: Optional[int] = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def fail(self, message: str) -> InputError:
        return InputError(f"invalid HCL: {message}", self.path, self.line())

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def body(self, depth: int) -> Tuple[Tuple[Block, ...], Tuple[Attribute, ...]]:
        if depth > _MAX_DEPTH:
            raise self.fail("blocks nested too deeply")
        blocks: List[Block] = []
        attributes: List[Attribute] = []
        while True:
            self.skip_space()
            if self.pos >= len(self.text) or self.text[self.pos] == "}":
                return tuple(blocks), tuple(attributes)
            start = self.pos
            ident = _IDENT.match(self.text, self.pos)
            if ident is None:
                raise self.fail(f"unexpected {self.text[self.pos]!r}")
            self.pos = ident.end()
            self.skip_inline()
            if self.text.startswith("=", self.pos) and not self.text.startswith("==", self.pos):
                self.pos += 1
                attributes.append(
                    Attribute(ident.group(0), self.expression().strip(), self.line(start))
                )
                continue
            labels: List[str] = []
            while self.pos < len(self.text) and self.text[self.pos] != "{":
                label = re.match(
                    r'"((?:[^"\\\n]|\\.)*)"|([A-Za-z_][A-Za-z0-9_-]*)', self.text[self.pos :]
                )
                if label is None:
                    raise self.fail("expected a block label or '{'")
                labels.append(label.group(1) if label.group(1) is not None else label.group(2))
                self.pos += label.end()
                self.skip_inline()
            if self.pos >= len(self.text):
                raise self.fail("block without '{'")
            self.pos += 1
            inner_blocks, inner_attributes = self.body(depth + 1)
            if self.pos >= len(self.text):
                raise InputError("invalid HCL: unclosed block", self.path, self.line(start))
            self.pos += 1
            blocks.append(
                Block(
                    ident.group(0), tuple(labels), inner_attributes, inner_blocks, self.line(start)
                )
            )

    def skip_inline(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def expression(self) -> str:
        """Up to the end of the line, or past the closing bracket of a multi-line value."""
        start = self.pos
        depth = 0
        quote = False
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if quote:
                if char == "\\":
                    self.pos += 1
                elif char == '"':
                    quote = False
            elif char == '"':
                quote = True
            elif char in "([{":
                depth += 1
                if depth > _MAX_DEPTH:
                    raise self.fail("expression nested too deeply")
            elif char in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif char == "\n" and depth == 0:
                if text.startswith("<<", start) or re.match(r"\s*<<", text[start : self.pos]):
                    heredoc = re.match(r"\s*<<-?([A-Za-z_][A-Za-z0-9_]*)", text[start : self.pos])
                    if heredoc is not None:
                        end = re.compile(r"^\s*" + re.escape(heredoc.group(1)) + r"\s*$", re.M)
                        closing = end.search(text, self.pos + 1)
                        self.pos = closing.end() if closing else len(text)
                        return text[start : self.pos]
                break
            self.pos += 1
        return text[start : self.pos]


def read_module(files: Sequence[Tuple[str, str]]) -> Found:
    """The ``.tf`` files of one directory: (relative path, text) each."""
    found = Found()
    sources = [_Source(path, Lines(path, text), parse(text, path)) for path, text in files]
    variables: Dict[str, Tuple[str, Written]] = {}
    locals_: Dict[str, Tuple[str, Written]] = {}
    for source in sources:
        for block in source.blocks:
            if block.type == "variable" and block.labels:
                default = block.attribute("default")
                if default is not None:
                    variables[block.labels[0]] = (default.expression, source.lines.at(default.line))
            elif block.type == "locals":
                for attribute in block.attributes:
                    locals_[attribute.name] = (
                        attribute.expression,
                        source.lines.at(attribute.line),
                    )
    scope = {"var": variables, "local": locals_}
    for source in sources:
        for block in source.blocks:
            _block(block, source.lines, scope, found)
    return found


def _block(
    block: Block, lines: Lines, scope: Dict[str, Dict[str, Tuple[str, Written]]], found: Found
) -> None:
    kind = block.labels[0] if block.type == "resource" and block.labels else ""
    if kind == "aws_lambda_function" or block.type == "module":
        package = block.attribute("package_type")
        if package is not None and "image" in package.expression.lower():
            return
        runtime = block.attribute("runtime")
        if runtime is None:
            return
        arch: Optional[Arch] = Arch.X86_64
        architectures = block.attribute("architectures")
        if architectures is not None:
            words = _strings(architectures.expression, scope, lines.at(architectures.line))
            arch = arch_word(words[0][0]) if words else None
        _runtime(
            runtime, lines, scope, found, Os.LINUX, arch, Libc.GLIBC, quiet=block.type == "module"
        )
    elif kind == "aws_lambda_layer_version":
        runtimes = block.attribute("compatible_runtimes")
        architectures = block.attribute("compatible_architectures")
        arches: List[Optional[Arch]] = [None]
        if architectures is not None:
            written = lines.at(architectures.line)
            arches = [arch_word(w) for w, _ in _strings(architectures.expression, scope, written)]
            arches = arches or [None]
        if runtimes is not None:
            for word, written in _strings(runtimes.expression, scope, lines.at(runtimes.line)):
                for arch in arches:
                    _declare(
                        word, written, lines.at(runtimes.line), found, Os.LINUX, arch, Libc.GLIBC
                    )
    elif kind.startswith("google_cloudfunctions"):
        runtime = block.attribute("runtime")
        if runtime is None:
            config = next((b for b in block.blocks if b.type == "build_config"), None)
            runtime = config.attribute("runtime") if config is not None else None
        if runtime is not None:
            _runtime(runtime, lines, scope, found, Os.LINUX, None, None, quiet=False)


def _runtime(
    runtime: Attribute,
    lines: Lines,
    scope: Dict[str, Dict[str, Tuple[str, Written]]],
    found: Found,
    os: Os,
    arch: Optional[Arch],
    libc: Optional[Libc],
    quiet: bool,
) -> None:
    at = lines.at(runtime.line)
    words = _strings(runtime.expression, scope, at)
    if not words:
        if not quiet or "python" in runtime.expression or _REFERENCE.match(runtime.expression):
            found.note(NoteCode.TARGET_VARIABLE, at, runtime.expression)
        return
    _declare(words[0][0], words[0][1], at, found, os, arch, libc)


def _declare(
    word: str, written: Written, at: Written, found: Found,
    os: Os, arch: Optional[Arch], libc: Optional[Libc],
) -> None:  # fmt: skip
    python = runtime_words(word)
    if python is None:
        return
    if python.version is None:
        found.note(NoteCode.TARGET_NO_VERSION, written, word)
        return
    found.declare(TargetKind.TERRAFORM, written, python, os=os, arch=arch, libc=libc, via=at)


def _strings(
    expression: str,
    scope: Dict[str, Dict[str, Tuple[str, Written]]],
    at: Optional[Written] = None,
    depth: int = 0,
) -> List[Tuple[str, Written]]:
    """The string values of a literal, a list literal, ``var.X`` or ``local.X`` (each
    with where it was written); [] when it is anything else."""
    text = expression.strip()
    reference = _REFERENCE.match(text)
    if reference is not None and depth < 4:
        value = scope[reference.group(1)].get(reference.group(2))
        return _strings(value[0], scope, value[1], depth + 1) if value is not None else []
    if text.startswith("[") and text.endswith("]"):
        items = [i.strip() for i in text[1:-1].split(",") if i.strip()]
        out: List[Tuple[str, Written]] = []
        for item in items:
            out.extend(_strings(item, scope, at, depth + 1))
        return out if len(out) == len(items) else []
    found = re.fullmatch(r'"((?:[^"\\$]|\\.)*)"', text)
    if found is None or at is None:
        return []
    return [(found.group(1), at)]
