#!/usr/bin/env python3
"""Side-by-side benchmark of simdkit's math family against NumPy and SciPy.

    python3 benchmarks/compare_math.py [--quick] [--best-target] [--json FILE]

One process, the same inputs for every library, one thread, CPU time of the
calling thread (time.thread_time: the machine is shared and noisy), best of
several repeats:

  * elementwise  every function at n in {16, 1 Ki, 1 Mi} (float32 and
                 float64), simdkit on each target this CPU supports against
                 NumPy's ufunc (or the expression NumPy users write:
                 scipy.special.expit for sigmoid, numpy.logaddexp(0, x) for
                 softplus, x * expit(x) for silu, the tanh formula for
                 gelu_tanh, 0.5 x erfc(-x/sqrt 2) for gelu), all with out=.
  * rows         softmax, log_softmax, logsumexp of 1024 x 1024 float32 rows:
                 simdkit against NumPy's stable expression (x - max, exp,
                 sum, divide) and scipy.special.
  * held to AVX2 every function, float32 and float64, at 1 Mi in a child
                 process where NumPy runs with NPY_DISABLE_CPU_FEATURES set
                 to its AVX-512 features and simdkit with SIMDKIT_TARGET=AVX2.
  * threads      exp, sigmoid (float32) at 1 Mi and 16 Mi and softmax of
                 1024 x 1024 and 4096 x 4096, simdkit with threads=1 and 2
                 against numexpr with 1 and 2 threads (its own pool, set to
                 match) on the same arrays; wall-clock time here (CPU time
                 of one thread cannot see the others).

Then issue 18's targets, each PASS or MISS: every function, float32 and
float64, at 1 Mi >= 1.2x NumPy on the best target and >= 2x NumPy when both
are held to AVX2; sin, cos, atan >= 1.2x NumKong; 16 Mi exp/sigmoid/softmax
threads=2 >= 1.8x threads=1 and >= 1.5x numexpr on 2 threads; softmax,
log_softmax, logsumexp 1024 x 1024 >= 4x NumPy's stable expression.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import scipy.special

import simdkit

try:
    import numexpr
except ImportError:  # the threads section then runs without it
    numexpr = None
try:
    import numkong
except ImportError:
    numkong = None

# NumPy >= 2.4 groups its AVX-512 dispatch as X86_V4 (plus ICL and SPR);
# older NumPy names the features one by one. Unknown names are ignored.
NPY_AVX512 = ("X86_V4,AVX512_ICL,AVX512_SPR,AVX512F,AVX512CD,AVX512_KNL,AVX512_KNM,AVX512_SKX,"
              "AVX512_CLX,AVX512_CNL")
NUMKONG_MATH = ("sin", "cos", "atan")


def numpy_equivalent(name):
    """The NumPy/SciPy call a user would write for simdkit.<name>(x, out=)."""
    direct = {"exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
              "log2": np.log2, "log10": np.log10, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
              "sinh": np.sinh, "atan": np.arctan, "asin": np.arcsin, "acos": np.arccos,
              "asinh": np.arcsinh, "sqrt": np.sqrt, "sigmoid": scipy.special.expit,
              "exp2": np.exp2, "cosh": np.cosh, "atanh": np.arctanh, "acosh": np.arccosh,
              "tan": np.tan, "erf": scipy.special.erf, "erfc": scipy.special.erfc,
              "cbrt": np.cbrt}
    if name in direct:
        function = direct[name]
        return lambda x, out: function(x, out=out)
    if name == "softplus":
        return lambda x, out: np.logaddexp(0, x, out=out)
    if name == "silu":
        return lambda x, out: np.multiply(x, scipy.special.expit(x), out=out)
    if name == "gelu_tanh":
        c = np.sqrt(2 / np.pi)
        return lambda x, out: np.multiply(0.5 * x, 1 + np.tanh(c * (x + 0.044715 * x**3)), out=out)
    if name == "gelu":
        return lambda x, out: np.multiply(0.5 * x, scipy.special.erfc(-x / np.sqrt(2)), out=out)
    raise KeyError(name)


def numpy_expression(name):
    """numpy_equivalent(name) as it reads in a report."""
    written_out = {"sigmoid": "scipy.special.expit(x, out=)", "softplus": "numpy.logaddexp(0, x, out=)",
                   "silu": "x * scipy.special.expit(x)",
                   "gelu_tanh": "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
                   "gelu": "0.5 x scipy.special.erfc(-x / sqrt(2))",
                   "erf": "scipy.special.erf(x, out=)", "erfc": "scipy.special.erfc(x, out=)"}
    ufunc = {"atan": "arctan", "asin": "arcsin", "acos": "arccos", "asinh": "arcsinh",
             "atanh": "arctanh", "acosh": "arccosh"}.get(name, name)
    return written_out.get(name, f"numpy.{ufunc}(x, out=)")


DOMAINS = {"log": (0.01, 100.0), "log1p": (-0.5, 100.0), "log2": (0.01, 100.0),
           "log10": (0.01, 100.0), "sqrt": (0.0, 100.0), "asin": (-1.0, 1.0), "acos": (-1.0, 1.0),
           "atanh": (-0.99, 0.99), "acosh": (1.0, 100.0)}
FUNCTIONS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tanh", "sinh", "atan",
             "asin", "acos", "asinh", "sqrt", "sigmoid", "softplus", "silu", "gelu_tanh", "gelu",
             "exp2", "cosh", "atanh", "acosh", "tan", "erf", "erfc", "cbrt"]


def seconds(call, min_time, repeats):
    """Best CPU time per call of this thread over `repeats` runs of enough
    calls to last min_time."""
    call()
    number = 1
    while True:
        start = time.thread_time()
        for _ in range(number):
            call()
        spent = time.thread_time() - start
        if spent >= min_time or number >= 1 << 20:
            break
        number *= 10 if spent < min_time / 10 else 2
    best = spent / number
    for _ in range(repeats - 1):
        start = time.thread_time()
        for _ in range(number):
            call()
        best = min(best, (time.thread_time() - start) / number)
    return best


BINARY = {"atan2": np.arctan2, "hypot": np.hypot, "power": np.power}
BINARY_DOMAINS = {"atan2": ((-10.0, 10.0), (-10.0, 10.0)), "hypot": ((-10.0, 10.0), (-10.0, 10.0)),
                  "power": ((0.1, 10.0), (-3.0, 3.0))}


def run_binary(quick, best_target=False):
    """atan2, hypot, power of two arrays (float32, float64) against NumPy's
    ufuncs with out=, at 1 Mi (1 Ki with --quick): issue 18's >= 1.2x."""
    min_time, repeats = (0.002, 2) if quick else (0.05, 5)
    n = 1024 if quick else 1 << 20
    targets = [simdkit.targets()["active"]] if best_target else simdkit.targets()["supported"]
    rng = np.random.default_rng(1)
    results = []
    for dtype in (np.float32, np.float64):
        for name, reference in BINARY.items():
            (low1, high1), (low2, high2) = BINARY_DOMAINS[name]
            x1 = rng.uniform(low1, high1, n).astype(dtype)
            x2 = rng.uniform(low2, high2, n).astype(dtype)
            out = np.empty_like(x1)
            theirs = seconds(lambda: reference(x1, x2, out=out), min_time, repeats)
            row = {"case": "binary", "function": name, "dtype": np.dtype(dtype).name, "n": n,
                   "numpy": theirs, "simdkit": {}}
            function = getattr(simdkit, name)
            for target in targets:
                with simdkit.use_target(target):
                    row["simdkit"][target] = seconds(lambda: function(x1, x2, out=out), min_time,
                                                     repeats)
            results.append(row)
            best = min(row["simdkit"].values())
            print(f"  {name:10s} {row['dtype']:8s} n={n:<8d} numpy {theirs * 1e6:9.2f} us   simdkit best "
                  f"{best * 1e6:9.2f} us  x{theirs / best:5.2f}  "
                  f"{'PASS' if theirs / best >= 1.2 else 'MISS'} (>= 1.2x)  "
                  + " ".join(f"{t}={v * 1e6:.2f}" for t, v in row["simdkit"].items()), flush=True)
    return results


