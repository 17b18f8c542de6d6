"""One row per kernel, dtype and size: the C++ time on every target joined
with the Python calls (simdkit on the active target, NumPy/SciPy, NumKong)
on the same inputs; then the summary, and the boundary section's batches
(its table of every public function is perfreport.boundary's)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import compare_math
import simdkit

from . import cases
from .cpp import CppResult
from .limits import Limits, bound, fraction
from .timing import Progress, cpu_seconds_per_call

# The scalar-class target is called SCALAR by some compilers, EMU128 by others.
BASELINE_TARGETS = ("EMU128", "SCALAR")
# A streaming kernel's summary size: the largest whose bytes fit in 8 MiB
# (cache, not DRAM: what the kernel itself does); DRAM is in the detail rows.
SUMMARY_MAX_BYTES = 8 << 20


@dataclass
class Row:
    family: str
    kernel: str
    dtype: str
    size: str
    cpp: dict[str, CppResult] = field(default_factory=dict)   # by target, best first
    python: dict | None = None


def work(row: Row) -> tuple[str, str]:
    """(unit of throughput, which count of a C++ result it divides)."""
    if bound(row.family, row.kernel) == "memory":
        return "GB/s", "bytes"
    if row.family == "math":
        return "Gelem/s", "items"
    return "Gflop/s", "flops"


def throughput(row: Row, result: CppResult, cpu_ns: float | None = None) -> float:
    """In the row's unit, for the work of `result` done in `cpu_ns` (default:
    the result's own time)."""
    _, count = work(row)
    amount = {"bytes": result.bytes, "items": result.items, "flops": 2 * result.items}[count]
    return amount / (cpu_ns or result.cpu_ns)


def baseline_target(targets: list[str]) -> str | None:
    return next((target for target in BASELINE_TARGETS if target in targets), None)


def join(results: list[CppResult]) -> list[Row]:
    rows: dict[tuple[str, str, str, str], Row] = {}
    for result in results:
        if result.family == "limits":
            continue
        key = (result.family, result.kernel, result.dtype, result.size)
        rows.setdefault(key, Row(*key)).cpp[result.target] = result
    return list(rows.values())


def size_key(size: str) -> int:
    return math.prod(cases.dims(size))


# ---------------------------------------------------------------------------
# Python measurements
# ---------------------------------------------------------------------------
def measure_python(rows: list[Row], timing: dict) -> None:
    """Times each row's Python calls, rows of one shape after another so that
    they share inputs, and fills row.python."""
    active = simdkit.targets()["active"]
    inputs = cases.Inputs()
    progress = Progress("Python", len(rows))
    ordered = sorted(rows, key=lambda row: (row.family, size_key(row.size), row.size))
    previous_shape = None
    for row in ordered:
        if (row.family, row.size) != previous_shape:
            inputs.clear()  # arrays of up to 256 MiB: keep one shape's at a time
            previous_shape = (row.family, row.size)
        case = cases.build(row.family, row.kernel, row.dtype, row.size, inputs)
        progress.advance(f"{row.kernel} {row.dtype} {row.size}")
        if case is None:
            continue
        calls = {"simdkit": case.simdkit}
        names, errors = {}, {}
        for contender, entry in (("reference", case.reference), ("numkong", case.numkong), ("faiss", case.faiss)):
            if not entry:
                continue
            names[contender], call = entry
            try:
                call()  # an unsupported dtype shows here, not in the timing loop
                calls[contender] = call
            except Exception as error:  # noqa: BLE001 - reported in the row, the run goes on
                errors[contender] = f"{type(error).__name__}: {error}"
        seconds = cpu_seconds_per_call(calls, **timing)
        row.python = {
            "target": active,
            "simdkit_ns": seconds["simdkit"] * 1e9,
            **{contender: {"call": names[contender], "ns": seconds[contender] * 1e9
                           if contender in seconds else None, "error": errors.get(contender)}
               for contender in names},
        }
    inputs.clear()
    progress.finish()


