"""The cost of the boundary (issue 17): nanoseconds per call of every public
simdkit function on small inputs, beside the floor of a Python call, NumKong
where it has the function and NumPy/SciPy, all measured in one run.

The floor is simdkit_boundary_floor (benchmarks/boundary_floor.c, built with
the benchmarks, beside simdkit_benchmarks): two bare METH_FASTCALL functions
that take one ndarray and return a numpy.float32 (`scalar`) or a new
1-element array (`array`), which is the least any such call can cost. A
simdkit function is held to the floor that returns what it returns, and
issue 17's goal is every small call within FLOOR_GOAL of it.

Inputs, float32, n = 1, 16 and 128 (BOUNDARY_SIZES):
  * vectors of n: the reductions, dot and distance (two vectors), the
    elementwise functions, the float16/bfloat16 conversions;
  * n rows of ROW_LENGTH: the row kernels (softmax, log_softmax, normalize,
    logsumexp), quantize_int8/dequantize_int8, pack, and paired (n pairs of
    rows);
  * one query of ROW_LENGTH against n rows of it: cdist (1 x n distances)
    and topk (k = 1): the shape of a single lookup, where the call is most
    of the cost.
Each function is called as a user calls it, positionally, on its plain
result (the elementwise functions without out=, cdist/topk without
threads=, which is one thread at these sizes).

The NumPy/SciPy expressions are the report's (perfreport.cases, which takes
them from compare_*.py) on the same arrays; only the elementwise functions
(cases.py times them with out=) and paired and pack (which have no C++ row)
are built here. NumKong: its function for the same operation where it has
one, at its native output dtype.

Timing: the candidates of one call (simdkit, its floor, NumKong, NumPy/SciPy)
take turns, round after round (the machine is shared and noisy: each sees
the same moments), a fixed number of calls per sample (enough for one
sample to last `sample_seconds`), and the best round counts. Each call is
written out in a timeit statement over local names (`function(a0, a1)`),
never through a lambda, which would add about 20 ns: a third of the
smallest calls. The NumPy/SciPy expressions are timed through the report's
lambdas (a few percent of their microseconds). Time is the CPU time of the
calling thread, as everywhere in the report.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import sys
import time
import timeit
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, Mapping

import numpy as np

import compare_distance
import compare_math
import simdkit

from . import cases
from .machine import machine_info
from .timing import Progress, blas_one_thread

FLOOR_MODULE = "simdkit_boundary_floor"
REPO_ROOT = Path(__file__).resolve().parents[2]
# Where scripts/main.sh and scripts/test.sh build the benchmarks.
DEFAULT_FLOOR_DIR = REPO_ROOT / "build" / "cmake" / "benchmarks"
FLOOR_HINT = ("it is built with the benchmarks, beside simdkit_benchmarks: scripts/main.sh builds both into "
              "build/cmake/benchmarks/; alone: cmake -S . -B build/cmake -G Ninja -DCMAKE_BUILD_TYPE=Release "
              "-DSIMDKIT_BUILD_BENCHMARKS=ON && ninja -C build/cmake simdkit_boundary_floor")
# Issue 17's goal: every entry point's small call within this factor of the floor.
FLOOR_GOAL = 1.6
BOUNDARY_SIZES = (1, 16, 128)
QUICK_SIZES = (16,)
ROW_LENGTH = 16
DISTANCE_METRICS = ("dot", "cosine")
BATCH_METRIC = "cosine"    # cdist and topk
TIMING = {
    # 43 calls x 3 sizes x ~3.5 candidates x (calibration + rounds): about a minute.
    "full": {"sample_seconds": 0.005, "rounds": 15},
    "quick": {"sample_seconds": 0.0003, "rounds": 2},
}
CONTENDERS = ("simdkit", "floor", "numkong", "reference")


class FloorNotFound(RuntimeError):
    """The floor module is not built where it was looked for."""


@dataclass(frozen=True)
class Call:
    """One call, `function(*args, **kwargs)`, and how the table writes it."""
    expression: str
    function: Callable[..., object]
    args: tuple = ()
    kwargs: Mapping[str, object] = field(default_factory=dict)

    def __call__(self) -> object:
        return self.function(*self.args, **self.kwargs)

    def timer(self, clock: Callable[[], float]) -> timeit.Timer:
        """A timeit.Timer whose loop body is the call itself over local names
        (bound in the setup, so each is one LOAD_FAST): no wrapper is timed."""
        names = {"_function": self.function}
        setup = ["function = _function"]
        arguments = []
        for index, value in enumerate(self.args):
            names[f"_a{index}"] = value
            setup.append(f"a{index} = _a{index}")
            arguments.append(f"a{index}")
        for key, value in self.kwargs.items():
            names[f"_k_{key}"] = value
            setup.append(f"k_{key} = _k_{key}")
            arguments.append(f"{key}=k_{key}")
        return timeit.Timer(f"function({', '.join(arguments)})", "; ".join(setup), timer=clock, globals=names)


@dataclass
class BoundaryCase:
    """One public function at one size, and what it is timed against."""
    function: str                  # the public name: the coverage of every public function counts these
    kernel: str                    # the row's label: 'sum', 'distance cosine', 'cdist cosine'
    inputs: str                    # the arguments' shapes, as the table states them
    simdkit: Call
    reference: Call | None         # NumPy/SciPy
    numkong: Call | None
    cpp: tuple[str, str, str, str] | None = None  # the C++ benchmark row of the same work, if there is one


# ---------------------------------------------------------------------------
# The cases: one builder per public function
# ---------------------------------------------------------------------------
# A public function's cases at one n (distance has one per metric), on arrays
# from one cases.Inputs, shared with cases.py's builders.
Builder = Callable[[int, cases.Inputs], list[BoundaryCase]]


def reference_of(case: cases.Case | None) -> Call | None:
    """The report's own NumPy/SciPy expression for a C++ row (cases.py)."""
    if case is None or case.reference is None:
        return None
    expression, call = case.reference
    return Call(expression, call)


