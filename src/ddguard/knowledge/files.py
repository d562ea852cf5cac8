"""The user copy's files: a lock the OS releases when its holder dies, the leftovers of
killed updates, atomic writes. Used by :mod:`ddguard.knowledge.store`."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from typing import Iterator, Optional, Tuple

from ddguard.errors import DatabaseError

LOCK_WAIT_SECONDS = 30.0
LOCK_NAME = ".releases.lock"
TEMPORARY_PREFIX = ".releases-"
TEMPORARY_SUFFIX = ".tmp"
_ORPHAN_AGE_SECONDS = 600  # a temporary this old is a leftover even without a lock


@contextlib.contextmanager
def locked(directory: str, wait: Optional[float] = None) -> Iterator[bool]:
    """Hold ``<directory>/.releases.lock`` (an OS lock: released if the process dies, so
    it is never stale). Yields whether the file system supports the lock; without one the
    compare-and-swap in ``store.update`` is the only guard."""
    try:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(os.path.join(directory, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    try:
        held = acquire(fd, directory, LOCK_WAIT_SECONDS if wait is None else wait)
        yield held
    finally:
        os.close(fd)  # closing releases the lock


def acquire(fd: int, directory: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        except OSError as exc:
            held = sys.platform == "win32" and exc.errno in (13, 36)  # EACCES, EDEADLOCK
            if not held:
                return False  # no lock on this file system
        if time.monotonic() > deadline:
            raise DatabaseError(
                f"another `ddguard db update` has held {os.path.join(directory, LOCK_NAME)} "
                f"for {wait:g} s: try again when it is done"
            )
        time.sleep(0.05)


def remove_leftovers(directory: str, *, everything: bool) -> int:
    """Remove temporaries of updates that died (all of them under the lock, since a live
    writer holds it; only old ones without a lock)."""
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    now = time.time()
    for name in names:
        if not (name.startswith(TEMPORARY_PREFIX) and name.endswith(TEMPORARY_SUFFIX)):
            continue
        path = os.path.join(directory, name)
        try:
            if everything or now - os.lstat(path).st_mtime > _ORPHAN_AGE_SECONDS:
                os.unlink(path)
                removed += 1
        except OSError:
            continue
    return removed


def identity(path: str) -> Optional[Tuple[int, int, int, int]]:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)


def write(destination: str, text: str) -> None:
    """:func:`write_atomic`, a failure as DatabaseError (the old file kept)."""
    try:
        write_atomic(destination, text)
    except OSError as exc:
        raise DatabaseError(
            f"cannot write {destination}: {exc.strerror or exc}; the current database is kept"
        ) from None


def write_atomic(path: str, text: str) -> None:
    """Write next to ``path`` (a new, exclusive file) then rename over it: readers see the
    old or the new file, never a part."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX, dir=directory
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