def stable_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def stable_log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def stable_logsumexp(x):
    m = x.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))[..., 0]


def run(quick, best_target=False):
    min_time, repeats = (0.002, 2) if quick else (0.05, 5)
    sizes = [16, 1024] if quick else [16, 1024, 1 << 20]
    functions = ["exp", "log", "sin"] if quick else FUNCTIONS
    targets = [simdkit.targets()["active"]] if best_target else simdkit.targets()["supported"]
    rng = np.random.default_rng(0)
    results = []
    for dtype in (np.float32, np.float64):
        for name in functions:
            low, high = DOMAINS.get(name, (-10.0, 10.0))
            for n in sizes:
                x = rng.uniform(low, high, n).astype(dtype)
                out = np.empty_like(x)
                reference = numpy_equivalent(name)
                with np.errstate(all="ignore"):
                    theirs = seconds(lambda: reference(x, out), min_time, repeats)
                row = {"case": "elementwise", "function": name, "dtype": np.dtype(dtype).name, "n": n,
                       "numpy": theirs, "simdkit": {}}
                if numkong is not None and name in NUMKONG_MATH:
                    theirs_nk = getattr(numkong, name)
                    row["numkong"] = seconds(lambda: theirs_nk(x, out=out), min_time, repeats)
                function = getattr(simdkit, name)
                for target in targets:
                    with simdkit.use_target(target):
                        row["simdkit"][target] = seconds(lambda: function(x, out=out), min_time, repeats)
                results.append(row)
                best = min(row["simdkit"].values())
                print(f"  {name:10s} {row['dtype']:8s} n={n:<8d} numpy {theirs * 1e6:9.2f} us   simdkit best "
                      f"{best * 1e6:9.2f} us  x{theirs / best:5.2f}   "
                      + " ".join(f"{t}={v * 1e6:.2f}" for t, v in row["simdkit"].items()), flush=True)
    shape = (64, 256) if quick else (1024, 1024)
    x = rng.normal(0, 3, shape).astype(np.float32)
    for name, numpy_call, scipy_call in (
            ("softmax", stable_softmax, lambda v: scipy.special.softmax(v, axis=-1)),
            ("log_softmax", stable_log_softmax, lambda v: scipy.special.log_softmax(v, axis=-1)),
            ("logsumexp", stable_logsumexp, lambda v: scipy.special.logsumexp(v, axis=-1))):
        ours_call = getattr(simdkit, name)
        row = {"case": "rows", "function": name, "dtype": "float32", "n": int(x.size),
               "shape": list(shape), "numpy": seconds(lambda: numpy_call(x), min_time, repeats),
               "scipy": seconds(lambda: scipy_call(x), min_time, repeats), "simdkit": {}}
        for target in targets:
            with simdkit.use_target(target):
                row["simdkit"][target] = seconds(lambda: ours_call(x), min_time, repeats)
        results.append(row)
        best = min(row["simdkit"].values())
        print(f"  {name:11s} {shape[0]}x{shape[1]} float32  simdkit {best * 1e3:.3f} ms  numpy "
              f"{row['numpy'] * 1e3:.3f} ms (x{row['numpy'] / best:.2f})  scipy {row['scipy'] * 1e3:.3f} ms "
              f"(x{row['scipy'] / best:.2f})", flush=True)
    return results


