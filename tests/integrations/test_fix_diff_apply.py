"""The ``ddguard fix --dry-run`` diff applies with the real tools: ``patch -p0`` and
``git apply -p0`` (``git apply`` with the a/ b/ prefixes) turn every corpus file into the
bytes the writer would write, CRLF, BOM and a missing final newline included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from test_writers import CORPUS, ENTRIES, FUTURE, OLDER, _syntax

from ddguard.writers import EditRequest, Split, Syntax, plan, unified_diff

TOOLS = {
    "patch": ["patch", "-p0", "--quiet", "--forward", "--input", "{diff}"],
    "git-p0": ["git", "apply", "-p0", "--whitespace=nowarn", "{diff}"],
    "git": ["git", "apply", "--whitespace=nowarn", "{diff}"],
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize(("case", "name", "line", "text"), ENTRIES)
def test_diff_applies_with_the_real_tool(tool, case, name, line, text, tmp_path):
    if shutil.which(TOOLS[tool][0]) is None:
        pytest.skip(f"{TOOLS[tool][0]} is not installed")
    syntax = _syntax(name, text)
    request = EditRequest(line, syntax, FUTURE, text)
    if syntax is not Syntax.PIPFILE:
        request = EditRequest(line, syntax, OLDER, text, Split((3, 12), FUTURE))
    change = plan(str(CORPUS), f"{case}/{name}", [request])
    diff = unified_diff(change.original, change.data, change.relpath, prefixes=tool == "git")
    (tmp_path / case).mkdir()
    (tmp_path / case / name).write_bytes(change.original)
    (tmp_path / "fix.diff").write_bytes(diff.encode("utf-8"))
    argv = [part.replace("{diff}", str(tmp_path / "fix.diff")) for part in TOOLS[tool]]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / case / name).read_bytes() == change.data
