"""Budget (issue 14): discovering the deployment targets of a 2,000-file repository takes
<= 0.5 s, whole process (interpreter start included), median of paired runs.

The generated repository holds 2,000 files: source, docs, data and Kubernetes YAML that
discovery must route past (the YAML is sniffed, the Python outside a CDK app is not
read), twelve deployment files of the kinds it reads, and 3,000 more files in ``.git``,
``node_modules`` and a virtualenv that it must skip.

    python benchmarks/discovery.py [--runs 11]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict

from _timing import paired_medians, repo_env

BUDGET = 0.5
PROJECT_FILES = 2000

DEPLOYMENT: Dict[str, str] = {
    "Dockerfile": "ARG PY=3.12\nFROM python:${PY}-slim AS build\nRUN pip wheel .\nFROM python:3.12-alpine\n",
    "services/worker/Dockerfile": "FROM public.ecr.aws/lambda/python:3.12\n",
    ".github/workflows/ci.yml": (
        "on: push\njobs:\n  test:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
        "        os: [ubuntu-latest, macos-latest, windows-latest]\n        python: ['3.10', '3.11', '3.12', '3.13']\n"
        "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.python }}\n"
    ),
    ".github/workflows/docker.yml": (
        "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n        with:\n          platforms: linux/amd64,linux/arm64\n"
    ),
    ".gitlab-ci.yml": "test:\n  image: python:$V\n  parallel:\n    matrix:\n      - V: ['3.11', '3.12']\n  script: [pytest]\n",
    ".python-version": "3.12.4\n",
    "tox.ini": "[tox]\nenvlist = py3{10-13}, lint\n",
    "pyproject.toml": '[project]\nname = "app"\nrequires-python = ">=3.10"\n[tool.ddguard]\ntargets = ["cp312-manylinux_x86_64"]\n',
    "deploy/serverless.yml": "provider:\n  name: aws\n  runtime: python3.12\n  architecture: arm64\nfunctions:\n  a:\n    handler: a.h\n",
    "deploy/template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.11\n",
    "infra/main.tf": 'resource "aws_lambda_function" "f" {\n  runtime = "python3.12"\n  architectures = ["arm64"]\n}\n',
    "app.yaml": "runtime: python312\n",
}


def generate(root: Path) -> None:
    written = 0
    for name, text in DEPLOYMENT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written += 1
    kinds = [
        ("src/app/module_{i}.py", "import os\n\ndef f_{i}():\n    return {i}\n" * 20),
        ("docs/page_{i}.md", "# Page {i}\n\nSome text.\n" * 30),
        ("data/item_{i}.json", '{{"id": {i}, "values": [1, 2, 3]}}\n'),
        (
            "k8s/deploy_{i}.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  replicas: 2\n",
        ),
        ("tests/test_{i}.py", "def test_{i}():\n    assert True\n"),
    ]
    i = 0
    while written < PROJECT_FILES:
        pattern, text = kinds[i % len(kinds)]
        path = root / pattern.format(i=i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(i=i))
        written += 1
        i += 1
    for skipped in (".git/objects", "node_modules/left-pad", ".venv/lib/python3.12/site-packages"):
        for j in range(1000):
            path = root / skipped / f"d{j % 20}" / f"f{j}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("FROM python:2.7\n")
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "node_modules" / "left-pad" / "Dockerfile").write_text("FROM python:2.7\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    env = repo_env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        generate(root)
        code = (
            "from ddguard.sources.targets import discover\n"
            f"found = discover({str(root)!r})\n"
            "skipped = {'.git', 'node_modules', '.venv'}\n"
            "assert not any(d.path.split('/')[0] in skipped for d in found.declarations)\n"
            "assert len(found.declarations) >= 30, len(found.declarations)\n"
        )
        medians = paired_medians(
            {
                "python -c pass": [sys.executable, "-c", "pass"],
                "discover (2,000 files)": [sys.executable, "-c", code],
            },
            runs=args.runs,
            env=env,
        )
        check = subprocess.run(
            [sys.executable, "-c", code + "print(len(found.declarations))"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            print(check.stderr)
            return 1
        print(f"declarations found: {check.stdout.strip()}")
    for name, value in medians.items():
        print(f"{name:28s} {value * 1000:7.1f} ms")
    total = medians["discover (2,000 files)"]
    verdict = "ok" if total <= BUDGET else "OVER BUDGET"
    print(
        f"budget: discovery <= {BUDGET * 1000:.0f} ms whole process: {total * 1000:.1f} ms ({verdict})"
    )
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