def batch_cases(quick: bool) -> list[dict]:
    """2-D batches of short rows: one call for every row against one call per
    row, to show that the dispatch and the checks are paid once per array."""
    rng = np.random.default_rng(0xBA7C)
    cols = 16
    result = []
    for rows in (1, 16, 128) if quick else (1, 16, 128, 1024):
        x = rng.standard_normal((rows, cols)).astype(np.float32)
        calls = {
            "sum": {"simdkit": lambda x=x: simdkit.sum(x, axis=-1),
                    "simdkit_per_row": lambda x=x: [simdkit.sum(r) for r in x],
                    "numpy": lambda x=x: x.sum(axis=-1)},
            "softmax": {"simdkit": lambda x=x: simdkit.softmax(x),
                        "simdkit_per_row": lambda x=x: [simdkit.softmax(r) for r in x],
                        "numpy": lambda x=x: compare_math.stable_softmax(x)},
        }
        if cases.numkong is not None:
            calls["sum"]["numkong"] = lambda x=x: cases.numkong.sum(x, axis=-1)
        result.extend({"kernel": kernel, "rows": rows, "cols": cols, "calls": contenders}
                      for kernel, contenders in calls.items())
    return result


def measure_batches(quick: bool, timing: dict) -> list[dict]:
    measured = []
    batches = batch_cases(quick)
    progress = Progress("Batches", len(batches))
    for batch in batches:
        seconds = cpu_seconds_per_call(batch["calls"], **timing)
        measured.append({"kernel": batch["kernel"], "rows": batch["rows"], "cols": batch["cols"],
                         "ns_per_row": {name: value * 1e9 / batch["rows"] for name, value in seconds.items()}})
        progress.advance(f"{batch['kernel']} {batch['rows']}x{batch['cols']}")
    progress.finish()
    return measured


# ---------------------------------------------------------------------------
# Derived numbers
# ---------------------------------------------------------------------------
def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or not denominator > 0:
        return None
    return numerator / denominator


def contender_ns(row: Row, contender: str) -> float | None:
    entry = (row.python or {}).get(contender)
    return entry["ns"] if entry else None


def describe(row: Row, limits: Limits, targets: list[str]) -> dict:
    """Everything the report states about a row, as JSON."""
    baseline = row.cpp.get(baseline_target(targets))
    best_target = min(row.cpp, key=lambda target: row.cpp[target].cpu_ns)
    best = row.cpp[best_target]
    reached = fraction(limits, best)
    unit, _ = work(row)
    active = row.python["target"] if row.python else None
    python_ns = row.python["simdkit_ns"] if row.python else None
    cpp_active = row.cpp.get(active) if active else None
    return {
        "family": row.family, "kernel": row.kernel, "dtype": row.dtype, "size": row.size,
        "bound": bound(row.family, row.kernel), "unit": unit,
        "bytes_per_call": best.bytes, "items_per_call": best.items,
        "cpp": {target: {"cpu_ns": result.cpu_ns, "real_ns": result.real_ns,
                         "throughput": throughput(row, result),
                         "speedup_over_baseline": ratio(baseline.cpu_ns, result.cpu_ns) if baseline else None}
                for target, result in row.cpp.items()},
        "best_target": best_target,
        "best_throughput": throughput(row, best),
        "limit_fraction": reached[0] if reached else None,
        "limit": reached[1] if reached else None,
        "python": row.python,
        "cpp_active_ns": cpp_active.cpu_ns if cpp_active else None,
        "binding_ns": python_ns - cpp_active.cpu_ns if python_ns is not None and cpp_active else None,
        "over_reference": ratio(contender_ns(row, "reference"), python_ns),
        "over_numkong": ratio(contender_ns(row, "numkong"), python_ns),
        "over_faiss": ratio(contender_ns(row, "faiss"), python_ns),
    }


def summary(described: list[dict]) -> list[dict]:
    """One entry per kernel and dtype, at its summary size: the largest for
    compute-bound kernels, the largest of at most SUMMARY_MAX_BYTES for
    streaming ones."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for entry in described:
        groups.setdefault((entry["family"], entry["kernel"], entry["dtype"]), []).append(entry)
    chosen = []
    for entries in groups.values():
        entries.sort(key=lambda entry: size_key(entry["size"]))
        if entries[0]["bound"] == "memory":
            fitting = [entry for entry in entries if entry["bytes_per_call"] <= SUMMARY_MAX_BYTES]
            chosen.append(fitting[-1] if fitting else entries[0])
        else:
            chosen.append(entries[-1])
    return chosen


def geometric_mean(values: list[float]) -> float | None:
    values = [value for value in values if value and value > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def headline(chosen: list[dict]) -> dict:
    """The ratios against NumPy/SciPy, NumKong and FAISS over the summary rows."""
    result = {}
    for key in ("over_reference", "over_numkong", "over_faiss"):
        values = [entry[key] for entry in chosen if entry[key] is not None]
        result[key] = {"kernels": len(values), "geometric_mean": geometric_mean(values),
                       "faster": sum(value > 1 for value in values),
                       "min": min(values, default=None), "max": max(values, default=None)}
    return result
