"""The project-range notes take a shortcut to the verdict; it must agree with a full check."""

import pytest
from packaging.specifiers import SpecifierSet

from ddguard import api, knowledge
from ddguard.evaluate import Options, judge_requirement
from ddguard.target import Target

SPECIFIERS = ["==1.20.19", ">=1,<3", ">=4.16.0rc1,<=4.16.0rc2", "~=2.0", "<2", ">=4"]
TARGETS = [
    "cp38-manylinux_x86_64",
    "cp312-manylinux_x86_64",
    "cp313-musllinux_aarch64",
    "cp39-win32",
]


@pytest.mark.parametrize("specifier", SPECIFIERS)
@pytest.mark.parametrize("compact", TARGETS)
def test_shortcut_agrees_with_judge_requirement(specifier, compact):
    db = knowledge.load()
    target = Target.from_compact(compact)
    options = Options()
    full = judge_requirement(db, SpecifierSet(specifier), target, options=options)
    assert api._refused_on(db, SpecifierSet(specifier), target, options) is full.refused


def test_a_range_naming_a_prerelease_is_judged_on_its_prereleases():
    db = knowledge.load()
    only_rcs = SpecifierSet(">=4.16.0rc1,<=4.16.0rc2")
    picked = judge_requirement(db, only_rcs, Target.from_compact("cp312-manylinux_x86_64"))
    assert picked.version == "4.16.0rc2"  # pip's rule: a range naming a pre-release allows them
    on_38 = judge_requirement(db, only_rcs, Target.from_compact("cp38-manylinux_x86_64"))
    assert on_38.refused  # 4.x requires Python >= 3.9
