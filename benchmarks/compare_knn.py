#!/usr/bin/env python3
"""Every speed target of issue 16 (cdist and topk at the machine's limit), side by side in one run.

    python3 benchmarks/compare_knn.py [--quick] [--json FILE] [--benchmark-binary PATH]

One process, the same inputs for every library, one thread for every
contender unless a case says otherwise: simdkit with threads=1, NumPy's BLAS
(and FAISS's own OpenBLAS) held to one thread by threadpoolctl, FAISS with
faiss.omp_set_num_threads(1), NumKong with threads=1. Times are the best CPU
time of the calling thread per call (perfreport.timing: the machine may be
shared, and a thread waiting for a core is not running the kernel), the
contenders of a case timed in turn; each case also records CPU time / wall
time of its first call, which stays near 1 for a single thread ('!' above 1.3).
The threads=2 case is timed in wall time.

The machine's limits come from the benchmark binary (machine_limits.cc):
the peak FMA rate of the target simdkit runs on and of AVX2, and the read
bandwidth of one core at every power of two of working set, interpolated
at each case's own (perfreport.limits). Without the binary those checks
read n/a.

Cases (full run; --quick shrinks every size to seconds in all, for a smoke
test: its PASS and MISS mean nothing):
  * cdist     dot, cosine, sqeuclidean on float32 and float64, 1000 x 1000 x
              768 and 4096 x 4096 x 128: Gflop/s (2 m n d / time) and % of the
              peak FMA rate, on the active target and forced to AVX2; against
              NumPy's route (A @ B.T, plus row norms for cosine and
              sqeuclidean).
  * short     the same metrics and dtypes at 1000 x 1000, d = 4, 16, 32,
              against NumPy's route.
  * topk      float32 dot and sqeuclidean, k = 100: 1, 16, 100 and 1000
              queries x 100 000 x 128, 100 x 50 000 x 768, 1000 x 20 000 x
              1536; against FAISS IndexFlatIP / IndexFlatL2 search (the index
              built once, outside the timing, as a service does) and NumPy
              (matmul, argpartition, sort of the k); simdkit with X as it is,
              and packed once outside the timing (simdkit.pack) as FAISS's
              index is.
  * narrow    bfloat16, int8 and uint8 dot, cosine and sqeuclidean: cdist
              1000 x 1000 x 768 and topk 100 x 50 000 x 768, k = 100; against
              NumKong's fastest call (its native output dtype; for topk the
              same cdist plus argpartition and sort) and against simdkit's own
              path held to AVX3_DL with AMX disabled (SIMDKIT_TARGET=AVX3_DL
              SIMDKIT_DISABLE=AMX in a child process; the child's warnings say
              whether this build knew AMX at all).
  * threads   cdist float32 dot 1000 x 1000 x 768 and 4096 x 4096 x 128, topk
              float32 dot 1000 x 100 000 x 128: threads=2 against threads=1.

Then the issue's targets, each marked PASS or MISS (n/a when it cannot be
measured here: no benchmark binary, no FAISS or NumKong, a CPU without AMX).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

import compare_distance  # before anything loads NumPy's BLAS: it limits threads without threadpoolctl
import simdkit
from compare_distance import BLAS_LIMIT_METHOD, HAVE_THREADPOOLCTL, numkong, numpy_cdist, optional_import
from perfreport import cpp, limits
from perfreport.timing import cpu_seconds_per_call

faiss = optional_import("faiss")
if faiss is not None:
    faiss.omp_set_num_threads(1)
ml_dtypes = optional_import("ml_dtypes")
if HAVE_THREADPOOLCTL:
    import threadpoolctl

Call = Callable[[], object]
REPO = Path(__file__).resolve().parents[1]
# scripts/test.sh names the binary it built; scripts/main.sh builds it here.
DEFAULT_BINARY = Path(os.environ.get("SIMDKIT_BENCHMARK_BINARY")
                      or REPO / "build" / "cmake" / "benchmarks" / "simdkit_benchmarks")
METRICS = ("dot", "cosine", "sqeuclidean")
NARROW_DTYPES = ("bfloat16", "int8", "uint8")
AMX_CONTROL_TARGET = "AVX3_DL"
FAISS_INDEX = {"dot": "IndexFlatIP", "sqeuclidean": "IndexFlatL2"}
SHORT = {"float64": "f64", "float32": "f32", "bfloat16": "bf16", "int8": "i8", "uint8": "u8"}

SIZES = {
    "full": {"cdist": ((1000, 1000, 768), (4096, 4096, 128)), "short_rows": (1000, 1000), "short_d": (4, 16, 32),
             "topk": ((1, 100_000, 128), (16, 100_000, 128), (100, 100_000, 128), (1000, 100_000, 128),
                      (100, 50_000, 768), (1000, 20_000, 1536)), "k": 100,
             "narrow_cdist": (1000, 1000, 768), "narrow_topk": (100, 50_000, 768),
             "threads_cdist": ((1000, 1000, 768), (4096, 4096, 128)), "threads_topk": (1000, 100_000, 128)},
    "quick": {"cdist": ((64, 64, 128), (128, 128, 32)), "short_rows": (64, 64), "short_d": (4, 16, 32),
              "topk": ((1, 4000, 32), (16, 4000, 32)), "k": 10,
              "narrow_cdist": (64, 64, 128), "narrow_topk": (16, 2000, 64),
              "threads_cdist": ((128, 128, 64),), "threads_topk": (16, 4000, 32)},
}
TIMING = {"full": {"min_time": 0.1, "repeats": 3, "budget": 1.0},
          "quick": {"min_time": 0.002, "repeats": 2, "budget": 0.02}}
# Seconds per limit benchmark: long enough in a full run that a moment of
# load on a shared machine does not lower the peak the checks divide by.
LIMITS_MIN_TIME = {"full": 0.2, "quick": 0.001}


# ---------------------------------------------------------------------------
# Inputs and the contenders
# ---------------------------------------------------------------------------
def shape_name(shape: tuple[int, ...], k: int | None = None) -> str:
    return "x".join(map(str, shape)) + (f" k={k}" if k else "")


def float_inputs(dtype: str, rows_a: int, rows_b: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([0x16, rows_a, rows_b, d])
    return tuple(rng.standard_normal((rows, d), dtype=np.float32).astype(dtype) for rows in (rows_a, rows_b))


def narrow_inputs(dtype: str, rows_a: int, rows_b: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """The same arrays in this process and in the AMX control's child."""
    def convert(x: np.ndarray) -> np.ndarray:
        if dtype == "int8":
            return np.clip(np.rint(x * 40), -128, 127).astype(np.int8)
        if dtype == "uint8":
            return np.clip(np.rint(np.abs(x) * 80), 0, 255).astype(np.uint8)
        return x.astype(ml_dtypes.bfloat16)
    return tuple(convert(x) for x in float_inputs("float32", rows_a, rows_b, d))


