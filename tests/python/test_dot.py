"""simdkit.dot (numpy.vecdot for real inputs: contracts the last axis, batch
axes broadcast) against exact references, on every supported target."""

import functools

import numpy as np
import pytest

import simdkit
from conftest import (
    LARGE_SIZES,
    SMALL_SIZES,
    accumulated_reference,
    assert_accumulated,
    exact_products,
    random_array,
    unaligned_copy,
    vecdot,
)

BOUNDARY_SIZES = sorted({m * 2**p + d for p in range(5, 12) for m in (1, 3) for d in (-1, 0, 1)})
BOTH_DTYPES = r"(?s)(?=.*float32)(?=.*float64)"


def pair(n, dtype, seed, kind="normal"):
    return (random_array(n, dtype, kind, seed=seed), random_array(n, dtype, kind, seed=seed + 1000))


def check_dot(got, a, b, what):
    """got == vecdot(a, b) within the documented bound, lane by lane, and
    of NumPy's result shape."""
    dtype = a.dtype
    shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    got_arr = np.asarray(got)
    assert got_arr.shape == shape, f"{what}: result shape {got_arr.shape}, expected {shape}"
    aa, bb = np.broadcast_arrays(a, b)
    d = a.shape[-1]
    rows = int(np.prod(shape))
    aa = aa.reshape(rows, d)
    bb = bb.reshape(rows, d)
    flat = got_arr.reshape(-1)
    for r in range(flat.size):
        reference = accumulated_reference(exact_products(aa[r], bb[r], dtype))
        assert_accumulated(flat[r], reference, d, dtype, f"{what} lane {r}", kind="dot")


# ---------------------------------------------------------------------------
# 1-D
# ---------------------------------------------------------------------------
def test_dot_small_sizes(target, dtype):
    for kind in ("normal", "positive", "ties", "wide"):
        for n in SMALL_SIZES:
            a, b = pair(n, dtype, seed=1, kind=kind)
            check_dot(simdkit.dot(a, b), a, b, f"n={n} kind={kind} target={target}")


def test_dot_block_boundary_sizes(target, dtype):
    for n in BOUNDARY_SIZES:
        a, b = pair(n, dtype, seed=2)
        check_dot(simdkit.dot(a, b), a, b, f"n={n} target={target}")


@functools.lru_cache(maxsize=None)
def _large_case(dtype_name, n):
    dtype = np.dtype(dtype_name)
    a, b = pair(n, dtype, seed=3)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b, accumulated_reference(exact_products(a, b, dtype))


@pytest.mark.parametrize("n", LARGE_SIZES)
def test_dot_large_sizes(target, dtype, n):
    a, b, reference = _large_case(dtype.name, n)
    got = simdkit.dot(a, b)
    assert_accumulated(got, reference, n, dtype, f"dot n={n} target={target}", kind="dot")


def test_dot_float64_against_numpy(target):
    """Also within the bound of np.dot's answer (its own error counted)."""
    for n in (10, 100, 1000, 4097):
        a, b = pair(n, np.dtype(np.float64), seed=4)
        abs_sum = float(np.abs(a) @ np.abs(b))
        u = np.finfo(np.float64).eps / 2
        h = int(np.ceil(np.log2(n))) + 7
        tol = 2 * h * u / (1 - h * u) * abs_sum  # ours + NumPy's
        assert abs(simdkit.dot(a, b) - np.dot(a, b)) <= tol, f"n={n} target={target}"


def test_dot_self(target, dtype):
    """The same array as both operands."""
    for n in (1, 17, 1000):
        a = random_array(n, dtype, "normal", seed=5)
        check_dot(simdkit.dot(a, a), a, a, f"dot(a, a) n={n} target={target}")


