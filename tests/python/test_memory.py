"""Memory: no leaks in the extension, MemoryError for sizes that cannot be
allocated, and 64-bit sizes and indices.

* Leaks: repeated calls of every public function, valid and refused, leave
  the reference counts of their arguments, results and NumPy's dtypes as
  they were; Python-level memory (tracemalloc, which also traces NumPy's
  array data) does not grow; neither does the process's resident memory
  over calls whose C++ side allocates (gathered copies, scattered outputs,
  top-k lists, worker threads, errors thrown by kernels).
* Sizes that cannot be allocated raise MemoryError naming the function and
  what it could not allocate; shapes whose byte size overflows too.
* More than 2^31 elements: a 1-byte distance kernel over 3 GiB rows, and the
  reductions over a float32 array of 2^31 + 1000 elements (np.zeros: only
  the pages written are real), with values placed beyond index 2^31 and the
  results checked exactly. Skipped when /proc/meminfo's MemAvailable could
  not hold the arrays.

Skipped under an emulated CPU (the heterogeneous matrix): nothing here
depends on the target.
"""

import gc
import re
import sys
import tracemalloc

import pytest

from conftest import skip_module_under_emulator

skip_module_under_emulator("leak and size checks, the same on every target")

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

import simdkit  # noqa: E402
from test_bad_input import SPECS, call  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
DTYPES = [np.dtype(t) for t in (np.float32, np.float64, np.float16, np.int8, np.uint8,
                                np.uint16, np.int64, np.intp, np.bool_)] + [BF16]


def refused(name):
    """Keyword changes that make SPECS[name]'s valid call fail late: after its
    arrays were taken and checked."""
    spec = SPECS[name]
    if spec.out:
        return {"out": np.empty((2, 3), np.float32)}
    if spec.axis:
        return {"axis": 5}
    return {"dot": {"b": np.ones(5, np.float32)},
            "distance": {"b": np.ones(5, np.float32)},
            "paired": {"B": np.ones((2, 4), np.float32)},
            "topk": {"k": 0},
            "pack": {"X": np.ones(4, np.float32)}}[name]


def repeat(thunk, times):
    for _ in range(times):
        try:
            thunk()
        except (TypeError, ValueError):
            pass


@pytest.mark.parametrize("name", list(SPECS))
def test_reference_counts_unchanged(name):
    spec = SPECS[name]
    valid = dict(spec.valid)
    bad = refused(name)
    with pytest.raises((TypeError, ValueError)):
        call(name, **bad)
    arrays = [v for v in (*valid.values(), *bad.values()) if isinstance(v, np.ndarray)]
    objects = arrays + DTYPES
    repeat(lambda: call(name), 3)  # first calls may fill caches (dtype lookups)
    before = [sys.getrefcount(obj) for obj in objects]
    repeat(lambda: call(name), 200)
    repeat(lambda: call(name, **bad), 200)
    after = [sys.getrefcount(obj) for obj in objects]
    changed = [(repr(obj)[:40], b, a) for obj, b, a in zip(objects, before, after) if a != b]
    assert not changed, f"simdkit.{name}: reference counts changed: {changed}"
    result = call(name)
    parts = result if isinstance(result, tuple) else (result,)
    del result
    control = np.zeros(1)  # held by one name, as `part` is (and by `parts`)
    for part in parts:
        assert sys.getrefcount(part) == sys.getrefcount(control) + 1, f"simdkit.{name} result"


@pytest.mark.parametrize("name", [n for n, spec in SPECS.items() if spec.out])
def test_out_reference_counts_unchanged(name):
    # The first dtype out= accepts: "float8_e4m3fn or uint8" -> float8_e4m3fn.
    first = SPECS[name].out.split()[0]
    out = np.empty(SPECS[name].out_shape,
                   {"bfloat16": BF16, "float16": np.float16}.get(
                       first, getattr(ml_dtypes, first, np.float32)))
    before = sys.getrefcount(out)
    for _ in range(200):
        assert call(name, out=out) is out
    assert sys.getrefcount(out) == before


def test_traced_memory_does_not_grow():
    """Every public function, valid and refused, 300 times each: what
    Python and NumPy allocate is all given back."""
    calls = []
    for name in SPECS:
        calls.append(lambda n=name: call(n))
        calls.append(lambda n=name: call(n, **refused(n)))
    for thunk in calls:
        repeat(thunk, 5)
    gc.collect()
    tracemalloc.start()
    try:
        for thunk in calls:
            repeat(thunk, 300)
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
        # Once more: anything still growing is a leak, not a cache.
        for thunk in calls:
            repeat(thunk, 300)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - current
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"traced memory grew by {grown} bytes over {300 * len(calls)} calls"


