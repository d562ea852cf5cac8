"""The Python-range judgement takes a shortcut to the verdict; it must agree with a full check."""

import pytest
from packaging.specifiers import SpecifierSet

from ddguard import knowledge
from ddguard.evaluate.requirement import judge, refuses
from ddguard.model import Options, Origin, OriginKind, Pin
from ddguard.target import Target

SPECIFIERS = ["==1.20.19", ">=1,<3", ">=4.16.0rc1,<=4.16.0rc2", "~=2.0", "<2", ">=4", "==9.9.9", ">=99"]
TARGETS = [
    "cp38-manylinux_x86_64",
    "cp312-manylinux_x86_64",
    "cp313-musllinux_aarch64",
    "cp39-win32",
]


def pin(specifier: str) -> Pin:
    return Pin(text=f"ddtrace{specifier}", specifier=SpecifierSet(specifier), origin=Origin(OriginKind.ARGUMENT))


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("specifier", SPECIFIERS)
@pytest.mark.parametrize("compact", TARGETS)
def test_shortcut_agrees_with_the_full_judgement(specifier, compact, strict):
    db = knowledge.load()
    target = Target.from_compact(compact)
    options = Options(strict=strict)
    full = judge(db, pin(specifier), target, options)
    assert refuses(db, pin(specifier), target, options) is full.refused


def test_a_range_naming_a_prerelease_is_judged_on_its_prereleases():
    db = knowledge.load()
    only_rcs = pin(">=4.16.0rc1,<=4.16.0rc2")
    picked = judge(db, only_rcs, Target.from_compact("cp312-manylinux_x86_64"), Options())
    assert str(picked.version) == "4.16.0rc2"  # pip's rule: a range naming a pre-release allows them
    on_38 = judge(db, only_rcs, Target.from_compact("cp38-manylinux_x86_64"), Options())
    assert on_38.refused  # 4.x requires Python >= 3.9
