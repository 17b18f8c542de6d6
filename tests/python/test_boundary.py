"""The Python boundary's fast path (issue 17): a small exact ndarray of an
accepted dtype, aligned and C-contiguous, goes straight to the kernel; the
same values in any other layout (or with out=) take the general path. Both
must give the same result, bit for bit and of the same type, and keywords
must behave as positional arguments do."""

import inspect
import pickle
import sys

import numpy as np
import pytest

import simdkit
from conftest import ELEMENTWISE_FUNCTIONS as ELEMENTWISE, REDUCTIONS, public_kernels

# 2**14 elements and up release the GIL and take the general path.
SHAPES = [(), (0,), (1,), (2,), (7,), (17,), (3, 4), (2, 3, 5), (2**14 - 1,), (2**14,)]


def values(shape, dtype, seed):
    rng = np.random.default_rng([seed, len(shape), int(np.prod(shape))])
    x = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape), dtype=dtype)
    if x.size > 3 and seed > 0:  # seed 0: finite values only
        x.flat[x.size // 2] = np.nan if seed == 1 else np.inf
    return x


def general_path_copy(x):
    """The same values, C-ordered, in a layout the fast path does not take
    (every element a stride of two apart)."""
    wide = np.empty(x.shape + (2,), x.dtype)
    wide[..., 0] = x
    y = wide[..., 0]
    assert x.size <= 1 or not y.flags.c_contiguous
    return y


def bits(a):
    """The bytes of an array or NumPy scalar, for bit-for-bit comparisons."""
    return np.asarray(a).reshape(-1).view(np.uint8)


def same(a, b):
    return type(a) is type(b) and np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_agree_with_the_general_path(name, shape, dtype):
    function = getattr(simdkit, name)
    for seed in range(3):
        x = values(shape, dtype, seed)
        y = general_path_copy(x)
        if x.size == 0 and name not in ("sum", "norm"):
            for array in (x, y):
                with pytest.raises(ValueError, match="zero-size array"):
                    function(array)
            continue
        fast = function(x)
        assert same(fast, function(y)), (fast, function(y))
        assert same(fast, function(x, axis=None, keepdims=False))
        assert same(fast, function(a=x))
        assert type(fast) is (np.intp if name.startswith("arg") else np.dtype(dtype).type)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 3, 16, 17, 1000, 2**14 - 1, 2**14])
def test_dot_agrees_with_the_general_path(n, dtype):
    a, b = values((n,), dtype, 0), values((n,), dtype, 1)
    fast = simdkit.dot(a, b)
    assert same(fast, simdkit.dot(general_path_copy(a), general_path_copy(b)))
    assert same(fast, simdkit.dot(a=a, b=b))
    assert type(fast) is np.dtype(dtype).type


def test_keywords_behave_as_positional_arguments():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    assert same(simdkit.sum(x, 0), simdkit.sum(x, axis=0))
    assert same(simdkit.sum(x, None, True), simdkit.sum(a=x, keepdims=True))
    assert simdkit.sum(x, keepdims=True).shape == (1, 1)
    # keepdims takes what has a truth value, as before: numpy.bool_, 0 and 1.
    assert simdkit.sum(x, keepdims=np.bool_(True)).shape == (1, 1)
    assert same(simdkit.sum(x, keepdims=0), simdkit.sum(x))
    assert same(simdkit.sum(x, keepdims=None), simdkit.sum(x))
    # Keywords are matched by pointer to the interned names first; a name
    # built at run time (not interned) matches by value.
    built = "".join(["ax", "is"])
    assert sys.intern(built) is not built
    assert same(simdkit.sum(x, **{built: 0}), simdkit.sum(x, 0))
    assert same(simdkit.cdist(x, x, **{"".join(["met", "ric"]): "cosine"}), simdkit.cdist(x, x, "cosine"))
    with pytest.raises(TypeError, match=r"simdkit\.sum\(\) got an unexpected keyword argument 'axes'"):
        simdkit.sum(x, axes=0)
    with pytest.raises(TypeError, match=r"simdkit\.sum\(\) got multiple values for argument 'a'"):
        simdkit.sum(x, a=x)
    with pytest.raises(TypeError, match=r"simdkit\.sum\(\) takes from 1 to 3 positional"):
        simdkit.sum(x, None, False, 1)
    with pytest.raises(TypeError, match=r"simdkit\.argmax\(\) missing required argument 'a'"):
        simdkit.argmax()
    with pytest.raises(TypeError, match=r"simdkit\.dot\(\) missing required argument 'b'"):
        simdkit.dot(x)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_signatures_for_help_and_inspect(name):
    assert str(inspect.signature(getattr(simdkit, name))) == "(a, axis=None, keepdims=False)"
    assert str(inspect.signature(simdkit.dot)) == "(a, b)"


