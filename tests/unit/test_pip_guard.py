"""The pip guard in-process: recognising pip's command line at pip's first import (for
free in every other process), reading pip's arguments, ``PIP_*`` variables and
configuration files as pip does, judging them, and what each mode prints."""

from __future__ import annotations

import builtins
import contextlib
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import _ddguard_hook as hook
from ddguard.hosts import pip as guard
from ddguard.hosts.pip import Interpreter, Judged, Request, judge
from ddguard.hosts.pip_args import _TAKE_VALUE, PipCall, pip_config_files, read_call

CP312 = {"python_version": "3.12", "implementation": "cp", "platforms": ("manylinux2014_x86_64",)}
CP311 = {"python_version": "3.11", "implementation": "cp", "platforms": ("manylinux2014_x86_64",)}
TARGET_312 = ["--python-version", "3.12", "--implementation", "cp", "--platform", "manylinux2014_x86_64"]


@pytest.fixture(autouse=True)
def plain_pip_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PIP_* variables and no pip configuration file from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("PIP_", "DDGUARD_", "_PIP_", "_DDGUARD_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


def call(
    args: List[str], env: Optional[Dict[str, str]] = None, files: Optional[List[str]] = None
) -> Optional[PipCall]:
    return read_call(args, env or {}, files or [])


# --- recognising pip at its first import ------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["/venv/bin/pip", "install", "ddtrace"],
        ["pip3", "install", "ddtrace"],
        ["/usr/local/bin/pip3.12", "install", "ddtrace"],
        ["/venv/bin/pip", "-v", "install", "ddtrace"],
        ["pip", "download", "--platform", "win_amd64", "ddtrace"],
        ["pip", "wheel", "ddtrace"],
        ["/tmp/pip.pyz", "install", "ddtrace"],  # python pip.pyz install
        ["pip-24.0.pyz", "install", "ddtrace"],
        ["/venv/lib/python3.12/site-packages/pip", "install", "ddtrace"],  # python .../pip
        ["/venv/lib/python3.12/site-packages/pip/__pip-runner__.py", "install", "ddtrace"],
        ["pip.exe", "install", "ddtrace"],
        ["pip3-script.py", "install", "ddtrace"],
    ],
)
def test_pip_programs_running_install_download_or_wheel_are_recognised(argv: List[str]) -> None:
    assert hook.pip_guarded(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["/venv/bin/pip", "list"],
        ["/venv/bin/pip", "--version"],
        ["/venv/bin/pip", "uninstall", "ddguard"],
        ["/venv/bin/pip", "freeze", "--all"],
        ["/venv/bin/pip"],
        ["/venv/bin/pipx", "install", "ddtrace"],
        ["/venv/bin/pip-compile", "install"],
        ["/venv/bin/pip-audit", "install"],
        ["/venv/bin/myapp", "install", "ddtrace"],
        ["app.py", "install"],
        ["-c", "install"],
        [""],
    ],
)
def test_other_programs_and_other_pip_commands_are_not(argv: List[str]) -> None:
    assert not hook.pip_guarded(argv)


@pytest.mark.parametrize(
    ("orig_argv", "expected"),
    [
        (["python", "-m", "pip", "install", "ddtrace"], True),
        (["python3.12", "-Im", "pip", "install", "ddtrace"], True),
        (["python", "-mpip", "install", "ddtrace"], True),
        (["python", "-Impip", "install", "ddtrace"], True),
        (["python", "-W", "error", "-m", "pip", "install", "ddtrace"], True),
        (["python", "-m", "pip.__main__", "install", "ddtrace"], True),
        (["python", "-m", "mytool", "install", "ddtrace"], False),  # mytool imports pip
        (["python", "-m", "pipx", "install", "ddtrace"], False),
    ],
)
def test_python_m_pip_is_told_from_another_module_importing_pip(
    orig_argv: List[str], expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "orig_argv", orig_argv, raising=False)
    assert hook.pip_guarded(["-m", "install", "ddtrace"]) is expected


