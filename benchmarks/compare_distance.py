#!/usr/bin/env python3
"""Side-by-side benchmark of simdkit's distance family against SciPy, NumPy and NumKong.

    python3 benchmarks/compare_distance.py [--quick] [--json FILE] [--repeats N]

One run, the same inputs for every library, single-threaded throughout:
simdkit with threads=1, NumPy's BLAS limited to one thread (threadpoolctl
if installed, else OPENBLAS_NUM_THREADS=1 and friends set before NumPy is
imported; the output says which), SciPy and NumKong as they come (each row
records CPU time / wall time, which stays near 1 for a single thread).

Cases (full run; --quick shrinks every size so that the whole run takes a few
seconds, e.g. for a smoke test):
  * pair      one pair of float32 vectors, d in {4, 128, 768, 1536}:
              simdkit.distance vs NumKong's per-pair function vs NumPy
              (numpy.dot; the dot-based formula for cosine and sqeuclidean)
              vs SciPy's per-pair function; calls per second.
  * cdist     float32, 1 x 10^5 and 1000 x 1000 rows of d in {4, 128, 768,
              1536}: simdkit.cdist vs scipy.spatial.distance.cdist vs NumPy's
              matmul formulation (A @ B.T with row norms) vs numkong.cdist.
  * topk      1000 queries x 10^5 rows, d = 128, k = 10: simdkit.topk vs NumPy
              (matmul, argpartition, sort of the k); time and peak memory
              (peak RSS growth of a fresh process, which sees C++ allocations
              too; tracemalloc where /proc/self/clear_refs is unavailable).
  * pdist     float32 and float64, 2000 x 768, every metric SciPy's pdist
              shares with simdkit: simdkit.pdist vs scipy.spatial.distance.pdist
              vs simdkit's own cdist(X, X) vs NumKong's *_symmetric.
  * dtypes    simdkit.cdist 1000 x 1000 x 768 (cosine, dot) in bfloat16,
              float16, int8 and uint8 against simdkit's own float32; NumKong on
              the same inputs for context.
NumKong's cdist is called with its native output dtype (numkong_cdist), the
only one it has a fast kernel for.

Then the targets from the issue, each marked PASS or MISS:
  cdist cosine f32 1000x1000 d=768: >= 10x SciPy, >= 1x NumKong, within 1.5x
  of NumPy matmul; distance f32 d=128 calls/s: >= 1x NumKong, >= 3x numpy.dot;
  topk: within 2x of NumPy's time, <= 1/50 of its peak memory; bfloat16 and
  int8 cdist >= 2x our float32; pdist (issue 20) >= 10x SciPy's pdist and
  >= 1.8x our cdist(X, X).

Needs NumPy and simdkit; SciPy, NumKong (pip install numkong), ml_dtypes and
threadpoolctl are used when installed and reported as missing otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from typing import Callable

# NumPy's BLAS reads its thread count when it is loaded: without threadpoolctl
# to limit it at run time, the environment must say so before the import.
try:
    HAVE_THREADPOOLCTL = importlib.util.find_spec("threadpoolctl") is not None
except (ImportError, ValueError):
    HAVE_THREADPOOLCTL = False
if not HAVE_THREADPOOLCTL:
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_variable] = "1"
BLAS_LIMIT_METHOD = ("threadpoolctl.threadpool_limits(1, user_api='blas')" if HAVE_THREADPOOLCTL
                     else "OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1 set before importing NumPy "
                          "(threadpoolctl not installed)")

import numpy as np  # noqa: E402

import simdkit  # noqa: E402


def optional_import(name: str):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


scipy_distance = optional_import("scipy.spatial.distance")
numkong = optional_import("numkong")
ml_dtypes = optional_import("ml_dtypes")
if HAVE_THREADPOOLCTL:
    import threadpoolctl

METRICS = ("cosine", "sqeuclidean", "dot")
NUMKONG_METRIC = {"cosine": "angular", "sqeuclidean": "sqeuclidean", "euclidean": "euclidean", "dot": "dot"}
LIBRARIES = ("simdkit", "numkong", "numpy", "scipy", "cdist(X,X)")
# pdist: every metric simdkit shares with SciPy's pdist.
PDIST_METRICS = ("cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard")
# NumKong's symmetric all-pairs functions (its square matrix, upper
# triangle filled): what it offers for pdist; sqeuclidean as its euclidean
# squared.
NUMKONG_SYMMETRIC = {"dot": "dots_symmetric", "cosine": "angulars_symmetric",
                     "euclidean": "euclideans_symmetric", "sqeuclidean": "euclideans_symmetric"}

SIZES = {
    "full": {"pair_d": (4, 128, 768, 1536), "cdist_d": (4, 128, 768, 1536),
             "cdist_shapes": ((1, 100_000), (1000, 1000)), "topk": (1000, 100_000, 128, 10),
             "dtype_shape": (1000, 1000, 768), "headline_d": 768, "pair_headline_d": 128,
             "pdist_shape": (2000, 768)},
    "quick": {"pair_d": (4, 128), "cdist_d": (4, 128), "cdist_shapes": ((1, 2000), (64, 64)),
              "topk": (16, 4000, 32, 10), "dtype_shape": (64, 64, 128), "headline_d": 128,
              "pair_headline_d": 128, "pdist_shape": (100, 64)},
}
TIMING = {"full": {"repeats": 5, "min_time": 0.1, "budget": 3.0},
          "quick": {"repeats": 3, "min_time": 0.005, "budget": 0.2}}


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
def measure(call: Callable[[], object], repeats: int, min_time: float, budget: float) -> dict:
    """Best of `repeats` repeats (fewer once `budget` seconds are spent), each
    of enough calls to last `min_time`. Returns seconds per call and the CPU
    time / wall time of the best repeat (about 1 for a single thread)."""
    call()  # warm-up: first-call costs, page faults of fresh outputs
    number = 1
    while True:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            call()
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
        if wall >= min_time or number >= 1 << 24:
            break
        number *= 10 if wall < min_time / 10 else 2
    best_wall, best_cpu, spent, done = wall, cpu, wall, 1
    while done < repeats and spent < budget:
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            call()
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
        spent += wall
        done += 1
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    return {"seconds": best_wall / number, "cpu_per_wall": best_cpu / best_wall if best_wall > 0 else 1.0,
            "calls_per_repeat": number, "repeats": done}


# ---------------------------------------------------------------------------
# The contenders
# ---------------------------------------------------------------------------
def numpy_pair(metric: str, a: np.ndarray, b: np.ndarray):
    if metric == "dot":
        return np.dot(a, b)
    if metric == "cosine":
        return 1.0 - np.dot(a, b) / (np.sqrt(np.dot(a, a)) * np.sqrt(np.dot(b, b)))
    d = a - b
    return np.dot(d, d)


def numpy_cdist(metric: str, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """The matmul formulation: one GEMM plus row norms."""
    S = A @ B.T
    if metric == "dot":
        return S
    if metric == "cosine":
        S /= np.linalg.norm(A, axis=1)[:, None]
        S /= np.linalg.norm(B, axis=1)[None, :]
        np.subtract(1, S, out=S)
        return np.clip(S, 0, 2, out=S)
    S *= -2
    S += np.einsum("ij,ij->i", A, A)[:, None]
    S += np.einsum("ij,ij->i", B, B)[None, :]
    return np.maximum(S, 0, out=S)


def numpy_topk(metric: str, Q: np.ndarray, X: np.ndarray, k: int):
    """Every distance (matmul), argpartition for the k best, then sort them."""
    return topk_of_matrix(numpy_cdist(metric, Q, X), k, largest=metric == "dot")


def topk_of_matrix(D: np.ndarray, k: int, largest: bool):
    """The k best columns of each row of the distance matrix D, best first:
    (indices, values), the values negated when `largest` (D is overwritten;
    unsigned D is reflected, max - D, as negating would wrap)."""
    if largest:
        if D.dtype.kind == "u":
            np.subtract(np.iinfo(D.dtype).max, D, out=D)
        else:
            np.negative(D, out=D)
    part = np.argpartition(D, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(D, part, axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(values, order, axis=1)


# NumKong's cdist is fast only when out_dtype is its kernel's native output;
# any other takes a per-pair loop (measured on an Emerald Rapids: bfloat16
# dot 537 Gflop/s into float32, 29 into float64; int8 dot 1045 into int32, 46
# into float32). Native: float64 for float64 and float32 input, float32 for
# the half formats and for int8/uint8 angular and euclidean, int32 / uint32
# for int8 / uint8 dot.
NUMKONG_NATIVE_OUT = {"float64": "float64", "float32": "float64", "float16": "float32", "bfloat16": "float32",
                      "int8": "float32", "uint8": "float32"}
NUMKONG_NATIVE_DOT_OUT = {"int8": "int32", "uint8": "uint32"}


def numkong_cdist(metric: str, A: np.ndarray, B: np.ndarray) -> tuple[str, Callable[[], object]]:
    """NumKong's fastest cdist of A and B, one thread: its native output
    dtype, and for sqeuclidean (which has no fast kernel) its euclidean
    squared in place. Returns (expression, call)."""
    dtype = A.dtype.name
    out_dtype = (NUMKONG_NATIVE_DOT_OUT.get(dtype, NUMKONG_NATIVE_OUT[dtype]) if metric == "dot"
                 else NUMKONG_NATIVE_OUT[dtype])
    if metric == "sqeuclidean":
        def squared_euclidean():
            D = np.asarray(numkong.cdist(A, B, metric="euclidean", out_dtype=out_dtype, threads=1))
            return np.square(D, out=D)
        return f"numkong.cdist(A, B, 'euclidean', out_dtype='{out_dtype}') squared", squared_euclidean
    name = NUMKONG_METRIC[metric]
    return (f"numkong.cdist(A, B, '{name}', out_dtype='{out_dtype}')",
            lambda: numkong.cdist(A, B, metric=name, out_dtype=out_dtype, threads=1))


def numkong_symmetric(metric: str, X: np.ndarray) -> tuple[str, Callable[[], object]] | None:
    """NumKong's symmetric all-pairs call of the metric (one thread: it has
    no threads argument), or None."""
    name = NUMKONG_SYMMETRIC.get(metric)
    if numkong is None or name is None:
        return None
    function = getattr(numkong, name)
    if metric == "sqeuclidean":
        def squared():
            D = np.asarray(function(X))
            with np.errstate(over="ignore", invalid="ignore"):  # the lower triangle is not filled
                return np.square(D, out=D)
        return f"numkong.{name}(X) squared", squared
    return f"numkong.{name}(X)", lambda: function(X)


def pdist_calls(metric: str, X: np.ndarray) -> tuple[dict[str, Callable[[], object]],
                                                      dict[str, Callable[[], object]]]:
    """simdkit.pdist, SciPy's pdist, simdkit's own cdist(X, X) and NumKong's
    symmetric function, one thread each; and each one's condensed result,
    for check_agreement."""
    upper = np.triu_indices(len(X), 1)
    calls = {"simdkit": lambda: simdkit.pdist(X, metric, threads=1),
             "cdist(X,X)": lambda: simdkit.cdist(X, X, metric, threads=1)}
    if scipy_distance is not None:
        calls["scipy"] = lambda: scipy_distance.pdist(X, metric)
    theirs = numkong_symmetric(metric, X)
    if theirs is not None:
        calls["numkong"] = theirs[1]
    squares = ("cdist(X,X)", "numkong")
    condensed = {name: (lambda c=call: np.asarray(c())[upper]) if name in squares else call
                 for name, call in calls.items()}
    return calls, condensed


def pair_calls(metric: str, a: np.ndarray, b: np.ndarray) -> dict[str, Callable[[], object]]:
    calls = {"simdkit": lambda: simdkit.distance(a, b, metric),
             "numpy": lambda: numpy_pair(metric, a, b)}
    if numkong is not None:
        function = getattr(numkong, NUMKONG_METRIC[metric])
        calls["numkong"] = lambda: function(a, b)
    if scipy_distance is not None and metric != "dot":
        function = getattr(scipy_distance, metric)
        calls["scipy"] = lambda: function(a, b)
    return calls


def cdist_calls(metric: str, A: np.ndarray, B: np.ndarray) -> dict[str, Callable[[], object]]:
    calls = {"simdkit": lambda: simdkit.cdist(A, B, metric, threads=1),
             "numpy": lambda: numpy_cdist(metric, A, B)}
    if numkong is not None:
        calls["numkong"] = numkong_cdist(metric, A, B)[1]
    if scipy_distance is not None and metric != "dot":
        calls["scipy"] = lambda: scipy_distance.cdist(A, B, metric)
    return calls


def check_agreement(label: str, calls: dict[str, Callable[[], object]], tolerance: float) -> list[str]:
    """Every library must compute the same thing before its time means
    anything: compare each result with simdkit's."""
    reference = np.asarray(calls["simdkit"](), dtype=np.float64)
    problems = []
    for name, call in calls.items():
        if name == "simdkit":
            continue
        result = np.asarray(call(), dtype=np.float64).reshape(reference.shape)
        if not np.allclose(result, reference, rtol=tolerance, atol=tolerance * max(1.0, float(np.abs(reference).max(initial=0)))):
            problems.append(f"{label}: {name} disagrees with simdkit (max |diff| "
                            f"{float(np.max(np.abs(result - reference))):.3g})")
    return problems


