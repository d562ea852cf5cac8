"""``import ddguard.auto`` as an application's first line: check the installed ddtrace
against this interpreter now, before anything imports it (see :mod:`ddguard.startup`).

Honours ``DDGUARD_MODE`` (strict, warn, off). When ddtrace is not installed it does nothing.
"""

from __future__ import annotations

import _ddguard_hook
from ddguard.startup import require

_ddguard_hook.uninstall()  # the check runs here; the automatic hook has nothing left to do
require()