def test_python_m_before_3_10_trusts_that_pip_is_being_located(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(sys, "orig_argv", raising=False)
    assert hook.pip_guarded(["-m", "install", "ddtrace"])


@pytest.mark.parametrize(
    "argv",
    [
        ["/usr/bin/python3", "-c", "import json"],
        ["app.py", "install", "ddtrace"],
        ["/venv/bin/pip", "list"],
        ["/venv/bin/pip", "--version"],
        ["/venv/bin/pipx", "install", "ddtrace"],
    ],
)
def test_recognition_imports_nothing(argv: List[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    finder = hook.DDTraceImportHook()
    before = set(sys.modules)
    with import_statements() as imported:
        assert not hook.pip_guarded(argv)
        for name in ("json", "pipes", "pip", "pip._internal", "pip._internal.cli.main"):
            assert finder.find_spec(name) is None
    assert imported == [] and set(sys.modules) == before
    assert finder.pip_undecided is False  # decided at "pip", never again


def test_recognising_pip_install_imports_the_pip_check_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other side of the test above (so that it can fail): pip install imports it."""
    monkeypatch.setattr(guard, "check_command_line", lambda argv: None)
    monkeypatch.setattr(sys, "argv", ["/venv/bin/pip", "install", "ddtrace"])
    with import_statements() as imported:
        hook.DDTraceImportHook().find_spec("pip")
    assert imported == ["ddguard.hosts.pip"]


@contextlib.contextmanager
def import_statements() -> Iterator[List[str]]:
    """The modules named by every import statement run inside the block."""
    seen: List[str] = []
    real = builtins.__import__

    def spy(name: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(name)
        return real(name, *args, **kwargs)

    builtins.__import__ = spy
    try:
        yield seen
    finally:
        builtins.__import__ = real


def test_first_pip_import_hands_pip_argv_to_the_check_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: List[List[str]] = []
    monkeypatch.setattr(guard, "check_command_line", seen.append)
    monkeypatch.setattr(sys, "argv", ["/venv/bin/pip", "install", "ddtrace==1.20.19"])
    finder = hook.DDTraceImportHook()
    for name in ("re", "pipes", "pip", "pip._internal", "pip._internal.cli.main"):
        assert finder.find_spec(name) is None
    assert seen == [["/venv/bin/pip", "install", "ddtrace==1.20.19"]]


def test_pip_imported_before_argv_is_set_is_decided_at_its_next_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At .pth time sys.argv may not exist yet; pip's submodules come later."""
    seen: List[List[str]] = []
    monkeypatch.setattr(guard, "check_command_line", seen.append)
    monkeypatch.delattr(sys, "argv")
    finder = hook.DDTraceImportHook()
    finder.find_spec("pip")
    assert finder.pip_undecided and seen == []
    monkeypatch.setattr(sys, "argv", ["pip", "install", "ddtrace"], raising=False)
    finder.find_spec("pip._internal")
    assert seen == [["pip", "install", "ddtrace"]]


def test_an_error_escaping_the_check_warns_once_and_lets_pip_go_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(argv: List[str]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(guard, "check_command_line", broken)
    monkeypatch.setattr(sys, "argv", ["pip", "install", "ddtrace"])
    assert hook.DDTraceImportHook().find_spec("pip") is None
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        "ddguard: warning: pip check skipped (RuntimeError('boom')); pip goes on unchecked"
    )


def test_a_refusal_passes_through_the_finder(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(argv: List[str]) -> None:
        raise SystemExit(1)

    monkeypatch.setattr(guard, "check_command_line", refuse)
    monkeypatch.setattr(sys, "argv", ["pip", "install", "ddtrace"])
    with pytest.raises(SystemExit):
        hook.DDTraceImportHook().find_spec("pip")


def test_a_broken_ddguard_warns_once_and_lets_pip_go_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ddguard.hosts.pip", None)  # import raises ImportError
    monkeypatch.setattr(sys, "argv", ["pip", "install", "ddtrace"])
    assert hook.DDTraceImportHook().find_spec("pip") is None
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("ddguard: warning: pip check skipped") and "unchecked" in line


# --- reading pip's arguments ------------------------------------------------------------------


def install(**fields: Any) -> PipCall:
    return PipCall("install", **fields)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["install", "ddtrace==1.20.19"], install(requirements=("ddtrace==1.20.19",))),
        (
            ["install", "ddtrace", "requests<3"],
            install(requirements=("ddtrace", "requests<3")),
        ),
        (["-v", "install", "-q", "ddtrace"], install(requirements=("ddtrace",))),
        (["install", "--", "-weird-name"], install(requirements=("-weird-name",))),
        (["install", "-r", "a.txt"], install(requirement_files=("a.txt",))),
        (["install", "-ra.txt"], install(requirement_files=("a.txt",))),
        (
            ["install", "--requirement=a.txt", "--requirement", "b.txt"],
            install(requirement_files=("a.txt", "b.txt")),
        ),
        (["install", "--constr", "c.txt"], install(constraint_files=("c.txt",))),
        # ambiguous since pip 26 added --requirements-from-script: pip refuses it, and the
        # argument after it is not judged
        (["install", "--requir", "ddtrace", "x"], install(requirements=("x",))),
        (
            ["install", "-c", "c.txt", "--constraint=d.txt"],
            install(constraint_files=("c.txt", "d.txt")),
        ),
        (["install", "-e", ".", "--editable=../lib"], install(editables=(".", "../lib"))),
        (
            ["install", "--group", "dev", "--group=sub/pyproject.toml:test"],
            install(groups=(("pyproject.toml", "dev"), ("sub/pyproject.toml", "test"))),
        ),
        (["install", "--pre", "ddtrace"], install(requirements=("ddtrace",), pre=True)),
        (
            ["install", "--all-releases=ddtrace", "x"],
            install(requirements=("x",), pre=True),
        ),
        (
            ["install", "--all-releases=:all:", "--only-final=ddtrace", "x"],
            install(requirements=("x",)),
        ),
        (
            ["install", "--only-binary=:all:", "x"],
            install(requirements=("x",), only_binary=True),
        ),
        (
            ["install", "--only-binary", "DDTrace", "x"],
            install(requirements=("x",), only_binary=True),
        ),
        (["install", "--only-binary=requests", "x"], install(requirements=("x",))),
        (
            ["install", "--no-binary", ":all:", "x"],
            install(requirements=("x",), no_binary=True),
        ),
        (
            ["install", "--no-binary=:all:", "--only-binary=ddtrace", "x"],
            install(requirements=("x",), only_binary=True),
        ),
        (
            ["install", "--only-binary=:all:", "--no-binary=:none:", "x"],
            install(requirements=("x",), only_binary=True),
        ),
        (["install", "--prefer-binary", "x"], install(requirements=("x",))),
        (
            ["install", "--target", "out", "x"],
            install(requirements=("x",), target_dir="out"),
        ),
        (["install", "-tout", "x"], install(requirements=("x",), target_dir="out")),
        (
            ["install", "--prefix=/opt/p", "--user", "x"],
            install(requirements=("x",), prefix="/opt/p", user=True),
        ),
        (
            ["install", "--python-version", "3.11", "x"],
            install(requirements=("x",), python_version="3.11"),
        ),
        (
            ["install", "--python-version=311", "x"],
            install(requirements=("x",), python_version="311"),
        ),
        (
            ["install", "--platform", "a", "--platform=b", "x"],
            install(requirements=("x",), platforms=("a", "b")),
        ),
        (
            ["install", "--implementation", "cp", "--abi", "cp311", "--abi=abi3", "x"],
            install(requirements=("x",), implementation="cp", abis=("cp311", "abi3")),
        ),
        (["install", "-U", "x"], install(requirements=("x",), upgrade=True)),
        (["install", "--upgrade", "x"], install(requirements=("x",), upgrade=True)),
        (["install", "-qU", "x"], install(requirements=("x",), upgrade=True)),
        (["install", "-Ur", "a.txt"], install(requirement_files=("a.txt",), upgrade=True)),
        (["install", "-Ura.txt"], install(requirement_files=("a.txt",), upgrade=True)),
        (
            ["install", "--force-reinstall", "-I", "x"],
            install(requirements=("x",), reinstall=True, ignore_installed=True),
        ),
        (["install", "--only-deps", "x"], install(requirements=("x",), only_deps=True)),
        (["--python", "/py", "install", "x"], install(requirements=("x",), python="/py")),
        (
            ["--python=/py", "--isolated", "install", "x"],
            install(requirements=("x",), python="/py"),
        ),
        (
            ["--log", "install", "install", "x"],
            install(requirements=("x",)),
        ),  # --log's value
        # every value-taking option keeps its value away from the requirements
        (
            ["install", "-i", "https://idx", "--extra-index-url=https://x", "-f", "dir", "x"],
            install(requirements=("x",)),
        ),
        (
            ["install", "--src", "s", "--root", "r", "--report", "-", "-C", "k=v", "x"],
            install(requirements=("x",)),
        ),
        (
            ["install", "--upgrade-strategy", "eager", "--progress-bar", "off", "x"],
            install(requirements=("x",)),
        ),
        # an option pip added after this table: its value after "=" is skipped; without "=",
        # the next argument may be its value and is not judged
        (
            ["install", "--future-option=1", "ddtrace==1.20.19"],
            install(requirements=("ddtrace==1.20.19",)),
        ),
        (
            ["install", "--future-option", "ddtrace==1.20.19", "x"],
            install(requirements=("x",)),
        ),
        (["install", "-Z", "ddtrace==1.20.19", "x"], install(requirements=("x",))),
        (
            ["download", "--platform", "win_amd64", "-d", "out", "x"],
            PipCall("download", requirements=("x",), platforms=("win_amd64",)),
        ),
        (
            ["wheel", "--python-version", "3.11", "-w", "out", "x"],
            PipCall("wheel", requirements=("x",), python_version="3.11"),
        ),
    ],
)
def test_pip_arguments_are_read_as_pip_reads_them(args: List[str], expected: PipCall) -> None:
    assert call(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--version"],
        ["-V"],
        ["list"],
        ["freeze", "--all"],
        ["uninstall", "ddguard"],
        ["show", "install"],
        ["help", "install"],
        ["install", "--help"],
        ["install", "-h", "ddtrace"],
        ["download", "ddtrace"],  # no target named: what pip downloads, not what it installs
        ["wheel", "-w", "out", "ddtrace"],
        ["--future-general-option", "install", "ddtrace"],  # pip's main parser refuses it
        ["-U", "install", "ddtrace"],  # a command option before the command: pip refuses it
        ["install", "--python", "/py", "ddtrace"],  # pip: --python goes before the command
    ],
)
def test_commands_that_install_nothing_here_are_not_judged(args: List[str]) -> None:
    assert call(args) is None


