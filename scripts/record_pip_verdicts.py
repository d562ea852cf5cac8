"""Record what real pip does for a sample of (ddtrace release, target) pairs.

For each pair it runs

    pip install --dry-run --ignore-installed --no-deps --only-binary=:all: --target DIR \
        --python-version X --implementation cp [--abi A] --platform P --report - REQUIREMENT

against the configured package index and writes whether pip found a wheel (and which one)
into ``tests/fixtures/pip_verdicts.json``, with the pip version and the date.
``tests/unit/test_pip_crosscheck.py`` then checks ddguard's verdicts against it offline.

Pairs where ddguard's policy is knowingly stricter than the published wheels carry an
``expected_disagreement`` with the reason. Network bound: runs in a thread pool.

    python scripts/record_pip_verdicts.py [--pip /path/to/pip] [--jobs 8]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from _recording import dry_run_command, record, run_in_target, write

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "pip_verdicts.json"

# (requirement, --python-version, --platform, --abi or None, expected disagreement or None)
Sample = Tuple[str, str, str, Optional[str], Optional[str]]

SAMPLE: List[Sample] = [
    ("ddtrace==1.20.19", "3.12", "manylinux2014_x86_64", None, None),
    ("ddtrace==1.20.19", "3.11", "manylinux2014_x86_64", None, None),
    ("ddtrace==1.20.19", "2.7", "manylinux2010_x86_64", None, None),
    ("ddtrace==1.20.19", "3.11", "musllinux_1_1_x86_64", None, None),
    ("ddtrace==1.20.19", "3.11", "musllinux_1_2_x86_64", None, None),
    ("ddtrace==1.20.19", "3.11", "macosx_11_0_arm64", None, None),
    ("ddtrace==1.20.19", "3.9", "win32", None, None),
    ("ddtrace==1.5.0", "3.11", "manylinux2014_x86_64", None, None),
    ("ddtrace==1.5.0", "3.10", "manylinux2014_x86_64", None, None),
    ("ddtrace==1.9.1", "3.11", "manylinux2014_x86_64", None, None),
    ("ddtrace==0.5.3", "3.6", "manylinux1_x86_64", None, None),
    (
        "ddtrace==0.35.2",
        "3.4",
        "manylinux1_x86_64",
        None,
        "policy: the 0.x/1.x table lists CPython 2.7 and 3.5-3.11, "
        "yet 0.28-0.35 still published cp34 wheels",
    ),
    ("ddtrace==0.35.2", "3.5", "manylinux1_x86_64", None, None),
    ("ddtrace==2.0.0", "3.12", "manylinux2014_x86_64", None, None),
    ("ddtrace==2.21.0", "3.12", "manylinux2014_i686", None, None),
    ("ddtrace==2.21.0", "3.12", "win_arm64", None, None),
    ("ddtrace==2.21.0", "3.13", "macosx_12_0_arm64", None, None),
    ("ddtrace==3.12.0", "3.13", "manylinux2014_x86_64", None, None),
    ("ddtrace==3.12.1", "3.12", "manylinux2014_x86_64", None, None),
    ("ddtrace==3.19.9", "3.12", "manylinux2014_i686", None, None),
    ("ddtrace==4.16.0", "3.12", "manylinux2014_x86_64", None, None),
    ("ddtrace==4.16.0", "3.14", "manylinux2014_aarch64", None, None),
    ("ddtrace==4.16.0", "3.8", "manylinux2014_x86_64", None, None),
    ("ddtrace==4.16.0", "3.12", "manylinux2014_i686", None, None),
    ("ddtrace==4.16.0", "3.13", "manylinux2014_x86_64", "cp313t", None),
    ("ddtrace==4.16.0", "3.12", "macosx_11_0_arm64", None, None),
    ("ddtrace==4.16.0", "3.12", "macosx_14_0_arm64", None, None),
    ("ddtrace==4.16.0", "3.12", "musllinux_1_2_aarch64", None, None),
    ("ddtrace==4.16.0", "3.12", "win32", None, None),
    ("ddtrace==4.16.0", "3.10", "win_arm64", None, None),
    ("ddtrace==4.16.0", "3.12", "win_arm64", None, None),
    ("ddtrace>=1,<3", "3.12", "manylinux2014_x86_64", None, None),
    ("ddtrace>=1,<3", "3.11", "manylinux2014_aarch64", None, None),
]


def pip_command(pip: str, target_dir: str, sample: Sample) -> List[str]:
    requirement, python, platform, abi, _ = sample
    return dry_run_command(pip, target_dir, requirement, python, platform, abi, "--no-deps")


def run_one(pip: str, sample: Sample) -> Dict[str, Any]:
    requirement, python, platform, abi, disagreement = sample
    proc = run_in_target(lambda target_dir: pip_command(pip, target_dir, sample), timeout=240)
    wheel = version = None
    error = None
    if proc.returncode == 0:
        report = json.loads(proc.stdout)
        item = report["install"][0]
        wheel = item["download_info"]["url"].rsplit("/", 1)[-1]
        version = item["metadata"]["version"]
    else:
        errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
        error = errors[0] if errors else (proc.stderr.strip().splitlines() or ["?"])[-1]
        if "Could not find a version" not in error and "No matching distribution" not in error:
            raise SystemExit(f"pip failed for {sample}: {proc.stderr.strip()}")
    return {
        "requirement": requirement,
        "python_version": python,
        "platform": platform,
        "abi": abi,
        "pip_found_wheel": wheel is not None,
        "pip_wheel": wheel,
        "pip_version_picked": version,
        "pip_error": error,
        "expected_disagreement": disagreement,
    }


def main(argv: Optional[List[str]] = None) -> int:
    args, pip_version, rows = record(__doc__.splitlines()[0], FIXTURE, 8, SAMPLE, run_one, argv)
    fields = {
        "command": " ".join(pip_command("pip", "DIR", ("REQ", "X.Y", "PLATFORM", None, None))),
        "note": "pip_found_wheel: pip found a wheel for the target with --only-binary=:all:",
    }
    write(args.output, pip_version, fields, rows)
    found = sum(row["pip_found_wheel"] for row in rows)
    print(f"recorded {len(rows)} pairs ({found} with a wheel) with pip {pip_version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
