"""Smoke test of benchmarks/report.py: a --quick run writes a complete report.

Checks structure only, never timings. The run needs the benchmark binary,
named by the environment variable SIMDKIT_BENCHMARK_BINARY (scripts/test.sh
sets it); without it those tests are skipped.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPORT_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "report.py"
KERNELS = ["sum", "dot", "norm", "min", "max", "argmin", "argmax"]
DTYPES = ["f32", "f64"]
QUICK_LARGEST_SIZE = "1024"


def run_report(*arguments):
    return subprocess.run([sys.executable, str(REPORT_SCRIPT), *map(str, arguments)],
                          capture_output=True, text=True, timeout=600, check=False)


def table_rows(markdown, heading):
    """Cells of the body rows of the first table under `heading`."""
    lines = markdown.splitlines()
    start = lines.index(heading)
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
def quick_report(tmp_path_factory):
    binary = os.environ.get("SIMDKIT_BENCHMARK_BINARY")
    if not binary or not Path(binary).is_file():
        pytest.skip("SIMDKIT_BENCHMARK_BINARY does not name the simdkit_benchmarks binary")
    out_dir = tmp_path_factory.mktemp("report")
    result = run_report("--benchmark-binary", binary, "--quick", "--out-dir", out_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return out_dir


def test_missing_binary_is_a_clear_error(tmp_path):
    result = run_report("--benchmark-binary", tmp_path / "missing", "--quick", "--out-dir", tmp_path)
    assert result.returncode != 0
    assert "benchmark binary not found" in result.stderr
    assert not (tmp_path / "report.md").exists()


def test_summary_has_a_row_per_kernel_and_dtype(quick_report):
    markdown = (quick_report / "report.md").read_text(encoding="utf-8")
    rows = table_rows(markdown, "## Summary")
    assert [(row[0], row[1]) for row in rows] == [(k, d) for k in KERNELS for d in DTYPES]
    for kernel, dtype, best_target, size, gb_per_s, over_scalar, over_numpy in rows:
        assert size == QUICK_LARGEST_SIZE
        assert float(gb_per_s.replace(",", "")) > 0
        assert over_scalar.endswith("×") and over_numpy.endswith("×")


def test_report_has_every_section(quick_report):
    markdown = (quick_report / "report.md").read_text(encoding="utf-8")
    assert markdown.index("## Summary") < markdown.index("## C++: GB/s per target")
    for kernel in KERNELS:
        for dtype in DTYPES:
            assert [row[0] for row in table_rows(markdown, f"### {kernel} {dtype}")] == ["16", "1024"]
    python_heading = next(line for line in markdown.splitlines() if line.startswith("## Python"))
    assert len(table_rows(markdown, python_heading)) == len(KERNELS) * len(DTYPES) * 2
    assert "## C++: sum_rows f32, ns per row" in markdown


def test_json_holds_the_raw_numbers(quick_report):
    raw = json.loads((quick_report / "report.json").read_text(encoding="utf-8"))
    assert raw["machine"]["cpu_model"]
    assert raw["cpp"]["benchmarks"] and "context" in raw["cpp"]
    cases = {(entry["kernel"], entry["dtype"], entry["n"]) for entry in raw["python"]}
    assert cases == {(k, d, n) for k in KERNELS for d in DTYPES for n in (16, 1024)}
    assert all(entry["simdkit_ns"] > 0 and entry["numpy_ns"] > 0 for entry in raw["python"])


def test_families_section_has_every_case_on_every_target(quick_report):
    import simdkit

    markdown = (quick_report / "report.md").read_text(encoding="utf-8")
    rows = table_rows(markdown, "## Python: math, conversions, distances on every target")
    supported = simdkit.targets()["supported"]
    assert {row[0] for row in rows} == {"math", "convert", "distance"}
    assert len(rows) == 7
    for row in rows:
        assert len(row) == 4 + len(supported), row
        assert all(cell.endswith("×)") for cell in row[4:]), row
    raw = json.loads((quick_report / "report.json").read_text(encoding="utf-8"))
    assert all(set(entry["simdkit_ns"]) == set(supported) and entry["numpy_ns"] > 0
               for entry in raw["families"])
