"""Property tests (hypothesis) over the public API, on every supported
target: shapes (0-d to 4-d, zero-size included), dtypes, memory layouts
(C, Fortran, strided, negative strides, unaligned, read-only), values (the
whole float line with subnormals, NaN and infinities where the function
defines them) and the out= and in-place forms, against the references of
the per-family tests (NumPy, SciPy, exact sums, ml_dtypes).

The "ci" profile (conftest.py: deterministic, a bounded number of examples)
runs in the test command; for a longer hunt with fresh random examples:

    python -m pytest tests/python/test_properties.py --hypothesis-profile=long

Skipped under an emulated CPU (the heterogeneous matrix), where examples
would cost seconds each; the per-family tests run there.
"""

import pytest

from conftest import skip_module_under_emulator

skip_module_under_emulator("hypothesis examples")

import math  # noqa: E402

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import scipy.special  # noqa: E402
from hypothesis import given, note  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import simdkit  # noqa: E402
import test_distance as distance_tests  # noqa: E402
import test_math as math_tests  # noqa: E402
from conftest import (EXTREMES, REDUCTIONS, TESTED_TARGETS, check_accumulated,  # noqa: E402
                      check_reduction, exact_products, unaligned_copy)

BF16 = np.dtype(ml_dtypes.bfloat16)
LAYOUTS = ["C", "F", "strided", "reversed", "unaligned", "read-only"]


