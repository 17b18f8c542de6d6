#!/usr/bin/env python3
"""Per-ISA performance report of simdkit's kernels on this machine.

    python3 benchmarks/report.py --benchmark-binary build/cmake/benchmarks/simdkit_benchmarks
                                 [--out-dir DIR] [--quick] [--filter REGEX]

Two measurements in one run:
  * C++: the Google Benchmark binary (simdkit_benchmarks) runs every kernel on
    every target this CPU supports, which shows what each instruction set buys;
  * Python: simdkit on its active target against the NumPy equivalent, timed
    back to back in this process, which is what a user of the package sees
    (including the call overhead that dominates small arrays);
  * Python, the other families (math, conversions, distances): a few
    representative calls on every supported target (simdkit.use_target)
    against the NumPy expression a user would write, in the same run.

Writes DIR/report.md (summary first, then the detail tables) and DIR/report.json
(the raw numbers). DIR defaults to reports/<cpu-model-slug> in the repository.
Only NumPy and simdkit are needed.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path
from typing import Callable

import numpy as np

import simdkit

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_HINT = "scripts/main.sh builds it (build/cmake/benchmarks/simdkit_benchmarks) and runs this report"

# In report order. sum_rows (the batch form) only exists for f32 and is sized
# rows x cols, so it gets its own table.
KERNELS = ("sum", "dot", "norm", "min", "max", "argmin", "argmax")
BATCH_KERNEL = "sum_rows"
DTYPES = {"f32": np.float32, "f64": np.float64}

# The NumPy call each simdkit kernel is compared with.
PYTHON_KERNELS: dict[str, tuple[Callable, Callable]] = {
    "sum": (simdkit.sum, np.sum),
    "dot": (simdkit.dot, np.dot),
    "norm": (simdkit.norm, np.linalg.norm),
    "min": (simdkit.min, np.min),
    "max": (simdkit.max, np.max),
    "argmin": (simdkit.argmin, np.argmin),
    "argmax": (simdkit.argmax, np.argmax),
}
TWO_INPUT_KERNELS = {"dot"}

# --quick keeps the two in-cache sizes of the binary's kSizes {16, 1024, 65536,
# 16777216}; the Python side measures exactly the sizes the binary ran.
QUICK_SIZES = ("16", "1024")
QUICK_MIN_TIME_S = 0.01
# 64 Ki elements is past L1 but in L2: the kernels' own speed, not DRAM's.
SUMMARY_SIZE = "65536"
# The scalar-class target is called SCALAR by some compilers, EMU128 by others.
BASELINE_TARGETS = ("SCALAR", "EMU128")

# Python timing: each repeat lasts at least this long; the best repeat counts.
PYTHON_MIN_TIME_S = {"quick": 0.005, "full": 0.05}
PYTHON_REPEATS = 5

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


# ---------------------------------------------------------------------------
# Progress and timing
# ---------------------------------------------------------------------------
class Progress:
    """Counts the steps of one phase: in place on a terminal, every 10 % in a log."""

    def __init__(self, total: int):
        self.total = max(total, 1)
        self.done = 0
        self.in_place = sys.stdout.isatty()
        self.last_tenth_printed = 0

    def advance(self, detail: str) -> None:
        self.done += 1
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * round(20 * fraction)
        line = f"    [{bar:<20}] {self.done}/{self.total} {detail}"
        if self.in_place:
            print(f"\r{line:<79}", end="", flush=True)
        elif int(10 * fraction) > self.last_tenth_printed:
            self.last_tenth_printed = int(10 * fraction)
            print(line, flush=True)

    def finish(self) -> None:
        if self.in_place:
            print(flush=True)


def best_seconds_per_call(calls: dict[str, Callable[[], object]], min_time: float,
                          repeats: int) -> dict[str, float]:
    """Best-of-`repeats` seconds per call of each callable.

    As in timeit.Timer.autorange, the loop count grows 1, 2, 5, 10, 20, ...
    until one timing lasts `min_time`, so that short calls are not lost in the
    timer's resolution (autorange itself is fixed at 0.2 s, too slow for
    --quick). The repeats alternate between the callables so that all of them
    see the same machine state (clock, other load), and the best repeat is the
    one least disturbed by anything else.
    """
    timers = {name: timeit.Timer(call) for name, call in calls.items()}
    loops = {}
    for name, timer in timers.items():
        candidates = (step * 10**power for power in itertools.count() for step in (1, 2, 5))
        loops[name] = next(count for count in candidates if timer.timeit(count) >= min_time)
    best = dict.fromkeys(calls, math.inf)
    for _ in range(repeats):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(loops[name]) / loops[name])
    return best


# ---------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def machine_info() -> dict:
    targets = simdkit.targets()
    return {
        "cpu_model": cpu_model(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "simdkit_version": simdkit.__version__,
        "numpy_version": np.__version__,
        "active_target": targets["active"],
        "supported_targets": list(targets["supported"]),
        "compiled_targets": list(targets["compiled"]),
    }


# ---------------------------------------------------------------------------
# C++ benchmarks
# ---------------------------------------------------------------------------
def benchmark_filter(kernel_regex: str, quick: bool) -> str:
    """Google Benchmark regex for <kernel>/<dtype>/<TARGET>/<size>. The kernel
    part is anchored at both ends so that 'min' does not also select 'argmin'
    and 'sum' does not select 'sum_rows'."""
    sizes = "|".join(QUICK_SIZES) if quick else "[0-9]+"
    # The batch shapes (rows x cols) are small enough for --quick as they are.
    return f"^({kernel_regex})/[^/]+/[^/]+/({sizes}|[0-9]+x[0-9]+)$"


def run_cpp_benchmarks(binary: Path, regex: str, quick: bool) -> dict:
    """Runs the binary once and returns its JSON document."""
    listed = subprocess.run([str(binary), f"--benchmark_filter={regex}", "--benchmark_list_tests=true"],
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        sys.exit(f"error: {binary} --benchmark_list_tests failed:\n{listed.stderr}")
    names = set(listed.stdout.split())
    if not names:
        sys.exit(f"error: no benchmark matches the filter {regex!r}")
    print(f"    {len(names)} benchmarks, filter {regex!r}", flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        json_path = Path(scratch) / "benchmarks.json"
        stderr_path = Path(scratch) / "stderr.txt"
        command = [str(binary), f"--benchmark_filter={regex}", f"--benchmark_out={json_path}",
                   "--benchmark_out_format=json", "--benchmark_color=false"]
        if quick:
            command.append(f"--benchmark_min_time={QUICK_MIN_TIME_S}")
        progress = Progress(len(names))
        # stderr goes to a file: a pipe nobody reads could fill up and block.
        with open(stderr_path, "w+", encoding="utf-8") as stderr_file:
            with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr_file,
                                  text=True) as process:
                # The console table has one line per finished benchmark.
                for line in process.stdout:
                    first_word = line.split(maxsplit=1)[0] if line.strip() else ""
                    if first_word in names:
                        progress.advance(first_word)
            progress.finish()
            if process.returncode != 0:
                stderr_file.seek(0)
                sys.exit(f"error: {binary} exited with {process.returncode}:\n{stderr_file.read()}")
        with open(json_path, encoding="utf-8") as json_file:
            return json.load(json_file)


def real_time_ns(entry: dict) -> float:
    return entry["real_time"] * TIME_UNIT_NS[entry.get("time_unit", "ns")]


def gb_per_s(entry: dict) -> float:
    return entry["bytes_per_second"] / 1e9


def size_sort_key(size: str) -> int:
    """'1024' -> 1024, '1024x16' -> 16384: sizes in order of elements."""
    return math.prod(int(part) for part in size.split("x"))


def index_cpp_runs(document: dict) -> tuple[dict, list[str], list[dict]]:
    """Returns (runs[(kernel, dtype)][size][target] = entry, targets in the
    binary's order (best first), entries that failed)."""
    runs: dict[tuple[str, str], dict[str, dict[str, dict]]] = {}
    targets: list[str] = []
    failures = []
    for entry in document.get("benchmarks", []):
        # Aggregates (mean, stddev...) only exist with --benchmark_repetitions.
        if entry.get("run_type", "iteration") != "iteration":
            continue
        if entry.get("error_occurred"):
            failures.append(entry)
            continue
        kernel, dtype, target, size = entry["name"].split("/")[:4]
        runs.setdefault((kernel, dtype), {}).setdefault(size, {})[target] = entry
        if target not in targets:
            targets.append(target)
    return runs, targets, failures


# ---------------------------------------------------------------------------
# Python measurements
# ---------------------------------------------------------------------------
def measure_python(cases: list[tuple[str, str, int]], min_time: float) -> list[dict]:
    """Times simdkit (active target) and NumPy on each (kernel, dtype, n)."""
    active = simdkit.targets()["active"]
    rng = np.random.default_rng(0x5EED)
    progress = Progress(len(cases))
    results = []
    # Grouped by array so that each one (up to 128 MiB) is generated once.
    by_array: dict[tuple[str, int], list[str]] = {}
    for kernel, dtype, n in cases:
        by_array.setdefault((dtype, n), []).append(kernel)
    for (dtype, n), kernels in sorted(by_array.items(), key=lambda item: (item[0][1], item[0][0])):
        inputs = [rng.standard_normal(n, dtype=DTYPES[dtype]) for _ in range(2)]
        for kernel in kernels:
            simdkit_call, numpy_call = PYTHON_KERNELS[kernel]
            arrays = inputs if kernel in TWO_INPUT_KERNELS else inputs[:1]
            seconds = best_seconds_per_call(
                {"simdkit": lambda: simdkit_call(*arrays), "numpy": lambda: numpy_call(*arrays)},
                min_time, PYTHON_REPEATS)
            input_bytes = sum(array.nbytes for array in arrays)
            results.append({
                "kernel": kernel,
                "dtype": dtype,
                "n": n,
                "bytes": input_bytes,
                "simdkit_target": active,
                "simdkit_ns": seconds["simdkit"] * 1e9,
                "numpy_ns": seconds["numpy"] * 1e9,
                "simdkit_gb_per_s": input_bytes / seconds["simdkit"] / 1e9,
                "numpy_gb_per_s": input_bytes / seconds["numpy"] / 1e9,
                # A speed ratio, like the speedups over SCALAR: > 1 = simdkit faster.
                "simdkit_over_numpy": seconds["numpy"] / seconds["simdkit"],
            })
            progress.advance(f"{kernel}/{dtype}/{n}")
        del inputs
    progress.finish()
    return results


def family_cases(quick: bool) -> list[dict]:
    """Representative calls of the math, conversion and distance families,
    each with the NumPy expression it replaces (the same inputs)."""
    n = 4096 if quick else 1 << 20
    rows, cols = (64, 256) if quick else (1024, 1024)
    points, dims = (64, 64) if quick else (1000, 768)
    rng = np.random.default_rng(0xFA)
    x = rng.uniform(-10, 10, n).astype(np.float32)
    positive = np.abs(x) + np.float32(0.01)
    out = np.empty_like(x)
    logits = rng.normal(0, 3, (rows, cols)).astype(np.float32)
    a = rng.standard_normal((points, dims), dtype=np.float32)

    def stable_softmax(v):
        e = np.exp(v - v.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def numpy_cosine(u, v):
        norms = np.linalg.norm(u, axis=1)
        return 1 - (u @ v.T) / np.outer(norms, norms)

    return [
        {"family": "math", "case": "exp f32", "n": n, "numpy": "numpy.exp(x, out=)",
         "numpy_call": lambda: np.exp(x, out=out), "simdkit_call": lambda: simdkit.exp(x, out=out)},
        {"family": "math", "case": "log f32", "n": n, "numpy": "numpy.log(x, out=)",
         "numpy_call": lambda: np.log(positive, out=out),
         "simdkit_call": lambda: simdkit.log(positive, out=out)},
        {"family": "math", "case": "tanh f32", "n": n, "numpy": "numpy.tanh(x, out=)",
         "numpy_call": lambda: np.tanh(x, out=out), "simdkit_call": lambda: simdkit.tanh(x, out=out)},
        {"family": "math", "case": "sigmoid f32", "n": n, "numpy": "1 / (1 + numpy.exp(-x))",
         "numpy_call": lambda: 1 / (1 + np.exp(-x)), "simdkit_call": lambda: simdkit.sigmoid(x, out=out)},
        {"family": "math", "case": f"softmax f32 {rows}x{cols}", "n": rows * cols,
         "numpy": "exp(x - max) / sum", "numpy_call": lambda: stable_softmax(logits),
         "simdkit_call": lambda: simdkit.softmax(logits)},
        {"family": "convert", "case": "float32 -> float16", "n": n, "numpy": "x.astype(numpy.float16)",
         "numpy_call": lambda: x.astype(np.float16), "simdkit_call": lambda: simdkit.to_float16(x)},
        {"family": "distance", "case": f"cdist cosine f32 {points}x{points}x{dims}",
         "n": points * points * dims, "numpy": "A @ B.T with norms",
         "numpy_call": lambda: numpy_cosine(a, a),
         "simdkit_call": lambda: simdkit.cdist(a, a, "cosine", threads=1)},
    ]


def measure_families(targets: list[str], min_time: float, quick: bool) -> list[dict]:
    """Times every family case on every target in `targets`, alternating with
    its NumPy expression (whose best time over all the alternations counts)."""
    cases = family_cases(quick)
    progress = Progress(len(cases) * len(targets))
    results = []
    for case in cases:
        numpy_seconds, simdkit_seconds = math.inf, {}
        for target in targets:
            with simdkit.use_target(target):
                seconds = best_seconds_per_call(
                    {"numpy": case["numpy_call"], "simdkit": case["simdkit_call"]}, min_time,
                    PYTHON_REPEATS)
            numpy_seconds = min(numpy_seconds, seconds["numpy"])
            simdkit_seconds[target] = seconds["simdkit"]
            progress.advance(f"{case['case']} {target}")
        results.append({
            "family": case["family"], "case": case["case"], "n": case["n"], "numpy": case["numpy"],
            "numpy_ns": numpy_seconds * 1e9,
            "simdkit_ns": {target: value * 1e9 for target, value in simdkit_seconds.items()},
        })
    progress.finish()
    return results


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
def markdown_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """The first `text_columns` columns are labels (left-aligned), the rest numbers."""
    align = [":--" if column < text_columns else "--:" for column in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"


def format_number(value: float) -> str:
    """About three significant digits, without exponents; thousands separated."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def format_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def speedup(entry: dict, baseline: dict | None) -> float | None:
    """How many times faster than the baseline target on the same input."""
    return None if baseline is None else real_time_ns(baseline) / real_time_ns(entry)


def target_cells(by_target: dict[str, dict], targets: list[str], baseline: str | None,
                 value: Callable[[dict], float]) -> list[str]:
    """One cell per target: value (speedup over the baseline target)."""
    baseline_entry = by_target.get(baseline)
    cells = []
    for target in targets:
        entry = by_target.get(target)
        if entry is None:
            cells.append("–")
        else:
            cells.append(f"{format_number(value(entry))} ({format_ratio(speedup(entry, baseline_entry))})")
    return cells


def render_markdown(info: dict, settings: dict, benchmark_context: dict, runs: dict,
                    targets: list[str], failures: list[dict], python_results: list[dict],
                    family_results: list[dict]) -> str:
    baseline = next((target for target in BASELINE_TARGETS if target in targets), None)
    baseline_name = baseline or "scalar baseline"
    python_by_case = {(r["kernel"], r["dtype"], str(r["n"])): r for r in python_results}
    reduce_groups = [(kernel, dtype) for kernel in KERNELS for dtype in DTYPES if (kernel, dtype) in runs]

    out = [f"# simdkit kernels on {info['cpu_model']}\n\n"]
    out.append(f"- Date: {info['date_utc']}\n")
    out.append(f"- simdkit {info['simdkit_version']} (Python package); benchmark binary built from "
               f"simdkit {benchmark_context.get('simdkit_version', '?')}\n")
    out.append(f"- NumPy {info['numpy_version']}, Python {info['python']}, {info['platform']}\n")
    out.append(f"- Active target (Python rows): {info['active_target']}\n")
    out.append(f"- Supported targets: {', '.join(info['supported_targets'])}\n")
    out.append(f"- Mode: {settings['mode']}; benchmark filter `{settings['benchmark_filter']}`\n")
    # Conditions that make the numbers less trustworthy belong next to them.
    if benchmark_context.get("cpu_scaling_enabled"):
        out.append("- Warning: CPU frequency scaling was enabled; timings may be noisy.\n")
    if benchmark_context.get("library_build_type") == "debug":
        out.append("- Note: Google Benchmark reports its own library as a debug build "
                   "(the harness, not simdkit's kernels).\n")
    out.append(f"\nGB/s = 10^9 bytes of input read per second. ×{baseline_name} = speedup over the "
               f"{baseline_name} target on the same input. simdkit/NumPy = NumPy time ÷ simdkit time "
               f"(> 1: simdkit is faster), both called from Python.\n")

    out.append("\n## Summary\n\n")
    summary_rows = []
    for kernel, dtype in reduce_groups:
        sizes = runs[(kernel, dtype)]
        size = SUMMARY_SIZE if SUMMARY_SIZE in sizes else max(sizes, key=size_sort_key)
        by_target = sizes[size]
        best_target = max(by_target, key=lambda target: gb_per_s(by_target[target]))
        python_row = python_by_case.get((kernel, dtype, size))
        summary_rows.append([
            kernel, dtype, best_target, size, format_number(gb_per_s(by_target[best_target])),
            format_ratio(speedup(by_target[best_target], by_target.get(baseline))),
            format_ratio(python_row["simdkit_over_numpy"] if python_row else None)])
    out.append(markdown_table(["kernel", "dtype", "best target", "n", "GB/s", f"×{baseline_name}",
                               "simdkit/NumPy"], summary_rows, text_columns=3))

    out.append(f"\n## C++: GB/s per target (speedup over {baseline_name})\n")
    for kernel, dtype in reduce_groups:
        sizes = runs[(kernel, dtype)]
        rows = [[size, *target_cells(sizes[size], targets, baseline, gb_per_s)]
                for size in sorted(sizes, key=size_sort_key)]
        out.append(f"\n### {kernel} {dtype}\n\n")
        out.append(markdown_table(["n", *targets], rows))

    if python_results:
        out.append(f"\n## Python: simdkit ({info['active_target']}) vs NumPy, per call\n\n")
        rows = [[r["kernel"], r["dtype"], str(r["n"]), format_number(r["simdkit_ns"]),
                 format_number(r["numpy_ns"]), format_number(r["simdkit_gb_per_s"]),
                 format_number(r["numpy_gb_per_s"]), format_ratio(r["simdkit_over_numpy"])]
                for r in sorted(python_results, key=lambda r: (KERNELS.index(r["kernel"]), r["dtype"], r["n"]))]
        out.append(markdown_table(["kernel", "dtype", "n", "simdkit ns", "NumPy ns", "simdkit GB/s",
                                   "NumPy GB/s", "simdkit/NumPy"], rows, text_columns=2))

    batch_groups = [group for group in runs if group[0] == BATCH_KERNEL]
    for kernel, dtype in batch_groups:
        shapes = runs[(kernel, dtype)]
        rows = [[shape, *target_cells(shapes[shape], targets, baseline,
                                      lambda entry, shape=shape: real_time_ns(entry) / int(shape.split("x")[0]))]
                for shape in sorted(shapes, key=size_sort_key)]
        out.append(f"\n## C++: {kernel} {dtype}, ns per row (speedup over {baseline_name})\n\n")
        out.append(markdown_table(["rows x cols", *targets], rows))

    if family_results:
        family_targets = list(family_results[0]["simdkit_ns"])
        out.append("\n## Python: math, conversions, distances on every target\n\n"
                   "Time per call (µs), and in brackets the NumPy expression's time ÷ simdkit's "
                   "(> 1: simdkit is faster). simdkit runs single-threaded; NumPy as it comes.\n\n")
        rows = [[r["family"], r["case"], r["numpy"], format_number(r["numpy_ns"] / 1e3),
                 *[f"{format_number(r['simdkit_ns'][t] / 1e3)} ({format_ratio(r['numpy_ns'] / r['simdkit_ns'][t])})"
                   for t in family_targets]]
                for r in family_results]
        out.append(markdown_table(["family", "case", "NumPy expression", "NumPy µs", *family_targets],
                                  rows, text_columns=3))

    if failures:
        out.append("\n## Benchmarks that did not run\n\n")
        out.extend(f"- {entry['name']}: {entry.get('error_message', 'error')}\n" for entry in failures)
    return "".join(out)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark-binary", required=True, type=Path,
                        help=f"the simdkit_benchmarks executable ({BUILD_HINT})")
    parser.add_argument("--out-dir", type=Path,
                        help="where report.md and report.json go (default: "
                             "<repository>/reports/<cpu-model-slug>)")
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {' and '.join(QUICK_SIZES)} only, "
                             f"--benchmark_min_time={QUICK_MIN_TIME_S}: a few seconds")
    parser.add_argument("--filter", default="|".join((*KERNELS, BATCH_KERNEL)),
                        help="regex of kernel names to run, matched against the whole name "
                             "(e.g. 'sum|dot', 'arg.*'; the batch form is 'sum_rows')")
    arguments = parser.parse_args()
    try:
        re.compile(arguments.filter)
    except re.error as error:
        parser.error(f"--filter {arguments.filter!r} is not a valid regex: {error}")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    binary = arguments.benchmark_binary
    if not binary.is_file():
        sys.exit(f"error: benchmark binary not found: {binary}\n{BUILD_HINT}")
    if not os.access(binary, os.X_OK):
        sys.exit(f"error: benchmark binary is not executable: {binary}")

    info = machine_info()
    out_dir = arguments.out_dir or REPO_ROOT / "reports" / slug(info["cpu_model"])
    mode = "quick" if arguments.quick else "full"
    regex = benchmark_filter(arguments.filter, arguments.quick)

    print(f"[1/4] C++ benchmarks ({binary}, {mode})", flush=True)
    document = run_cpp_benchmarks(binary, regex, arguments.quick)
    runs, targets, failures = index_cpp_runs(document)

    cases = [(kernel, dtype, int(size))
             for (kernel, dtype), sizes in runs.items() if kernel in PYTHON_KERNELS
             for size in sizes]
    print(f"[2/4] Python: simdkit ({info['active_target']}) vs NumPy, {len(cases)} cases", flush=True)
    python_results = measure_python(cases, PYTHON_MIN_TIME_S[mode])

    supported = simdkit.targets()["supported"]
    print(f"[3/4] Python: math, conversions, distances on {len(supported)} targets", flush=True)
    family_results = measure_families(supported, PYTHON_MIN_TIME_S[mode], arguments.quick)

    print(f"[4/4] Writing {out_dir}", flush=True)
    settings = {
        "mode": mode,
        "kernel_filter": arguments.filter,
        "benchmark_filter": regex,
        "benchmark_binary": str(binary.resolve()),
        "benchmark_min_time_s": QUICK_MIN_TIME_S if arguments.quick else None,
        "python_min_time_s": PYTHON_MIN_TIME_S[mode],
        "python_repeats": PYTHON_REPEATS,
    }
    context = document.get("context", {})
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(
        render_markdown(info, settings, context, runs, targets, failures, python_results, family_results),
        encoding="utf-8")
    raw = {"machine": info, "settings": settings, "cpp": document, "python": python_results,
           "families": family_results}
    (out_dir / "report.json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    print(f"      {out_dir / 'report.md'}\n      {out_dir / 'report.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