def faiss_search(metric: str, Q: np.ndarray, X: np.ndarray, k: int) -> tuple[str, Call] | None:
    """FAISS's exact search for the k nearest rows of X (built into an index
    once, as a service does), or None where FAISS has no such search."""
    if faiss is None or metric not in FAISS_INDEX or Q.dtype != np.float32:
        return None
    index = getattr(faiss, FAISS_INDEX[metric])(X.shape[1])
    index.add(X)
    return f"faiss.{FAISS_INDEX[metric]}.search(Q, k)", lambda: index.search(Q, k)


def numpy_topk(metric: str, Q: np.ndarray, X: np.ndarray, k: int) -> Call:
    return lambda: compare_distance.topk_of_matrix(numpy_cdist(metric, Q, X), k, largest=metric == "dot")


def numkong_topk(metric: str, Q: np.ndarray, X: np.ndarray, k: int) -> Call:
    _, cdist = compare_distance.numkong_cdist(metric, Q, X)
    return lambda: compare_distance.topk_of_matrix(np.asarray(cdist()), k, largest=metric == "dot")


def simdkit_cdist(metric: str, A: np.ndarray, B: np.ndarray, threads: int = 1) -> Call:
    return lambda: simdkit.cdist(A, B, metric, threads=threads)


def simdkit_topk(metric: str, Q: np.ndarray, X: np.ndarray, k: int, threads: int = 1) -> Call:
    return lambda: simdkit.topk(Q, X, k, metric, threads=threads)