def test_download_and_wheel_are_judged_for_a_target_named_in_the_environment() -> None:
    assert call(["download", "ddtrace"], {"PIP_PLATFORM": "win_amd64"}) == PipCall(
        "download", requirements=("ddtrace",), platforms=("win_amd64",)
    )


def test_python_after_the_command_is_accepted_in_pips_own_rerun() -> None:
    found = call(["install", "--python", "/py", "x"], {"_PIP_RUNNING_IN_SUBPROCESS": "1"})
    assert found == install(requirements=("x",))


VALUE_OPTIONS = sorted(_TAKE_VALUE)


@given(option=st.sampled_from(VALUE_OPTIONS), joined=st.booleans())
def test_no_option_value_is_ever_read_as_a_requirement(option: str, joined: bool) -> None:
    value = "ddtrace==1.20.19"
    spelled = (
        [option + ("=" if option.startswith("--") else "") + value] if joined else [option, value]
    )
    found = call(["install", *spelled, "x"])
    if found is not None:
        assert found.requirements == ("x",)


@settings(max_examples=300)
@given(
    args=st.lists(
        st.sampled_from(
            [
                "install",
                "download",
                "-r",
                "-U",
                "-qU",
                "--pre",
                "--",
                "-",
                "=",
                "--python",
                "--platform=x",
                "--only-binary",
                ":all:",
                "ddtrace",
                "-e",
                "--req",
                "--x",
                "-Z",
                "",
            ]
        )
        | st.text(),
        max_size=12,
    )
)
def test_any_command_line_is_read_without_error(args: List[str]) -> None:
    found = call(["install", *args])
    assert found is None or isinstance(found, PipCall)
    assert call(args) is None or isinstance(call(args), PipCall)


