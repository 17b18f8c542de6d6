"""Shared fixtures and exact references for the simdkit Python tests.

Every numerical test takes the `target` fixture, which runs it once per
target that this CPU supports (ids = target names), with that target forced
through `simdkit.use_target` for the duration of the test.

References never come from simdkit itself:
  * min/max/argmin/argmax: NumPy, compared exactly;
  * sum/norm/dot: the exact value computed with math.fsum over exact terms
    (float32 values and products are exact in float64; float64 products are
    split exactly with Dekker's two-product), checked against the documented
    bound |computed - exact| <= gamma_h * sum|x_i|, h = ceil(log2 n) + 7.
"""

import json
import math
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import simdkit

# Needed at collection time for the parametrization.
_TARGETS_AT_IMPORT = simdkit.targets()
SUPPORTED_TARGETS = list(_TARGETS_AT_IMPORT["supported"])
INITIAL_ACTIVE = _TARGETS_AT_IMPORT["active"]
ENV_FORCED = bool(os.environ.get("SIMDKIT_TARGET"))

# The heterogeneous matrix (tests/heterogeneous/run_matrix.py) runs this suite
# under an emulated CPU. It names the emulator, so that child interpreters run
# on the same emulated CPU (qemu-user does not follow exec), and may restrict
# the per-target tests to the targets that model is there to prove.
PYTHON_COMMAND = [*shlex.split(os.environ.get("SIMDKIT_TEST_EMULATOR", "")), sys.executable]
_ONLY_TARGETS = os.environ.get("SIMDKIT_TEST_TARGETS", "")
TESTED_TARGETS = ([name for name in SUPPORTED_TARGETS if name in _ONLY_TARGETS.upper().split(",")]
                  if _ONLY_TARGETS else SUPPORTED_TARGETS)

# numpy.vecdot is NumPy >= 2.0; the qemu64 leg of the matrix runs NumPy 1.26.
vecdot = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("...i,...i->...", a, b))

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["sum", "norm", "min", "max", "argmin", "argmax"]
# Every elementwise function (test_math.py holds their references).
ELEMENTWISE_FUNCTIONS = ["exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tanh",
                         "sinh", "atan", "asin", "acos", "asinh", "sqrt", "sigmoid", "softplus",
                         "silu", "gelu_tanh", "gelu", "exp2", "cosh", "atanh", "acosh", "tan",
                         "erf", "erfc", "cbrt"]