def on_target(target: str, call: Call) -> Call:
    def forced():
        with simdkit.use_target(target):
            return call()
    return forced


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------
class Run:
    """The measurements of one run, and the problems met on the way."""

    def __init__(self, mode: str):
        self.mode = mode
        self.timing = TIMING[mode]
        self.results: list[dict] = []
        self.problems: list[str] = []

    def time(self, case: str, metric: str, dtype: str, shape: str, calls: dict[str, Call],
             flops: float | None = None, clock: Callable[[], float] = time.thread_time,
             check: Callable[[str, object, object], None] | None = None) -> dict[str, dict]:
        """Times the calls of one case in turn; `check(name, simdkit's
        result, theirs)` compares each first result with simdkit's."""
        first = {}
        for name, call in list(calls.items()):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            try:
                first[name] = call()
            except Exception as error:  # noqa: BLE001 - a contender that cannot run is reported, not fatal
                self.problems.append(f"{case} {metric} {dtype} {shape}: {name} failed: "
                                     f"{type(error).__name__}: {error}")
                del calls[name]
                continue
            wall = time.perf_counter() - start_wall
            first[name] = (first[name], (time.process_time() - start_cpu) / wall if wall > 0 else 1.0)
        if check is not None and "simdkit" in first:
            for name, (result, _) in first.items():
                if name != "simdkit":
                    check(name, first["simdkit"][0], result)
        seconds = cpu_seconds_per_call(calls, clock=clock, **self.timing)
        measured = {}
        for name, value in seconds.items():
            row = {"case": case, "metric": metric, "dtype": dtype, "shape": shape, "library": name,
                   "seconds": value, "cpu_per_wall": first[name][1],
                   "gflops": flops / value / 1e9 if flops and value > 0 else None}
            self.results.append(row)
            measured[name] = row
            print(f"  {case:<7} {metric:<12} {dtype:<9} {shape:<22} {name:<16} {format_seconds(value):>10}"
                  + (f" {row['gflops']:8.1f} Gflop/s" if row["gflops"] else "")
                  + ("  !" if row["cpu_per_wall"] > 1.3 and clock is time.thread_time else ""), flush=True)
        return measured

    def same_neighbours(self, label: str) -> Callable[[str, object, object], None]:
        def check(name, ours, theirs):
            ours_indices, theirs_indices = np.asarray(ours[0]), np.asarray(theirs[1] if name == "faiss" else theirs[0])
            k = ours_indices.shape[1]
            found = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ours_indices, theirs_indices)]))
            if found < 0.99:
                self.problems.append(f"{label}: {name} finds only {found:.1%} of simdkit's neighbours")
        return check

    def same_matrix(self, label: str, tolerance: float) -> Callable[[str, object, object], None]:
        def check(name, ours, theirs):
            ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
            scale = max(1.0, float(np.abs(ours).max(initial=0)))
            if not np.allclose(theirs, ours, rtol=tolerance, atol=tolerance * scale):
                self.problems.append(f"{label}: {name} disagrees with simdkit (max |diff| "
                                     f"{float(np.max(np.abs(theirs - ours))):.3g})")
        return check


def measure_limits(binary: Path | None, mode: str, targets: list[str]) -> limits.Limits | None:
    """Peak FMA rates of `targets` and the read bandwidth, from the benchmark binary."""
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as json_dir:
        files = cpp.run_binary(binary, targets, [], mode == "quick", LIMITS_MIN_TIME[mode], Path(json_dir))
        results, failures, _ = cpp.read_results(files)
    for failure in failures:
        print(f"  note: {failure['name']}: {failure['error']}", file=sys.stderr)
    return limits.collect(results)


def amx_control(cases: list[dict], timing: dict) -> dict:
    """Times simdkit's narrow-dtype cases in a child process held to
    AVX3_DL with AMX disabled. Returns its times, the target it ran on and
    the warnings its import printed (an unknown 'AMX' says that this build
    has no AMX path to disable: the control then runs simdkit's own code)."""
    environment = {**os.environ, "SIMDKIT_TARGET": AMX_CONTROL_TARGET, "SIMDKIT_DISABLE": "AMX"}
    command = [sys.executable, os.path.abspath(__file__), "--_amx-control", json.dumps(cases), json.dumps(timing)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1000:]}
    control = json.loads(done.stdout.strip().splitlines()[-1])
    control["warnings"] = [line.split("Warning: ", 1)[1] for line in done.stderr.splitlines() if "Warning: " in line]
    if control["active"] != AMX_CONTROL_TARGET:
        control["error"] = f"the child ran on {control['active']}, not {AMX_CONTROL_TARGET}"
    return control


