"""simdkit.dask on a LocalCluster of 2 worker processes (loopback only): every
function's result equals one simdkit call on the whole arrays, bit for bit,
with uneven chunks along every axis; topk with ties, NaN, k beyond a chunk
and merge trees of several levels; packed databases; bad input raising
simdkit's own exceptions; each worker's target reported and forced."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ELEMENTWISE_FUNCTIONS, skip_module_under_emulator

skip_module_under_emulator("Dask worker processes")

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
from distributed import Client, LocalCluster, wait  # noqa: E402

import simdkit  # noqa: E402
import simdkit.dask as sd  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
MATH_DTYPES = [np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16), BF16]
FLOAT_DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
# Chunks that are uneven and, for the distance functions, shorter than a
# panel block (PANEL_BLOCK_ROWS) in places.
ROW_CHUNKS = (5, 20, 3, 13)   # 41 rows
COLUMN_CHUNKS = (30, 7, 30)   # 67 columns


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def assert_identical(got, expected):
    """Equal values, and the same dtype, shape and bits (NaN payloads and
    signed zeros included)."""
    got, expected = np.asarray(got), np.asarray(expected)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


def random_matrix(shape, dtype, seed, kind="normal"):
    rng = np.random.default_rng(seed)
    if kind == "ties":  # few distinct values: many equal distances
        return rng.integers(-2, 3, shape).astype(dtype)
    if kind == "bytes":
        return rng.integers(-128, 128, shape).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


def chunked(x, chunks):
    return da.from_array(x, chunks=chunks)


# --------------------------------------------------------------------------
# The module itself
# --------------------------------------------------------------------------
def test_simdkit_does_not_import_dask_and_simdkit_dask_says_how_to_get_it():
    script = """
import sys
import simdkit
assert "dask" not in sys.modules, "import simdkit imported dask"
sys.modules["dask"] = None  # as if Dask were not installed
try:
    import simdkit.dask
except ImportError as error:
    print(error)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True)
    assert "pip install simdkit[dask]" in run.stdout


def test_every_math_and_reduce_function_has_its_dask_form():
    table = simdkit._core._entry_points()
    families = {name: entry["family"] for name, entry in table.items()}
    math = {name for name, family in families.items() if family == "math"}
    reduce = {name for name, family in families.items() if family == "reduce"}
    assert set(ELEMENTWISE_FUNCTIONS) == set(sd.ELEMENTWISE)
    assert math == {*sd.ELEMENTWISE, *sd.BINARY_ELEMENTWISE, *sd.ROW_KERNELS}
    assert reduce == {*sd.REDUCTIONS, "dot"}
    for name in sd.__all__:
        assert getattr(sd, name).__doc__, name