def held_to_avx2(quick):
    """exp/log/tanh/sigmoid float32 at 1 Mi with NumPy and simdkit both held
    to AVX2, in a child process (NumPy reads its variable at import)."""
    if "AVX2" not in simdkit.targets()["supported"]:
        return None
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=NPY_AVX512, SIMDKIT_TARGET="AVX2")
    child = subprocess.run([sys.executable, __file__, "--child-avx2"] + (["--quick"] if quick else []),
                           env=env, capture_output=True, text=True, check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])


def child_avx2(quick):
    n = 1 << 14 if quick else 1 << 20
    min_time, repeats = (0.002, 2) if quick else (0.05, 5)
    rng = np.random.default_rng(0)
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        from numpy.core._multiarray_umath import __cpu_features__ as features
    avx512_on = [name for name in ("X86_V4", "AVX512F", "AVX512_SKX") if features.get(name)]
    result = {"simdkit_target": simdkit.targets()["active"], "n": n, "numpy_avx512_left_on": avx512_on,
              "functions": {}}
    for dtype in (np.float32, np.float64):
        for name in (["exp", "log"] if quick else FUNCTIONS):
            low, high = DOMAINS.get(name, (-10.0, 10.0))
            x = rng.uniform(low, high, n).astype(dtype)
            out = np.empty_like(x)
            reference = numpy_equivalent(name)
            function = getattr(simdkit, name)
            with np.errstate(all="ignore"):
                theirs = seconds(lambda: reference(x, out), min_time, repeats)
            result["functions"][f"{name} {np.dtype(dtype).name}"] = {
                "numpy": theirs, "simdkit": seconds(lambda: function(x, out=out), min_time, repeats)}
    print(json.dumps(result))