def amx_control_child(cases: list[dict], timing: dict) -> dict:
    seconds = []
    for case in cases:
        A, B = narrow_inputs(case["dtype"], *case["shape"])
        call = (simdkit_topk(case["metric"], A, B, case["k"]) if case["k"]
                else simdkit_cdist(case["metric"], A, B))
        call()
        seconds.append(cpu_seconds_per_call({"control": call}, **timing)["control"])
    return {"active": simdkit.targets()["active"], "disabled": simdkit.targets()["disabled"], "seconds": seconds}


def cpu_has_amx() -> bool:
    features = " ".join(simdkit.info()["cpu_features"]).lower()
    if "amx" in features:
        return True
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            return any(line.startswith("flags") and " amx_tile" in line for line in cpuinfo)
    except OSError:
        return False


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def peak_targets() -> tuple[str, str | None]:
    """The target simdkit runs on, and AVX2 (the issue's other target for
    the share of the peak) where the CPU has it and it is not the first."""
    targets = simdkit.targets()
    second = "AVX2" if "AVX2" in targets["supported"] and targets["active"] != "AVX2" else None
    return targets["active"], second


def run_cases(run: Run) -> dict:
    sizes = SIZES[run.mode]
    active, second = peak_targets()
    k = sizes["k"]

    print("cdist: float32 and float64, one thread")
    for rows_a, rows_b, d in sizes["cdist"]:
        for dtype in ("float32", "float64"):
            A, B = float_inputs(dtype, rows_a, rows_b, d)
            for metric in METRICS:
                calls = {"simdkit": simdkit_cdist(metric, A, B), "numpy": lambda m=metric: numpy_cdist(m, A, B)}
                if second:
                    calls[f"simdkit {second}"] = on_target(second, simdkit_cdist(metric, A, B))
                run.time("cdist", metric, dtype, shape_name((rows_a, rows_b, d)), calls, 2 * rows_a * rows_b * d,
                         check=run.same_matrix(f"cdist {metric} {dtype}", 1e-3))

    print("short rows: cdist, one thread")
    rows_a, rows_b = sizes["short_rows"]
    for d in sizes["short_d"]:
        for dtype in ("float32", "float64"):
            A, B = float_inputs(dtype, rows_a, rows_b, d)
            for metric in METRICS:
                run.time("short", metric, dtype, shape_name((rows_a, rows_b, d)),
                         {"simdkit": simdkit_cdist(metric, A, B), "numpy": lambda m=metric: numpy_cdist(m, A, B)},
                         2 * rows_a * rows_b * d, check=run.same_matrix(f"short {metric} {dtype}", 1e-3))

    print(f"topk: float32, k = {k}, one thread")
    for queries, rows, d in sizes["topk"]:
        Q, X = float_inputs("float32", queries, rows, d)
        for metric in FAISS_INDEX:
            # X packed once, outside the timing, as FAISS's index is built.
            calls = {"simdkit": simdkit_topk(metric, Q, X, k),
                     "simdkit packed": simdkit_topk(metric, Q, simdkit.pack(X), k),
                     "numpy": numpy_topk(metric, Q, X, k)}
            searched = faiss_search(metric, Q, X, k)
            if searched:
                calls["faiss"] = searched[1]
            run.time("topk", metric, "float32", shape_name((queries, rows, d), k), calls, 2 * queries * rows * d,
                     check=run.same_neighbours(f"topk {metric} {shape_name((queries, rows, d), k)}"))
        del Q, X

    print("narrow dtypes: cdist and topk, one thread, against NumKong's fastest call")
    narrow_cases = []
    for dtype in NARROW_DTYPES if ml_dtypes is not None else NARROW_DTYPES[1:]:
        for form, shape in (("cdist", sizes["narrow_cdist"]), ("topk", sizes["narrow_topk"])):
            A, B = narrow_inputs(dtype, *shape)
            for metric in METRICS:
                if form == "cdist":
                    calls = {"simdkit": simdkit_cdist(metric, A, B)}
                    if numkong is not None:
                        calls["numkong"] = compare_distance.numkong_cdist(metric, A, B)[1]
                    check = run.same_matrix(f"cdist {metric} {dtype}", 2e-2)
                else:
                    calls = {"simdkit": simdkit_topk(metric, A, B, k)}
                    if numkong is not None:
                        calls["numkong"] = numkong_topk(metric, A, B, k)
                    check = None  # ties among integer distances make the sets differ legitimately
                run.time(f"narrow {form}", metric, dtype, shape_name(shape, k if form == "topk" else None), calls,
                         2 * shape[0] * shape[1] * shape[2], check=check)
                narrow_cases.append({"form": form, "metric": metric, "dtype": dtype, "shape": list(shape),
                                     "k": k if form == "topk" else 0})
    control = {"error": f"this CPU does not support {AMX_CONTROL_TARGET}"}
    if AMX_CONTROL_TARGET in simdkit.targets()["supported"]:
        print(f"  ... simdkit held to {AMX_CONTROL_TARGET} with AMX disabled, in a child process", flush=True)
        control = amx_control(narrow_cases, run.timing)
    if "error" in control:
        run.problems.append(f"AMX control: {control['error']}")
    else:
        for case, seconds in zip(narrow_cases, control["seconds"]):
            run.results.append({"case": f"narrow {case['form']}", "metric": case["metric"], "dtype": case["dtype"],
                                "shape": shape_name(tuple(case["shape"]), case["k"] or None),
                                "library": f"simdkit {AMX_CONTROL_TARGET} no AMX", "seconds": seconds,
                                "cpu_per_wall": None,
                                "gflops": 2 * np.prod(case["shape"]) / seconds / 1e9})

    print("threads: 2 against 1, wall time")
    for shape in sizes["threads_cdist"]:
        A, B = float_inputs("float32", *shape)
        run.time("threads cdist", "dot", "float32", shape_name(shape),
                 {"simdkit threads=1": simdkit_cdist("dot", A, B, 1),
                  "simdkit threads=2": simdkit_cdist("dot", A, B, 2)}, 2 * np.prod(shape), clock=time.perf_counter)
    Q, X = float_inputs("float32", *sizes["threads_topk"])
    run.time("threads topk", "dot", "float32", shape_name(sizes["threads_topk"], k),
             {"simdkit threads=1": simdkit_topk("dot", Q, X, k, 1),
              "simdkit threads=2": simdkit_topk("dot", Q, X, k, 2)},
             2 * np.prod(sizes["threads_topk"]), clock=time.perf_counter)
    return {"active": active, "second": second, "control": control}


