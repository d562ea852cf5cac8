import json
import subprocess
import sys

import ddguard
from ddguard.target import Target


def test_1_20_19_refused_on_cp312_and_passes_on_cp311():
    refused = ddguard.check(["ddtrace==1.20.19"], Target.from_compact("cp312-manylinux_x86_64"))
    assert not refused.ok
    assert refused.results[0].verdict.value == "incompatible"
    passed = ddguard.check(["ddtrace==1.20.19"], Target.from_compact("cp311-manylinux_x86_64"))
    assert passed.ok
    assert passed.results[0].support_level.value == "eol"


def test_cli_json_exit_code():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ddguard",
            "check",
            "ddtrace==1.20.19",
            "--python-version",
            "3.12",
            "--platform",
            "manylinux2014_x86_64",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert data["results"][0]["version"] == "1.20.19"
