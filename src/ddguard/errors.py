"""The one error tree. The core raises these; only the edges (CLI, hosts) exit."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: `import ddguard.auto` runs at application start
if TYPE_CHECKING:
    from typing import Optional


class DDGuardError(Exception):
    """Base of every error ddguard raises on purpose."""


class InputError(DDGuardError, ValueError):
    """Bad input from the user: a malformed requirement, file, flag, tag or variable.

    ``path`` and ``line`` locate it when it comes from a file; ``str()`` gives the
    one-line message, prefixed with ``path:line:`` when known.
    """

    def __init__(
        self, message: str, path: Optional[str] = None, line: Optional[int] = None
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class DatabaseError(DDGuardError):
    """The compatibility database is missing, unreadable or fails validation."""


class RefusedError(DDGuardError, ImportError):
    """The startup check refused ``import ddtrace``; the message is the user-facing paragraph.

    The one error that is also an ImportError, so that code guarding an optional import
    (``try: import ddtrace``) treats it as one. Checks elsewhere return results; they do not
    raise this.
    """

    def __init__(self, message: str) -> None:
        DDGuardError.__init__(self, message)
        self.msg = message
        self.name = "ddtrace"
        self.path = None
