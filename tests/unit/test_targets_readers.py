"""Each kind of deployment file, one behaviour per row: the file as written -> the
targets it declares (python, os, arch, libc; "-" for none) and the notes it earns."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from targets_corpus import python_text

from ddguard.model import NoteCode
from ddguard.model.deployment import Discovery
from ddguard.sources.targets import discover

Short = Tuple[str, str, str, str, str]  # source, python, os, arch, libc


def _project(tmp_path: Path, files: Dict[str, str]) -> Discovery:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return discover(str(tmp_path))


def _short(discovery: Discovery) -> List[Short]:
    return sorted(
        (
            d.source,
            python_text(d),
            d.os.value if d.os else "-",
            d.arch.value if d.arch else "-",
            d.libc.value if d.libc else "-",
        )
        for d in discovery.declarations
    )


def _notes(discovery: Discovery) -> List[Tuple[str, str]]:
    return sorted((n.code.value, f"{n.path}:{n.line}") for n in discovery.notes)


# --- Dockerfiles ---------------------------------------------------------------------------

DOCKER_IMAGES = [
    ("python:3.12-slim", ("3.12", "linux", "-", "glibc"), None),
    ("python:3.12-alpine3.19", ("3.12", "linux", "-", "musl"), None),
    ("python:3.11-slim-bookworm", ("3.11", "linux", "-", "glibc"), None),
    ("python:3.10-bullseye", ("3.10", "linux", "-", "glibc"), None),
    ("python:3.13.5-slim", ("3.13.5", "linux", "-", "glibc"), None),
    ("python:3.14.0rc1-alpine", ("3.14.0", "linux", "-", "musl"), None),
    ("python:3-alpine", ("3", "linux", "-", "musl"), "target-major-only"),
    ("python:3.12-windowsservercore-ltsc2022", ("3.12", "windows", "-", "-"), None),
    ("python:latest", None, "target-no-version"),
    ("python", None, "target-no-version"),
    ("python:slim", None, "target-no-version"),
    ("docker.io/library/python:3.11", ("3.11", "linux", "-", "glibc"), None),
    ("index.docker.io/python:3.11-alpine", ("3.11", "linux", "-", "musl"), None),
    ("mirror.gcr.io/library/python:3.9", ("3.9", "linux", "-", "glibc"), None),
    ("public.ecr.aws/docker/library/python:3.12-slim", ("3.12", "linux", "-", "glibc"), None),
    ("arm64v8/python:3.11-alpine", ("3.11", "linux", "aarch64", "musl"), None),
    ("amd64/python:3.11", ("3.11", "linux", "x86_64", "glibc"), None),
    ("pypy:3.10-slim", ("pypy3.10", "linux", "-", "glibc"), None),
    ("pypy:3.10-7.3.17-bookworm", ("pypy3.10", "linux", "-", "glibc"), None),
    ("public.ecr.aws/lambda/python:3.12", ("3.12", "linux", "x86_64", "glibc"), None),
    ("public.ecr.aws/lambda/python:3.12-arm64", ("3.12", "linux", "aarch64", "glibc"), None),
    ("public.ecr.aws/lambda/python:3.11.2024.01.05.12", ("3.11", "linux", "x86_64", "glibc"), None),
    ("amazon/aws-lambda-python:3.9", ("3.9", "linux", "x86_64", "glibc"), None),
    ("mcr.microsoft.com/devcontainers/python:3.12", ("3.12", "linux", "-", "glibc"), None),
    (
        "mcr.microsoft.com/devcontainers/python:1-3.11-bullseye",
        ("3.11", "linux", "-", "glibc"),
        None,
    ),
    ("cimg/python:3.12.1-node", ("3.12.1", "linux", "-", "glibc"), None),
    ("circleci/python:3.9-buster", ("3.9", "linux", "-", "glibc"), None),
    ("ghcr.io/astral-sh/uv:python3.12-bookworm-slim", ("3.12", "linux", "-", "glibc"), None),
    ("ghcr.io/astral-sh/uv:python3.13-alpine", ("3.13", "linux", "-", "musl"), None),
    ("tiangolo/uvicorn-gunicorn-fastapi:python3.11-slim", ("3.11", "linux", "-", "glibc"), None),
    ("bitnami/python:3.11.4-debian-11-r0", ("3.11.4", "linux", "-", "glibc"), None),
    ("registry.access.redhat.com/ubi9/python-311", ("3.11", "linux", "-", "glibc"), None),
    ("python:3.11-slimm", ("3.11", "linux", "-", "-"), None),  # a misspelt variant
    ("ubuntu:22.04", None, "target-unknown-image"),
    ("node:20-alpine", None, "target-unknown-image"),
    ("gcr.io/distroless/python3-debian12", None, "target-unknown-image"),
    ("registry.example.com/team/python:3.12", None, "target-unknown-image"),
    ("continuumio/miniconda3", None, "target-unknown-image"),
    ("ghcr.io/astral-sh/uv:latest", None, "target-unknown-image"),
    ("scratch", None, None),
]


@pytest.mark.parametrize(
    ("image", "target", "note"), DOCKER_IMAGES, ids=[r[0] for r in DOCKER_IMAGES]
)
def test_a_from_image_states_only_what_its_name_says(
    tmp_path: Path, image: str, target: Optional[Tuple[str, str, str, str]], note: Optional[str]
) -> None:
    found = _project(tmp_path, {"Dockerfile": f"FROM {image}\nRUN true\n"})
    assert _short(found) == ([("Dockerfile:1", *target)] if target else [])
    assert _notes(found) == ([(note, "Dockerfile:1")] if note else [])


DOCKERFILES = [
    (
        "platform flag",
        "FROM --platform=linux/arm64 python:3.12-slim\n",
        [("Dockerfile:1", "3.12", "linux", "aarch64", "glibc")],
        [],
    ),
    (
        "platform from an automatic build arg is unknown",
        "FROM --platform=$BUILDPLATFORM python:3.12-slim AS build\n",
        [("Dockerfile:1", "3.12", "linux", "-", "glibc")],
        [],
    ),
    (
        "Lambda on arm64 by platform",
        "FROM --platform=linux/arm64 public.ecr.aws/lambda/python:3.13\n",
        [("Dockerfile:1", "3.13", "linux", "aarch64", "glibc")],
        [],
    ),
    (
        "ARG default, braces",
        "ARG PY=3.11\nFROM python:${PY}-slim\n",
        [("Dockerfile:1", "3.11", "linux", "-", "glibc")],
        [],
    ),
    (
        "ARG default, plain $VAR and a quoted default",
        'ARG PY="3.10"\nFROM python:$PY\n',
        [("Dockerfile:1", "3.10", "linux", "-", "glibc")],
        [],
    ),
    (
        "inline default when the ARG has none",
        "ARG PY\nFROM python:${PY:-3.12}-alpine\n",
        [("Dockerfile:2", "3.12", "linux", "-", "musl")],
        [],
    ),
    (
        "ARG without a default",
        "ARG PY\nFROM python:${PY}-slim\n",
        [],
        [("target-variable", "Dockerfile:2")],
    ),
    (
        "an undeclared variable",
        "FROM python:${NOPE}\n",
        [],
        [("target-variable", "Dockerfile:1")],
    ),
    (
        "the whole image in an ARG, defaults chained",
        "ARG V=3.9\nARG BASE=python:${V}-alpine\nFROM ${BASE}\n",
        [("Dockerfile:2", "3.9", "linux", "-", "musl")],
        [],
    ),
    (
        "an ARG after the first FROM does not reach a later FROM",
        "FROM python:3.12 AS a\nARG V=3.9\nFROM python:${V}\n",
        [("Dockerfile:1", "3.12", "linux", "-", "glibc")],
        [("target-variable", "Dockerfile:3")],
    ),
    (
        "continuation lines and a comment inside them",
        "FROM \\\n# a comment\n    python:3.11-slim \\\n    AS app\n",
        [("Dockerfile:1", "3.11", "linux", "-", "glibc")],
        [],
    ),
    (
        "the escape directive",
        "# escape=`\nFROM python:3.12-windowsservercore `\n  AS win\n",
        [("Dockerfile:2", "3.12", "windows", "-", "-")],
        [],
    ),
    (
        "a heredoc body is not an instruction",
        "FROM python:3.12\nRUN <<EOF\nFROM ubuntu:22.04\nEOF\nFROM python:3.11-alpine\n",
        [
            ("Dockerfile:1", "3.12", "linux", "-", "glibc"),
            ("Dockerfile:5", "3.11", "linux", "-", "musl"),
        ],
        [],
    ),
    (
        "a Jinja placeholder in FROM",
        "FROM python:{{ python_version }}-slim\n",
        [],
        [("target-no-version", "Dockerfile:1")],
    ),
    (
        "lowercase instructions and an unknown final image",
        "from python:3.12 as build\nfrom node:20\n",
        [("Dockerfile:1", "3.12", "linux", "-", "glibc")],
        [("target-unknown-image", "Dockerfile:2")],
    ),
    (
        "FROM scratch earns no note",
        "FROM python:3.12 AS build\nFROM scratch\n",
        [("Dockerfile:1", "3.12", "linux", "-", "glibc")],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "targets", "notes"), DOCKERFILES, ids=[r[0] for r in DOCKERFILES]
)
def test_dockerfile_reading(
    tmp_path: Path, name: str, text: str, targets: List[Short], notes: List[Tuple[str, str]]
) -> None:
    found = _project(tmp_path, {"Dockerfile": text})
    assert _short(found) == sorted(targets)
    assert _notes(found) == sorted(notes)


def test_every_stage_with_python_is_listed_and_the_last_one_is_final(tmp_path: Path) -> None:
    found = _project(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.12-alpine AS build\nFROM build AS test\nFROM python:3.12-slim\n"
        },
    )
    stages = [
        (d.line, d.stage, d.final, d.via, d.libc.value if d.libc else None)
        for d in found.declarations
    ]
    assert stages == [
        (1, "build", False, None, "musl"),
        (1, "test", False, "Dockerfile:2", "musl"),
        (3, None, True, None, "glibc"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "dockerfile",
        "Containerfile",
        "Dockerfile.prod",
        "Dockerfile-dev",
        "api.Dockerfile",
        "docker/web.dockerfile",
    ],
)
def test_dockerfile_names(tmp_path: Path, name: str) -> None:
    found = _project(tmp_path, {name: "FROM python:3.12\n"})
    assert [d.path for d in found.declarations] == [name]


@pytest.mark.parametrize(
    "name", ["Dockerfile.dockerignore", "Dockerfile.md", "notes-dockerfile.txt"]
)
def test_files_that_are_not_dockerfiles(tmp_path: Path, name: str) -> None:
    assert _project(tmp_path, {name: "FROM python:3.12\n"}).declarations == ()


# --- GitHub Actions ------------------------------------------------------------------------

WF = ".github/workflows/ci.yml"


def _workflow(job: str, top: str = "") -> str:
    return f"name: ci\non: push\n{top}jobs:\n  test:\n{job}"


WORKFLOWS = [
    (
        "a scalar on ubuntu: linux/glibc, arch unknown",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.12'\n"
        ),
        [(f"{WF}:9", "3.12", "linux", "-", "glibc")],
        [],
    ),
    (
        "an arm runner states aarch64",
        _workflow(
            "    runs-on: ubuntu-24.04-arm\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: 3.13t\n"
        ),
        [(f"{WF}:9", "3.13t", "linux", "aarch64", "glibc")],
        [],
    ),
    (
        "windows on arm, macOS",
        _workflow(
            "    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [windows-11-arm, macos-14]\n"
            "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.12'\n"
        ),
        [(f"{WF}:12", "3.12", "macos", "-", "-"), (f"{WF}:12", "3.12", "windows", "aarch64", "-")],
        [],
    ),
    (
        "self-hosted labels",
        _workflow(
            "    runs-on: [self-hosted, linux, ARM64]\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.11'\n"
        ),
        [(f"{WF}:9", "3.11", "linux", "aarch64", "-")],
        [],
    ),
    (
        "the architecture input",
        _workflow(
            "    runs-on: windows-latest\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.9'\n          architecture: x86\n"
        ),
        [(f"{WF}:9", "3.9", "windows", "i686", "-")],
        [],
    ),
    (
        "versions one a line, pypy, 3.x and a YAML float",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n"
            "          python-version: |\n            3.10\n            pypy3.10\n            3.x\n"
        ),
        [
            (f"{WF}:10", "3.10", "linux", "-", "glibc"),
            (f"{WF}:11", "pypy3.10", "linux", "-", "glibc"),
            (f"{WF}:12", "3", "linux", "-", "glibc"),
        ],
        [("target-major-only", f"{WF}:12")],
    ),
    (
        "a workflow env value",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ env.PY }}\n",
            top="env:\n  PY: '3.12'\n",
        ),
        [(f"{WF}:4", "3.12", "linux", "-", "glibc")],
        [],
    ),
    (
        "a job env value over the workflow's",
        _workflow(
            "    runs-on: ubuntu-latest\n    env:\n      PY: '3.11'\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ env.PY }}\n",
            top="env:\n  PY: '3.12'\n",
        ),
        [(f"{WF}:9", "3.11", "linux", "-", "glibc")],
        [],
    ),
    (
        "a reusable workflow's input default",
        "on:\n  workflow_call:\n    inputs:\n      python:\n        type: string\n        default: '3.10'\njobs:\n  t:\n    runs-on: ubuntu-22.04\n"
        "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ inputs.python }}\n",
        [(f"{WF}:6", "3.10", "linux", "-", "glibc")],
        [],
    ),
    (
        "an expression ddguard cannot see",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ vars.PY }}\n"
        ),
        [],
        [("target-variable", f"{WF}:9")],
    ),
    (
        "a version range names no version",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '>=3.9'\n"
        ),
        [],
        [("target-no-version", f"{WF}:9")],
    ),
    (
        "a container image, on an arm runner",
        _workflow(
            "    runs-on: ubuntu-24.04-arm\n    container: python:3.12-alpine\n    steps:\n      - run: pytest\n"
        ),
        [(f"{WF}:6", "3.12", "linux", "aarch64", "musl")],
        [],
    ),
    (
        "a container image from the matrix",
        _workflow(
            "    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        image: ['python:3.9', 'ubuntu:24.04']\n"
            "    container:\n      image: ${{ matrix.image }}\n    steps:\n      - run: pytest\n"
        ),
        [(f"{WF}:8", "3.9", "linux", "-", "glibc")],
        [("target-unknown-image", f"{WF}:10")],
    ),
    (
        "a python matrix value a run script reads",
        _workflow(
            "    runs-on: macos-latest\n    strategy:\n      matrix:\n        python: ['3.12', '3.13']\n"
            "    steps:\n      - run: uv run --python ${{ matrix.python }} pytest\n"
        ),
        [(f"{WF}:8", "3.12", "macos", "-", "-"), (f"{WF}:8", "3.13", "macos", "-", "-")],
        [],
    ),
    (
        "a matrix from fromJSON names nothing",
        _workflow(
            "    runs-on: ubuntu-latest\n    strategy:\n      matrix: ${{ fromJSON(needs.a.outputs.m) }}\n"
            "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.python }}\n"
        ),
        [],
        [("target-variable", f"{WF}:11")],
    ),
    (
        "a fallback with || when the matrix key is missing",
        _workflow(
            "    runs-on: ${{ matrix.os || 'ubuntu-latest' }}\n    strategy:\n      matrix:\n        include:\n"
            "          - {py: '3.12'}\n          - {py: '3.11', os: macos-14}\n"
            "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.py }}\n"
        ),
        [(f"{WF}:9", "3.12", "linux", "-", "glibc"), (f"{WF}:10", "3.11", "macos", "-", "-")],
        [],
    ),
    (
        "a step whose if: is false for a combination does not run in it; a ternary container",
        _workflow(
            "    runs-on: ubuntu-22.04\n    strategy:\n      matrix:\n        py: ['3.6', '3.12']\n"
            "    container: ${{ matrix.py == '3.6' && 'python:3.6-slim' || null }}\n"
            "    steps:\n      - uses: actions/setup-python@v5\n        if: ${{ matrix.py != '3.6' }}\n"
            "        with:\n          python-version: ${{ matrix.py }}\n"
        ),
        [(f"{WF}:9", "3.6", "linux", "-", "glibc"), (f"{WF}:8", "3.12", "linux", "-", "glibc")],
        [],
    ),
    (
        "a job whose if: is false for a combination",
        _workflow(
            "    if: matrix.os != 'windows-latest'\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
            "        os: [ubuntu-latest, windows-latest]\n"
            "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.13'\n"
        ),
        [(f"{WF}:13", "3.13", "linux", "-", "glibc")],
        [],
    ),
    (
        "an if: ddguard cannot evaluate is taken to run",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n        if: github.event_name == 'push'\n"
            "        with:\n          python-version: '3.13'\n"
        ),
        [(f"{WF}:10", "3.13", "linux", "-", "glibc")],
        [],
    ),
    (
        "a local composite action given python-version",
        _workflow(
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/setup\n        with:\n          python-version: '3.11'\n"
        ),
        [(f"{WF}:9", "3.11", "linux", "-", "glibc")],
        [],
    ),
    (
        "a remote reusable workflow given python-version: no runner known",
        _workflow(
            "    uses: org/shared/.github/workflows/test.yml@v1\n    with:\n      python-version: '3.12'\n"
        ),
        [(f"{WF}:7", "3.12", "-", "-", "-")],
        [],
    ),
    (
        "exclude and include (a new combination, an added key)",
        _workflow(
            "    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-latest]\n"
            "        py: ['3.12', '3.13']\n        exclude:\n          - os: windows-latest\n            py: '3.13'\n"
            "        include:\n          - os: ubuntu-24.04-arm\n            py: '3.12'\n          - py: '3.13'\n            arch: x64\n"
            "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.py }}\n          architecture: ${{ matrix.arch }}\n"
        ),
        [
            (f"{WF}:9", "3.12", "linux", "-", "glibc"),
            (f"{WF}:9", "3.12", "windows", "-", "-"),
            (f"{WF}:9", "3.13", "linux", "x86_64", "glibc"),
            (f"{WF}:15", "3.12", "linux", "aarch64", "glibc"),
        ],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "targets", "notes"), WORKFLOWS, ids=[r[0] for r in WORKFLOWS]
)
def test_workflow_reading(
    tmp_path: Path, name: str, text: str, targets: List[Short], notes: List[Tuple[str, str]]
) -> None:
    found = _project(tmp_path, {WF: text})
    assert _short(found) == sorted(targets)
    assert _notes(found) == sorted(notes)


def test_a_local_reusable_workflow_is_read_with_the_callers_values(tmp_path: Path) -> None:
    caller = _workflow(
        "    strategy:\n      matrix:\n        py: ['3.11', '3.12']\n        os: [ubuntu-24.04-arm]\n"
        "    uses: ./.github/workflows/reusable.yml\n    with:\n      runner: ${{ matrix.os }}\n      python: ${{ matrix.py }}\n"
    )
    called = (
        "on:\n  workflow_call:\n    inputs:\n      runner: {type: string, required: true}\n      python: {type: string}\n"
        "jobs:\n  t:\n    runs-on: ${{ inputs.runner }}\n    steps:\n      - uses: actions/setup-python@v5\n"
        "        with:\n          python-version: ${{ inputs.python }}\n"
    )
    found = _project(tmp_path, {WF: caller, ".github/workflows/reusable.yml": called})
    assert _short(found) == [
        (f"{WF}:7", "3.11", "linux", "aarch64", "glibc"),
        (f"{WF}:7", "3.12", "linux", "aarch64", "glibc"),
    ]
    assert {d.via for d in found.declarations} == {".github/workflows/reusable.yml:12"}
    assert found.notes == ()  # read on its own, the reusable workflow waits for its callers


def test_python_version_file_and_the_default_dot_python_version(tmp_path: Path) -> None:
    steps = (
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n"
        "      - uses: actions/setup-python@v5\n        with:\n          python-version-file: pyproject.toml\n"
    )
    found = _project(
        tmp_path,
        {
            WF: _workflow(steps),
            ".python-version": "3.12\n",
            "pyproject.toml": "[project]\nname='x'\nrequires-python='>=3.9'\n",
        },
    )
    rows = sorted(
        (d.source, d.kind.value, d.os.value if d.os else "-", d.via) for d in found.declarations
    )
    assert rows == [
        (".python-version:1", "github-actions", "linux", f"{WF}:7"),
        (".python-version:1", "python-version-file", "-", None),
    ]
    assert _notes(found) == [("target-no-version", f"{WF}:10")]  # requires-python is a range


def test_a_docker_build_applies_its_platforms_and_build_args_to_the_dockerfile(
    tmp_path: Path,
) -> None:
    workflow = _workflow(
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n"
        "          context: app\n          platforms: linux/amd64,linux/arm64\n          build-args: |\n            PY=3.13\n"
    )
    found = _project(
        tmp_path, {WF: workflow, "app/Dockerfile": "ARG PY=3.12\nFROM python:${PY}-slim\n"}
    )
    assert _short(found) == [
        (f"{WF}:12", "3.13", "linux", "aarch64", "glibc"),
        (f"{WF}:12", "3.13", "linux", "x86_64", "glibc"),
        ("app/Dockerfile:1", "3.12", "linux", "-", "glibc"),
    ]
    assert {d.via for d in found.declarations} == {"app/Dockerfile:2"}


def test_a_docker_build_with_platforms_only_keeps_the_dockerfile_python(tmp_path: Path) -> None:
    workflow = _workflow(
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n        with:\n"
        "          file: docker/api.Dockerfile\n          platforms: linux/arm64\n"
    )
    found = _project(tmp_path, {WF: workflow, "docker/api.Dockerfile": "FROM python:3.12-alpine\n"})
    assert sorted(
        (d.source, d.arch.value if d.arch else "-", d.via) for d in found.declarations
    ) == [
        ("docker/api.Dockerfile:1", "-", None),
        ("docker/api.Dockerfile:1", "aarch64", f"{WF}:10"),
    ]


def test_a_matrix_larger_than_githubs_limit_is_cut_with_a_note(tmp_path: Path) -> None:
    values = ", ".join(f"'v{i}'" for i in range(20))
    job = (
        f"    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        a: [{values}]\n        b: [{values}]\n"
        "    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.12'\n"
    )
    found = _project(tmp_path, {WF: _workflow(job)})
    assert ("target-limit", f"{WF}:8") in _notes(found)
    assert len(found.declarations) == 1


# --- GitLab CI -----------------------------------------------------------------------------

GITLAB = [
    (
        "parallel matrix over a variable",
        "test:\n  image: python:$PYTHON_VERSION-alpine\n  parallel:\n    matrix:\n      - PYTHON_VERSION: ['3.11', '3.12']\n  script: [pytest]\n",
        [
            (".gitlab-ci.yml:5", "3.11", "linux", "-", "musl"),
            (".gitlab-ci.yml:5", "3.12", "linux", "-", "musl"),
        ],
        [],
    ),
    (
        "a top-level variable, the default image, anchors and merge keys",
        "variables:\n  PY: '3.10'\ndefault:\n  image: python:${PY}\n.base: &base\n  script: [pytest]\na:\n  <<: *base\nb:\n  <<: *base\n  image: python:3.9-slim\n",
        [
            (".gitlab-ci.yml:2", "3.10", "linux", "-", "glibc"),
            (".gitlab-ci.yml:11", "3.9", "linux", "-", "glibc"),
        ],
        [],
    ),
    (
        "an image mapping with a platform",
        "build:\n  image:\n    name: python:3.12\n    docker:\n      platform: linux/arm64\n  script: [make]\n",
        [(".gitlab-ci.yml:3", "3.12", "linux", "aarch64", "glibc")],
        [],
    ),
    (
        "a predefined variable and a !reference",
        "a:\n  image: $CI_REGISTRY_IMAGE/app:latest\n  script: [x]\nb:\n  image: !reference [.images, py]\n  script: [x]\n",
        [],
        [("target-variable", ".gitlab-ci.yml:2"), ("target-variable", ".gitlab-ci.yml:5")],
    ),
]


@pytest.mark.parametrize(("name", "text", "targets", "notes"), GITLAB, ids=[r[0] for r in GITLAB])
def test_gitlab_reading(
    tmp_path: Path, name: str, text: str, targets: List[Short], notes: List[Tuple[str, str]]
) -> None:
    found = _project(tmp_path, {".gitlab-ci.yml": text})
    assert _short(found) == sorted(targets)
    assert _notes(found) == sorted(notes)


# --- version files, tox, Pipfile, pyproject --------------------------------------------------

SMALL_FILES = [
    (
        ".python-version",
        "# pinned\n3.12.1\n3.11 pypy3.10-7.3.12\nsystem\n3.15-dev\nmy-venv\n",
        [
            (".python-version:2", "3.12.1"),
            (".python-version:3", "3.11"),
            (".python-version:3", "pypy3.10"),
            (".python-version:5", "3.15"),
        ],
        [],
    ),
    (
        ".python-version",
        "3.12/envs/tools\n3.99\n",
        [(".python-version:1", "3.12")],
        [("target-no-version", ".python-version:2")],
    ),
    ("runtime.txt", "python-3.11.6\n", [("runtime.txt:1", "3.11.6")], []),
    (
        ".tool-versions",
        "nodejs 20.1.0\npython 3.12.1 3.11.7 # two\n",
        [(".tool-versions:2", "3.12.1"), (".tool-versions:2", "3.11.7")],
        [],
    ),
    (
        "tox.ini",
        "[tox]\nenv_list = py3{10-12}, py313t, pypy310, 3.14, lint\n",
        [("tox.ini:2", v) for v in ("3.10", "3.11", "3.12", "3.13t", "pypy3.10", "3.14")],
        [],
    ),
    (
        "setup.cfg",
        "[metadata]\nname = x\n[tox:tox]\nenvlist = py39,py310\n",
        [("setup.cfg:4", "3.9"), ("setup.cfg:4", "3.10")],
        [],
    ),
    (
        "tox.toml",
        'env_list = [\n  "3.13",\n  "py312-django",\n  "type",\n]\n',
        [("tox.toml:2", "3.13"), ("tox.toml:3", "3.12")],
        [],
    ),
    (
        "pyproject.toml",
        '[project]\nname = "x"\nrequires-python = ">=3.9"\n\n[tool.tox]\nlegacy_tox_ini = """\n[tox]\nenvlist = py311\n    py312\n"""\n',
        [("pyproject.toml:8", "3.11"), ("pyproject.toml:9", "3.12")],
        [],
    ),
    ("pyproject.toml", '[project]\nname = "x"\nrequires-python = ">=3.9"\n', [], []),
    (
        "Pipfile",
        '[packages]\nrequests = "*"\n\n[requires]\npython_version = "3.11"\npython_full_version = "3.11.4"\n',
        [("Pipfile:5", "3.11"), ("Pipfile:6", "3.11.4")],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "targets", "notes"),
    SMALL_FILES,
    ids=[f"{r[0]}-{i}" for i, r in enumerate(SMALL_FILES)],
)
def test_version_and_project_files(
    tmp_path: Path,
    name: str,
    text: str,
    targets: List[Tuple[str, str]],
    notes: List[Tuple[str, str]],
) -> None:
    found = _project(tmp_path, {name: text})
    assert sorted((d.source, python_text(d)) for d in found.declarations) == sorted(targets)
    assert all(d.os is None and d.arch is None for d in found.declarations)
    assert _notes(found) == sorted(notes)


def test_ddguard_config_targets_carry_their_exact_platform(tmp_path: Path) -> None:
    text = '[tool.ddguard]\ntargets = [\n  "cp312-manylinux_x86_64",\n  "cp313t-musllinux_1_2_aarch64",\n]\n'
    found = _project(tmp_path, {"pyproject.toml": text})
    assert _short(found) == [
        ("pyproject.toml:3", "3.12", "linux", "x86_64", "glibc"),
        ("pyproject.toml:4", "3.13t", "linux", "aarch64", "musl"),
    ]
    assert [d.compact() for d in found.declarations] == [
        "cp312-manylinux_x86_64",
        "cp313t-musllinux_1_2_aarch64",
    ]


def test_a_bad_ddguard_target_is_a_note_naming_its_line(tmp_path: Path) -> None:
    found = _project(tmp_path, {"pyproject.toml": '[tool.ddguard]\ntargets = ["cp312-nowhere"]\n'})
    assert _notes(found) == [("unreadable", "pyproject.toml:2")]


# --- serverless, cloud templates, App Engine, CDK, Terraform ------------------------------------

SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  PyRuntime:
    Type: String
    Default: python3.12
Globals:
  Function:
    Runtime: python3.11
    Architectures: [arm64]
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.h
  B:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: !Ref PyRuntime
      Architectures: [x86_64]
  C:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
  D:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
  E:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: !FindInMap [Runtimes, Py, Version]
  L:
    Type: AWS::Serverless::LayerVersion
    Properties:
      CompatibleRuntimes: [python3.10]
      CompatibleArchitectures: [arm64]
"""

