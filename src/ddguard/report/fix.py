"""``ddguard fix``: what was (or would be) rewritten, what could not be, what to run next."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Sequence

from ddguard.report.words import clean, path, target

if TYPE_CHECKING:
    from ddguard.model.fixes import FixPlan

NOTES = {
    "hashes-removed": "its --hash options were removed: regenerate them (pip-compile --generate-hashes)",
    "exact-fallback": "written as an exact pin: the old shape cannot express a range that works",
    "bound-added": "a bound was added to keep out releases that do not work",
    "alternatives-dropped": "alternatives that do not work were dropped",
    "reference-replaced": "the direct reference became a version",
    "already-applied": "already holds this change",
}
UNFIXED = {
    "conflict": "no single release works on all of {targets}",
    "split-needed": "no single release works on all of {targets}; --split writes one requirement per Python range",
    "outside-project": "the file is outside the project: not edited",
    "reference": "a direct reference (VCS, path, URL) cannot be rewritten safely: pin a release",
    "not-a-file": "given on the command line: nothing to rewrite",
}


def edit_json(fix: Any) -> Dict[str, Any]:
    edit = fix.edit
    return {
        "path": path(edit.path),
        "line": edit.line,
        "before": clean(edit.before),
        "after": clean(edit.after),
        "added": clean(edit.added) if edit.added else None,
        "notes": [n.value for n in edit.notes],
        "reason_codes": list(fix.reason_codes),
        "targets": [target(t) for t in fix.targets],
        "rule": fix.step,
    }


def render_fix(plan: FixPlan, fmt: str, *, dry_run: bool, written: Sequence[str]) -> str:
    if fmt == "json":
        return (
            json.dumps(
                {
                    "changed": list(written),
                    "dry_run": dry_run,
                    "edits": [edit_json(e) for e in plan.edits if e.edit.changed],  # type: ignore[attr-defined]
                    "unfixed": [
                        {
                            "requirement": clean(u.pin.text),
                            "source": f"{u.pin.origin.path}:{u.pin.origin.line}" if u.pin.origin.path else None,
                            "why": u.why,
                            "targets": [target(t) for t in u.conflict],
                        }
                        for u in plan.unfixed
                    ],
                    "commands": list(plan.commands),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    lines: List[str] = []
    if dry_run and plan.changes:
        from ddguard import writers

        lines.append(writers.render(plan.changes).rstrip("\n"))  # type: ignore[arg-type]
    for fix in plan.edits:
        edit = fix.edit
        if not edit.changed:  # type: ignore[attr-defined]
            continue
        verb = "would rewrite" if dry_run else "rewrote"
        text = f"{verb} {path(edit.path)}:{edit.line}: {clean(edit.before)} -> {clean(edit.after)}"  # type: ignore[attr-defined]
        if edit.added:  # type: ignore[attr-defined]
            text += f" and {clean(edit.added)}"  # type: ignore[attr-defined]
        if fix.targets:
            text += " (refused on " + "; ".join(target(t) for t in dict.fromkeys(fix.targets)) + ")"
        lines.append(text)
        lines.extend(f"  note: {NOTES.get(n.value, n.value)}" for n in edit.notes if n.value != "already-applied")  # type: ignore[attr-defined]
    for unfixed in plan.unfixed:
        where = f"{path(unfixed.pin.origin.path)}:{unfixed.pin.origin.line}: " if unfixed.pin.origin.path else ""
        targets = "; ".join(target(t) for t in dict.fromkeys(unfixed.conflict)) or "the targets"
        lines.append(f"not fixed: {where}{clean(unfixed.pin.text)}: {UNFIXED[unfixed.why].format(targets=targets)}")
    for command in plan.commands:
        lines.append(f"then run: {command}")
    if not lines:
        lines.append("nothing to fix: no ddtrace requirement is refused")
    return "\n".join(lines) + "\n"
