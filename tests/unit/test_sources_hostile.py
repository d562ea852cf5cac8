"""Hostile input to every reader: one InputError naming the file (and line), never another
exception, never a wrong reading. Each class of bad input is generated, not one example:
garbage bytes, mutated real files, wrong types, deep nesting, long lines, files that are
not regular files, markers that cannot be evaluated, includes outside the project.

Speed (linear time, the 40 KB line, the 100,000-line file) is measured by
``benchmarks/hostile_inputs.py``, not asserted here."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddguard import cli, sources
from ddguard.errors import InputError
from ddguard.model import Scan

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"
READERS = (
    "requirements.txt",
    "constraints.txt",
    "pyproject.toml",
    "Pipfile",
    "setup.cfg",
    "tox.ini",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "pylock.toml",
)
TARGET = ["--target", "cp311-manylinux_x86_64"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(directory: Union[str, Path], name: str) -> Union[Scan, InputError]:
    """The scan of ``directory``, or the InputError it raised (anything else propagates)."""
    try:
        return sources.scan_project(str(directory))
    except InputError as exc:
        assert exc.path is not None, exc
        assert "\n" not in str(exc) and "\r" not in str(exc), exc
        return exc


def write(directory: Path, name: str, content: Union[str, bytes]) -> Path:
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def error(tmp_path: Path, name: str, content: Union[str, bytes]) -> InputError:
    write(tmp_path, name, content)
    found = outcome(tmp_path, name)
    assert isinstance(found, InputError), f"read without error: {found}"
    assert found.path == str(tmp_path / name), found
    return found


# --- garbage and mutated real files --------------------------------------------------------


@pytest.mark.parametrize("name", READERS)
@SETTINGS
@given(data=st.binary(max_size=400))
def test_garbage_bytes_give_an_input_error_or_a_reading(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), name, data)
        outcome(folder, name)


def _fixture_files() -> Iterator[Path]:
    for path in sorted(PROJECTS.rglob("*")):
        if path.is_file() and path.name != "setup.py":
            yield path


STRUCTURAL = st.sampled_from(
    ['"', "'", "[", "]", "{", "}", "=", ",", "\n", "#", ";", "@", "\\", "-r ", "\x00", "é", " "]
)
MUTATION = st.tuples(st.floats(0, 1), st.integers(0, 3), st.one_of(STRUCTURAL, st.text(max_size=6)))


@pytest.mark.parametrize(
    "fixture", list(_fixture_files()), ids=lambda p: str(p.relative_to(PROJECTS))
)
@SETTINGS
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_real_files_give_an_input_error_or_a_reading(
    fixture: Path, mutations: list
) -> None:
    text = fixture.read_text("utf-8")
    for where, cut, insert in mutations:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut :]
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(fixture.parent, folder, dirs_exist_ok=True)
        (Path(folder) / fixture.relative_to(fixture.parent)).write_text(text, "utf-8")
        outcome(folder, fixture.name)


# --- wrong types ---------------------------------------------------------------------------

TOML_VALUES = {
    "number": "5",
    "float": "1.5",
    "boolean": "true",
    "date": "1979-05-27",
    "string": '"x"',
    "table": "{ a = 1 }",
    "numbers": "[1]",
    "tables": "[{ a = 1 }]",
    "strings": '["x"]',
}
JSON_VALUES = {
    "number": "5",
    "boolean": "true",
    "string": '"x"',
    "table": '{"a": 1}',
    "numbers": "[1]",
    "strings": '["x"]',
}
UV_HEAD = 'version = 1\nrequires-python = ">=3.8"\n\n'
DDTRACE_BLOCK = '[[package]]\nname = "ddtrace"\nversion = "1.20.19"\n'
WRONG_TYPES = [
    # (file, template with {v}, the kinds it accepts)
    ("uv.lock", UV_HEAD + '[[package]]\nname = "ddtrace"\nversion = {v}\n', {"string"}),
    ("uv.lock", UV_HEAD + DDTRACE_BLOCK + "wheels = {v}\n", {"tables"}),
    ("uv.lock", UV_HEAD + DDTRACE_BLOCK + "resolution-markers = {v}\n", {"strings"}),
    ("uv.lock", UV_HEAD + DDTRACE_BLOCK + "source = {v}\n", {"table"}),
    (
        "uv.lock",
        UV_HEAD + '[[package]]\nname = "app"\nversion = "1"\n# needs ddtrace\n'
        "dependencies = {v}\n\n" + DDTRACE_BLOCK,
        {"tables"},
    ),
    ("poetry.lock", '[[package]]\nname = "ddtrace"\nversion = {v}\n', {"string"}),
    ("poetry.lock", DDTRACE_BLOCK + "files = {v}\n", {"tables"}),
    ("poetry.lock", DDTRACE_BLOCK + "groups = {v}\n", {"strings"}),
    ("pdm.lock", '[[package]]\nname = "ddtrace"\nversion = {v}\n', {"string"}),
    ("pdm.lock", DDTRACE_BLOCK + "files = {v}\n", {"tables"}),
    ("pdm.lock", DDTRACE_BLOCK + "dependencies = {v}\n", {"strings"}),
    ("pdm.lock", DDTRACE_BLOCK + "groups = {v}\n", {"strings"}),
    ("pdm.lock", DDTRACE_BLOCK + "marker = {v}\n", {"string"}),
    ("pylock.toml", '[[packages]]\nname = "ddtrace"\nversion = {v}\n', {"string"}),
    ("pylock.toml", DDTRACE_BLOCK.replace("package", "packages") + "wheels = {v}\n", {"tables"}),
    ("pylock.toml", DDTRACE_BLOCK.replace("package", "packages") + "marker = {v}\n", {"string"}),
    ("pylock.toml", 'lock-version = "1.0"\npackages = {v}\n', set()),
    ("uv.lock", UV_HEAD + "package = {v}\n", set()),
    ("pyproject.toml", "[build-system]\nrequires = {v}\n", {"strings"}),
    ("pyproject.toml", "[project]\ndependencies = {v}\n", {"strings"}),
    ("pyproject.toml", '[project]\ndependencies = ["ddtrace", {v}]\n', {"string"}),
    ("pyproject.toml", "[project]\nrequires-python = {v}\n", {"string"}),
    ("pyproject.toml", "project = {v}\n", {"table"}),
    ("pyproject.toml", "[project.optional-dependencies]\nx = {v}\n", {"strings"}),
    ("pyproject.toml", "[dependency-groups]\ng = {v}\n", {"strings"}),
    ("pyproject.toml", "[tool.poetry.dependencies]\npython = {v}\n", {"string"}),
    (
        "pyproject.toml",
        "[tool.poetry.dependencies]\nddtrace = {v}\n",
        {"string", "table", "tables"},
    ),
    ("pyproject.toml", "[tool.poetry]\nextras = {v}\n", {"table"}),
    ("pyproject.toml", "[tool.uv]\nconstraint-dependencies = {v}\n", {"strings"}),
    ("pyproject.toml", "[tool.tox.env_run_base]\ndeps = {v}\n", {"strings", "tables"}),
    ("pyproject.toml", "[tool.tox]\nlegacy_tox_ini = {v}\n", {"string"}),
    ("Pipfile", "[packages]\nddtrace = {v}\n", {"string", "table"}),
    ("Pipfile", "[packages]\nddtrace = { version = {v} }\n", {"string"}),
    ("Pipfile", "[requires]\npython_version = {v}\n", {"string"}),
]
JSON_WRONG_TYPES = [
    ('{"default": {"ddtrace": {"version": {v}}}}', {"string"}),
    ('{"default": {"ddtrace": {"version": "==1.20.19", "markers": {v}}}}', {"string"}),
    ('{"default": {"ddtrace": {v}}}', {"table"}),
    ('{"default": {v}}', {"table"}),
    ('{"_meta": {"requires": {"python_version": {v}}}}', {"string"}),
    ("{v}", {"table"}),
]


def _wrong(accepted: set, values: dict) -> list:
    return [(kind, text) for kind, text in values.items() if kind not in accepted]


@pytest.mark.parametrize(
    ("name", "template", "kind", "value"),
    [
        pytest.param(
            name, template, kind, value, id=f"{name}-{template.split('{v}')[0][-24:]}-{kind}"
        )
        for name, template, accepted in WRONG_TYPES
        for kind, value in _wrong(accepted, TOML_VALUES)
    ],
)
def test_a_value_of_the_wrong_type_is_an_input_error_with_its_line(
    tmp_path: Path, name: str, template: str, kind: str, value: str
) -> None:
    found = error(tmp_path, name, template.replace("{v}", value))
    assert found.line is not None


@pytest.mark.parametrize(
    ("template", "kind", "value"),
    [
        pytest.param(template, kind, value, id=f"{template[:30]}-{kind}")
        for template, accepted in JSON_WRONG_TYPES
        for kind, value in _wrong(accepted, JSON_VALUES)
    ],
)
def test_a_pipfile_lock_value_of_the_wrong_type_is_an_input_error(
    tmp_path: Path, template: str, kind: str, value: str
) -> None:
    error(tmp_path, "Pipfile.lock", template.replace("{v}", value))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("uv.lock", UV_HEAD + DDTRACE_BLOCK.replace('"1.20.19"', '"not a version"')),
        ("Pipfile.lock", '{"default": {"ddtrace": {"version": "==not-a-version"}}}'),
        ("Pipfile.lock", '{"default": {"ddtrace": {"version": "1.20.19"}}}'),
        ("uv.lock", UV_HEAD + "[package]\n" + DDTRACE_BLOCK.split("\n", 1)[1]),
        ("uv.lock", UV_HEAD + "  " + DDTRACE_BLOCK),
        ("uv.lock", UV_HEAD + DDTRACE_BLOCK.replace("[[package]]", '[[ "package" ]]')),
        ("uv.lock", UV_HEAD + 'package = [{ name = "ddtrace", version = "1.20.19" }]\n'),
    ],
)
def test_a_lock_is_never_read_as_something_else(tmp_path: Path, name: str, content: str) -> None:
    error(tmp_path, name, content)


def test_lock_shapes_are_checked_in_big_locks_too(tmp_path: Path) -> None:
    """Locks over 256 KiB are read by block: a [package] table is still refused."""
    filler = "".join(f'[[package]]\nname = "pkg{i}"\nversion = "1.0.{i}"\n\n' for i in range(8000))
    assert len(filler) > 256 * 1024
    content = UV_HEAD + filler + "[package]\n" + DDTRACE_BLOCK.split("\n", 1)[1]
    found = error(tmp_path, "uv.lock", content)
    assert found.line == content.count("\n", 0, content.index("[package]\n")) + 1


# --- deep nesting --------------------------------------------------------------------------

TOML_FILES = ("pyproject.toml", "Pipfile", "uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")


@pytest.mark.parametrize("name", TOML_FILES)
@pytest.mark.parametrize(
    "nested",
    ["[" * 5000 + "]" * 5000, "{ a = " * 5000 + "1" + " }" * 5000],
    ids=["arrays", "inline-tables"],
)
def test_toml_nested_thousands_deep_is_one_input_error(
    tmp_path: Path, name: str, nested: str
) -> None:
    head = (
        "[[packages]]\n"
        if name == "pylock.toml"
        else "[[package]]\n"
        if name.endswith(".lock")
        else ""
    )
    found = error(tmp_path, name, head + 'name = "ddtrace"\nx = ' + nested + "\n")
    assert "nested too deeply" in found.message and found.line is not None


def test_a_big_lock_nested_deep_in_its_ddtrace_block_is_one_input_error(tmp_path: Path) -> None:
    filler = "".join(f'[[package]]\nname = "pkg{i}"\nversion = "1"\n\n' for i in range(9000))
    content = UV_HEAD + filler + DDTRACE_BLOCK + "x = " + "[" * 5000 + "]" * 5000 + "\n"
    found = error(tmp_path, "uv.lock", content)
    assert found.line == content.count("\n") and "nested too deeply" in found.message


def test_pipfile_lock_100k_deep_json_is_one_input_error(tmp_path: Path) -> None:
    found = error(tmp_path, "Pipfile.lock", '{"default": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested too deeply" in found.message


def test_a_1000_deep_include_chain_is_one_input_error(tmp_path: Path) -> None:
    for i in range(1000):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\n")
    (tmp_path / "r1000.txt").write_text("ddtrace==1.20.19\n")
    with pytest.raises(InputError, match="nest more than") as caught:
        sources.read_requirements_file(str(tmp_path / "r0.txt"))
    assert caught.value.line == 1 and caught.value.path.endswith(".txt")


def test_a_deep_but_bounded_include_chain_is_read(tmp_path: Path) -> None:
    for i in range(60):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\n")
    (tmp_path / "r60.txt").write_text("ddtrace==1.20.19\n")
    (pin,) = sources.read_requirements_file(str(tmp_path / "r0.txt")).pins
    assert pin.origin.path == str(tmp_path / "r60.txt") and pin.origin.line == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "pyproject.toml",
            "[dependency-groups]\n"
            + "".join(f'g{i} = [{{include-group = "g{i + 1}"}}]\n' for i in range(2000))
            + 'g2000 = ["ddtrace==1.20.19"]\n',
        ),
        (
            "tox.ini",
            "[testenv]\ndeps = {[s0]deps}\n"
            + "".join(f"[s{i}]\ndeps = {{[s{i + 1}]deps}}\n" for i in range(2000))
            + "[s2000]\ndeps = ddtrace==1.20.19\n",
        ),
        ("requirements.txt", "ddtrace; " + "(" * 5000 + 'python_version < "3"' + ")" * 5000),
    ],
    ids=["2000-chained-groups", "2000-chained-tox-substitutions", "5000-deep-marker"],
)
def test_chains_thousands_long_are_one_input_error(tmp_path: Path, name: str, content: str) -> None:
    assert error(tmp_path, name, content).line is not None


def test_dependency_group_includes_are_linear_and_complete(tmp_path: Path) -> None:
    """Each group includes the next two: 2**42 include paths, one reading."""
    groups = "".join(
        f'g{i} = [{{include-group = "g{i + 1}"}}, {{include-group = "G{i + 2}"}}]\n'
        for i in range(42)
    )
    write(
        tmp_path,
        "pyproject.toml",
        f'[dependency-groups]\n{groups}g42 = ["ddtrace==1.20.19"]\ng43 = []\n',
    )
    (pin,) = sources.scan_project(str(tmp_path)).pins
    assert set(pin.origin.included_by) == {f"g{i}" for i in range(42)}
    assert set(pin.origin.included_by[:2]) == {"g40", "g41"}  # nearest first
    cycle = '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n'
    assert "cycle: a -> b -> a" in error(tmp_path, "pyproject.toml", cycle).message


# --- long lines ----------------------------------------------------------------------------

PADS = [" " * 40_000, "\t" * 40_000, "a" * 40_000, "[" * 40_000, "=" * 40_000, "#" * 40_000]
LONG_LINES = [
    ("requirements.txt", "ddtrace{pad}x\n"),
    ("requirements.txt", "{pad}\n"),
    ("requirements.txt", "x{pad}@\n"),
    ("requirements.txt", "ddtrace==1.20.19 {pad}#\n"),
    ("requirements.txt", "-r {pad}\n"),
    ("setup.cfg", "[options]\ninstall_requires ={pad}x\n"),
    ("setup.cfg", "[options]\ninstall_requires{pad}\n"),
    ("tox.ini", "[testenv]\ndeps = {pad}ddtrace\n"),
    ("pyproject.toml", '[project]\ndependencies = ["ddtrace{pad}"]\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\nddtrace = "{pad}1"\n'),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "{pad}"\n'),
    ("Pipfile", '[packages]\nddtrace = "{pad}"\n'),
    ("uv.lock", UV_HEAD + DDTRACE_BLOCK + 'resolution-markers = ["{pad}"]\n'),
    ("Pipfile.lock", '{"default": {"ddtrace": {"version": "=={pad}"}}}'),
]


@pytest.mark.parametrize(
    "pad", PADS, ids=["spaces", "tabs", "letters", "brackets", "equals", "hashes"]
)
@pytest.mark.parametrize(
    ("name", "template"), LONG_LINES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(LONG_LINES)]
)
def test_a_40kb_line_is_a_reading_or_one_short_input_error(
    tmp_path: Path, name: str, template: str, pad: str
) -> None:
    write(tmp_path, name, template.replace("{pad}", pad))
    found = outcome(tmp_path, name)
    if isinstance(found, InputError):
        assert len(str(found)) < 1000  # the line is quoted cut short, not 40 KB


def test_long_whitespace_before_a_comment_keeps_the_requirement(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "ddtrace==1.20.19" + " " * 40_000 + "# pinned\n")
    (pin,) = sources.scan_project(str(tmp_path)).pins
    assert str(pin.specifier) == "==1.20.19" and pin.text == "ddtrace==1.20.19"


# --- files that are not regular files ------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("name", ["requirements.txt", "pyproject.toml", "uv.lock", "Pipfile.lock"])
def test_a_fifo_is_named_never_read(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)  # reading it would block forever
    found = outcome(tmp_path, name)
    assert isinstance(found, InputError) and "FIFO" in found.message
    (tmp_path / "requirements-dev.txt").write_text(f"-r {name}\n")
    with pytest.raises(InputError, match="FIFO") as caught:
        sources.read_requirements_file(str(tmp_path / "requirements-dev.txt"))
    assert caught.value.line == 1


@pytest.mark.parametrize(
    "path", ["/dev/zero", "/dev/null", "/"], ids=["dev-zero", "dev-null", "directory"]
)
def test_devices_and_directories_are_named_never_read(path: str) -> None:
    if not os.path.exists(path) or (path != "/" and stat.S_ISREG(os.stat(path).st_mode)):
        pytest.skip(f"no {path} here")
    with pytest.raises(InputError) as caught:
        sources.read_requirements_file(path)
    assert caught.value.path == path and "\n" not in str(caught.value)


def test_a_file_over_the_size_limit_is_named(tmp_path: Path) -> None:
    from ddguard.sources import text

    path = write(tmp_path, "requirements.txt", "#" * (text.TEXT_LIMIT + 1))
    with pytest.raises(InputError, match="larger than"):
        sources.read_requirements_file(str(path))


# --- markers -------------------------------------------------------------------------------

BAD_MARKER = "python_version ~= 'abc'"
MARKERS = [
    ("requirements.txt", f"ddtrace==1.20.19; {BAD_MARKER}\n", 1),
    ("pyproject.toml", f'[project]\ndependencies = ["ddtrace; {BAD_MARKER}"]\n', 2),
    (
        "pyproject.toml",
        f'[tool.poetry.dependencies]\nddtrace = {{version = "*", markers = "{BAD_MARKER}"}}\n',
        2,
    ),
    ("Pipfile", f'[packages]\nddtrace = {{version = "*", markers = "{BAD_MARKER}"}}\n', 2),
    ("setup.cfg", f"[options]\ninstall_requires =\n    ddtrace; {BAD_MARKER}\n", 3),
    ("tox.ini", f"[testenv]\ndeps =\n    ddtrace; {BAD_MARKER}\n", 3),
    ("uv.lock", UV_HEAD + DDTRACE_BLOCK + f'resolution-markers = ["{BAD_MARKER}"]\n', 5),
    (
        "uv.lock",
        UV_HEAD + '[[package]]\nname = "app"\nversion = "1"\nsource = { virtual = "." }\n'
        f'dependencies = [{{ name = "ddtrace", marker = "{BAD_MARKER}" }}]\n\n' + DDTRACE_BLOCK,
        8,
    ),
    ("poetry.lock", DDTRACE_BLOCK + f'markers = "{BAD_MARKER}"\n', 2),
    ("pdm.lock", DDTRACE_BLOCK + f'marker = "{BAD_MARKER}"\n', 2),
    ("pylock.toml", DDTRACE_BLOCK.replace("package", "packages") + f'marker = "{BAD_MARKER}"\n', 2),
    (
        "Pipfile.lock",
        '{"default": {"ddtrace": {"version": "==1.20.19", "markers": "%s"}}}' % BAD_MARKER,
        1,
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "line"), MARKERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(MARKERS)]
)
def test_a_marker_that_cannot_be_evaluated_is_refused_when_read(
    tmp_path: Path, name: str, content: str, line: int
) -> None:
    found = error(tmp_path, name, content)
    assert found.line == line and "marker" in found.message


def test_unparsable_markers_are_refused_when_read(tmp_path: Path) -> None:
    found = error(tmp_path, "requirements.txt", "ddtrace; python_version <<< '3'\n")
    assert found.line == 1 and "python_version <<< '3'" in found.message


# --- includes outside the project ----------------------------------------------------------

SECRET = "_apt:x:42:secret-token-7f3a\nddtrace==secret-token-7f3a\n"
INCLUDES = [
    ("requirements.txt", "ddtrace==1.20.19\n-r ../outside/passwd\n"),
    ("requirements.txt", "-c ../outside/passwd\n"),
    ("tox.ini", "[testenv]\ndeps =\n    -r ../outside/passwd\n"),
    ("pyproject.toml", '[tool.tox.env_run_base]\ndeps = ["-r ../outside/passwd"]\n'),
    (
        "pyproject.toml",
        '[tool.tox]\nlegacy_tox_ini = """\n[testenv]\ndeps = -r ../outside/passwd\n"""\n',
    ),
]


@pytest.mark.parametrize(
    ("name", "content"), INCLUDES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(INCLUDES)]
)
def test_a_file_outside_the_project_is_named_not_quoted(
    tmp_path: Path, name: str, content: str
) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "passwd").write_text(SECRET)
    project = tmp_path / "project"
    project.mkdir()
    write(project, name, content)
    with pytest.raises(InputError) as caught:
        sources.scan_project(str(project))
    message = str(caught.value)
    assert "secret-token" not in message and "_apt" not in message
    assert os.path.realpath(str(caught.value.path)) == str(
        (tmp_path / "outside" / "passwd").resolve()
    )
    assert caught.value.line == 2 and "outside the project directory" in message


def test_a_file_inside_the_project_is_quoted(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "extra.txt").write_text("ddtrace==banana-split\n")
    write(tmp_path, "requirements.txt", "-r sub/extra.txt\n")
    with pytest.raises(InputError, match="banana-split"):
        sources.scan_project(str(tmp_path))


# --- empty requirement text ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\t\n"])
def test_empty_requirement_text_is_an_input_error(text: str) -> None:
    from ddguard.model import Origin, OriginKind

    with pytest.raises(InputError, match="empty requirement"):
        sources.parse_requirement(text, Origin(OriginKind.ARGUMENT))


# --- the command line, in process ----------------------------------------------------------


def _cli_cases() -> Iterator[Tuple[str, str, Union[str, bytes]]]:
    yield "garbage", "requirements.txt", b"\xff\xfe\x00garbage\n"
    yield "wrong-type", "uv.lock", UV_HEAD + '[[package]]\nname = "ddtrace"\nversion = 5\n'
    yield "table-not-array", "uv.lock", UV_HEAD + "[package]\n" + DDTRACE_BLOCK.split("\n", 1)[1]
    yield "deep-toml", "pyproject.toml", "x = " + "[" * 5000 + "]" * 5000
    yield "deep-json", "Pipfile.lock", "[" * 100_000 + "]" * 100_000
    yield "long-line", "requirements.txt", "ddtrace" + " " * 40_000 + "x\n"
    yield "marker", "requirements.txt", f"ddtrace; {BAD_MARKER}\n"
    yield "build-requires", "pyproject.toml", "[build-system]\nrequires = 5\n"
    yield "number-in-deps", "pyproject.toml", '[project]\ndependencies = ["ddtrace", 5]\n'


@pytest.mark.parametrize(
    ("name", "content"), [c[1:] for c in _cli_cases()], ids=[c[0] for c in _cli_cases()]
)
def test_cli_gives_exit_2_and_one_line(
    tmp_path: Path, capsys, name: str, content: Union[str, bytes]
) -> None:
    write(tmp_path, name, content)
    assert cli.main(["check", "--project", str(tmp_path), *TARGET]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"ddguard: error: {tmp_path / name}")
    if name == "requirements.txt":
        assert cli.main(["check", "-r", str(tmp_path / name), *TARGET]) == 2
        assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["check", ""],
        ["check", "   "],
        ["check", "-r", "/dev/zero"],
        ["check", "-r", "/"],
        ["check", "--project", "/dev/null"],
        ["check", f"ddtrace==1.20.19; {BAD_MARKER}"],
    ],
    ids=["empty", "blank", "dev-zero", "directory", "device-project", "marker"],
)
def test_cli_bad_arguments_give_exit_2_and_one_line(capsys, argv: list) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    assert cli.main([*argv, *TARGET]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_cli_fifo_and_outside_include(tmp_path: Path, capsys) -> None:
    os.mkfifo(tmp_path / "requirements.txt")
    assert cli.main(["check", "--project", str(tmp_path), *TARGET]) == 2
    assert "FIFO" in capsys.readouterr().err
    os.unlink(tmp_path / "requirements.txt")
    (tmp_path / "passwd").write_text(SECRET)
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("-r ../passwd\n")
    for argv in (["--project", str(project)], ["-r", str(project / "requirements.txt")]):
        assert cli.main(["check", *argv, *TARGET]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "secret-token" not in err and "passwd:2" in err


def _project(files: dict) -> Path:
    folder = Path(tempfile.mkdtemp())
    for name, content in files.items():
        write(folder, name, content)
    return folder


def test_outcome_helper_rejects_other_exceptions() -> None:
    """The property tests above would let a bug through if ``outcome`` swallowed more than
    InputError: it does not."""
    folder = _project({"requirements.txt": "ddtrace==1.20.19\n"})
    try:
        found: Optional[object] = outcome(folder, "requirements.txt")
        assert isinstance(found, Scan) and len(found.pins) == 1
    finally:
        shutil.rmtree(folder)


def _long_numbers_refused(name: str) -> bool:
    """Whether this interpreter's TOML or JSON loader refuses a 5,000-digit number."""
    import json

    from ddguard.sources.text import _tomllib

    try:
        if name.endswith(".lock") and name.startswith("Pipfile"):
            json.loads("1" * 5000)
        else:
            _tomllib().loads("x = " + "1" * 5000)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("name", [*TOML_FILES, "Pipfile.lock"])