# The public API that is not a kernel: functions that take no arrays (the
# dispatch API) and types. Every other callable in simdkit.__all__ is a kernel,
# which test_bad_input.py (SPECS) and the boundary benchmark
# (benchmarks/perfreport/boundary.py, checked by test_report.py) must cover.
# Every distance metric, and those packed bits take.
METRICS = ["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]
BIT_METRICS = ["hamming", "jaccard"]
DISPATCH_FUNCTIONS = {"set_target", "use_target", "targets", "info", "probe_target", "disable_targets"}
PUBLIC_TYPES = {"PackedMatrix"}  # made by pack (test_pack.py)
EXTREMES = ["min", "max", "argmin", "argmax"]
ACCUMULATING = ["sum", "norm"]

# Sizes: every tail length up to 3 vectors + 1 of the widest target (16
# float32 lanes), plus sizes spanning several pairwise leaves.
SMALL_SIZES = list(range(0, 50))
LARGE_SIZES = [1000, 4097, 10**6]


def public_kernels():
    """Every public function of simdkit that takes arrays: what simdkit
    exports, less DISPATCH_FUNCTIONS and PUBLIC_TYPES."""
    public = {name for name in simdkit.__all__ if callable(getattr(simdkit, name))}
    return public - DISPATCH_FUNCTIONS - PUBLIC_TYPES


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------
@pytest.fixture(params=TESTED_TARGETS, ids=TESTED_TARGETS)
def target(request):
    """Forces each supported target in turn; yields its name."""
    name = request.param
    with simdkit.use_target(name):
        assert simdkit.targets()["active"] == name
        assert simdkit.probe_target() == name, (
            f"use_target({name!r}) but dispatched code runs on "
            f"{simdkit.probe_target()}")
        yield name


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture(autouse=True)
def _restore_target_choice():
    """Keeps a misbehaving test from leaking a forced target into others."""
    yield
    if simdkit.targets()["active"] != INITIAL_ACTIVE:
        if ENV_FORCED:
            simdkit.set_target(INITIAL_ACTIVE)
        else:
            simdkit.set_target(None)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def random_array(n, dtype, kind="normal", seed=0):
    """1-D data of a given kind: 'normal' (mixed signs, varied exponents),
    'positive' (uniform [0, 1)), 'ties' (small integers, many repeats)."""
    rng = np.random.default_rng([seed, n, np.dtype(dtype).itemsize, sum(map(ord, kind))])
    if kind == "normal":
        x = rng.standard_normal(n)
    elif kind == "positive":
        x = rng.random(n)
    elif kind == "ties":
        x = rng.integers(-3, 4, n).astype(np.float64)
    elif kind == "wide":
        # Magnitudes spread over many binades, mixed signs.
        x = rng.standard_normal(n) * np.exp2(rng.integers(-20, 20, n))
    else:
        raise ValueError(kind)
    return x.astype(dtype)


def unaligned_copy(x, byte_offset):
    """A copy of 1-D `x` whose data starts `byte_offset` bytes past a 64-byte
    aligned address (so also misaligned for every vector width)."""
    x = np.ascontiguousarray(x)
    nbytes = x.size * x.itemsize
    raw = np.zeros(nbytes + byte_offset + 128, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    buf = raw[start:start + byte_offset + nbytes]
    buf[byte_offset:] = x.view(np.uint8)
    out = np.frombuffer(buf, dtype=x.dtype, count=x.size, offset=byte_offset)
    assert x.size == 0 or out.ctypes.data % 64 == byte_offset % 64
    np.testing.assert_array_equal(out.view(np.uint8), x.view(np.uint8))  # NaN of any dtype too
    return out


# ---------------------------------------------------------------------------
# Error bounds and exact references
# ---------------------------------------------------------------------------
def unit_roundoff(dtype):
    return float(np.finfo(dtype).eps) / 2


def depth(n):
    """h = ceil(log2 n) + 7 (documented depth of the blocked pairwise sum)."""
    return math.ceil(math.log2(n)) + 7 if n > 0 else 0


def gamma(h, dtype):
    hu = h * unit_roundoff(dtype)
    return hu / (1 - hu)


def sum_error_bound(n, abs_sum, dtype):
    """Documented bound gamma_h * sum|x_i| for a sum of n terms."""
    if n == 0:
        return 0.0
    return gamma(depth(n), dtype) * abs_sum


def two_prod(a, b):
    """Exact products of float64 arrays as p + e (Dekker/Veltkamp; exact
    barring overflow and underflow)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    p = a * b

    def split(x):
        c = 134217729.0 * x  # 2**27 + 1
        hi = c - (c - x)
        return hi, x - hi

    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def exact_sum(values):
    """Correctly rounded float64 sum and sum of |values| of a 1-D array."""
    v = np.asarray(values, dtype=np.float64).ravel()
    return math.fsum(v.tolist()), math.fsum(np.abs(v).tolist())


def exact_products(a, b, dtype):
    """Exact terms of sum(a*b) as a float64 array (2n terms for float64)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _exact_products(a, b, dtype)


def _exact_products(a, b, dtype):
    a64 = np.asarray(a, dtype=np.float64).ravel()
    b64 = np.asarray(b, dtype=np.float64).ravel()
    if np.dtype(dtype) == np.float32:
        return a64 * b64  # float32 x float32 is exact in float64
    p, e = two_prod(a64, b64)
    finite = np.isfinite(p)
    e = np.where(finite, e, 0.0)  # two_prod is meaningless at Inf/NaN
    return np.concatenate([p, e])


def exact_dot(a, b, dtype):
    """(exact dot, sum |a_i b_i|) of two 1-D arrays."""
    terms = exact_products(a, b, dtype)
    return math.fsum(terms.tolist()), math.fsum(np.abs(terms).tolist())


def _nonfinite_reference(terms):
    """For terms containing Inf/NaN: NaN, +Inf or -Inf as IEEE addition
    in any order gives (Inf + -Inf = NaN, NaN absorbs)."""
    if np.isnan(terms).any():
        return math.nan
    pos = np.isposinf(terms).any()
    neg = np.isneginf(terms).any()
    if pos and neg:
        return math.nan
    return math.inf if pos else -math.inf


def accumulated_reference(terms):
    """Reference for a sum of exact float64 `terms`: (exact, sum|terms|), or
    (NaN/+Inf/-Inf, None) when a term is not finite."""
    terms = np.asarray(terms, dtype=np.float64).ravel()
    if not np.isfinite(terms).all():
        return _nonfinite_reference(terms), None
    return math.fsum(terms.tolist()), math.fsum(np.abs(terms).tolist())


def assert_accumulated(got, reference, n, dtype, what, kind="sum"):
    """Asserts `got` is within the documented bound of `reference` (from
    accumulated_reference). kind: 'sum', 'dot' (terms are products) or
    'norm' (terms are squares; `got` is the square root of their sum)."""
    got = float(got)
    exact, abs_sum = reference
    if abs_sum is None:  # Inf/NaN among the terms
        expected = exact
        if kind == "norm" and not math.isnan(expected):
            expected = math.inf
        if math.isnan(expected):
            assert math.isnan(got), f"{what}: expected NaN, got {got!r}"
        else:
            assert got == expected, f"{what}: expected {expected!r}, got {got!r}"
        return
    u = unit_roundoff(dtype)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    # Overflow of the accumulated value in the dtype (e.g. the sum of squares
    # of float32 values near 1e38): NumPy's sqrt(sum(a*a)) gives Inf, so must
    # we. Within rounding distance of the threshold either answer is fine.
    huge = float(np.finfo(dtype).max)
    if abs(exact) > huge * (1 + gamma(depth(n) + 1, dtype)):
        expected = math.copysign(math.inf, exact)
        assert got == expected, f"{what}: accumulation overflows, expected {expected!r}, got {got!r}"
        return
    if abs(exact) > huge * (1 - gamma(depth(n) + 1, dtype)) and math.isinf(got):
        return
    # The reference is correctly rounded to float64: allow its ulp. Products
    # and squares may underflow gradually: allow `tiny` per operation.
    if kind == "sum":
        bound = sum_error_bound(n, abs_sum, dtype) + math.ulp(exact)
        err = abs(got - exact)
    elif kind == "dot":
        bound = sum_error_bound(n, abs_sum, dtype) + math.ulp(exact) + (2 * n + 8) * tiny
        err = abs(got - exact)
    elif kind == "norm":
        # sumsq carries |err| <= gamma_h * sumsq (+ underflow); sqrt halves the
        # relative error and adds one rounding. Allow gamma_{h+1} (square
        # rounded before the add on targets without FMA) and two roundings.
        exact_norm = math.sqrt(exact)
        h = depth(n) + 1 if n else 0
        bound = ((gamma(h, dtype) + 2 * u) * exact_norm
                 + math.sqrt((2 * n + 8) * tiny) + 2 * math.ulp(exact_norm))
        err = abs(got - exact_norm)
        exact = exact_norm
    else:
        raise ValueError(kind)
    assert err <= bound, (
        f"{what}: got {got!r}, exact {exact!r}, |error| {err:.3g} > bound {bound:.3g}")


def check_accumulated(got, terms, n, dtype, what, kind="sum"):
    assert_accumulated(got, accumulated_reference(terms), n, dtype, what, kind)


def sum_terms(x):
    return np.asarray(x, dtype=np.float64).ravel()


def square_terms(x):
    x = np.asarray(x).ravel()
    return exact_products(x, x, x.dtype)


def rows_along(x, axis):
    """The 1-D lanes that a reduction over `axis` (None = all) reduces, as a
    2-D float64 array (rows, n) in the C order of the result."""
    x = np.asarray(x)
    if axis is None:
        return x.reshape(1, -1).astype(np.float64)
    moved = np.moveaxis(x, axis, -1)
    lanes = math.prod(moved.shape[:-1])  # (-1 is ambiguous when a row is empty)
    return moved.reshape(lanes, x.shape[axis]).astype(np.float64)


def result_shape(shape, axis, keepdims):
    if axis is None:
        return (1,) * len(shape) if keepdims else ()
    axis = axis % len(shape)
    if keepdims:
        return tuple(1 if i == axis else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i != axis)


def numpy_reference(name, x, axis=None, keepdims=False):
    """NumPy's answer for the comparison-type reductions."""
    fn = {"min": np.min, "max": np.max, "argmin": np.argmin, "argmax": np.argmax}[name]
    return fn(x, axis=axis, keepdims=keepdims)


def check_reduction(name, got, x, axis=None, keepdims=False, what=""):
    """Checks simdkit.<name>(x, axis, keepdims) == reference: exact NumPy for
    min/max/argmin/argmax, the documented bound for sum/norm."""
    what = f"{name}(shape={x.shape}, dtype={x.dtype}, axis={axis}, keepdims={keepdims}) {what}"
    shape = result_shape(x.shape, axis, keepdims)
    got_arr = np.asarray(got)
    assert got_arr.shape == shape, f"{what}: result shape {got_arr.shape}, expected {shape}"
    if name in EXTREMES:
        expected = numpy_reference(name, x, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(got_arr, expected, err_msg=what)
        return
    rows = rows_along(x, axis)
    flat = got_arr.reshape(-1)
    assert flat.size == rows.shape[0]
    for r in range(rows.shape[0]):
        row = rows[r]
        terms = row if name == "sum" else exact_products(row, row, x.dtype)
        check_accumulated(flat[r], terms, row.size, x.dtype, f"{what} lane {r}", kind=name)


# ---------------------------------------------------------------------------
# Benchmark scripts
# ---------------------------------------------------------------------------
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

# Under an emulated CPU (the heterogeneous matrix) every test costs many
# times its native time: what proves nothing about the emulated target skips.
UNDER_EMULATOR = bool(os.environ.get("SIMDKIT_TEST_EMULATOR"))
skip_under_emulator = pytest.mark.skipif(UNDER_EMULATOR,
                                         reason="timing run: not under an emulated CPU")


def skip_module_under_emulator(reason):
    """Skips the calling test module under an emulated CPU, before it imports
    more or builds its parameters (collection alone costs there)."""
    if UNDER_EMULATOR:
        pytest.skip(f"{reason}: not under an emulated CPU", allow_module_level=True)


# Hypothesis profiles for test_properties.py, registered here so that
# pytest's --hypothesis-profile option can name them: "ci" (the default) is
# deterministic and bounded, for the test command; "long" draws fresh random
# examples, many more of them, for hunting bugs:
#   python -m pytest tests/python/test_properties.py --hypothesis-profile=long
if not UNDER_EMULATOR:  # test_properties.py skips there: spare the import
    from hypothesis import HealthCheck, settings

    _SLOW_EXAMPLES = [HealthCheck.too_slow, HealthCheck.data_too_large,
                      HealthCheck.function_scoped_fixture]
    settings.register_profile("ci", derandomize=True, database=None, max_examples=300,
                              deadline=None, suppress_health_check=_SLOW_EXAMPLES,
                              print_blob=True)
    settings.register_profile("long", max_examples=2000, deadline=None,
                              suppress_health_check=_SLOW_EXAMPLES, print_blob=True)
    settings.load_profile("ci")


def run_quick_benchmark(script, tmp_path):
    """Runs benchmarks/<script> --quick --json FILE; returns (report, stdout)
    after checking that it exited 0 in quick mode."""
    output = tmp_path / "compare.json"
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), "--quick", "--json",
                           str(output)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["mode"] == "quick"
    return report, proc.stdout
