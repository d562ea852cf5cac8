"""Plain pins skip packaging's requirement parser; they must read exactly as it reads them,
in the file readers (``sources.parse_requirement``) and for requirements given as
arguments (``api.requirement_pin``)."""

import pytest
from packaging.requirements import Requirement

from ddguard import sources
from ddguard.api import requirement_pin
from ddguard.errors import InputError
from ddguard.model import Origin, OriginKind

ORIGIN = Origin(OriginKind.DEPENDENCY, path="requirements.txt", line=1)
PARSERS = [
    pytest.param(lambda text: sources.parse_requirement(text, ORIGIN), id="sources"),
    pytest.param(lambda text: requirement_pin(text, ORIGIN), id="api"),
]


@pytest.mark.parametrize("parse", PARSERS)
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
def test_plain_pin_reads_as_packaging_reads_it(parse, text):
    pin = parse(text)
    expected = Requirement(text)
    assert pin is not None
    assert pin.specifier == expected.specifier
    assert pin.name == expected.name
    assert pin.origin == ORIGIN and pin.text == text
    assert pin.marker is None and not pin.wheel_tags and not pin.extras
    assert pin.reference is None and pin.untranslated is None and not pin.unknown


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("text", ["ddtrace==1.2.3 junk", "ddtrace>=", "ddtrace=>2"])
def test_malformed_plain_pin_is_still_an_input_error(parse, text):
    with pytest.raises(InputError):
        parse(text)