# --- PIP_* variables and configuration files -----------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"PIP_REQUIREMENT": "a.txt b.txt"},
            install(requirement_files=("a.txt", "b.txt", "c.txt")),
        ),
        (
            {"PIP_CONSTRAINT": "k.txt"},
            install(requirement_files=("c.txt",), constraint_files=("k.txt",)),
        ),
        ({"PIP_PRE": "yes"}, install(requirement_files=("c.txt",), pre=True)),
        ({"PIP_PRE": "0"}, install(requirement_files=("c.txt",))),
        ({"PIP_PRE": "maybe"}, install(requirement_files=("c.txt",))),  # pip refuses it
        (
            {"PIP_ONLY_BINARY": ":all:"},
            install(requirement_files=("c.txt",), only_binary=True),
        ),
        (
            {"PIP_NO_BINARY": "ddtrace"},
            install(requirement_files=("c.txt",), no_binary=True),
        ),
        (
            {"PIP_PYTHON_VERSION": "3.11", "PIP_PLATFORM": "a b"},
            install(requirement_files=("c.txt",), python_version="3.11", platforms=("a", "b")),
        ),
        (
            {"PIP_TARGET": "out", "PIP_UPGRADE": "true"},
            install(requirement_files=("c.txt",), target_dir="out", upgrade=True),
        ),
        ({"PIP_PYTHON": "/py"}, install(requirement_files=("c.txt",), python="/py")),
        (
            {"PIP_R": "x.txt", "PIP_VERSION": "1"},
            install(requirement_files=("c.txt",)),
        ),  # not options
    ],
)
def test_pip_environment_variables_set_the_same_options(
    env: Dict[str, str], expected: PipCall
) -> None:
    assert call(["install", "-r", "c.txt"], env) == expected