CFN_JSON = '{\n  "Resources": {\n    "F": {\n      "Type": "AWS::Lambda::Function",\n      "Properties": {\n        "Runtime": {"Ref": "Rt"}\n      }\n    }\n  },\n  "Parameters": {"Rt": {"Type": "String", "Default": "python3.9"}}\n}\n'

SERVERLESS = """service: s
custom:
  pythonRuntime: python3.12
provider:
  name: aws
  runtime: ${self:custom.pythonRuntime}
  architecture: arm64
functions:
  a:
    handler: a.h
  b:
    handler: b.h
    runtime: ${env:RUNTIME}
  c:
    handler: c.h
    runtime: ${env:RUNTIME, 'python3.10'}
    architecture: x86_64
  d:
    image: 123.dkr.ecr.us-east-1.amazonaws.com/x:latest
"""

CDK = """from aws_cdk import aws_lambda as _lambda
from aws_cdk.aws_lambda import Architecture, Runtime

RUNTIME = _lambda.Runtime.PYTHON_3_12

class Stack:
    def __init__(self):
        _lambda.Function(self, "A", runtime=_lambda.Runtime.PYTHON_3_13, architecture=_lambda.Architecture.ARM_64)
        _lambda.Function(self, "B", runtime=Runtime.PYTHON_3_11, handler="b.h")
        _lambda.Function(self, "C", runtime=RUNTIME, architecture=Architecture.X86_64)
        _lambda.Function(self, "D", runtime=_lambda.Runtime.NODEJS_20_X)
"""

