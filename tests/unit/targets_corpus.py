"""Expectations of a target-discovery corpus case (``expected.json``), as comparable rows.

``expected.json``: ``{"declarations": [row, ...], "notes": [{"code", "source"}, ...]}``;
a row holds ``source`` ("relpath:LINE"), ``python`` ("3.12", "3", "3.13.5", "3.13t",
"pypy3.10", or a list of them: one row each), ``os``, ``arch``, ``libc``, ``kind`` and,
when they apply, ``stage``, ``final`` and ``via``. Every key is compared; a missing
``stage``/``final``/``via`` means null.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from ddguard.model.deployment import Discovery, TargetDeclaration
from ddguard.target import Implementation

Row = Tuple[
    str,
    str,
    Optional[str],
    Optional[str],
    Optional[str],
    str,
    Optional[str],
    Optional[bool],
    Optional[str],
]
NoteRow = Tuple[str, str]


def python_text(declaration: TargetDeclaration) -> str:
    prefix = {Implementation.CPYTHON: "", Implementation.PYPY: "pypy"}.get(
        declaration.implementation,
        str(declaration.implementation),  # type: ignore[arg-type]
    )
    version = ".".join(str(n) for n in declaration.python_version or ())
    return prefix + version + ("t" if declaration.free_threaded else "")


def row(declaration: TargetDeclaration) -> Row:
    return (
        declaration.source,
        python_text(declaration),
        declaration.os.value if declaration.os else None,
        declaration.arch.value if declaration.arch else None,
        declaration.libc.value if declaration.libc else None,
        declaration.kind.value,
        declaration.stage,
        declaration.final,
        declaration.via,
    )


def expected_rows(case: Path) -> Tuple[Set[Row], Set[NoteRow]]:
    spec: Dict[str, Any] = json.loads((case / "expected.json").read_text("utf-8"))
    rows: Set[Row] = set()
    for item in spec["declarations"]:
        pythons: List[str] = (
            item["python"] if isinstance(item["python"], list) else [item["python"]]
        )
        for python in pythons:
            rows.add(
                (
                    item["source"],
                    python,
                    item["os"],
                    item["arch"],
                    item["libc"],
                    item["kind"],
                    item.get("stage"),
                    item.get("final"),
                    item.get("via"),
                )
            )
    notes = {(n["code"], n["source"]) for n in spec.get("notes", [])}
    return rows, notes


def found_rows(discovery: Discovery) -> Tuple[Set[Row], Set[NoteRow]]:
    rows = {row(d) for d in discovery.declarations}
    notes = {(n.code.value, f"{n.path}:{n.line}") for n in discovery.notes}
    return rows, notes


def cases(root: Path) -> List[Path]:
    return sorted(p.parent for p in root.glob("*/expected.json"))