def numkong_call(expression: str, name: str, *args: object, **kwargs: object) -> Call | None:
    """numkong.<name>(*args, **kwargs), or None without NumKong."""
    if cases.numkong is None:
        return None
    return Call(expression, getattr(cases.numkong, name), args, kwargs)


def vectors(count: int, n: int) -> str:
    return f"{'a, b' if count == 2 else 'x'}: ({n},)"


def rows_of(n: int) -> str:
    return f"({n}, {ROW_LENGTH})"


def reduction(name: str) -> Builder:
    def build(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
        arity, _, _, numkong_name = cases.REDUCE[name]
        arrays = tuple(inputs.get("f32", (n,), operand) for operand in range(arity))
        names = "a, b" if arity == 2 else "x"
        return [BoundaryCase(name, name, vectors(arity, n),
                             Call(f"simdkit.{name}({names})", getattr(simdkit, name), arrays),
                             reference_of(cases.build("reduce", name, "f32", str(n), inputs)),
                             numkong_call(f"numkong.{numkong_name}({names})", numkong_name, *arrays),
                             ("reduce", name, "f32", str(n)))]
    return build


def distance(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    a, b = inputs.get("f32", (n,), 0), inputs.get("f32", (n,), 1)
    result = []
    for metric in DISTANCE_METRICS:
        kernel = f"distance {metric}"
        numkong_name = cases.NUMKONG_METRIC[metric]
        result.append(BoundaryCase("distance", kernel, vectors(2, n),
                                   Call(f"simdkit.distance(a, b, '{metric}')", simdkit.distance, (a, b, metric)),
                                   reference_of(cases.build("distance", kernel, "f32", str(n), inputs)),
                                   numkong_call(f"numkong.{numkong_name}(a, b)", numkong_name, a, b),
                                   ("distance", kernel, "f32", str(n))))
    return result


def paired(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    """n pairs of rows, dot: NumPy's row-wise dot is one einsum, and NumKong's
    dot takes two matrices row by row."""
    A, B = inputs.get("f32", (n, ROW_LENGTH), 0), inputs.get("f32", (n, ROW_LENGTH), 1)
    return [BoundaryCase("paired", "paired dot", f"A, B: {rows_of(n)}",
                         Call("simdkit.paired(A, B, 'dot')", simdkit.paired, (A, B, "dot")),
                         Call("numpy.einsum('ij,ij->i', A, B)", np.einsum, ("ij,ij->i", A, B)),
                         numkong_call("numkong.dot(A, B)", "dot", A, B))]


def cdist(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    """NumKong's cdist at its native output dtype, one thread, as
    compare_distance.numkong_cdist calls it (here without a lambda)."""
    kernel, size = f"cdist {BATCH_METRIC}", f"1x{n}x{ROW_LENGTH}"
    reference = reference_of(cases.build("distance", kernel, "f32", size, inputs))
    A, B = inputs.get("f32", (1, ROW_LENGTH), 0), inputs.get("f32", (n, ROW_LENGTH), 1)  # cases.py's arrays
    out_dtype = compare_distance.NUMKONG_NATIVE_OUT["float32"]
    metric = cases.NUMKONG_METRIC[BATCH_METRIC]
    return [BoundaryCase("cdist", kernel, f"A: {rows_of(1)}, B: {rows_of(n)}",
                         Call(f"simdkit.cdist(A, B, '{BATCH_METRIC}')", simdkit.cdist, (A, B, BATCH_METRIC)),
                         reference,
                         numkong_call(f"numkong.cdist(A, B, '{metric}', out_dtype='{out_dtype}', threads=1)",
                                      "cdist", A, B, metric=metric, out_dtype=out_dtype, threads=1),
                         ("distance", kernel, "f32", size))]


def pdist(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    """n rows (at least 2: one pair); beside SciPy's pdist and NumKong's
    symmetric function, as cases.py calls them."""
    rows = max(n, 2)
    kernel, size = f"pdist {BATCH_METRIC}", f"{rows}x{ROW_LENGTH}"
    reference = reference_of(cases.build("distance", kernel, "f32", size, inputs))
    X = inputs.get("f32", (rows, ROW_LENGTH), 0)  # cases.py's array
    theirs = compare_distance.numkong_symmetric(BATCH_METRIC, X)
    return [BoundaryCase("pdist", kernel, f"X: {rows_of(rows)}",
                         Call(f"simdkit.pdist(X, '{BATCH_METRIC}')", simdkit.pdist, (X, BATCH_METRIC)),
                         reference, theirs and Call(theirs[0], theirs[1], ()),
                         ("distance", kernel, "f32", size))]


def topk(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    """k = 1 of n rows; NumKong has no top-k (cases.py says why it is left out)."""
    kernel, size = f"topk {BATCH_METRIC}", f"1x{n}x{ROW_LENGTH}/1"
    reference = reference_of(cases.build("distance", kernel, "f32", size, inputs))
    Q, X = inputs.get("f32", (1, ROW_LENGTH), 0), inputs.get("f32", (n, ROW_LENGTH), 1)  # cases.py's arrays
    return [BoundaryCase("topk", kernel, f"Q: {rows_of(1)}, X: {rows_of(n)}, k = 1",
                         Call(f"simdkit.topk(Q, X, 1, '{BATCH_METRIC}')", simdkit.topk, (Q, X, 1, BATCH_METRIC)),
                         reference, None, ("distance", kernel, "f32", size))]


def pack(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    """NumPy has nothing to pack; NumKong packs a matrix for its dot products."""
    X = inputs.get("f32", (n, ROW_LENGTH), 1)
    return [BoundaryCase("pack", "pack", f"X: {rows_of(n)}", Call("simdkit.pack(X)", simdkit.pack, (X,)), None,
                         numkong_call("numkong.dots_pack(X)", "dots_pack", X))]


def conversion(name: str) -> Builder:
    half = cases.narrow_format(name)

    def build(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
        if half not in cases.NUMPY_DTYPES:
            raise RuntimeError(f"{name} needs ml_dtypes for its {half} arrays (pip install ml_dtypes)")
        reference = reference_of(cases.build("convert", name, "f32", str(n), inputs))
        if name.startswith("to_"):
            x, argument, source = inputs.get("f32", (n,)), "x", "f32"  # cases.py's arrays
            target = cases.NUMKONG_FORMAT[half]
        else:
            x, argument, source, target = inputs.get(half, (n,)), "h", half, "f32"
        return [BoundaryCase(name, name, f"{argument}: ({n},)",
                             Call(f"simdkit.{name}({argument})", getattr(simdkit, name), (x,)), reference,
                             numkong_call(f"numkong.astype({argument}, '{target}')", "astype", x, target),
                             ("convert", name, source, str(n)))]
    return build


def quantize_int8(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    size = f"{n}x{ROW_LENGTH}"
    reference = reference_of(cases.build("convert", "quantize_int8", "f32", size, inputs))
    x = inputs.get("f32", (n, ROW_LENGTH))  # cases.py's array
    return [BoundaryCase("quantize_int8", "quantize_int8", f"x: {rows_of(n)}",
                         Call("simdkit.quantize_int8(x)", simdkit.quantize_int8, (x,)), reference, None,
                         ("convert", "quantize_int8", "f32", size))]


def dequantize_int8(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
    size = f"{n}x{ROW_LENGTH}"
    reference = reference_of(cases.build("convert", "dequantize_int8", "i8", size, inputs))
    q, scale = inputs.get("i8", (n, ROW_LENGTH)), inputs.get("f32", (n,), 1, (0.001, 0.01))  # cases.py's arrays
    return [BoundaryCase("dequantize_int8", "dequantize_int8", f"q: {rows_of(n)} int8, scale: ({n},)",
                         Call("simdkit.dequantize_int8(q, scale)", simdkit.dequantize_int8, (q, scale)),
                         reference, None, ("convert", "dequantize_int8", "i8", size))]


def elementwise(name: str) -> Builder:
    """A new array, as a user's first call makes it (cases.py times out=):
    compare_math's NumPy/SciPy equivalent with out=None."""
    def build(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
        x = inputs.get("f32", (n,), 0, compare_math.DOMAINS.get(name, (-10.0, 10.0)))  # cases.py's array
        expression = compare_math.numpy_expression(name).replace(", out=", "")
        return [BoundaryCase(name, name, f"x: ({n},)", Call(f"simdkit.{name}(x)", getattr(simdkit, name), (x,)),
                             Call(expression, compare_math.numpy_equivalent(name), (x, None)),
                             numkong_call(f"numkong.{name}(x)", name, x) if name in cases.compare_math.NUMKONG_MATH else None,
                             ("math", name, "f32", str(n)))]
    return build


def row_kernel(name: str) -> Builder:
    def build(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
        size = f"{n}x{ROW_LENGTH}"
        reference = reference_of(cases.build("math", name, "f32", size, inputs))
        x = inputs.get("f32", (n, ROW_LENGTH))  # cases.py's array
        return [BoundaryCase(name, name, f"x: {rows_of(n)}",
                             Call(f"simdkit.{name}(x)", getattr(simdkit, name), (x,)), reference, None,
                             ("math", name, "f32", size))]
    return build


def binary(name: str) -> Builder:
    """atan2, hypot, power of two arrays of n, beside NumPy's ufunc."""
    ufunc = {"atan2": "arctan2", "hypot": "hypot", "power": "power"}[name]
    def build(n: int, inputs: cases.Inputs) -> list[BoundaryCase]:
        x1 = inputs.get("f32", (n,), 0, (0.1, 10.0))
        x2 = inputs.get("f32", (n,), 1, (-3.0, 3.0))
        return [BoundaryCase(name, name, f"x1, x2: ({n},)",
                             Call(f"simdkit.{name}(x1, x2)", getattr(simdkit, name), (x1, x2)),
                             Call(f"numpy.{ufunc}(x1, x2)", getattr(np, ufunc), (x1, x2)), None,
                             ("math", name, "f32", str(n)))]
    return build


# The builders of the functions that have one of their own; the others
# (the reductions, the conversions, the elementwise functions and the row
# kernels) take their family's, by their signature.
OWN_BUILDERS: dict[str, Builder] = {
    "distance": distance, "paired": paired, "cdist": cdist, "pdist": pdist, "topk": topk,
    "pack": pack,
    "quantize_int8": quantize_int8, "dequantize_int8": dequantize_int8,
    "atan2": binary("atan2"), "hypot": binary("hypot"), "power": binary("power"),
}


def builder_of(name: str, entry: dict) -> Builder:
    """The cases of the public function `name`, from its entry in simdkit's
    table of entry points (simdkit._core._entry_points())."""
    if name in OWN_BUILDERS:
        return OWN_BUILDERS[name]
    takes_axis = any(parameter["name"] == "axis" for parameter in entry["parameters"])
    family = entry["family"]
    if family == "reduce":
        return reduction(name)
    if family == "convert" and not takes_axis:
        return conversion(name)
    if family == "math":
        return row_kernel(name) if takes_axis else elementwise(name)
    raise LookupError(f"simdkit.{name} ({family}) has no boundary case: add its builder to OWN_BUILDERS")


# Every public function of simdkit that takes arrays, by name, as its
# bindings list them: a new function gets its family's case, or fails here
# until it has one of its own.
FUNCTIONS: dict[str, Builder] = {name: builder_of(name, entry)
                                 for name, entry in simdkit._core._entry_points().items()}


def all_cases(sizes: tuple[int, ...], inputs: cases.Inputs) -> Iterator[tuple[int, BoundaryCase]]:
    for n in sizes:
        inputs.clear()
        for build in FUNCTIONS.values():
            for case in build(n, inputs):
                yield n, case


# ---------------------------------------------------------------------------
# The floor and the timing
# ---------------------------------------------------------------------------
def load_floor(directory: Path) -> ModuleType:
    """simdkit_boundary_floor from `directory` (the benchmark binary's), for
    this interpreter; FloorNotFound says what is there instead, and how to
    build it."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = directory / f"{FLOOR_MODULE}{suffix}"
        if path.is_file():
            spec = importlib.util.spec_from_file_location(FLOOR_MODULE, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    others = sorted(path.name for path in directory.glob(f"{FLOOR_MODULE}*")) if directory.is_dir() else []
    found = (f"; found {', '.join(others)}, built for another Python than this one "
             f"({sys.version.split()[0]}, {importlib.machinery.EXTENSION_SUFFIXES[0]})" if others else "")
    raise FloorNotFound(f"the floor module {FLOOR_MODULE} is not in {directory}{found}\n{FLOOR_HINT}")


def best_ns(calls: dict[str, Call], sample_seconds: float, rounds: int,
            clock: Callable[[], float] = time.thread_time) -> dict[str, float]:
    """Best ns per call of each call, the calls taking turns.

    Each call first gets its number of calls per sample: 1, 2, 5, 10, ...
    until one sample lasts `sample_seconds` (which also warms it up). Then
    `rounds` rounds, each timing every call once in turn, the first of the
    turn moving on by one each round so that no call always follows the
    same one. The best sample of each counts: noise only ever adds time.
    """
    timers = {name: call.timer(clock) for name, call in calls.items()}
    numbers, best = {}, {}
    for name, timer in timers.items():
        for number in (step * 10**power for power in range(10) for step in (1, 2, 5)):
            seconds = timer.timeit(number)
            if seconds >= sample_seconds:
                break
        numbers[name], best[name] = number, seconds / number
    names = list(timers)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            best[name] = min(best[name], timers[name].timeit(numbers[name]) / numbers[name])
    return {name: seconds * 1e9 for name, seconds in best.items()}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or not denominator > 0:
        return None
    return numerator / denominator


def measure_case(n: int, case: BoundaryCase, floor: ModuleType, floor_input: np.ndarray, timing: dict) -> dict:
    """One row: the case's calls and the floor of what simdkit returns,
    timed together."""
    returns = "scalar" if isinstance(case.simdkit(), np.generic) else "array"
    calls = {"simdkit": case.simdkit, "floor": Call(f"floor.{returns}(x)", getattr(floor, returns), (floor_input,))}
    errors = {}
    for contender in ("numkong", "reference"):
        call = getattr(case, contender)
        if call is None:
            continue
        try:
            call()  # what it cannot take shows here, not in the timing loop
            calls[contender] = call
        except Exception as error:  # noqa: BLE001 - reported in the row, the run goes on
            errors[contender] = f"{type(error).__name__}: {error}"
    with np.errstate(all="ignore"):
        ns = best_ns(calls, **timing)
    row = {"function": case.function, "kernel": case.kernel, "n": n, "inputs": case.inputs, "returns": returns,
           "cpp_row": list(case.cpp) if case.cpp else None}
    for contender in CONTENDERS:
        call = calls.get(contender) or getattr(case, contender, None)
        row[contender] = (None if call is None else
                          {"call": call.expression, "ns": ns.get(contender), "error": errors.get(contender)})
    simdkit_ns = ns["simdkit"]
    row["over_floor"] = ratio(simdkit_ns, ns["floor"])
    row["over_numkong"] = ratio(ns.get("numkong"), simdkit_ns)
    row["over_reference"] = ratio(ns.get("reference"), simdkit_ns)
    return row


def measure(floor: ModuleType, quick: bool) -> tuple[list[dict], dict]:
    """Every public function at every boundary size: (rows, settings)."""
    sizes = QUICK_SIZES if quick else BOUNDARY_SIZES
    timing = TIMING["quick" if quick else "full"]
    inputs = cases.Inputs()
    count = sum(len(build(n, inputs)) for n in sizes for build in FUNCTIONS.values())
    progress = Progress("Boundary", count)
    rows = []
    for n, case in all_cases(sizes, inputs):
        rows.append(measure_case(n, case, floor, inputs.get("f32", (n,), 7), timing))
        progress.advance(f"{case.kernel} n={n}")
    inputs.clear()
    progress.finish()
    settings = {"sizes": list(sizes), "row_length": ROW_LENGTH, **timing, "floor_goal": FLOOR_GOAL,
                "floor_module": floor.__file__, "time": "CPU time of the calling thread"}
    return rows, settings


def join_cpp(rows: list[dict], described: list[dict]) -> list[dict]:
    """Each row with the C++ time of the same work on the target Python runs
    on, where the C++ benchmarks have that row, and the difference (what the
    binding adds)."""
    by_key = {(entry["family"], entry["kernel"], entry["dtype"], entry["size"]): entry for entry in described}
    joined = []
    for row in rows:
        entry = by_key.get(tuple(row["cpp_row"])) if row["cpp_row"] else None
        cpp_ns = entry["cpp_active_ns"] if entry else None
        simdkit_ns = row["simdkit"]["ns"]
        joined.append({**row, "cpp_ns": cpp_ns, "binding_ns": simdkit_ns - cpp_ns if cpp_ns is not None else None})
    return joined


# ---------------------------------------------------------------------------
# benchmarks/boundary.py
# ---------------------------------------------------------------------------
def default_floor_dir() -> Path:
    """Beside the benchmark binary that SIMDKIT_BENCHMARK_BINARY names (as
    scripts/test.sh sets it), else where scripts/main.sh builds it."""
    binary = os.environ.get("SIMDKIT_BENCHMARK_BINARY")
    return Path(binary).parent if binary else DEFAULT_FLOOR_DIR


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="boundary.py", description="The cost of the boundary: ns per call of every public simdkit function "
        f"at n = {', '.join(map(str, BOUNDARY_SIZES))} beside the floor of a Python call (simdkit_boundary_floor), "
        "NumKong and NumPy/SciPy, in one run.")
    parser.add_argument("--floor-dir", type=Path, default=None, metavar="DIR",
                        help="the directory of the floor module (default: beside $SIMDKIT_BENCHMARK_BINARY if set, "
                        f"else {DEFAULT_FLOOR_DIR.relative_to(REPO_ROOT)})")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: n = {QUICK_SIZES[0]} only, short samples")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every measurement to FILE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # Imported here: markdown draws on matplotlib (charts), which the
    # measurement, the report's part, does not need.
    from . import markdown

    arguments = parse_arguments(argv)
    try:
        floor = load_floor(arguments.floor_dir or default_floor_dir())
    except FloorNotFound as error:
        sys.exit(f"error: {error}")
    info = machine_info()
    limit_blas, blas_threads = blas_one_thread()
    with limit_blas:
        rows, settings = measure(floor, arguments.quick)
    settings.update(mode="quick" if arguments.quick else "full", blas_threads=blas_threads)
    print(markdown.boundary_intro(info, settings))
    print(markdown.boundary_table(rows, cpp=False))
    print(markdown.boundary_goal(rows, settings["floor_goal"]), end="")
    print(markdown.boundary_calls(rows))
    if arguments.json:
        arguments.json.write_text(json.dumps({"machine": info, "settings": settings, "boundary": rows}, indent=1)
                                  + "\n", encoding="utf-8")
        print(f"wrote {arguments.json}")
    return 0
