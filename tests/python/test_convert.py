"""Conversions float32 <-> bfloat16 / float16 and int8 quantization, on every
supported target (the `target` fixture), bit for bit against ml_dtypes and
NumPy's astype: all 2^16 half-precision patterns, special float32 values
(zeros, Inf, quiet and signalling NaNs with payloads, subnormals, rounding
ties, the float16 overflow edge) and random bit patterns.
"""

import numpy as np
import pytest

import simdkit
from conftest import unaligned_copy

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)

ALL16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)

SPECIAL_BITS = np.array([
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000,
    0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7F800001, 0xFF800001, 0x7FA00000,
    0x7FBFFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0x7F802000, 0x7F801FFF, 0x7F807FFF,
    0x00000001, 0x80000001, 0x007FFFFF, 0x00400000, 0x00008000,
    0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F8000, 0x7F7F7FFF,
    0x3F808000, 0x3F818000, 0x3F808001, 0x3F807FFF,
    0x3F801000, 0x3F803000, 0x3F801001, 0x3F800FFF,
    0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, 0xC77FF000,
    0x38800000, 0x387FFFFF, 0x387FF000, 0x33800000, 0x33000000, 0x33000001,
    0x32FFFFFF, 0x33C00000, 0x33A00000, 0xB3000001,
], dtype=np.uint32)


def float32_inputs(n=1 << 18, seed=0):
    """Special values, uniform bit patterns, and values with exponents around
    the float16 range."""
    rng = np.random.default_rng(seed)
    uniform = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
    near = rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32)
    exponents = rng.integers(127 - 30, 127 + 18, n).astype(np.uint32)
    near = (near & np.uint32(0x807FFFFF)) | (exponents << np.uint32(23))
    return np.concatenate([SPECIAL_BITS, uniform, near]).view(np.float32)


def astype_bits(x, dtype):
    with np.errstate(over="ignore", invalid="ignore"):
        return x.astype(dtype).view(np.uint16)


def test_all_patterns_widen_exactly(target):
    bf = ALL16.view(BF16)
    got = simdkit.from_bfloat16(bf)
    assert got.dtype == np.float32 and got.shape == bf.shape
    np.testing.assert_array_equal(got.view(np.uint32), bf.astype(np.float32).view(np.uint32))
    got = simdkit.from_bfloat16(ALL16, dtype="bfloat16")
    np.testing.assert_array_equal(got.view(np.uint32), bf.astype(np.float32).view(np.uint32))
    half = ALL16.view(np.float16)
    got = simdkit.from_float16(half)
    np.testing.assert_array_equal(got.view(np.uint32), half.astype(np.float32).view(np.uint32))
    got = simdkit.from_float16(ALL16, dtype="float16")
    np.testing.assert_array_equal(got.view(np.uint32), half.astype(np.float32).view(np.uint32))


def test_all_patterns_narrow_back_as_astype(target):
    wide = ALL16.view(np.float16).astype(np.float32)
    np.testing.assert_array_equal(simdkit.to_float16(wide).view(np.uint16),
                                  astype_bits(wide, np.float16))
    wide = ALL16.view(BF16).astype(np.float32)
    np.testing.assert_array_equal(simdkit.to_bfloat16(wide).view(np.uint16),
                                  astype_bits(wide, BF16))


def test_random_and_special_float32_bit_identical(target):
    x = float32_inputs()
    bf = simdkit.to_bfloat16(x)
    assert bf.dtype == BF16 and bf.shape == x.shape
    half = simdkit.to_float16(x)
    assert half.dtype == np.float16 and half.shape == x.shape
    for got, dtype in ((bf, BF16), (half, np.float16)):
        expected = astype_bits(x, dtype)
        bad = np.flatnonzero(got.view(np.uint16) != expected)
        assert bad.size == 0, [(hex(x.view(np.uint32)[i]), hex(got.view(np.uint16)[i]),
                                hex(expected[i])) for i in bad[:8]]


@pytest.mark.parametrize("n", list(range(0, 50)) + [1000, 4097])
def test_sizes_and_unaligned_input(target, n):
    x = float32_inputs(n, seed=n)[len(SPECIAL_BITS):][:n] if n > 0 else np.zeros(0, np.float32)
    x = unaligned_copy(x, 4)
    np.testing.assert_array_equal(simdkit.to_bfloat16(x).view(np.uint16), astype_bits(x, BF16))
    np.testing.assert_array_equal(simdkit.to_float16(x).view(np.uint16),
                                  astype_bits(x, np.float16))
    h = unaligned_copy(ALL16[(np.arange(n) * 997) % 65536], 2)
    np.testing.assert_array_equal(simdkit.from_float16(h, dtype="float16").view(np.uint32),
                                  h.view(np.float16).astype(np.float32).view(np.uint32))
    # An odd byte offset: unaligned for the itemsize, gathered first.
    x1 = unaligned_copy(x, 1)
    np.testing.assert_array_equal(simdkit.to_bfloat16(x1).view(np.uint16), astype_bits(x, BF16))


