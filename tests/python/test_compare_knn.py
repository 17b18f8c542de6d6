"""Smoke test of benchmarks/compare_knn.py: a --quick run measures every case
of issue 16 beside its peers and states every target of the issue.

Checks structure only, never timings (a PASS or MISS at smoke sizes means
nothing). Skipped under an emulated CPU, where the run would take minutes.
"""

import importlib.util
import os
from pathlib import Path

import simdkit
from conftest import run_quick_benchmark, skip_under_emulator

CASES = {"cdist", "short", "topk", "narrow cdist", "narrow topk", "threads cdist", "threads topk"}


@skip_under_emulator
def test_quick_run_measures_every_case_and_states_every_target(tmp_path):
    report, stdout = run_quick_benchmark("compare_knn.py", tmp_path)
    results = report["results"]
    assert {result["case"] for result in results} == CASES
    libraries = {result["library"] for result in results}
    assert {"simdkit", "numpy", "simdkit threads=1", "simdkit threads=2"} <= libraries
    for peer in ("numkong", "faiss"):
        if importlib.util.find_spec(peer) is not None:
            assert peer in libraries
    assert all(result["seconds"] > 0 for result in results)
    checks = report["targets"]
    assert len(checks) >= 50
    for check in checks:
        assert check["status"] in {"PASS", "MISS", "n/a"}, check
        assert check["status"] == "n/a" or check["value"] > 0, check
    assert "## Targets of issue 16" in stdout
    # The AMX control ran in a child held to AVX3_DL, where this CPU has it.
    if "AVX3_DL" in simdkit.targets()["supported"]:
        assert len(report["amx_control"]["seconds"]) == sum(case.startswith("narrow")
                                                            for case in (r["case"] for r in results
                                                                         if r["library"] == "simdkit"))
    binary = os.environ.get("SIMDKIT_BENCHMARK_BINARY")
    if binary and Path(binary).is_file():
        peak_checks = [check for check in checks if "peak FMA rate" in check["target"]]
        assert peak_checks and all(check["value"] > 0 for check in peak_checks)
        assert report["limits"]["read"]