def test_subclasses_and_foreign_layouts_take_the_general_path():
    class Subclass(np.ndarray):
        pass

    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    for view in (x.view(Subclass), np.asfortranarray(x), x[:, ::-1][:, ::-1], x.view(np.ndarray)):
        assert simdkit.sum(view) == 66.0
        assert simdkit.argmax(view) == 11


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_agrees_with_the_general_path(name, dtype):
    function = getattr(simdkit, name)
    for shape in SHAPES:
        for seed in range(3):
            x = values(shape, dtype, seed)
            if name in ("log", "log2", "log10", "sqrt"):
                x = np.asarray(np.abs(x))
            fast = function(x)
            # out= takes the general path over the same single row (a
            # strided copy would be computed in rows along the last axis,
            # and a vector's lanes may depend on its other lanes' values).
            general = function(x, out=np.empty_like(x))
            assert type(fast) is np.ndarray and fast.dtype == x.dtype and fast.shape == x.shape
            assert fast.flags.c_contiguous and fast.flags.writeable
            assert not np.shares_memory(fast, x)
            assert np.array_equal(fast, general, equal_nan=True), (name, shape, seed)
            assert np.array_equal(fast, function(x=x), equal_nan=True)


def half_dtype(name):
    import ml_dtypes

    return {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}[name]


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_half_agrees_with_the_general_path(name, half):
    function = getattr(simdkit, name)
    for shape in SHAPES:
        x = np.asarray(np.abs(values(shape, np.float32, 1)), dtype=half_dtype(half))
        fast = function(x)
        assert fast.dtype == x.dtype and fast.shape == x.shape
        general = function(x, out=np.empty_like(x))
        assert np.array_equal(fast.view(np.uint16), general.view(np.uint16)), (name, shape)


CONVERSIONS = [("to_float16", np.float32, np.float16), ("to_bfloat16", np.float32, "bfloat16"),
               ("from_float16", np.float16, np.float32), ("from_bfloat16", "bfloat16", np.float32),
               ("to_float8_e4m3", np.float32, "float8_e4m3fn"),
               ("to_float8_e5m2", np.float32, "float8_e5m2"),
               ("from_float8_e4m3", "float8_e4m3fn", np.float32),
               ("from_float8_e5m2", "float8_e5m2", np.float32)]


@pytest.mark.parametrize("name, source, result", CONVERSIONS)
def test_conversions_agree_with_the_general_path(name, source, result):
    import ml_dtypes

    source = getattr(ml_dtypes, source) if isinstance(source, str) else source
    result = getattr(ml_dtypes, result) if isinstance(result, str) else result
    function = getattr(simdkit, name)
    for shape in SHAPES:
        x = values(shape, np.float32, 1).astype(source)
        fast = function(x)
        assert type(fast) is np.ndarray and fast.dtype == result and fast.shape == x.shape
        general = function(x, out=np.empty(x.shape, result))
        bits = fast.reshape(-1).view(np.uint8)
        assert np.array_equal(bits, general.reshape(-1).view(np.uint8)), (name, shape)
        assert np.array_equal(bits, function(general_path_copy(x)).reshape(-1).view(np.uint8))
    assert str(inspect.signature(function)) == (
        "(x, out=None)" if name.startswith("to_") else "(y, out=None, *, dtype=None)")
    if name.startswith("from_"):
        bits = np.dtype(source).itemsize
        keyword = np.dtype(source).name  # float8_e4m3fn, not the function's float8_e4m3
        with np.errstate(over="ignore", invalid="ignore"):
            patterns = values((9,), np.float32, 0).astype(source).view(f"u{bits}")
        assert np.array_equal(function(patterns, dtype=keyword), function(patterns.view(source)),
                              equal_nan=True)
        with pytest.raises(TypeError, match=r"takes from 1 to 2 positional arguments"):
            function(patterns, None, name[5:])