def target_checks(run: Run, machine: limits.Limits | None, context: dict) -> list[dict]:
    """The issue's targets: `value` is simdkit's ratio over the other side
    (or its fraction of a limit), `want` the least that passes."""
    sizes, checks = SIZES[run.mode], []
    active, second = context["active"], context["second"]
    amx = cpu_has_amx()

    def row(**keys) -> dict | None:
        return next((result for result in run.results if all(result.get(key) == value
                                                               for key, value in keys.items())), None)

    def add(name: str, want: float, value: float | None, unit: str = "x", applies: bool = True):
        status = "n/a" if value is None or not applies else "PASS" if value >= want else "MISS"
        checks.append({"target": name, "want": want, "value": value, "unit": unit, "status": status})

    def over(ours: dict | None, theirs: dict | None) -> float | None:
        return theirs["seconds"] / ours["seconds"] if ours and theirs else None

    def of_peak(result: dict | None, target: str, dtype: str) -> float | None:
        peak = machine and machine.peak_flops.get("f64" if dtype == "float64" else "f32", {}).get(target)
        return result["gflops"] * 1e9 / peak if result and peak else None

    for rows_a, rows_b, d in sizes["cdist"]:
        shape = shape_name((rows_a, rows_b, d))
        for dtype in ("float32", "float64"):
            for metric in METRICS:
                keys = {"case": "cdist", "metric": metric, "dtype": dtype, "shape": shape}
                ours = row(**keys, library="simdkit")
                label = f"cdist {metric} {SHORT[dtype]} {shape}"
                add(f"{label}: >= 85 % of {active}'s peak FMA rate", 0.85, of_peak(ours, active, dtype), "%")
                if second:
                    add(f"{label}: >= 85 % of {second}'s peak FMA rate (forced to {second})", 0.85,
                        of_peak(row(**keys, library=f"simdkit {second}"), second, dtype), "%")
                want = 1.0 if metric == "dot" else 1.2
                add(f"{label}: >= {want}x NumPy's route", want, over(ours, row(**keys, library="numpy")))
    rows_a, rows_b = sizes["short_rows"]
    for d in sizes["short_d"]:
        for dtype in ("float32", "float64"):
            for metric in METRICS:
                keys = {"case": "short", "metric": metric, "dtype": dtype, "shape": shape_name((rows_a, rows_b, d))}
                add(f"cdist {metric} {SHORT[dtype]} {keys['shape']}: >= NumPy's route", 1.0,
                    over(row(**keys, library="simdkit"), row(**keys, library="numpy")))
    k = sizes["k"]
    for queries, rows, d in sizes["topk"]:
        shape = shape_name((queries, rows, d), k)
        want = 2.0 if queries >= 16 else 1.2
        for metric in FAISS_INDEX:
            keys = {"case": "topk", "metric": metric, "shape": shape}
            ours = row(**keys, library="simdkit")
            packed = row(**keys, library="simdkit packed")
            for library, name in (("faiss", f"FAISS {FAISS_INDEX[metric]}"), ("numpy", "NumPy matmul+argpartition")):
                add(f"topk {metric} f32 {shape}: >= {want}x {name}", want, over(ours, row(**keys, library=library)))
                add(f"topk {metric} f32 {shape}, X packed once: >= {want}x {name}", want,
                    over(packed, row(**keys, library=library)))
            if queries == 1:
                working_set = (queries + rows) * d * 4
                bandwidth = machine.bandwidth_at("read", working_set) if machine else None
                add(f"topk {metric} f32 {shape}: >= 80 % of the read bandwidth at "
                    f"{limits.format_bytes(working_set)}", 0.8,
                    working_set / ours["seconds"] / bandwidth if ours and bandwidth else None, "%")
    for dtype in NARROW_DTYPES:
        for form, shape in (("cdist", sizes["narrow_cdist"]), ("topk", sizes["narrow_topk"])):
            for metric in METRICS:
                keys = {"case": f"narrow {form}", "metric": metric, "dtype": dtype,
                        "shape": shape_name(shape, k if form == "topk" else None)}
                ours = row(**keys, library="simdkit")
                label = f"{form} {metric} {SHORT[dtype]} {keys['shape']}"
                add(f"{label}: >= 1.2x NumKong's fastest call (on an AMX CPU)", 1.2,
                    over(ours, row(**keys, library="numkong")), applies=amx)
                add(f"{label}: >= 4x simdkit on {AMX_CONTROL_TARGET} without AMX (on an AMX CPU)", 4.0,
                    over(ours, row(**keys, library=f"simdkit {AMX_CONTROL_TARGET} no AMX")), applies=amx)
    for case, shape in ([("threads cdist", shape_name(shape)) for shape in sizes["threads_cdist"]]
                        + [("threads topk", shape_name(sizes["threads_topk"], k))]):
        keys = {"case": case, "shape": shape}
        add(f"{case.split()[1]} dot f32 {shape}: threads=2 >= 1.8x threads=1 (wall time)", 1.8,
            over(row(**keys, library="simdkit threads=2"), row(**keys, library="simdkit threads=1")))
    return checks


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def format_seconds(seconds: float | None) -> str:
    return compare_distance.format_seconds(seconds)


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.0f} %" if unit == "%" else f"{value:.2f}×"


