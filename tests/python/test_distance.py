"""simdkit.distance / paired / cdist / pdist / topk against scipy.spatial.distance,
on every supported target.

References are computed in float64 from the very values simdkit reads
(float16/bfloat16/int8 inputs are converted exactly), with 'dot' in long
double, and packed bits from np.unpackbits. The tolerances live in one place
(TOLERANCES below) and are documented in docs/distance.md.

Where simdkit's documented semantics differ from SciPy's, the reference
follows simdkit's header and the difference is pinned by its own test:
'hamming' of packed bits counts differing bits. 'jaccard' follows SciPy >=
1.15 (nonzero means True), computed here in NumPy so that NaN behaves as in
SciPy's formula.
"""

import ast
import math
import pathlib
import warnings

import ml_dtypes
import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided
from scipy.spatial import distance as sd

import simdkit
from conftest import BIT_METRICS, METRICS, UNDER_EMULATOR, unaligned_copy

COUNTING = {"hamming", "jaccard"}

# How an input reaches simdkit: the NumPy storage and the dtype= keyword.
#   bfloat16      ml_dtypes.bfloat16 arrays
#   bfloat16_u16  the same values as uint16 bit patterns, dtype="bfloat16"
#   bits          uint8 arrays of packed bits, dtype="bits"
CASES = ["float64", "float32", "float16", "bfloat16", "bfloat16_u16", "int8", "uint8", "bool",
         "bits"]
FLOAT_CASES = ["float64", "float32", "float16", "bfloat16"]
INTEGER_CASES = {"int8", "uint8", "bool", "bits"}

# Sizes: every tail up to 3 vectors + 1 of the widest target for 4- and
# 8-byte elements (AVX3: 16 float32 lanes), around the vector multiples of
# 1- and 2-byte elements (up to 64 lanes), and one size that crosses the
# kernels' accumulation blocks.
SMALL_SIZES = list(range(0, 70))
BYTE_SIZES = [95, 96, 97, 127, 128, 129, 191, 192, 193, 255, 256, 257]
LARGE_SIZES = {"bits": [8195]}  # bits: 128 steps x 64 bytes; others 4099


def sizes_for(case):
    sizes = SMALL_SIZES + (BYTE_SIZES if case in INTEGER_CASES or "16" in case else [])
    return sizes + LARGE_SIZES.get(case, [4099])


def metrics_for(case):
    return BIT_METRICS if case == "bits" else METRICS


def result_dtype(case):
    return np.dtype(np.float64 if case == "float64" else np.float32)


# ---------------------------------------------------------------------------
# Tolerances: the one place (docs/distance.md, "Accuracy as tested").
# ---------------------------------------------------------------------------
# Float inputs: |got - ref| <= rtol(d) * S + 2 u_r |ref|, where S is the sum
# of the magnitudes of the metric's terms (dot: sum |a_i b_i|; sqeuclidean,
# euclidean, cityblock: the value itself), u_r the unit roundoff of the result
# dtype, and rtol(d) = TOLERANCES[case] * sqrt(max(d, 1)). cosine, in [0, 2]:
# |got - ref| <= 3 rtol(d) + 4 u_r (absolute).
# Integer inputs (int8, uint8, bool, bits) accumulate exactly: dot,
# sqeuclidean and cityblock equal the exact value rounded once to float32;
# euclidean and cosine are within 4 u_r relative (cosine: absolute).
# hamming and jaccard are ratios of exact counts: always the reference
# rounded once to the result dtype.
TOLERANCES = {
    "float64": 2e-14,
    "float32": 1e-6,
    "float16": 1e-6,   # products of float16 are exact in float32
    "bfloat16": 1e-6,  # so are products of bfloat16
    "bfloat16_u16": 1e-6,
}


def unit_roundoff(case):
    return float(np.finfo(result_dtype(case)).eps) / 2


def is_exact(case, metric):
    return metric in COUNTING or (case in INTEGER_CASES and
                                  metric in ("dot", "sqeuclidean", "cityblock"))


def tolerance(case, metric, d, ref, scale):
    """Allowed |got - ref| (array like ref), or None where got must equal
    ref rounded to the result dtype."""
    if is_exact(case, metric):
        return None
    u = unit_roundoff(case)
    rtol = 4 * u if case in INTEGER_CASES else TOLERANCES[case] * math.sqrt(max(d, 1))
    if metric == "cosine":
        return np.full(np.shape(ref), 3 * rtol + 4 * u)
    with np.errstate(invalid="ignore"):
        return rtol * scale + 2 * u * np.abs(ref)


def assert_close(got, ref, case, metric, d, scale, what):
    """got == ref within `tolerance`; NaN exactly where ref is NaN, infinities
    equal."""
    got = np.asarray(got)
    assert got.dtype == result_dtype(case), f"{what}: result dtype {got.dtype}"
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    g = got.astype(np.float64)
    tol = tolerance(case, metric, d, ref, scale)
    with np.errstate(invalid="ignore", over="ignore"):
        both_nan = np.isnan(g) & np.isnan(ref)
        if tol is None:
            ok = (got == ref.astype(result_dtype(case))) | both_nan
        else:
            ok = (np.abs(g - ref) <= tol) | (g == ref) | both_nan
    if not ok.all():
        at = tuple(int(i) for i in np.argwhere(~ok)[0])
        allowed = "exact" if tol is None else f"{np.asarray(tol)[at]:.3g}"
        raise AssertionError(
            f"{what}: {int((~ok).sum())} of {ok.size} wrong; at {at}: got {g[at]!r}, "
            f"expected {ref[at]!r} (|error| {abs(g[at] - ref[at]):.3g}, allowed {allowed})")


# ---------------------------------------------------------------------------
# Data and references
# ---------------------------------------------------------------------------
def make(case, shape, metric, rng):
    """(array passed to simdkit, the values it holds as float64 -- or bool
    for packed bits, unpacked --, keyword arguments)."""
    counting = metric in COUNTING
    if case == "bits":
        raw = rng.integers(0, 256, shape, dtype=np.uint8)
        if counting and rng.random() < 0.5:  # sparse bytes: more zeros, ties
            raw &= rng.integers(0, 256, shape, dtype=np.uint8)
        return raw, np.unpackbits(raw, axis=-1).astype(bool), {"dtype": "bits"}
    if case == "bool":
        x = rng.random(shape) < 0.4
        return x, x, {}
    if case in ("int8", "uint8"):
        info = np.iinfo(case)
        lo, hi = (max(info.min, -2), 3) if counting else (info.min, info.max + 1)
        x = rng.integers(lo, hi, shape).astype(case)
        return x, x.astype(np.float64), {}
    x64 = rng.integers(-2, 3, shape).astype(np.float64) if counting else rng.standard_normal(shape)
    if case in ("bfloat16", "bfloat16_u16"):
        x = x64.astype(ml_dtypes.bfloat16)
        ref = x.astype(np.float64)
        if case == "bfloat16_u16":
            return x.view(np.uint16), ref, {"dtype": "bfloat16"}
        return x, ref, {}
    x = x64.astype(case)
    return x, x.astype(np.float64), {}


