"""simdkit.atan2, hypot and power against NumPy (arctan2, hypot, power):
values within their ULP bounds of a wider reference on every target, C99's
special values as NumPy gives them, NumPy's broadcasting (shapes, Python
scalars, 0-d, empty, strided and reversed operands, out= and in place),
float16 and bfloat16, threads, and the refused arguments."""
import itertools

import ml_dtypes
import numpy as np
import pytest

import simdkit
from conftest import skip_under_emulator
from test_math import WIDE, ulp_error

NUMPY = {"atan2": np.arctan2, "hypot": np.hypot, "power": np.power}
# ULP bounds, float32 then float64 (as tests/cpp/binary_math_reference.h).
BOUNDS = {"atan2": (2, 2), "hypot": (1, 2), "power": (1, 1)}
DTYPES = [np.float32, np.float64]
HALF_DTYPES = [np.float16, ml_dtypes.bfloat16]


def reference(name, a, b):
    wide = np.float64 if a.dtype == np.float32 else (WIDE or np.float64)
    with np.errstate(all="ignore"):
        return NUMPY[name](a.astype(wide), b.astype(wide))


def pairs(name, dtype, count, seed):
    """Pairs over the whole range and typical values; for power, exponents
    that take y log2 x across the overflow and underflow edges, and negative
    bases with integer exponents."""
    rng = np.random.default_rng(seed)
    finfo = np.finfo(dtype)
    tiny, huge = np.log(float(finfo.smallest_subnormal)), np.log(float(finfo.max))

    def magnitudes(n):
        return np.exp(rng.uniform(tiny, huge, n))

    if name != "power":
        a = np.concatenate([magnitudes(count) * rng.choice([-1, 1], count),
                            rng.uniform(-10, 10, count)])
        b = np.concatenate([magnitudes(count) * rng.choice([-1, 1], count),
                            rng.uniform(-10, 10, count)])
    else:
        edge = 150 if dtype == np.float32 else 1080
        x_wide = magnitudes(count)
        a = np.concatenate([rng.uniform(0, 10, count), x_wide,
                            -rng.uniform(0, 10, count)])
        with np.errstate(all="ignore"):
            b_wide = rng.uniform(-edge, edge, count) / np.log2(x_wide)
        b = np.concatenate([rng.uniform(-40, 40, count), b_wide,
                            np.floor(rng.uniform(-60, 60, count))])
    with np.errstate(over="ignore"):
        return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(NUMPY))
def test_within_ulp_bound(target, dtype, name):
    a, b = pairs(name, dtype, 20000, seed=len(name))
    got = getattr(simdkit, name)(a, b)
    assert got.dtype == dtype and got.shape == a.shape
    error = ulp_error(got, reference(name, a, b))
    worst = int(np.argmax(error))
    bound = BOUNDS[name][0 if dtype == np.float32 else 1]
    if dtype == np.float64 and WIDE is None:
        bound += 1  # the reference's own rounding
    assert error[worst] <= bound, (name, a[worst], b[worst], got[worst])


SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5,
            1 / 3, -8.0, 1e-40, 1e300, -1e300, 0.75, 1.5]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(NUMPY))
def test_special_values_as_numpy(target, dtype, name):
    """Every pair of special values: NaN where NumPy has NaN, zeros and
    infinities with NumPy's signs, the rest within a few ULP."""
    with np.errstate(all="ignore"):
        values = np.array(SPECIALS, dtype)
    a, b = (np.array(v, dtype) for v in zip(*itertools.product(values, values)))
    got = getattr(simdkit, name)(a, b)
    with np.errstate(all="ignore"):
        expected = NUMPY[name](a, b)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    exact = (expected == 0) | np.isinf(expected)
    np.testing.assert_array_equal(got[exact], expected[exact])
    np.testing.assert_array_equal(np.signbit(got[exact]), np.signbit(expected[exact]))
    rest = ~exact & ~np.isnan(expected)
    assert np.all(ulp_error(got[rest], reference(name, a, b)[rest]) <= 2)


