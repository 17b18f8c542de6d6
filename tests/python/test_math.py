"""simdkit's math family (docs/math.md) against NumPy and SciPy, on every
supported target (see the `target` fixture in conftest.py).

References are computed in higher precision than the result: float64 for
float32 results, numpy.longdouble for float64 ones (80-bit on x86; where
longdouble is no wider than double, the float64 checks fall back to float64
references and a looser bound). Errors are measured in ULP of the result's
dtype at the reference value."""

import ml_dtypes
import numpy as np
import pytest
import scipy.special

import simdkit
from conftest import ELEMENTWISE_FUNCTIONS, UNDER_EMULATOR

# (function, numpy reference or None, sampled domain (low, high, log-scale))
ELEMENTWISE = {
    "exp": (np.exp, (-100.0, 88.0, False)),
    "expm1": (np.expm1, (-100.0, 88.0, False)),
    "log": (np.log, (0.0, 3e38, True)),
    "log1p": (np.log1p, (-0.999, 1e30, True)),
    "log2": (np.log2, (0.0, 3e38, True)),
    "log10": (np.log10, (0.0, 3e38, True)),
    "sin": (np.sin, (-1e5, 1e5, False)),
    "cos": (np.cos, (-1e5, 1e5, False)),
    "tanh": (np.tanh, (-1e30, 1e30, True)),
    "sinh": (np.sinh, (-89.0, 89.0, False)),
    "atan": (np.arctan, (-1e30, 1e30, True)),
    "asin": (np.arcsin, (-1.0, 1.0, False)),
    "acos": (np.arccos, (-1.0, 1.0, False)),
    "asinh": (np.arcsinh, (-1e30, 1e30, True)),
    "sqrt": (np.sqrt, (0.0, 3e38, True)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-60.0, 60.0, False)),
    "softplus": (lambda x: np.logaddexp(0, x), (-60.0, 60.0, False)),
    "silu": (lambda x: x / (1 + np.exp(-x)), (-60.0, 60.0, False)),
    "gelu_tanh": (lambda x: x / (1 + np.exp(-2 * np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
                  (-60.0, 60.0, False)),
    "gelu": (None, (-60.0, 60.0, False)),  # scipy.special.erfc, float64 only
    "exp2": (np.exp2, (-160.0, 130.0, False)),
    "cosh": (np.cosh, (-90.0, 90.0, False)),
    "atanh": (np.arctanh, (-1.0, 1.0, False)),
    "acosh": (np.arccosh, (1.0, 3e38, True)),
    "tan": (np.tan, (-1e5, 1e5, False)),
    "erf": (scipy.special.erf, (-7.0, 7.0, False)),
    "erfc": (scipy.special.erfc, (-7.0, 28.0, False)),
    "cbrt": (np.cbrt, (-3e38, 3e38, True)),
}


def test_references_cover_every_elementwise_function():
    assert sorted(ELEMENTWISE) == sorted(ELEMENTWISE_FUNCTIONS)


# The bounds asserted by tests/cpp/math_test.cc and published in docs/math.md.
ULP_BOUNDS = {"exp": 2, "expm1": 2, "log": 4, "log1p": 2, "log2": 2, "log10": 2, "sin": 4,
              "cos": 4, "tanh": 3, "sinh": 3, "atan": 3, "asin": 3, "acos": 3, "asinh": 2,
              "sqrt": 0.5, "sigmoid": 5, "softplus": 5, "silu": 6, "gelu_tanh": 256, "gelu": 256,
              "exp2": 2, "cosh": 3, "atanh": 3, "acosh": 2, "tan": 3,
              "erf": 2, "erfc": 4, "cbrt": 1}
ULP_BOUNDS_F64 = dict(ULP_BOUNDS, expm1=1, log=1, log1p=1, log2=1, log10=1, sin=1, cos=1, sinh=1,
                      asin=1, acos=1, asinh=1, atanh=1, acosh=1, gelu_tanh=4096, gelu=4096)

WIDE = np.longdouble if np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant else None


# Functions whose reference is computed in float64 even for float64 input
# (scipy.special has no wider form): a float64 result is held to its bound
# plus the reference's own error.
FLOAT64_REFERENCES = {"gelu"}
# scipy.special.erf and erfc are float64 only, and erfc is hundreds of ULP off
# in its tail (x^2 rounded in exp(-x^2)) and 0 past x = 26.64: float64 input
# takes mpmath's values instead.
MPMATH_REFERENCES = {"erf", "erfc"}


def mpmath_erf(name, v):
    """erf or erfc at v, as a decimal string of 40 digits (or NaN): past
    |v| = 30 both have reached their limits in float64 (where mpmath's own
    series check overflows)."""
    import mpmath
    if np.isnan(v):
        return "nan"
    if abs(v) > 30:
        return ("1" if v > 0 else "-1") if name == "erf" else ("0" if v > 0 else "2")
    return mpmath.nstr(getattr(mpmath, name)(v), 40)


def reference(name, x):
    """The function at x (float32 or float64) in a wider type."""
    wide = np.float64 if x.dtype == np.float32 else (WIDE or np.float64)
    if name in MPMATH_REFERENCES and x.dtype == np.float64:
        return np.frompyfunc(lambda v: wide(mpmath_erf(name, float(v))), 1, 1)(x).astype(wide)
    with np.errstate(all="ignore"):
        if name == "gelu":
            wide_x = x.astype(np.float64)
            return 0.5 * wide_x * scipy.special.erfc(-wide_x / np.sqrt(2))
        return ELEMENTWISE[name][0](x.astype(wide))


def ulp_error(got, ref):
    """|got - ref| in ULP of got's dtype at ref (0 where both are the same
    infinity or both NaN; inf where only one is NaN or infinite)."""
    dtype = got.dtype
    finfo = np.finfo(dtype)
    ref = np.asarray(ref)
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        spacing = np.spacing(np.abs(rounded)).astype(ref.dtype)
        spacing = np.maximum(spacing, finfo.smallest_subnormal)
        error = np.abs(got.astype(ref.dtype) - ref) / spacing
    nan_got, nan_ref = np.isnan(got), np.isnan(ref)
    error = np.where(nan_got & nan_ref, 0.0, error)
    error = np.where(nan_got != nan_ref, np.inf, error)
    same_inf = np.isinf(got) & (got == rounded)
    return np.where(same_inf, 0.0, error)


def samples(dtype, domain, count, seed):
    low, high, log_scale = domain
    rng = np.random.default_rng(seed)
    if log_scale:
        top = max(abs(low), abs(high))
        tiny = np.finfo(dtype).smallest_subnormal
        magnitude = np.exp(rng.uniform(np.log(float(tiny)), np.log(top), count))
        if low < 0:
            sign = rng.choice([-1.0, 1.0], count)
            magnitude = np.where(sign < 0, np.minimum(magnitude, -low) if low > -1 else magnitude, magnitude) * sign
        values = magnitude
    else:
        values = rng.uniform(low, high, count)
    with np.errstate(over="ignore"):
        return values.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_within_ulp_bound(target, dtype, name):
    x = samples(dtype, ELEMENTWISE[name][1], 4000, seed=len(name))
    if name == "gelu" and dtype == np.float64:
        x = np.maximum(x, -30.0)  # below, the float64 reference itself is subnormal
    got = getattr(simdkit, name)(x)
    assert got.dtype == dtype and got.shape == x.shape
    bound = (ULP_BOUNDS if dtype == np.float32 else ULP_BOUNDS_F64)[name]
    if dtype == np.float64 and (WIDE is None or name in FLOAT64_REFERENCES):
        bound = max(bound, 64)  # float64 reference: its own rounding counts
    errors = ulp_error(got, reference(name, x))
    worst = int(np.argmax(errors))
    assert errors[worst] <= bound, f"{name} {np.dtype(dtype)} x={x[worst]!r}: {errors[worst]} ULP on {target}"


SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -2.0, 100.0, -100.0, 1000.0,
            -1000.0, 1e6, -1e6, 1e30, -1e30]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n != "gelu"])
