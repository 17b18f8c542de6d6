"""simdkit.sum/norm/min/max/argmin/argmax against NumPy and exact references,
on every supported target (see the `target` fixture in conftest.py)."""

import functools
import math
import time

import ml_dtypes
import numpy as np
import pytest

import simdkit
from conftest import (
    ACCUMULATING,
    UNDER_EMULATOR,
    EXTREMES,
    LARGE_SIZES,
    REDUCTIONS,
    SMALL_SIZES,
    accumulated_reference,
    assert_accumulated,
    check_reduction,
    depth,
    numpy_reference,
    random_array,
    square_terms,
    sum_error_bound,
    sum_terms,
    unaligned_copy,
)

# Sizes on both sides of power-of-two block boundaries (pairwise leaves of
# 32 vectors of 1..16 lanes, and their multiples).
BOUNDARY_SIZES = sorted({m * 2**p + d for p in range(5, 12) for m in (1, 3) for d in (-1, 0, 1)})

SPECIALS = {
    "nan": np.nan,
    "+inf": np.inf,
    "-inf": -np.inf,
    "+denorm": "denorm",
    "-denorm": "-denorm",
    "max": "max",
    "lowest": "lowest",
}
SPECIAL_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 65, 100, 257, 1000]


def special_value(key, dtype):
    v = SPECIALS[key]
    info = np.finfo(dtype)
    if v == "denorm":
        return dtype.type(info.smallest_subnormal)
    if v == "-denorm":
        return -dtype.type(info.smallest_subnormal)
    if v == "max":
        return dtype.type(info.max)
    if v == "lowest":
        return dtype.type(info.min)
    return dtype.type(v)


def call(name, x, **kwargs):
    return getattr(simdkit, name)(x, **kwargs)


# ---------------------------------------------------------------------------
# 1-D, all elements (axis=None)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", REDUCTIONS)
def test_small_sizes(target, dtype, name):
    for kind in ("normal", "ties", "positive", "wide"):
        for n in SMALL_SIZES:
            x = random_array(n, dtype, kind, seed=1)
            what = f"n={n} kind={kind} target={target}"
            if n == 0 and name in EXTREMES:
                with pytest.raises(ValueError):
                    call(name, x)
                continue
            check_reduction(name, call(name, x), x, what=what)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_block_boundary_sizes(target, dtype, name):
    for n in BOUNDARY_SIZES:
        x = random_array(n, dtype, "normal", seed=2)
        check_reduction(name, call(name, x), x, what=f"n={n} target={target}")