TERRAFORM = """# a comment with runtime = "python2.7"
variable "py" {
  default = "python3.12"
}
locals {
  arch = ["arm64"]
}
resource "aws_lambda_function" "a" {
  runtime       = var.py
  architectures = local.arch
  /* runtime = "python3.8" */
}
resource "aws_lambda_function" "b" {
  runtime = "python3.11"
  policy  = <<EOF
{ "runtime": "python3.6" }
EOF
}
resource "aws_lambda_function" "img" {
  package_type = "Image"
}
resource "aws_lambda_layer_version" "l" {
  compatible_runtimes = ["python3.10", "python3.11"]
}
resource "google_cloudfunctions2_function" "g" {
  build_config {
    runtime = "python311"
  }
}
module "m" {
  source  = "terraform-aws-modules/lambda/aws"
  runtime = "python3.13"
  architectures = ["arm64"]
}
"""

CLOUD = [
    (
        "template.yaml",
        SAM,
        [
            ("template.yaml:9", "3.11", "linux", "aarch64", "glibc"),
            ("template.yaml:6", "3.12", "linux", "x86_64", "glibc"),
            ("template.yaml:36", "3.10", "linux", "aarch64", "glibc"),
        ],
        [("target-variable", "template.yaml:32")],
    ),
    (
        "stack.template.json",
        CFN_JSON,
        [("stack.template.json:10", "3.9", "linux", "x86_64", "glibc")],
        [],
    ),
    (
        "serverless.yml",
        SERVERLESS,
        [
            ("serverless.yml:3", "3.12", "linux", "aarch64", "glibc"),
            ("serverless.yml:16", "3.10", "linux", "x86_64", "glibc"),
        ],
        [("target-variable", "serverless.yml:13")],
    ),
    ("app.yaml", "runtime: python312\n", [("app.yaml:1", "3.12", "linux", "-", "glibc")], []),
    (
        "worker.yaml",
        "service: worker\nruntime: python311\n",
        [("worker.yaml:2", "3.11", "linux", "-", "glibc")],
        [],
    ),
    (
        "app.yaml",
        "runtime: python\nenv: flex\nruntime_config:\n  operating_system: ubuntu22\n  runtime_version: '3.12'\n",
        [("app.yaml:5", "3.12", "linux", "-", "glibc")],
        [],
    ),
    ("app.yaml", "runtime: go122\n", [], []),
    ("infra/cdk.json", "{}", [], []),
    (
        "main.tf",
        TERRAFORM,
        [
            ("main.tf:3", "3.12", "linux", "aarch64", "glibc"),
            ("main.tf:14", "3.11", "linux", "x86_64", "glibc"),
            ("main.tf:23", "3.10", "linux", "-", "glibc"),
            ("main.tf:23", "3.11", "linux", "-", "glibc"),
            ("main.tf:27", "3.11", "linux", "-", "-"),
            ("main.tf:32", "3.13", "linux", "aarch64", "glibc"),
        ],
        [],
    ),
]