# ---------------------------------------------------------------------------
# Peak memory of topk, in a fresh process
# ---------------------------------------------------------------------------
def topk_inputs(shape: tuple[int, int, int, int], dtype=np.float32):
    queries, rows, d, _ = shape
    rng = np.random.default_rng(0x70CC)
    return (rng.standard_normal((queries, d), dtype=np.float32).astype(dtype),
            rng.standard_normal((rows, d), dtype=np.float32).astype(dtype))


def proc_status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def memory_child(library: str, metric: str, shape: tuple[int, int, int, int]) -> dict:
    """Runs in the child: inputs first, then the peak RSS is reset and one
    topk call measured. tracemalloc (NumPy's allocations only) when the
    kernel does not let a process reset its peak."""
    Q, X = topk_inputs(shape)
    k = shape[3]
    run = ((lambda: simdkit.topk(Q, X, k, metric, threads=1)) if library == "simdkit"
           else (lambda: numpy_topk(metric, Q, X, k)))
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS
        before = proc_status_kib("VmRSS")
        run()
        return {"method": "peak RSS growth (VmHWM after - VmRSS before)",
                "bytes": (proc_status_kib("VmHWM") - before) * 1024}
    except OSError:
        import tracemalloc
        tracemalloc.start()
        run()
        _, peak = tracemalloc.get_traced_memory()
        return {"method": "tracemalloc peak (NumPy allocations only; not simdkit's C++ buffers)",
                "bytes": peak}