def test_c99_examples():
    assert simdkit.power(np.float64(-8.0) * np.ones(1), 1 / 3)[0] != simdkit.power(8.0, 1 / 3)
    assert np.isnan(simdkit.power(np.array([-8.0]), 1 / 3)[0])
    assert simdkit.power(np.array([-2.0]), 3)[0] == -8
    assert simdkit.power(np.array([np.nan]), 0)[0] == 1
    assert simdkit.power(1, np.array([np.nan]))[0] == 1
    assert simdkit.power(np.array([-0.0]), -1)[0] == -np.inf
    assert simdkit.hypot(np.array([np.inf, np.nan]), np.array([np.nan, -np.inf])).tolist() == [
        np.inf, np.inf]
    assert simdkit.atan2(np.array([0.0, -0.0]), -0.0).tolist() == [np.pi, -np.pi]
    assert simdkit.atan2(np.array([np.inf]), -np.inf)[0] == 3 * np.pi / 4


SHAPES = [((3, 1), (4,)), ((2, 1, 4), (3, 1)), ((5,), (5,)), ((), (4,)), ((3, 4), ()),
          ((0, 3), (3,)), ((2, 0), (1, 0)), ((1,), (2, 3, 1)), ((4, 1, 1, 3), (2, 3))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(NUMPY))
def test_broadcasting_as_numpy(name, shapes):
    rng = np.random.default_rng(3)
    a = rng.uniform(0.1, 4, shapes[0]).astype(np.float32)
    b = rng.uniform(-3, 3, shapes[1]).astype(np.float32)
    got = getattr(simdkit, name)(a, b)
    expected = reference(name, a, b)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.all(ulp_error(got, expected) <= 2)
    # Each element as the flat call gives it, bit for bit.
    flat_a, flat_b = (np.ascontiguousarray(np.broadcast_to(v, got.shape)).ravel() for v in (a, b))
    np.testing.assert_array_equal(got.ravel(), getattr(simdkit, name)(flat_a, flat_b))


