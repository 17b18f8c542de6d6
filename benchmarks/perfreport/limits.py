"""This machine's limits, measured by the benchmark binary in the same run
(machine_limits.cc), and how close a kernel comes to them.

  * Peak FMA rate: flops/s of independent multiply-add chains on one core,
    per target; the best target's figure is the compute limit.
  * Bandwidth on one core, at every power of two of working set from L1 to
    DRAM sizes: 'read' (the sum of one array: the most one core reads) and
    'triad' (STREAM's a[i] = b[i] + s * c[i]: reads and writes, 24 bytes per
    element as STREAM counts).

Each row is held to the bandwidth at its own working set (interpolated
between the two samples around it, in the logarithm of the working set;
below the smallest, the smallest's; past the largest, memory's): the read
bandwidth for kernels that only read (reductions, one-pair distances, topk,
whose output is a few numbers per query), the triad for kernels that write
as much as they read (conversions, cdist's and pdist's results). Streaming
kernels are held to that bandwidth alone. cdist, pdist and topk on float
dtypes are held to the roofline: the longer of their flops at the peak FMA rate of
their precision (two flops per element pair) and their bytes at that
bandwidth, so that a single query, which streams X once, is held to memory
and a batch to the FMA units. Elementwise math and row kernels are held to
one multiply-add lane per element (100 % would be a function costing a
single FMA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .cpp import CppResult

FLOAT_DTYPES = ("f64", "f32", "f16", "bf16")
BANDWIDTH_KINDS = ("read", "triad")
ITEMSIZE = {"f64": 8, "f32": 4, "f16": 2, "bf16": 2, "f8e4m3": 1, "f8e5m2": 1, "i8": 1, "u8": 1, "bits": 1}


@dataclass
class Bandwidth:
    working_set: float   # bytes the kernel touches per call
    bytes_per_s: float


@dataclass
class Limits:
    peak_flops: dict[str, dict[str, float]]        # dtype -> target -> flops/s
    bandwidths: dict[str, list[Bandwidth]]         # 'read' / 'triad' -> by working set

    def best_peak(self, dtype: str) -> tuple[str, float] | None:
        by_target = self.peak_flops.get(dtype, {})
        if not by_target:
            return None
        target = max(by_target, key=by_target.get)
        return target, by_target[target]

    def bandwidth_at(self, kind: str, working_set: float) -> float | None:
        """Bytes/s of `kind` at `working_set` bytes, interpolated in the
        logarithm of the working set between the samples around it."""
        samples = self.bandwidths.get(kind, [])
        if not samples:
            return None
        if working_set <= samples[0].working_set:
            return samples[0].bytes_per_s
        for below, above in zip(samples, samples[1:]):
            if working_set <= above.working_set:
                share = math.log(working_set / below.working_set) / math.log(above.working_set / below.working_set)
                return below.bytes_per_s + share * (above.bytes_per_s - below.bytes_per_s)
        return samples[-1].bytes_per_s

    def to_json(self) -> dict:
        return {"peak_flops_per_s": self.peak_flops,
                **{kind: [{"working_set_bytes": sample.working_set, "bytes_per_s": sample.bytes_per_s}
                          for sample in self.bandwidths.get(kind, [])] for kind in BANDWIDTH_KINDS}}


def collect(results: list[CppResult]) -> Limits:
    peak: dict[str, dict[str, float]] = {}
    bandwidths: dict[str, list[Bandwidth]] = {kind: [] for kind in BANDWIDTH_KINDS}
    for result in results:
        if result.family != "limits":
            continue
        if result.kernel == "peak_fma":
            peak.setdefault(result.dtype, {})[result.target] = result.items / (result.cpu_ns * 1e-9)
        elif result.kernel in bandwidths:
            bandwidths[result.kernel].append(Bandwidth(result.bytes, result.bytes / (result.cpu_ns * 1e-9)))
    return Limits(peak, {kind: sorted(samples, key=lambda sample: sample.working_set)
                         for kind, samples in bandwidths.items()})


def bound(family: str, kernel: str) -> str:
    """'memory' for streaming kernels, 'compute' for the others (the unit
    their throughput is stated in)."""
    if family == "math" or kernel.startswith(("cdist ", "pdist ", "topk ")):
        return "compute"
    return "memory"


def traffic(result: CppResult) -> tuple[str, float] | None:
    """(which bandwidth holds the kernel, bytes it moves per call); None for
    math, held to the FMA rate alone."""
    if result.family == "math":
        return None
    form = result.kernel.split()[0]
    result_size = 8 if result.dtype == "f64" else 4
    if form == "pdist":
        # rows x d, into rows (rows - 1) / 2 results.
        rows, d = (int(part) for part in result.size.split("x"))
        return "triad", rows * d * ITEMSIZE[result.dtype] + rows * (rows - 1) // 2 * result_size
    if form in ("cdist", "topk"):
        # Sizes are rows_a x rows_b x d (topk: queries x rows x d, then k).
        rows_a, rows_b, d = (int(part) for part in result.size.split("/")[0].split("x"))
        inputs = (rows_a + rows_b) * d * ITEMSIZE[result.dtype]
        if form == "topk":
            return "read", inputs
        return "triad", inputs + rows_a * rows_b * result_size
    return ("triad" if result.family == "convert" else "read"), result.bytes


def fraction(limits: Limits, result: CppResult) -> tuple[float, str] | None:
    """The fraction of its limit a result reaches, and which limit."""
    seconds = result.cpu_ns * 1e-9
    moved = traffic(result)
    memory_seconds, memory_label = None, None
    if moved is not None and moved[1] > 0:
        kind, count = moved
        bandwidth = limits.bandwidth_at(kind, count)
        if bandwidth:
            memory_seconds, memory_label = count / bandwidth, f"{kind} {format_bytes(count)}"
    if bound(result.family, result.kernel) == "memory":
        return (memory_seconds / seconds, memory_label) if memory_seconds is not None else None
    if result.dtype not in FLOAT_DTYPES:
        return None  # integer and bit metrics: no floating-point FMA limit applies
    peak = limits.best_peak("f64" if result.dtype == "f64" else "f32")
    if peak is None:
        return None
    if result.family == "math":
        return (result.items / seconds) / (peak[1] / 2), f"FMA {peak[0]}"
    compute_seconds = 2 * result.items / peak[1]
    if memory_seconds is not None and memory_seconds > compute_seconds:
        return memory_seconds / seconds, memory_label
    return compute_seconds / seconds, f"FMA {peak[0]}"


def format_bytes(count: float) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.0f} {unit}"
    return f"{count:.0f} B"
