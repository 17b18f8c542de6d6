"""Smoke test of benchmarks/report.py (the main job's report) and
benchmarks/boundary.py (its boundary table alone): a --quick run writes a
complete report, --filter runs one family or the boundary alone, and
boundary.py --quick times every public function beside the floor.

Checks structure only, never timings: every kernel has its row on every
supported target, each row has its Python, NumPy/SciPy and NumKong
measurements where they exist, the math family at scale (one and two
threads beside NumPy and numexpr), the limits, the boundary tables (a row for
every public function, derived from simdkit.__all__, so that a new function
without a boundary case fails), the charts and the per-target JSON files are
there. The runs need the benchmark binary, named by the environment variable
SIMDKIT_BENCHMARK_BINARY (scripts/test.sh sets it); without it those tests
are skipped. The floor module is built with the benchmarks, beside the
binary: the report fails without it (tested), the runs that need nothing
else of the build skip.
"""

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simdkit
from conftest import public_kernels, skip_under_emulator

REPO = Path(__file__).resolve().parents[2]
REPORT_SCRIPT = REPO / "benchmarks" / "report.py"
BOUNDARY_SCRIPT = REPO / "benchmarks" / "boundary.py"
FLOOR_MODULE = "simdkit_boundary_floor"
METRICS = ["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]
MATH_FUNCTIONS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tanh", "sinh", "atan", "asin",
                  "acos", "asinh", "sqrt", "sigmoid", "softplus", "silu", "gelu_tanh", "gelu", "exp2", "cosh",
                  "atanh", "acosh", "tan", "erf", "erfc", "cbrt"]
# Every kernel of every family, as the report names them (dtypes aside).
KERNELS = {
    "reduce": {"sum", "dot", "norm", "min", "max", "argmin", "argmax", "sum_rows"},
    "distance": {f"{form} {metric}" for form in ("distance", "cdist", "pdist", "topk")
                 for metric in METRICS},
    "math": {*MATH_FUNCTIONS, "atan2", "hypot", "power", "softmax", "log_softmax", "logsumexp", "normalize"},
    "convert": {"to_bfloat16", "from_bfloat16", "to_float16", "from_float16", "to_float8_e4m3",
                "from_float8_e4m3", "to_float8_e5m2", "from_float8_e5m2", "quantize_int8",
                "dequantize_int8"},
}
SECTIONS = ["## Summary", "## This machine's limits", "## The cost of the boundary", "## Elementwise at scale",
            "## Charts", "## Every kernel, dtype and size"]
# The math functions numexpr has, as a function or an expression of its
# functions, and softmax: the rows of the section at scale.
AT_SCALE = {"exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt",
            "atan", "asin", "acos", "atanh", "asinh", "acosh", "sigmoid", "silu", "softplus", "gelu_tanh", "atan2",
            "hypot", "power", "softmax"}


