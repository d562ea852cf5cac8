"""What the scripts recording real pip verdicts share: the command line and the runs."""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple


def record(
    description: str,
    output: Path,
    jobs: int,
    sample: Sequence[Any],
    run_one: Callable[[str, Any], Dict[str, Any]],
    argv: Optional[List[str]] = None,
) -> Tuple[argparse.Namespace, str, List[Dict[str, Any]]]:
    """Parse ``--pip --jobs --output`` and run ``run_one(pip, case)`` for every case of
    ``sample`` in parallel: the arguments, pip's version and the rows."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pip", default=str(Path(sys.executable).with_name("pip")))
    parser.add_argument("--jobs", type=int, default=jobs)
    parser.add_argument("--output", default=str(output))
    args = parser.parse_args(argv)
    pip_version = subprocess.run(
        [args.pip, "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(lambda case: run_one(args.pip, case), sample))
    return args, pip_version, rows


def write(
    output: str, pip_version: str, fields: Dict[str, Any], rows: List[Dict[str, Any]]
) -> None:
    """The fixture: schema, date, pip's version, ``fields``, then the rows."""
    document = {
        "schema": 1,
        "recorded": datetime.date.today().isoformat(),
        "pip_version": pip_version,
        **fields,
        "pairs": rows,
    }
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def dry_run_command(
    pip: str,
    target_dir: str,
    requirement: str,
    python: str,
    platform: str,
    abi: Optional[str],
    *flags: str,
) -> List[str]:
    """``pip install --dry-run --only-binary=:all:`` of ``requirement`` for CPython
    ``python`` on ``platform``, reporting what it would install as JSON on stdout."""
    command = [pip, "install", "--dry-run", "--ignore-installed", "--only-binary=:all:", *flags]
    command += ["--target", target_dir]  # pip < 24 wants --target with --platform, even --dry-run
    command += ["--python-version", python, "--implementation", "cp", "--platform", platform]
    if abi:
        command += ["--abi", abi]
    return [*command, "--quiet", "--report", "-", requirement]


def run_in_target(
    command: Callable[[str], List[str]], timeout: int, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    """``command(target_dir)`` run with a temporary target directory."""
    with tempfile.TemporaryDirectory(prefix="ddguard-pip-") as target_dir:
        return subprocess.run(
            command(target_dir), capture_output=True, text=True, timeout=timeout, env=env
        )
