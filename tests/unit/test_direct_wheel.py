"""A direct reference to a wheel file is judged by that file's own tags."""

import pytest
from packaging.version import Version

import ddguard
from ddguard import sources
from ddguard.model import Origin, OriginKind, ReasonCode
from ddguard.report.words import reason, source
from ddguard.target import Target

WHEEL = (
    "ddtrace @ https://files.example.org/"
    "ddtrace-2.8.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
)
ORIGIN = Origin(OriginKind.DEPENDENCY, path="requirements.txt", line=3)


@pytest.mark.parametrize(
    ("target", "verdict"),
    [
        ("cp311-manylinux_x86_64", "compatible"),
        ("cp312-manylinux_x86_64", "incompatible"),  # 2.8.5 has cp312 wheels, but not this file
        ("cp311-manylinux_aarch64", "incompatible"),
    ],
)
def test_named_wheel_decides(target, verdict):
    pin = sources.parse_requirement(WHEEL, ORIGIN)
    assert pin is not None and pin.reference is not None and pin.reference.wheel_tags
    result = ddguard.check([pin], Target.from_compact(target)).results[0]
    assert result.version == Version("2.8.5")
    assert result.verdict.value == verdict
    assert source(result.pin.origin) == "requirements.txt:3"
    if verdict == "incompatible":
        assert result.refused
        assert [r.code for r in result.reasons] == [ReasonCode.WHEEL_FILE_MISMATCH]
        words = " ".join(reason(r, result.target) for r in result.reasons)
        assert "cp311-cp311-manylinux_2_17_x86_64" in words