def jaccard_reference(a, b):
    """SciPy >= 1.15's jaccard: positions where exactly one of a, b is nonzero
    among those where either is (0 if none)."""
    nonzero_a, nonzero_b = a[:, None, :] != 0, b[None, :, :] != 0
    num = (nonzero_a ^ nonzero_b).sum(-1)
    den = (nonzero_a | nonzero_b).sum(-1)
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


def reference(metric, a, b, case):
    """(reference cdist matrix in float64, magnitude sum S per pair)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if case == "bits":
            if metric == "hamming":  # the number of differing bits
                ref = (a[:, None, :] != b[None, :, :]).sum(-1).astype(np.float64)
            else:
                ref = sd.cdist(a, b, "jaccard")
            return ref, np.abs(ref)
        if metric == "dot":
            ref = (a.astype(np.longdouble) @ b.astype(np.longdouble).T).astype(np.float64)
            return ref, np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)).T
        if metric == "jaccard" and case != "bool":
            ref = jaccard_reference(a, b)
        else:
            ref = sd.cdist(a, b, metric)
        return ref, np.abs(ref)


def batched_scale(metric, a, b, case, ref, scale):
    """`scale` for cdist and topk, which finish float sqeuclidean and
    euclidean from squared norms and the dot product where they go through
    panels (the norm form, docs/distance.md "Error bounds"): also within
    min(rho * sq, 2 gamma(2d+4) (|a|^2 + |b|^2)) + 2u sq, rho = 2^-12 (float)
    or 2^-26 (float64), as tests/cpp/distance_reference.h's NormFormTolerance;
    returned as the scale that rtol(d) turns into that bound."""
    if metric not in ("sqeuclidean", "euclidean") or case not in TOLERANCES:
        return scale
    d = a.shape[1]
    u = 2.0 ** -53 if case == "float64" else 2.0 ** -24
    rho = 2.0 ** -26 if case == "float64" else 2.0 ** -12
    m = 2 * d + 4
    gamma = m * u / (1 - m * u)
    with np.errstate(all="ignore"):
        norms = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :]
        squared = ref if metric == "sqeuclidean" else ref * ref
        bound = np.minimum(rho * squared, 2 * gamma * norms) + 2 * u * squared
        if metric == "euclidean":
            root = np.sqrt(squared)
            bound = np.where(root > 0, np.minimum(np.sqrt(bound), bound / root), np.sqrt(bound))
        rtol = TOLERANCES[case] * math.sqrt(max(d, 1))
        return np.where(np.isfinite(bound), np.maximum(scale, bound / rtol), scale)


def check_pdist(case, metric, X, Xref, kw, what):
    """pdist(X): cdist(X, X)'s upper triangle in squareform's order, bit for
    bit, and so within cdist's tolerance of the reference."""
    got = simdkit.pdist(X, metric, **kw)
    rows = X.shape[0]
    upper = np.triu_indices(rows, 1)
    same = simdkit.cdist(X, X, metric, **kw)[upper]
    assert got.dtype == same.dtype and got.shape == (rows * (rows - 1) // 2,), what
    assert np.array_equal(got, same, equal_nan=True) and \
        (np.signbit(got) == np.signbit(same)).all(), f"pdist {what}: not cdist(X, X)'s bits"
    if UNDER_EMULATOR:
        return  # cdist's own checks hold its bits to the reference; the rest is time under qemu
    ref, scale = reference(metric, Xref, Xref, case)
    assert_close(got, ref[upper], case, metric, Xref.shape[1],
                 batched_scale(metric, Xref, Xref, case, ref, scale)[upper], f"pdist {what}")


def check_all_forms(case, metric, A, B, Aref, Bref, kw, what):
    """cdist(A, B), pdist(A), paired over the first min(m, n) rows, and
    distance of the first pair, against the reference."""
    d = Aref.shape[1]
    check_pdist(case, metric, A, Aref, kw, what)
    ref, scale = reference(metric, Aref, Bref, case)
    assert_close(simdkit.cdist(A, B, metric, **kw), ref, case, metric, d,
                 batched_scale(metric, Aref, Bref, case, ref, scale), f"cdist {what}")
    rows = min(A.shape[0], B.shape[0])
    if rows:
        diagonal = np.arange(rows)
        assert_close(simdkit.paired(A[:rows], B[:rows], metric, **kw), ref[diagonal, diagonal],
                     case, metric, d, scale[diagonal, diagonal], f"paired {what}")
        got = simdkit.distance(A[0], B[0], metric, **kw)
        assert isinstance(got, result_dtype(case).type), f"distance {what}: {type(got)}"
        assert_close(got, ref[0, 0], case, metric, d, scale[0, 0], f"distance {what}")
    return ref


# ---------------------------------------------------------------------------
# Values: every dtype, metric and size, on every target
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_sizes(target, case):
    rng = np.random.default_rng([1, CASES.index(case)])
    for metric in metrics_for(case):
        for d in sizes_for(case):
            A, Aref, kw = make(case, (5, d), metric, rng)
            B, Bref, _ = make(case, (3, d), metric, rng)
            check_all_forms(case, metric, A, B, Aref, Bref, kw,
                            f"{case} {metric} d={d} target={target}")


SHAPES = [(1, 1), (1, 6), (6, 1), (2, 2), (4, 2), (5, 3), (8, 6), (9, 7), (33, 17)]


@pytest.mark.parametrize("case", CASES)
def test_shapes(target, case):
    """Tiles of 4x2 pairs and their remainders, one row against many."""
    rng = np.random.default_rng([2, CASES.index(case)])
    for metric in metrics_for(case):
        for m, n in SHAPES:
            for d in (1, 16, 37):
                A, Aref, kw = make(case, (m, d), metric, rng)
                B, Bref, _ = make(case, (n, d), metric, rng)
                check_all_forms(case, metric, A, B, Aref, Bref, kw,
                                f"{case} {metric} {m}x{n} d={d} target={target}")


@pytest.mark.parametrize("case", ["float64", "float32"])
def test_pdist_is_scipys_condensed_matrix(target, case):
    """pdist against scipy.spatial.distance.pdist itself, and squareform
    of it against SciPy's square matrix, over shapes that take every form
    (few rows, panels, several chunks of panels: long rows)."""
    rng = np.random.default_rng([12, FLOAT_CASES.index(case)])
    shapes = [(0, 3), (1, 3), (2, 5), (7, 9), (40, 70)]
    if not UNDER_EMULATOR:
        shapes += [(129, 33), (50, 2050)]  # several chunks of panels: long rows
    for rows, d in shapes:
        for metric in METRICS:
            if metric == "dot":
                continue  # not a SciPy metric
            X, Xref, _ = make(case, (rows, d), metric, rng)
            got = simdkit.pdist(X, metric)
            with np.errstate(all="ignore"):
                expected = sd.pdist(Xref, metric)
            ref, scale = reference(metric, Xref, Xref, case)
            upper = np.triu_indices(rows, 1)
            assert_close(got, expected, case, metric, d,
                         batched_scale(metric, Xref, Xref, case, ref, scale)[upper],
                         f"pdist {case} {metric} {rows}x{d} target={target}")
            if rows:
                np.testing.assert_allclose(sd.squareform(got.astype(np.float64), checks=False),
                                           sd.squareform(expected, checks=False),
                                           rtol=1e-5, atol=1e-5)


def test_result_types():
    for case in CASES:
        A, _, kw = make(case, (2, 3), "hamming", np.random.default_rng(0))
        expected = result_dtype(case)
        assert simdkit.cdist(A, A, "hamming", **kw).dtype == expected
        assert simdkit.paired(A, A, "hamming", **kw).dtype == expected
        assert type(simdkit.distance(A[0], A[1], "hamming", **kw)) is expected.type
        indices, distances = simdkit.topk(A, A, 2, "hamming", **kw)
        assert indices.dtype == np.int64 and distances.dtype == expected


def test_bfloat16_storages_agree(target):
    """uint16 bit patterns with dtype='bfloat16' read exactly as
    ml_dtypes.bfloat16 arrays."""
    rng = np.random.default_rng(3)
    for metric in METRICS:
        A, _, _ = make("bfloat16", (6, 45), metric, rng)
        B, _, _ = make("bfloat16", (5, 45), metric, rng)
        as_bf16 = simdkit.cdist(A, B, metric)
        as_u16 = simdkit.cdist(A.view(np.uint16), B.view(np.uint16), metric, dtype="bfloat16")
        np.testing.assert_array_equal(as_u16, as_bf16, err_msg=metric)


def test_zero_dimensions(target):
    """d = 0: as SciPy (sums are 0; cosine and hamming NaN; jaccard 0;
    packed-bit hamming counts 0 bits)."""
    expected = {"dot": 0.0, "cosine": math.nan, "sqeuclidean": 0.0, "euclidean": 0.0,
                "cityblock": 0.0, "hamming": math.nan, "jaccard": 0.0}
    for case in CASES:
        for metric in metrics_for(case):
            A, Aref, kw = make(case, (3, 0), metric, np.random.default_rng(0))
            got = simdkit.cdist(A, A, metric, **kw)
            value = 0.0 if case == "bits" else expected[metric]
            np.testing.assert_array_equal(got, np.full((3, 3), value), err_msg=f"{case} {metric}")
            np.testing.assert_array_equal(simdkit.paired(A, A, metric, **kw), np.full(3, value))
            np.testing.assert_array_equal(simdkit.distance(A[0], A[1], metric, **kw), value)
            if case in ("bool", "float64") and metric != "dot":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    np.testing.assert_array_equal(got, sd.cdist(Aref, Aref, metric))


def test_empty_rows():
    for case in ("float64", "float32", "int8", "bits"):
        A, _, kw = make(case, (4, 5), "hamming", np.random.default_rng(0))
        empty = A[:0]
        assert simdkit.cdist(empty, A, "hamming", **kw).shape == (0, 4)
        assert simdkit.cdist(A, empty, "hamming", **kw).shape == (4, 0)
        assert simdkit.cdist(empty, empty, "hamming", **kw).shape == (0, 0)
        assert simdkit.paired(empty, empty, "hamming", **kw).shape == (0,)
        indices, distances = simdkit.topk(empty, A, 3, "hamming", **kw)
        assert indices.shape == distances.shape == (0, 3)
        out = np.empty((0, 4), result_dtype(case))
        assert simdkit.cdist(empty, A, "hamming", out=out, **kw) is out


# ---------------------------------------------------------------------------
# Special values
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("case", FLOAT_CASES)
def test_nan_and_inf(target, case, metric):
    """NaN and +-Inf anywhere in a row (IEEE: Inf - Inf is NaN; NaN != NaN
    counts as unequal for hamming and jaccard), as SciPy."""
    rng = np.random.default_rng([4, METRICS.index(metric)])
    for d in (1, 5, 16, 33, 70):
        A, Aref, kw = make(case, (6, d), metric, rng)
        B, Bref, _ = make(case, (5, d), metric, rng)
        specials = [(0, 0, np.nan), (1, d - 1, np.inf), (2, d // 2, -np.inf),
                    (3, d // 3, np.nan), (3, d - 1, np.inf)]
        for r, c, value in specials:
            A[r, c] = value
        B[1, d - 1] = np.inf  # Inf - Inf against A's row 1
        B[2, 0] = np.nan
        Aref = A.astype(np.float64)
        Bref = B.astype(np.float64)
        check_all_forms(case, metric, A, B, Aref, Bref, kw,
                        f"{case} {metric} d={d} target={target}")


@pytest.mark.parametrize("case", ["float64", "float32", "float16", "bfloat16", "int8", "uint8",
                                  "bool"])
def test_zero_vectors(target, case):
    """cosine of a zero vector is NaN (as SciPy); jaccard of two zero vectors
    is 0; the other metrics are ordinary."""
    rng = np.random.default_rng(5)
    for metric in METRICS:
        for d in (1, 7, 64, 100):
            A, Aref, kw = make(case, (4, d), metric, rng)
            B, Bref, _ = make(case, (3, d), metric, rng)
            A[1] = 0
            B[0] = 0
            Aref, Bref = A.astype(np.float64), B.astype(np.float64)
            if case == "bool":
                Aref, Bref = A, B
            ref = check_all_forms(case, metric, A, B, Aref, Bref, kw,
                                  f"{case} {metric} d={d} target={target}")
            if metric == "cosine":
                assert np.isnan(ref[1]).all() and np.isnan(ref[:, 0]).all()
            if metric == "jaccard":
                assert ref[1, 0] == 0.0


def test_jaccard_semantics(target):
    """jaccard as SciPy >= 1.15: nonzero means True, so values that differ
    but are both nonzero agree."""
    a = np.array([1.0, 2.0, 0.0, 3.0])
    b = np.array([2.0, 1.0, 0.0, 0.0])
    assert simdkit.distance(a, b, "jaccard") == pytest.approx(sd.jaccard(a, b))  # 1/3
    assert simdkit.distance(a.astype(np.int8), b.astype(np.int8), "jaccard") == pytest.approx(1 / 3)
    ab, bb = a != 0, b != 0
    assert simdkit.distance(ab, bb, "jaccard") == pytest.approx(sd.jaccard(ab, bb))
    assert simdkit.distance(np.zeros(5), np.zeros(5), "jaccard") == 0.0


def test_bits(target):
    """Packed bits: hamming is the number of differing bits, jaccard
    1 - |a & b| / |a | b|, as on the unpacked booleans."""
    rng = np.random.default_rng(6)
    for d in (1, 7, 8, 9, 63, 64, 65, 200, 1000):
        A = rng.integers(0, 256, (5, d), dtype=np.uint8)
        B = rng.integers(0, 256, (4, d), dtype=np.uint8)
        A[3] = 0
        B[2] = 0
        ua, ub = np.unpackbits(A, axis=1).astype(bool), np.unpackbits(B, axis=1).astype(bool)
        counts = (ua[:, None, :] != ub[None, :, :]).sum(-1)
        np.testing.assert_array_equal(simdkit.cdist(A, B, "hamming", dtype="bits"), counts)
        np.testing.assert_array_equal(simdkit.cdist(ua, ub, "hamming"),
                                      (counts / (8 * d)).astype(np.float32))
        inter = (ua[:, None, :] & ub[None, :, :]).sum(-1)
        union = (ua[:, None, :] | ub[None, :, :]).sum(-1)
        jac = np.where(union > 0, 1 - inter / np.maximum(union, 1), 0.0)
        np.testing.assert_allclose(simdkit.cdist(A, B, "jaccard", dtype="bits"), jac,
                                   rtol=2**-23, atol=0)
        assert simdkit.distance(A[3], A[3], "jaccard", dtype="bits") == 0.0


def test_integer_extremes(target):
    """int8/uint8 accumulate exactly: -128 * -128 over 2^20 elements is 2^34,
    far beyond int32; checked against int64 NumPy, through distance, paired
    and the tiled cdist path."""
    n = 2**20 + 3
    rng = np.random.default_rng(7)
    cases = [
        (np.full(n, -128, np.int8), np.full(n, -128, np.int8)),
        (np.full(n, -128, np.int8), np.full(n, 127, np.int8)),
        (np.full(n, 255, np.uint8), np.full(n, 0, np.uint8)),
        (np.full(n, 255, np.uint8), np.full(n, 255, np.uint8)),
        (rng.integers(-128, 128, n).astype(np.int8), rng.integers(-128, 128, n).astype(np.int8)),
    ]
    for a, b in cases:
        a64, b64 = a.astype(np.int64), b.astype(np.int64)
        exact = {"dot": int(a64 @ b64), "sqeuclidean": int(((a64 - b64) ** 2).sum()),
                 "cityblock": int(np.abs(a64 - b64).sum())}
        for metric, value in exact.items():
            expected = np.float32(value)
            what = f"{metric} of {a.dtype} {a[:2]}.. and {b[:2]}.. target={target}"
            assert simdkit.distance(a, b, metric) == expected, what
            assert (simdkit.cdist(np.stack([a] * 4), np.stack([b] * 2), metric) == expected).all(), what
    cos = simdkit.distance(np.full(n, -128, np.int8), np.full(n, 127, np.int8), "cosine")
    assert cos == np.float32(2.0)


# ---------------------------------------------------------------------------
# Layouts: one gather copy must give the same result as contiguous input
# ---------------------------------------------------------------------------
def layouts(x):
    """(name, view) pairs holding the same values as 2-D `x` in other
    layouts: zero-copy ones (padded rows, unaligned by whole elements) and
    ones that need the gather copy."""
    m, d = x.shape
    yield "fortran", np.asfortranarray(x)
    padded = np.zeros((2 * m, d + 3), x.dtype)
    padded[::2, 1:d + 1] = x
    yield "padded rows", padded[::2, 1:d + 1]
    spread = np.zeros((m, 2 * d), x.dtype)
    spread[:, ::2] = x
    yield "column stride 2", spread[:, ::2]
    reversed_rows = np.ascontiguousarray(x[::-1])
    yield "negative row stride", reversed_rows[::-1]
    yield "negative column stride", np.ascontiguousarray(x[:, ::-1])[:, ::-1]
    for offset in sorted({1, 3, x.itemsize // 2, x.itemsize} - {0}):
        yield f"unaligned by {offset}", unaligned_copy(x.ravel(), offset).reshape(m, d)
    readonly = x.copy()
    readonly.flags.writeable = False
    yield "read-only", readonly


@pytest.mark.parametrize("case", CASES)
def test_layouts(target, case):
    rng = np.random.default_rng([8, CASES.index(case)])
    for metric in metrics_for(case):
        for d in (1, 13, 40):
            A, _, kw = make(case, (6, d), metric, rng)
            B, _, _ = make(case, (5, d), metric, rng)
            full = simdkit.cdist(A, B, metric, **kw)
            condensed = simdkit.pdist(A, metric, **kw)
            pairs = simdkit.paired(A[:5], B, metric, **kw)
            one = simdkit.distance(A[0], B[0], metric, **kw)
            for name, view in layouts(A):
                what = f"{case} {metric} d={d} A {name} target={target}"
                np.testing.assert_array_equal(simdkit.cdist(view, B, metric, **kw), full, what)
                np.testing.assert_array_equal(simdkit.pdist(view, metric, **kw), condensed, what)
                np.testing.assert_array_equal(simdkit.paired(view[:5], B, metric, **kw), pairs,
                                              what)
                np.testing.assert_array_equal(simdkit.distance(view[0], B[0], metric, **kw), one,
                                              what)
            for name, view in layouts(B):
                what = f"{case} {metric} d={d} B {name} target={target}"
                np.testing.assert_array_equal(simdkit.cdist(A, view, metric, **kw), full, what)
                np.testing.assert_array_equal(simdkit.distance(A[0], view[0], metric, **kw), one,
                                              what)
            # Broadcast rows (row stride 0) against the same rows repeated.
            rows = np.broadcast_to(A[2], (4, d))
            np.testing.assert_array_equal(simdkit.cdist(rows, B, metric, **kw),
                                          np.repeat(full[2:3], 4, axis=0))
            # 1-D views with a stride.
            strided = np.repeat(A[1], 3)[::3]
            np.testing.assert_array_equal(simdkit.distance(strided, B[1], metric, **kw),
                                          simdkit.distance(A[1], B[1], metric, **kw))


def test_inputs_unchanged():
    A, _, _ = make("float32", (5, 9), "euclidean", np.random.default_rng(9))
    B = np.asfortranarray(A[::-1])
    before_a, before_b = A.copy(), B.copy()
    simdkit.cdist(A, B)
    simdkit.topk(A, B, 2, "cosine")
    np.testing.assert_array_equal(A, before_a)
    np.testing.assert_array_equal(B, before_b)


# ---------------------------------------------------------------------------
# out= and threads=
# ---------------------------------------------------------------------------
def test_out(target):
    rng = np.random.default_rng(10)
    for case in ("float64", "float32", "int8", "bits"):
        for metric in metrics_for(case):
            A, _, kw = make(case, (7, 21), metric, rng)
            B, _, _ = make(case, (5, 21), metric, rng)
            expected = simdkit.cdist(A, B, metric, **kw)
            out = np.empty((7, 5), result_dtype(case))
            assert simdkit.cdist(A, B, metric, out=out, **kw) is out
            np.testing.assert_array_equal(out, expected)
            # Rows further apart than their length; the gaps stay untouched.
            big = np.full((7, 9), -7.0, result_dtype(case))
            view = big[:, 2:7]
            assert simdkit.cdist(A, B, metric, out=view, **kw) is view
            np.testing.assert_array_equal(view, expected)
            assert (big[:, :2] == -7).all() and (big[:, 7:] == -7).all()
            # Every other row of a bigger array.
            big = np.full((14, 5), -7.0, result_dtype(case))
            simdkit.cdist(A, B, metric, out=big[::2], **kw)
            np.testing.assert_array_equal(big[::2], expected)
            assert (big[1::2] == -7).all()


def test_pdist_out(target):
    rng = np.random.default_rng(10)
    for case in ("float64", "float32", "int8", "bits"):
        for metric in metrics_for(case):
            X, _, kw = make(case, (7, 21), metric, rng)
            expected = simdkit.pdist(X, metric, **kw)
            big = np.full(23, -7.0, result_dtype(case))
            out = big[1:22]
            assert simdkit.pdist(X, metric, out=out, **kw) is out
            np.testing.assert_array_equal(out, expected)
            assert big[0] == -7 and big[22] == -7


def test_out_single_row_or_column_any_stride():
    """A dimension of extent 1 may have any stride, as in NumPy's contiguity."""
    A = np.ones((1, 3))
    B = np.ones((4, 3))
    big = np.zeros((3, 4))
    simdkit.cdist(A, B, out=big[1:2])  # one row
    assert (big[1] == 0).all() and (big[0] == 0).all()
    col = np.zeros((4, 3))[:, 1:2]  # column stride irrelevant with 1 column
    simdkit.cdist(B, A, out=col)
    assert (col == 0).all()


def test_threads_agree(target):
    """Big enough to split rows across threads; integer data makes every
    split exact, so all thread counts must agree bit for bit."""
    rng = np.random.default_rng(11)
    A = rng.integers(-128, 128, (70, 1024)).astype(np.int8)
    B = rng.integers(-128, 128, (40, 1024)).astype(np.int8)
    X = rng.standard_normal((300, 100)).astype(np.float32)  # 300 * 299 / 2 * 100 > 2^21
    for metric in ("dot", "sqeuclidean", "cosine"):
        single = simdkit.cdist(A, B, metric, threads=1)
        condensed = simdkit.pdist(X, metric, threads=1)
        idx1, dist1 = simdkit.topk(A, B, 5, metric, threads=1)
        for threads in (2, 3, 8, None):
            np.testing.assert_array_equal(simdkit.cdist(A, B, metric, threads=threads), single)
            np.testing.assert_array_equal(simdkit.pdist(X, metric, threads=threads), condensed)
            idx, dist = simdkit.topk(A, B, 5, metric, threads=threads)
            np.testing.assert_array_equal(idx, idx1)
            np.testing.assert_array_equal(dist, dist1)
    Af = A.astype(np.float32)
    Bf = B.astype(np.float32)
    ref, scale = reference("euclidean", Af.astype(np.float64), Bf.astype(np.float64), "float32")
    for threads in (1, 2, 3, None):
        assert_close(simdkit.cdist(Af, Bf, "euclidean", threads=threads), ref, "float32",
                     "euclidean", 1024, scale, f"threads={threads}")


# ---------------------------------------------------------------------------
# topk
# ---------------------------------------------------------------------------
def check_topk(indices, distances, Q, X, Qref, Xref, k, metric, case, kw, duplicates, what):
    """topk against the brute-force reference matrix: the values are the
    reference distances of the chosen rows; the order is best first within
    tolerance; nothing left out is better; NaN last; ties (equal values) in
    index order; of two identical rows of X the lower index comes first; and
    where the arithmetic is exact, the indices are exactly those of a stable
    argsort."""
    m, n, d = Q.shape[0], X.shape[0], Qref.shape[1]
    assert indices.shape == distances.shape == (m, k), what
    assert indices.dtype == np.int64, what
    ref, scale = reference(metric, Qref, Xref, case)
    scale = batched_scale(metric, Qref, Xref, case, ref, scale)
    larger_first = metric == "dot"
    for q in range(m):
        row, dist = indices[q], distances[q]
        w = f"{what} query {q}"
        assert len(set(row.tolist())) == k and row.min() >= 0 and row.max() < n, f"{w}: {row}"
        assert_close(dist, ref[q, row], case, metric, d, scale[q, row], w)
        key = -ref[q] if larger_first else ref[q]
        tol = tolerance(case, metric, d, ref[q], scale[q])
        # (An infinite scale comes with an infinite or NaN distance: exact.)
        tol = np.zeros(n) if tol is None else np.where(np.isfinite(tol), tol, 0.0)
        nan = np.isnan(ref[q])
        chosen_nan = nan[row]
        assert chosen_nan.sum() == max(0, k - int((~nan).sum())), f"{w}: NaN ranked early: {row}"
        assert not (chosen_nan[:-1] & ~chosen_nan[1:]).any(), f"{w}: NaN before a number: {row}"
        good = row[~chosen_nan]
        if good.size:
            # Best first, within tolerance.
            assert (key[good[1:]] + tol[good[1:]] + tol[good[:-1]] >= key[good[:-1]]).all(), \
                f"{w}: out of order: {row} keys {key[row]}"
            worst = good[-1]
            left_out = np.setdiff1d(np.flatnonzero(~nan), row)
            assert (key[left_out] + tol[left_out] + tol[worst] >= key[worst]).all(), \
                f"{w}: a better row was left out"
        # Ties in the computed values: lower index first.
        same = (dist[1:] == dist[:-1]) | (np.isnan(dist[1:]) & np.isnan(dist[:-1]))
        assert (row[1:][same] > row[:-1][same]).all(), f"{w}: tie not in index order: {row} {dist}"
        position = {int(j): i for i, j in enumerate(row)}
        for low, high in duplicates:
            if high in position:
                assert low in position and position[low] < position[high], (
                    f"{w}: rows {low} and {high} of X are identical, but topk gives {row} "
                    f"with distances {dist}")
        if is_exact(case, metric):
            order = np.argsort(np.where(nan, np.inf, key), kind="stable")
            order = np.concatenate([order[~nan[order]], np.flatnonzero(nan)])
            np.testing.assert_array_equal(row, order[:k], f"{w}: not the stable order")


def topk_data(case, metric, m, n, d, rng, duplicates=((2, 5), (11, 17)), nan=False):
    """Q and X with `duplicates` (pairs of identical rows of X, lower index
    first) and a zero row; with `nan` (floats only), a row of X containing a
    NaN and a query containing a NaN."""
    Q, Qref, kw = make(case, (m, d), metric, rng)
    X, Xref, _ = make(case, (n, d), metric, rng)
    for low, high in duplicates:
        X[high] = X[low]
    X[8] = 0
    if nan:
        X[9, d // 2] = np.nan
        Q[m - 1, 0] = np.nan
    Qref = np.unpackbits(Q, axis=-1).astype(bool) if case == "bits" else (
        Q if case == "bool" else Q.astype(np.float64))
    Xref = np.unpackbits(X, axis=-1).astype(bool) if case == "bits" else (
        X if case == "bool" else X.astype(np.float64))
    if case == "bfloat16_u16":
        Qref = Q.view(ml_dtypes.bfloat16).astype(np.float64)
        Xref = X.view(ml_dtypes.bfloat16).astype(np.float64)
    return Q, X, Qref, Xref, kw, list(duplicates)


def run_topk(case, target, rng, **data):
    for metric in metrics_for(case):
        for m, n, d in ((6, 41, 24), (3, 20, 5), (5, 40, 70)):
            Q, X, Qref, Xref, kw, duplicates = topk_data(case, metric, m, n, d, rng, **data)
            for k in (1, 3, 10, n):
                indices, distances = simdkit.topk(Q, X, k, metric, **kw)
                check_topk(indices, distances, Q, X, Qref, Xref, k, metric, case, kw, duplicates,
                           f"topk {case} {metric} {m}x{n} d={d} k={k} target={target}")


@pytest.mark.parametrize("case", CASES)
def test_topk(target, case):
    """Against brute force; identical rows of X (ties) and a zero row."""
    run_topk(case, target, np.random.default_rng([12, CASES.index(case)]))


@pytest.mark.parametrize("case", FLOAT_CASES)
def test_topk_nan(target, case):
    """A row of X with a NaN is never ranked before a number (also for dot,
    where larger is better); a query with a NaN gets 0, 1, ..., k-1."""
    run_topk(case, target, np.random.default_rng([14, CASES.index(case)]), nan=True)


@pytest.mark.parametrize("case", CASES)
def test_topk_duplicate_last_row(target, case):
    """Identical rows must tie wherever they are in X: here the copy is X's
    last row, which an odd number of rows leaves outside the pairs of rows
    that cdist's tiles cover."""
    rng = np.random.default_rng([15, CASES.index(case)])
    for n in (21, 41):
        run_topk_last = dict(duplicates=((2, n - 1), (3, 4)))
        for metric in metrics_for(case):
            for m, d in ((6, 24), (5, 70)):
                Q, X, Qref, Xref, kw, duplicates = topk_data(case, metric, m, n, d, rng,
                                                             **run_topk_last)
                for k in (3, n):
                    indices, distances = simdkit.topk(Q, X, k, metric, **kw)
                    check_topk(indices, distances, Q, X, Qref, Xref, k, metric, case, kw,
                               duplicates, f"topk {case} {metric} {m}x{n} d={d} k={k} "
                               f"target={target}")


@pytest.mark.parametrize("case", ["float32", "int8", "bits"])
def test_topk_blocks(target, case):
    """More queries and rows than one tile of the selection (32 x 256)."""
    rng = np.random.default_rng(13)
    metric = "hamming" if case == "bits" else "sqeuclidean"
    Q, X, Qref, Xref, kw, duplicates = topk_data(case, metric, 35, 530, 20, rng,
                                                 duplicates=((2, 5), (2, 300), (100, 529)))
    for k in (1, 7, 300):
        indices, distances = simdkit.topk(Q, X, k, metric, **kw)
        check_topk(indices, distances, Q, X, Qref, Xref, k, metric, case, kw, duplicates,
                   f"topk {case} {metric} k={k} target={target}")


def test_topk_examples():
    X = np.array([[0.0, 0], [3, 4], [1, 0], [0, 1], [np.nan, 0], [1, 0]])
    Q = np.array([[0.0, 0], [np.nan, 1]])
    idx, dist = simdkit.topk(Q, X, 6, "euclidean")
    np.testing.assert_array_equal(idx[0], [0, 2, 3, 5, 1, 4])  # ties by index, NaN last
    np.testing.assert_array_equal(dist[0], [0, 1, 1, 1, 5, np.nan])
    np.testing.assert_array_equal(idx[1], np.arange(6))  # all NaN: index order
    idx, dist = simdkit.topk(np.array([[1.0, 1]]), X, 3, "dot")
    np.testing.assert_array_equal(idx[0], [1, 2, 3])  # largest first: 7, then ties 1, 1, 1
    np.testing.assert_array_equal(dist[0], [7, 1, 1])


# ---------------------------------------------------------------------------
# Errors: type AND a message naming what was expected
# ---------------------------------------------------------------------------
f64 = np.ones((3, 4))
f32 = np.ones((3, 4), np.float32)
u8 = np.ones((3, 4), np.uint8)
v64 = np.ones(4)
huge_rows = as_strided(np.zeros(1, np.float32), shape=(2**31, 1), strides=(0, 4))
huge_dims = as_strided(np.zeros(1, np.float32), shape=(1, 2**31), strides=(0, 4))
huge_vector = as_strided(np.zeros(1, np.float32), shape=(2**31,), strides=(4,))
huge_bits = as_strided(np.zeros(1, np.uint8), shape=(1, 2**28), strides=(0, 0))
big_endian = np.ones((3, 4), ">f8")
readonly_out = np.empty((3, 3))
readonly_out.flags.writeable = False
shared = np.zeros((3, 8))

ERRORS = [
    # arrays
    ("list", lambda: simdkit.cdist([[1.0]], [[1.0]]), TypeError, r"numpy\.ndarray.*got list"),
    ("distance list", lambda: simdkit.distance([1.0], v64, "dot"), TypeError, r"numpy\.ndarray"),
    ("int32", lambda: simdkit.cdist(f64.astype(np.int32), f64.astype(np.int32)), TypeError,
     r"float64, float32, float16, bfloat16, int8, uint8 or bool.*got int32"),
    ("complex", lambda: simdkit.paired(f64 + 0j, f64 + 0j, "dot"), TypeError,
     r"float64, float32, float16, bfloat16, int8, uint8 or bool.*got complex128"),
    ("uint16 without dtype", lambda: simdkit.cdist(u8.astype(np.uint16), u8.astype(np.uint16)),
     TypeError, r"got uint16.*dtype='bfloat16'"),
    ("big-endian", lambda: simdkit.cdist(big_endian, big_endian), TypeError,
     r"native byte order, got >f8"),
    ("mixed dtypes", lambda: simdkit.cdist(f64, f32), TypeError,
     r"A has dtype float64 but B has dtype float32; expected the same dtype"),
    ("bool and uint8", lambda: simdkit.paired(u8.astype(bool), u8, "hamming"), TypeError,
     r"A has dtype bool but B has dtype uint8; expected the same dtype"),
    ("bfloat16 and uint16", lambda: simdkit.cdist(
        f32.astype(ml_dtypes.bfloat16), f32.astype(ml_dtypes.bfloat16).view(np.uint16),
        dtype="bfloat16"), TypeError, r"A has dtype bfloat16 but B has dtype uint16"),
    ("bfloat16 keyword on float32", lambda: simdkit.cdist(f32, f32, dtype="bfloat16"), TypeError,
     r"must have dtype uint16 or bfloat16.*got float32"),
    ("bits keyword on bool", lambda: simdkit.cdist(u8.astype(bool), u8.astype(bool), "hamming",
                                                   dtype="bits"), TypeError,
     r"must have dtype uint8.*got bool.*packed"),
    ("bits keyword on int8", lambda: simdkit.distance(v64.astype(np.int8), v64.astype(np.int8),
                                                      "hamming", dtype="bits"), TypeError,
     r"must have dtype uint8.*got int8"),
    ("dtype string", lambda: simdkit.cdist(f32, f32, dtype="float32"), ValueError,
     r"dtype must be None .*'bfloat16' .*'bits' .*got 'float32'"),
    ("dtype type", lambda: simdkit.cdist(f32, f32, dtype=np.float32), TypeError,
     r"dtype must be None .*'bfloat16' or 'bits', got type"),
    # metrics
    ("unknown metric", lambda: simdkit.cdist(f64, f64, "euclid"), ValueError,
     r"unknown metric 'euclid'; expected one of 'dot', 'cosine', 'sqeuclidean', 'euclidean', "
     r"'cityblock', 'hamming' or 'jaccard'"),
    ("metric case", lambda: simdkit.distance(v64, v64, "Euclidean"), ValueError,
     r"unknown metric 'Euclidean'; expected one of 'dot'"),
    ("metric int", lambda: simdkit.topk(f64, f64, 1, 3), TypeError,
     r"metric must be a str, one of 'dot', .* got int"),
    ("metric None", lambda: simdkit.distance(v64, v64, None), TypeError,
     r"metric must be a str.*got NoneType"),
    ("bits dot", lambda: simdkit.cdist(u8, u8, "dot", dtype="bits"), ValueError,
     r"metric 'dot' is not defined for packed bits \(dtype='bits'\); expected 'hamming' or "
     r"'jaccard'"),
    ("bits cosine", lambda: simdkit.distance(u8[0], u8[0], "cosine", dtype="bits"), ValueError,
     r"expected 'hamming' or 'jaccard'"),
    # shapes
    ("distance 2-D", lambda: simdkit.distance(f64, f64, "dot"), ValueError,
     r"argument 'a' must be 1-D \(dims,\), got shape \(3, 4\)"),
    ("distance 0-D", lambda: simdkit.distance(np.ones(()), v64, "dot"),
     ValueError, r"argument 'a' must be 1-D"),
    ("distance lengths", lambda: simdkit.distance(v64, np.ones(5), "dot"), ValueError,
     r"a has shape \(4,\) and b has shape \(5,\); expected vectors of equal length"),
    ("cdist 1-D", lambda: simdkit.cdist(v64, f64), ValueError,
     r"argument 'A' must be 2-D \(rows, dims\), got shape \(4,\)"),
    ("cdist 3-D", lambda: simdkit.cdist(f64, f64[None]), ValueError,
     r"argument 'B' must be 2-D \(rows, dims\), got shape \(1, 3, 4\)"),
    ("cdist dims", lambda: simdkit.cdist(f64, np.ones((3, 5))), ValueError,
     r"A has shape \(3, 4\) and B has shape \(3, 5\); expected equal last dimensions"),
    ("topk dims", lambda: simdkit.topk(f64, np.ones((3, 5)), 1, "dot"), ValueError,
     r"Q has shape \(3, 4\) and X has shape \(3, 5\); expected equal last dimensions"),
    ("paired rows", lambda: simdkit.paired(f64, np.ones((2, 4)), "dot"), ValueError,
     r"A has shape \(3, 4\) and B has shape \(2, 4\); expected equal shapes"),
    ("paired 1-D", lambda: simdkit.paired(v64, v64, "dot"), ValueError, r"must be 2-D"),
    ("rows beyond 2^31", lambda: simdkit.cdist(huge_rows, huge_rows[:1]), ValueError,
     r"argument 'A' has shape \(2147483648, 1\); expected at most 2147483647 elements"),
    ("dims beyond 2^31", lambda: simdkit.cdist(huge_dims, huge_dims), ValueError,
     r"expected at most 2147483647 elements along every dimension"),
    ("vector beyond 2^31", lambda: simdkit.distance(huge_vector, huge_vector, "dot"), ValueError,
     r"expected at most 2147483647 elements"),
    ("bits beyond 2^31", lambda: simdkit.cdist(huge_bits, huge_bits, "hamming", dtype="bits"),
     ValueError, r"more than 2\^31 - 1 bits; expected at most 268435455 bytes"),
    # threads
    ("threads 0", lambda: simdkit.cdist(f64, f64, threads=0), ValueError,
     r"threads must be None \(one per core\) or a positive int, got 0"),
    ("threads -1", lambda: simdkit.topk(f64, f64, 1, "dot", threads=-1), ValueError,
     r"positive int, got -1"),
    ("threads float", lambda: simdkit.cdist(f64, f64, threads=1.5), TypeError,
     r"threads must be None or a positive int, got float"),
    ("threads bool", lambda: simdkit.cdist(f64, f64, threads=True), TypeError,
     r"threads must be None or a positive int, got bool"),
    ("threads str", lambda: simdkit.cdist(f64, f64, threads="2"), TypeError,
     r"positive int, got str"),
    # k
    ("k 0", lambda: simdkit.topk(f64, f64, 0, "dot"), ValueError,
     r"k must satisfy 1 <= k <= 3 \(the number of rows of X\), got 0"),
    ("k > n", lambda: simdkit.topk(f64, f64, 4, "dot"), ValueError, r"1 <= k <= 3.*got 4"),
    ("k negative", lambda: simdkit.topk(f64, f64, -1, "dot"), ValueError, r"1 <= k <= 3"),
    ("k empty X", lambda: simdkit.topk(f64, f64[:0], 1, "dot"), ValueError,
     r"1 <= k <= 0 .*X has no rows"),
    ("k float", lambda: simdkit.topk(f64, f64, 1.0, "dot"), TypeError, r"k must be an int, got float"),
    ("k bool", lambda: simdkit.topk(f64, f64, True, "dot"), TypeError, r"k must be an int, got bool"),
    # out=
    ("out list", lambda: simdkit.cdist(f64, f64, out=[]), TypeError,
     r"argument 'out' must be a numpy\.ndarray, got list"),
    ("out dtype", lambda: simdkit.cdist(f32, f32, out=np.empty((3, 3))), TypeError,
     r"'out' must have dtype float32 in native byte order, got float64.*the result dtype for this input"),
    ("out dtype int8", lambda: simdkit.cdist(f64.astype(np.int8), f64.astype(np.int8),
                                             out=np.empty((3, 3))), TypeError,
     r"'out' must have dtype float32"),
    ("out big-endian", lambda: simdkit.cdist(f64, f64, out=np.empty((3, 3), ">f8")), TypeError,
     r"'out' must have dtype float64 in native byte order"),
    ("out shape", lambda: simdkit.cdist(f64, f64[:2], out=np.empty((3, 3))), ValueError,
     r"out must have the result's shape \(3, 2\), got \(3, 3\)"),
    ("out 1-D", lambda: simdkit.cdist(f64, f64, out=np.empty(9)), ValueError,
     r"out must have the result's shape \(3, 3\), got \(9,\)"),
    ("out read-only", lambda: simdkit.cdist(f64, f64, out=readonly_out), ValueError,
     r"out must be writeable, got a read-only array"),
    ("out column stride", lambda: simdkit.cdist(f64, f64, out=np.empty((3, 6))[:, ::2]),
     ValueError, r"out must have unit column stride"),
    ("out fortran", lambda: simdkit.cdist(f64, f64, out=np.empty((3, 3), order="F")),
     ValueError, r"out must have unit column stride"),
    ("out negative rows", lambda: simdkit.cdist(f64, f64, out=np.empty((3, 3))[::-1]),
     ValueError, r"out must have non-overlapping rows"),
    ("out overlapping rows", lambda: simdkit.cdist(
        f64, f64, out=as_strided(np.empty(9), shape=(3, 3), strides=(8, 8))), ValueError,
     r"out must have non-overlapping rows \(strides\[0\] a multiple of 8 bytes and at least 24\)"),
    ("out unaligned", lambda: simdkit.cdist(
        f64, f64, out=np.frombuffer(np.empty(80, np.uint8)[1:73], np.float64).reshape(3, 3)),
     ValueError, r"out must be aligned"),
    ("out shares A", lambda: simdkit.cdist(shared[:, :3], f64[:, :3], out=shared[:, 4:7]),
     ValueError, r"out must not share memory with input 'A'"),
    ("out shares B", lambda: simdkit.cdist(f64[:, :3], shared[:, 5:8], out=shared[:, :3]),
     ValueError, r"out must not share memory with input 'B'"),
    # call signature
    ("missing metric", lambda: simdkit.distance(v64, v64), TypeError,
     r"distance\(\) missing required argument 'metric'"),
    ("extra positional", lambda: simdkit.distance(v64, v64, "dot", None), TypeError,
     r"distance\(\) takes 3 positional arguments but 4 were given"),
    ("unknown keyword", lambda: simdkit.distance(v64, v64, "dot", metrc="x"), TypeError,
     r"unexpected keyword argument 'metrc'"),
    ("repeated argument", lambda: simdkit.distance(v64, v64, "dot", metric="dot"), TypeError,
     r"multiple values for argument 'metric'"),
]


@pytest.mark.parametrize("call, error, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_out_next_to_inputs():
    """out may live in the same buffer as A and B when the byte ranges they
    span do not overlap. (Overlap is judged on those ranges, as
    numpy.may_share_memory does: interleaved views are refused.)"""
    buf = np.zeros(12 + 12 + 9)
    A = buf[:12].reshape(3, 4)
    B = buf[12:24].reshape(3, 4)
    A[:] = 1
    B[:] = 2
    out = buf[24:].reshape(3, 3)
    assert simdkit.cdist(A, B, "cityblock", out=out) is out
    np.testing.assert_array_equal(out, np.full((3, 3), 4.0))
    with pytest.raises(ValueError, match="must not share memory with input 'A'"):
        simdkit.cdist(buf[:24].reshape(3, 8)[:, :4], B, out=buf[:24].reshape(3, 8)[:, 5:8])
    with pytest.raises(ValueError, match="must not share memory with input 'B'"):
        simdkit.cdist(A, B, out=buf[12:21].reshape(3, 3))


def test_keywords():
    """The documented signatures, by keyword."""
    a, b = np.arange(4.0), np.ones(4)
    assert simdkit.distance(a=a, b=b, metric="cityblock") == 4.0
    assert simdkit.distance(a, b, metric="cityblock", dtype=None) == 4.0
    A, B = a[None], b[None]
    assert simdkit.paired(A=A, B=B, metric="dot")[0] == 6.0
    assert simdkit.cdist(A=A, B=B)[0, 0] == np.sqrt(6.0)  # default euclidean
    assert simdkit.cdist(A, B, metric="sqeuclidean", threads=1, out=None, dtype=None)[0, 0] == 6.0
    idx, dist = simdkit.topk(Q=A, X=B, k=1, metric="dot", threads=None, dtype=None)
    assert idx[0, 0] == 0 and dist[0, 0] == 6.0
    assert simdkit.topk(A, B, np.int64(1), "dot")[0].shape == (1, 1)


def test_stubs_and_exports():
    """Every distance function is exported, in __all__ and in both stubs."""
    package = pathlib.Path(simdkit.__file__).parent
    names = {"distance", "paired", "cdist", "topk"}
    assert names <= set(simdkit.__all__)
    core = ast.parse((package / "_core.pyi").read_text())
    stubbed = {node.name: node for node in core.body if isinstance(node, ast.FunctionDef)}
    for name in names:
        assert name in stubbed, name
        assert getattr(simdkit, name) is getattr(simdkit._core, name)
        assert getattr(simdkit, name).__doc__
    reexported = (package / "__init__.pyi").read_text()
    for name in names:
        assert f"{name} as {name}" in reexported, name
    params = {name: [a.arg for a in node.args.args] + [a.arg for a in node.args.kwonlyargs]
              for name, node in stubbed.items() if name in names}
    assert params == {"distance": ["a", "b", "metric", "dtype"],
                      "paired": ["A", "B", "metric", "dtype"],
                      "cdist": ["A", "B", "metric", "dtype", "threads", "out"],
                      "topk": ["Q", "X", "k", "metric", "dtype", "threads"]}