METRICS = ["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]


# Every dtype the distance family takes without dtype=.
DISTANCE_DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "bool"]


def distance_operands(shape, dtype, seeds=(0, 2)):
    """Two arrays of `shape` and `dtype` with some equal components (hamming,
    jaccard), integers in their range."""
    dtype = half_dtype(dtype) if dtype in ("float16", "bfloat16") else np.dtype(dtype)
    arrays = []
    for seed in seeds:
        x = values(shape, np.float32, seed)
        if np.dtype(dtype).kind in "iub":
            x = np.random.default_rng(seed).integers(-3, 4, shape)
            x = np.abs(x) if np.dtype(dtype).kind in "ub" else x
        arrays.append(np.asarray(x).astype(dtype))
    a, b = arrays
    b[..., ::3] = a[..., ::3]
    return a, b


@pytest.mark.parametrize("dtype", DISTANCE_DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_distance_agrees_with_the_general_path(metric, dtype):
    for n in [0, 1, 3, 16, 17, 1000, 2**14 - 1, 2**14]:
        a, b = distance_operands((n,), dtype)
        try:
            fast = simdkit.distance(a, b, metric)
        except ValueError as error:  # a metric not defined for the dtype: the general path's words
            with pytest.raises(ValueError, match="is not defined for"):
                simdkit.distance(general_path_copy(a), general_path_copy(b), metric)
            assert "is not defined for" in str(error)
            continue
        assert same(fast, simdkit.distance(general_path_copy(a), general_path_copy(b), metric))
        assert same(fast, simdkit.distance(a=a, b=b, metric=metric))
        # A metric name built at run time is not interned: found by value.
        assert same(fast, simdkit.distance(a, b, "".join(list(metric))))
        assert type(fast) is (np.float64 if dtype == "float64" else np.float32)
    with pytest.raises(ValueError, match="unknown metric 'dott'"):
        simdkit.distance(a, b, "dott")
    with pytest.raises(TypeError, match="metric must be a str"):
        simdkit.distance(a, b, 3)


def test_uint16_needs_its_dtype_keyword_on_the_fast_path_too():
    a = np.ones(4, np.uint16)
    for call in (lambda: simdkit.distance(a, a, "dot"), lambda: simdkit.paired(a[None], a[None], "dot"),
                 lambda: simdkit.cdist(a[None], a[None], "dot"), lambda: simdkit.topk(a[None], a[None], 1, "dot")):
        with pytest.raises(TypeError, match="need dtype='bfloat16'"):
            call()
    assert simdkit.distance(a, a, "dot", dtype="bfloat16") == simdkit.distance(
        general_path_copy(a), general_path_copy(a), "dot", dtype="bfloat16")


MATRIX_SHAPES = [((1, 1), (1, 1)), ((1, 16), (4, 16)), ((3, 7), (5, 7)), ((8, 33), (8, 33)),
                 ((2, 0), (3, 0)), ((0, 4), (2, 4)), ((64, 16), (16, 16))]


def matrix_operands(a_shape, b_shape, dtype):
    a, _ = distance_operands(a_shape, dtype, seeds=(0, 1))
    b, _ = distance_operands(b_shape, dtype, seeds=(2, 3))
    return a, b


@pytest.mark.parametrize("dtype", DISTANCE_DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_paired_cdist_topk_agree_with_the_general_path(metric, dtype):
    for a_shape, b_shape in MATRIX_SHAPES:
        a, b = matrix_operands(a_shape, b_shape, dtype)
        copies = general_path_copy(a), general_path_copy(b)
        try:
            fast = simdkit.cdist(a, b, metric)
        except ValueError as error:
            assert "is not defined for" in str(error)
            with pytest.raises(ValueError, match="is not defined for"):
                simdkit.cdist(*copies, metric)
            continue
        assert same(fast, simdkit.cdist(*copies, metric))
        assert same(fast, simdkit.cdist(A=a, B=b, metric=metric, threads=1))
        assert fast.shape == (a.shape[0], b.shape[0]) and fast.flags.c_contiguous
        assert fast.dtype == (np.float64 if dtype == "float64" else np.float32)
        pairs = b[: a.shape[0]] if a.shape[0] <= b.shape[0] else None
        if pairs is not None:
            assert same(simdkit.paired(a, pairs, metric), simdkit.paired(copies[0], general_path_copy(pairs), metric))
        for k in {1, b.shape[0] // 2, b.shape[0]} - {0}:
            indices, distances = simdkit.topk(a, b, k, metric)
            general = simdkit.topk(*copies, k, metric)
            assert indices.dtype == np.int64 and same(indices, general[0]) and same(distances, general[1])
            assert same(distances, simdkit.topk(Q=a, X=b, k=k, metric=metric, threads=2)[1])


def test_cdist_and_topk_arguments_on_the_fast_path():
    a, b = matrix_operands((2, 8), (5, 8), "float32")
    assert same(simdkit.cdist(a, b), simdkit.cdist(a, b, "euclidean"))
    assert same(simdkit.cdist(a, b, threads=None), simdkit.cdist(general_path_copy(a), b))
    for k in (0, 6, -1):
        with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= 5"):
            simdkit.topk(a, b, k, "dot")
    with pytest.raises(ValueError, match=r"k must satisfy 1 <= k <= 5"):
        simdkit.topk(a, b, 2**70, "dot")
    with pytest.raises(TypeError, match="k must be an int"):
        simdkit.topk(a, b, 1.0, "dot")
    assert same(simdkit.topk(a, b, np.int64(2), "dot")[0], simdkit.topk(a, b, 2, "dot")[0])
    for threads, error in ((0, ValueError), ("2", TypeError)):
        with pytest.raises(error, match="threads"):
            simdkit.cdist(a, b, threads=threads)
        with pytest.raises(error, match="threads"):
            simdkit.topk(a, b, 1, "dot", threads=threads)
    with pytest.raises(ValueError, match="equal shapes"):
        simdkit.paired(a, b, "dot")
    with pytest.raises(TypeError, match=r"cdist\(\) got an unexpected keyword argument 'metrc'"):
        simdkit.cdist(a, b, metrc="dot")
    with pytest.raises(TypeError, match=r"topk\(\) takes from 4 to 4 positional arguments|topk\(\) takes 4"):
        simdkit.topk(a, b, 1, "dot", None)
    packed = simdkit.pack(b)
    assert same(simdkit.topk(a, packed, 3, "cosine")[1], simdkit.topk(a, b, 3, "cosine")[1])
    assert same(simdkit.cdist(a, packed, "dot"), simdkit.cdist(a, b, "dot"))
    assert same(simdkit.cdist(a, simdkit.pack(X=b)), simdkit.cdist(a, b))


@pytest.mark.parametrize("dtype", DISTANCE_DTYPES)
def test_pack_agrees_with_the_general_path(dtype):
    """pack of a small C-contiguous matrix (the fast path) and of the same
    rows strided (the general path): the same matrix, the same results."""
    for shape in [(1, 1), (1, 16), (3, 7), (8, 33)]:
        X, _ = distance_operands(shape, dtype)
        fast, general = simdkit.pack(X), simdkit.pack(general_path_copy(X))
        assert (fast.shape, fast.dtype, fast.nbytes, repr(fast)) == \
            (general.shape, general.dtype, general.nbytes, repr(general))
        for metric in METRICS:
            Q = X[:1]
            try:
                expected = simdkit.cdist(Q, general, metric)
            except ValueError:  # a metric this dtype does not define
                continue
            assert same(simdkit.cdist(Q, fast, metric), expected)
            assert same(simdkit.topk(Q, fast, 1, metric)[0], simdkit.topk(Q, general, 1, metric)[0])
        state_fast, state_general = fast.__getstate__(), general.__getstate__()
        assert same(state_fast[0], state_general[0]) and state_fast[1] == state_general[1]


ROW_KERNELS = ["softmax", "log_softmax", "normalize"]
ROW_SHAPES = [(), (1,), (16,), (3, 16), (2, 3, 5), (1, 17), (0, 4), (4, 0), (1024, 15), (1024, 16)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("name", ROW_KERNELS + ["logsumexp"])
def test_row_kernels_agree_with_the_general_path(name, dtype):
    function = getattr(simdkit, name)
    cast = half_dtype(dtype) if dtype in ("float16", "bfloat16") else np.dtype(dtype)
    for shape in ROW_SHAPES:
        x = values(shape, np.float32, 1).astype(cast)
        axes = [None] + ([-1, len(shape) - 1] if shape else [])
        for axis in axes:
            fast = function(x, axis)
            general = function(general_path_copy(x), axis)
            assert type(fast) is type(general) and np.asarray(fast).dtype == x.dtype
            assert np.array_equal(bits(fast), bits(general)), (shape, axis)
            if name != "logsumexp":
                assert fast.flags.c_contiguous and fast.shape == x.shape
                assert np.array_equal(bits(fast), bits(function(x, axis=axis, out=np.empty_like(x))))
    assert same(function(x), function(x=x, axis=-1))
    with pytest.raises(Exception, match="axis"):
        function(x, axis=2)


def test_quantize_agrees_with_the_general_path():
    for shape in [(1,), (16,), (3, 16), (2, 3, 5), (1024, 15)]:
        x = values(shape, np.float32, 0)
        q, scale = simdkit.quantize_int8(x)
        general_q, general_scale = simdkit.quantize_int8(general_path_copy(x))
        assert same(q, general_q) and same(scale, general_scale) and scale.shape == shape[:-1]
        assert same(simdkit.quantize_int8(x, axis=len(shape) - 1)[0], q)
        y = simdkit.dequantize_int8(q, scale)
        assert same(y, simdkit.dequantize_int8(general_path_copy(q), general_path_copy(scale)))
        assert same(y, simdkit.dequantize_int8(q=q, scale=scale, axis=-1))
    with pytest.raises(ValueError, match="NaN or Inf"):
        simdkit.quantize_int8(values((8,), np.float32, 1))
    with pytest.raises(ValueError, match="scale must have q's shape"):
        simdkit.dequantize_int8(q, scale[:1])


SIGNATURES = {
    "paired": "(A, B, metric, *, dtype=None)",
    "cdist": "(A, B, metric='euclidean', *, dtype=None, threads=None, out=None)",
    "topk": "(Q, X, k, metric, *, dtype=None, threads=None)",
    "pack": "(X, *, dtype=None)",
    "distance": "(a, b, metric, *, dtype=None)",
    "softmax": "(x, axis=-1, *, out=None, threads=1)",
    "log_softmax": "(x, axis=-1, *, out=None, threads=1)",
    "normalize": "(x, axis=-1, *, out=None, threads=1)",
    "logsumexp": "(x, axis=-1, *, threads=1)",
    "quantize_int8": "(x, axis=-1)",
    "dequantize_int8": "(q, scale, axis=-1)",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_raw_entry_points_show_their_signatures(name):
    function = getattr(simdkit, name)
    assert str(inspect.signature(function)) == SIGNATURES[name]
    assert type(function) is type(simdkit.sum)  # a builtin, not pybind11's dispatcher


@pytest.mark.parametrize("name", sorted(public_kernels()))
def test_every_function_pickles_by_reference(name):
    """multiprocessing, joblib and Dask ship functions by reference: each one
    must come back as itself, not as getattr(<its index>, name)."""
    function = getattr(simdkit, name)
    assert pickle.loads(pickle.dumps(function)) is function
    assert function.__self__ is simdkit._core
