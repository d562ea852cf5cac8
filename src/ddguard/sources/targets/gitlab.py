"""GitLab CI (``.gitlab-ci.yml``): the ``image`` each job runs in.

A job's image is its own, else the one of the jobs it ``extends`` (nearest first), else
``default:image`` or the top-level ``image``; ``$VAR``/``${VAR}`` come from the job's
variables over its templates' over the top-level ones, and ``parallel: matrix`` makes
one job per combination. ``image: docker: platform:`` states the architecture.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ddguard.model import NoteCode
from ddguard.model.deployment import TargetKind
from ddguard.sources.targets import images, yamltree
from ddguard.sources.targets.common import Found, Lines, Written, oci_platform
from ddguard.sources.targets.yamltree import Map, Scalar, Seq, Value

MAX_COMBINATIONS = 200  # GitLab's own limit on parallel:matrix jobs
MAX_EXTENDS = 11  # GitLab's nesting limit for extends
_KEYWORDS = frozenset(
    {"image", "services", "stages", "variables", "include", "default", "workflow",
     "before_script", "after_script", "cache", "pages", "spec"}
)  # fmt: skip
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")

Variables = Dict[str, Tuple[str, Written]]


def read(path: str, text: str) -> Found:
    lines = Lines(path, text)
    found = Found()
    root = yamltree.load(text, path)
    if not isinstance(root, Map):
        return found
    jobs = {k.text: v for k, v in root.entries if isinstance(v, Map) and k.text not in _KEYWORDS}
    default = root.map("default")
    top_image = (default.get("image") if default is not None else None) or root.get("image")
    top_variables = _variables(root.get("variables"), lines)
    real = [name for name in jobs if not name.startswith(".")]
    if not real and top_image is not None:
        _image(top_image, dict(top_variables), lines, found)
    for name in real:
        chain = _chain(name, jobs)
        image = next((j.get("image") for j in chain if j.get("image") is not None), top_image)
        if image is None:
            continue
        variables = dict(top_variables)
        for job in reversed(chain):
            variables.update(_variables(job.get("variables"), lines))
        for combo in _matrix(chain, lines, found):
            _image(image, {**variables, **combo}, lines, found)
    return found


def _chain(name: str, jobs: Dict[str, Map]) -> List[Map]:
    """The job, then the jobs it extends, nearest first (each once)."""
    chain: List[Map] = []
    pending = [name]
    while pending and len(chain) <= MAX_EXTENDS:
        current = pending.pop(0)
        job = jobs.get(current)
        if job is None or any(job is seen for seen in chain):
            continue
        chain.append(job)
        extends = job.get("extends")
        if isinstance(extends, Scalar):
            pending.append(extends.text)
        elif isinstance(extends, Seq):
            pending.extend(e.text for e in reversed(extends.items) if isinstance(e, Scalar))
    return chain


def _variables(value: Optional[Value], lines: Lines) -> Variables:
    out: Variables = {}
    if isinstance(value, Map):
        for key, item in value.entries:
            if isinstance(item, Map):
                item = item.get("value")  # type: ignore[assignment]
            if isinstance(item, Scalar):
                out[key.text] = (item.text, lines.at(item.line))
    return out


def _matrix(chain: List[Map], lines: Lines, found: Found) -> List[Variables]:
    parallel = next((j.get("parallel") for j in chain if j.get("parallel") is not None), None)
    matrix = parallel.get("matrix") if isinstance(parallel, Map) else None
    if not isinstance(matrix, Seq):
        return [{}]
    combos: List[Variables] = []
    for entry in matrix.items:
        if not isinstance(entry, Map):
            continue
        partial: List[Variables] = [{}]
        for key, values in entry.entries:
            items = values.items if isinstance(values, Seq) else (values,)
            scalars = [v for v in items if isinstance(v, Scalar)]
            partial = [
                {**p, key.text: (s.text, lines.at(s.line))} for p in partial for s in scalars
            ]
        combos.extend(partial)
        if len(combos) > MAX_COMBINATIONS:
            found.note(NoteCode.TARGET_LIMIT, lines.at(matrix.line), f"{MAX_COMBINATIONS} jobs")
            return combos[:MAX_COMBINATIONS]
    return combos or [{}]


def _image(value: Value, variables: Variables, lines: Lines, found: Found) -> None:
    platform_os = platform_arch = None
    if isinstance(value, Map):
        docker = value.map("docker")
        platform = docker.scalar("platform") if docker is not None else None
        if platform is not None:
            platform_os, platform_arch = oci_platform(platform.text)
        value = value.get("name")  # type: ignore[assignment]
    if not isinstance(value, Scalar) or not value.text.strip() or value.tag:
        if isinstance(value, (Scalar, Seq)) and value.tag:  # !reference [...]
            found.note(NoteCode.TARGET_VARIABLE, lines.at(value.line), value.tag)
        return
    at = lines.at(value.line)
    resolved, written = _substitute(value.text, variables, at)
    if resolved is None:
        found.note(NoteCode.TARGET_VARIABLE, at, value.text)
        return
    facts = images.classify(resolved)
    if facts.status is images.ImageStatus.PYTHON and facts.python is not None:
        found.declare(
            TargetKind.GITLAB_CI,
            written,
            facts.python,
            os=platform_os or facts.os,
            arch=facts.arch or platform_arch,
            libc=facts.libc,
            via=at,
        )
    elif facts.status is images.ImageStatus.NO_VERSION:
        found.note(NoteCode.TARGET_NO_VERSION, at, resolved)
    elif facts.status is images.ImageStatus.UNKNOWN:
        found.note(NoteCode.TARGET_UNKNOWN_IMAGE, at, resolved)


def _substitute(text: str, variables: Variables, at: Written) -> Tuple[Optional[str], Written]:
    """``text`` with its variables expanded (one level deep, then once more for values
    that name variables); None when one is unknown (``$CI_REGISTRY_IMAGE``)."""
    origins: List[Written] = []
    current = text
    for _ in range(3):
        missing = False

        def replace(match: re.Match[str]) -> str:
            nonlocal missing
            name = match.group(1) or match.group(2)
            if name not in variables:
                missing = True
                return match.group(0)
            value, origin = variables[name]
            origins.append(origin)
            return value

        replaced = _VARIABLE.sub(replace, current)
        if missing:
            return None, at
        if replaced == current:
            break
        current = replaced
    return current, origins[-1] if len(set(origins)) == 1 else at