def topk_peak_memory(library: str, metric: str, shape: tuple[int, int, int, int]) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--_memory-child",
               json.dumps([library, metric, list(shape)])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"method": "failed", "bytes": None, "error": done.stderr.strip()[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------
def run_cases(mode: str, repeats: int | None) -> tuple[list[dict], list[str]]:
    sizes, timing = SIZES[mode], dict(TIMING[mode])
    if repeats:
        timing["repeats"] = repeats
    rng = np.random.default_rng(0x5EED)
    results: list[dict] = []
    problems: list[str] = []

    def record(case: str, metric: str, dtype: str, shape: str, library: str, call, **extra):
        print(f"  {case:<6} {metric:<12} {dtype:<9} {shape:<18} {library:<8}", end="", flush=True)
        timed = measure(call, **timing)
        print(f" {format_seconds(timed['seconds']):>10}  cpu/wall {timed['cpu_per_wall']:.2f}", flush=True)
        results.append({"case": case, "metric": metric, "dtype": dtype, "shape": shape,
                        "library": library, **timed, **extra})

    print("pair: one pair of float32 vectors")
    for d in sizes["pair_d"]:
        a, b = (rng.standard_normal(d, dtype=np.float32) for _ in range(2))
        for metric in METRICS:
            calls = pair_calls(metric, a, b)
            problems += check_agreement(f"pair {metric} d={d}", calls, 1e-4)
            for library, call in calls.items():
                record("pair", metric, "float32", f"1x1x{d}", library, call)

    print("cdist: float32, one thread")
    for rows_a, rows_b in sizes["cdist_shapes"]:
        for d in sizes["cdist_d"]:
            A = rng.standard_normal((rows_a, d), dtype=np.float32)
            B = rng.standard_normal((rows_b, d), dtype=np.float32)
            for metric in METRICS:
                calls = cdist_calls(metric, A, B)
                problems += check_agreement(f"cdist {metric} {rows_a}x{rows_b}x{d}", calls, 1e-3)
                for library, call in calls.items():
                    record("cdist", metric, "float32", f"{rows_a}x{rows_b}x{d}", library, call)

    print("pdist: float32 and float64, one thread, beside simdkit's own cdist(X, X)")
    rows, d = sizes["pdist_shape"]
    for dtype in (np.float32, np.float64):
        normal = rng.standard_normal((rows, d)).astype(dtype)
        small_integers = rng.integers(-1, 2, (rows, d)).astype(dtype)  # hamming, jaccard: ties
        for metric in PDIST_METRICS:
            X = small_integers if metric in ("hamming", "jaccard") else normal
            calls, condensed = pdist_calls(metric, X)
            label = f"pdist {metric} {np.dtype(dtype).name} {rows}x{d}"
            problems += check_agreement(label, condensed, 1e-4)
            for library, call in calls.items():
                record("pdist", metric, np.dtype(dtype).name, f"{rows}x{d}", library, call)
        del normal, small_integers

    print("topk: float32, one thread; peak memory in a fresh process")
    topk_shape = sizes["topk"]
    Q, X = topk_inputs(topk_shape)
    k = topk_shape[3]
    shape_name = f"{topk_shape[0]}x{topk_shape[1]}x{topk_shape[2]} k={k}"
    for metric in ("cosine", "sqeuclidean"):
        got_indices, _ = simdkit.topk(Q, X, k, metric, threads=1)
        want_indices, _ = numpy_topk(metric, Q, X, k)
        agreeing = float(np.mean([len(set(g) & set(w)) / k for g, w in zip(got_indices, want_indices)]))
        if agreeing < 0.99:
            problems.append(f"topk {metric}: only {agreeing:.1%} of NumPy's neighbours found")
        for library, call in (("simdkit", lambda: simdkit.topk(Q, X, k, metric, threads=1)),
                              ("numpy", lambda: numpy_topk(metric, Q, X, k))):
            memory = topk_peak_memory(library, metric, topk_shape)
            record("topk", metric, "float32", shape_name, library, call,
                   peak_bytes=memory["bytes"], memory_method=memory["method"])
    del Q, X

    print("dtypes: cdist, one thread, against simdkit's own float32")
    rows_a, rows_b, d = sizes["dtype_shape"]
    A32 = rng.standard_normal((rows_a, d), dtype=np.float32)
    B32 = rng.standard_normal((rows_b, d), dtype=np.float32)
    inputs = {"float32": (A32, B32, None), "float16": (A32.astype(np.float16), B32.astype(np.float16), None),
              "int8": (np.clip(np.rint(A32 * 40), -128, 127).astype(np.int8),
                       np.clip(np.rint(B32 * 40), -128, 127).astype(np.int8), None),
              "uint8": (np.clip(np.rint(np.abs(A32) * 80), 0, 255).astype(np.uint8),
                        np.clip(np.rint(np.abs(B32) * 80), 0, 255).astype(np.uint8), None)}
    if ml_dtypes is not None:
        inputs["bfloat16"] = (A32.astype(ml_dtypes.bfloat16), B32.astype(ml_dtypes.bfloat16), None)
    else:  # bfloat16 bit patterns (truncated) as uint16
        inputs["bfloat16"] = ((A32.view(np.uint32) >> 16).astype(np.uint16),
                              (B32.view(np.uint32) >> 16).astype(np.uint16), "bfloat16")
    for metric in ("cosine", "dot"):
        for dtype_name, (A, B, dtype_argument) in inputs.items():
            shape = f"{rows_a}x{rows_b}x{d}"
            record("dtypes", metric, dtype_name, shape, "simdkit",
                   lambda: simdkit.cdist(A, B, metric, dtype=dtype_argument, threads=1))
            if numkong is not None and dtype_argument is None:
                call = numkong_cdist(metric, A, B)[1]
                try:
                    call()
                except Exception as error:  # a dtype NumKong does not take
                    problems.append(f"numkong cdist {metric} {dtype_name}: {error}")
                    continue
                record("dtypes", metric, dtype_name, shape, "numkong", call)
    return results, problems


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_bytes(count: int | None) -> str:
    if count is None:
        return "-"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} B"


