"""The automatic startup check: a meta-path finder that reacts only to ``import ddtrace``
(and, in pip's own process, to pip's first import).

``ddguard.pth`` (and ``ddguard.start``, PEP 829) in site-packages call :func:`install` at
interpreter start. That is all that runs for processes that never import ddtrace: this
module imports nothing beyond ``sys`` and ``os`` (both already loaded by ``site``) and
puts one small object at the front of ``sys.meta_path``.

A top-level module beside the ``ddguard`` package, not a submodule of it, because it
loads at every interpreter start: one module costs about 0.35 ms there where the package
plus a submodule cost 0.53 ms (``-X importtime``). The finder is recognised by its
``ddguard_hook`` marker, never by class. PYTEST_DONT_REWRITE: pytest marks the top-level
modules of a ``pytest11`` plugin's distribution for assertion rewriting, and this one is
always imported before it does; the marker stops the "already imported" warning.

The first time anything imports the name ``ddtrace`` the finder removes itself, runs
:func:`ddguard.startup.check_on_import` and returns ``None`` so the normal finders load
ddtrace. A refusal propagates as ``DDGuardError`` (an ImportError) and the finder stays,
so every later ``import ddtrace`` is refused too (the outcome is remembered, not redone);
any other failure inside ddguard warns and lets the import proceed (fail open).

The finder also guards pip (``ddguard.hosts.pip``): at the first import of ``pip`` (or a
``pip.`` submodule) ``sys.argv`` is set, which it may not be while ``.pth`` files run. If
the program is pip (``pip``, ``pip3.12``, ``python -m pip``, a zipapp, pip's ``--python``
runner) running ``install``, ``download`` or ``wheel``, the arguments go to
:func:`ddguard.hosts.pip.check_command_line` before pip resolves anything. Elsewhere: one
string comparison per import, no import; decided once per process.
"""

# No ``from __future__ import annotations`` here or in ddguard/__init__.py: this runs in
# every process, and string annotations spare the __future__ import.
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Optional, Sequence


class DDTraceImportHook:
    """Finder that checks the installed ddtrace before its first import, then gets out of the
    way; on the way it hands pip's command line to the pip check, once."""

    ddguard_hook = True  # marker: install() looks for it to stay idempotent
    pip_undecided = True  # until pip is first imported with sys.argv set

    def find_spec(
        self,
        fullname: str,
        path: "Optional[Sequence[str]]" = None,
        target: "Optional[ModuleType]" = None,
    ) -> "Optional[ModuleSpec]":
        if fullname != "ddtrace" and not fullname.startswith("ddtrace."):
            if sys.meta_path[0] is not self:  # e.g. pytest's assertion rewriter went first:
                _move_to_front(self)  # it loads ddtrace itself, and we would never see it
            if fullname[:3] == "pip" and self.pip_undecided:
                self._decide_pip(fullname)
            return None
        # "ddtrace." too: a finder ahead of us (pytest's rewriter) may have loaded ddtrace's
        # Python modules itself; its first compiled extension still falls through to us.
        if _probing():
            return None  # importlib.util.find_spec("ddtrace"): a question, not an import
        uninstall()
        try:
            from ddguard.startup import check_on_import
        except Exception as exc:  # a broken ddguard install must not break the host
            sys.stderr.write(
                f"ddguard: warning: startup check skipped ({exc!r}); importing ddtrace unchecked\n"
            )
            return None
        refusal = check_on_import()  # fails open on its own errors
        if refusal is not None:
            # Stay in front: a second ``import ddtrace`` is refused again. runpy (``python -m
            # ddtrace.commands.ddtrace_run``) and ``try: import ddtrace`` fallbacks swallow
            # the first ImportError and retry; the retry must not load ddtrace unchecked.
            sys.meta_path.insert(0, self)
            if "_pytest.config" in sys.modules:  # e.g. ddtrace's pytest11 plugin is loading
                raise _for_pytest(refusal)
            raise refusal
        return None

    def _decide_pip(self, fullname: str) -> None:
        if fullname != "pip" and fullname[:4] != "pip.":  # pipes, pipx, pip_audit...
            return
        argv = getattr(sys, "argv", None)
        if not argv:  # pip imported while .pth files run: decide at its next import
            return
        self.pip_undecided = False
        if pip_guarded(argv):
            _check_pip(argv)

    def __repr__(self) -> str:
        return "<ddguard startup check for ddtrace>"