def test_dot_unaligned(target, dtype):
    """Each operand at its own misalignment, including off the element size
    (float64 at byte offset 4, float32 at 2)."""
    offsets = [0, dtype.itemsize, 2 * dtype.itemsize, 3 * dtype.itemsize, dtype.itemsize // 2]
    for n in list(range(0, 40)) + [1000, 4097]:
        a0, b0 = pair(n, dtype, seed=6)
        for oa in offsets:
            for ob in (offsets[(offsets.index(oa) + 1) % len(offsets)], oa):
                a = unaligned_copy(a0, oa)
                b = unaligned_copy(b0, ob)
                check_dot(simdkit.dot(a, b), a, b, f"n={n} offsets={oa},{ob} target={target}")


def test_dot_strided_1d(target, dtype):
    base_a = random_array(3 * 1000 + 7, dtype, "normal", seed=7)
    base_b = random_array(3 * 1000 + 7, dtype, "normal", seed=8)
    for sa, sb in [(slice(None, None, 2), slice(1, None, 2)), (slice(None, None, -1), slice(None)),
                   (slice(None, None, 3), slice(None, None, -3)), (slice(5, 5 + 1000), slice(None, None, 3))]:
        a, b = base_a[sa], base_b[sb]
        n = min(a.size, b.size, 1000)
        a, b = a[:n], b[:n]
        a_before, b_before = a.copy(), b.copy()
        check_dot(simdkit.dot(a, b), a, b, f"strides {sa},{sb} target={target}")
        np.testing.assert_array_equal(a, a_before)
        np.testing.assert_array_equal(b, b_before)


# ---------------------------------------------------------------------------
# Batches and broadcasting
# ---------------------------------------------------------------------------
BATCH_SHAPES = [
    ((5, 7), (5, 7)),
    ((5, 7), (7,)),
    ((7,), (5, 7)),
    ((1, 7), (5, 7)),
    ((5, 7), (1, 7)),
    ((40, 33), (40, 33)),
    ((3, 1, 9), (4, 9)),
    ((2, 3, 17), (3, 17)),
    ((2, 1, 16), (1, 4, 16)),
    ((2, 3, 4, 5), (4, 5)),
    ((1,), (6, 1)),
    ((8, 1000), (1000,)),
]


@pytest.mark.parametrize("shapes", BATCH_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dot_batch_shapes(target, dtype, shapes):
    sa, sb = shapes
    a = random_array(int(np.prod(sa)), dtype, "normal", seed=9).reshape(sa)
    b = random_array(int(np.prod(sb)), dtype, "normal", seed=10).reshape(sb)
    expected_shape = vecdot(a, b).shape
    got = simdkit.dot(a, b)
    assert np.shape(got) == expected_shape
    check_dot(got, a, b, f"{sa} . {sb} target={target}")
    if expected_shape:
        assert isinstance(got, np.ndarray) and got.dtype == dtype


def dot_layouts(shape, dtype, seed):
    rng = np.random.default_rng(seed)

    def fresh(s):
        return rng.standard_normal(s).astype(dtype)

    nd = len(shape)
    out = {"C": fresh(shape), "F": np.asfortranarray(fresh(shape))}
    big = fresh(tuple(s * 2 for s in shape))
    out["strided"] = big[tuple(slice(None, None, 2) for _ in shape)]
    out["negative"] = big[tuple(slice(None, None, -1) for _ in shape)][tuple(slice(0, s) for s in shape)]
    out["last-axis-strided"] = fresh(shape[:-1] + (3 * shape[-1],))[..., ::3]
    perm = tuple(range(1, nd)) + (0,)
    inv = tuple(np.argsort(perm))
    out["transposed"] = fresh(tuple(shape[p] for p in inv)).transpose(perm)
    out["unaligned"] = unaligned_copy(fresh(int(np.prod(shape))), dtype.itemsize // 2).reshape(shape)
    out["broadcast"] = np.broadcast_to(fresh(shape[-1:]), shape)
    for name, a in out.items():
        assert a.shape == shape, name
    return out


DOT_LAYOUTS = ["C", "F", "strided", "negative", "last-axis-strided", "transposed", "unaligned", "broadcast"]


@pytest.mark.parametrize("layout_b", ["C", "F", "negative", "last-axis-strided"])
@pytest.mark.parametrize("layout_a", DOT_LAYOUTS)
def test_dot_layouts(target, dtype, layout_a, layout_b):
    for shape in [(6, 19), (19, 6), (3, 4, 33)]:
        a = dot_layouts(shape, dtype, seed=11)[layout_a]
        b = dot_layouts(shape, dtype, seed=12)[layout_b]
        a_before, b_before = a.copy(), b.copy()
        check_dot(simdkit.dot(a, b), a, b, f"{layout_a} . {layout_b} {shape} target={target}")
        # Broadcast one row of the other layout against the batch.
        row = b[(0,) * (len(shape) - 1)]
        check_dot(simdkit.dot(a, row), a, row, f"{layout_a} . row {shape} target={target}")
        check_dot(simdkit.dot(row, a), row, a, f"row . {layout_a} {shape} target={target}")
        np.testing.assert_array_equal(a, a_before, err_msg="a was modified")
        np.testing.assert_array_equal(b, b_before, err_msg="b was modified")


# ---------------------------------------------------------------------------
# Special values, empty inputs
# ---------------------------------------------------------------------------
def test_dot_special_values(target, dtype):
    inf, nan = np.inf, np.nan
    for n in (1, 2, 7, 16, 17, 33, 100, 1000):
        a0, b0 = pair(n, dtype, seed=13, kind="positive")
        b0 += 1  # strictly positive
        for pos in sorted({0, n // 2, n - 1}):
            for va, vb in [(nan, 1.0), (1.0, nan), (inf, 1.0), (-inf, 1.0), (inf, -1.0), (inf, 0.0),
                           (0.0, -inf), (nan, 0.0)]:
                a, b = a0.copy(), b0.copy()
                a[pos], b[pos] = va, vb
                check_dot(simdkit.dot(a, b), a, b, f"a[{pos}]={va} b[{pos}]={vb} n={n} target={target}")
            if n > 1:
                a, b = a0.copy(), b0.copy()
                a[pos], a[n - 1 - pos if n - 1 - pos != pos else (pos + 1) % n] = inf, -inf
                check_dot(simdkit.dot(a, b), a, b, f"+inf and -inf n={n} target={target}")


def test_dot_denormals_not_flushed(target, dtype):
    """Denormal products summed exactly (integer multiples of the smallest
    subnormal stay exactly representable): the result must be exact."""
    tiny = np.finfo(dtype).smallest_subnormal
    rng = np.random.default_rng(14)
    for n in list(range(1, 40)) + [1000]:
        k = rng.integers(-1000, 1001, n)
        a = (k * tiny).astype(dtype)
        b = np.ones(n, dtype=dtype)
        expected = dtype.type(int(k.sum()) * tiny)
        got = simdkit.dot(a, b)
        assert got == expected, f"n={n} target={target}: got {got!r}, expected {expected!r}"
        assert simdkit.dot(b, a) == expected


@pytest.mark.parametrize("shapes,expected_shape", [
    (((0,), (0,)), ()),
    (((3, 0), (3, 0)), (3,)),
    (((3, 0), (0,)), (3,)),
    (((0, 5), (0, 5)), (0,)),
    (((0, 5), (5,)), (0,)),
    (((2, 0, 4), (4,)), (2, 0)),
    (((2, 3, 0), (1, 3, 0)), (2, 3)),
], ids=str)
def test_dot_empty(target, dtype, shapes, expected_shape):
    a = np.zeros(shapes[0], dtype=dtype)
    b = np.zeros(shapes[1], dtype=dtype)
    got = simdkit.dot(a, b)
    assert np.shape(got) == expected_shape
    assert np.all(np.asarray(got) == 0)
    assert np.asarray(got).dtype == dtype
    np.testing.assert_array_equal(got, vecdot(a, b))


# ---------------------------------------------------------------------------
# Result types and bad arguments
# ---------------------------------------------------------------------------
def test_dot_result_types(dtype):
    a, b = pair(10, dtype, seed=15)
    r = simdkit.dot(a, b)
    assert type(r) is dtype.type, f"expected {dtype.type}, got {type(r)}"
    r = simdkit.dot(a.reshape(2, 5), b.reshape(2, 5))
    assert isinstance(r, np.ndarray) and r.dtype == dtype and r.shape == (2,)
    ro = a.copy()
    ro.flags.writeable = False
    check_dot(simdkit.dot(ro, b), ro, b, "read-only a")


def test_dot_dtype_mismatch():
    a32 = np.ones(4, np.float32)
    a64 = np.ones(4, np.float64)
    for a, b in [(a32, a64), (a64, a32), (a32.reshape(2, 2), a64.reshape(2, 2))]:
        with pytest.raises(TypeError, match=BOTH_DTYPES):
            simdkit.dot(a, b)


@pytest.mark.parametrize("bad", ["int64", "int32", "float16", "bool", "complex128", "longdouble", ">f8", ">f4"])
def test_dot_wrong_dtype(bad):
    x = np.arange(4).astype(np.dtype(bad))
    with pytest.raises(TypeError, match=BOTH_DTYPES):
        simdkit.dot(x, x)
    for good in (np.ones(4, np.float64), np.ones(4, np.float32)):
        with pytest.raises(TypeError):
            simdkit.dot(x, good)
        with pytest.raises(TypeError):
            simdkit.dot(good, x)


@pytest.mark.parametrize("bad", [[1.0, 2.0], (1.0, 2.0), 1.5, None, np.float64(2.0)], ids=repr)
def test_dot_non_array(bad):
    good = np.ones(2, np.float64)
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        simdkit.dot(bad, good)
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        simdkit.dot(good, bad)


@pytest.mark.parametrize("sa,sb", [((3,), (4,)), ((2, 3), (2, 4)), ((2, 3), (4,)), ((0,), (1,)),
                                   ((5, 1), (5, 2))], ids=str)
def test_dot_last_dim_mismatch(dtype, sa, sb):
    with pytest.raises(ValueError):
        simdkit.dot(np.ones(sa, dtype), np.ones(sb, dtype))


def test_dot_zero_dim(dtype):
    s = np.array(2.0, dtype)
    for a, b in [(s, s), (s, np.ones(1, dtype)), (np.ones(1, dtype), s), (s, np.ones(3, dtype))]:
        with pytest.raises(ValueError):
            simdkit.dot(a, b)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 3)), ((2, 1, 4), (3, 2, 4)), ((4, 5), (3, 5)),
                                   ((2, 3, 5), (4, 5))], ids=str)
def test_dot_batch_not_broadcastable(dtype, sa, sb):
    with pytest.raises(ValueError):
        simdkit.dot(np.ones(sa, dtype), np.ones(sb, dtype))
