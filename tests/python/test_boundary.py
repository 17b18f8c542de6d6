"""The Python boundary's fast path (issue 17): a small exact ndarray of
float32/float64, aligned and C-contiguous, goes straight to the kernel; the
same values in any other layout take the general path. Both must give the
same result, bit for bit and of the same type, and keywords must behave as
positional arguments do."""

import inspect

import numpy as np
import pytest

import simdkit
from conftest import ELEMENTWISE_FUNCTIONS as ELEMENTWISE, REDUCTIONS

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


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_float16_agrees_with_the_general_path(name):
    function = getattr(simdkit, name)
    for shape in SHAPES:
        x = np.asarray(np.abs(values(shape, np.float32, 1)), dtype=np.float16)
        fast = function(x)
        assert fast.dtype == np.float16 and fast.shape == x.shape
        assert np.array_equal(fast, function(x, out=np.empty_like(x)), equal_nan=True)


CONVERSIONS = [("to_float16", np.float32, np.float16), ("to_bfloat16", np.float32, "bfloat16"),
               ("from_float16", np.float16, np.float32), ("from_bfloat16", "bfloat16", np.float32)]


@pytest.mark.parametrize("name, source, result", CONVERSIONS)
def test_conversions_agree_with_the_general_path(name, source, result):
    import ml_dtypes

    source = ml_dtypes.bfloat16 if source == "bfloat16" else source
    result = ml_dtypes.bfloat16 if result == "bfloat16" else result
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
        patterns = values((9,), np.float32, 0).astype(source).view(np.uint16)
        assert np.array_equal(function(patterns, dtype=name[5:]), function(patterns.view(source)))
        with pytest.raises(TypeError, match=r"takes from 1 to 2 positional arguments"):
            function(patterns, None, name[5:])


METRICS = ["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("metric", METRICS)
def test_distance_agrees_with_the_general_path(metric, dtype):
    for n in [0, 1, 3, 16, 17, 1000, 2**14 - 1, 2**14]:
        a = values((n,), np.float32, 0).astype(dtype)
        b = values((n,), np.float32, 2).astype(dtype)
        b[::3] = a[::3]  # some equal components (hamming, jaccard)
        try:
            fast = simdkit.distance(a, b, metric)
        except ValueError as error:  # a metric not defined for the dtype: the general path's words
            with pytest.raises(ValueError, match="is not defined for"):
                simdkit.distance(general_path_copy(a), general_path_copy(b), metric)
            assert "is not defined for" in str(error)
            continue
        assert same(fast, simdkit.distance(general_path_copy(a), general_path_copy(b), metric))
        assert same(fast, simdkit.distance(a=a, b=b, metric=metric))
        assert type(fast) is (np.float64 if dtype == np.float64 else np.float32)
    with pytest.raises(ValueError, match="unknown metric 'dott'"):
        simdkit.distance(a, b, "dott")
    with pytest.raises(TypeError, match="metric must be a str"):
        simdkit.distance(a, b, 3)
