"""simdkit.pack: a database packed once for many cdist/topk calls.

A PackedMatrix in place of B (cdist) or X (topk) must give the same bits as
the array it was packed from, on every target, for every dtype, metric and
form (few rows, panels, tiles, d = 0); it is a copy, immutable, and
pickles; and what does not match it is refused with a clear exception.
"""

import pickle

import numpy as np
import pytest

import simdkit
from test_distance import CASES, make, metrics_for

# (rows of A, rows of B): B long (the few-rows form), both large (panels),
# B short.
SHAPES = [(3, 40), (30, 40), (30, 5)]


def assert_same_results(A, B, packed, metric, kw, what):
    np.testing.assert_array_equal(simdkit.cdist(A, packed, metric, **kw),
                                  simdkit.cdist(A, B, metric, **kw), err_msg=f"cdist {what}")
    k = min(7, B.shape[0])
    want_indices, want = simdkit.topk(A, B, k, metric, **kw)
    got_indices, got = simdkit.topk(A, packed, k, metric, **kw)
    np.testing.assert_array_equal(got_indices, want_indices, err_msg=f"topk indices {what}")
    np.testing.assert_array_equal(got, want, err_msg=f"topk distances {what}")


@pytest.mark.parametrize("case", CASES)
def test_packed_gives_the_unpacked_bits(target, case):
    rng = np.random.default_rng([7, CASES.index(case)])
    for metric in metrics_for(case):
        for d in (0, 37, 300):
            for m, n in SHAPES:
                A, _, kw = make(case, (m, d), metric, rng)
                B, _, _ = make(case, (n, d), metric, rng)
                packed = simdkit.pack(B, **kw)
                assert_same_results(A, B, packed, metric, kw,
                                    f"{case} {metric} {m}x{n} d={d} target={target}")


def test_packed_on_one_target_serves_every_target():
    """Norms packed on the best target are not taken by another, whose own
    sums differ in the last bits: each target gives its unpacked bits."""
    rng = np.random.default_rng(8)
    A = rng.standard_normal((30, 77)).astype(np.float32)
    B = rng.standard_normal((40, 77)).astype(np.float32)
    packed = simdkit.pack(B)
    for target in simdkit.targets()["supported"]:
        with simdkit.use_target(target):
            for metric in ("cosine", "sqeuclidean", "euclidean", "dot"):
                for queries in (A, A[:3]):
                    assert_same_results(queries, B, packed, metric, {},
                                        f"{metric} {queries.shape} target={target}")


def test_properties_and_copy():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((6, 10))[:, ::2]  # strided: packed through a gather
    packed = simdkit.pack(X)
    assert isinstance(packed, simdkit.PackedMatrix)
    assert packed.shape == (6, 5)
    assert packed.dtype == np.float64
    assert packed.nbytes >= 6 * 5 * 8
    assert repr(packed) == "simdkit.PackedMatrix(shape=(6, 5), dtype=float64)"
    bits = simdkit.pack(np.zeros((2, 3), np.uint8), dtype="bits")
    assert repr(bits) == "simdkit.PackedMatrix(shape=(2, 3), dtype=uint8, read as dtype='bits')"
    Q = rng.standard_normal((2, 5))
    before = simdkit.cdist(Q, packed, "sqeuclidean")
    np.testing.assert_array_equal(before, simdkit.cdist(Q, X, "sqeuclidean"))
    X[:] = 0  # a copy: the packed rows do not change with the source
    np.testing.assert_array_equal(simdkit.cdist(Q, packed, "sqeuclidean"), before)
    with pytest.raises(AttributeError):
        packed.shape = (1, 1)
    with pytest.raises(TypeError):
        simdkit.PackedMatrix()


@pytest.mark.parametrize("case", ["float32", "bfloat16", "bfloat16_u16", "bits", "bool"])
def test_pickles_as_its_rows(case):
    rng = np.random.default_rng([10, len(case)])
    metric = metrics_for(case)[0]
    A, _, kw = make(case, (4, 33), metric, rng)
    B, _, _ = make(case, (9, 33), metric, rng)
    packed = pickle.loads(pickle.dumps(simdkit.pack(B, **kw)))
    assert packed.shape == B.shape and packed.dtype == B.dtype
    assert_same_results(A, B, packed, metric, kw, f"unpickled {case}")


def test_bad_input():
    X = np.ones((5, 4), np.float32)
    packed = simdkit.pack(X)
    with pytest.raises(TypeError, match=r"simdkit\.cdist: A has dtype float64 but B has dtype "
                                        r"float32; expected the same dtype"):
        simdkit.cdist(np.ones((2, 4)), packed)
    bits = simdkit.pack(np.ones((5, 4), np.uint8), dtype="bits")
    with pytest.raises(TypeError, match=r"simdkit\.topk: X was packed as bits \(dtype='bits'\) "
                                        r"but this call reads Q as uint8 \(dtype=None\)"):
        simdkit.topk(np.ones((2, 4), np.uint8), bits, 1, "hamming")
    with pytest.raises(ValueError, match=r"simdkit\.cdist: A has shape \(2, 3\) and B has shape "
                                         r"\(5, 4\); expected equal last dimensions"):
        simdkit.cdist(np.ones((2, 3), np.float32), packed)
    with pytest.raises(ValueError, match=r"simdkit\.topk: k must satisfy 1 <= k <= 5"):
        simdkit.topk(np.ones((2, 4), np.float32), packed, 6, "dot")
    with pytest.raises(ValueError, match=r"simdkit\.cdist: metric 'cosine' is not defined for "
                                         r"packed bits"):
        simdkit.cdist(np.ones((2, 4), np.uint8), bits, "cosine", dtype="bits")
    for function in (simdkit.paired, simdkit.distance):
        with pytest.raises(TypeError, match=r"argument '[Bb]' must be a numpy\.ndarray, got "
                                            r"PackedMatrix"):
            function(X[0] if function is simdkit.distance else X, packed, "dot")
    with pytest.raises(ValueError, match=r"simdkit\.pack: argument 'X' must be 2-D \(rows, dims\)"):
        simdkit.pack(np.ones(4, np.float32))
    with pytest.raises(TypeError, match=r"simdkit\.pack: argument 'X' must be a numpy\.ndarray"):
        simdkit.pack([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"simdkit\.pack: argument 'X' .*int32"):
        simdkit.pack(np.ones((2, 2), np.int32))
    # out= may not overlap A; the packed rows are the PackedMatrix's own.
    out = np.empty((5, 5), np.float32)
    simdkit.cdist(X, packed, out=out)
    np.testing.assert_array_equal(out, simdkit.cdist(X, X))
