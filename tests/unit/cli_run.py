"""``ddguard ARGS`` run in-process, as the unit tests run the command line."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import NamedTuple, Optional, Union

from ddguard.cli import main


class Done(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Optional[Union[str, Path]] = None) -> Done:
    """``ddguard ARGS`` from ``cwd`` (the working directory is restored afterwards)."""
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(here)
    return Done(code, out.getvalue(), err.getvalue())
