"""Smoke test of benchmarks/compare_convert.py: a --quick run times every
conversion for simdkit on each supported target, ml_dtypes and NumPy, and
marks each of the issue's goals per target (structure only, never timings).
"""

import pytest

import simdkit
from conftest import run_quick_benchmark, skip_under_emulator


@skip_under_emulator
def test_quick_run_times_every_case_on_every_target(tmp_path):
    pytest.importorskip("ml_dtypes")
    report, stdout = run_quick_benchmark("compare_convert.py", tmp_path)
    results = report["results"]
    assert {r["case"] for r in results} == {"f32->bf16", "bf16->f32", "f32->f16", "f16->f32",
                                            "quantize"}
    assert {r["library"] for r in results} >= {"simdkit", "simdkit out=", "ml_dtypes astype",
                                               "numpy astype", "numpy"}
    supported = set(simdkit.targets()["supported"])
    assert {r["target"] for r in results if r["target"]} == supported
    assert all(r["seconds"] > 0 for r in results)
    goals = report["targets"]
    assert len(goals) == 2 * len(supported)
    assert all(g["status"] in {"PASS", "MISS"} and g["ratio"] > 0 for g in goals)
    assert "## Targets" in stdout
