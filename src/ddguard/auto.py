"""``import ddguard.auto`` as an application's first line: check the installed ddtrace
against this interpreter now, before anything imports it (see :mod:`ddguard.startup`).

Honours ``DDGUARD_MODE`` (strict, warn, off). When ddtrace is not installed it does nothing.
A refusal is raised from this module's own frame, so the traceback is one line of ddguard
and then the paragraph.
"""

import _ddguard_hook
from ddguard.errors import RefusedError
from ddguard.startup import require

_ddguard_hook.uninstall()  # the check runs here; the automatic hook has nothing left to do
try:
    require()
except RefusedError as refusal:
    raise refusal.with_traceback(None) from None
