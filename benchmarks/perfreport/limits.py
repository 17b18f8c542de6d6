"""This machine's limits, measured by the benchmark binary in the same run
(machine_limits.cc), and how close a kernel comes to them.

  * Peak FMA rate: flops/s of independent multiply-add chains on one core,
    per target; the best target's figure is the compute limit.
  * STREAM triad: bytes/s of a[i] = b[i] + s * c[i] on one core (24 bytes
    per element, as STREAM counts), at working sets from L1 to DRAM sizes.

Streaming kernels (reductions, one-pair distances, conversions) are
compared with the triad whose working set is the nearest one at least as
large as theirs (their bytes read plus written), so that an in-cache kernel
is held to the cache's bandwidth and a DRAM-sized one to memory's; past the
largest triad, memory's. Compute-bound kernels (cdist and topk on float
dtypes: two flops per element pair; elementwise math and row kernels: one
multiply-add lane per element, so 100 % would be a function costing a
single FMA) are compared with the peak FMA rate of their precision.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cpp import CppResult

FLOAT_DTYPES = ("f64", "f32", "f16", "bf16")


@dataclass
class Triad:
    n: int
    working_set: float   # bytes: three arrays of n doubles
    bytes_per_s: float


@dataclass
class Limits:
    peak_flops: dict[str, dict[str, float]]   # dtype -> target -> flops/s
    triads: list[Triad]                        # by working set

    def best_peak(self, dtype: str) -> tuple[str, float] | None:
        by_target = self.peak_flops.get(dtype, {})
        if not by_target:
            return None
        target = max(by_target, key=by_target.get)
        return target, by_target[target]

    def memory_bandwidth(self) -> float | None:
        """The largest working set's triad: DRAM."""
        return self.triads[-1].bytes_per_s if self.triads else None

    def triad_for(self, working_set: float) -> Triad | None:
        for triad in self.triads:
            if triad.working_set >= working_set:
                return triad
        return self.triads[-1] if self.triads else None

    def to_json(self) -> dict:
        return {"peak_flops_per_s": self.peak_flops,
                "triad": [{"n": t.n, "working_set_bytes": t.working_set, "bytes_per_s": t.bytes_per_s}
                          for t in self.triads]}


def collect(results: list[CppResult]) -> Limits:
    peak: dict[str, dict[str, float]] = {}
    triads = []
    for result in results:
        if result.family != "limits":
            continue
        if result.kernel == "peak_fma":
            peak.setdefault(result.dtype, {})[result.target] = result.items / (result.cpu_ns * 1e-9)
        elif result.kernel == "triad":
            triads.append(Triad(int(result.size), result.bytes, result.bytes / (result.cpu_ns * 1e-9)))
    return Limits(peak, sorted(triads, key=lambda triad: triad.working_set))


def bound(family: str, kernel: str) -> str:
    """'memory' for streaming kernels, 'compute' for the others."""
    if family == "math" or kernel.startswith(("cdist ", "topk ")):
        return "compute"
    return "memory"


def fraction(limits: Limits, result: CppResult) -> tuple[float, str] | None:
    """The fraction of its limit a result reaches, and which limit."""
    seconds = result.cpu_ns * 1e-9
    if bound(result.family, result.kernel) == "memory":
        triad = limits.triad_for(result.bytes)
        if triad is None or result.bytes <= 0:
            return None
        return (result.bytes / seconds) / triad.bytes_per_s, f"triad {format_bytes(triad.working_set)}"
    if result.dtype not in FLOAT_DTYPES:
        return None  # integer and bit metrics: no floating-point FMA limit applies
    peak = limits.best_peak("f64" if result.dtype == "f64" else "f32")
    if peak is None:
        return None
    if result.family == "math":
        fma_lanes_per_s = peak[1] / 2
        return (result.items / seconds) / fma_lanes_per_s, f"FMA {peak[0]}"
    return (2 * result.items / seconds) / peak[1], f"FMA {peak[0]}"


def format_bytes(count: float) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.0f} {unit}"
    return f"{count:.0f} B"