def relaid(x, layout):
    """A copy of x's values (any shape, any dtype) in another memory layout."""
    if x.ndim == 0 or layout == "C":
        return x.copy()
    if layout == "F":
        return np.array(x, order="F", copy=True)
    if layout == "strided":  # every other element of a larger array, along every axis
        big = np.zeros(tuple(2 * s + 1 for s in x.shape), x.dtype)
        view = big[tuple(slice(1, None, 2) for _ in x.shape)]
        view[...] = x
        return view
    if layout == "reversed":  # negative strides along every axis
        flip = tuple(slice(None, None, -1) for _ in x.shape)
        return x[flip].copy()[flip]
    if layout == "unaligned":
        return unaligned_copy(x.ravel(), max(1, x.itemsize // 2)).reshape(x.shape)
    if layout == "read-only":
        y = x.copy()
        y.flags.writeable = False
        return y
    raise ValueError(layout)


def on_every_target(check):
    """check(target) with each supported target forced."""
    for target in TESTED_TARGETS:
        with simdkit.use_target(target):
            check(target)


SHAPES = st.one_of(hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=200),
                   hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
SPECIALS = [0.0, -0.0, math.inf, -math.inf, math.nan]


def float_values(dtype, limit=None, specials=True):
    """Floats of `dtype` up to `limit` in magnitude (the whole line when
    None), subnormals included, and the special values."""
    source = np.dtype(np.float32 if np.dtype(dtype) == BF16 else dtype)
    limit = float(np.finfo(source).max if limit is None else source.type(limit))
    values = st.floats(-limit, limit, width=8 * source.itemsize)
    return values | st.sampled_from(SPECIALS) if specials else values


@st.composite
def arrays_and_layouts(draw, dtypes, shapes=SHAPES, limit=None, specials=True):
    """(array, layout): an array of one of `dtypes` with values from
    float_values, in one of LAYOUTS."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    source = np.float32 if dtype == BF16 else dtype
    x = draw(hnp.arrays(source, draw(shapes), elements=float_values(dtype, limit, specials)))
    layout = draw(st.sampled_from(LAYOUTS))
    note(f"layout {layout}")
    return relaid(x.astype(dtype), layout), layout


def arrays(dtypes, shapes=SHAPES, limit=None, specials=True):
    return arrays_and_layouts(dtypes, shapes, limit, specials).map(lambda pair: pair[0])


# ---------------------------------------------------------------------------
# reduce: sum, norm, min, max, argmin, argmax, dot
# ---------------------------------------------------------------------------
# Magnitudes whose sums (and sums of products, for dot) cannot overflow on
# the way for the sizes drawn here, so that the exact-sum bound applies.
SUM_LIMIT = {np.dtype(np.float32): 1e30, np.dtype(np.float64): 1e300}
DOT_LIMIT = {np.dtype(np.float32): 1e15, np.dtype(np.float64): 1e150}


@st.composite
def reduce_arguments(draw):
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64])))
    x = draw(arrays([dtype], limit=SUM_LIMIT[dtype]))
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    return x, axis, draw(st.booleans())


@given(reduce_arguments())
def test_reductions(arguments):
    """Every reduction over all elements or along an axis: extremes exactly
    as NumPy, sums and norms within the documented bound of the exact value;
    no element along the axis: ValueError for the extremes, as NumPy."""
    x, axis, keepdims = arguments
    empty = x.size == 0 if axis is None else x.shape[axis] == 0

    def check(target):
        for name in REDUCTIONS:
            if empty and name in EXTREMES:
                with pytest.raises(ValueError, match="zero-size array"):
                    getattr(simdkit, name)(x, axis=axis, keepdims=keepdims)
                continue
            got = getattr(simdkit, name)(x, axis=axis, keepdims=keepdims)
            check_reduction(name, got, x, axis=axis, keepdims=keepdims, what=f"on {target}")

    on_every_target(check)


@st.composite
def dot_arguments(draw):
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64])))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=5))
    n = draw(st.integers(0, 80))
    values = float_values(dtype, DOT_LIMIT[dtype])
    a, b = (relaid(draw(hnp.arrays(dtype, shape + (n,), elements=values)),
                   draw(st.sampled_from(LAYOUTS))) for shape in batch.input_shapes)
    return a, b, batch.result_shape


@given(dot_arguments())
def test_dot(arguments):
    """numpy.vecdot's shapes (batch dimensions broadcast) and the documented
    bound of every product sum."""
    a, b, result_shape = arguments
    batch_a = np.broadcast_to(a, result_shape + a.shape[-1:])
    batch_b = np.broadcast_to(b, result_shape + b.shape[-1:])

    def check(target):
        got = simdkit.dot(a, b)
        assert np.shape(got) == result_shape and np.asarray(got).dtype == a.dtype
        for index in np.ndindex(*result_shape):
            terms = exact_products(batch_a[index], batch_b[index], a.dtype)
            check_accumulated(np.asarray(got)[index], terms, a.shape[-1], a.dtype,
                              f"dot{index} on {target}", kind="dot")

    on_every_target(check)


# ---------------------------------------------------------------------------
# distance: distance, paired, cdist (out=), topk
# ---------------------------------------------------------------------------
@st.composite
def distance_arguments(draw):
    case = draw(st.sampled_from(distance_tests.CASES))
    metric = draw(st.sampled_from(distance_tests.metrics_for(case)))
    m, n, d = draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(0, 70))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    A, A_ref, kw = distance_tests.make(case, (m, d), metric, rng)
    B, B_ref, _ = distance_tests.make(case, (n, d), metric, rng)
    if case in distance_tests.FLOAT_CASES and d > 0:
        for matrix in (A, B):
            for _ in range(draw(st.integers(0, 3))):
                r, c = draw(st.integers(0, len(matrix) - 1)), draw(st.integers(0, d - 1))
                matrix[r, c] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        A_ref, B_ref = A.astype(np.float64), B.astype(np.float64)
    layouts = draw(st.sampled_from(LAYOUTS)), draw(st.sampled_from(LAYOUTS))
    note(f"{case} {metric} A {A.shape} {layouts[0]}, B {B.shape} {layouts[1]}")
    return (case, metric, relaid(A, layouts[0]), relaid(B, layouts[1]), A_ref, B_ref, kw,
            draw(st.integers(1, n)), draw(st.integers(0, 3)))


@given(distance_arguments())
def test_distances(arguments):
    """cdist, paired and distance against SciPy within the documented
    tolerances (exact where the arithmetic is); cdist into an out= with
    rows further apart; topk against the brute-force order."""
    case, metric, A, B, A_ref, B_ref, kw, k, padding = arguments

    def check(target):
        what = f"{case} {metric} on {target}"
        distance_tests.check_all_forms(case, metric, A, B, A_ref, B_ref, kw, what)
        rows = np.full((A.shape[0], B.shape[0] + padding), -7.0,
                       distance_tests.result_dtype(case))
        out = rows[:, :B.shape[0]]
        assert simdkit.cdist(A, B, metric, out=out, **kw) is out
        np.testing.assert_array_equal(out, simdkit.cdist(A, B, metric, **kw), what)
        assert (rows[:, B.shape[0]:] == -7).all(), f"{what}: out= written past its rows"
        indices, distances = simdkit.topk(A, B, k, metric, **kw)
        distance_tests.check_topk(indices, distances, A, B, A_ref, B_ref, k, metric, case, kw,
                                  [], f"topk k={k} {what}")

    on_every_target(check)


# ---------------------------------------------------------------------------
# convert: to_/from_ bfloat16 and float16 (out=), quantize_int8, dequantize_int8
# ---------------------------------------------------------------------------
def bit_patterns(dtype):
    """Arrays of every bit pattern of `dtype` (uint32 or uint16) in SHAPES."""
    return SHAPES.flatmap(lambda shape: hnp.arrays(dtype, shape))


OUT_FORMS = ["new", "out", "uint16 out"]


@given(bit_patterns(np.uint32), st.sampled_from(LAYOUTS), st.sampled_from(OUT_FORMS))
def test_narrowing_is_astype(bits, layout, out_form):
    """Any float32 (NaN payloads, subnormals, ties) to bfloat16 and float16:
    bit for bit what ml_dtypes' and NumPy's astype give."""
    x = relaid(bits.view(np.float32), layout)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = {"to_bfloat16": x.astype(BF16).view(np.uint16),
                    "to_float16": x.astype(np.float16).view(np.uint16)}

    def check(target):
        for name, result_dtype in (("to_bfloat16", BF16), ("to_float16", np.dtype(np.float16))):
            if out_form == "new":
                got = getattr(simdkit, name)(x)
                assert got.dtype == result_dtype and got.shape == x.shape
            else:
                out = np.empty(x.shape, np.uint16 if out_form == "uint16 out" else result_dtype)
                assert getattr(simdkit, name)(x, out=out) is out
                got = out
            np.testing.assert_array_equal(got.view(np.uint16), expected[name],
                                          f"{name} on {target}")

    on_every_target(check)


@given(bit_patterns(np.uint16), st.sampled_from(LAYOUTS), st.booleans(), st.booleans())
def test_widening_is_exact(bits, layout, as_uint16, with_out):
    """Any bfloat16 or float16 pattern (given as such, or as uint16 with
    dtype=) to float32, exactly."""
    def check(target):
        for name, dtype, keyword in (("from_bfloat16", BF16, "bfloat16"),
                                     ("from_float16", np.dtype(np.float16), "float16")):
            y = relaid(bits if as_uint16 else bits.view(dtype), layout)
            kw = {"dtype": keyword} if as_uint16 else {}
            out = np.empty(bits.shape, np.float32) if with_out else None
            got = getattr(simdkit, name)(y, out=out, **kw)
            assert out is None or got is out
            expected = bits.view(dtype).astype(np.float32)
            np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32),
                                          f"{name} on {target}")

    on_every_target(check)


@st.composite
def quantize_arguments(draw):
    shapes = st.one_of(hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=200),
                       hnp.array_shapes(min_dims=2, max_dims=3, min_side=0, max_side=12))
    x = draw(arrays([np.float32], shapes=shapes, specials=False))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@given(quantize_arguments())
def test_quantize_int8(arguments):
    """scale = max|row| / 127 and q = x / scale rounded to nearest even (a
    zero row: scale 0, q 0), as docs/convert.md defines them; dequantize
    gives back q * scale, within scale/2 (1 + 2^-15) of x."""
    x, axis = arguments
    moved = np.moveaxis(x, axis, -1)
    scale = (np.abs(moved).max(axis=-1, initial=0) / np.float32(127)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        q = np.clip(np.rint(moved / np.where(scale == 0, 1, scale)[..., None]), -127, 127)
    q = np.where(scale[..., None] == 0, 0, q).astype(np.int8)
    with np.errstate(over="ignore"):
        y = q.astype(np.float32) * scale[..., None]
    # The documented bound holds where scale is a normal float32, and q * scale
    # does not round past the largest float32 (q = +-127 where max|x| is it).
    bound = np.where(scale >= np.finfo(np.float32).tiny,
                     0.5 * scale.astype(np.float64) * (1 + 2.0**-15), np.inf)[..., None]

    def check(target):
        got_q, got_scale = simdkit.quantize_int8(x, axis=axis)
        np.testing.assert_array_equal(got_scale, scale, f"scale on {target}")
        np.testing.assert_array_equal(np.moveaxis(got_q, axis, -1), q, f"q on {target}")
        back = simdkit.dequantize_int8(got_q, got_scale, axis=axis)
        np.testing.assert_array_equal(np.moveaxis(back, axis, -1), y, f"dequantize on {target}")
        overflow = ~np.isfinite(y)
        largest = np.finfo(np.float32).max / np.float32(127)
        at_max = (np.abs(q) == 127) & (scale == largest)[..., None]
        assert not (overflow & ~at_max).any(), f"Inf on {target}"
        error = np.abs(moved.astype(np.float64) - y.astype(np.float64))
        assert (error[~overflow] <= np.broadcast_to(bound, error.shape)[~overflow]).all(), \
            f"quantization error beyond scale/2 (1 + 2^-15) on {target}"

    on_every_target(check)


# ---------------------------------------------------------------------------
# math: elementwise functions (out=, in place) and row kernels
# ---------------------------------------------------------------------------
MATH_DTYPES = [np.float32, np.float64, np.float16, BF16]
MATH_OUT_FORMS = ["new", "out", "strided out", "in place"]


def call_with_out(function, x, layout, out_form, **kw):
    """function(x) in one of MATH_OUT_FORMS (in place: on a copy of x in
    x's `layout`, writeable); checks that out= comes back."""
    if out_form == "new":
        return function(x, **kw)
    if out_form == "in place":
        y = relaid(x, "C" if layout == "read-only" else layout)
        assert function(y, out=y, **kw) is y
        return y
    out = np.empty(x.shape, x.dtype) if out_form == "out" else \
        np.empty(tuple(2 * s for s in x.shape), x.dtype)[
            (Ellipsis,) + tuple(slice(None, None, 2) for _ in x.shape)]
    assert function(x, out=out, **kw) is out
    return out


@st.composite
def elementwise_arguments(draw):
    name = draw(st.sampled_from(list(math_tests.ELEMENTWISE)))
    x, layout = draw(arrays_and_layouts(MATH_DTYPES))
    if name == "gelu" and x.dtype == np.float64:
        x = relaid(np.asarray(np.maximum(x, -30.0)), layout)  # below, the reference is subnormal
    return name, x, layout, draw(st.sampled_from(MATH_OUT_FORMS))


@given(elementwise_arguments())
def test_elementwise(arguments):
    """Every function over the whole float line: within its documented ULP
    bound of a wider reference (NaN where it is NaN, infinities and the
    limits at -Inf exact); float16 and bfloat16 as the float32 result
    rounded; every out= form."""
    name, x, layout, out_form = arguments
    function = getattr(simdkit, name)
    x_original = x.copy()
    half = x.dtype in (np.float16, BF16)
    if not half:
        reference = math_tests.reference(name, x)
        if name in ("silu", "gelu_tanh", "gelu"):
            reference = np.where(np.isneginf(x), -0.0, reference)
        bounds = math_tests.ULP_BOUNDS if x.dtype == np.float32 else math_tests.ULP_BOUNDS_F64
        bound = bounds[name]
        if x.dtype == np.float64 and (math_tests.WIDE is None or name in math_tests.FLOAT64_REFERENCES):
            bound = max(bound, 64)

    def check(target):
        got = call_with_out(function, x, layout, out_form)
        assert got.dtype == x.dtype and got.shape == x.shape
        if half:
            with np.errstate(over="ignore", invalid="ignore"):
                expected = function(x.astype(np.float32)).astype(x.dtype)
            np.testing.assert_array_equal(got.astype(np.float32), expected.astype(np.float32),
                                          f"{name} on {target}")
            return
        errors = math_tests.ulp_error(got, reference)
        worst = np.unravel_index(np.argmax(errors), errors.shape) if errors.size else None
        assert worst is None or errors[worst] <= bound, (
            f"{name}({x[worst]!r}) = {got[worst]!r} on {target}: {errors[worst]} ULP > {bound}")

    on_every_target(check)
    assert x.tobytes() == x_original.tobytes(), "input changed"


ROW_FUNCTIONS = ["softmax", "log_softmax", "normalize", "logsumexp"]


@st.composite
def row_arguments(draw):
    name = draw(st.sampled_from(ROW_FUNCTIONS))
    shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=20)
    limit = None if name == "normalize" else 1e4  # normalize scales: any magnitude
    x, layout = draw(arrays_and_layouts([np.float32, np.float64], shapes=shapes, limit=limit,
                                        specials=False))
    axis = draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    out_form = draw(st.sampled_from(MATH_OUT_FORMS[:1] if name == "logsumexp" else MATH_OUT_FORMS))
    return name, x, layout, axis, out_form


def row_reference(name, x, axis):
    """(reference in float64, allowed |error| as an array of its shape)."""
    wide = x.astype(np.float64)
    u = float(np.finfo(x.dtype).eps) / 2
    length = x.size if axis is None else x.shape[axis]
    if wide.size == 0:
        shape = () if axis is None else np.delete(np.array(x.shape), axis)
        reference = np.full(shape, -np.inf) if name == "logsumexp" else wide
        return reference, np.zeros(np.shape(reference))
    with np.errstate(all="ignore"):
        if name == "normalize":  # scaled first, as the kernel does: no overflow
            peak = np.max(np.abs(wide), axis=axis, keepdims=True)
            scaled = wide / np.where(peak == 0, 1, peak)
            norms = np.sqrt(np.sum(scaled * scaled, axis=axis, keepdims=True))
            reference = scaled / np.where(norms == 0, 1, norms)
            tiny = float(np.finfo(x.dtype).smallest_subnormal)
            return reference, (8 + length) * u * np.abs(reference) + tiny
        # x - max rounds in x's dtype: its error grows with |x - max|.
        shifted = wide - np.max(wide, axis=axis, keepdims=True, initial=-np.inf)
        slack = (16 + length + 2 * np.abs(shifted)) * u
        if name == "softmax":
            reference = scipy.special.softmax(wide, axis=axis)
            return reference, slack * reference + 1e-30
        if name == "log_softmax":
            # Computed as (x - max) - log(sum): the size of the max does not count.
            reference = scipy.special.log_softmax(wide, axis=axis)
            return reference, slack * (1 + np.abs(reference))
        reference = scipy.special.logsumexp(wide, axis=axis)
        peak = np.max(np.abs(wide), axis=axis, initial=0)
        return reference, (16 + length) * u * (1 + np.abs(reference) + peak)


@given(row_arguments())
def test_row_kernels(arguments):
    """softmax, log_softmax, normalize and logsumexp along any axis (or all
    elements) against SciPy/NumPy in float64, every out= form."""
    name, x, layout, axis, out_form = arguments
    function = getattr(simdkit, name)
    reference, allowed = row_reference(name, x, axis)

    def check(target):
        got = call_with_out(function, x, layout, out_form, axis=axis)
        got = np.asarray(got)
        assert got.dtype == x.dtype and got.shape == np.shape(reference), (got.shape, target)
        with np.errstate(invalid="ignore"):  # -Inf - -Inf: equal, as the last term says
            error = np.abs(got.astype(np.float64) - reference)
        ok = (error <= allowed) | (got == reference)
        assert ok.all(), (f"{name} axis={axis} on {target}: |error| {error[~ok].max():.3g} "
                          f"> {np.asarray(allowed)[~ok].min():.3g}")

    on_every_target(check)
