"""A direct reference to a wheel file is judged by that file's own tags."""

import pytest

import ddguard
from ddguard.pins import parse_requirement_text
from ddguard.target import Target

WHEEL = (
    "ddtrace @ https://files.example.org/"
    "ddtrace-2.8.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
)


@pytest.mark.parametrize(
    ("target", "verdict"),
    [
        ("cp311-manylinux_x86_64", "compatible"),
        ("cp312-manylinux_x86_64", "incompatible"),  # 2.8.5 has cp312 wheels, but not this file
        ("cp311-manylinux_aarch64", "incompatible"),
    ],
)
def test_named_wheel_decides(target, verdict):
    pin = parse_requirement_text(WHEEL, "requirements.txt:3")
    assert pin is not None and pin.wheel_tags
    result = ddguard.check([pin], Target.from_compact(target)).results[0]
    assert result.version == "2.8.5"
    assert result.verdict.value == verdict
    assert result.source == "requirements.txt:3"
    if verdict == "incompatible":
        assert result.refused
        assert "cp311-cp311-manylinux_2_17_x86_64" in " ".join(r.text for r in result.reasons)
