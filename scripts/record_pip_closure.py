"""Record what real pip does with ddtrace's dependencies for a sample of (release, target) pairs.

For each pair it runs, against pypi.org with no local configuration (no find-links, no
extra index, no constraints)

    pip install --dry-run --ignore-installed --only-binary=:all: --target DIR \\
        --python-version X.Y --implementation cp --abi cpXY --platform P --report - REQUIREMENT

and writes into ``tests/fixtures/pip_closure_verdicts.json`` whether pip could install the
whole closure from wheels, what it would install, and, when it could not, which package
failed (parsed from pip's error), with the pip version and the date.
``tests/unit/test_closure_crosscheck.py`` then checks ``ddguard.evaluate.closure`` against it
offline. Pairs where ddtrace's own wheel is missing are marked (``ddtrace_wheel_missing``):
the release engine judges those, not the dependency walk.

    python scripts/record_pip_closure.py [--pip /path/to/pip] [--jobs 3]
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from _recording import dry_run_command, record, run_in_target, write
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "pip_closure_verdicts.json"
INDEX = "https://pypi.org/simple"

LINUX = "manylinux2014_x86_64"
ARM = "manylinux2014_aarch64"
MUSL = "musllinux_1_2_x86_64"
MAC = "macosx_14_0_arm64"
WIN = "win_amd64"

# (requirement, --python-version, --platform)
Sample = Tuple[str, str, str]

SAMPLE: List[Sample] = [
    # the four pairs of issue 17: psutil==5.6.7 (2.0.0) and psutil~=5.8 (2.1.1) lack wheels
    ("ddtrace==2.0.0", "3.12", LINUX),
    ("ddtrace==2.0.0", "3.9", ARM),
    ("ddtrace==2.0.0", "3.10", MAC),
    ("ddtrace==2.1.1", "3.9", ARM),
    # around the psutil pins: 0.24 (psutil), 0.26 (>=5.0.0), 2.0.0rc2 (==5.6.7), 2.0.1 (~=5.8),
    # 2.2.0 (none)
    ("ddtrace==2.0.0", "3.11", LINUX),
    ("ddtrace==2.0.0", "3.12", WIN),
    ("ddtrace==2.0.0", "3.11", MUSL),
    ("ddtrace==2.0.1", "3.12", LINUX),
    ("ddtrace==2.0.1", "3.9", ARM),
    ("ddtrace==2.1.1", "3.12", LINUX),
    ("ddtrace==2.1.1", "3.12", MAC),
    ("ddtrace==2.1.1", "3.11", MUSL),
    ("ddtrace==2.1.4", "3.8", ARM),
    ("ddtrace==2.2.0", "3.9", ARM),
    ("ddtrace==2.2.0", "3.12", LINUX),
    # 0.x
    ("ddtrace==0.46.0", "3.8", LINUX),
    ("ddtrace==0.50.0", "3.9", LINUX),
    ("ddtrace==0.61.5", "3.10", LINUX),
    ("ddtrace==0.61.5", "3.10", MAC),
    ("ddtrace==0.61.5", "3.9", WIN),
    ("ddtrace==0.38.0", "3.8", LINUX),
    ("ddtrace[profiling]==0.38.0", "3.8", LINUX),
    # 1.x
    ("ddtrace==1.5.0", "3.10", LINUX),
    ("ddtrace==1.9.1", "3.11", ARM),
    ("ddtrace==1.17.0", "3.11", LINUX),
    ("ddtrace==1.20.19", "3.11", LINUX),
    ("ddtrace==1.20.19", "3.11", MUSL),
    ("ddtrace==1.20.19", "3.11", MAC),
    ("ddtrace==1.20.19", "3.8", WIN),
    ("ddtrace[openai]==1.20.19", "3.11", LINUX),
    # 2.x
    ("ddtrace==2.8.5", "3.12", LINUX),
    ("ddtrace==2.8.5", "3.12", MAC),
    ("ddtrace==2.21.0", "3.13", LINUX),
    ("ddtrace==2.21.0", "3.12", WIN),
    ("ddtrace==2.21.0", "3.11", MUSL),
    ("ddtrace[opentracing]==2.21.0", "3.12", LINUX),
    # 3.x
    ("ddtrace==3.0.0", "3.12", LINUX),
    ("ddtrace==3.12.1", "3.13", ARM),
    ("ddtrace==3.12.1", "3.12", MAC),
    ("ddtrace==3.12.1", "3.12", WIN),
    ("ddtrace==3.12.1", "3.12", MUSL),
    ("ddtrace[opentelemetry]==3.19.0", "3.12", LINUX),
    # 4.x
    ("ddtrace==4.0.0", "3.12", LINUX),
    ("ddtrace==4.16.0", "3.14", LINUX),
    ("ddtrace==4.16.0", "3.13", ARM),
    ("ddtrace==4.16.0", "3.13", MAC),
    ("ddtrace==4.16.0", "3.12", WIN),
    ("ddtrace==4.16.0", "3.12", MUSL),
    ("ddtrace[opentelemetry]==4.16.0", "3.13", LINUX),
    ("ddtrace[opentelemetry]==4.16.0", "3.14", MUSL),
    ("ddtrace[opentracing]==4.16.0", "3.12", MAC),
    # a dependency without wheels in an older line: forbiddenfruit (1.6.0, sdist only);
    # cmake (1.17.0) has them
    ("ddtrace==1.6.0", "3.9", ARM),
    ("ddtrace==1.6.0", "3.10", LINUX),
    ("ddtrace==1.17.0", "3.11", ARM),
    # ddtrace's own wheel is missing: the release engine's part (marked)
    ("ddtrace==1.20.19", "3.12", LINUX),
    ("ddtrace==2.0.0", "3.13", LINUX),
]


def pip_command(pip: str, target_dir: str, sample: Sample) -> List[str]:
    requirement, python, platform = sample
    abi = "cp" + python.replace(".", "")
    return dry_run_command(
        pip, target_dir, requirement, python, platform, abi, "--index-url", INDEX
    )


_NO_MATCH = re.compile(r"No matching distribution found for ([A-Za-z0-9._-]+)([^\s;]*)")
_CONFLICT_CAUSE = re.compile(r"^\s+(\S+) \S+ depends on (.+)$")


def run_one(pip: str, sample: Sample) -> Dict[str, Any]:
    requirement, python, platform = sample
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    environment["PIP_CONFIG_FILE"] = os.devnull  # this machine's find-links/extra index: not pypi
    proc = run_in_target(
        lambda target_dir: pip_command(pip, target_dir, sample), timeout=900, env=environment
    )
    installed: List[str] = []
    failed: Optional[str] = None
    failed_requirement: Optional[str] = None
    error: Optional[str] = None
    if proc.returncode == 0:
        report = json.loads(proc.stdout)
        installed = sorted(
            f"{canonicalize_name(item['metadata']['name'])}=={item['metadata']['version']}"
            for item in report["install"]
        )
    else:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
        error = errors[-1] if errors else (proc.stderr.strip().splitlines() or ["?"])[-1]
        found = _NO_MATCH.search(proc.stderr)
        if found:
            failed = canonicalize_name(found.group(1))
            failed_requirement = found.group(1) + found.group(2)
        elif "conflicting dependencies" in proc.stderr or "ResolutionImpossible" in proc.stderr:
            causes = [m.group(2) for m in map(_CONFLICT_CAUSE.match, proc.stderr.splitlines()) if m]
            failed_requirement = "; ".join(causes) or None
            failed = (
                canonicalize_name(re.split(r"[<>=!~ \[;]", causes[0], maxsplit=1)[0])
                if causes
                else None
            )
        else:
            raise SystemExit(f"pip failed for {sample}: {proc.stderr.strip()}")
    return {
        "requirement": requirement,
        "python_version": python,
        "platform": platform,
        "pip_installed_closure": proc.returncode == 0,
        "installed": installed,
        "failed_package": failed,
        "failed_requirement": failed_requirement,
        "pip_error": error,
        "ddtrace_wheel_missing": failed == "ddtrace",
    }


def main(argv: Optional[List[str]] = None) -> int:
    args, pip_version, rows = record(__doc__.splitlines()[0], FIXTURE, 3, SAMPLE, run_one, argv)
    fields = {
        "index": INDEX,
        "command": " ".join(pip_command("pip", "DIR", ("REQ", "X.Y", "PLATFORM"))),
        "note": "pip_installed_closure: pip resolved ddtrace and every dependency to wheels "
        "for the target with --only-binary=:all:; failed_package: the package pip named when "
        "it could not; ddtrace_wheel_missing: ddtrace itself has no wheel there",
    }
    write(args.output, pip_version, fields, rows)
    ok = sum(row["pip_installed_closure"] for row in rows)
    print(f"recorded {len(rows)} pairs ({ok} installable from wheels) with pip {pip_version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