def lookup(results: list[dict], **keys) -> dict | None:
    for row in results:
        if all(row.get(key) == value for key, value in keys.items()):
            return row
    return None


def print_table(results: list[dict]) -> None:
    """One line per (case, metric, dtype, shape): each library's time per
    call, and how many times faster simdkit is (library time / simdkit time)."""
    print("\n## Results (time per call; xN = that library's time / simdkit's)\n")
    header = f"{'case':<6} {'metric':<12} {'dtype':<9} {'shape':<22}" + "".join(
        f" {library:>20}" for library in LIBRARIES)
    print(header)
    print("-" * len(header))
    seen = []
    for row in results:
        key = (row["case"], row["metric"], row["dtype"], row["shape"])
        if key not in seen:
            seen.append(key)
    for case, metric, dtype, shape in seen:
        ours = lookup(results, case=case, metric=metric, dtype=dtype, shape=shape, library="simdkit")
        cells = []
        for library in LIBRARIES:
            row = lookup(results, case=case, metric=metric, dtype=dtype, shape=shape, library=library)
            if row is None:
                cells.append(f" {'-':>20}")
                continue
            text = format_seconds(row["seconds"])
            if case == "pair":
                text = f"{1 / row['seconds'] / 1e6:.3g}M/s"
            if library != "simdkit" and ours:
                text += f" x{row['seconds'] / ours['seconds']:.2f}"
            if row["cpu_per_wall"] > 1.3:
                text += "!"  # more than one thread was busy
            cells.append(f" {text:>20}")
        print(f"{case:<6} {metric:<12} {dtype:<9} {shape:<22}" + "".join(cells))
    print("\npair: calls per second. '!': CPU time / wall time above 1.3 (several threads).")
    topk_rows = [row for row in results if row["case"] == "topk"]
    if topk_rows:
        print("\ntopk peak memory:")
        for row in topk_rows:
            print(f"  {row['metric']:<12} {row['library']:<8} {format_bytes(row.get('peak_bytes')):>10}"
                  f"   ({row.get('memory_method')})")


