"""The seam every file format plugs into: a :class:`Reader` turns one file into a
:class:`~ddguard.model.Scan`. One module per format family holds one reader; the registry
in :mod:`ddguard.sources` says which file names each handles and imports it on use."""

from __future__ import annotations

import abc

from ddguard.model import Scan
from ddguard.sources.names import Names


class Reader(abc.ABC):
    """Reads one kind of project file as data (never runs project code)."""

    @abc.abstractmethod
    def read(self, path: str, names: Names) -> Scan:
        """The pins of the packages in ``names`` (canonical) that the file at ``path``
        declares or locks, its notes and Python range; an InputError naming the file and
        line for anything it cannot read."""
