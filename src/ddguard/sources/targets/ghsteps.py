"""What the steps of one GitHub Actions job say: the runner, ``setup-python`` (and the
other actions taking a ``python-version`` input), a job ``container``, a Python-named
matrix value a ``run`` script reads, and ``docker/build-push-action`` builds."""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Set, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.record import Record
from ddguard.sources.targets import images
from ddguard.sources.targets.common import (
    Found,
    Lines,
    Python,
    Written,
    arch_word,
    oci_platform,
    python_words,
)
from ddguard.sources.targets.ghexpr import Combination, Context, Text
from ddguard.sources.targets.yamltree import Map, Scalar, Seq, Value
from ddguard.target import Arch, Implementation, Libc, Os

_PYTHON_KEY = re.compile(r"python|^py$|^pyver", re.IGNORECASE)

VersionFileReader = Callable[[str], Optional[Found]]  # relpath -> what it declares


class DockerBuild(Record):
    """A Dockerfile a workflow builds, with the ARG values and platforms it passes."""

    dockerfile: str  # relative to the project root
    build_args: Dict[str, Tuple[str, Written]]
    platforms: Tuple[Tuple[Optional[Os], Optional[Arch], Written], ...]
    target: Optional[str]


class Runner(Record):
    os: Optional[Os] = None
    arch: Optional[Arch] = None
    libc: Optional[Libc] = None


# --- runners ---------------------------------------------------------------------------


def runner(value: Optional[Value], context: Context) -> Runner:
    labels: List[str] = []
    if isinstance(value, Map):
        value = value.get("labels")
    scalars = (
        [value]
        if isinstance(value, Scalar)
        else list(value.items)
        if isinstance(value, Seq)
        else []
    )
    for scalar in scalars:
        if isinstance(scalar, Scalar):
            resolved = context.resolve(scalar)
            if resolved is not None:
                labels.append(resolved.value.strip().lower())
    runner = Runner()
    for label in labels:
        os_name, arch, libc = runner_label(label)
        runner = Runner(runner.os or os_name, runner.arch or arch, runner.libc or libc)
    return runner


def runner_label(label: str) -> Tuple[Optional[Os], Optional[Arch], Optional[Libc]]:
    """``ubuntu-24.04`` is Linux with glibc, its architecture unknown; ``ubuntu-24.04-arm``
    and ``windows-11-arm`` are aarch64; self-hosted labels ``linux``, ``X64``, ``ARM64``."""
    word = label.strip().lower()
    os_name: Optional[Os] = None
    libc: Optional[Libc] = None
    if word.startswith("ubuntu") or "-ubuntu-" in word:
        os_name, libc = Os.LINUX, Libc.GLIBC
    elif word.startswith("macos") or word == "macos":
        os_name = Os.MACOS
    elif word.startswith("windows"):
        os_name = Os.WINDOWS
    elif word == "linux":
        os_name = Os.LINUX
    arch = arch_word(word)
    if arch is None and (word.endswith(("-arm", "-arm64")) or "-arm64-" in word):
        arch = Arch.AARCH64
    return os_name, arch, libc


# --- steps -----------------------------------------------------------------------------


def setup(
    step: Map,
    uses: str,
    context: Context,
    runner: Runner,
    version_file: VersionFileReader,
    found: Found,
) -> None:
    inputs = step.map("with") or Map((), step.line, "")
    architecture = inputs.scalar("architecture")
    if architecture is not None:
        resolved_arch = context.resolve(architecture)
        if resolved_arch is not None and arch_word(resolved_arch.value) is not None:
            runner = runner._replace(arch=arch_word(resolved_arch.value))
    version = inputs.scalar("python-version")
    if version is not None:
        resolved = context.resolve(version)
        at = context.lines.at(version.line)
        if resolved is None:
            found.note(NoteCode.TARGET_VARIABLE, at, version.text)
            return
        for written, word in _version_words(version, resolved, context.lines):
            python = python_words(word)
            if python is None or python.version is None:
                found.note(NoteCode.TARGET_NO_VERSION, written, word)
                continue
            found.declare(TargetKind.GITHUB_ACTIONS, written, python, via=at, **runner._asdict())
        return
    file_input = inputs.scalar("python-version-file")
    if file_input is None and uses != "actions/setup-python":
        return
    at = context.lines.at(file_input.line if file_input is not None else step.line)
    name = ".python-version"
    if file_input is not None:
        resolved = context.resolve(file_input)
        if resolved is None:
            found.note(NoteCode.TARGET_VARIABLE, at, file_input.text)
            return
        name = resolved.value.strip()
    declared = version_file(name)
    if declared is None:
        if file_input is not None:
            found.note(NoteCode.TARGET_NO_VERSION, at, name)
        return
    for declaration in declared.declarations:
        written = Written(declaration.path, declaration.line, declaration.evidence)
        python = Python(
            declaration.implementation or Implementation.CPYTHON,
            declaration.python_version,
            declaration.free_threaded,
        )
        found.declare(TargetKind.GITHUB_ACTIONS, written, python, via=at, **runner._asdict())


