"""Smoke test of benchmarks/compare_distance.py: a --quick run compares every
library on every case and states every target of the issue.

Checks structure only, never timings (a PASS or MISS at smoke sizes means
nothing). Skipped under an emulated CPU, where the run would take minutes.
"""

from conftest import run_quick_benchmark, skip_under_emulator


@skip_under_emulator
def test_quick_run_writes_every_case_and_target(tmp_path):
    report, stdout = run_quick_benchmark("compare_distance.py", tmp_path)
    results = report["results"]
    assert {r["case"] for r in results} == {"pair", "cdist", "pdist", "topk", "dtypes"}
    assert {r["library"] for r in results} >= {"simdkit", "numpy", "scipy", "numkong", "cdist(X,X)"}
    assert {r["metric"] for r in results if r["case"] == "pdist"} == {
        "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"}
    for result in results:
        assert result["seconds"] > 0, result
    targets = report["targets"]
    assert len(targets) >= 9
    for target in targets:
        assert target["status"] in {"PASS", "MISS"} and target["ratio"] > 0, target
    assert "## Targets" in stdout
