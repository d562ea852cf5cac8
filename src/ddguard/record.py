"""``Record``: the base of ddguard's frozen values, written like ``typing.NamedTuple``.

To the type checker it *is* ``typing.NamedTuple``. At run time it builds the same
``collections.namedtuple`` class without ``typing``'s check of every annotation: under
``from __future__ import annotations`` each field's annotation is a string that
``typing.NamedTuple`` compiles into a ``ForwardRef``, which cost the command line about
4 ms for the model alone. Fields, defaults, methods, properties and ``_replace`` behave as
with ``typing.NamedTuple``.
"""

from __future__ import annotations

import collections

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:

    class _RecordMeta(type):
        def __new__(mcls, name, bases, namespace):  # type: ignore[no-untyped-def]
            if not bases:  # Record itself
                return super().__new__(mcls, name, bases, namespace)
            annotations = namespace.get("__annotations__", {})
            fields = list(annotations)
            defaults = [namespace[f] for f in fields if f in namespace]
            built = collections.namedtuple(
                name, fields, defaults=defaults, module=namespace.get("__module__")
            )
            built.__annotations__ = dict(annotations)
            built.__doc__ = namespace.get("__doc__") or built.__doc__
            for key, value in namespace.items():
                if key not in fields and key not in _SPECIAL:
                    setattr(built, key, value)
            return built

    _SPECIAL = frozenset(
        {"__annotations__", "__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"}
    )

    class Record(metaclass=_RecordMeta):
        pass


__all__ = ["Record"]
