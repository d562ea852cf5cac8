"""Accuracy of target discovery on a corpus (issue 14: >= 95% of the declared targets
found with the right file:line, Python, libc, arch and OS; none invented).

A target is (file:line, Python, OS, arch, libc); kind, stage and via are left out of the
score (the unit tests compare them). "found" counts expected targets discovery returns
exactly; "invented or wrong" counts targets it returns that no expectation names.

    python benchmarks/targets_accuracy.py [tests/fixtures/targets_heldout] [--only r2-] [-v]

Held-out round 1 is the cases without a prefix (measured once, then used to fix the
reader); round 2 (``r2-``) was collected after those fixes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))
sys.path.insert(0, str(ROOT / "src"))

from targets_corpus import cases, expected_rows, found_rows  # noqa: E402

from ddguard.sources.targets import discover  # noqa: E402


def main() -> int:
    argv = sys.argv[1:]
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    if only is not None:
        argv.remove(only)
    args = [a for a in argv if not a.startswith("-")]
    verbose = "-v" in argv
    corpus = Path(args[0]) if args else ROOT / "tests" / "fixtures" / "targets_heldout"
    expected_total = found_right = invented = 0
    notes_expected = notes_right = 0
    selected = [c for c in cases(corpus) if only is None or c.name.startswith(only)]
    for case in selected:
        expected, expected_notes = expected_rows(case)
        found, notes = found_rows(discover(str(case)))
        want = {r[:5] for r in expected}
        got = {r[:5] for r in found}
        expected_total += len(want)
        found_right += len(want & got)
        invented += len(got - want)
        notes_expected += len(expected_notes)
        notes_right += len(expected_notes & notes)
        if verbose and (want != got or expected_notes != notes):
            print(f"{case.name}:")
            for row in sorted(want - got, key=str):
                print(f"  missed   {row}")
            for row in sorted(got - want, key=str):
                print(f"  extra    {row}")
            for note in sorted(expected_notes ^ notes):
                print(f"  note {'missed' if note in expected_notes else 'extra '} {note}")
    share = found_right / expected_total if expected_total else 1.0
    shown = corpus.relative_to(ROOT) if str(corpus).startswith(str(ROOT)) else corpus
    subset = f", {only}*" if only else ""
    print(f"corpus: {shown} ({len(selected)} cases{subset})")
    print(
        f"declared targets found with the right file:line, Python, OS, arch, libc: {found_right}/{expected_total} = {share:.1%}"
    )
    print(f"targets invented or with a wrong fact: {invented}")
    print(f"expected notes said: {notes_right}/{notes_expected}")
    return 0 if share >= 0.95 and invented == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
