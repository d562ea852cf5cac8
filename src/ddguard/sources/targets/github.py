"""GitHub Actions workflows (``.github/workflows/*.yml``).

Per job and matrix combination (``include``/``exclude`` applied as GitHub does): the
Pythons ``actions/setup-python`` (and ``astral-sh/setup-uv``, ``setup-miniconda``) install
from ``python-version`` (one or several), ``python-version-file`` or the default
``.python-version``, on the runner ``runs-on`` names (ubuntu is Linux with glibc; an
architecture only when the label or the ``architecture`` input states one); a job
``container`` image; a Python-named matrix value a ``run`` script uses; and the
``docker/build-push-action`` builds (``file``, ``build-args``, ``platforms``), which
discovery applies to the Dockerfile. ``${{ matrix.* }}``, ``${{ env.* }}`` and input
defaults are resolved; any other expression is a variable ddguard cannot see.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from ddguard.model import NoteCode, TargetKind
from ddguard.sources.targets import images, yamltree
from ddguard.sources.targets.common import (
    Found,
    Lines,
    Python,
    Written,
    arch_word,
    oci_platform,
    python_words,
)
from ddguard.sources.targets.yamltree import Map, Scalar, Seq, Value
from ddguard.target import Arch, Implementation, Libc, Os

MAX_COMBINATIONS = 256  # GitHub's own limit on a matrix
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_SETUP = ("actions/setup-python", "astral-sh/setup-uv", "conda-incubator/setup-miniconda")
_BUILD = "docker/build-push-action"
_PYTHON_KEY = re.compile(r"python|^py$|^pyver", re.IGNORECASE)

VersionFileReader = Callable[[str], Optional[Found]]  # relpath -> what it declares


class DockerBuild(NamedTuple):
    """A Dockerfile a workflow builds, with the ARG values and platforms it passes."""

    dockerfile: str  # relative to the project root
    build_args: Dict[str, Tuple[str, Written]]
    platforms: Tuple[Tuple[Optional[Os], Optional[Arch], Written], ...]
    target: Optional[str]


class Runner(NamedTuple):
    os: Optional[Os] = None
    arch: Optional[Arch] = None
    libc: Optional[Libc] = None


class _Text(NamedTuple):
    value: str
    written: Written  # where the value's literal was written


Combination = Dict[str, Value]


class _Context:
    """Values ``${{ }}`` expressions may read in one job and matrix combination."""

    def __init__(self, lines: Lines, combo: Combination, env: Sequence[Map], inputs: Map) -> None:
        self.lines = lines
        self.combo = combo
        self.env = env
        self.inputs = inputs

    def with_env(self, env: Optional[Map]) -> _Context:
        if env is None:
            return self
        return _Context(self.lines, self.combo, [env, *self.env], self.inputs)

    def resolve(self, scalar: Scalar, depth: int = 0) -> Optional[_Text]:
        """The scalar with its expressions replaced; None when one cannot be resolved."""
        here = self.lines.at(scalar.line)
        if "${{" not in scalar.text:
            return _Text(scalar.text, here)
        origins: List[Written] = []
        missing = False

        def replace(match: re.Match[str]) -> str:
            nonlocal missing
            found = self._lookup(match.group(1), depth)
            if found is None:
                missing = True
                return ""
            origins.append(found.written)
            return found.value

        value = _EXPRESSION.sub(replace, scalar.text)
        if missing:
            return None
        return _Text(value, origins[0] if len(origins) == 1 else here)

    def _lookup(self, expression: str, depth: int) -> Optional[_Text]:
        parts = expression.strip().split(".")
        if depth > 4 or not all(re.match(r"^[A-Za-z_][\w-]*$", p) for p in parts):
            return None
        head, rest = parts[0], parts[1:]
        value: Optional[Value] = None
        if head == "matrix" and rest:
            value = self.combo.get(rest[0])
            for part in rest[1:]:
                value = value.get(part) if isinstance(value, Map) else None
        elif head == "env" and len(rest) == 1:
            value = next((e.get(rest[0]) for e in self.env if e.get(rest[0]) is not None), None)
        elif head == "inputs" and len(rest) == 1:
            spec = self.inputs.map(rest[0])
            value = spec.get("default") if spec is not None else None
        if not isinstance(value, Scalar):
            return None
        return self.resolve(value, depth + 1)


def read(path: str, text: str, version_file: VersionFileReader) -> Tuple[Found, List[DockerBuild]]:
    """What the workflow at ``path`` declares, and the Docker builds it runs."""
    lines = Lines(path, text)
    found = Found()
    builds: List[DockerBuild] = []
    root = yamltree.load(text, path)
    if not isinstance(root, Map):
        return found, builds
    jobs = root.map("jobs")
    if jobs is None:
        return found, builds
    workflow_env = root.map("env")
    inputs = _inputs(root.get("on"))
    for _, job in jobs.entries:
        if isinstance(job, Map) and job.get("uses") is None:
            _job(job, lines, workflow_env, inputs, version_file, found, builds)
    return found, builds


def _inputs(on: Optional[Value]) -> Map:
    """``on.workflow_call.inputs`` and ``on.workflow_dispatch.inputs`` (their defaults)."""
    entries: List[Tuple[Scalar, Value]] = []
    if isinstance(on, Map):
        for trigger in ("workflow_call", "workflow_dispatch"):
            spec = on.map(trigger)
            declared = spec.map("inputs") if spec is not None else None
            if declared is not None:
                entries.extend(declared.entries)
    return Map(tuple(entries), 0, "")


def _job(
    job: Map,
    lines: Lines,
    workflow_env: Optional[Map],
    inputs: Map,
    version_file: VersionFileReader,
    found: Found,
    builds: List[DockerBuild],
) -> None:
    strategy = job.map("strategy")
    matrix = strategy.get("matrix") if strategy is not None else None
    combos = expand(matrix, lines, found)
    env = [e for e in (job.map("env"), workflow_env) if e is not None]
    steps = job.seq("steps")
    step_maps = [s for s in (steps.items if steps else ()) if isinstance(s, Map)]
    consumed = _consumed_keys(job, step_maps)
    for combo in combos:
        context = _Context(lines, combo, env, inputs)
        runner = _runner(job.get("runs-on"), context)
        _container(job.get("container"), context, runner, found)
        for step in step_maps:
            step_context = context.with_env(step.map("env"))
            uses = _uses(step)
            if uses in _SETUP:
                _setup(step, uses, step_context, runner, version_file, found)
            elif uses == _BUILD:
                build = _build(step, step_context)
                if build is not None:
                    builds.append(build)
            run = step.scalar("run")
            if run is not None:
                _run_uses_matrix(run, combo, consumed, context, runner, found)


def expand(matrix: Optional[Value], lines: Lines, found: Found) -> List[Combination]:
    """The matrix combinations, as GitHub forms them; [{}] for no matrix."""
    if matrix is None:
        return [{}]
    if not isinstance(matrix, Map):
        return [{}]  # an expression (fromJSON): its values cannot be known
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
    return combos or [{}]


def _matches(combo: Combination, entry: Map) -> bool:
    return all(k.text in combo and _same(combo[k.text], v) for k, v in entry.entries)


def _same(a: Optional[Value], b: Value) -> bool:
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return a.text.lower() == b.text.lower()
    if isinstance(a, Map) and isinstance(b, Map):
        return all(_same(a.get(k.text), v) for k, v in b.entries)
    return False


def _consumed_keys(job: Map, steps: Sequence[Map]) -> Set[str]:
    """Matrix keys a setup action or the container reads (a run script reading them too
    does not make another target)."""
    keys: Set[str] = set()
    sources: List[Value] = [s for s in steps if _uses(s) in _SETUP]
    container = job.get("container")
    if container is not None:
        sources.append(container)
    for source in sources:
        for value in yamltree.walk(source):
            if isinstance(value, Scalar):
                keys.update(re.findall(r"matrix\.([\w-]+)", value.text))
    return keys


def _uses(step: Map) -> str:
    uses = step.scalar("uses")
    return uses.text.split("@")[0].lower() if uses is not None else ""


# --- runners ---------------------------------------------------------------------------


def _runner(value: Optional[Value], context: _Context) -> Runner:
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


def _setup(
    step: Map,
    uses: str,
    context: _Context,
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


def _version_words(scalar: Scalar, resolved: _Text, lines: Lines) -> List[Tuple[Written, str]]:
    """Each version of a ``python-version`` input (one, or one a line), where written."""
    if "${{" in scalar.text:
        return [(resolved.written, word) for word in resolved.value.split()]
    return [(lines.at(line), word) for line, text in scalar.lines() for word in text.split()]


def _container(value: Optional[Value], context: _Context, runner: Runner, found: Found) -> None:
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


def _run_uses_matrix(
    run: Scalar,
    combo: Combination,
    consumed: Set[str],
    context: _Context,
    runner: Runner,
    found: Found,
) -> None:
    """A Python-named matrix value a ``run`` script reads (``uv python install
    ${{ matrix.python }}``, ``tox -e py${{ matrix.python }}``) when no setup step did."""
    for key in dict.fromkeys(re.findall(r"matrix\.([\w-]+)\b", run.text)):
        value = combo.get(key)
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


def _build(step: Map, context: _Context) -> Optional[DockerBuild]:
    inputs = step.map("with")
    if inputs is None:
        return None

    def text(key: str) -> Optional[_Text]:
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