def run_report(*arguments, script=REPORT_SCRIPT):
    return subprocess.run([sys.executable, str(script), *map(str, arguments)],
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
def floor_module(binary):
    """The floor module the benchmarks build beside the binary, for this Python."""
    directory = Path(binary).parent
    found = [directory / f"{FLOOR_MODULE}{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES
             if (directory / f"{FLOOR_MODULE}{suffix}").is_file()]
    if not found:
        pytest.skip(f"{FLOOR_MODULE} is not built beside {binary}")
    return found[0]


def boundary_functions(rows):
    """The public functions in a boundary table ('distance cosine' is distance)."""
    return {row[0].split()[0] for row in rows}


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
    assert boundary_functions(rows) == public_kernels()
    assert all(row[1] == "16" for row in rows)  # --quick measures n = 16 of the boundary sizes
    by_call = {row[0]: row for row in rows}
    # The C++ time of the same work where the C++ benchmarks have it (n = 16
    # is one of their sizes), and the binding's share.
    for call in ("sum", "dot", "distance cosine", "exp", "to_float16", "from_bfloat16"):
        assert by_call[call][3] != "–" and by_call[call][8] != "–", by_call[call]
    assert by_call["topk cosine"][3] == "–"  # no C++ row of one query against 16 rows
    for entry in raw["boundary"]:
        assert entry["simdkit"]["ns"] > 0 and entry["floor"]["ns"] > 0 and entry["over_floor"] > 0, entry
        # Held to the floor that returns what it returns.
        assert entry["floor"]["call"] == f"floor.{entry['returns']}(x)"
    returns = {entry["kernel"]: entry["returns"] for entry in raw["boundary"]}
    assert returns["sum"] == returns["argmax"] == returns["distance cosine"] == "scalar"
    assert returns["exp"] == returns["softmax"] == returns["cdist cosine"] == "array"
    assert "Within 1.6× of the floor:" in markdown
    assert {batch["kernel"] for batch in raw["batches"]} == {"sum", "softmax"}
    for batch in raw["batches"]:
        assert set(batch["ns_per_row"]) >= {"simdkit", "simdkit_per_row", "numpy"}


def test_math_at_scale_beside_numpy_and_numexpr_on_one_and_two_threads(quick_report):
    """--quick measures the section at 4 Ki and 16 Ki elements (the full
    report at 1 Mi and 16 Mi): every row has simdkit on 1 and 2 threads,
    NumPy/SciPy, numexpr on 1 and 2 threads and NumKong where it has the
    function, wall-clock."""
    _, markdown, raw = quick_report
    sizes = raw["settings"]["scale"]["sizes"]
    assert sizes == [1 << 12, 1 << 14]
    assert {(row["kernel"], row["n"]) for row in raw["scale"]} == {(kernel, n) for kernel in AT_SCALE for n in sizes}
    numexpr_installed = importlib.util.find_spec("numexpr") is not None
    for row in raw["scale"]:
        square = {4096: "64x64", 16384: "128x128"}[row["n"]]
        assert row["size"] == (square if row["kernel"] == "softmax" else str(row["n"])), row
        assert set(row["simdkit_ns"]) == {"1", "2"} and all(ns > 0 for ns in row["simdkit_ns"].values()), row
        assert row["reference"]["ns"] > 0 and row["reference"]["error"] is None, row
        assert row["over_reference"] > 0 and row["two_threads_over_one"] > 0, row
        assert (row["over_numkong"] is not None) == (row["kernel"] in ("sin", "cos", "atan")), row
        if numexpr_installed:
            assert row["numexpr"]["error"] is None and set(row["numexpr"]["ns"]) == {"1", "2"}, row
            assert all(row["over_numexpr"][threads] > 0 for threads in ("1", "2")), row
    assert raw["settings"]["time"].endswith("(at scale: wall-clock)")
    assert "## Elementwise at scale: 4 Ki and 16 Ki, one and two threads, beside NumPy and numexpr" in markdown
    left_out = markdown.split("Not here: ", 1)[1].split(" (", 1)[0]
    assert set(left_out.split(", ")) == KERNELS["math"] - AT_SCALE
    table = table_rows(markdown, "## Elementwise at scale")
    assert [(cells[0], cells[1]) for cells in table] == [(row["kernel"], row["size"]) for row in raw["scale"]]
    assert all(len(cells) == 12 and cells[2].endswith("s") and cells[4].endswith("×") for cells in table)
    if numexpr_installed:
        assert "numexpr: `exp(x)` (exp)" in markdown and "`1 / (1 + exp(-x))` (sigmoid)" in markdown


def test_at_scale_is_1_and_16_mi_and_uses_only_numexpr_functions(monkeypatch):
    """Without a run: the full report's sizes, and numexpr's expressions
    name only functions numexpr has."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import re
    import compare_math
    from perfreport import scale
    from perfreport.cli import SCALE
    from perfreport.markdown import scale_title
    assert scale_title(SCALE["full"]).startswith(
        "## Elementwise at scale: 1 Mi and 16 Mi, one and two threads, beside NumPy and numexpr")
    assert set(SCALE["full"]["repeats"]) == set(SCALE["full"]["sizes"]) == {1 << 20, 1 << 24}
    assert set(scale.KERNELS) == AT_SCALE and set(compare_math.NUMEXPR) <= public_kernels()
    expressions = pytest.importorskip("numexpr.expressions")
    for kernel, expression in compare_math.NUMEXPR.items():
        assert set(re.findall(r"(\w+)\(", expression)) <= set(expressions.functions), (kernel, expression)


@skip_under_emulator
def test_boundary_has_a_case_for_every_public_function(monkeypatch):
    """Without a build: a new public function fails here until it has its
    boundary case (benchmarks/perfreport/boundary.py, FUNCTIONS)."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    from perfreport import boundary
    assert set(boundary.FUNCTIONS) == public_kernels()


def test_boundary_script_times_every_public_function(floor_module, tmp_path):
    out = tmp_path / "boundary.json"
    result = run_report("--quick", "--floor-dir", floor_module.parent, "--json", out, script=BOUNDARY_SCRIPT)
    assert result.returncode == 0, result.stdout + result.stderr
    raw = json.loads(out.read_text(encoding="utf-8"))
    assert raw["machine"]["cpu_model"] and raw["settings"]["floor_module"] == str(floor_module)
    assert {entry["function"] for entry in raw["boundary"]} == public_kernels()
    assert {entry["n"] for entry in raw["boundary"]} == {16}
    by_kernel = {entry["kernel"]: entry for entry in raw["boundary"]}
    assert {"distance dot", "distance cosine"} <= set(by_kernel)
    for entry in raw["boundary"]:
        assert entry["simdkit"]["ns"] > 0 and entry["floor"]["ns"] > 0, entry
        assert entry["reference"] is None or entry["reference"]["error"] is not None \
            or entry["over_reference"] > 0, entry
    # NumKong beside the functions it has, NumPy beside those it has.
    for kernel in ("sum", "argmax", "dot", "distance cosine", "paired dot", "cdist cosine", "pack", "sin",
                   "to_float16", "from_bfloat16"):
        assert by_kernel[kernel]["over_numkong"] > 0, by_kernel[kernel]
    for kernel in ("topk cosine", "softmax", "quantize_int8", "exp"):
        assert by_kernel[kernel]["numkong"] is None, kernel
    assert by_kernel["pack"]["reference"] is None
    # The table on stdout: one line per function and size, in the JSON's order.
    lines = [line for line in result.stdout.splitlines() if line.startswith("| ")][2:]
    assert [cells.split("|")[1].strip() for cells in lines] == [entry["kernel"] for entry in raw["boundary"]]


def test_missing_floor_is_a_clear_error(tmp_path):
    """boundary.py and the report's boundary both say where they looked and
    how to build it, and neither runs without it."""
    result = run_report("--quick", "--floor-dir", tmp_path, script=BOUNDARY_SCRIPT)
    assert result.returncode != 0
    assert f"{FLOOR_MODULE} is not in {tmp_path}" in result.stderr and "SIMDKIT_BUILD_BENCHMARKS=ON" in result.stderr
    (tmp_path / f"{FLOOR_MODULE}.cpython-27-x86_64-linux-gnu.so").write_bytes(b"")
    result = run_report("--quick", "--floor-dir", tmp_path, script=BOUNDARY_SCRIPT)
    assert "built for another Python" in result.stderr
    out_dir = tmp_path / "report"
    result = run_report("--benchmark-binary", tmp_path / "simdkit_benchmarks", "--quick", "--filter", "boundary",
                        "--out-dir", out_dir)
    assert result.returncode != 0 and f"{FLOOR_MODULE} is not in {tmp_path}" in result.stderr
    assert not out_dir.exists()


def test_filter_boundary_runs_no_cpp(floor_module, tmp_path):
    """--filter boundary is Python only: a binary that fails if run is never
    run; the floor is found beside it."""
    fake = tmp_path / "bin" / "simdkit_benchmarks"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho run >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    (fake.parent / floor_module.name).symlink_to(floor_module)
    out_dir = tmp_path / "report"
    result = run_report("--benchmark-binary", fake, "--quick", "--filter", "boundary", "--out-dir", out_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    raw = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    assert raw["rows"] == [] and raw["cpp_json"] == {} and raw["settings"]["families"] == ["boundary"]
    assert {entry["function"] for entry in raw["boundary"]} == public_kernels()
    assert all(entry["cpp_ns"] is None for entry in raw["boundary"])
    assert {batch["kernel"] for batch in raw["batches"]} == {"sum", "softmax"}
    markdown = (out_dir / "report.md").read_text(encoding="utf-8")
    assert boundary_functions(table_rows(markdown, "## The cost of the boundary")) == public_kernels()
    assert "## Summary" not in markdown and "## Every kernel" not in markdown


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
    assert raw["boundary"] == [] and raw["batches"] == []  # the boundary is a --filter of its own
    assert raw["scale"] == []  # the math family's section at scale runs with the math family