def test_a_number_thousands_of_digits_long_is_a_reading_or_an_error_with_its_line(
    tmp_path: Path, name: str
) -> None:
    """Python refuses to convert ints over 4,300 digits (a ValueError, not a parse error)."""
    number = "1" * 5000
    if name == "Pipfile.lock":
        content = '{"_meta": {},\n"default": {"x": %s}}' % number
    else:
        head = (
            "[[packages]]\n"
            if name == "pylock.toml"
            else "[[package]]\n"
            if name.endswith(".lock")
            else ""
        )
        content = f'{head}name = "ddtrace"\nx = {number}\n'
    write(tmp_path, name, content)
    found = outcome(tmp_path, name)
    if isinstance(found, InputError) and _long_numbers_refused(name):
        # (where the loader takes long numbers, PyPy's tomli, the rest is judged instead)
        assert found.line == content.count("\n", 0, content.index(number)) + 1


# --- generated markers and long lines ------------------------------------------------------

MARKER_VARIABLES = st.sampled_from(
    [
        "python_version",
        "python_full_version",
        "implementation_version",
        "platform_release",
        "platform_version",
        "platform_machine",
        "sys_platform",
        "os_name",
        "implementation_name",
        "extra",
    ]
)
MARKER_OPERATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"])
MARKER_VALUES = st.text(alphabet="0123456789.abcxz*+-!_ ", max_size=10)
TARGETS = (
    "cp38-manylinux_x86_64",
    "cp312-musllinux_1_2_aarch64",
    "cp313-win_amd64",
    "cp39-macosx_11_0_arm64",
)