def wall_seconds(call, repeats):
    """Best wall-clock time of one call over `repeats` (after a warm-up)."""
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def numexpr_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    e = numexpr.evaluate("exp(x - m)")
    s = e.sum(axis=-1, keepdims=True)
    return numexpr.evaluate("e / s", out=e)


# What a numexpr user writes for simdkit.<name>: its own functions (numexpr
# 2.14 has no exp2, erf, erfc or cbrt, so neither gelu), and the expressions
# of sigmoid, silu, softplus (the stable form, numpy.logaddexp(0, x)'s
# answer) and gelu_tanh. Operands x, or x1 and x2; float constants are
# float32 names (NUMEXPR_CONSTANTS): a Python float constant would make
# numexpr compute the whole expression in float64. numexpr computes hypot
# in float64 whatever the operands (it has no float32 hypot).
NUMEXPR = {
    **{name: f"{name}(x)" for name in ("exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan",
                                       "tanh", "sinh", "cosh", "sqrt")},
    **{name: f"arc{name[1:]}(x)" for name in ("atan", "asin", "acos", "atanh", "asinh", "acosh")},
    "sigmoid": "1 / (1 + exp(-x))",
    "silu": "x / (1 + exp(-x))",
    "softplus": "where(x > 0, x, 0) + log1p(exp(-abs(x)))",
    "gelu_tanh": "half * x * (1 + tanh(sqrt_2_over_pi * (x + cubic * x**3)))",
    "atan2": "arctan2(x1, x2)",
    "hypot": "hypot(x1, x2)",
    "power": "x1 ** x2",
}
NUMEXPR_CONSTANTS = {"half": np.float32(0.5), "sqrt_2_over_pi": np.float32(np.sqrt(2 / np.pi)),
                     "cubic": np.float32(0.044715)}


def numexpr_call(name, operands, out):
    """(numexpr's expression for simdkit.<name> as it reads in a report, the
    call on `operands` into `out`); softmax is numexpr_softmax (a new array)."""
    if name == "softmax":
        return "exp(x - max) / sum, two numexpr.evaluate", lambda: numexpr_softmax(operands[0])
    expression = NUMEXPR[name]
    local = {**NUMEXPR_CONSTANTS, **dict(zip(("x",) if len(operands) == 1 else ("x1", "x2"), operands))}
    return expression, lambda: numexpr.evaluate(expression, local_dict=local, out=out)


def run_threads(quick):
    """simdkit threads=1/2 against numexpr on 1/2 threads, wall-clock."""
    repeats = 2 if quick else 7
    rng = np.random.default_rng(1)
    cases = []
    for n in ([1 << 16] if quick else [1 << 20, 1 << 24]):
        x = rng.uniform(-10, 10, n).astype(np.float32)
        out = np.empty_like(x)
        for name in ("exp", "sigmoid"):
            ours = getattr(simdkit, name)
            cases.append((name, n, lambda t, x=x, out=out, ours=ours: ours(x, out=out, threads=t),
                          numexpr_call(name, [x], out)[1]))
    for side in ([256] if quick else [1024, 4096]):
        x = rng.normal(0, 3, (side, side)).astype(np.float32)
        out = np.empty_like(x)
        cases.append(("softmax", side * side, lambda t, x=x, out=out: simdkit.softmax(x, out=out, threads=t),
                      numexpr_call("softmax", [x], out)[1]))
    rows = []
    for name, n, ours, theirs in cases:
        row = {"case": "threads", "function": name, "dtype": "float32", "n": n,
               "simdkit": {str(t): wall_seconds(lambda: ours(t), repeats) for t in (1, 2)}}
        if numexpr is not None:
            row["numexpr"] = {}
            for t in (1, 2):
                numexpr.set_num_threads(t)
                row["numexpr"][str(t)] = wall_seconds(theirs, repeats)
        rows.append(row)
        line = (f"  {name:8s} n={n:<9d} simdkit threads=1 {row['simdkit']['1'] * 1e3:8.3f} ms  "
                f"threads=2 {row['simdkit']['2'] * 1e3:8.3f} ms (x{row['simdkit']['1'] / row['simdkit']['2']:.2f})")
        if "numexpr" in row:
            line += (f"   numexpr 1: {row['numexpr']['1'] * 1e3:8.3f} ms  2: {row['numexpr']['2'] * 1e3:8.3f} ms")
        print(line, flush=True)
    return rows


