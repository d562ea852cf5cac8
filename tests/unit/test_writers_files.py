"""``ddguard fix`` file handling: setup.cfg and tox.ini entries, hostile requests and files
(each one InputError, never a wrong edit), the project-root fence, atomic writes."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

from ddguard import sources
from ddguard.errors import InputError
from ddguard.writers import (
    Decision,
    EditNote,
    EditRequest,
    Split,
    Syntax,
    apply,
    plan,
    syntax_for,
    write_atomic,
)
from ddguard.writers.files import edit_text

NEXT = Decision(Version("2.21.12"), Version("2.0.0"), Version("3"))
OLDER = Decision(Version("1.20.19"), Version("1.0.0"), Version("2"))
CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "fix"

SETUP_CFG = """\
[metadata]
name = demo

[options]
install_requires =
    requests>=2
    ddtrace>=1.20,<2
python_requires = >=3.8

[options.extras_require]
tracing = ddtrace[profiling]==1.20.19; python_version < "3.13"
"""

TOX_INI = """\
[tox]
envlist = py{38,312}

[testenv]
deps =
    pytest
    py38: ddtrace==1.20.19
    py312: ddtrace>=2.0,<2.5
commands = pytest
"""

LEGACY_TOX = '''\
[project]
name = "demo"

[tool.tox]
legacy_tox_ini = """
[testenv]
deps =
    pytest
    ddtrace==1.20.19