@settings(max_examples=300, deadline=None)
@given(
    variable=MARKER_VARIABLES, operator=MARKER_OPERATORS, value=MARKER_VALUES, swap=st.booleans()
)
def test_a_marker_that_is_read_can_be_evaluated_for_every_target(
    variable: str, operator: str, value: str, swap: bool
) -> None:
    from ddguard.model import Origin, OriginKind
    from ddguard.target import Target

    comparison = f"'{value}' {operator} {variable}" if swap else f"{variable} {operator} '{value}'"
    try:
        pin = sources.parse_requirement(
            f"ddtrace==1.20.19; {comparison}", Origin(OriginKind.ARGUMENT)
        )
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert pin is not None and pin.marker is not None
    for target in TARGETS:
        pin.marker.evaluate(Target.from_compact(target).marker_env())  # never raises


@settings(max_examples=60, deadline=None)
@given(
    head=st.sampled_from(["ddtrace", "ddtrace==1.20.19", "-r", "ddtrace @", "x", "#", "ddtrace;"]),
    run=st.sampled_from([" ", "\t", "[", "(", "=", "a", "#", "\\", "'", ";", "@", "${A"]),
    length=st.integers(1_000, 40_000),
    tail=st.sampled_from(["", "x", "# c", "@", "==1", " python_version < '3'"]),
)
def test_a_long_generated_line_is_a_reading_or_one_short_input_error(
    head: str, run: str, length: int, tail: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), "requirements.txt", head + run * (length // len(run)) + tail + "\n")
        found = outcome(folder, "requirements.txt")
        if isinstance(found, InputError):
            assert len(str(found)) < 1000
