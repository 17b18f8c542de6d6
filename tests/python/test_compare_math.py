"""Smoke test of benchmarks/compare_math.py: a --quick run measures every
case on every supported target and states every target of the issue.

Checks structure only, never timings (a PASS or MISS at smoke sizes means
nothing). Skipped under an emulated CPU, where the run would take minutes.
"""

import simdkit
from conftest import run_quick_benchmark, skip_under_emulator


@skip_under_emulator
def test_quick_run_measures_every_case_and_target(tmp_path):
    report, stdout = run_quick_benchmark("compare_math.py", tmp_path)
    results = report["results"]
    assert {r["case"] for r in results} == {"elementwise", "rows", "threads", "binary"}
    assert {r["function"] for r in results if r["case"] == "binary"} == {"atan2", "hypot", "power"}
    supported = set(simdkit.targets()["supported"])
    for result in results:
        if result["case"] == "threads":
            assert set(result["simdkit"]) == {"1", "2"}, result
            assert set(result["numexpr"]) == {"1", "2"}, result
            assert all(v > 0 for v in result["numexpr"].values()), result
        else:
            assert set(result["simdkit"]) == supported, result
            assert result["numpy"] > 0, result
        assert all(v > 0 for v in result["simdkit"].values()), result
    assert {r["function"] for r in results if r["case"] == "threads"} == {
        "exp", "sigmoid", "softmax"}
    assert {r["function"] for r in results if r["case"] == "rows"} == {
        "softmax", "log_softmax", "logsumexp"}
    assert "## Targets" in stdout
    assert stdout.count("PASS") + stdout.count("MISS") >= 6