def resident_bytes():
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_resident_memory_does_not_grow():
    """Calls whose C++ side allocates about 1 MiB each time (a gathered copy
    of a transposed input, a scattered output, top-k lists, threads, a
    kernel's error after the copy): leaking it, 50 rounds would grow by
    hundreds of MiB."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 512)).astype(np.float32).T  # gathered: not C-contiguous
    bad = x.copy()
    bad[300] = np.nan
    bad = np.asfortranarray(bad)  # gathered, then refused at row 300
    A = rng.standard_normal((300, 1000)).astype(np.float32)[:, ::2]
    out = np.empty((512, 1024), np.float32)[:, ::2]  # scattered: strided
    calls = [
        lambda: simdkit.sum(x),
        lambda: simdkit.argmax(x, axis=0),
        lambda: simdkit.dot(x, x),
        lambda: simdkit.exp(x),
        lambda: simdkit.tanh(x, out=out),
        lambda: simdkit.softmax(x, axis=0, out=out),
        lambda: simdkit.logsumexp(x, axis=0),
        lambda: simdkit.to_bfloat16(x),
        lambda: simdkit.quantize_int8(x),
        lambda: simdkit.cdist(A, A[:100], "cosine", threads=2),
        lambda: simdkit.topk(A, A[:200], 50, "euclidean", threads=2),
        lambda: simdkit.paired(A, A[::-1], "cityblock"),
    ]

    def round_of_calls():
        for thunk in calls:
            thunk()
        with pytest.raises(ValueError, match="row 300 contains NaN or Inf"):
            simdkit.quantize_int8(bad)

    for _ in range(5):
        round_of_calls()
    gc.collect()
    before = resident_bytes()
    for _ in range(50):
        round_of_calls()
    gc.collect()
    grown = resident_bytes() - before
    assert grown < 32 << 20, f"resident memory grew by {grown >> 20} MiB over 50 rounds"


# ---------------------------------------------------------------------------
# Sizes that cannot be allocated
# ---------------------------------------------------------------------------
def broadcast(shape, dtype=np.float32):
    """A read-only view of any size that takes no memory."""
    return np.broadcast_to(np.zeros((), dtype), shape)


# Results of 2^58 elements (2^59 bytes and more): beyond any address space.
HUGE = (1 << 29, 1 << 29)
# Rows whose gathered copy would take 2^62 bytes, into a small result.
WIDE = (1024, 1 << 50)
EMPTY_ROWS = np.empty(((1 << 31) - 1, 0), np.float32)  # zero-size: no memory


def allocation_cases():
    cannot_copy = r"cannot allocate \d+ bytes for a C-contiguous copy of \d+ x \d+ elements"
    result = r"cannot allocate the result, of shape \({}\) and dtype {}"
    huge = "536870912, 536870912"
    overflows = ": it would take more than 2\\^63 bytes"
    for name in ("sum", "norm", "min", "max", "argmin", "argmax"):
        yield name, lambda n=name: getattr(simdkit, n)(broadcast(WIDE)), cannot_copy
        yield f"{name} axis", lambda n=name: getattr(simdkit, n)(broadcast(WIDE), axis=1), \
            cannot_copy
    yield "dot", lambda: simdkit.dot(broadcast(WIDE), broadcast(WIDE[1:])), cannot_copy
    yield "dot batch overflow", lambda: simdkit.dot(broadcast((1 << 32, 1, 1)),
                                                    broadcast((1 << 32, 1))), \
        result.format("4294967296, 4294967296", "float32") + overflows
    yield "paired", lambda: simdkit.paired(broadcast((1 << 24, (1 << 31) - 1)),
                                           broadcast((1 << 24, (1 << 31) - 1)), "dot"), cannot_copy
    yield "cdist", lambda: simdkit.cdist(EMPTY_ROWS[:1 << 28], EMPTY_ROWS[:1 << 28]), \
        result.format("268435456, 268435456", "float32") + r" \(Unable to allocate"
    yield "cdist overflow", lambda: simdkit.cdist(EMPTY_ROWS, EMPTY_ROWS), \
        result.format("2147483647, 2147483647", "float32") + overflows
    pairs = str((((1 << 31) - 1) * ((1 << 31) - 2)) // 2) + ","
    yield "pdist", lambda: simdkit.pdist(EMPTY_ROWS), \
        result.format(pairs, "float32") + r" \(Unable to allocate"
    yield "pdist overflow", lambda: simdkit.pdist(EMPTY_ROWS.astype(np.float64)), \
        result.format(pairs, "float64") + overflows
    rows = EMPTY_ROWS[:1 << 28]
    yield "topk", lambda: simdkit.topk(rows, rows, 1 << 28, "dot"), \
        result.format("268435456, 268435456", "int64")
    yield "topk overflow", lambda: simdkit.topk(EMPTY_ROWS, EMPTY_ROWS, (1 << 31) - 1, "dot"), \
        result.format("2147483647, 2147483647", "int64") + overflows
    # Rows within the extent limit whose packed copy is 2^63 bytes.
    yield "pack", lambda: simdkit.pack(broadcast((1 << 30, (1 << 31) - 1))), cannot_copy
    yield "to_bfloat16", lambda: simdkit.to_bfloat16(broadcast(HUGE)), \
        result.format(huge, "bfloat16")
    yield "to_float16", lambda: simdkit.to_float16(broadcast(HUGE)), result.format(huge, "float16")
    yield "from_bfloat16", lambda: simdkit.from_bfloat16(broadcast(HUGE, BF16)), \
        result.format(huge, "float32")
    for name, dtype in (("float8_e4m3", "float8_e4m3fn"), ("float8_e5m2", "float8_e5m2")):
        yield f"to_{name}", lambda n=name: getattr(simdkit, f"to_{n}")(broadcast(HUGE)), \
            result.format(huge, dtype)
        yield f"from_{name}", lambda n=name, d=dtype: getattr(simdkit, f"from_{n}")(
            broadcast(HUGE, getattr(ml_dtypes, d))), result.format(huge, "float32")
    yield "from_float16", lambda: simdkit.from_float16(broadcast(HUGE, np.float16)), \
        result.format(huge, "float32")
    yield "quantize_int8", lambda: simdkit.quantize_int8(broadcast(HUGE)), \
        result.format(huge, "int8")
    yield "dequantize_int8", lambda: simdkit.dequantize_int8(broadcast(HUGE, np.int8),
                                                             broadcast(HUGE[:1])), \
        result.format(huge, "float32")
    for name, spec in [(n, spec) for n, spec in SPECS.items() if spec.in_place]:
        # (atan2, hypot and power take two arrays.)
        yield name, lambda n=name, k=len(spec.required): getattr(simdkit, n)(
            *[broadcast(HUGE)] * k), result.format(huge, "float32")
    for name in ("atan2", "hypot", "power"):  # a broadcast result of 2^58 elements
        yield f"{name} broadcast", lambda n=name: getattr(simdkit, n)(
            broadcast((HUGE[0], 1)), broadcast(HUGE[1:])), result.format(huge, "float32")
    yield "logsumexp", lambda: simdkit.logsumexp(broadcast(WIDE)), cannot_copy
    yield "logsumexp all", lambda: simdkit.logsumexp(broadcast(WIDE), axis=None), cannot_copy


@pytest.mark.parametrize("thunk, message", [pytest.param(t, m, id=i)
                                            for i, t, m in allocation_cases()])
def test_sizes_that_cannot_be_allocated_raise_memory_error(request, thunk, message):
    name = request.node.callspec.id.split()[0]
    with pytest.raises(MemoryError) as raised:
        thunk()
    assert re.search(re.escape(f"simdkit.{name}: ") + message, str(raised.value)), \
        str(raised.value)


def test_every_function_taking_arrays_has_an_allocation_case():
    """distance is the exception: its vectors are limited to 2^31 - 1
    elements (test_bad_input), whose copy can always be attempted."""
    covered = {i.split()[0] for i, _, _ in allocation_cases()}
    assert set(SPECS) - covered == {"distance"}


def test_memory_error_leaves_no_references():
    x = broadcast(WIDE)
    base = x.base
    before = sys.getrefcount(x), sys.getrefcount(base)
    for _ in range(100):
        with pytest.raises(MemoryError):
            simdkit.sum(x)
        with pytest.raises(MemoryError):
            simdkit.cdist(EMPTY_ROWS, EMPTY_ROWS)
    assert (sys.getrefcount(x), sys.getrefcount(base)) == before


# ---------------------------------------------------------------------------
# More than 2^31 elements
# ---------------------------------------------------------------------------
def available_bytes():
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def needs_memory(gib):
    """Skips unless MemAvailable could hold `gib` GiB: the arrays are
    np.zeros, whose untouched pages the kernel maps to its zero page, but a
    system configured otherwise (THP without the huge zero page) would back
    every page read."""
    return pytest.mark.skipif(available_bytes() < gib * (1 << 30),
                              reason=f"needs {gib} GiB of available memory")


def sparse_int8(shape, values):
    """np.zeros int8 with `values` ({(row, column): value}) written."""
    array = np.zeros(shape, np.int8)
    for (row, column), value in values.items():
        array[row, column] = value
    return array


def exact_pairs(metric, a_values, b_values, pairs):
    """The exact distances of sparse int8 rows (a_row, b_row) in `pairs`."""
    result = []
    for r, s in pairs:
        columns = {c for (i, c) in a_values if i == r} | {c for (i, c) in b_values if i == s}
        terms = [(a_values.get((r, c), 0), b_values.get((s, c), 0)) for c in columns]
        result.append(sum(a * b if metric == "dot" else abs(a - b) if metric == "cityblock"
                          else (a - b) ** 2 for a, b in terms))
    return np.array(result, np.float64)


@needs_memory(9)
def test_int8_distances_over_more_than_2_31_elements():
    """int8 operands of more than 2^31 elements, nonzero only where written:
    paired over 3 rows of 2^30 + 3 (values at the rows' ends and past 2^30;
    row 2 starts past byte 2^31), and cdist of 2^21 + 5 rows of 1024 against
    two rows (rows past byte 2^31 at the end of A). Every result is an exact
    integer. (cdist is not given the long rows: it packs whole rows into
    wider scratch, 4 rows of A per thread, which at 2^30 elements would take
    tens of GiB.)"""
    length = (1 << 30) + 3
    a_values = {(0, 5): 3, (0, length - 1): -2, (1, length - 2): -7, (2, length - 1): 11,
                (2, 1 << 30): 5, (2, 7): -128}
    b_values = {(0, length - 1): 2, (0, 5): 4, (1, length - 2): 3, (1, 1 << 30): -1, (1, 7): 127,
                (2, 0): 1}
    A, B = sparse_int8((3, length), a_values), sparse_int8((3, length), b_values)
    assert A.size > 1 << 31
    for metric in ("dot", "sqeuclidean"):
        expected = exact_pairs(metric, a_values, b_values, [(0, 0), (1, 1), (2, 2)])
        np.testing.assert_array_equal(simdkit.paired(A, B, metric), expected, err_msg=metric)
    del A, B

    rows = (1 << 21) + 5
    a_values = {(0, 0): 1, (rows - 1, 1023): -3, (rows - 1, 0): 2, (rows - 3, 512): 100,
                ((1 << 21) + 1, 1): -128}
    b_values = {(0, 1023): 5, (0, 0): 7, (1, 512): -2, (1, 1): 1}
    A, B = sparse_int8((rows, 1024), a_values), sparse_int8((2, 1024), b_values)
    assert A.size > 1 << 31
    touched = sorted({r for r, _ in a_values} | {0, rows // 2})
    for metric in ("dot", "cityblock"):
        got = simdkit.cdist(A, B, metric, threads=2)
        assert got.shape == (rows, 2)
        pairs = [(r, s) for r in touched for s in (0, 1)]
        expected = exact_pairs(metric, a_values, b_values, pairs)
        np.testing.assert_array_equal(got[touched].ravel(), expected, err_msg=metric)
        # Every other row is zero: its distance is B's own.
        untouched = np.ones(rows, bool)
        untouched[touched] = False
        zero_row = exact_pairs(metric, {}, b_values, [(0, 0), (0, 1)])
        assert (got[untouched] == zero_row).all(), metric


@needs_memory(10)
def test_reductions_over_more_than_2_31_float32_elements():
    """sum, argmax, argmin, max and min over 2^31 + 1000 float32 elements,
    the extremes beyond index 2^31: exact values and 64-bit indices."""
    n = (1 << 31) + 1000
    x = np.zeros(n, np.float32)
    x[5] = 1.0
    x[(1 << 31) + 7] = 3.0
    x[(1 << 31) + 999] = -2.5
    x[(1 << 31) - 1] = 0.5
    assert simdkit.sum(x) == np.float32(2.0)
    assert simdkit.argmax(x) == (1 << 31) + 7
    assert simdkit.argmin(x) == (1 << 31) + 999
    assert simdkit.max(x) == 3.0 and simdkit.min(x) == -2.5
    rows = x[:(1 << 31)].reshape(2, 1 << 30)
    np.testing.assert_array_equal(simdkit.argmax(rows, axis=1), [5, (1 << 30) - 1])