def test_special_values_as_numpy(target, dtype, name):
    finfo = np.finfo(dtype)
    x = np.array(SPECIALS + [finfo.max, -finfo.max, finfo.smallest_subnormal,
                             -finfo.smallest_subnormal, finfo.tiny], dtype=dtype)
    got = simdkit.__dict__[name](x)
    with np.errstate(all="ignore"):
        expected = ELEMENTWISE[name][0](x.astype(np.float64)).astype(dtype)
    if name in ("silu", "gelu_tanh"):
        expected[np.isneginf(x)] = -0.0  # the limit, where NumPy's formula gives -inf * 0
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{name} NaN positions")
    infinite = np.isinf(expected)
    np.testing.assert_array_equal(got[infinite], expected[infinite], err_msg=f"{name} infinities")
    zero = expected == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(expected[zero]),
                                  err_msg=f"{name} signed zeros")


def test_gelu_limits(target):
    x = np.array([-np.inf, np.inf, np.nan, 0.0, -0.0], dtype=np.float32)
    got = simdkit.gelu(x)
    assert got[0] == 0 and np.signbit(got[0])
    assert got[1] == np.inf and np.isnan(got[2]) and got[3] == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_lane_does_not_depend_on_its_neighbours(target, dtype):
    """Each element's result is the same whatever shares its vector: values
    in the fast ranges beside values past them (large, tiny, NaN, +-Inf),
    in several orders. (float32 exp and sinh once switched a whole vector to
    the whole line's formula when one lane needed it: about 1 ULP.)"""
    rng = np.random.default_rng(5)
    x = (rng.choice([-1, 1], 4096) * 10.0 ** rng.uniform(-8, 2.3, 4096)).astype(dtype)
    x[::7] = rng.uniform(-800, 800, x[::7].size)
    x[::13], x[::17], x[::19] = np.nan, np.inf, -np.inf
    for name in ELEMENTWISE_FUNCTIONS:
        function = getattr(simdkit, name)
        with np.errstate(all="ignore"):
            whole = function(x)
            for seed in range(3):
                order = np.random.default_rng(seed).permutation(x.size)
                np.testing.assert_array_equal(function(x[order]), whole[order], err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_size_and_offset(target, dtype):
    base = np.random.default_rng(1).uniform(-3, 3, 100).astype(dtype)
    whole = simdkit.exp(base)
    for offset in range(3):
        for n in range(0, 3 * 16 + 2):
            x = base[offset:offset + n]
            np.testing.assert_array_equal(simdkit.exp(x), whole[offset:offset + n])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_strides_out_and_in_place(target, dtype):
    rng = np.random.default_rng(2)
    x = rng.uniform(-2, 2, (4, 6, 5)).astype(dtype)
    expected = simdkit.tanh(x)
    for view in (x.T, x[:, ::2, 1:], x[::-1], np.asfortranarray(x), x.reshape(-1)[::3]):
        np.testing.assert_array_equal(simdkit.tanh(view), simdkit.tanh(np.ascontiguousarray(view)))
    out = np.empty_like(x)
    assert simdkit.tanh(x, out=out) is out
    np.testing.assert_array_equal(out, expected)
    strided_out = np.empty((4, 6, 10), dtype)[:, :, ::2]
    simdkit.tanh(x, out=strided_out)
    np.testing.assert_array_equal(strided_out, expected)
    in_place = x.copy()
    assert simdkit.tanh(in_place, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)
    transposed = x.copy().T
    simdkit.tanh(transposed, transposed)
    np.testing.assert_array_equal(transposed, expected.T)
    zero_d = np.array(0.5, dtype)
    assert simdkit.tanh(zero_d).shape == () and simdkit.tanh(zero_d) == simdkit.tanh(np.array([0.5], dtype))[0]
    assert simdkit.tanh(np.empty((0, 3), dtype)).shape == (0, 3)


def test_large_array_matches_chunks(target):
    x = np.random.default_rng(3).uniform(-10, 10, 1 << 20).astype(np.float32)
    got = simdkit.sigmoid(x)
    np.testing.assert_array_equal(got[:1000], simdkit.sigmoid(x[:1000]))
    assert np.max(ulp_error(got, reference("sigmoid", x))) <= ULP_BOUNDS["sigmoid"]


ROW_CASES = [((7,), -1), ((5, 33), -1), ((5, 33), 0), ((3, 4, 20), 1), ((3, 4, 20), None),
             ((2, 1000), -1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", ROW_CASES)
def test_row_kernels_match_scipy(target, dtype, shape, axis):
    rng = np.random.default_rng(4)
    x = rng.normal(0, 20, shape).astype(dtype)
    x.flat[0] = 1e4  # far past exp's overflow: must stay stable
    tolerance = 3e-6 if dtype == np.float32 else 1e-13
    wide = x.astype(np.float64)
    np.testing.assert_allclose(simdkit.softmax(x, axis=axis), scipy.special.softmax(wide, axis=axis),
                               rtol=tolerance, atol=1e-30)
    np.testing.assert_allclose(simdkit.log_softmax(x, axis=axis),
                               scipy.special.log_softmax(wide, axis=axis), rtol=tolerance,
                               atol=tolerance)
    np.testing.assert_allclose(simdkit.logsumexp(x, axis=axis),
                               scipy.special.logsumexp(wide, axis=axis), rtol=tolerance)
    norms = np.sqrt(np.sum(wide * wide, axis=axis, keepdims=axis is not None))
    np.testing.assert_allclose(simdkit.normalize(x, axis=axis), wide / norms, rtol=tolerance,
                               atol=tolerance)
    assert simdkit.softmax(x, axis=axis).dtype == dtype


@pytest.mark.parametrize("layout", ["strided", "fortran", "reversed"])
def test_axis_none_over_any_layout(target, layout):
    """axis=None takes all elements as one row whatever the layout of x and
    out. (A strided x was once read as several rows: logsumexp wrote one
    value per row into its one-element result, past its end.)"""
    x = np.random.default_rng(7).normal(0, 3, (18, 18)).astype(np.float32)
    view = {"strided": lambda a: np.repeat(np.repeat(a, 2, 0), 2, 1)[::2, ::2],
            "fortran": np.asfortranarray,
            "reversed": lambda a: a[::-1, ::-1].copy()[::-1, ::-1]}[layout]
    for name in ("softmax", "log_softmax", "normalize"):
        expected = getattr(simdkit, name)(x.ravel()).reshape(x.shape)
        np.testing.assert_array_equal(getattr(simdkit, name)(view(x), axis=None), expected, name)
        out = view(np.zeros_like(x))
        assert getattr(simdkit, name)(x, axis=None, out=out) is out
        np.testing.assert_array_equal(out, expected, name)
        in_place = view(x)
        getattr(simdkit, name)(in_place, axis=None, out=in_place)
        np.testing.assert_array_equal(in_place, expected, name)
    assert simdkit.logsumexp(view(x), axis=None) == simdkit.logsumexp(x.ravel())


def test_row_kernel_edges(target):
    x = np.array([[0, 0, 0], [1, np.nan, 2], [3e38, 3e38, 0], [-np.inf] * 3], dtype=np.float32)
    unit = simdkit.normalize(x)
    assert np.all(unit[0] == 0) and np.all(np.isnan(unit[1]))
    np.testing.assert_allclose(unit[2], [0.70710678, 0.70710678, 0], rtol=1e-6)
    lse = simdkit.logsumexp(x)
    assert np.isnan(lse[1]) and lse[3] == -np.inf
    assert simdkit.logsumexp(np.empty((2, 0), np.float32)).tolist() == [-np.inf, -np.inf]
    assert isinstance(simdkit.logsumexp(np.ones(4)), np.float64)
    y = x[:1].copy()
    assert simdkit.softmax(y, out=y) is y
    np.testing.assert_allclose(y, [[1 / 3] * 3], rtol=1e-6)


@pytest.mark.parametrize("call,error,words", [
    (lambda: simdkit.exp([1.0, 2.0]), TypeError, "numpy.ndarray"),
    (lambda: simdkit.exp(np.arange(3)), TypeError, "float32, float64, float16 or bfloat16"),
    (lambda: simdkit.exp(np.ones(3, np.complex64)), TypeError, "float32, float64, float16"),
    (lambda: simdkit.exp(np.ones(3), out=np.ones(4)), ValueError, "shape"),
    (lambda: simdkit.exp(np.ones(3), out=np.ones(3, np.float32)), TypeError, "dtype"),
    (lambda: simdkit.exp(np.ones(3), out=np.broadcast_to(np.ones(1), (3,))), ValueError, "writeable"),
    (lambda: simdkit.exp(np.ones(3)), None, None),
    (lambda: simdkit.softmax(np.ones((2, 3)), axis=2), np.exceptions.AxisError, "axis"),
    (lambda: simdkit.softmax(np.ones((2, 3)), axis="x"), TypeError, "axis"),
    (lambda: simdkit.logsumexp(np.ones(3, np.int32)), TypeError, "float32, float64"),
    (lambda: simdkit.exp(np.ones(3, np.uint16)), TypeError, "bfloat16"),
    (lambda: simdkit.exp(), TypeError, "missing required argument 'x'"),
    (lambda: simdkit.exp(np.ones(3), bogus=1), TypeError, "unexpected keyword"),
])
def test_bad_inputs_get_clear_errors(call, error, words):
    if error is None:
        call()
        return
    with pytest.raises(error, match=words):
        call()


def test_partially_overlapping_out_is_refused():
    x = np.ones(10)
    with pytest.raises(ValueError, match="shares memory"):
        simdkit.exp(x[:9], out=x[1:])
    with pytest.raises(ValueError, match="shares memory"):
        simdkit.softmax(x[:9], out=x[1:])


HALF_DTYPES = [np.float16, ml_dtypes.bfloat16]


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=["float16", "bfloat16"])
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_half_formats_over_every_pattern(target, dtype, name):
    """Every 16-bit pattern: the float32 result (within its own few ULP of
    the exact value) rounded to the format, so within one 16-bit ULP of the
    float32 reference rounded the same way; NaN where the reference is."""
    x = np.arange(1 << 16, dtype=np.uint16).view(dtype)
    got = getattr(simdkit, name)(x)
    assert got.dtype == np.dtype(dtype) and got.shape == x.shape
    wide = reference(name, x.astype(np.float32))  # float64
    if name in ("silu", "gelu_tanh", "gelu"):
        wide = np.where(np.isneginf(x.astype(np.float32)), -0.0, wide)
    with np.errstate(all="ignore"):
        expected = wide.astype(np.float32).astype(dtype)
    got32, expected32 = got.astype(np.float32), expected.astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got32), np.isnan(expected32), err_msg=f"{name} NaN")
    finite = np.isfinite(expected32) & np.isfinite(got32)
    np.testing.assert_array_equal(got32[~finite & ~np.isnan(got32)], expected32[~finite & ~np.isnan(expected32)])
    with np.errstate(over="ignore"):  # the spacing above float16's max is Inf
        spacing = (np.abs(np.spacing(expected[finite])).astype(np.float32) if dtype == np.float16
                   else np.maximum(np.abs(expected32[finite]) * 2.0**-7, 2.0**-133))
    assert np.all(np.abs(got32[finite] - expected32[finite]) <= spacing * 1.0001), name


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=["float16", "bfloat16"])
def test_half_formats_rows_and_in_place(target, dtype):
    x = np.random.default_rng(6).normal(0, 3, (4, 33)).astype(dtype)
    wide = x.astype(np.float32)
    for name in ("softmax", "log_softmax", "normalize"):
        got = getattr(simdkit, name)(x)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, getattr(simdkit, name)(wide).astype(dtype))
    np.testing.assert_array_equal(simdkit.logsumexp(x), simdkit.logsumexp(wide).astype(dtype))
    y = x.copy()
    simdkit.exp(y, out=y)
    np.testing.assert_array_equal(y, simdkit.exp(x))
    assert simdkit.logsumexp(x[0]).dtype == np.dtype(dtype)


@pytest.mark.skipif(UNDER_EMULATOR, reason="millions of elements; the C++ test covers the split "
                                           "under emulation")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_threads_give_the_same_bits(dtype):
    """threads= splits large inputs (elementwise into chunks, row kernels into
    whole rows) without changing a bit; strided input and out= included."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-10, 10, 3 * 2**18 + 5).astype(dtype)
    for name in ("exp", "tanh", "gelu"):
        function = getattr(simdkit, name)
        one = function(x)
        for threads in (None, 2):
            np.testing.assert_array_equal(function(x, threads=threads), one)
            out = np.full_like(x, np.nan)
            assert function(x, out, threads=threads) is out
            np.testing.assert_array_equal(out, one)
        np.testing.assert_array_equal(function(x[::2], threads=2), one[::2])
    rows = x[:3000 * 200].reshape(3000, 200)
    for name in ("softmax", "log_softmax", "normalize"):
        function = getattr(simdkit, name)
        np.testing.assert_array_equal(function(rows, threads=2), function(rows))
        np.testing.assert_array_equal(function(rows.T, axis=0, threads=None),
                                      function(rows.T, axis=0))
    np.testing.assert_array_equal(simdkit.logsumexp(rows, threads=2), simdkit.logsumexp(rows))
