"""The one error tree. The core raises these; only the edges (CLI, plugins) exit."""

from __future__ import annotations

from typing import Optional


class DDGuardError(ImportError):
    """Base of every error ddguard raises on purpose.

    It subclasses ImportError so that the startup check can make ``import ddtrace``
    fail with ddguard's paragraph; everywhere else it is just an exception.
    """


class InputError(DDGuardError, ValueError):
    """Bad input from the user: a malformed requirement, file, flag or tag.

    ``path`` and ``line`` locate it when it comes from a file; ``str()`` gives the
    one-paragraph message, prefixed with ``path:line:`` when known.
    """

    def __init__(
        self, message: str, path: Optional[str] = None, line: Optional[int] = None
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))
        self.path = path  # ImportError.__init__ resets ``path`` to None

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class DatabaseError(DDGuardError):
    """The compatibility database is missing, unreadable or fails validation."""


class RefusedError(DDGuardError):
    """A check refused a ddtrace requirement; the message is the user-facing paragraph."""