@functools.lru_cache(maxsize=None)
def _large_case(dtype_name, n, name):
    """Input and reference for the large sizes, shared by all targets."""
    dtype = np.dtype(dtype_name)
    kind = "positive" if name in ("sum", "norm") else "normal"
    x = random_array(n, dtype, kind, seed=3)
    if name in EXTREMES:
        # A repeated extreme: the first occurrence must win.
        x[n // 3] = x[(2 * n) // 3] = 9.0 if name in ("max", "argmax") else -9.0
        reference = numpy_reference(name, x)
    else:
        terms = sum_terms(x) if name == "sum" else square_terms(x)
        reference = accumulated_reference(terms)
    x.flags.writeable = False  # shared: must stay untouched
    return x, reference


@pytest.mark.parametrize("n", LARGE_SIZES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_large_sizes(target, dtype, name, n):
    x, reference = _large_case(dtype.name, n, name)
    got = call(name, x)
    what = f"{name} n={n} dtype={dtype.name} target={target}"
    if name in EXTREMES:
        assert got == reference, f"{what}: got {got!r}, NumPy {reference!r}"
    else:
        assert_accumulated(got, reference, n, dtype, what, kind=name)


def test_extreme_at_every_position(target, dtype):
    """The extreme (and, separately, a NaN) at each position of arrays of up
    to 3 vectors + 1 (every lane and tail slot), with a later duplicate."""
    for n in range(1, 50):
        base = random_array(n, dtype, "normal", seed=4)
        for p in range(n):
            for value in (100.0, -100.0, np.nan):
                x = base.copy()
                x[p] = value
                if p + 3 < n:
                    x[p + 3] = value  # tie / second NaN: first one wins
                what = f"n={n} pos={p} value={value} target={target}"
                for name in EXTREMES:
                    got = call(name, x)
                    expected = numpy_reference(name, x)
                    np.testing.assert_array_equal(got, expected, err_msg=f"{name} {what}")


@pytest.mark.parametrize("special", list(SPECIALS))
@pytest.mark.parametrize("name", REDUCTIONS)
def test_special_values(target, dtype, name, special):
    """NaN, +-Inf, +-denormal, +-max at the first, middle and last position."""
    value = special_value(special, dtype)
    for n in SPECIAL_SIZES:
        base = random_array(n, dtype, "normal", seed=5)
        for pos in sorted({0, n // 2, n - 1}):
            x = base.copy()
            x[pos] = value
            check_reduction(name, call(name, x), x, what=f"{special} at {pos} n={n} target={target}")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_mixed_specials(target, dtype, name):
    """Random mixes of NaN, +-Inf, zeros and ordinary values, including
    +Inf and -Inf in the same lane (their sum is NaN, the array has none)."""
    rng = np.random.default_rng(6)
    pools = {
        "infs": [np.inf, -np.inf],
        "infs+ones": [np.inf, -np.inf, 1.0, -1.0, 0.0],
        "nans+infs": [np.nan, np.inf, -np.inf, 2.0, -2.0],
        "sparse-nan": [np.nan] + [0.5] * 30 + [-0.5] * 30,
    }
    for pool_name, pool in pools.items():
        for n in list(range(1, 70)) + [128, 200, 1000]:
            x = rng.choice(np.array(pool), n).astype(dtype)
            check_reduction(name, call(name, x), x, what=f"pool={pool_name} n={n} target={target}")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_all_equal(target, dtype, name):
    for n in list(range(1, 50)) + [1000]:
        x = np.full(n, 1.5, dtype=dtype)
        check_reduction(name, call(name, x), x, what=f"all 1.5 n={n} target={target}")


def test_denormals_are_not_flushed(target, dtype):
    """Integer multiples of the smallest subnormal: any summation order is
    exact (no partial sum leaves the exactly representable range), so the
    sum must equal the exact value; ordering must see distinct denormals."""
    tiny = np.finfo(dtype).smallest_subnormal
    rng = np.random.default_rng(7)
    for n in list(range(1, 50)) + [1000, 4097]:
        k = rng.integers(-1000, 1001, n)
        x = (k * tiny).astype(dtype)
        assert np.array_equal(x / tiny, k)
        exact = dtype.type(int(k.sum()) * tiny)
        got = simdkit.sum(x)
        assert got == exact, f"sum of denormals n={n} target={target}: got {got!r}, exact {exact!r}"
        for name in EXTREMES:
            expected = numpy_reference(name, x)
            assert call(name, x) == expected, f"{name} of denormals n={n} target={target}"
        # Denormal-only positives: a flushed input would give 0.
        xp = np.abs(x)
        xp[xp == 0] = tiny
        assert simdkit.min(xp) == np.min(xp) > 0
        assert simdkit.sum(xp) == dtype.type(int(np.abs(k).sum() + (k == 0).sum()) * tiny)


# ---------------------------------------------------------------------------
# Layouts: unaligned, strided, negative strides, Fortran order, N-D, axes
# ---------------------------------------------------------------------------
UNALIGNED_OFFSETS = {"1elem": 1.0, "2elem": 2.0, "3elem": 3.0, "half-elem": 0.5}


@pytest.mark.parametrize("offset", list(UNALIGNED_OFFSETS))
@pytest.mark.parametrize("name", REDUCTIONS)
def test_unaligned(target, dtype, name, offset):
    """Data starting off any vector alignment (and, for 'half-elem', off the
    element alignment: float64 at offset=4 bytes, float32 at 2 bytes)."""
    byte_offset = int(UNALIGNED_OFFSETS[offset] * dtype.itemsize)
    for n in SMALL_SIZES + [1000, 4097]:
        if n == 0 and name in EXTREMES:
            continue
        x = unaligned_copy(random_array(n, dtype, "normal", seed=8), byte_offset)
        check_reduction(name, call(name, x), x, what=f"byte offset {byte_offset} n={n} target={target}")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_unaligned_views(target, dtype, name):
    base = random_array(1100, dtype, "normal", seed=9)
    for start in range(0, 17):
        for n in (1, 2, 5, 16, 17, 33, 49, 1000):
            x = base[start:start + n]
            check_reduction(name, call(name, x), x, what=f"view [{start}:{start + n}] target={target}")


def make_layouts(shape, dtype, seed):
    """Arrays of `shape` (same values pattern) in several memory layouts."""
    rng = np.random.default_rng(seed)
    shape = tuple(shape)
    nd = len(shape)

    def fresh(s):
        return rng.standard_normal(s).astype(dtype)

    layouts = {}
    layouts["C"] = fresh(shape)
    layouts["F"] = np.asfortranarray(fresh(shape))
    steps = tuple(2 + (i % 2) for i in range(nd))  # ::2, ::3, ::2 ...
    big = fresh(tuple(s * k for s, k in zip(shape, steps)))
    layouts["strided"] = big[tuple(slice(None, None, k) for k in steps)]
    big = fresh(tuple(s * 2 for s in shape))
    layouts["negative"] = big[tuple(slice(None, None, -1 if i % 2 == 0 else -2) for i in range(nd))][
        tuple(slice(0, s) for s in shape)]
    perm = tuple(range(1, nd)) + (0,)
    inv = tuple(np.argsort(perm))
    layouts["transposed"] = fresh(tuple(shape[p] for p in inv)).transpose(perm)
    flat = unaligned_copy(fresh(int(np.prod(shape))), dtype.itemsize // 2)
    layouts["unaligned"] = flat.reshape(shape)
    row = fresh(shape[-1:])
    layouts["broadcast"] = np.broadcast_to(row, shape)
    for name, a in layouts.items():
        assert a.shape == shape, (name, a.shape, shape)
    return layouts


LAYOUTS = ["C", "F", "strided", "negative", "transposed", "unaligned", "broadcast"]
ND_SHAPES = [(7, 13), (13, 7), (1, 33), (33, 1), (4, 50), (3, 5, 17), (2, 9, 4), (5, 1, 3), (2, 3, 2, 5)]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_axes_and_layouts(target, dtype, name, layout):
    """Every axis (positive and negative) of 2-D..4-D arrays in every layout,
    keepdims both ways; the input is not modified."""
    for shape in ND_SHAPES:
        x = make_layouts(shape, dtype, seed=len(shape) * 100 + shape[0])[layout]
        before = x.copy()
        check_reduction(name, call(name, x), x, what=f"layout={layout} target={target}")
        nd = len(shape)
        for axis in range(-nd, nd):
            keepdims = axis % 2 == 0
            got = call(name, x, axis=axis, keepdims=keepdims)
            check_reduction(name, got, x, axis=axis, keepdims=keepdims,
                            what=f"layout={layout} target={target}")
            if axis in (0, -1):
                got = call(name, x, axis=axis, keepdims=not keepdims)
                check_reduction(name, got, x, axis=axis, keepdims=not keepdims,
                                what=f"layout={layout} target={target}")
        np.testing.assert_array_equal(x, before, err_msg="input was modified")


@pytest.mark.parametrize("name", REDUCTIONS)
def test_1d_layouts(target, dtype, name):
    """1-D strided, negative-strided and axis=0/-1 forms."""
    base = random_array(4 * 1000 + 3, dtype, "normal", seed=10)
    views = {
        "::2": base[::2],
        "::3": base[::3],
        "::-1": base[::-1],
        "::-3": base[::-3],
        "1::7": base[1::7],
        "5:6": base[5:6],
    }
    for label, x in views.items():
        before = x.copy()
        for axis in (None, 0, -1):
            check_reduction(name, call(name, x, axis=axis), x, axis=axis,
                            what=f"view {label} target={target}")
        np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_axis_with_special_values(target, dtype, name):
    """NaN/Inf in some lanes only, reduced along each axis."""
    x = random_array(6 * 35, dtype, "normal", seed=11).reshape(6, 35)
    x[1, 0] = np.nan
    x[2, 34] = np.inf
    x[3, 17] = -np.inf
    x[4, 5] = np.nan
    x[4, 30] = np.nan
    x[5, 3] = np.inf
    x[5, 20] = -np.inf
    for layout_x in (x, np.asfortranarray(x), x.T.copy().T):
        for axis in (None, 0, 1, -1, -2):
            check_reduction(name, call(name, layout_x, axis=axis), layout_x, axis=axis,
                            what=f"target={target}")


def test_large_rows(target, dtype):
    """Many long rows along either axis (row loop + per-row sums)."""
    x = random_array(64 * 700, dtype, "normal", seed=12).reshape(64, 700)
    for name in REDUCTIONS:
        for axis in (0, 1):
            check_reduction(name, call(name, x, axis=axis), x, axis=axis, what=f"target={target}")


# ---------------------------------------------------------------------------
# Empty and 0-d inputs
# ---------------------------------------------------------------------------
EMPTY_SHAPES = [(0,), (3, 0), (0, 5), (0, 0), (2, 0, 3), (0, 4, 2)]


@pytest.mark.parametrize("shape", EMPTY_SHAPES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_empty(target, dtype, name, shape):
    """sum/norm of nothing are 0 (per lane too); min/max/argmin/argmax raise
    ValueError when the reduced axis is empty, as NumPy."""
    x = np.zeros(shape, dtype=dtype)
    nd = len(shape)
    for axis in [None] + list(range(-nd, nd)):
        if axis is None:
            out_shape, lane_length = (), x.size
        else:
            out_shape = tuple(s for i, s in enumerate(shape) if i != axis % nd)
            lane_length = shape[axis]
        what = f"{name}(zeros{shape}, axis={axis}) target={target}"
        if name in EXTREMES and lane_length == 0:
            # As NumPy: an empty reduced axis raises even with no lanes, (0, 0).
            with pytest.raises(ValueError, match="zero-size array"):
                call(name, x, axis=axis)
            continue
        got = call(name, x, axis=axis)
        assert np.shape(got) == out_shape, what
        if name in ACCUMULATING:
            assert np.all(np.asarray(got) == 0), f"{what}: {got!r}"
            if axis is not None:
                assert np.asarray(got).dtype == dtype, what
        else:
            np.testing.assert_array_equal(got, numpy_reference(name, x, axis=axis), err_msg=what)


def test_empty_rows_shape_0_5(target, dtype):
    """Shape (0, 5) with axis=-1: no rows, so an empty result for every
    function (no ValueError even for min/max)."""
    x = np.zeros((0, 5), dtype=dtype)
    for name in REDUCTIONS:
        got = call(name, x, axis=-1)
        assert isinstance(got, np.ndarray) and got.shape == (0,), name
        assert got.dtype == (np.intp if name.startswith("arg") else dtype), name
        got = call(name, x, axis=-1, keepdims=True)
        assert got.shape == (0, 1), name


def test_empty_raises_valueerror(target, dtype):
    for name in EXTREMES:
        for x, axis in [(np.zeros(0, dtype), None), (np.zeros(0, dtype), 0),
                        (np.zeros((3, 0), dtype), -1), (np.zeros((3, 0), dtype), None),
                        (np.zeros((0, 5), dtype), 0)]:
            with pytest.raises(ValueError):
                call(name, x, axis=axis)
    assert simdkit.sum(np.zeros(0, dtype)) == 0
    assert simdkit.norm(np.zeros(0, dtype)) == 0
    np.testing.assert_array_equal(simdkit.sum(np.zeros((3, 0), dtype), axis=-1), np.zeros(3))
    np.testing.assert_array_equal(simdkit.norm(np.zeros((3, 0), dtype), axis=1), np.zeros(3))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_zero_dim(target, dtype, name):
    x = np.array(-2.5, dtype=dtype)
    expected = {"sum": -2.5, "norm": 2.5, "min": -2.5, "max": -2.5, "argmin": 0, "argmax": 0}[name]
    assert call(name, x) == expected
    for axis in (0, -1):
        with pytest.raises(np.exceptions.AxisError):
            call(name, x, axis=axis)


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", REDUCTIONS)
def test_result_types(dtype, name):
    x = random_array(24, dtype, "normal", seed=13)
    is_arg = name.startswith("arg")
    r = call(name, x)
    if is_arg:
        assert isinstance(r, (np.integer, int)) and not isinstance(r, bool)
        assert type(r) is np.intp, f"{name}: expected numpy.intp, got {type(r)}"
    else:
        assert type(r) is dtype.type, f"{name}: expected {dtype.type}, got {type(r)}"
    x2 = x.reshape(4, 6)
    out_dtype = np.dtype(np.intp) if is_arg else dtype
    for axis, keepdims, shape in [(0, False, (6,)), (1, False, (4,)), (-1, True, (4, 1)),
                                  (0, True, (1, 6))]:
        r = call(name, x2, axis=axis, keepdims=keepdims)
        assert isinstance(r, np.ndarray), type(r)
        assert r.shape == shape
        assert r.dtype == out_dtype, f"{name} axis={axis}: dtype {r.dtype}, expected {out_dtype}"
        assert not np.shares_memory(r, x2)
    # Defaults: axis=None, keepdims=False, also by keyword.
    assert call(name, x2, axis=None, keepdims=False) == call(name, x2)
    assert np.asarray(call(name, x2)).shape == ()


@pytest.mark.parametrize("name", REDUCTIONS)
def test_read_only_and_native_explicit_dtypes(dtype, name):
    x = random_array(100, dtype, "normal", seed=14)
    x.flags.writeable = False
    check_reduction(name, call(name, x), x, what="read-only input")
    native = x.astype(dtype.newbyteorder("="))
    check_reduction(name, call(name, native), native, what="'=' byte order")


# ---------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------
BOTH_DTYPES = r"(?s)(?=.*float32)(?=.*float64)"
BAD_DTYPES = {
    "int64": np.int64, "int32": np.int32, "uint8": np.uint8, "float16": np.float16,
    "bool": np.bool_, "complex64": np.complex64, "complex128": np.complex128,
    "longdouble": np.longdouble, "bfloat16": ml_dtypes.bfloat16,
    ">f8": np.dtype(">f8"), ">f4": np.dtype(">f4"), "object": object,
}


@pytest.mark.parametrize("bad", list(BAD_DTYPES))
@pytest.mark.parametrize("name", REDUCTIONS)
def test_wrong_dtype_raises_typeerror(name, bad):
    x = np.arange(6).astype(BAD_DTYPES[bad])
    with pytest.raises(TypeError, match=BOTH_DTYPES):
        call(name, x)
    with pytest.raises(TypeError, match=BOTH_DTYPES):
        call(name, x.reshape(2, 3), axis=1)
    with pytest.raises(TypeError, match=BOTH_DTYPES):
        call(name, np.zeros(0, dtype=BAD_DTYPES[bad]))


NON_ARRAYS = {
    "list": [1.0, 2.0, 3.0],
    "tuple": (1.0, 2.0),
    "float": 1.5,
    "int": 3,
    "None": None,
    "numpy-scalar": np.float64(1.5),
    "str": "1.0",
}


@pytest.mark.parametrize("bad", list(NON_ARRAYS))
@pytest.mark.parametrize("name", REDUCTIONS)
def test_non_array_raises_typeerror(name, bad):
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        call(name, NON_ARRAYS[bad])


@pytest.mark.parametrize("name", REDUCTIONS)
def test_axis_out_of_range(name, dtype):
    for shape, axis in [((3, 4), 2), ((3, 4), -3), ((5,), 1), ((5,), -2), ((2, 3, 4), 3),
                        ((2, 3, 4), -4), ((3, 4), 100)]:
        x = np.ones(shape, dtype=dtype)
        with pytest.raises(np.exceptions.AxisError):
            call(name, x, axis=axis)


@pytest.mark.parametrize("bad_axis", [(0,), (0, 1), 1.0, 0.0, "0", [0]], ids=repr)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_axis_wrong_type(name, bad_axis):
    x = np.ones((3, 4), dtype=np.float64)
    with pytest.raises(TypeError):
        call(name, x, axis=bad_axis)


# ---------------------------------------------------------------------------
# Accuracy on 10^7 elements (active target only)
# ---------------------------------------------------------------------------
def _exact_sum_streaming(x):
    """math.fsum over the float64 values of a large array without building one
    huge list at once."""
    chunks = (c.astype(np.float64).tolist() for c in np.array_split(x, 50))
    return math.fsum(v for chunk in chunks for v in chunk), float(np.sum(np.abs(x), dtype=np.float64))


# Under an emulated CPU the exact references (math.fsum over Python floats)
# dominate the leg's time: 10^6 values there, as the other large-size tests.
ACCURACY_N = 10**6 if UNDER_EMULATOR else 10**7


@pytest.mark.parametrize("kind", ["positive", "normal"])
def test_sum_accuracy_large_float32(kind):
    """10^7 float32 values (10^6 under an emulated CPU) on the automatically
    chosen target: the error is within gamma_h * sum|x|. NumPy's error is
    printed for information."""
    n = ACCURACY_N
    rng = np.random.default_rng(15)
    x = (rng.random(n, dtype=np.float32) if kind == "positive"
         else rng.standard_normal(n, dtype=np.float32))
    exact, abs_sum = _exact_sum_streaming(x)
    # sum|x| in float64 has relative error < 1e-9: inflate it to be safe.
    abs_sum *= 1 + 1e-6
    t0 = time.perf_counter()
    got = simdkit.sum(x)
    t1 = time.perf_counter()
    ref_np = np.sum(x)
    t2 = time.perf_counter()
    err = abs(float(got) - exact)
    err_np = abs(float(ref_np) - exact)
    bound = sum_error_bound(n, abs_sum, np.float32)
    print(f"\n[sum {n:.0e} float32 {kind}] target={simdkit.targets()['active']} exact={exact!r} "
          f"simdkit={float(got)!r} err={err:.4g} ({simdkit_time(t1 - t0)}) "
          f"numpy={float(ref_np)!r} err={err_np:.4g} ({simdkit_time(t2 - t1)}) "
          f"bound={bound:.4g} (h={depth(n)})")
    assert type(got) is np.float32
    assert err <= bound, f"error {err} exceeds bound {bound}"
    # norm on the same data, within its (derived) bound.
    got_norm = simdkit.norm(x)
    x64 = x.astype(np.float64)
    sq = x64 * x64
    exact_sq = math.fsum(v for c in np.array_split(sq, 50) for v in c.tolist())
    assert_accumulated(got_norm, (exact_sq, exact_sq), n, np.dtype(np.float32),
                       f"norm {n:.0e} float32", kind="norm")


def simdkit_time(seconds):
    return f"{seconds * 1e3:.2f} ms"