def print_limits(machine: limits.Limits | None, context: dict) -> dict:
    """The limits the checks use, printed and returned for the JSON."""
    if machine is None:
        print("\nlimits: no benchmark binary (--benchmark-binary): the checks against the peak FMA rate and the "
              "read bandwidth read n/a")
        return {}
    targets = [target for target in (context["active"], context["second"]) if target]
    print("\nlimits (one core, from the benchmark binary): " + "; ".join(
        f"{target} peak {machine.peak_flops.get('f32', {}).get(target, 0) / 1e9:.0f} Gflop/s f32, "
        f"{machine.peak_flops.get('f64', {}).get(target, 0) / 1e9:.0f} f64" for target in targets))
    print("read bandwidth: " + ", ".join(f"{limits.format_bytes(sample.working_set)} {sample.bytes_per_s / 1e9:.0f}"
                                         for sample in machine.bandwidths.get("read", [])) + " GB/s")
    return machine.to_json()


def print_checks(checks: list[dict], quick: bool) -> None:
    print("\n## Targets of issue 16" + (" (quick sizes: not the issue's shapes)" if quick else "") + "\n")
    print("| target | measured | want | status |")
    print("| :-- | --: | --: | :-- |")
    for check in checks:
        print(f"| {check['target']} | {format_value(check['value'], check['unit'])} | "
              f"{format_value(check['want'], check['unit'])} | {check['status']} |")
    counts = {status: sum(check["status"] == status for check in checks) for status in ("PASS", "MISS", "n/a")}
    print(f"\n{counts['PASS']} PASS, {counts['MISS']} MISS, {counts['n/a']} n/a")


