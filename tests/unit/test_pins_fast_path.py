"""Plain pins skip packaging's requirement parser; they must read exactly as it reads them."""

import pytest
from packaging.requirements import Requirement

from ddguard.errors import InputError
from ddguard.pins import parse_requirement_text


@pytest.mark.parametrize(
    "text",
    [
        "ddtrace==1.20.19",
        "ddtrace",
        "ddtrace >= 2, < 3",
        "DDTrace~=2.8",
        "ddtrace!=2.1.0,>=2",
        "ddtrace===2.8.5",
        "ddtrace==2.*",
    ],
)
def test_plain_pin_reads_as_packaging_reads_it(text):
    pin = parse_requirement_text(text, "requirements.txt:1")
    expected = Requirement(text)
    assert pin is not None
    assert pin.specifier == expected.specifier
    assert pin.name == expected.name
    assert pin.marker is None and not pin.wheel_tags and pin.unknown_reason is None


@pytest.mark.parametrize("text", ["ddtrace==1.2.3 junk", "ddtrace>=", "ddtrace=>2"])
def test_malformed_plain_pin_is_still_an_input_error(text):
    with pytest.raises(InputError):
        parse_requirement_text(text, "requirements.txt:1")