@pytest.mark.parametrize(("name", "text", "targets", "notes"), CLOUD, ids=[r[0] for r in CLOUD])
def test_cloud_files(
    tmp_path: Path, name: str, text: str, targets: List[Short], notes: List[Tuple[str, str]]
) -> None:
    found = _project(tmp_path, {name: text})
    assert _short(found) == sorted(targets)
    assert _notes(found) == sorted(notes)


def test_cdk_apps_are_read_as_text_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    app = f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n" + CDK
    found = _project(
        tmp_path, {"infra/cdk.json": "{}", "infra/stacks/app.py": app, "other/app.py": CDK}
    )
    assert not marker.exists()
    assert _short(found) == sorted(
        [
            ("infra/stacks/app.py:6", "3.12", "linux", "-", "glibc"),
            ("infra/stacks/app.py:10", "3.13", "linux", "aarch64", "glibc"),
            ("infra/stacks/app.py:11", "3.11", "linux", "x86_64", "glibc"),
        ]
    )  # other/ has no cdk.json: not read; runtime=RUNTIME is a name, not read through


def test_requires_python_is_never_read_as_a_version(tmp_path: Path) -> None:
    found = _project(
        tmp_path, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = "==3.12.*"\n'}
    )
    assert found.declarations == () and found.notes == ()


def test_notes_name_the_value_not_an_english_sentence(tmp_path: Path) -> None:
    found = _project(tmp_path, {"Dockerfile": "FROM ubuntu:24.04\n"})
    assert [(n.code, n.text) for n in found.notes] == [
        (NoteCode.TARGET_UNKNOWN_IMAGE, "ubuntu:24.04")
    ]
