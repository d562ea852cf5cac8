"""GitHub Actions workflows (``.github/workflows/*.yml``).

Per job and matrix combination: the Pythons ``actions/setup-python`` installs (and any
action given a ``python-version`` input: ``setup-uv``, ``setup-miniconda``, a local
composite action) from ``python-version`` (one or several), ``python-version-file`` or
the default ``.python-version``, on the runner ``runs-on`` names (ubuntu is Linux with
glibc; an architecture only when the label or the ``architecture`` input states one); a
job ``container`` image; a Python-named matrix value a ``run`` script reads; and the
``docker/build-push-action`` builds, which discovery applies to the Dockerfile.

A job calling a reusable workflow of the same repository (``uses: ./.github/workflows/
x.yml``) is read through it, its ``with:`` values bound to the called workflow's
``inputs``; a reusable workflow read on its own says nothing of the inputs its callers
give. A job or step whose ``if:`` is false for a combination (``matrix.python ==
'3.6'``) does not run in it; an ``if:`` ddguard cannot evaluate is taken to run. A remote reusable workflow given ``python-version`` declares that Python, on a
runner ddguard cannot see.
"""

from __future__ import annotations

import posixpath
import re
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets import ghsteps, yamltree
from ddguard.sources.targets.common import Found, Lines, python_words
from ddguard.sources.targets.ghexpr import Context, Text, bind, declared_inputs, expand
from ddguard.sources.targets.ghsteps import DockerBuild, Runner, VersionFileReader
from ddguard.sources.targets.yamltree import Map, Scalar, Value

MAX_CALL_DEPTH = 4  # GitHub's own nesting limit for reusable workflows
_SETUP = ("actions/setup-python", "astral-sh/setup-uv", "conda-incubator/setup-miniconda")
_BUILD = "docker/build-push-action"

WorkflowReader = Callable[[str], Optional[str]]  # relpath -> text of a local workflow

__all__ = ["DockerBuild", "read"]


def read(
    path: str,
    text: str,
    version_file: VersionFileReader,
    workflow_file: Optional[WorkflowReader] = None,
) -> Tuple[Found, List[DockerBuild]]:
    """What the workflow at ``path`` declares, and the Docker builds it runs."""
    reader = _Reader(version_file, workflow_file or (lambda _: None))
    reader.workflow(path, text, None, ())
    return reader.found, reader.builds


class _Reader:
    def __init__(self, version_file: VersionFileReader, workflow_file: WorkflowReader) -> None:
        self.version_file = version_file
        self.workflow_file = workflow_file
        self.found = Found()
        self.builds: List[DockerBuild] = []

    def workflow(
        self,
        path: str,
        text: str,
        bound: Optional[Dict[str, Optional[Text]]],
        chain: Tuple[str, ...],
    ) -> None:
        lines = Lines(path, text)
        root = yamltree.load(text, path)
        jobs = root.map("jobs") if isinstance(root, Map) else None
        if not isinstance(root, Map) or jobs is None:
            return
        inputs, callable_ = declared_inputs(root.get("on"))
        quiet_inputs = callable_ and bound is None  # its callers give the inputs
        env = root.map("env")
        for _, job in jobs.entries:
            if isinstance(job, Map):
                self.job(job, lines, env, inputs, bound, quiet_inputs, (*chain, path))

    def job(
        self,
        job: Map,
        lines: Lines,
        workflow_env: Optional[Map],
        inputs: Map,
        bound: Optional[Dict[str, Optional[Text]]],
        quiet_inputs: bool,
        chain: Tuple[str, ...],
    ) -> None:
        strategy = job.map("strategy")
        combos = expand(strategy.get("matrix") if strategy is not None else None, lines, self.found)
        env = [e for e in (job.map("env"), workflow_env) if e is not None]
        steps = job.seq("steps")
        step_maps = [s for s in (steps.items if steps else ()) if isinstance(s, Map)]
        consumed = _consumed_keys(job, step_maps)
        for combo in combos:
            context = Context(lines, combo, env, inputs, bound)
            if context.condition(job.scalar("if")) is False:
                continue  # this combination never runs the job
            called = job.scalar("uses")
            if called is not None:
                self.call(called, job.map("with"), context, chain)
                continue
            runner = ghsteps.runner(job.get("runs-on"), context)
            ghsteps.container(job.get("container"), context, runner, self.found)
            for step in step_maps:
                step_context = context.with_env(step.map("env"))
                if step_context.condition(step.scalar("if")) is False:
                    continue
                self.step(step, step_context, runner, quiet_inputs)
                run = step.scalar("run")
                if run is not None:
                    ghsteps.run_uses_matrix(run, combo, consumed, context, runner, self.found)

    def step(self, step: Map, context: Context, runner: Runner, quiet_inputs: bool) -> None:
        uses = _uses(step)
        inputs = step.map("with")
        if uses == _BUILD:
            build = ghsteps.build(step, context)
            if build is not None:
                self.builds.append(build)
            return
        if uses not in _SETUP and (inputs is None or inputs.get("python-version") is None):
            return
        version = inputs.scalar("python-version") if inputs is not None else None
        quiet = quiet_inputs and version is not None and "inputs." in version.text
        if quiet and version is not None and context.resolve(version) is None:
            return  # the callers give it: said where they are read
        ghsteps.setup(step, uses, context, runner, self.version_file, self.found)

    def call(
        self,
        called: Scalar,
        inputs: Optional[Map],
        context: Context,
        chain: Tuple[str, ...],
    ) -> None:
        """A reusable workflow: read through when it is local, else its python-version."""
        target = called.text.strip()
        bound = bind(inputs, context)
        if target.startswith("./"):
            rel = posixpath.normpath(target[2:].split("@")[0])
            text = (
                self.workflow_file(rel)
                if len(chain) < MAX_CALL_DEPTH and rel not in chain
                else None
            )
            if text is not None:
                self.workflow(rel, text, bound, chain)
                return
        version = inputs.scalar("python-version") if inputs is not None else None
        if version is None:
            return
        resolved = bound.get("python-version")
        at = context.lines.at(version.line)
        if resolved is None:
            self.found.note(NoteCode.TARGET_VARIABLE, at, version.text)
            return
        for word in resolved.value.split():
            python = python_words(word)
            if python is None or python.version is None:
                self.found.note(NoteCode.TARGET_NO_VERSION, resolved.written, word)
            else:
                self.found.declare(TargetKind.GITHUB_ACTIONS, resolved.written, python, via=at)


def _consumed_keys(job: Map, steps: Sequence[Map]) -> Set[str]:
    """Matrix keys a step given a Python, the container or a called workflow reads (a run
    script reading them too does not make another target)."""
    keys: Set[str] = set()
    sources: List[Value] = [s for s in steps if _gives_python(s)]
    for key in ("container", "with"):
        value = job.get(key)
        if value is not None:
            sources.append(value)
    for source in sources:
        for value in yamltree.walk(source):
            if isinstance(value, Scalar):
                keys.update(re.findall(r"matrix\.([\w-]+)", value.text))
    return keys


def _gives_python(step: Map) -> bool:
    inputs = step.map("with")
    return _uses(step) in _SETUP or (
        inputs is not None and inputs.get("python-version") is not None
    )


def _uses(step: Map) -> str:
    uses = step.scalar("uses")
    return uses.text.split("@")[0].lower() if uses is not None else ""
