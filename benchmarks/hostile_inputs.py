"""Budgets (issue 12): every input of size n is read in O(n), and nothing makes ddguard
exceed 200 MB. Whole-process medians of:

* `ddguard check -r FILE` on a 100,000-line requirements file: <= 1 s;
* `ddguard check -r FILE` (or `--project DIR`) on each pathological input (a 40 KB line
  of whitespace, brackets, ...; nesting thousands deep; chains of includes, groups and
  tox substitutions; 2**42 group include paths): <= 0.5 s each, whatever it answers;
* peak memory (max RSS) of each run, and of the largest files ddguard accepts: <= 200 MB.

The inputs are generated in a temporary directory.

    python benchmarks/hostile_inputs.py [--runs 7] [--python PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from typing import Dict, List, Sequence, Tuple

from _timing import paired_medians, repo_env

BIG_FILE_SECONDS = 1.0
PATHOLOGICAL_SECONDS = 0.5
MEMORY_MB = 200.0
LINE = 40_000
TARGET = ["--target", "cp311-manylinux_x86_64"]

# One line each, read with `-r FILE`.
SINGLE_LINES: Dict[str, str] = {
    "spaces in a name": "ddtrace" + " " * LINE + "x",
    "spaces before a comment": "ddtrace==1.20.19" + " " * LINE + "# pinned",
    "spaces, no comment": "x" + " " * LINE + "y",
    "spaces before @": "x" + " " * LINE + "@",
    "tabs then text": "\t" * LINE + "ddtrace",
    "brackets": "ddtrace" + "[" * LINE,
    "hashes": "ddtrace==1.20.19 " + "#" * LINE,
    "long option": "-r " + " " * LINE,
    "long hash option": "ddtrace==1.20.19 --hash=sha256:" + "a" * LINE,
    "long url": "ddtrace @ https://x.invalid/" + "a" * LINE,
    "long marker": "ddtrace; python_version " + " " * LINE + "< '3'",
    "nested marker": "ddtrace; " + "(" * 5000 + "python_version < '3'" + ")" * 5000,
    "env variables": "${A" * 10_000,
}


def project_inputs() -> Dict[str, Dict[str, str]]:
    """Pathological project files, read with `--project DIR`."""
    chain_groups = "".join(f'g{i} = [{{include-group = "g{i + 1}"}}]\n' for i in range(2000))
    diamond = "".join(
        f'g{i} = [{{include-group = "g{i + 1}"}}, {{include-group = "g{i + 2}"}}]\n'
        for i in range(42)
    )
    tox_chain = "".join(f"[s{i}]\ndeps = {{[s{i + 1}]deps}}\n" for i in range(2000))
    tox_diamond = "".join(
        f"[s{i}]\ndeps =\n    {{[s{i + 1}]deps}}\n    {{[s{i + 2}]deps}}\n" for i in range(40)
    )
    return {
        "TOML arrays 5,000 deep": {"pyproject.toml": "x = " + "[" * 5000 + "]" * 5000},
        "TOML tables 5,000 deep": {"pyproject.toml": "x = " + "{a=" * 5000 + "1" + "}" * 5000},
        "TOML dotted key 5,000 deep": {"pyproject.toml": "[" + "a." * 5000 + "b]\nx = 1\n"},
        "JSON 100,000 deep": {"Pipfile.lock": "[" * 100_000 + "]" * 100_000},
        "2,000 chained groups": {
            "pyproject.toml": f'[dependency-groups]\n{chain_groups}g2000 = ["ddtrace"]\n'
        },
        "42 groups, 2**42 include paths": {
            "pyproject.toml": f'[dependency-groups]\n{diamond}g42 = ["ddtrace"]\ng43 = []\n'
        },
        "2,000 chained tox substitutions": {
            "tox.ini": f"[testenv]\ndeps = {{[s0]deps}}\n{tox_chain}[s2000]\ndeps = ddtrace\n"
        },
        "tox substitutions, 2**40 paths": {
            "tox.ini": f"[testenv]\ndeps = {{[s0]deps}}\n{tox_diamond}"
            "[s40]\ndeps = ddtrace\n[s41]\ndeps = x\n"
        },
        "40 KB Poetry constraint": {
            "pyproject.toml": '[tool.poetry.dependencies]\nddtrace = "' + "1," * 20_000 + '"\n'
        },
        "40 KB Poetry spaces": {
            "pyproject.toml": '[tool.poetry.dependencies]\nddtrace = "' + " " * LINE + 'x"\n'
        },
        "40 KB INI key": {"setup.cfg": "[options]\ninstall_requires" + " " * LINE + "x\n"},
        "40 KB tox deps": {"tox.ini": "[testenv]\ndeps = " + " " * LINE + "x\n"},
        "1,000 chained -r": {
            **{f"requirements-{i}.txt": f"-r requirements-{i + 1}.txt\n" for i in range(1000)},
            "requirements.txt": "-r requirements-0.txt\n",
        },
        "uv.lock [package] table": {
            "uv.lock": 'version = 1\n[package]\nname = "ddtrace"\nversion = "1.20.19"\n'
        },
    }


def big_requirements(lines: int, ddtrace_every: int = 0) -> str:
    """``lines`` requirement lines: names, extras, markers, hashes, comments, one ddtrace."""
    out: List[str] = []
    for i in range(lines):
        if ddtrace_every and i % ddtrace_every == 0:
            out.append(f"ddtrace=={1 + i % 3}.{i % 20}.0 ; python_version < '3.{8 + i % 5}'")
        elif i == lines // 2:
            out.append("ddtrace==1.20.19")
        elif i % 10 == 0:
            out.append(f"# section {i}")
        elif i % 10 == 1:
            out.append(f"pkg{i}[extra]>=1.0.{i} ; python_version >= '3.8'  # why")
        elif i % 10 == 2:
            out.append(f"pkg{i}==1.0.{i} \\\n    --hash=sha256:{'ab' * 32}")
        else:
            out.append(f"pkg{i}==1.0.{i}")
    return "\n".join(out) + "\n"


def peak_mb(python: str, argv: Sequence[str], env: Dict[str, str]) -> float:
    """Max RSS of ``argv``, measured by a parent whose only child it is."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [python, "-c", probe, *argv], env=env, capture_output=True, text=True, check=True
    )
    kilobytes = int(done.stdout.strip())
    return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    env = repo_env()
    check = [args.python, "-m", "ddguard", "check", *TARGET]
    commands: Dict[str, List[str]] = {"python -c pass": [args.python, "-c", "pass"]}
    budgets: Dict[str, float] = {}
    memory_only: Dict[str, List[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:

        def write(folder: str, files: Dict[str, str]) -> str:
            os.makedirs(os.path.join(tmp, folder))
            for name, text in files.items():
                with open(os.path.join(tmp, folder, name), "w", encoding="utf-8") as handle:
                    handle.write(text)
            return os.path.join(tmp, folder)

        big = os.path.join(
            write("big", {"requirements.txt": big_requirements(100_000)}), "requirements.txt"
        )
        commands["100,000 lines, one ddtrace"] = [*check, "-r", big]
        budgets["100,000 lines, one ddtrace"] = BIG_FILE_SECONDS
        for number, (name, line) in enumerate(SINGLE_LINES.items()):
            path = os.path.join(
                write(f"line{number}", {"requirements.txt": line + "\n"}), "requirements.txt"
            )
            commands[f"-r: {name}"] = [*check, "-r", path]
            budgets[f"-r: {name}"] = PATHOLOGICAL_SECONDS
        for number, (name, files) in enumerate(project_inputs().items()):
            commands[f"--project: {name}"] = [*check, "--project", write(f"project{number}", files)]
            budgets[f"--project: {name}"] = PATHOLOGICAL_SECONDS
        # the largest inputs ddguard accepts, for memory: a requirements file of line
        # breaks at the size limit, a lock at its limit holding one character outside the
        # BMP (which makes Python store the whole text four bytes a character)
        from ddguard.sources.text import DECLARATION_LIMIT, LOCK_LIMIT, TEXT_LIMIT

        breaks = write("breaks", {"requirements.txt": "\n" * (TEXT_LIMIT - 1)})
        memory_only["requirements file of line breaks at the limit"] = [
            *check,
            "-r",
            os.path.join(breaks, "requirements.txt"),
        ]
        filler = 'version = 1\n\n[[package]]\nname = "ddtrace"\nversion = "1.20.19"\n# \U0001f600\n'
        block = '[[package]]\nname = "pkg"\nversion = "1.0.0"\n\n'
        lock = filler + block * ((LOCK_LIMIT - len(filler.encode()) - 64) // len(block))
        memory_only["uv.lock at the size limit, non-BMP text"] = [
            *check,
            "--project",
            write("biglock", {"uv.lock": lock}),
        ]
        memory_only["pyproject.toml of line breaks at the limit"] = [
            *check,
            "--project",
            write("tomlbreaks", {"pyproject.toml": "\n" * (DECLARATION_LIMIT - 1)}),
        ]
        mentions = "version = 1\n# " + "ddtrace " * ((LOCK_LIMIT - 64) // 8) + "\n"
        memory_only["uv.lock of 'ddtrace' repeated at the limit"] = [
            *check,
            "--project",
            write("mentions", {"uv.lock": mentions}),
        ]
        memory_only["100,000 ddtrace pins"] = [
            *check,
            "-r",
            os.path.join(
                write("pins", {"requirements.txt": big_requirements(100_000, 1)}),
                "requirements.txt",
            ),
        ]
        medians = paired_medians(commands, runs=args.runs, env=env)
        memory: Dict[str, float] = {
            name: peak_mb(args.python, argv, env)
            for name, argv in {**commands, **memory_only}.items()
            if name != "python -c pass"
        }
        seconds_memory_only: Dict[str, float] = paired_medians(
            memory_only, runs=1, warmup=0, env=env
        )
    base = medians.pop("python -c pass")
    print(f"{'python -c pass':52}: {base * 1000:7.1f} ms median of {args.runs}")
    within = True
    rows: List[Tuple[str, float, float, float]] = [
        (name, seconds, budgets[name], memory[name]) for name, seconds in medians.items()
    ]
    for name, seconds, budget, megabytes in rows:
        ok = seconds <= budget and megabytes <= MEMORY_MB
        within = within and ok
        print(
            f"{name:52}: {seconds * 1000:7.1f} ms (<= {budget * 1000:.0f}), "
            f"{megabytes:6.1f} MB{'' if ok else '  MISSED'}"
        )
    for name, seconds in seconds_memory_only.items():
        ok = memory[name] <= MEMORY_MB
        within = within and ok
        print(
            f"{name:52}: {seconds * 1000:7.1f} ms (one run), {memory[name]:6.1f} MB"
            f"{'' if ok else '  MISSED'}"
        )
    print(
        f"budgets (100,000 lines <= {BIG_FILE_SECONDS:.1f} s, each pathological input <= "
        f"{PATHOLOGICAL_SECONDS:.1f} s, <= {MEMORY_MB:.0f} MB): {'met' if within else 'MISSED'}"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
