"""Unit tests run in-process against the embedded database only: no user copy from
``ddguard db update``, no ``DDGUARD_DB`` from the caller's environment."""

from __future__ import annotations

import os
import tempfile

_CACHE = tempfile.mkdtemp(prefix="ddguard-unit-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
os.environ.pop("DDGUARD_DB", None)
os.environ.pop("DDGUARD_MODE", None)
