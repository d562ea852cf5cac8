"""Hostile deployment files: a file discovery finds and cannot read becomes one note and
the rest of the project is still read; the same file named by the user is one
InputError line. Deep nesting, alias bombs, huge files, non-UTF-8, binary files, FIFOs,
links outside the project, wrong types and random structures, each as a class."""

from __future__ import annotations

import os
import string
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddguard.errors import InputError
from ddguard.model import NoteCode
from ddguard.sources.targets import discover, read_file
from ddguard.sources.targets.common import MAX_BYTES, python_words

WF = ".github/workflows/ci.yml"
GOOD = {"Dockerfile": "FROM python:3.12-slim\n"}  # read alongside each broken file

BILLION_LAUGHS = (
    "a: &a ['x','x','x','x','x','x','x','x','x']\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    + "jobs:\n  t:\n    steps: *i\n"
)

BROKEN: Dict[str, Any] = {
    "deep flow nesting": (WF, "jobs: " + "[" * 5000 + "]" * 5000 + "\n"),
    "deep block nesting": (".gitlab-ci.yml", "".join(" " * i + f"k{i}:\n" for i in range(3000))),
    "billion laughs": (WF, BILLION_LAUGHS),
    "alias to itself": ("serverless.yml", "provider: &p\n  runtime: python3.12\n  self: *p\n"),
    "invalid YAML": ("template.yaml", "Resources:\n  A: [unclosed\n"),
    "a YAML tab": (".gitlab-ci.yml", "a:\n\timage: python:3.12\n"),
    "not UTF-8": ("serverless.yml", "provider:\n  runtime: python3.12\n  x: \udcff\n"),
    "binary Dockerfile": ("Dockerfile.bin", "\x00\x01\x02FROM python:3.12\n"),
    "invalid TOML Pipfile": ("Pipfile", "[requires\npython_version = '3.11'\n"),
    "invalid tox.toml": ("tox.toml", "env_list = [\n"),
    # int() refuses more than 4,300 digits: a ValueError that is not a TOMLDecodeError
    "a 4,301-digit number in tox.toml": ("tox.toml", "env_list = ['py312']\nn = " + "1" * 4301 + "\n"),
    "a 50,000-digit number in a Pipfile": (
        "Pipfile",
        "[requires]\npython_version = '3.11'\n[x]\nn = -" + "9" * 50_000 + "\n",
    ),
    "a long number with underscores in pyproject.toml": (
        "pyproject.toml",
        "[project]\nrequires-python = '>=3.8'\n[tool.x]\nn = " + "12_" * 2200 + "3\n",
    ),
    "unterminated HCL comment": (
        "main.tf",
        'resource "aws_lambda_function" "a" {\n  /* runtime = "python3.12"\n',
    ),
    "unclosed HCL block": (
        "main.tf",
        'resource "aws_lambda_function" "a" {\n  runtime = "python3.12"\n',
    ),
    "CDK source that does not parse": ("cdk/app.py", "Runtime.PYTHON_3_12 (\n"),
    "deeply nested CDK source": (
        "cdk/app.py",
        "Runtime.PYTHON_3_12\nx = " + "(" * 3000 + ")" * 3000 + "\n",
    ),
}
def _toml_refuses_long_numbers() -> bool:
    from ddguard.sources.text import _tomllib

    try:
        _tomllib().loads("x = " + "1" * 5000)
    except ValueError:
        return True
    return False


if not _toml_refuses_long_numbers():  # PyPy's tomli reads long numbers: these files are fine
    for _case in (
        "a 4,301-digit number in tox.toml",
        "a 50,000-digit number in a Pipfile",
        "a long number with underscores in pyproject.toml",
    ):
        BROKEN.pop(_case)


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


@pytest.mark.parametrize("case", sorted(BROKEN), ids=str)
def test_a_broken_file_is_one_note_and_the_rest_is_still_read(tmp_path: Path, case: str) -> None:
    name, text = BROKEN[case]
    _write(tmp_path, name, text)
    if name.startswith("cdk/"):
        _write(tmp_path, "cdk/cdk.json", "{}")
    for good, good_text in GOOD.items():
        _write(tmp_path, good, good_text)
    found = discover(str(tmp_path))
    assert [d.source for d in found.declarations] == ["Dockerfile:1"]
    unreadable = [n for n in found.notes if n.code is NoteCode.UNREADABLE]
    assert len(unreadable) <= 1
    for note in unreadable:
        assert note.path == name and note.text and "\n" not in note.text and len(note.text) < 200


