"""ddguard's verdicts agree with real pip on a recorded sample of (release, target) pairs.

The fixture is written by ``scripts/record_pip_verdicts.py`` (real ``pip install --dry-run
--only-binary=:all: --python-version ... --platform ... --report -``). Agreement means:
pip finds a wheel exactly when ddguard judges the release compatible, and for a range
both pick the same release. The recording is ``--no-deps``: ddtrace's own files, so
ddguard judges them without the dependency closure (``test_closure_crosscheck.py`` covers
that against a recording with dependencies). Where the published policy is stricter than the wheels, the
fixture says so and the disagreement must be exactly that: pip finds a wheel, ddguard
refuses on policy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddguard.api import judge, requirement_pin
from ddguard.model import Options, ReasonCode, Verdict
from ddguard.report.words import reason
from ddguard.target import Target

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "pip_verdicts.json"
DOCUMENT = json.loads(FIXTURE.read_text(encoding="utf-8"))
PAIRS = DOCUMENT["pairs"]
POLICY_CODES = {ReasonCode.LINE_RUNTIME, ReasonCode.LINE_PLATFORM}


def _id(pair):
    abi = f"-{pair['abi']}" if pair["abi"] else ""
    return f"{pair['requirement']}-py{pair['python_version']}{abi}-{pair['platform']}"


def _judge(pair):
    target = Target.from_pip_flags(
        pair["python_version"], "cp", (pair["abi"],) if pair["abi"] else (), (pair["platform"],)
    )
    pin = requirement_pin(pair["requirement"])
    (result,) = judge([pin], [target], Options(dependencies=False))
    return result


def test_fixture_is_a_real_recording():
    assert DOCUMENT["pip_version"] and DOCUMENT["recorded"]
    assert len(PAIRS) >= 25
    found = [p["pip_found_wheel"] for p in PAIRS]
    assert any(found) and not all(found)
    for pair in PAIRS:
        assert pair["pip_found_wheel"] == (pair["pip_wheel"] is not None)


@pytest.mark.parametrize("pair", [p for p in PAIRS if not p["expected_disagreement"]], ids=_id)
def test_ddguard_agrees_with_pip(pair):
    result = _judge(pair)
    compatible = result.verdict is Verdict.COMPATIBLE
    assert compatible == pair["pip_found_wheel"], (
        f"pip {'found ' + pair['pip_wheel'] if pair['pip_found_wheel'] else 'found no wheel'}; "
        f"ddguard: {result.verdict.value} {[reason(r, result.target) for r in result.reasons]}"
    )
    if pair["pip_found_wheel"]:
        assert str(result.version) == pair["pip_version_picked"]
        assert not result.refused
    else:
        assert result.refused


@pytest.mark.parametrize("pair", [p for p in PAIRS if p["expected_disagreement"]], ids=_id)
def test_policy_stricter_than_pip_only_where_recorded(pair):
    assert pair["pip_found_wheel"], "a recorded disagreement must be pip finding a wheel"
    result = _judge(pair)
    assert result.verdict is Verdict.INCOMPATIBLE
    assert {r.code for r in result.reasons} <= POLICY_CODES | {ReasonCode.REQUIRES_PYTHON}
    assert {r.code for r in result.reasons} & POLICY_CODES
