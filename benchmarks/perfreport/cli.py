"""The command line and the run: C++ per target, Python beside NumPy/SciPy
and NumKong, the cost of the boundary, then report.md, report.json and the
charts."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import simdkit

from . import boundary, charts, cpp, limits, markdown, rows, scale
from .machine import machine_info, slug
from .timing import blas_one_thread

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
# The math family at scale (perfreport.scale): elements per array and timed
# calls per contender at each. 16 Mi float32 exp is ~5 ms a call, numexpr's
# slowest functions ~250 ms on one thread: about 50 s for the section
# (estimated from the quick run, scaled to these sizes and repeats).
SCALE = {"full": {"sizes": [1 << 20, 1 << 24], "repeats": {1 << 20: 10, 1 << 24: 3}},
         "quick": {"sizes": [1 << 12, 1 << 14], "repeats": {1 << 12: 2, 1 << 14: 2}}}
# --filter: a C++ family (its kernels in C++ on every target and from Python),
# or the boundary (Python only: every public function's small call beside
# the floor module, and the batches; the benchmark binary is not run for it).
BOUNDARY = "boundary"
FILTERS = (*cpp.FAMILIES, BOUNDARY)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="report.py", description="Per-ISA benchmark report of simdkit on this machine: every kernel on "
        "every supported target (C++), against NumPy/SciPy and NumKong (Python), the math family at 1 Mi and "
        "16 Mi elements on one and two threads against numexpr, and against this machine's measured limits. "
        "Writes report.md, report.json and charts/*.png.")
    parser.add_argument("--benchmark-binary", required=True, type=Path,
                        help=f"the simdkit_benchmarks executable ({BUILD_HINT})")
    parser.add_argument("--out-dir", type=Path,
                        help="where the report goes (default: <repository>/reports/<cpu-model>)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: the smallest sizes and shapes, short timings (seconds, not minutes)")
    parser.add_argument("--filter", choices=FILTERS, action="append", metavar="FAMILY",
                        help=f"run one family ({', '.join(cpp.FAMILIES)}) or the boundary alone ({BOUNDARY}: "
                        "Python only, the binary is not run); repeat for several (default: all)")
    parser.add_argument("--floor-dir", type=Path, metavar="DIR",
                        help=f"where the floor module {boundary.FLOOR_MODULE} is (default: the benchmark binary's "
                        "directory, where the benchmarks build it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    binary = arguments.benchmark_binary
    families = list(dict.fromkeys(arguments.filter or FILTERS))
    cpp_families = [family for family in families if family in cpp.FAMILIES]
    if cpp_families and not binary.is_file():
        sys.exit(f"error: benchmark binary not found: {binary}\n{BUILD_HINT}")
    if cpp_families and not os.access(binary, os.X_OK):
        sys.exit(f"error: benchmark binary is not executable: {binary}")
    floor = None
    if BOUNDARY in families:  # before the long C++ run: a missing floor fails at once
        try:
            floor = boundary.load_floor(arguments.floor_dir or binary.parent)
        except boundary.FloorNotFound as error:
            sys.exit(f"error: {error}")
    mode = "quick" if arguments.quick else "full"
    timing = TIMING[mode]
    info = machine_info()
    out_dir = arguments.out_dir or REPO_ROOT / "reports" / slug(info["cpu_model"])
    targets = info["supported_targets"]

    json_files: dict[str, Path] = {}
    results, failures, context = [], [], {}
    if cpp_families:
        print(f"[1/4] C++: {', '.join(cpp_families)} on {', '.join(targets)} ({mode})", file=sys.stderr,
              flush=True)
        json_files = cpp.run_binary(binary, targets, cpp_families, arguments.quick,
                                    timing["benchmark_min_time_s"], out_dir / "cpp")
        results, failures, context = cpp.read_results(json_files)
    else:
        print("[1/4] C++: not run (--filter boundary)", file=sys.stderr, flush=True)
    machine_limits = limits.collect(results)
    joined = rows.join(results)

    print(f"[2/4] Python: {len(joined)} rows, simdkit on {info['active_target']} beside NumPy/SciPy and NumKong"
          + (", the math family at scale beside numexpr" if "math" in cpp_families else "")
          + (", and the boundary" if floor else ""), file=sys.stderr, flush=True)
    limit_blas, blas_threads = blas_one_thread()
    boundary_rows, boundary_settings, batches = [], None, []
    scale_rows = []
    with limit_blas:
        rows.measure_python(joined, timing["python"])
        if "math" in cpp_families:
            scale_rows = scale.measure(SCALE[mode]["sizes"], SCALE[mode]["repeats"])
        if floor is not None:
            boundary_rows, boundary_settings = boundary.measure(floor, arguments.quick)
            batches = rows.measure_batches(arguments.quick, timing["python"])

    print(f"[3/4] Charts and report: {out_dir}", file=sys.stderr, flush=True)
    described = [rows.describe(row, machine_limits, targets) for row in joined]
    chosen = rows.summary(described)
    report = {
        "machine": info,
        "settings": {"mode": mode, "families": families, "benchmark_binary": str(binary.resolve()),
                     "benchmark_min_time_s": timing["benchmark_min_time_s"], "python_timing": timing["python"],
                     "boundary_timing": boundary_settings, "blas_threads": blas_threads,
                     "scale": SCALE[mode], "time": "CPU time of the calling thread (at scale: wall-clock)"},
        "targets": targets,
        "baseline_target": rows.baseline_target(targets),
        "cpp_context": context,
        "cpp_json": {target: path.relative_to(out_dir).as_posix() for target, path in json_files.items()},
        "limits": machine_limits.to_json(),
        "headline": rows.headline(chosen),
        "summary": chosen,
        "boundary": boundary.join_cpp(boundary_rows, described),
        "batches": batches,
        "scale": scale_rows,
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