@pytest.mark.parametrize("make", [
    lambda x: x.reshape(6, 7, 8),
    lambda x: x.reshape(6, 56)[:, ::3],
    lambda x: np.asfortranarray(x.reshape(12, 28)),
    lambda x: x.reshape(12, 28)[::-2, 1:],
    lambda x: x[5:6].reshape(()),
], ids=["3d", "strided", "fortran", "negative", "0d"])
def test_shapes_and_strides(target, make):
    x = make(float32_inputs(336, seed=3)[len(SPECIAL_BITS):][:336])
    for convert, dtype in ((simdkit.to_bfloat16, BF16), (simdkit.to_float16, np.float16)):
        got = convert(x)
        assert got.shape == x.shape and got.dtype == dtype
        np.testing.assert_array_equal(got.view(np.uint16), astype_bits(x, dtype))
    with np.errstate(over="ignore", invalid="ignore"):
        y = x.astype(np.float16)
        b = x.astype(BF16)
    np.testing.assert_array_equal(simdkit.from_float16(y), y.astype(np.float32))
    np.testing.assert_array_equal(simdkit.from_bfloat16(b).view(np.uint32),
                                  b.astype(np.float32).view(np.uint32))


def test_out_arguments(target):
    x = float32_inputs(1000, seed=5).reshape(-1, 10)[:50]
    out = np.empty(x.shape, BF16)
    assert simdkit.to_bfloat16(x, out) is out
    np.testing.assert_array_equal(out.view(np.uint16), astype_bits(x, BF16))
    out16 = np.empty(x.shape, np.uint16)
    assert simdkit.to_bfloat16(x, out=out16) is out16
    np.testing.assert_array_equal(out16, astype_bits(x, BF16))
    assert simdkit.to_float16(x, out=out16) is out16
    np.testing.assert_array_equal(out16, astype_bits(x, np.float16))
    back = np.empty(x.shape, np.float32)
    assert simdkit.from_float16(out16, back, dtype="float16") is back
    np.testing.assert_array_equal(back, out16.view(np.float16).astype(np.float32))
    assert simdkit.from_bfloat16(out, out=back) is back


def test_quantize_error_bound_and_dequantize(target):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((64, 300)) * np.exp2(rng.integers(-30, 30, (64, 1)))).astype(np.float32)
    x[3] = 0.0
    q, scale = simdkit.quantize_int8(x)
    assert q.dtype == np.int8 and q.shape == x.shape
    assert scale.dtype == np.float32 and scale.shape == (64,)
    max_abs = np.abs(x).max(axis=1)
    np.testing.assert_array_equal(scale, max_abs / np.float32(127))
    assert scale[3] == 0 and not q[3].any()
    assert q.min() >= -127
    y = simdkit.dequantize_int8(q, scale)
    np.testing.assert_array_equal(y, q.astype(np.float32) * scale[:, None])
    error = np.abs(x.astype(np.float64) - y.astype(np.float64))
    bound = 0.5 * scale.astype(np.float64)[:, None] * (1 + 2.0 ** -15)
    assert (error <= bound).all(), float((error / np.maximum(bound, 1e-300)).max())
    # Rounding: q is x / scale rounded to nearest even (NumPy's rint).
    expected = np.clip(np.rint(x / np.where(scale == 0, 1, scale)[:, None]), -127, 127)
    np.testing.assert_array_equal(q, expected.astype(np.int8))