_PIP_COMMANDS = ("install", "download", "wheel")
_IMPORTING = ("_find_and_load_unlocked", "_find_and_load")


# Whether the finder was asked by importlib.util.find_spec (or pkgutil, which calls it)
# rather than by an import: an import reaches _find_spec through _find_and_load_unlocked.
# Unsure (no frame, another implementation): an import, so the check still runs.
def _probing() -> bool:
    try:
        caller = sys._getframe(3)  # find_spec <- _find_spec <- its caller
    except (AttributeError, ValueError):
        return False
    return caller.f_code.co_name not in _IMPORTING and "importlib" in caller.f_code.co_filename


# Comments, not docstrings, below: docstrings would be loaded at every interpreter start.


# Whether argv (sys.argv when pip is first imported) is pip with a command ddguard judges.
# Cheap and import-free: ddguard.hosts.pip reads the arguments properly ("pip show install"
# passes here and is dropped there).
def pip_guarded(argv: "Sequence[str]") -> bool:
    if not any(arg in _PIP_COMMANDS for arg in argv[1:]):
        return False
    program = argv[0]
    if program == "-m":  # python -m pip: sys.argv[0] is "-m" while pip is being located
        return _module_is_pip(len(argv))
    name = os.path.basename(program).lower()
    for suffix in (".exe", "-script.pyw", "-script.py", ".pyzw", ".pyz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name == "__pip-runner__.py":  # pip --python re-runs itself under the other interpreter
        return True
    if name == "pip":  # also pip's directory or wheel run as a script (python .../pip)
        return True
    version = name[3:].lstrip("-")  # pip3, pip3.12; pip-24.0 (a versioned zipapp)
    return name[:3] == "pip" and version.replace(".", "").isdigit()


# python -m X: is X pip? sys.orig_argv (3.10+) holds the module name just before the
# arguments: "pip", or "-mpip" / "-Impip" when flags were joined.
def _module_is_pip(argc: int) -> bool:
    orig: Optional[Sequence[str]] = getattr(sys, "orig_argv", None)
    if not orig or len(orig) <= argc:
        return True  # before 3.10: only pip's own import got here with argv[0] == "-m"
    module = orig[len(orig) - argc]
    if module[:1] == "-":
        module = module.partition("m")[2]
    return module == "pip" or module[:4] == "pip."


def _check_pip(argv: "Sequence[str]") -> None:
    try:
        from ddguard.hosts.pip import check_command_line

        check_command_line(list(argv))  # a refusal raises SystemExit(1), which passes
    except Exception as exc:  # a broken ddguard install must not break pip
        try:  # noqa: SIM105 (contextlib is one more import in every process)
            sys.stderr.write(
                f"ddguard: warning: pip check skipped ({exc!r}); pip goes on unchecked\n"
            )
        except Exception:  # no stderr (pythonw, closed): nowhere to say it
            pass


def installed() -> bool:
    return any(getattr(f, "ddguard_hook", False) is True for f in sys.meta_path)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` unless it is there already, ddtrace is
    already imported, or ``DDGUARD_MODE=off``. Safe to call any number of times."""
    if os.environ.get("DDGUARD_MODE", "").strip().lower() == "off":
        return
    if "ddtrace" in sys.modules or installed():
        return
    sys.meta_path.insert(0, DDTraceImportHook())


def _for_pytest(refusal: "ImportError") -> "ImportError":
    """Inside pytest, a refusal that pytest reports as a usage error (exit status 4)."""
    try:
        from ddguard.hosts.pytest import usage_error

        return usage_error(refusal)
    except Exception:
        return refusal


def _move_to_front(finder: "DDTraceImportHook") -> None:
    try:
        sys.meta_path.remove(finder)
    except ValueError:
        return
    sys.meta_path.insert(0, finder)


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "ddguard_hook", False) is not True]
