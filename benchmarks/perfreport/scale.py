"""Elementwise at scale: every math function that numexpr has (and softmax)
on float32 arrays of 1 Mi and 16 Mi elements (softmax: 1024 x 1024 and
4096 x 4096), simdkit with threads=1 and threads=2 beside NumPy/SciPy and
NumKong (one thread: they have no other) and numexpr with its own pool set
to 1 and 2 threads, all on the same arrays.

Wall-clock time, best of a few single calls (compare_math.wall_seconds):
the CPU time of the calling thread, the rest of the report's clock, cannot
see the work of a second thread. The calls and the inputs are the per-row
ones (cases.math_case, cases.math_operands; compare_math.numexpr_call), so
that this section and the detail tables measure the same expressions.
"""

from __future__ import annotations

import math

import numpy as np

import compare_math
import simdkit

from . import cases
from .timing import Progress

# numexpr's functions and expressions (compare_math.NUMEXPR), then softmax.
KERNELS = (*compare_math.NUMEXPR, "softmax")
THREADS = (1, 2)


def size_of(kernel: str, elements: int) -> str:
    """The row's size as the detail tables write it: n, or a square of rows
    for the row kernels."""
    if kernel in cases.ROW_KERNELS:
        side = math.isqrt(elements)
        return f"{side}x{side}"
    return str(elements)


def timed(call, repeats: int) -> tuple[float | None, str | None]:
    """(ns per call, None), or (None, the error) if the call fails."""
    try:
        return compare_math.wall_seconds(call, repeats) * 1e9, None
    except Exception as error:  # noqa: BLE001 - reported in the row, the run goes on
        return None, f"{type(error).__name__}: {error}"


def over(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None


def measure_kernel(kernel: str, size: str, inputs: cases.Inputs, repeats: int) -> dict:
    operands = cases.math_operands(kernel, "f32", size, inputs)
    case = cases.math_case(kernel, "f32", size, inputs)
    out = np.empty_like(operands[0])
    ours = getattr(simdkit, kernel)
    simdkit_ns = {str(threads): timed(lambda threads=threads: ours(*operands, out=out, threads=threads),
                                      repeats)[0] for threads in THREADS}
    row = {"kernel": kernel, "size": size, "n": operands[0].size, "simdkit_ns": simdkit_ns}
    for contender, entry in (("reference", case.reference), ("numkong", case.numkong)):
        if entry:
            name, call = entry
            ns, error = timed(call, repeats)
            row[contender] = {"call": name, "ns": ns, "error": error}
        else:
            row[contender] = None
    row["numexpr"] = None
    if compare_math.numexpr is not None:
        expression, call = compare_math.numexpr_call(kernel, operands, out)
        row["numexpr"] = {"call": expression, "ns": {}, "error": None}
        for threads in THREADS:
            compare_math.numexpr.set_num_threads(threads)
            row["numexpr"]["ns"][str(threads)], error = timed(call, repeats)
            row["numexpr"]["error"] = row["numexpr"]["error"] or error
    one = simdkit_ns["1"]
    row["two_threads_over_one"] = over(one, simdkit_ns["2"])
    row["over_reference"] = over((row["reference"] or {}).get("ns"), one)
    row["over_numkong"] = over((row["numkong"] or {}).get("ns"), one)
    row["over_numexpr"] = {str(threads): over(row["numexpr"]["ns"].get(str(threads)), simdkit_ns[str(threads)])
                           for threads in THREADS} if row["numexpr"] else None
    return row


def measure(sizes: list[int], repeats: dict[int, int]) -> list[dict]:
    """One row per kernel and size; `repeats` timed calls per contender at
    each size (after one untimed call). numexpr's pool is put back as it was."""
    rows = []
    progress = Progress("At scale", len(KERNELS) * len(sizes))
    numexpr = compare_math.numexpr
    threads_before = numexpr.set_num_threads(1) if numexpr is not None else None
    try:
        for elements in sizes:
            inputs = cases.Inputs()  # a size's arrays at a time (16 Mi: 64 MiB each)
            for kernel in KERNELS:
                rows.append(measure_kernel(kernel, size_of(kernel, elements), inputs, repeats[elements]))
                progress.advance(f"{kernel} {elements}")
            inputs.clear()
    finally:
        if numexpr is not None:
            numexpr.set_num_threads(threads_before)
    progress.finish()
    return rows