def test_quantize_ties_to_even(target):
    x = np.array([127, 0.5, 1.5, 2.5, -0.5, -3.5, 126.5, -127, 0], np.float32)
    q, scale = simdkit.quantize_int8(x)
    assert scale.shape == () and scale == 1
    np.testing.assert_array_equal(q, [127, 0, 2, 2, 0, -4, 126, -127, 0])


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_quantize_along_axis(target, axis):
    rng = np.random.default_rng(axis + 10)
    x = rng.standard_normal((5, 6, 7)).astype(np.float32)[:, ::2]
    q, scale = simdkit.quantize_int8(x, axis=axis)
    moved = np.moveaxis(x, axis, -1)
    expected_scale = np.abs(moved).max(axis=-1) / np.float32(127)
    np.testing.assert_array_equal(scale, expected_scale)
    assert q.shape == x.shape and q.flags.c_contiguous
    expected_q = np.rint(moved / expected_scale[..., None]).astype(np.int8)
    np.testing.assert_array_equal(np.moveaxis(q, axis, -1), expected_q)
    y = simdkit.dequantize_int8(q, scale, axis=axis)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_array_equal(np.moveaxis(y, axis, -1),
                                  expected_q.astype(np.float32) * expected_scale[..., None])


def test_quantize_empty_rows():
    q, scale = simdkit.quantize_int8(np.zeros((3, 0), np.float32))
    assert q.shape == (3, 0) and scale.shape == (3,) and not scale.any()
    q, scale = simdkit.quantize_int8(np.zeros((0, 4), np.float32))
    assert q.shape == (0, 4) and scale.shape == (0,)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_quantize_rejects_non_finite(bad):
    x = np.ones((3, 20), np.float32)
    x[2, 7] = bad
    with pytest.raises(ValueError, match="row 2 contains NaN or Inf"):
        simdkit.quantize_int8(x)


def test_wrong_dtypes_raise_type_error():
    x64 = np.zeros(4)
    for fn in (simdkit.to_bfloat16, simdkit.to_float16, simdkit.quantize_int8):
        with pytest.raises(TypeError, match="float32"):
            fn(x64)
    with pytest.raises(TypeError, match="bfloat16"):
        simdkit.from_bfloat16(np.zeros(4, np.float16))
    with pytest.raises(TypeError, match="dtype='bfloat16'"):
        simdkit.from_bfloat16(np.zeros(4, np.uint16))
    with pytest.raises(TypeError, match="dtype='float16'"):
        simdkit.from_float16(np.zeros(4, np.uint16))
    with pytest.raises(ValueError, match="dtype must be None"):
        simdkit.from_float16(np.zeros(4, np.uint16), dtype="bfloat16")
    with pytest.raises(TypeError, match="numpy.ndarray"):
        simdkit.to_bfloat16([1.0, 2.0])
    with pytest.raises(TypeError, match="int8"):
        simdkit.dequantize_int8(np.zeros(4, np.uint8), np.float32(1))
    with pytest.raises(TypeError, match="float32"):
        simdkit.dequantize_int8(np.zeros(4, np.int8), np.array(1.0))


def test_bad_out_arguments():
    x = np.zeros((4, 5), np.float32)
    with pytest.raises(TypeError, match="bfloat16 or uint16"):
        simdkit.to_bfloat16(x, out=np.empty((4, 5), np.float16))
    with pytest.raises(ValueError, match="shape"):
        simdkit.to_bfloat16(x, out=np.empty((5, 4), BF16))
    read_only = np.empty((4, 5), np.float16)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        simdkit.to_float16(x, out=read_only)
    with pytest.raises(ValueError, match="C-contiguous"):
        simdkit.to_float16(x, out=np.empty((4, 10), np.float16)[:, ::2])
    with pytest.raises(ValueError, match="shares memory"):
        simdkit.to_bfloat16(x, out=x.reshape(-1).view(np.uint16)[:20].reshape(4, 5))
    with pytest.raises(TypeError, match="float32"):
        simdkit.from_float16(np.zeros(3, np.float16), out=np.empty(3, np.float64))
    with pytest.raises(ValueError, match="shape"):
        simdkit.dequantize_int8(np.zeros((4, 5), np.int8), np.ones(5, np.float32))
    with pytest.raises(ValueError, match="0-d"):
        simdkit.quantize_int8(np.ones((), np.float32))


def test_large_array_releases_gil_and_matches():
    x = float32_inputs(1 << 20, seed=9)
    np.testing.assert_array_equal(simdkit.to_bfloat16(x).view(np.uint16), astype_bits(x, BF16))


# ---------------------------------------------------------------------------
# The 8-bit formats: float8_e4m3fn and float8_e5m2 (ml_dtypes' astype is the
# specification: it does not saturate, so E4M3 overflows to NaN and E5M2 to
# Inf)
# ---------------------------------------------------------------------------
FLOAT8 = [("float8_e4m3", np.dtype(ml_dtypes.float8_e4m3fn), "float8_e4m3fn"),
          ("float8_e5m2", np.dtype(ml_dtypes.float8_e5m2), "float8_e5m2")]
