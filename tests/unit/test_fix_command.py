"""``ddguard fix`` on the real files of tests/fixtures/fix: after a fix, ``check`` passes on
the same targets, only ddtrace entries changed, the files still read, and a second fix
changes nothing. Plus the exit codes, --dry-run, --split and lock files."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from cli_run import run as run_cli

from ddguard import sources
from ddguard.api import CheckRequest, apply_fix, plan_fix, run_check
from ddguard.target import Target

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "fix"
TARGETS = (
    Target.from_compact("cp312-manylinux_x86_64"),
    Target.from_compact("cp311-manylinux_aarch64"),
)


def cases() -> List[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


def project_copy(case: Path, tmp_path: Path) -> Path:
    root = tmp_path / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("SOURCE", "SOURCE.*"))
    return root


def lines_without_ddtrace(path: Path) -> List[bytes]:
    return [line for line in path.read_bytes().splitlines(keepends=True) if b"ddtrace" not in line.lower()]


def in_dir(root: Path):  # type: ignore[no-untyped-def]
    @contextlib.contextmanager
    def chdir():  # type: ignore[no-untyped-def]
        here = os.getcwd()
        os.chdir(root)
        try:
            yield
        finally:
            os.chdir(here)

    return chdir()


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_fix_makes_check_pass_and_changes_only_ddtrace_entries(case: Path, tmp_path: Path) -> None:
    root = project_copy(case, tmp_path)
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    found = {os.path.realpath(f) for f in sources.find_project_files(str(root))}
    named = tuple(  # requirement files under names a project scan does not look for
        os.path.relpath(p, root) for p in files if p.suffix in (".txt", ".in") and os.path.realpath(p) not in found
    )
    request = CheckRequest(
        projects=(".",) if found else (), files=named, targets=TARGETS, installed_fallback=False
    )
    with in_dir(root):
        before = run_check(request)
        plan = plan_fix(request, ".")
        apply_fix(plan)
        after = run_check(request)
        again = plan_fix(request, ".")
    refused_before = [r for r in before.results if r.refused and r.pin.origin.kind.value != "lock"]
    fixed_files = {Path(root, c.relpath) for c in plan.changes}  # type: ignore[attr-defined]
    if refused_before and not plan.unfixed:
        assert fixed_files, [r.pin.text for r in refused_before]
    unfixed_pins = {(u.pin.origin.path, u.pin.origin.line) for u in plan.unfixed}
    still_refused = [
        r for r in after.results if r.refused and r.pin.origin.kind.value != "lock"
        and (r.pin.origin.path, r.pin.origin.line) not in unfixed_pins
    ]
    assert not still_refused, [(r.pin.text, r.pin.origin.line) for r in still_refused]
    for path, original in files.items():
        if path in fixed_files:
            kept = [line for line in original.splitlines(keepends=True) if b"ddtrace" not in line.lower()]
            # every other line is kept byte for byte (hashes of the rewritten entry excepted)
            now = lines_without_ddtrace(path)
            assert [line for line in kept if not line.strip().startswith(b"--hash")] == [line for line in now if not line.strip().startswith(b"--hash")]
            sources.read_file(str(path))  # still reads
        else:
            assert path.read_bytes() == original, path
    assert not again.changes or all(
        not e.edit.changed for e in again.edits  # type: ignore[attr-defined]
    ), "a second fix changes nothing"


def run(root: Path, *args: str) -> Tuple[int, str, str]:
    return run_cli(*args, cwd=root)


def write(root: Path, files: Dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        # bytes as written, no newline translation (write_text(newline=) needs 3.10)
        (root / name).write_bytes(text.encode("utf-8"))
    return root


TARGET = ("--target", "cp312-manylinux_x86_64")


def test_dry_run_prints_a_diff_and_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "flask==3.0.0  # web\r\nddtrace==1.20.19  # apm\r\n"})
    code, out, _ = run(root, "fix", "--dry-run", *TARGET)
    assert code == 1
    assert "--- requirements.txt" in out and "-ddtrace==1.20.19  # apm" in out
    assert (root / "requirements.txt").read_bytes() == b"flask==3.0.0  # web\r\nddtrace==1.20.19  # apm\r\n"
    code, out, _ = run(root, "fix", *TARGET)
    assert code == 0, out
    assert (root / "requirements.txt").read_bytes() == b"flask==3.0.0  # web\r\nddtrace==3.19.9  # apm\r\n" or (
        b"flask==3.0.0  # web\r\nddtrace==" in (root / "requirements.txt").read_bytes()
        and b"  # apm\r\n" in (root / "requirements.txt").read_bytes()
    )
    assert run(root, "check", *TARGET)[0] == 0
    assert run(root, "fix", "--dry-run", *TARGET)[0] == 0  # nothing left to change


def test_the_release_chosen_is_the_smallest_change(tmp_path: Path) -> None:
    """1.20.19 on 3.12: no 1.x release works, 2.x is End of Life: the oldest supported line."""
    root = write(tmp_path / "p", {"requirements.txt": "ddtrace==1.20.19\n"})
    _, out, _ = run(root, "fix", "--format", "json", *TARGET)
    (edit,) = json.loads(out)["edits"]
    assert edit["rule"] == "oldest-supported-line" and edit["reason_codes"][0] == "line-runtime"
    assert edit["before"] == "ddtrace==1.20.19" and edit["after"].startswith("ddtrace==3.")
    root = write(tmp_path / "q", {"requirements.txt": "ddtrace==2.0.0\n"})
    _code, out, _ = run(root, "fix", "--format", "json", "--target", "cp312-manylinux_i686")
    assert json.loads(out)["edits"] == [] or json.loads(out)["edits"][0]["rule"] in ("same-minor", "same-line")


def test_conflicting_targets_exit_1_without_split_and_split_writes_markers(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "ddtrace==1.20.19\n"})
    targets = ("--target", "cp35-manylinux_x86_64", "--target", "cp312-manylinux_x86_64")
    code, out, _ = run(root, "fix", *targets)
    assert code == 1 and "not fixed: requirements.txt:1" in out and "--split" in out
    assert (root / "requirements.txt").read_text() == "ddtrace==1.20.19\n"
    code, out, _ = run(root, "fix", "--split", *targets)
    assert code == 0, out
    text = (root / "requirements.txt").read_text()
    assert 'ddtrace==1.20.19; python_version < "3.12"' in text and 'python_version >= "3.12"' in text
    assert run(root, "check", *targets)[0] == 0


def test_lock_files_are_named_with_the_command_that_refreshes_them(tmp_path: Path) -> None:
    lock = (
        'version = 1\nrequires-python = ">=3.8"\n\n[[package]]\nname = "ddtrace"\nversion = "1.20.19"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    root = write(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "app"\nversion = "0"\nrequires-python = "==3.12.*"\n'
            'dependencies = ["ddtrace==1.20.19"]\n',
            "uv.lock": lock,
        },
    )
    _code, out, _ = run(root, "fix", "--format", "json", *TARGET)
    document = json.loads(out)
    assert document["commands"] == ["uv lock --upgrade-package ddtrace"]
    assert [e["path"] for e in document["edits"]] == ["pyproject.toml"]
    assert (root / "uv.lock").read_text() == lock  # never edited


def test_files_outside_the_project_are_never_edited(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", {"base.txt": "ddtrace==1.20.19\n"})
    root = write(tmp_path / "p", {"requirements.txt": "-r ../elsewhere/base.txt\n"})
    code, out, _ = run(root, "fix", *TARGET)
    assert code == 1 and "outside the project" in out
    assert (outside / "base.txt").read_text() == "ddtrace==1.20.19\n"