def test_the_stubs_are_the_module():
    """dask.pyi lists every public function with the module's parameters."""
    stub = ast.parse(Path(sd.__file__).with_suffix(".pyi").read_text())
    stubbed = {node.name: node for node in stub.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert set(stubbed) == set(sd.__all__)
    for name, node in stubbed.items():
        if isinstance(node, ast.ClassDef):
            continue
        shown = inspect.signature(getattr(sd, name)).parameters.values()
        arguments = node.args
        stub_names = [a.arg for a in arguments.args + arguments.kwonlyargs]
        assert [p.name for p in shown] == stub_names, name
        keyword_only = [a.arg for a in arguments.kwonlyargs]
        assert [p.name for p in shown if p.kind == p.KEYWORD_ONLY] == keyword_only, name
        defaults = arguments.defaults + [d for d in arguments.kw_defaults if d is not None]
        assert [p.default for p in shown if p.default is not p.empty] == \
            [ast.literal_eval(d) for d in defaults], name


def test_row_chunks_shorter_than_a_panel_block_are_merged():
    assert sd._panel_safe_chunks((5, 20, 3, 13)) == (25, 16)
    assert sd._panel_safe_chunks((12, 12, 1)) == (12, 13)
    assert sd._panel_safe_chunks((4, 4)) == (8,)
    assert sd._panel_safe_chunks((0,)) == (0,)


def test_the_merge_order_is_simdkits():
    """Merging the best of two halves gives simdkit's order on one call:
    equal values to the lower index, NaN last."""
    distances = np.array([[2.0, np.nan, 1.0, 1.0, np.nan, 0.5, 1.0, 3.0]], np.float32)
    halves = [(np.arange(4, dtype=np.int64)[None, :], distances[:, :4]),
              (np.arange(4, 8, dtype=np.int64)[None, :], distances[:, 4:])]
    indices, values = sd._merge_best(halves, 8, largest_first=False)
    np.testing.assert_array_equal(indices, [[5, 2, 3, 6, 0, 7, 1, 4]])
    indices, values = sd._merge_best(halves, 8, largest_first=True)
    np.testing.assert_array_equal(indices, [[7, 0, 2, 3, 6, 5, 1, 4]])


# --------------------------------------------------------------------------
# Elementwise math and row kernels
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ELEMENTWISE_FUNCTIONS)
def test_elementwise_equals_one_call(client, name):
    base = random_matrix((41, 67), np.float64, seed=1)
    base[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    inputs = [base.astype(dtype) for dtype in MATH_DTYPES]
    results = dask.compute(*[getattr(sd, name)(chunked(x, (ROW_CHUNKS, COLUMN_CHUNKS)))
                             for x in inputs])
    for x, got in zip(inputs, results):
        with np.errstate(all="ignore"):
            assert_identical(got, getattr(simdkit, name)(x))


@pytest.mark.parametrize("name", sd.BINARY_ELEMENTWISE)
def test_binary_elementwise_broadcasts_as_one_call(client, name):
    for dtype in FLOAT_DTYPES:
        x1 = np.abs(random_matrix((41, 1), dtype, seed=2))
        x2 = random_matrix((67,), dtype, seed=3)
        dask_x1 = chunked(x1, (ROW_CHUNKS, 1))
        dask_x2 = chunked(x2, (COLUMN_CHUNKS,))
        calls = [((dask_x1, dask_x2), (x1, x2)), ((dask_x1, 2.5), (x1, 2.5)),
                 ((3, dask_x2), (3, x2))]
        results = dask.compute(*[getattr(sd, name)(*dask_args) for dask_args, _ in calls])
        for (_, numpy_args), got in zip(calls, results):
            assert_identical(got, getattr(simdkit, name)(*numpy_args))


@pytest.mark.parametrize("name", sd.ROW_KERNELS)
def test_row_kernels_never_split_a_row(client, name):
    for dtype in MATH_DTYPES:
        x = random_matrix((41, 67), np.float64, seed=4)
        x[1] *= 1e3  # a row whose max dominates
        x[2, 5] = np.nan
        x[3, 6] = np.inf
        x = x.astype(dtype)
        dask_x = chunked(x, (ROW_CHUNKS, COLUMN_CHUNKS))
        axes = [-1, 0, None]
        results = dask.compute(*[getattr(sd, name)(dask_x, axis, threads=threads)
                                 for axis in axes for threads in (1, None)])
        expected = [getattr(simdkit, name)(x, axis) for axis in axes for _ in (1, None)]
        for got, want in zip(results, expected):
            assert_identical(got, want)


# --------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sd.REDUCTIONS)
def test_reductions_equal_one_call(client, name):
    for dtype in FLOAT_DTYPES:
        x = random_matrix((41, 67), dtype, seed=5, kind="ties")
        x[7, 9] = x[30, 2] = np.nan   # argmin/argmax: the first NaN
        dask_x = chunked(x, (ROW_CHUNKS, COLUMN_CHUNKS))
        cases = [(axis, keepdims) for axis in (None, 0, 1, -1) for keepdims in (False, True)]
        results = dask.compute(*[getattr(sd, name)(dask_x, axis, keepdims)
                                 for axis, keepdims in cases])
        for (axis, keepdims), got in zip(cases, results):
            assert_identical(got, getattr(simdkit, name)(x, axis, keepdims))


def test_sums_of_many_chunks_are_one_calls_sum(client):
    """A float sum of 10^5 elements in 10 chunks gives the single call's
    bits (an elementwise chunk sum would round in another order)."""
    x = random_matrix((100_000,), np.float32, seed=6)
    dask_x = chunked(x, 10_000)
    got_sum, got_norm = dask.compute(sd.sum(dask_x), sd.norm(dask_x))
    assert_identical(got_sum, simdkit.sum(x))
    assert_identical(got_norm, simdkit.norm(x))


def test_dot_equals_one_call(client):
    a = random_matrix((41, 67), np.float32, seed=7)
    b = random_matrix((41, 67), np.float32, seed=8)
    v = random_matrix((67,), np.float32, seed=9)
    batched = random_matrix((3, 1, 67), np.float32, seed=10)
    dask_a = chunked(a, (ROW_CHUNKS, COLUMN_CHUNKS))
    dask_b = chunked(b, (ROW_CHUNKS[::-1], COLUMN_CHUNKS[::-1]))
    dask_v = chunked(v, (COLUMN_CHUNKS,))
    dask_batched = chunked(batched, (2, 1, 40))
    calls = [((dask_a, dask_b), (a, b)), ((dask_a, dask_v), (a, v)), ((dask_v, dask_v), (v, v)),
             ((dask_batched, dask_a), (batched, a))]
    results = dask.compute(*[sd.dot(*dask_args) for dask_args, _ in calls])
    for (_, numpy_args), got in zip(calls, results):
        assert_identical(got, simdkit.dot(*numpy_args))


# --------------------------------------------------------------------------
# cdist, topk, pack
# --------------------------------------------------------------------------
FLOAT_METRICS = ["euclidean", "sqeuclidean", "cosine", "dot", "cityblock"]
QUERY_CHUNKS = (3, 20, 5, 17)        # 45 queries
DATABASE_CHUNKS = (5, 7, 30, 8) * 6  # 300 rows: several merge levels


def test_short_chunks_would_change_the_bits():
    """What the panel-safe chunks are for: a pair's value from a call with a
    short side differs from the one with a block of rows on both sides."""
    A = random_matrix((45, 64), np.float32, seed=11)
    B = random_matrix((300, 64), np.float32, seed=12)
    whole = simdkit.cdist(A, B, "sqeuclidean")
    short = np.vstack([simdkit.cdist(A[i:i + 3], B, "sqeuclidean") for i in range(0, 45, 3)])
    assert not np.array_equal(whole, short)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_cdist_equals_one_call(client, dtype):
    A = random_matrix((45, 64), dtype, seed=11)
    B = random_matrix((300, 64), dtype, seed=12)
    dask_A = chunked(A, (QUERY_CHUNKS, (30, 34)))
    dask_B = chunked(B, (DATABASE_CHUNKS, 64))
    results = dask.compute(*[sd.cdist(dask_A, dask_B, metric) for metric in FLOAT_METRICS])
    for metric, got in zip(FLOAT_METRICS, results):
        assert_identical(got, simdkit.cdist(A, B, metric))


def test_cdist_of_bytes_and_a_short_side(client):
    A = random_matrix((45, 40), np.int8, seed=13, kind="bytes")
    B = random_matrix((300, 40), np.int8, seed=14, kind="bytes")
    few = random_matrix((5, 64), np.float32, seed=15)
    many = random_matrix((300, 64), np.float32, seed=16)
    calls = [((chunked(A, (QUERY_CHUNKS, 40)), chunked(B, (DATABASE_CHUNKS, 40)), "hamming"),
              (A, B, "hamming")),
             ((chunked(A, (QUERY_CHUNKS, 40)), chunked(B, (DATABASE_CHUNKS, 40)), "sqeuclidean"),
              (A, B, "sqeuclidean")),
             ((chunked(few, (2, 3)), chunked(many, (DATABASE_CHUNKS, 64)), "euclidean"),
              (few, many, "euclidean"))]
    results = dask.compute(*[sd.cdist(*dask_args) for dask_args, _ in calls])
    for (_, numpy_args), got in zip(calls, results):
        assert_identical(got, simdkit.cdist(*numpy_args))


def topk_cases():
    """(Q, X) pairs with equal distances, NaN rows, a NaN query."""
    Q = random_matrix((45, 16), np.float32, seed=17, kind="ties")
    X = random_matrix((300, 16), np.float32, seed=18, kind="ties")
    X[[3, 40, 41, 250]] = X[0]           # equal rows in different chunks
    X[[10, 100]] = np.nan                 # rank last
    Q[4] = X[0]
    Q[6, 3] = np.nan                      # a query of NaN distances: 0, 1, ..., k-1
    return Q, X


@pytest.mark.parametrize("metric", FLOAT_METRICS)
def test_topk_equals_one_call(client, metric):
    Q, X = topk_cases()
    dask_Q = chunked(Q, (QUERY_CHUNKS, 16))
    dask_X = chunked(X, (DATABASE_CHUNKS, (9, 7)))
    ks = [1, 10, 37, 300]  # 37: more than a chunk's rows; 300: all of X
    results = dask.compute(*[sd.topk(dask_Q, dask_X, k, metric) for k in ks])
    for k, (got_indices, got_distances) in zip(ks, results):
        indices, distances = simdkit.topk(Q, X, k, metric)
        assert_identical(got_indices, indices)
        assert_identical(got_distances, distances)


def test_topk_of_float64_and_bytes(client):
    """Distinct float64 distances, whose bits depend on the form that
    computes them, and exact byte sums."""
    calls = [(random_matrix((45, 64), np.float64, seed=24),
              random_matrix((300, 64), np.float64, seed=25), "euclidean"),
             (random_matrix((45, 40), np.uint8, seed=19, kind="bytes"),
              random_matrix((300, 40), np.uint8, seed=20, kind="bytes"), "dot")]
    results = dask.compute(*[sd.topk(chunked(q, (QUERY_CHUNKS, -1)),
                                     chunked(x, (DATABASE_CHUNKS, -1)), 20, metric)
                             for q, x, metric in calls])
    for (q, x, metric), (got_indices, got_distances) in zip(calls, results):
        indices, distances = simdkit.topk(q, x, 20, metric)
        assert_identical(got_indices, indices)
        assert_identical(got_distances, distances)


def test_a_packed_database_is_packed_once_and_queried_many_times(client):
    Q, X = topk_cases()
    database = sd.pack(chunked(X, (DATABASE_CHUNKS, 16))).persist()
    assert database.shape == X.shape and database.dtype == X.dtype
    futures = client.futures_of(database.blocks)
    wait(futures, timeout=60)
    assert len(futures) == database.blocks.numblocks[0] == 12  # blocks merged to >= 12 rows
    assert all(future.status == "finished" for future in futures)
    # The graph is the packed blocks on the workers, not tasks that pack again.
    assert len(database.blocks.dask) == 12
    dask_Q = chunked(Q, (QUERY_CHUNKS, 16))
    for metric in ["sqeuclidean", "cosine", "dot"]:
        (got_indices, got_distances), got_cdist = dask.compute(
            sd.topk(dask_Q, database, 25, metric), sd.cdist(dask_Q, database, metric))
        indices, distances = simdkit.topk(Q, X, 25, metric)
        assert_identical(got_indices, indices)
        assert_identical(got_distances, distances)
        assert_identical(got_cdist, simdkit.cdist(Q, X, metric))


def test_a_packed_bfloat16_database(client):
    Q, X = topk_cases()
    Q, X = Q.astype(BF16), X.astype(BF16)
    database = sd.pack(chunked(X, (DATABASE_CHUNKS, 16)), dtype="bfloat16").persist()
    got_indices, got_distances = dask.compute(
        *sd.topk(chunked(Q, (QUERY_CHUNKS, 16)), database, 12, "euclidean", dtype="bfloat16"))
    indices, distances = simdkit.topk(Q, X, 12, "euclidean", dtype="bfloat16")
    assert_identical(got_indices, indices)
    assert_identical(got_distances, distances)


# --------------------------------------------------------------------------
# Bad input: simdkit's exceptions, raised when the graph is built
# --------------------------------------------------------------------------
def bad_calls():
    f32 = random_matrix((41, 67), np.float32, seed=21)
    i32 = f32.astype(np.int32)
    Q, X = topk_cases()
    d8 = random_matrix((41, 8), np.float32, seed=22)
    empty = np.zeros((0, 3), np.float32)
    packed_X = ("packed", X)
    return [
        ("exp", (i32,), {}),
        ("exp", (f32,), {"threads": 0}),
        ("atan2", (f32, f32[:, :5]), {}),
        ("atan2", (f32, f32.astype(np.float64)), {}),
        ("softmax", (f32,), {"axis": 2}),
        ("logsumexp", (i32,), {"axis": None}),
        ("min", (empty,), {"axis": 0}),
        ("argmax", (f32,), {"axis": -3}),
        ("sum", (i32,), {}),
        ("dot", (f32, f32[:5]), {}),
        ("dot", (f32, d8), {}),
        ("cdist", (Q, d8), {}),
        ("cdist", (Q, X, "euclid"), {}),
        ("cdist", (Q, X.astype(np.float64)), {}),
        ("cdist", (Q, X), {"threads": -1}),
        ("topk", (Q, X, 0, "dot"), {}),
        ("topk", (Q, X, 301, "dot"), {}),
        ("topk", (Q, X, 1.5, "dot"), {}),
        ("topk", (Q, X, 5, "hamming"), {"dtype": "bits"}),
        ("topk", (Q, packed_X, 301, "dot"), {}),
        ("topk", (Q.astype(np.float64), packed_X, 3, "dot"), {}),
        ("cdist", (Q, packed_X, "cosine"), {"dtype": "bfloat16"}),
        ("pack", (i32,), {}),
    ]


def as_dask(argument):
    if isinstance(argument, tuple) and argument[0] == "packed":
        return sd.pack(chunked(argument[1], 50))
    if isinstance(argument, np.ndarray):
        return chunked(argument, 13)
    return argument


def as_numpy(argument):
    if isinstance(argument, tuple) and argument[0] == "packed":
        return simdkit.pack(argument[1])
    return argument


@pytest.mark.parametrize("name, arguments, keywords", bad_calls(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_bad_input_raises_simdkits_exception(name, arguments, keywords):
    with pytest.raises(Exception) as expected:
        getattr(simdkit, name)(*map(as_numpy, arguments), **keywords)
    with pytest.raises(expected.type) as got:
        getattr(sd, name)(*map(as_dask, arguments), **keywords)
    assert str(got.value) == str(expected.value)


def test_numpy_arrays_are_refused_with_a_pointer_to_simdkit():
    x = np.ones((4, 4), np.float32)
    with pytest.raises(TypeError, match=r"simdkit.dask.exp: .* got ndarray .*call simdkit.exp"):
        sd.exp(x)
    with pytest.raises(TypeError, match=r"argument 'X' must be a dask.array.Array"):
        sd.topk(chunked(x, 2), x, 1, "dot")


# --------------------------------------------------------------------------
# Targets on the workers
# --------------------------------------------------------------------------
def test_targets_reports_every_workers_cpu_and_choice(client):
    here = simdkit.info()
    reports = sd.targets(client)
    assert set(reports) == set(client.scheduler_info()["workers"])
    assert len(reports) == 2
    for report in reports.values():
        assert report["cpu_model"] == here["cpu_model"]
        assert report["active"] == report["probe"] == here["active"]


def test_set_target_reaches_every_worker_and_those_that_join(client):
    supported = simdkit.targets()["supported"]
    with simdkit.use_target(None):
        automatic = simdkit.targets()["active"]
    chosen = next(name for name in reversed(supported) if name != automatic)
    x = random_matrix((41, 67), np.float32, seed=23)
    dask_x = chunked(x, (ROW_CHUNKS, COLUMN_CHUNKS))
    cluster = client.cluster
    try:
        sd.set_target(client, chosen)
        cluster.scale(3)  # a worker that joins later
        client.wait_for_workers(3, timeout=60)
        reports = sd.targets(client)
        assert len(reports) == 3
        assert {(r["active"], r["probe"]) for r in reports.values()} == {(chosen, chosen)}
        with simdkit.use_target(chosen):
            expected = simdkit.tanh(x)
        assert_identical(sd.tanh(dask_x).compute(), expected)

        sd.set_target(client, None)
        reports = sd.targets(client)
        assert {(r["active"], r["probe"]) for r in reports.values()} == {(automatic, automatic)}
        with simdkit.use_target(None):
            assert_identical(sd.tanh(dask_x).compute(), simdkit.tanh(x))
        # Workers that join from now on choose for themselves.
        assert sd._TARGET_PLUGIN not in sd._registered_plugins(client)
    finally:
        sd.set_target(client, None)
        cluster.scale(2)
        client.wait_for_workers(2, timeout=60)


def test_set_target_refuses_what_a_worker_cannot_run(client):
    with pytest.raises(ValueError) as expected:
        simdkit.set_target("NO_SUCH_TARGET")
    with pytest.raises(ValueError) as got:
        sd.set_target(client, "NO_SUCH_TARGET")
    assert str(got.value) == str(expected.value)
    assert {r["active"] for r in sd.targets(client).values()} == {simdkit.targets()["active"]}
    assert sd._TARGET_PLUGIN not in sd._registered_plugins(client)


# The scheduler serves its HTTP routes (health, metrics) even without a
# dashboard, from port 8787 on loopback; the module's cluster holds that port.
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_an_environment_set_before_the_workers_start_reaches_them():
    """SIMDKIT_TARGET in the workers' environment (here the nanny's env=)
    is read by simdkit's import in each worker process."""
    chosen = simdkit.targets()["supported"][-1]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, env={"SIMDKIT_TARGET": chosen}) as cluster, \
            Client(cluster) as client:
        reports = sd.targets(client)
    assert [(r["active"], r["probe"], r["forced"]) for r in reports.values()] == \
        [(chosen, chosen, chosen)]