def target_checks(results: list[dict], mode: str) -> list[dict]:
    """The issue's targets; `ratio` is how many times better simdkit is than
    the other side, `want` the minimum."""
    sizes = SIZES[mode]
    d = sizes["headline_d"]
    big_a, big_b = sizes["cdist_shapes"][-1]
    cdist_shape = f"{big_a}x{big_b}x{d}"
    pair_shape = f"1x1x{sizes['pair_headline_d']}"
    topk = sizes["topk"]
    topk_shape = f"{topk[0]}x{topk[1]}x{topk[2]} k={topk[3]}"
    checks = []

    def ratio_check(name: str, want: float, ours: dict | None, theirs: dict | None, memory: bool = False):
        if ours is None or theirs is None:
            checks.append({"target": name, "want": want, "ratio": None, "status": "n/a"})
            return
        if memory:
            if not ours.get("peak_bytes") or not theirs.get("peak_bytes"):
                checks.append({"target": name, "want": want, "ratio": None, "status": "n/a"})
                return
            ratio = theirs["peak_bytes"] / ours["peak_bytes"]
        else:
            ratio = theirs["seconds"] / ours["seconds"]
        checks.append({"target": name, "want": want, "ratio": ratio,
                       "status": "PASS" if ratio >= want else "MISS"})

    def row(**keys):
        return lookup(results, **keys)

    for library, want, label in (("scipy", 10.0, ">= 10x SciPy"), ("numkong", 1.0, ">= 1x NumKong"),
                                 ("numpy", 1 / 1.5, "within 1.5x of NumPy matmul")):
        ratio_check(f"cdist cosine f32 {cdist_shape}, 1 thread: {label}", want,
                    row(case="cdist", metric="cosine", shape=cdist_shape, library="simdkit"),
                    row(case="cdist", metric="cosine", shape=cdist_shape, library=library))
    ratio_check(f"distance f32 d={sizes['pair_headline_d']} calls/s: >= 1x NumKong (dot)", 1.0,
                row(case="pair", metric="dot", shape=pair_shape, library="simdkit"),
                row(case="pair", metric="dot", shape=pair_shape, library="numkong"))
    ratio_check(f"distance f32 d={sizes['pair_headline_d']} calls/s: >= 3x numpy.dot", 3.0,
                row(case="pair", metric="dot", shape=pair_shape, library="simdkit"),
                row(case="pair", metric="dot", shape=pair_shape, library="numpy"))
    for metric in ("cosine", "sqeuclidean"):
        ours = row(case="topk", metric=metric, library="simdkit")
        theirs = row(case="topk", metric=metric, library="numpy")
        ratio_check(f"topk {metric} {topk_shape}: within 2x of NumPy matmul+argpartition", 0.5, ours, theirs)
        ratio_check(f"topk {metric} {topk_shape}: <= 1/50 of NumPy's peak memory", 50.0, ours, theirs,
                    memory=True)
    pdist_shape = "x".join(str(size) for size in sizes["pdist_shape"])
    for dtype in ("float32", "float64"):
        for metric in PDIST_METRICS:
            ours = row(case="pdist", metric=metric, dtype=dtype, library="simdkit")
            ratio_check(f"pdist {metric} {dtype} {pdist_shape}: >= 10x SciPy", 10.0, ours,
                        row(case="pdist", metric=metric, dtype=dtype, library="scipy"))
            ratio_check(f"pdist {metric} {dtype} {pdist_shape}: >= 1.8x our cdist(X, X)", 1.8, ours,
                        row(case="pdist", metric=metric, dtype=dtype, library="cdist(X,X)"))
    dtype_shape = "x".join(str(size) for size in sizes["dtype_shape"])
    for dtype in ("bfloat16", "int8"):
        for metric in ("cosine", "dot"):
            ratio_check(f"cdist {metric} {dtype} {dtype_shape}: >= 2x our float32", 2.0,
                        row(case="dtypes", metric=metric, dtype=dtype, library="simdkit"),
                        row(case="dtypes", metric=metric, dtype="float32", library="simdkit"))
    return checks


