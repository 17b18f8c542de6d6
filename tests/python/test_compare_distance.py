"""Smoke test of benchmarks/compare_distance.py: a --quick run compares every
library on every case and states every target of the issue.

Checks structure only, never timings (a PASS or MISS at smoke sizes means
nothing). Skipped under an emulated CPU, where the run would take minutes.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_distance.py"


@pytest.mark.skipif(bool(os.environ.get("SIMDKIT_TEST_EMULATOR")),
                    reason="timing run: not under an emulated CPU")
def test_quick_run_writes_every_case_and_target(tmp_path):
    output = tmp_path / "compare.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(output)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["mode"] == "quick"
    results = report["results"]
    assert {r["case"] for r in results} == {"pair", "cdist", "topk", "dtypes"}
    assert {r["library"] for r in results} >= {"simdkit", "numpy", "scipy", "numkong"}
    for result in results:
        assert result["seconds"] > 0, result
    targets = report["targets"]
    assert len(targets) >= 9
    for target in targets:
        assert target["status"] in {"PASS", "MISS"} and target["ratio"] > 0, target
    assert "## Targets" in proc.stdout