def test_isolated_mode_ignores_pip_environment_variables() -> None:
    assert call(["--isolated", "install", "x"], {"PIP_PRE": "1"}) == install(requirements=("x",))


def test_configuration_files_in_pips_order(tmp_path: Path) -> None:
    system = tmp_path / "system.conf"
    system.write_text("[global]\npre = true\nconstraint = sys.txt\npython_version = 3.9\n")
    user = tmp_path / "user.conf"
    user.write_text(
        "[global]\n--python-version = 3.10\n[install]\nplatform = a\n  b\nupgrade =\n"
        "[download]\ntarget = no\n"
    )
    found = call(
        ["install", "x", "--platform", "c"], {"PIP_CONSTRAINT": "env.txt"}, [str(system), str(user)]
    )
    assert found == install(
        requirements=("x",),
        constraint_files=("env.txt",),  # a variable replaces the files' value
        pre=True,
        python_version="3.10",  # the later file wins
        platforms=("a", "b", "c"),  # the command line adds to the configured list
    )


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00garbage",
        b"[global\npre = true\n",
        b"pre = true\n",
        b"[global]\n" + b"x" * 50_000,
    ],
)
def test_unreadable_configuration_is_skipped(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "pip.conf"
    bad.write_bytes(content)
    assert call(
        ["install", "x"], {}, [str(bad), str(tmp_path), os.devnull, str(tmp_path / "missing")]
    ) == install(requirements=("x",))


def test_pip_config_files_are_pips_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"XDG_CONFIG_DIRS": "/a:/b", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    assert pip_config_files(env) == [
        "/a/pip/pip.conf",
        "/b/pip/pip.conf",
        "/etc/pip.conf",
        str(tmp_path / ".pip" / "pip.conf"),
        str(tmp_path / "cfg" / "pip" / "pip.conf"),
        os.path.join(sys.prefix, "pip.conf"),
    ]
    assert pip_config_files(env, isolated=True)[-1] == os.path.join(sys.prefix, "pip.conf")
    assert len(pip_config_files(env, isolated=True)) == 4  # no user files
    named = tmp_path / "mine.conf"
    named.write_text("")
    assert pip_config_files({**env, "PIP_CONFIG_FILE": str(named)})[-2:] == [
        os.path.join(sys.prefix, "pip.conf"),
        str(named),
    ]
    assert pip_config_files({"PIP_CONFIG_FILE": os.devnull}) == []


# --- what is judged, for which interpreter -------------------------------------------------------


def test_unpinned_and_ranged_ddtrace_are_judged_as_the_installers_pick() -> None:
    [refusal] = judge(Request(requirements=("ddtrace<2",), **CP312)).refusals
    assert refusal.startswith(
        "ddtrace 1.20.19 (the release an installer picks for ddtrace<2) does not work on CPython 3.12"
    )
    assert judge(Request(requirements=("ddtrace",), **CP312)) == Judged()


def test_a_pin_that_works_on_the_target_passes() -> None:
    assert judge(Request(requirements=("ddtrace==1.20.19",), **CP311)) == Judged()


def test_refusal_words_are_ddguard_checks() -> None:
    from ddguard.api import check
    from ddguard.report import paragraph
    from ddguard.target import Target

    target = Target.from_pip_flags("3.12", "cp", platforms=["manylinux2014_x86_64"])
    [expected] = [paragraph(r) for r in check(["ddtrace==1.20.19"], target).results]
    assert judge(Request(requirements=("ddtrace==1.20.19",), **CP312)).refusals == (expected,)


def test_pre_lets_the_pick_be_a_pre_release() -> None:
    beyond = {"python_version": "3.15", "platforms": ("manylinux2014_x86_64",)}
    [final] = judge(Request(requirements=("ddtrace<4.16",), **beyond)).refusals
    [pre] = judge(Request(requirements=("ddtrace<4.16",), pre=True, **beyond)).refusals
    assert "rc" not in final.split(" (")[0] and "rc" in pre.split(" (")[0]


def test_requirement_and_constraint_files(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests\nddtrace==1.20.19  # pinned\n")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("ddtrace==1.20.19\n")
    [refusal] = judge(Request(requirement_files=(str(requirements),), **CP312)).refusals
    assert f"({requirements}:2)" in refusal
    both = Request(requirements=("ddtrace",), constraint_files=(str(constraints),), **CP312)
    [refusal] = judge(both).refusals
    assert f"({constraints}:1)" in refusal


def test_a_constraint_alone_is_said_not_refused(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("ddtrace==1.20.19\n")
    judged = judge(Request(constraint_files=(str(constraints),), **CP312))
    assert judged.refusals == () and len(judged.warnings) == 1


def test_installed_ddtrace_pip_keeps_is_judged_as_installed() -> None:
    kept = ("1.20.19", "/venv/site-packages")
    [refusal] = judge(Request(requirements=("ddtrace>=1",), installed=kept, **CP312)).refusals
    assert refusal.startswith("ddtrace 1.20.19 does not work on CPython 3.12")
    assert "(installed in /venv/site-packages)" in refusal
    # a request the installed release does not satisfy: pip replaces it
    assert judge(Request(requirements=("ddtrace>=2",), installed=kept, **CP312)) == Judged()


@pytest.mark.parametrize(
    ("args", "keeps"),
    [
        (["install", "ddtrace"], True),
        (["install", "-U", "ddtrace"], False),
        (["install", "--force-reinstall", "ddtrace"], False),
        (["install", "-I", "ddtrace"], False),
        (["install", "--target", "out", "ddtrace"], False),
        (["install", *TARGET_312, "--dry-run", "ddtrace"], False),
    ],
)
def test_when_pip_keeps_an_installed_ddtrace(args: List[str], keeps: bool) -> None:
    found = call(args)
    assert found is not None and found.keeps_installed is keeps


def test_target_flags_name_the_interpreter() -> None:
    [refusal] = judge(
        Request(
            requirements=("ddtrace==1.20.19",),
            python_version="3.12",
            implementation="cp",
            abis=("cp312",),
            platforms=("manylinux2014_x86_64",),
        )
    ).refusals
    assert "CPython 3.12" in refusal


def test_python_path_is_judged_for_that_interpreter() -> None:
    cp312 = Interpreter("cpython", (3, 12, 1), False, ())
    assert judge(Request(requirements=("ddtrace==1.20.19",), interpreter=cp312)).refusals
    cp311 = Interpreter("cpython", (3, 11, 7), False, ())
    assert judge(Request(requirements=("ddtrace==1.20.19",), interpreter=cp311)) == Judged()


def test_local_project_dependencies_and_groups(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = []\n'
        '[project.optional-dependencies]\ntracing = ["ddtrace==1.20.19"]\n'
        '[dependency-groups]\nobs = ["ddtrace<2"]\n'
    )
    root = str(tmp_path)
    assert judge(Request(projects=((root, ()),), **CP312)) == Judged()
    assert judge(Request(projects=((root, ("tracing",)),), **CP312)).refusals
    assert judge(Request(groups=((root, "obs"),), **CP312)).refusals


@pytest.mark.parametrize(
    "request_",
    [
        Request(requirement_files=("/no/such/requirements.txt",), **CP312),
        Request(requirements=("ddtrace==",), **CP312),
        Request(requirements=("ddtrace==1.20.19",), python_version="3", platforms=("x",)),
        Request(requirements=("ddtrace==1.20.19",), **{**CP312, "implementation": "py"}),
    ],
)
def test_bad_input_is_pips_to_report(request_: Request) -> None:
    assert judge(request_) == Judged()


def test_build_request_reads_only_what_may_name_ddtrace(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("requests\n")
    (tmp_path / "includes.txt").write_text("  -r plain.txt\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pyproject.toml").write_text('dependencies = ["ddtrace"]\n')
    found = call(
        [
            "install",
            "requests",
            "./app[a, b]",
            "-e",
            "app",
            "-r",
            "plain.txt",
            "-r",
            "includes.txt",
            "-c",
            "https://x/c.txt",
        ]
    )
    assert found is not None
    request = guard.build_request(found, cwd=str(tmp_path))
    assert request is not None
    assert request.requirements == () and request.requirement_files == ("includes.txt",)
    assert request.projects == (
        (os.path.join(tmp_path, "./app"), ("a", "b")),
        (os.path.join(tmp_path, "app"), ()),
    )
    assert request.constraint_files == ()
    nothing = call(["install", "requests", "-r", "plain.txt"])
    assert nothing is not None and guard.build_request(nothing, cwd=str(tmp_path)) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_files_that_are_missing_or_not_regular_are_pips_to_report(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir.txt").mkdir()
    for path in ("fifo", "dir.txt", "missing.txt", os.devnull, "https://example.com/r.txt"):
        for flag in ("-r", "-c"):
            found = call(["install", "requests", flag, path])
            assert found is not None
            assert guard.build_request(found, cwd=str(tmp_path)) is None, (flag, path)


def test_installed_ddtrace_is_found_by_its_metadata(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "ddtrace-2.8.5.dist-info").mkdir(parents=True)
    (tmp_path / "b" / "ddtrace_api-1.0.dist-info").mkdir()
    dirs = [str(tmp_path / "missing"), str(tmp_path / "a"), str(tmp_path / "b")]
    assert guard.installed_ddtrace(dirs) == ("2.8.5", str(tmp_path / "b"))
    assert guard.installed_ddtrace(dirs[:2]) is None


# --- what each mode does ---------------------------------------------------------------------------


REFUSED = Judged(refusals=("ddtrace 1.20.19 does not work on CPython 3.12. Fix: use ddtrace>=2.",))


def run_check(monkeypatch: pytest.MonkeyPatch, judged: Judged, argv: List[str]) -> Optional[int]:
    monkeypatch.setattr(guard, "judge_arguments", lambda args: judged)
    try:
        guard.check_command_line(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return None


def test_strict_refusal_prints_the_paragraph_and_the_bypass_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_check(monkeypatch, REFUSED, ["/venv/bin/pip", "install", "ddtrace==1.20.19"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "ddguard: ddtrace 1.20.19 does not work on CPython 3.12. Fix: use ddtrace>=2."
    assert err[1].startswith("ddguard: pip stopped before resolving or downloading anything.")
    assert "DDGUARD_MODE=off pip install ddtrace==1.20.19" in err[1]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["-m", "install", "ddtrace<2"], "DDGUARD_MODE=off python -m pip install 'ddtrace<2'"),
        (["/tmp/pip.pyz", "install", "x"], "DDGUARD_MODE=off python /tmp/pip.pyz install x"),
        (["/venv/bin/pip3.12", "install", "x"], "DDGUARD_MODE=off pip3.12 install x"),
        (
            [
                "/venv/lib/python3.12/site-packages/pip/__pip-runner__.py",
                "--python",
                "/v",
                "install",
                "x",
            ],
            "DDGUARD_MODE=off pip --python /v install x",
        ),
    ],
)
def test_the_bypass_repeats_the_command_as_typed(
    argv: List[str], shown: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_check(monkeypatch, REFUSED, argv)
    assert shown in capsys.readouterr().err


def test_warn_mode_prints_and_lets_pip_go_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    assert run_check(monkeypatch, REFUSED, ["pip", "install", "x"]) is None
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("ddguard: warning: ddtrace 1.20.19 does not work")
    assert line.endswith("Continuing because DDGUARD_MODE=warn.")


def test_off_mode_does_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DDGUARD_MODE", "off")
    monkeypatch.setattr(guard, "judge_arguments", lambda args: pytest.fail("judged"))
    guard.check_command_line(["pip", "install", "ddtrace==1.20.19"])
    assert capsys.readouterr().err == ""


def test_pips_rerun_under_python_path_is_not_judged_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("_DDGUARD_PIP_JUDGED", "1")
    assert run_check(monkeypatch, REFUSED, ["pip", "install", "x"]) is None
    assert capsys.readouterr().err == ""


def test_internal_error_fails_open_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: List[str]) -> Judged:
        raise RuntimeError("boom")

    monkeypatch.setattr(guard, "judge_arguments", broken)
    guard.check_command_line(["pip", "install", "ddtrace"])
    [line] = capsys.readouterr().err.splitlines()
    assert (
        line
        == "ddguard: warning: internal error in the pip check (RuntimeError: boom); pip goes on unchecked"
    )


def test_warnings_never_become_exceptions_under_w_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def noisy(args: List[str]) -> Judged:
        warnings.warn("deprecated somewhere inside", DeprecationWarning, stacklevel=1)
        return REFUSED

    monkeypatch.setattr(guard, "judge_arguments", noisy)
    monkeypatch.setenv("DDGUARD_MODE", "warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # python -W error
        guard.check_command_line(["pip", "install", "ddtrace"])
    assert capsys.readouterr().err.startswith("ddguard: warning: ddtrace 1.20.19")


def test_a_missing_requirements_file_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    guard.check_command_line(["pip", "install", "-r", "missing.txt", *TARGET_312])
    assert capsys.readouterr().err == ""


def test_end_to_end_in_process_refusal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        guard.check_command_line(
            ["pip", "install", *TARGET_312, "--target", "out", "ddtrace==1.20.19"]
        )
    assert stop.value.code == 1
    assert capsys.readouterr().err.startswith(
        "ddguard: ddtrace 1.20.19 does not work on CPython 3.12"
    )