def environment() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "numpy": np.__version__,
            "scipy": optional_version("scipy"), "numkong": optional_version("numkong"),
            "ml_dtypes": optional_version("ml_dtypes"), "simdkit": getattr(simdkit, "__version__", "?"),
            "simdkit_target": simdkit.targets()["active"], "blas_limit": BLAS_LIMIT_METHOD,
            "openblas_env": {name: os.environ.get(name) for name in
                             ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    try:
        info["cpu_model"] = simdkit.info()["cpu_model"]
    except Exception:  # older builds without info(), or another layout
        info["cpu_model"] = platform.processor()
    if HAVE_THREADPOOLCTL:
        info["blas"] = [{key: pool.get(key) for key in ("internal_api", "version", "num_threads",
                                                       "threading_layer", "architecture")}
                        for pool in threadpoolctl.threadpool_info() if pool.get("user_api") == "blas"]
    return info


def optional_version(name: str) -> str | None:
    module = sys.modules.get(name) or optional_import(name)
    return getattr(module, "__version__", "installed") if module is not None else None


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--_memory-child":
        library, metric, shape = json.loads(sys.argv[2])
        limit = threadpoolctl.threadpool_limits(1, user_api="blas") if HAVE_THREADPOOLCTL else None
        print(json.dumps(memory_child(library, metric, tuple(shape))))
        del limit
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and short timings: a few seconds in all (for smoke tests)")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    parser.add_argument("--repeats", type=int, help="best of N repeats (default 5, --quick 3)")
    arguments = parser.parse_args()
    mode = "quick" if arguments.quick else "full"

    info = environment()
    print(f"simdkit {info['simdkit']} on {info['simdkit_target']} ({info['cpu_model']}), "
          f"NumPy {info['numpy']}, SciPy {info['scipy'] or 'not installed'}, "
          f"NumKong {info['numkong'] or 'not installed (pip install numkong)'}")
    print(f"NumPy BLAS threads: {BLAS_LIMIT_METHOD}")
    for pool in info.get("blas", []):
        print(f"  {pool['internal_api']} {pool['version']} ({pool.get('architecture')}), "
              f"{pool['num_threads']} thread(s) by default")
    if info["openblas_env"].get("OPENBLAS_CORETYPE"):
        print(f"  note: OPENBLAS_CORETYPE={info['openblas_env']['OPENBLAS_CORETYPE']} is set, which can "
              "slow NumPy's BLAS")
    print(f"mode: {mode}\n")

    if HAVE_THREADPOOLCTL:
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            results, problems = run_cases(mode, arguments.repeats)
    else:
        results, problems = run_cases(mode, arguments.repeats)

    print_table(results)
    checks = target_checks(results, mode)
    print("\n## Targets" + (" (quick sizes: not the issue's shapes)" if arguments.quick else "") + "\n")
    for check in checks:
        ratio = "-" if check["ratio"] is None else f"{check['ratio']:.2f}x"
        print(f"  {check['status']:<5} {check['target']}: {ratio} (want >= {check['want']:.2f}x)")
    if problems:
        print("\n## Problems\n")
        for problem in problems:
            print(f"  - {problem}")
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as out:
            json.dump({"mode": mode, "environment": info, "timing": TIMING[mode], "results": results,
                       "targets": checks, "problems": problems}, out, indent=2)
        print(f"\nwrote {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