ALL8 = np.arange(256, dtype=np.uint16).astype(np.uint8)


def float8_boundaries(dtype):
    """Every finite value of the format, the midpoints to the next (the
    rounding points), one float32 ulp either side, both signs."""
    values = ALL8.view(dtype).astype(np.float64)
    finite = np.unique(np.abs(values[np.isfinite(values)]))
    points = np.concatenate([finite, (finite[:-1] + finite[1:]) / 2,
                             [finite[-1] * 1.0625, finite[-1] * 1.125]]).astype(np.float32)
    bits = points.view(np.uint32)
    around = np.concatenate([bits - 1, bits, bits + 1]).view(np.float32)
    return np.concatenate([around, -around])


@pytest.mark.parametrize("name, dtype, keyword", FLOAT8, ids=[f[0] for f in FLOAT8])
def test_float8_all_patterns_widen_as_astype(target, name, dtype, keyword):
    """All 256 patterns, bit for bit (every NaN becomes the quiet NaN of its
    sign, as ml_dtypes)."""
    expected = ALL8.view(dtype).astype(np.float32).view(np.uint32)
    widen = getattr(simdkit, "from_" + name)
    np.testing.assert_array_equal(widen(ALL8.view(dtype)).view(np.uint32), expected)
    np.testing.assert_array_equal(widen(ALL8, dtype=keyword).view(np.uint32), expected)
    # Each pattern's value narrows back to the pattern, but NaNs to the
    # format's one NaN of their sign.
    back = getattr(simdkit, "to_" + name)(ALL8.view(dtype).astype(np.float32))
    np.testing.assert_array_equal(back.view(np.uint8),
                                  ALL8.view(dtype).astype(np.float32).astype(dtype).view(np.uint8))


@pytest.mark.parametrize("name, dtype, keyword", FLOAT8, ids=[f[0] for f in FLOAT8])
def test_float8_narrowing_bit_identical_to_astype(target, name, dtype, keyword):
    """Special float32 (NaN payloads, Inf, subnormals), every rounding point
    of the format and its neighbours, and random bit patterns: the same
    bits as x.astype(dtype)."""
    x = np.concatenate([float32_inputs(1 << 16, seed=11), float8_boundaries(dtype)])
    rng = np.random.default_rng(12)
    near = rng.integers(0, 1 << 32, 1 << 16, dtype=np.uint64).astype(np.uint32)
    exponents = rng.integers(127 - 20, 127 + 18, near.size).astype(np.uint32)
    x = np.concatenate([x, ((near & np.uint32(0x807FFFFF)) | (exponents << np.uint32(23))).view(
        np.float32)])
    got = getattr(simdkit, "to_" + name)(x)
    assert got.dtype == dtype and got.shape == x.shape
    with np.errstate(over="ignore", invalid="ignore"):
        expected = x.astype(dtype)
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("name, dtype, keyword", FLOAT8, ids=[f[0] for f in FLOAT8])
def test_float8_shapes_out_and_uint8_patterns(target, name, dtype, keyword):
    x = float32_inputs(336, seed=13)[len(SPECIAL_BITS):][:336].reshape(12, 28)
    narrow, widen = getattr(simdkit, "to_" + name), getattr(simdkit, "from_" + name)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = x.astype(dtype)
    for view in (x[::-2, 1:], np.asfortranarray(x), x.reshape(4, 3, 28)):
        with np.errstate(over="ignore", invalid="ignore"):
            np.testing.assert_array_equal(narrow(view).view(np.uint8), view.astype(dtype).view(np.uint8))
    out = np.empty(x.shape, np.uint8)
    assert narrow(x, out=out) is out
    np.testing.assert_array_equal(out, expected.view(np.uint8))
    back = np.empty(x.shape, np.float32)
    assert widen(out, back, dtype=keyword) is back
    np.testing.assert_array_equal(back.view(np.uint32), expected.astype(np.float32).view(np.uint32))
    with pytest.raises(TypeError, match=f"dtype='{keyword}'"):
        widen(out)
    with pytest.raises(ValueError, match="dtype must be None"):
        widen(out, dtype="bfloat16")
    with pytest.raises(TypeError, match=f"{keyword} or uint8"):
        narrow(x, out=np.empty(x.shape, np.float16))
    with pytest.raises(TypeError, match="float32"):
        narrow(np.zeros(3))
    other = FLOAT8[1][1] if dtype == FLOAT8[0][1] else FLOAT8[0][1]
    with pytest.raises(TypeError, match=keyword):
        widen(expected.view(np.uint8).view(other))