"""
'''


def _project(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _ini_pins(path: Path):
    return [p for p in sources.read_file(str(path)).pins if p.origin.path == str(path)]


@pytest.mark.parametrize(
    ("name", "text"),
    [("setup.cfg", SETUP_CFG), ("tox.ini", TOX_INI), ("pyproject.toml", LEGACY_TOX)],
)
def test_ini_value_line_is_edited_alone(tmp_path, name, text):
    path = _project(tmp_path, name, text)
    for pin in _ini_pins(path):
        line = pin.origin.line
        syntax = Syntax.INI if name != "pyproject.toml" else syntax_for(name, "tox")
        change = plan(str(tmp_path), name, [EditRequest(line, syntax, NEXT, pin.text)])
        before = change.original.splitlines(keepends=True)
        after = change.data.splitlines(keepends=True)
        assert len(after) == len(before)
        assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [line - 1]
        path.write_bytes(change.data)
        (new,) = [p for p in _ini_pins(path) if p.origin.line == line]
        assert new.specifier.contains(NEXT.version)
        assert not new.specifier.contains(Version("1.20.19")) and not new.specifier.contains(
            Version("3")
        )
        again = plan(str(tmp_path), name, [EditRequest(line, syntax, NEXT, pin.text)])
        assert not again.changed and again.edits[0].notes == (EditNote.ALREADY_APPLIED,)
        path.write_bytes(change.original)


@pytest.mark.parametrize(
    ("name", "text"),
    [("setup.cfg", SETUP_CFG), ("tox.ini", TOX_INI), ("pyproject.toml", LEGACY_TOX)],
)
def test_ini_split_adds_a_line_with_the_same_indent_and_factor(tmp_path, name, text):
    path = _project(tmp_path, name, text)
    for pin in _ini_pins(path):
        line = pin.origin.line
        request = EditRequest(line, Syntax.INI, OLDER, pin.text, Split((3, 12), NEXT))
        change = plan(str(tmp_path), name, [request])
        before = change.original.decode().splitlines()
        after = change.data.decode().splitlines()
        assert after[: line - 1] == before[: line - 1] and after[line + 1 :] == before[line:]
        _first, second = after[line - 1], after[line]
        indent = before[line - 1][: len(before[line - 1]) - len(before[line - 1].lstrip())]
        if indent:
            assert second.startswith(indent) and not second[len(indent)].isspace()
        factor = before[line - 1].strip().split(": ")[0] + ": " if "py3" in before[line - 1] else ""
        assert second.strip().startswith(factor)
        path.write_bytes(change.data)
        found = {p.origin.line: p for p in _ini_pins(path)}
        older, newer = found[line], found[line + 1]
        for minor in range(6, 16):
            env = default_environment()
            env.update(python_version=f"3.{minor}", python_full_version=f"3.{minor}.0")
            covered = pin.marker is None or pin.marker.evaluate(env)
            chosen = [p for p in (older, newer) if p.marker.evaluate(env)]
            assert len(chosen) == int(covered)
            if covered:
                assert chosen[0] is (older if minor < 12 else newer)
        again = plan(str(tmp_path), name, [request])
        assert not again.changed
        path.write_bytes(change.original)


# --- hostile requests and files: one InputError, nothing edited ------------------------------

HOSTILE = [
    # (file name, content, request, message)
    (
        "requirements.txt",
        "ddtrace==1.0\n",
        EditRequest(5, Syntax.REQUIREMENTS, NEXT),
        "past the end",
    ),
    (
        "requirements.txt",
        "ddtrace==1.0\n",
        EditRequest(0, Syntax.REQUIREMENTS, NEXT),
        "not a line number",
    ),
    (
        "requirements.txt",
        "requests==2\nddtrace==1\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT),
        "names requests",
    ),
    (
        "requirements.txt",
        "ddtrace==1.5\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT, "ddtrace==1.0"),
        "changed since",
    ),
    (
        "requirements.txt",
        "ddtrace==1.0 \\\n  --hash=sha256:ab\n",
        EditRequest(2, Syntax.REQUIREMENTS, NEXT),
        "continues the one before",
    ),
    (
        "requirements.txt",
        "ddtrace==${DD_VERSION}\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT),
        "environment variable",
    ),
    (
        "requirements.txt",
        "-e git+https://github.com/DataDog/dd-trace-py#egg=ddtrace\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT),
        "no requirement here",
    ),
    (
        "requirements.txt",
        "# ddtrace==1.0\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT),
        "no requirement here",
    ),
    (
        "requirements.txt",
        "ddtrace=<1.0\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT),
        "cannot read requirement",
    ),
    (
        "requirements.txt",
        "ddtrace==1.0" + " " * 40000 + "garbage\n",
        EditRequest(1, Syntax.REQUIREMENTS, NEXT),
        "cannot read requirement",
    ),
    (
        "pyproject.toml",
        '[project]\ndependencies = ["ddtrace==1.0"]\n',
        EditRequest(1, Syntax.TOML_STRING, NEXT),
        "no ddtrace requirement string",
    ),
    (
        "pyproject.toml",
        '[project]\ndependencies = ["ddtrace==1.0"\n',
        EditRequest(2, Syntax.TOML_STRING, NEXT),
        "invalid TOML",
    ),
    (
        "pyproject.toml",
        "x = " + "[" * 3000 + "]" * 3000 + "\n",
        EditRequest(1, Syntax.TOML_STRING, NEXT),
        "nested too deeply",
    ),
    (
        "pyproject.toml",
        '[project]\ndependencies = ["ddtrace=<1.0"]\n',
        EditRequest(2, Syntax.TOML_STRING, NEXT),
        "cannot read requirement",
    ),
    (
        "pyproject.toml",
        '[project]\ndependencies = ["ddtrace-api==1.0"]\n',
        EditRequest(2, Syntax.TOML_STRING, NEXT),
        "no ddtrace requirement string",
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\nddtrace = {git = "https://github.com/DataDog/dd-trace-py"}\n',
        EditRequest(2, Syntax.POETRY, NEXT),
        "has no version",
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\nrequests = "^2"\n',
        EditRequest(2, Syntax.POETRY, NEXT),
        "no ddtrace entry",
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\nddtrace = "^1.2"\n',
        EditRequest(2, Syntax.POETRY, NEXT, 'ddtrace = "^1.4"'),
        "changed since",
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\nddtrace = "^1.x"\n',
        EditRequest(2, Syntax.POETRY, NEXT),
        "cannot read version",
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\nddtrace = {version = "^1.2", python = "^3.8 || ^3.12"}\n',
        EditRequest(2, Syntax.POETRY, OLDER, split=Split((3, 12), NEXT)),
        "is a union",
    ),
    (
        "Pipfile",
        '[packages]\nddtrace = "*"\n',
        EditRequest(2, Syntax.PIPFILE, NEXT, split=Split((3, 12), NEXT)),
        "one entry per package",
    ),
    (
        "setup.cfg",
        "[options]\ninstall_requires =\n    ddtrace==1.0\n",
        EditRequest(1, Syntax.INI, NEXT),
        "a comment, a section or nothing",
    ),
    (
        "setup.cfg",
        "[options]\ninstall_requires =\n    ddtrace==1.0\n",
        EditRequest(2, Syntax.INI, NEXT),
        "cannot read requirement ''",
    ),
    ("tox.ini", "[testenv]\ndeps = requests\n", EditRequest(2, Syntax.INI, NEXT), "names requests"),
    (
        "pyproject.toml",
        '[project]\nname = "x"\n',
        EditRequest(2, Syntax.INI, NEXT),
        "not inside legacy_tox_ini",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "request_", "message"), HOSTILE, ids=[h[3] + "-" + h[0] for h in HOSTILE]
)
def test_hostile_request_or_file_is_one_input_error(tmp_path, name, content, request_, message):
    _project(tmp_path, name, content)
    with pytest.raises(InputError, match=message) as error:
        plan(str(tmp_path), name, [request_])
    assert error.value.path == name
    assert "\n" not in str(error.value) and len(str(error.value)) < 300


def test_ini_comment_and_factor_stay():
    text = "[testenv]\ndeps =\n    py312: ddtrace>=2.0,<2.5  # the new line\n"
    new, record = edit_text(text, EditRequest(3, Syntax.INI, NEXT), "tox.ini")
    assert new == text.replace("<2.5", "<3.0")
    assert record.before == "ddtrace>=2.0,<2.5"


def test_not_utf8_names_the_line(tmp_path):
    (tmp_path / "requirements.txt").write_bytes(b"a==1\nb==2\n\xff==3\n")
    with pytest.raises(InputError) as error:
        plan(str(tmp_path), "requirements.txt", [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])
    assert error.value.line == 3


def test_name_that_only_starts_with_ddtrace_is_not_touched():
    case = CORPUS / "riot-ddtrace-api-only"
    lines = (case / "1204574.txt").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("ddtrace-api"))
    with pytest.raises(InputError, match="names ddtrace-api, not ddtrace"):
        plan(
            str(CORPUS),
            "riot-ddtrace-api-only/1204574.txt",
            [EditRequest(line, Syntax.REQUIREMENTS, NEXT)],
        )


@pytest.mark.parametrize(
    "where", ["../outside.txt", "/etc/hostname", "link-out.txt", "sub/../../outside.txt"]
)
def test_path_outside_the_project_is_refused_unread(tmp_path, where):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("ddtrace==1.0\n")
    (project / "link-out.txt").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(InputError, match="outside the project") as error:
        plan(str(project), where, [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])
    assert "ddtrace==1.0" not in str(error.value)
    assert (tmp_path / "outside.txt").read_text() == "ddtrace==1.0\n"


def test_root_itself_is_not_a_file(tmp_path):
    with pytest.raises(InputError, match="outside the project"):
        plan(str(tmp_path), ".", [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_directory_are_not_read(tmp_path):
    os.mkfifo(tmp_path / "requirements.txt")
    (tmp_path / "dir.txt").mkdir()
    for name in ("requirements.txt", "dir.txt"):
        with pytest.raises(InputError, match="not a regular file"):
            plan(str(tmp_path), name, [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])


def test_file_changed_since_it_was_planned_is_not_written(tmp_path):
    path = _project(tmp_path, "requirements.txt", "ddtrace==1.0\n")
    change = plan(str(tmp_path), "requirements.txt", [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])
    path.write_text("ddtrace==1.0\nrequests\n")
    with pytest.raises(InputError, match="changed since"):
        apply(change)
    assert path.read_text() == "ddtrace==1.0\nrequests\n"


# --- writing ----------------------------------------------------------------------------------


def test_apply_writes_the_plan_and_keeps_the_mode(tmp_path):
    path = _project(tmp_path, "requirements.txt", "ddtrace==1.0\r\n")
    path.chmod(0o640)
    change = plan(str(tmp_path), "requirements.txt", [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])
    assert apply(change) is True
    assert path.read_bytes() == b"ddtrace==2.21.12\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["requirements.txt"]
    unchanged = plan(str(tmp_path), "requirements.txt", [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])
    mtime = path.stat().st_mtime_ns
    assert apply(unchanged) is False and path.stat().st_mtime_ns == mtime


def test_symlink_inside_the_project_stays_a_link(tmp_path):
    (tmp_path / "requirements").mkdir()
    target = _project(tmp_path, "requirements/base.txt", "ddtrace==1.0\n")
    (tmp_path / "requirements.txt").symlink_to("requirements/base.txt")
    change = plan(str(tmp_path), "requirements.txt", [EditRequest(1, Syntax.REQUIREMENTS, NEXT)])
    assert change.relpath == "requirements/base.txt"
    apply(change)
    assert (tmp_path / "requirements.txt").is_symlink()
    assert target.read_text() == "ddtrace==2.21.12\n"


def test_failed_write_leaves_the_file_and_no_temporary(tmp_path, monkeypatch):
    path = _project(tmp_path, "requirements.txt", "ddtrace==1.0\n")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(InputError, match="cannot write: No space left"):
        write_atomic(str(path), b"ddtrace==2.0\n")
    assert path.read_text() == "ddtrace==1.0\n"
    assert os.listdir(tmp_path) == ["requirements.txt"]


def test_several_edits_in_one_file_keep_their_lines(tmp_path):
    text = "ddtrace==0.32.2; sys_platform == 'win32'\nrequests\nddtrace==0.53.2; sys_platform != 'win32'\n"
    _project(tmp_path, "requirements.txt", text)
    requests = [
        EditRequest(1, Syntax.REQUIREMENTS, OLDER, split=Split((3, 12), NEXT)),
        EditRequest(3, Syntax.REQUIREMENTS, NEXT),
    ]
    change = plan(str(tmp_path), "requirements.txt", requests)
    assert [e.line for e in change.edits] == [1, 3]
    assert change.data.decode().splitlines() == [
        "ddtrace==1.20.19; sys_platform == 'win32' and python_version < '3.12'",
        "ddtrace==2.21.12; sys_platform == 'win32' and python_version >= '3.12'",
        "requests",
        "ddtrace==2.21.12; sys_platform != 'win32'",
    ]


def test_one_line_array_picks_the_string_the_reader_named():
    text = (
        '[project]\ndependencies = ["ddtrace==1.0", "ddtrace[x]==1.0; python_version < \'3.8\'"]\n'
    )
    request = EditRequest(2, Syntax.TOML_STRING, NEXT, "ddtrace[x]==1.0; python_version < '3.8'")
    new, record = edit_text(text, request, "pyproject.toml")
    assert new == text.replace("ddtrace[x]==1.0", "ddtrace[x]==2.21.12")
    assert record.before == "ddtrace[x]==1.0; python_version < '3.8'"


def test_escapes_and_literal_quoting_are_kept():
    text = '[project]\ndependencies = [\n  "ddtrace==1.0; python_version < \\"3.12\\"",\n  \'ddtrace[x]==1.0\',\n]\n'
    new, _ = edit_text(text, EditRequest(3, Syntax.TOML_STRING, NEXT), "pyproject.toml")
    assert new.splitlines()[2] == '  "ddtrace==2.21.12; python_version < \\"3.12\\"",'
    new, _record = edit_text(
        text,
        EditRequest(4, Syntax.TOML_STRING, OLDER, split=Split((3, 12), NEXT)),
        "pyproject.toml",
    )
    assert new.splitlines()[3:5] == [
        "  'ddtrace[x]==1.20.19; python_version < \"3.12\"',",
        "  'ddtrace[x]==2.21.12; python_version >= \"3.12\"',",
    ]


def test_poetry_table_forms():
    text = (
        "[tool.poetry.dependencies]\n"
        'ddtrace = { version = "^1.20", extras = ["profiling"] }  # traced\n'
        "[tool.poetry.group.dev.dependencies.ddtrace]\n"
        'version = "~1.20.3"\n'
        "optional = true\n"
    )
    new, record = edit_text(text, EditRequest(2, Syntax.POETRY, NEXT), "pyproject.toml")
    assert new.splitlines()[1] == 'ddtrace = { version = "^2.0", extras = ["profiling"] }  # traced'
    new, record = edit_text(text, EditRequest(3, Syntax.POETRY, NEXT), "pyproject.toml")
    assert new.splitlines()[3] == 'version = "~2.21.0"'
    new, record = edit_text(
        text, EditRequest(2, Syntax.POETRY, OLDER, split=Split((3, 12), NEXT)), "pyproject.toml"
    )
    assert new.splitlines()[1] == (
        'ddtrace = [{ version = "^1.20", extras = ["profiling"], python = "<3.12" }, '
        '{ version = "^2.0", extras = ["profiling"], python = ">=3.12" }]  # traced'
    )
    assert record.added == '{ version = "^2.0", extras = ["profiling"], python = ">=3.12" }'
    with pytest.raises(InputError, match="split this table by hand"):
        edit_text(text, EditRequest(4, Syntax.POETRY, OLDER, split=Split((3, 12), NEXT)), "x.toml")


def test_poetry_dotted_version_key():
    text = '[tool.poetry.dependencies]\nddtrace.version = "1.20.*"\nddtrace.optional = true\n'
    new, _ = edit_text(text, EditRequest(2, Syntax.POETRY, NEXT), "pyproject.toml")
    assert new == text.replace("1.20.*", "2.21.*")
    with pytest.raises(InputError, match="split this table by hand"):
        edit_text(text, EditRequest(2, Syntax.POETRY, OLDER, split=Split((3, 12), NEXT)), "x.toml")


@pytest.mark.parametrize(
    ("tool", "name", "expected"),
    [
        ("poetry", "pyproject.toml", Syntax.POETRY),
        (None, "pyproject.toml", Syntax.TOML_STRING),
        ("uv", "sub/pyproject.toml", Syntax.TOML_STRING),
        ("pipenv", "Pipfile", Syntax.PIPFILE),
        (None, "setup.cfg", Syntax.INI),
        ("tox", "tox.ini", Syntax.INI),
        (None, "requirements/dev.in", Syntax.REQUIREMENTS),
        (None, "constraints.txt", Syntax.REQUIREMENTS),
    ],
)
def test_syntax_follows_the_origin(tool, name, expected):
    assert syntax_for(name, tool) is expected


# --- generated input: InputError or a correct edit, nothing else --------------------------------

REQ_LINES = [
    "ddtrace==1.0",
    "ddtrace >= 1.0 , < 2 ; python_version < '3.12'",
    "    --hash=sha256:ab \\",
    "# c",
    "",
    "requests",
    "ddtrace==1.0 \\",
    "ddtrace[x]",
    "-r other.txt",
    "\\",
    "ddtrace==${X}",
    "ddtrace @ https://x/ddtrace-1.0-py3-none-any.whl",
    "ddtrace==1.0  # via x",
    "    # via y",
    "ddtrace-api==1",
    "ddtrace ==1.0 --hash=sha256:x",
    "dd\x00trace",
    "ddtrace;",
    "\ufeffddtrace==1",
]
PEP508 = [
    "ddtrace==1.0",
    "ddtrace[x] >= 1.0, < 2 ; python_version < '3.12'",
    "ddtrace",
    "ddtrace~=1.2.0",
    'ddtrace==1.0; sys_platform == \\"linux\\"',
    "ddtrace (>=1.0)",
    "DDTrace==1",
    "ddtrace==1.*",
]
POETRY_VERSIONS = ["^1.2", "~1.2.3", "1.2.*", ">=1.2,<2", "1.2.3", "*", ">=1 <2", "^1 || ^2"]
BLOCKS = {
    Syntax.TOML_STRING: [
        ('[project]\ndependencies = [\n  "requests",\n  {q}{req}{q},  # c\n]', 4),
        ('[dependency-groups]\ndev = ["pytest", {q}{req}{q}]', 2),
        ("[build-system]\nrequires = [{q}{req}{q}]", 2),
        ("[tool.uv]\nconstraint-dependencies = [\n    {q}{req}{q}\n]", 3),
    ],
    Syntax.POETRY: [
        ('[tool.poetry.dependencies]\npython = "^3.8"\nddtrace = "{poetry}"', 3),
        (
            '[tool.poetry.group.dev.dependencies]\nddtrace = {{ version = "{poetry}", extras = ["x"] }}',
            2,
        ),
        (
            '[tool.poetry.dependencies]\nddtrace = [\n  {{version = "{poetry}", python = "<3.8"}},\n  {{version = "^2", python = ">=3.8"}}\n]',
            3,
        ),
    ],
    Syntax.PIPFILE: [
        ('[packages]\nddtrace = "{pep440}"', 2),
        ('[dev-packages]\nddtrace = {{version = "{pep440}"}}', 2),
    ],
    Syntax.INI: [('[tool.tox]\nlegacy_tox_ini = """\n[testenv]\ndeps =\n    {req}\n"""', 5)],
}


@st.composite
def toml_documents(draw):
    """A valid document with a ddtrace entry, the entry's line and syntax."""
    syntax = draw(st.sampled_from(sorted(BLOCKS, key=lambda s: s.value)))
    block, offset = draw(st.sampled_from(BLOCKS[syntax]))
    req = draw(st.sampled_from(PEP508))
    quote = "'" if "'" not in req and '\\"' not in req and draw(st.booleans()) else '"'
    text = block.format(
        q=quote,
        req=req if quote == '"' else req.replace('\\"', '"'),
        poetry=draw(st.sampled_from(POETRY_VERSIONS)),
        pep440=draw(st.sampled_from(["==1.0", ">=1,<2", "*", "~=1.2"])),
    )
    if syntax is Syntax.INI:
        text = text.replace('\\"', '"')
    head = draw(
        st.lists(st.sampled_from(["# top", "", "k1 = 1", 'k2 = "ddtrace==1.0"']), unique=True)
    )
    tail = draw(
        st.lists(st.sampled_from(["", "# end", "[other]", "ddtrace = 1"]), unique=True, max_size=2)
    )
    if "ddtrace = 1" in tail and "[other]" not in tail:
        tail.remove("ddtrace = 1")
    lines = [*head, *text.split("\n"), *sorted(tail, key=lambda t: t != "[other]")]
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    final = draw(st.sampled_from([ending, ""]))
    return ending.join(lines) + final, len(head) + offset, syntax


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_documents(), st.integers(-1, 1), st.booleans(), st.booleans())
def test_generated_toml_files_give_input_error_or_a_correct_edit(
    document, shift, split, other_syntax
):
    text, line, syntax = document
    if other_syntax:
        syntax = Syntax.TOML_STRING if syntax is not Syntax.TOML_STRING else Syntax.POETRY
    line += shift if other_syntax else 0
    request = EditRequest(line, syntax, OLDER, split=Split((3, 12), NEXT) if split else None)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    old = tomllib.loads(text)
    try:
        new, _record = edit_text(text, request, "pyproject.toml")
    except InputError:
        assert other_syntax or split or "||" in text or "*" in text, (text, line, syntax)
        return
    from ddguard.writers.tomltext import differences

    assert len(differences(old, tomllib.loads(new))) == (1 if new != text else 0)
    assert new.split("\n")[: line - 1] == text.split("\n")[: line - 1]
    assert new.split("\n")[line:][-3:] == text.split("\n")[line:][-3:] or split


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(REQ_LINES), max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(0, 9),
    st.booleans(),
)
def test_generated_requirements_files_give_input_error_or_a_correct_edit(
    lines, ending, line, split
):
    text = ending.join(lines)
    request = EditRequest(
        line, Syntax.REQUIREMENTS, OLDER, split=Split((3, 12), NEXT) if split else None
    )
    try:
        new, record = edit_text(text, request, "r.txt")
    except InputError:
        return
    old_lines = text.splitlines(keepends=True)
    assert new.startswith("".join(old_lines[: line - 1]))
    end = line - 1
    while end < len(old_lines) and old_lines[end].rstrip("\r\n").endswith("\\"):
        end += 1
    end += 1
    while split and end < len(old_lines) and old_lines[end].lstrip(" ").startswith("#"):
        end += 1
    assert new.endswith("".join(old_lines[end:]))
    Requirement(record.after)
    assert record.after in new and (record.added is None or record.added in new)


@pytest.mark.parametrize(
    ("name", "text", "syntax"),
    [
        ("requirements.txt", "requests\r\nddtrace==1.0", Syntax.REQUIREMENTS),
        ("setup.cfg", "[options]\ninstall_requires =\n    ddtrace==1.0", Syntax.INI),
        ("pyproject.toml", '[tool.poetry.dependencies]\nddtrace = "1.0"', Syntax.POETRY),
    ],
)
def test_split_of_a_last_line_without_newline_adds_none(name, text, syntax):
    line = text.count("\n") + 1
    new, record = edit_text(
        text, EditRequest(line, syntax, OLDER, split=Split((3, 12), NEXT)), name
    )
    assert not new.endswith("\n") and new.startswith(text.rsplit("\n", 1)[0] + "\n")
    assert (new[:-1] if new.endswith("]") else new).endswith(record.added)
    assert new.count("\r\n") == text.count("\r\n") + (1 if "\r\n" in text else 0)