def checks(results, held):
    def find(case, function, dtype="float32", n=None):
        for row in results:
            if row["case"] == case and row["function"] == function and row["dtype"] == dtype and (
                    n is None or row["n"] == n):
                return row
        return None

    lines = []
    n = max(row["n"] for row in results if row["case"] == "elementwise")
    for row in results:
        if row["case"] != "elementwise" or row["n"] != n:
            continue
        label = f"{row['function']} {row['dtype']} n={n}"
        best = min(row["simdkit"].values())
        lines.append((row["numpy"] / best >= 1.2, f"{label}, best target: >= 1.2x NumPy: "
                                                  f"{row['numpy'] / best:.2f}x"))
        if "numkong" in row:
            lines.append((row["numkong"] / best >= 1.2, f"{label}: >= 1.2x NumKong: "
                                                        f"{row['numkong'] / best:.2f}x"))
        pair = held and held["functions"].get(f"{row['function']} {row['dtype']}")
        if pair:
            ratio = pair["numpy"] / pair["simdkit"]
            lines.append((ratio >= 2.0, f"{row['function']} {row['dtype']} n={held['n']}, both held "
                                        f"to AVX2: >= 2x NumPy: {ratio:.2f}x"))
    for name in ("softmax", "log_softmax", "logsumexp"):
        row = find("rows", name)
        if row:
            best = min(row["simdkit"].values())
            lines.append((row["numpy"] / best >= 4.0,
                          f"{name} {row['shape'][0]}x{row['shape'][1]}: >= 4x NumPy stable expression: "
                          f"{row['numpy'] / best:.2f}x"))
    threaded = [row for row in results if row["case"] == "threads"]
    largest = {}
    for row in threaded:
        if row["n"] >= largest.get(row["function"], {"n": 0})["n"]:
            largest[row["function"]] = row
    for name, row in largest.items():
        scaling = row["simdkit"]["1"] / row["simdkit"]["2"]
        lines.append((scaling >= 1.8, f"{name} n={row['n']} threads=2: >= 1.8x threads=1: {scaling:.2f}x"))
        if "numexpr" in row:
            ratio = row["numexpr"]["2"] / row["simdkit"]["2"]
            lines.append((ratio >= 1.5, f"{name} n={row['n']} threads=2: >= 1.5x numexpr on 2 threads: "
                                        f"{ratio:.2f}x"))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    parser.add_argument("--best-target", action="store_true",
                        help="simdkit on the automatic choice only (a few minutes instead of many)")
    parser.add_argument("--child-avx2", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_avx2:
        child_avx2(args.quick)
        return 0
    print(f"simdkit {simdkit.__version__} on {simdkit.info()['cpu_model']}, targets "
          f"{', '.join(simdkit.targets()['supported'])}; NumPy {np.__version__}, SciPy "
          f"{scipy.__version__}; one thread, best CPU time of the calling thread")
    results = run(args.quick, args.best_target)
    print("binary (x1, x2 of n, out=):")
    results += run_binary(args.quick, args.best_target)
    held = held_to_avx2(args.quick)
    if held:
        print("held to AVX2 (NumPy: NPY_DISABLE_CPU_FEATURES, simdkit: SIMDKIT_TARGET=AVX2 -> "
              f"{held['simdkit_target']}; NumPy AVX-512 features still on: "
              f"{held['numpy_avx512_left_on'] or 'none'}):")
        for label, pair in held["functions"].items():
            print(f"  {label:18s} numpy {pair['numpy'] * 1e3:.3f} ms  simdkit "
                  f"{pair['simdkit'] * 1e3:.3f} ms  x{pair['numpy'] / pair['simdkit']:.2f}")
    print(f"threads (wall-clock; numexpr {numexpr.__version__ if numexpr else 'not installed'}):")
    results += run_threads(args.quick)
    print("\n## Targets\n")
    for passed, line in checks(results, held):
        print(f"  {'PASS' if passed else 'MISS'}  {line}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"mode": "quick" if args.quick else "full", "results": results,
                       "held_to_avx2": held}, handle, indent=1)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