@pytest.mark.parametrize("case", sorted(BROKEN), ids=str)
def test_the_same_file_named_by_the_user_is_one_input_error_line(tmp_path: Path, case: str) -> None:
    name, text = BROKEN[case]
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as error:
        read_file(str(path), str(tmp_path))
    assert "\n" not in str(error.value) and str(error.value).startswith(name + ":")


def test_a_file_over_the_size_bound_is_not_read(tmp_path: Path) -> None:
    _write(tmp_path, "Dockerfile", "FROM python:3.12\n" + "# filler\n" * (MAX_BYTES // 9 + 10))
    found = discover(str(tmp_path))
    assert found.declarations == ()
    assert [(n.code, n.path) for n in found.notes] == [(NoteCode.UNREADABLE, "Dockerfile")]
    with pytest.raises(InputError, match="larger than 1 MiB"):
        read_file(str(tmp_path / "Dockerfile"))


def test_a_long_line_is_read(tmp_path: Path) -> None:
    _write(tmp_path, "Dockerfile", "FROM python:3.12 AS " + "x" * 50_000 + "\n")
    found = discover(str(tmp_path))
    assert [d.source for d in found.declarations] == ["Dockerfile:1"]
    assert len(found.declarations[0].evidence) <= 200


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_dockerfile_is_never_opened_for_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    assert discover(str(tmp_path)).declarations == ()
    with pytest.raises(InputError, match="not a regular file"):
        read_file(str(tmp_path / "Dockerfile"))


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_links_leading_outside_the_project_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _write(outside, "Dockerfile", "FROM python:3.9\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "ext").symlink_to(outside, target_is_directory=True)
    (project / "Dockerfile").symlink_to("/dev/zero")
    (project / "loop").symlink_to(project, target_is_directory=True)
    _write(project, "sub/.python-version", "3.12\n")
    found = discover(str(project))
    assert [d.source for d in found.declarations] == ["sub/.python-version:1"]
    assert [(n.code, n.path) for n in found.notes] == [(NoteCode.OUTSIDE_PROJECT, "Dockerfile")]


def test_skipped_directories(tmp_path: Path) -> None:
    for directory in (
        ".git",
        "node_modules/pkg",
        ".tox/py312",
        ".nox/x",
        "build",
        "dist",
        "cdk.out",
        "env",
    ):
        _write(tmp_path, f"{directory}/Dockerfile", "FROM python:3.9\n")
    _write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    _write(tmp_path, "deploy/Dockerfile", "FROM python:3.12\n")
    assert [d.source for d in discover(str(tmp_path)).declarations] == ["deploy/Dockerfile:1"]


def test_a_missing_root_and_an_unknown_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        discover(str(tmp_path / "nope"))
    _write(tmp_path, "README.md", "# hi\n")
    with pytest.raises(InputError, match="not a file ddguard reads"):
        read_file(str(tmp_path / "README.md"))
    with pytest.raises(InputError, match="no such file"):
        read_file(str(tmp_path / "Dockerfile"))


WRONG_TYPES = [
    (WF, "jobs: 5\n"),
    (WF, "jobs:\n  t: [1, 2]\n"),
    (WF, "jobs:\n  t:\n    steps: 'x'\n    strategy: {matrix: [1, 2]}\n    runs-on: {group: g}\n"),
    (
        WF,
        "jobs:\n  t:\n    steps:\n      - uses: actions/setup-python@v5\n        with: {python-version: {a: b}}\n",
    ),
    (
        WF,
        "jobs:\n  t:\n    strategy:\n      matrix:\n        include: 5\n        exclude: [1]\n        py: 7\n    steps: []\n",
    ),
    (
        ".gitlab-ci.yml",
        "image: [1, 2]\nvariables: 5\njob:\n  extends: {a: b}\n  parallel: {matrix: 3}\n",
    ),
    ("serverless.yml", "provider: 5\nfunctions: [1, 2]\n"),
    ("serverless.yml", "functions:\n  a: {runtime: [python3.12]}\n"),
    ("template.yaml", "Resources: 7\n"),
    (
        "template.yaml",
        "AWSTemplateFormatVersion: x\nResources:\n  A: {Type: AWS::Lambda::Function, Properties: 5}\n",
    ),
    ("app.yaml", "runtime: {a: b}\n"),
    ("app.yaml", "- runtime: python312\n"),
    ("pyproject.toml", "tool = 5\n"),
    ("pyproject.toml", "[tool.tox]\nenv_list = 5\nlegacy_tox_ini = 7\n"),
    ("Pipfile", "requires = 5\n"),
    ("Pipfile", "[requires]\npython_version = 3.11\n"),
    ("tox.ini", "[tox]\nenvlist = {{{{\n"),
]


@pytest.mark.parametrize(
    ("name", "text"), WRONG_TYPES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(WRONG_TYPES)]
)
def test_wrong_types_declare_nothing_and_raise_nothing(
    tmp_path: Path, name: str, text: str
) -> None:
    _write(tmp_path, name, text)
    found = discover(str(tmp_path))
    assert found.declarations == ()


_scalars = st.one_of(
    st.sampled_from(
        ["3.12", "python3.11", "${{ matrix.py }}", "$V", "python:3.9-alpine", "arm64", "x"]
    ),
    st.text(string.printable, max_size=12),
    st.integers(),
    st.none(),
)
_structures = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "jobs",
                    "steps",
                    "runs-on",
                    "strategy",
                    "matrix",
                    "include",
                    "exclude",
                    "uses",
                    "with",
                    "python-version",
                    "container",
                    "image",
                    "variables",
                    "parallel",
                    "extends",
                    "provider",
                    "runtime",
                    "functions",
                    "architecture",
                    "Resources",
                    "Type",
                    "Properties",
                    "Runtime",
                    "Architectures",
                    "Globals",
                    "Function",
                    "env",
                    "build-args",
                    "platforms",
                    "AWS::Lambda::Function",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    document=_structures,
    name=st.sampled_from([WF, ".gitlab-ci.yml", "serverless.yml", "template.yaml", "app.yaml"]),
)
def test_any_yaml_structure_reads_without_an_error(
    tmp_path: Path, document: Any, name: str
) -> None:
    path = _write(tmp_path, name, yaml.safe_dump(document))
    try:
        found = discover(str(tmp_path))
    finally:
        path.unlink()
    for declaration in found.declarations:
        assert declaration.python_version is not None and declaration.python_version[0] in (2, 3)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=300),
    name=st.sampled_from(
        [
            "Dockerfile",
            WF,
            ".gitlab-ci.yml",
            ".python-version",
            "runtime.txt",
            ".tool-versions",
            "main.tf",
            "tox.ini",
            "Pipfile",
            "pyproject.toml",
            "serverless.yml",
            "app.yaml",
        ]
    ),
)
def test_any_bytes_are_a_note_at_worst(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        found = discover(str(tmp_path))
    finally:
        path.unlink()
    assert all(
        n.code is not NoteCode.UNREADABLE or (n.text and "\n" not in n.text) for n in found.notes
    )


@given(st.text(max_size=30))
def test_version_words_never_invent_a_python_past_the_known_ones(word: str) -> None:
    python = python_words(word)
    if python is not None and python.version is not None:
        assert python.version[0] in (2, 3) and (len(python.version) == 1 or python.version[1] <= 18)


@pytest.mark.parametrize(
    "case", ["deep flow nesting", "deep block nesting", "billion laughs", "alias to itself"]
)
def test_the_pure_python_yaml_loader_is_bounded_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)  # PyYAML built without libyaml
    name, text = BROKEN[case]
    _write(tmp_path, name, text)
    _write(
        tmp_path,
        WF if name != WF else ".gitlab-ci.yml",
        "test:\n  image: python:3.12\n  script: [x]\n",
    )
    found = discover(str(tmp_path))
    assert [n.code for n in found.notes if n.path == name] == [NoteCode.UNREADABLE]
