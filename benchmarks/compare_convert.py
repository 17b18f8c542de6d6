#!/usr/bin/env python3
"""Side-by-side benchmark of simdkit's conversions against ml_dtypes and NumPy.

    python3 benchmarks/compare_convert.py [--quick] [--json FILE] [--repeats N]

One run, the same inputs for every library, single-threaded (all of them
convert on the calling thread), at 1 Mi = 2^20 elements (--quick: 2^14, a
smoke run of a second or two):

  f32->bf16   simdkit.to_bfloat16(x)   vs x.astype(ml_dtypes.bfloat16)
  bf16->f32   simdkit.from_bfloat16(b) vs b.astype(numpy.float32)
  f32->f16    simdkit.to_float16(x)    vs x.astype(numpy.float16)
  f16->f32    simdkit.from_float16(h)  vs h.astype(numpy.float32)
  quantize    simdkit.quantize_int8(X) vs NumPy (abs().max(axis=1) / 127,
              rint(X / scale).astype(int8)), X of 1024 x 1024 (--quick 128 x 128)

simdkit runs once per supported target (simdkit.use_target), both allocating
its result (as astype does) and with out= (no allocation). Each time is the
best of --repeats runs of a loop long enough to take about 20 ms.

Then the targets from the issue, per simdkit target, each PASS or MISS:
  f32->bf16 >= 10x ml_dtypes astype; f32->f16 >= 1x NumPy astype.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Callable

import numpy as np

import simdkit

try:
    import ml_dtypes
except ImportError:  # the bfloat16 rows need it
    ml_dtypes = None


def best_seconds(fn: Callable[[], object], repeats: int, budget: float) -> float:
    """Best time of one call: `repeats` rounds of a loop of calls that takes
    about `budget` seconds."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(budget / once))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def numpy_quantize(x: np.ndarray):
    scale = np.abs(x).max(axis=1) / np.float32(127)
    safe = np.where(scale == 0, np.float32(1), scale)
    return np.rint(x / safe[:, None]).astype(np.int8), scale


def cases(n: int, side: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    h = x.astype(np.float16)
    matrix = rng.standard_normal((side, side)).astype(np.float32)
    out16 = np.empty(n, np.uint16)
    out32 = np.empty(n, np.float32)
    result = []
    if ml_dtypes is not None:
        b = x.astype(ml_dtypes.bfloat16)
        out_bf16 = np.empty(n, ml_dtypes.bfloat16)
        result.append(("f32->bf16", {"ml_dtypes astype": lambda: x.astype(ml_dtypes.bfloat16)},
                       lambda: simdkit.to_bfloat16(x), lambda: simdkit.to_bfloat16(x, out_bf16)))
        result.append(("bf16->f32", {"ml_dtypes astype": lambda: b.astype(np.float32)},
                       lambda: simdkit.from_bfloat16(b), lambda: simdkit.from_bfloat16(b, out32)))
    result.append(("f32->f16", {"numpy astype": lambda: x.astype(np.float16)},
                   lambda: simdkit.to_float16(x), lambda: simdkit.to_float16(x, out16)))
    result.append(("f16->f32", {"numpy astype": lambda: h.astype(np.float32)},
                   lambda: simdkit.from_float16(h), lambda: simdkit.from_float16(h, out32)))
    result.append(("quantize", {"numpy": lambda: numpy_quantize(matrix)},
                   lambda: simdkit.quantize_int8(matrix), None))
    return result


# (case, reference library, required speed-up of simdkit over it)
GOALS = [("f32->bf16", "ml_dtypes astype", 10.0), ("f32->f16", "numpy astype", 1.0)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke-sized run")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--repeats", type=int, default=None, help="rounds per timing")
    args = parser.parse_args()
    n = 1 << 14 if args.quick else 1 << 20
    side = 128 if args.quick else 1024
    repeats = args.repeats or (2 if args.quick else 7)
    budget = 0.002 if args.quick else 0.02
    targets = simdkit.targets()["supported"]

    print(f"# simdkit conversions vs ml_dtypes / NumPy ({'quick' if args.quick else 'full'} run)")
    print(f"\n{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, ml_dtypes "
          f"{getattr(ml_dtypes, '__version__', 'missing')}, simdkit {simdkit.__version__}; "
          f"{n} elements (quantize: {side} x {side}); best of {repeats}\n")
    results = []
    table = {}
    for case, references, allocating, with_out in cases(n, side):
        for library, fn in references.items():
            seconds = best_seconds(fn, repeats, budget)
            results.append({"case": case, "library": library, "target": None, "seconds": seconds})
            table[(case, library)] = seconds
        for target in targets:
            with simdkit.use_target(target):
                for variant, fn in (("simdkit", allocating), ("simdkit out=", with_out)):
                    if fn is None:
                        continue
                    seconds = best_seconds(fn, repeats, budget)
                    results.append({"case": case, "library": variant, "target": target,
                                    "seconds": seconds})
                    table[(case, f"{variant} {target}")] = seconds

    print("| case | library | target | time (us) | speed-up vs reference |")
    print("|---|---|---|---:|---:|")
    for case, references, _, _ in cases(1, 1):
        reference = next(iter(references))
        for row in results:
            if row["case"] != case:
                continue
            ratio = table[(case, reference)] / row["seconds"]
            print(f"| {case} | {row['library']} | {row['target'] or '-'} | "
                  f"{row['seconds'] * 1e6:.1f} | {ratio:.2f}x |")

    print("\n## Targets\n")
    print("| goal | simdkit target | ratio | status |")
    print("|---|---|---:|---|")
    statuses = []
    for case, reference, required in GOALS:
        if (case, reference) not in table:
            print(f"| {case} >= {required:g}x {reference} | - | - | SKIPPED (ml_dtypes missing) |")
            continue
        for target in targets:
            ratio = table[(case, reference)] / table[(case, f"simdkit {target}")]
            status = "PASS" if ratio >= required else "MISS"
            statuses.append({"goal": f"{case} >= {required:g}x {reference}", "target": target,
                             "ratio": ratio, "status": status})
            print(f"| {case} >= {required:g}x {reference} | {target} | {ratio:.2f}x | {status} |")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"mode": "quick" if args.quick else "full", "elements": n,
                       "results": results, "targets": statuses}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