@pytest.mark.parametrize("name", list(NUMPY))
def test_layouts_scalars_and_out(name):
    rng = np.random.default_rng(4)
    base = rng.uniform(0.1, 4, (6, 8))
    other = rng.uniform(-3, 3, (8, 6))
    f = getattr(simdkit, name)
    expected = f(np.ascontiguousarray(base[::-2, 1::3]), np.ascontiguousarray(other.T[::-2, 1::3]))
    np.testing.assert_array_equal(f(base[::-2, 1::3], other.T[::-2, 1::3]), expected)
    # Python scalars take the array's dtype (NumPy 2's weak scalars).
    x = base.astype(np.float32)
    for scalar in (2, 0.5, -1.25):
        got = f(x, scalar)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, f(x, np.full_like(x, scalar)))
        np.testing.assert_array_equal(f(scalar, x), f(np.full_like(x, scalar), x))
    both = f(2.0, 3.0)
    assert both.dtype == np.float64 and both.shape == ()
    # out=: a new array's values, into any layout, and in place.
    out = np.empty((8, 6)).T
    assert f(base, other.T, out) is out
    np.testing.assert_array_equal(out, f(base, other.T))
    a = base.copy()
    f(a, other.T, out=a)
    np.testing.assert_array_equal(a, f(base, other.T))
    b = other.T.copy()
    f(base, b, out=b)
    np.testing.assert_array_equal(b, f(base, other.T))


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=["float16", "bfloat16"])
@pytest.mark.parametrize("name", list(NUMPY))
def test_half_formats(target, dtype, name):
    """Within one 16-bit ULP of the float64 value rounded to the format."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 1 << 16, 20000, dtype=np.uint16).view(dtype)
    b = rng.integers(0, 1 << 16, 20000, dtype=np.uint16).view(dtype)
    if name == "power":
        b[::2] = (rng.integers(-16, 17, 10000) / 2).astype(dtype)
    got = getattr(simdkit, name)(a, b)
    assert got.dtype == np.dtype(dtype)
    with np.errstate(all="ignore"):
        expected = reference(name, a.astype(np.float32), b.astype(np.float32)).astype(
            np.float32).astype(dtype)
    got32, expected32 = got.astype(np.float32), expected.astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got32), np.isnan(expected32))
    finite = np.isfinite(expected32) & np.isfinite(got32)
    np.testing.assert_array_equal(got32[~finite & ~np.isnan(got32)],
                                  expected32[~finite & ~np.isnan(expected32)])
    with np.errstate(over="ignore"):
        spacing = (np.abs(np.spacing(expected[finite])).astype(np.float32) if dtype == np.float16
                   else np.maximum(np.abs(expected32[finite]) * 2.0**-7, 2.0**-133))
    assert np.all(np.abs(got32[finite] - expected32[finite]) <= spacing * 1.0001), name
    # A weak scalar takes the half dtype.
    assert getattr(simdkit, name)(a, 2.0).dtype == np.dtype(dtype)


@skip_under_emulator  # 2^18 pairs; threads split the same target code
@pytest.mark.parametrize("name", list(NUMPY))
def test_threads_give_the_same_bits(name):
    a, b = pairs(name, np.float32, 1 << 18, seed=9)
    one = getattr(simdkit, name)(a, b)
    np.testing.assert_array_equal(one, getattr(simdkit, name)(a, b, threads=3))
    column, row = a[:1000, None], b[:700]
    np.testing.assert_array_equal(getattr(simdkit, name)(column, row, threads=None),
                                  getattr(simdkit, name)(column, row))


def test_bad_arguments():
    x32, x64 = np.ones(4, np.float32), np.ones(4)
    with pytest.raises(TypeError, match=r"simdkit\.power: x1 has dtype float32 but x2 has dtype "
                                        r"float64; expected the same dtype"):
        simdkit.power(x32, x64)
    with pytest.raises(TypeError, match=r"argument 'x2' must be a numpy\.ndarray, got list; a "
                                        "Python float or int also works"):
        simdkit.hypot(x32, [1.0])
    with pytest.raises(TypeError, match=r"argument 'x1' must be a numpy\.ndarray, got float32"):
        simdkit.atan2(np.float32(1), x32)
    with pytest.raises(TypeError, match=r"argument 'x1' must have dtype float32, float64, "
                                        "float16 or bfloat16"):
        simdkit.atan2(np.ones(4, np.int32), x32)
    with pytest.raises(ValueError, match=r"simdkit\.hypot: .*\(3,\).*\(4,\)"):
        simdkit.hypot(np.ones(3), x64)
    with pytest.raises(ValueError, match=r"out must have the result's shape \(3, 4\), got \(4,\)"):
        simdkit.power(np.ones((3, 1)), x64, out=np.empty(4))
    with pytest.raises(TypeError, match=r"argument 'out' must have dtype float64"):
        simdkit.power(x64, x64, out=np.empty(4, np.float32))
    read_only = np.empty(4)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        simdkit.power(x64, x64, out=read_only)
    buffer = np.ones(8)
    with pytest.raises(ValueError, match="out shares memory with the input"):
        simdkit.power(buffer[:4], x64, out=buffer[1:5])
    # In place only where out is the input itself, unbroadcast.
    with pytest.raises(ValueError, match="out shares memory with the input"):
        simdkit.power(buffer[:1], buffer[:4], out=buffer[:4][::-1])
    with pytest.raises(ValueError, match="threads must be None"):
        simdkit.atan2(x64, x64, threads=0)


from hypothesis import given, note  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@st.composite
def broadcast_pairs(draw):
    """Two arrays of one dtype, of shapes that broadcast together, holding
    any values (NaN, infinities, subnormals included), possibly reversed."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=5))
    arrays = [draw(hnp.arrays(dtype, shape, elements=st.floats(width=32 if dtype == np.float32
                                                                 else 64)))
              for shape in shapes.input_shapes]
    if draw(st.booleans()) and arrays[0].ndim:
        arrays[0] = arrays[0][..., ::-1]
    return draw(st.sampled_from(list(NUMPY))), arrays[0], arrays[1]


@skip_under_emulator  # hundreds of drawn cases; the tests above cover the target
@given(broadcast_pairs())
def test_any_values_and_shapes_as_numpy(case):
    """NumPy's shape, NaN where NumPy has NaN, NumPy's zeros and infinities
    with their signs, the rest within the bound of the wider reference."""
    name, a, b = case
    note(f"{name}({a!r}, {b!r})")
    got = getattr(simdkit, name)(a, b)
    with np.errstate(all="ignore"):
        expected = NUMPY[name](a, b)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    # Exact zeros and infinities (of the wider reference, not only rounded
    # to them) with their signs; the rest within the bound.
    wide = np.broadcast_to(reference(name, a, b), got.shape)
    exact = (wide == 0) | np.isinf(wide)
    np.testing.assert_array_equal(got[exact], wide[exact].astype(got.dtype))
    np.testing.assert_array_equal(np.signbit(got[exact]), np.signbit(wide[exact]))
    rest = ~exact & ~np.isnan(expected)
    bound = BOUNDS[name][0 if a.dtype == np.float32 else 1] + (1 if WIDE is None else 0)
    assert np.all(ulp_error(got[rest], wide[rest]) <= bound)