def environment(context: dict) -> dict:
    info = {"cpu_model": simdkit.info()["cpu_model"], "cpu_count": os.cpu_count(), "amx": cpu_has_amx(),
            "simdkit": getattr(simdkit, "__version__", "?"), "simdkit_target": context.get("active"),
            "numpy": np.__version__, "numkong": compare_distance.optional_version("numkong"),
            "faiss": getattr(faiss, "__version__", None) if faiss else None,
            "blas_limit": BLAS_LIMIT_METHOD, "faiss_threads": "faiss.omp_set_num_threads(1)" if faiss else None}
    if HAVE_THREADPOOLCTL:
        info["blas"] = [{key: pool.get(key) for key in ("internal_api", "version", "num_threads", "filepath")}
                        for pool in threadpoolctl.threadpool_info() if pool.get("user_api") == "blas"]
    return info


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--_amx-control":
        if HAVE_THREADPOOLCTL:
            threadpoolctl.threadpool_limits(1, user_api="blas")
        print(json.dumps(amx_control_child(json.loads(sys.argv[2]), json.loads(sys.argv[3]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and short timings: seconds in all (for smoke tests)")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement and check to FILE")
    parser.add_argument("--benchmark-binary", type=Path, default=DEFAULT_BINARY,
                        help="simdkit_benchmarks, for the peak FMA rate and the read bandwidth (default: "
                             "$SIMDKIT_BENCHMARK_BINARY, else build/cmake/benchmarks/simdkit_benchmarks)")
    arguments = parser.parse_args()
    mode = "quick" if arguments.quick else "full"
    binary = arguments.benchmark_binary if arguments.benchmark_binary.is_file() else None

    started = time.monotonic()
    active, second = peak_targets()
    print(f"simdkit on {active} ({simdkit.info()['cpu_model']}), NumPy {np.__version__}, "
          f"NumKong {compare_distance.optional_version('numkong') or 'not installed'}, "
          f"FAISS {faiss.__version__ if faiss else 'not installed (pip install faiss-cpu)'}; "
          f"BLAS threads: {BLAS_LIMIT_METHOD}; mode: {mode}\n", flush=True)
    machine = measure_limits(binary, mode, [target for target in (active, second) if target])
    run = Run(mode)
    one_thread = (threadpoolctl.threadpool_limits(1, user_api="blas") if HAVE_THREADPOOLCTL
                  else contextlib.nullcontext())
    with one_thread:
        context = run_cases(run)
        info = environment(context)  # the thread counts in force while the cases ran
    limits_json = print_limits(machine, context)
    checks = target_checks(run, machine, context)
    print_checks(checks, arguments.quick)
    control = context["control"]
    for warning in control.get("warnings", []):
        run.problems.append(f"AMX control (SIMDKIT_TARGET={AMX_CONTROL_TARGET} SIMDKIT_DISABLE=AMX): {warning}")
    if run.problems:
        print("\n## Notes and problems\n")
        for problem in run.problems:
            print(f"  - {problem}")
    elapsed = time.monotonic() - started
    print(f"\n{mode} run: {elapsed:.0f} s")
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as out:
            json.dump({"mode": mode, "environment": info, "timing": TIMING[mode],
                       "limits": limits_json, "results": run.results, "targets": checks,
                       "amx_control": control, "problems": run.problems, "seconds": elapsed}, out, indent=1,
                      default=float)
        print(f"wrote {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