def _version_words(scalar: Scalar, resolved: Text, lines: Lines) -> List[Tuple[Written, str]]:
    """Each version of a ``python-version`` input (one, or one a line), where written."""
    if "${{" in scalar.text:
        return [(resolved.written, word) for word in resolved.value.split()]
    return [(lines.at(line), word) for line, text in scalar.lines() for word in text.split()]


def container(value: Optional[Value], context: Context, runner: Runner, found: Found) -> None:
    if isinstance(value, Map):
        value = value.get("image")
    if not isinstance(value, Scalar) or not value.text.strip():
        return
    at = context.lines.at(value.line)
    resolved = context.resolve(value)
    if resolved is None:
        found.note(NoteCode.TARGET_VARIABLE, at, value.text)
        return
    facts = images.classify(resolved.value)
    if facts.status is images.ImageStatus.PYTHON and facts.python is not None:
        found.declare(
            TargetKind.GITHUB_ACTIONS,
            resolved.written,
            facts.python,
            os=facts.os,
            arch=facts.arch or runner.arch,
            libc=facts.libc,
            via=at,
        )
    elif facts.status is images.ImageStatus.NO_VERSION:
        found.note(NoteCode.TARGET_NO_VERSION, at, resolved.value)
    elif facts.status is images.ImageStatus.UNKNOWN:
        found.note(NoteCode.TARGET_UNKNOWN_IMAGE, at, resolved.value)


def run_uses_matrix(
    run: Scalar,
    combo: Optional[Combination],
    consumed: Set[str],
    context: Context,
    runner: Runner,
    found: Found,
) -> None:
    """A Python-named matrix value a ``run`` script reads (``uv python install
    ${{ matrix.python }}``, ``tox -e py${{ matrix.python }}``) when no setup step did."""
    for key in dict.fromkeys(re.findall(r"matrix\.([\w-]+)\b", run.text)):
        value = combo.get(key) if combo is not None else None
        if key in consumed or not _PYTHON_KEY.search(key) or not isinstance(value, Scalar):
            continue
        resolved = context.resolve(value)
        python = python_words(resolved.value) if resolved is not None else None
        if resolved is None or python is None or python.version is None:
            continue
        found.declare(
            TargetKind.GITHUB_ACTIONS,
            resolved.written,
            python,
            via=context.lines.at(run.line),
            **runner._asdict(),
        )


def build(step: Map, context: Context) -> Optional[DockerBuild]:
    inputs = step.map("with")
    if inputs is None:
        return None

    def text(key: str) -> Optional[Text]:
        scalar = inputs.scalar(key) if inputs is not None else None
        return context.resolve(scalar) if scalar is not None else None

    context_dir = text("context")
    base = _relative(context_dir.value) if context_dir is not None else ""
    if inputs.get("context") is not None and context_dir is None:
        return None
    file_input = text("file")
    if inputs.get("file") is not None and file_input is None:
        return None
    dockerfile = _relative(file_input.value) if file_input else _join(base, "Dockerfile")
    args: Dict[str, Tuple[str, Written]] = {}
    build_args = inputs.get("build-args")
    arg_scalars = build_args.items if isinstance(build_args, Seq) else [build_args]
    for scalar in arg_scalars:
        if not isinstance(scalar, Scalar):
            continue
        for line, raw in scalar.lines():
            name, sep, _ = raw.strip().partition("=")
            if not sep:
                continue
            resolved = context.resolve(Scalar(raw.strip(), line))
            if resolved is not None:
                args[name.strip()] = (resolved.value.partition("=")[2].strip(), resolved.written)
    platforms: List[Tuple[Optional[Os], Optional[Arch], Written]] = []
    platform_text = text("platforms")
    if platform_text is not None:
        for word in platform_text.value.replace("\n", ",").split(","):
            if word.strip():
                os_name, arch = oci_platform(word)
                platforms.append((os_name, arch, platform_text.written))
    target = text("target")
    if not args and not platforms:
        return None
    return DockerBuild(dockerfile, args, tuple(platforms), target.value.strip() if target else None)


def _relative(text: str) -> str:
    parts = [p for p in text.strip().replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name
