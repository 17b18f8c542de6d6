"""Smoke test of benchmarks/report.py (the main job's report): a --quick run
writes a complete report, and --filter runs one family.

Checks structure only, never timings: every kernel has its row on every
supported target, each row has its Python, NumPy/SciPy and NumKong
measurements where they exist, the limits, the boundary tables, the charts
and the per-target JSON files are there. The runs need the benchmark binary,
named by the environment variable SIMDKIT_BENCHMARK_BINARY (scripts/test.sh
sets it); without it those tests are skipped.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simdkit

REPO = Path(__file__).resolve().parents[2]
REPORT_SCRIPT = REPO / "benchmarks" / "report.py"
METRICS = ["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]
MATH_FUNCTIONS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tanh", "sinh", "atan", "asin",
                  "acos", "asinh", "sqrt", "sigmoid", "softplus", "silu", "gelu_tanh", "gelu"]
# Every kernel of every family, as the report names them (dtypes aside).
KERNELS = {
    "reduce": {"sum", "dot", "norm", "min", "max", "argmin", "argmax", "sum_rows"},
    "distance": {f"{form} {metric}" for form in ("distance", "cdist", "topk") for metric in METRICS},
    "math": {*MATH_FUNCTIONS, "softmax", "log_softmax", "logsumexp", "normalize"},
    "convert": {"to_bfloat16", "from_bfloat16", "to_float16", "from_float16", "quantize_int8", "dequantize_int8"},
}
SECTIONS = ["## Summary", "## This machine's limits", "## The cost of the boundary", "## Charts",
            "## Every kernel, dtype and size"]


def run_report(*arguments):
    return subprocess.run([sys.executable, str(REPORT_SCRIPT), *map(str, arguments)],
                          capture_output=True, text=True, timeout=600, check=False)


def table_rows(markdown, heading):
    """Cells of the body rows of the first table under the line starting with `heading`."""
    lines = markdown.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break  # the blank line after the table
    return rows[2:]  # without the header and alignment rows


@pytest.fixture(scope="module")
def binary():
    path = os.environ.get("SIMDKIT_BENCHMARK_BINARY")
    if not path or not Path(path).is_file():
        pytest.skip("SIMDKIT_BENCHMARK_BINARY does not name the simdkit_benchmarks binary")
    return path


@pytest.fixture(scope="module")
def quick_report(binary, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("report")
    result = run_report("--benchmark-binary", binary, "--quick", "--out-dir", out_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    raw = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    return out_dir, (out_dir / "report.md").read_text(encoding="utf-8"), raw


def test_missing_binary_is_a_clear_error(tmp_path):
    result = run_report("--benchmark-binary", tmp_path / "missing", "--quick", "--out-dir", tmp_path)
    assert result.returncode != 0
    assert "benchmark binary not found" in result.stderr
    assert not (tmp_path / "report.md").exists()


def test_unknown_family_is_refused_with_the_valid_ones(tmp_path):
    result = run_report("--benchmark-binary", tmp_path / "missing", "--filter", "matrix")
    assert result.returncode != 0
    assert "matrix" in result.stderr and "reduce" in result.stderr and "convert" in result.stderr


def test_sections_come_in_order_summary_first(quick_report):
    _, markdown, _ = quick_report
    positions = [markdown.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert markdown.startswith("# simdkit on ")


def test_every_kernel_has_a_row_on_every_supported_target(quick_report):
    _, _, raw = quick_report
    supported = simdkit.targets()["supported"]
    assert raw["targets"] == supported
    found = {}
    for row in raw["rows"]:
        found.setdefault(row["family"], set()).add(row["kernel"])
        assert set(row["cpp"]) == set(supported), (row["kernel"], row["dtype"], row["size"])
        assert all(result["cpu_ns"] > 0 and result["throughput"] > 0 for result in row["cpp"].values())
        assert row["best_target"] in supported
    assert found == KERNELS


def test_every_row_has_python_beside_numpy_and_numkong_where_it_has_them(quick_report):
    _, _, raw = quick_report
    for row in raw["rows"]:
        python = row["python"]
        assert python is not None and python["simdkit_ns"] > 0, row["kernel"]
        assert python["reference"]["ns"] > 0 and python["reference"]["error"] is None, (row["kernel"], python)
        assert row["over_reference"] > 0 and row["binding_ns"] is not None
    by_kernel = {(row["kernel"], row["dtype"]): row for row in raw["rows"]}
    # NumKong has these operations; its ratio must be there.
    for kernel, dtype in (("sum", "f32"), ("dot", "f64"), ("distance cosine", "bf16"),
                          ("cdist sqeuclidean", "f32"), ("sin", "f32"), ("to_float16", "f32")):
        assert by_kernel[(kernel, dtype)]["over_numkong"] > 0, (kernel, dtype)
    assert by_kernel[("softmax", "f32")]["python"].get("numkong") is None
    # NumKong at its native output dtype, its only fast path (int32 for int8 dot).
    assert "out_dtype='int32'" in by_kernel[("cdist dot", "i8")]["python"]["numkong"]["call"]
    # FAISS's exact search beside the topk metrics it has, where it is installed.
    if importlib.util.find_spec("faiss") is not None:
        for kernel in ("topk dot", "topk sqeuclidean"):
            assert by_kernel[(kernel, "f32")]["over_faiss"] > 0, kernel
        assert by_kernel[("topk cosine", "f32")]["over_faiss"] is None


def test_summary_states_the_ratios_against_numpy_and_numkong(quick_report):
    _, markdown, raw = quick_report
    summary = table_rows(markdown, "## Summary")
    kernels = {(row["family"], row["kernel"], row["dtype"]) for row in raw["rows"]}
    assert {(cells[0], cells[1], cells[2]) for cells in summary} == kernels
    for cells in summary:
        assert cells[4] in raw["targets"]
        assert cells[6].endswith("×") and cells[8].endswith("×")
    for key, name in (("over_reference", "NumPy/SciPy"), ("over_numkong", "NumKong")):
        assert raw["headline"][key]["kernels"] > 0 and raw["headline"][key]["geometric_mean"] > 0
        assert f"- Against {name}, over the" in markdown


def test_limits_are_measured_and_rows_hold_a_fraction_of_them(quick_report):
    _, markdown, raw = quick_report
    supported = simdkit.targets()["supported"]
    for dtype in ("f32", "f64"):
        assert set(raw["limits"]["peak_flops_per_s"][dtype]) == set(supported)
        assert all(value > 0 for value in raw["limits"]["peak_flops_per_s"][dtype].values())
    for kind in ("read", "triad"):
        assert raw["limits"][kind] and all(sample["bytes_per_s"] > 0 for sample in raw["limits"][kind])
    by_kernel = {(row["kernel"], row["dtype"]): row for row in raw["rows"]}
    # Kernels that only read are held to the read bandwidth, those that
    # write to the triad, each at its own working set.
    at_16 = {(row["kernel"], row["dtype"]): row for row in raw["rows"] if row["size"] == "16"}
    assert at_16[("sum", "f32")]["limit"] == "read 64 B"
    assert at_16[("distance cosine", "f32")]["limit"] == "read 128 B"
    assert at_16[("to_float16", "f32")]["limit"] == "triad 96 B"
    assert by_kernel[("cdist cosine", "f32")]["limit"].startswith("FMA")
    assert by_kernel[("exp", "f64")]["limit"].startswith("FMA")
    assert by_kernel[("cdist dot", "i8")]["limit"] is None  # no floating-point limit for integers
    assert len(table_rows(markdown, "## This machine's limits")) == len(supported)
    bandwidth_rows = table_rows(markdown, "Bandwidth of one core")
    assert bandwidth_rows == [["16 KiB", *bandwidth_rows[0][1:]]] and "–" not in bandwidth_rows[0]


def test_bandwidth_is_interpolated_at_each_working_set(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from perfreport.limits import Bandwidth, Limits
    limits = Limits({}, {"read": [Bandwidth(1 << 14, 200e9), Bandwidth(1 << 16, 100e9)], "triad": []})
    assert limits.bandwidth_at("read", 1000) == 200e9            # below the smallest: the smallest's
    assert limits.bandwidth_at("read", 1 << 15) == 150e9         # halfway in log(working set)
    assert limits.bandwidth_at("read", 1 << 30) == 100e9         # past the largest: memory's
    assert limits.bandwidth_at("triad", 1 << 15) is None
    # The triad's working set is whole elements of three arrays: 1 MiB - 16 B
    # shares the read's 1 MiB row.
    from perfreport.markdown import limits_section
    section = limits_section(Limits({}, {"read": [Bandwidth(1 << 20, 100e9)],
                                          "triad": [Bandwidth((1 << 20) - 16, 80e9)]}), [])
    assert "| 1 MiB | 100 | 80.0 |" in section


def test_boundary_tables(quick_report):
    _, markdown, raw = quick_report
    rows = table_rows(markdown, "## The cost of the boundary")
    assert {row[0] for row in rows} >= {"sum", "dot", "distance cosine", "exp", "to_float16"}
    assert all(row[2] == "16" for row in rows)  # --quick measures n = 16 of the boundary sizes
    assert {batch["kernel"] for batch in raw["batches"]} == {"sum", "softmax"}
    for batch in raw["batches"]:
        assert set(batch["ns_per_row"]) >= {"simdkit", "simdkit_per_row", "numpy"}


def test_charts_are_pngs_shown_in_the_report(quick_report):
    out_dir, markdown, raw = quick_report
    assert raw["charts"]
    for chart in raw["charts"]:
        assert (out_dir / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({chart})" in markdown


def test_cpp_json_is_written_per_target(quick_report):
    out_dir, _, raw = quick_report
    assert set(raw["cpp_json"]) == set(simdkit.targets()["supported"])
    for target, path in raw["cpp_json"].items():
        document = json.loads((out_dir / path).read_text(encoding="utf-8"))
        names = [entry["name"] for entry in document["benchmarks"]]
        assert names and all(f"/{target}" in name for name in names)


def test_filter_runs_one_family(binary, tmp_path):
    result = run_report("--benchmark-binary", binary, "--quick", "--filter", "convert", "--out-dir", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    raw = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert {row["family"] for row in raw["rows"]} == {"convert"}
    assert {row["kernel"] for row in raw["rows"]} == KERNELS["convert"]
    assert raw["limits"]["triad"]  # the limits run with any family
