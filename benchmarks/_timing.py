"""Whole-process timing shared by the benchmark scripts: paired runs, medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple


def time_once(argv: Sequence[str], env: Optional[Mapping[str, str]] = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        env=dict(env) if env is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def measure_once(
    argv: Sequence[str], env: Optional[Mapping[str, str]] = None
) -> Tuple[float, float]:
    """(wall seconds, CPU seconds) of one run. CPU time (user + system of the child) is
    steadier than wall time on a machine other work shares."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time_once(argv, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired_wall_and_cpu_medians(
    commands: Dict[str, Sequence[str]],
    runs: int = 21,
    warmup: int = 3,
    env: Optional[Mapping[str, str]] = None,
) -> Tuple[Dict[str, float], Dict[str, float]]:
    """:func:`paired_medians` of wall time and of CPU time, from the same runs."""
    wall: Dict[str, List[float]] = {name: [] for name in commands}
    cpu: Dict[str, List[float]] = {name: [] for name in commands}
    for index in range(warmup + runs):
        for name, argv in commands.items():
            elapsed, used = measure_once(argv, env)
            if index >= warmup:
                wall[name].append(elapsed)
                cpu[name].append(used)
    return (
        {name: statistics.median(values) for name, values in wall.items()},
        {name: statistics.median(values) for name, values in cpu.items()},
    )


def paired_medians(
    commands: Dict[str, Sequence[str]],
    runs: int = 21,
    warmup: int = 3,
    env: Optional[Mapping[str, str]] = None,
) -> Dict[str, float]:
    """Run each command ``runs`` times, interleaved so load affects all alike; medians in seconds."""
    samples: Dict[str, List[float]] = {name: [] for name in commands}
    for _ in range(warmup):
        for argv in commands.values():
            time_once(argv, env)
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(time_once(argv, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def repo_env() -> Dict[str, str]:
    """The environment with ddguard importable from this checkout's src/."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    # Like an installed wheel: bytecode compiled once up front (a shell exporting
    # PYTHONDONTWRITEBYTECODE would otherwise make every run recompile edited modules).
    import compileall

    compileall.compile_dir(src, quiet=1)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
