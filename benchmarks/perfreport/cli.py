"""The command line and the run: C++ per target, Python beside NumPy/SciPy
and NumKong, then report.md, report.json and the charts."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

import simdkit

from . import charts, cpp, limits, markdown, rows
from .machine import machine_info, slug

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_HINT = "scripts/main.sh builds it (build/cmake/benchmarks/simdkit_benchmarks) and runs this report"
TIMING = {
    # Google Benchmark's own default (0.5 s per benchmark) would take half an
    # hour over ~2800 benchmarks; 20 ms of CPU time is thousands of calls of
    # the small sizes, and calls of milliseconds are timed several times.
    "full": {"benchmark_min_time_s": 0.02,
             "python": {"min_time": 0.005, "repeats": 5, "budget": 0.5}},
    "quick": {"benchmark_min_time_s": 0.001,
              "python": {"min_time": 0.0005, "repeats": 2, "budget": 0.005}},
}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="report.py", description="Per-ISA benchmark report of simdkit on this machine: every kernel on "
        "every supported target (C++), against NumPy/SciPy and NumKong (Python), and against this machine's "
        "measured limits. Writes report.md, report.json and charts/*.png.")
    parser.add_argument("--benchmark-binary", required=True, type=Path,
                        help=f"the simdkit_benchmarks executable ({BUILD_HINT})")
    parser.add_argument("--out-dir", type=Path,
                        help="where the report goes (default: <repository>/reports/<cpu-model>)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: the smallest sizes and shapes, short timings (seconds, not minutes)")
    parser.add_argument("--filter", choices=cpp.FAMILIES, action="append", metavar="FAMILY",
                        help=f"run one family ({', '.join(cpp.FAMILIES)}); repeat for several (default: all)")
    return parser.parse_args(argv)


def blas_one_thread():
    """NumPy's BLAS on one thread, like every other contender."""
    try:
        import threadpoolctl
    except ImportError:
        return contextlib.nullcontext(), "not limited (threadpoolctl not installed)"
    return threadpoolctl.threadpool_limits(1, user_api="blas"), "one thread (threadpoolctl)"


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    binary = arguments.benchmark_binary
    if not binary.is_file():
        sys.exit(f"error: benchmark binary not found: {binary}\n{BUILD_HINT}")
    if not os.access(binary, os.X_OK):
        sys.exit(f"error: benchmark binary is not executable: {binary}")
    families = arguments.filter or list(cpp.FAMILIES)
    mode = "quick" if arguments.quick else "full"
    timing = TIMING[mode]
    info = machine_info()
    out_dir = arguments.out_dir or REPO_ROOT / "reports" / slug(info["cpu_model"])
    targets = info["supported_targets"]

    print(f"[1/4] C++: {', '.join(families)} on {', '.join(targets)} ({mode})", file=sys.stderr, flush=True)
    json_files = cpp.run_binary(binary, targets, families, arguments.quick, timing["benchmark_min_time_s"],
                                out_dir / "cpp")
    results, failures, context = cpp.read_results(json_files)
    machine_limits = limits.collect(results)
    joined = rows.join(results)

    print(f"[2/4] Python: {len(joined)} rows, simdkit on {info['active_target']} beside NumPy/SciPy and NumKong",
          file=sys.stderr, flush=True)
    limit_blas, blas_threads = blas_one_thread()
    with limit_blas:
        rows.measure_python(joined, timing["python"])
        batches = rows.measure_batches(arguments.quick, timing["python"]) if "reduce" in families else []

    print(f"[3/4] Charts and report: {out_dir}", file=sys.stderr, flush=True)
    described = [rows.describe(row, machine_limits, targets) for row in joined]
    chosen = rows.summary(described)
    report = {
        "machine": info,
        "settings": {"mode": mode, "families": families, "benchmark_binary": str(binary.resolve()),
                     "benchmark_min_time_s": timing["benchmark_min_time_s"], "python_timing": timing["python"],
                     "blas_threads": blas_threads, "time": "CPU time of the calling thread"},
        "targets": targets,
        "baseline_target": rows.baseline_target(targets),
        "cpp_context": context,
        "cpp_json": {target: path.relative_to(out_dir).as_posix() for target, path in json_files.items()},
        "limits": machine_limits.to_json(),
        "headline": rows.headline(chosen),
        "summary": chosen,
        "boundary": rows.boundary(described),
        "batches": batches,
        "rows": described,
        "failures": failures,
    }
    chart_paths = charts.draw(described, targets, out_dir / "charts")
    report["charts"] = [path.relative_to(out_dir).as_posix() for path in chart_paths]
    (out_dir / "report.md").write_text(markdown.render(report, chart_paths, out_dir, machine_limits),
                                       encoding="utf-8")
    (out_dir / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"[4/4] Wrote {out_dir / 'report.md'}, report.json, {len(chart_paths)} charts", file=sys.stderr,
          flush=True)
    print(out_dir / "report.md")
    return 0
