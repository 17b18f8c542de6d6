"""simdkit on ``dask.array``: the same kernels, chunk by chunk, on a cluster.

Every function here takes Dask arrays where simdkit takes NumPy arrays,
returns Dask arrays (lazy: call ``.compute()`` or ``.persist()``), and gives
the same result as one simdkit call on the whole arrays, bit for bit, on
workers that run the same target (see ``docs/distributed.md``):

- elementwise math (``exp``, ..., ``atan2``, ``hypot``, ``power``): one
  task per chunk;
- row kernels (``softmax``, ``log_softmax``, ``normalize``, ``logsumexp``)
  and reductions (``sum``, ``norm``, ``min``, ``max``, ``argmin``,
  ``argmax``, ``dot``): the axis they work along is rechunked whole, so a
  row (a reduced lane) is never split and its order of operations is the
  one of a single call; ``axis=None`` makes the whole array one task;
- ``cdist`` and ``topk``: one task per block of queries and block of
  database rows; ``topk`` takes each database block's best ``k`` with their
  row offsets and merges them in a tree, in simdkit's order (ties to the
  lower index, NaN last); ``pack`` packs a database block by block where
  the blocks live, for many queries.

Tasks run with ``threads=1`` (each worker thread is one task's core)
unless ``threads=`` says otherwise. Arguments are checked when the graph is
built, with simdkit's own exceptions. ``targets(client)`` reports what each
worker dispatches to, and ``set_target(client, name)`` forces one target on
every worker, present and future.

Needs Dask: ``pip install simdkit[dask]``.
"""

from __future__ import annotations

import builtins  # min, max and sum: this module defines its own
import operator
from functools import partial
from typing import Any

import numpy as np

try:
    import dask
    import dask.array as da
    from dask.base import tokenize
except ImportError as error:
    raise ImportError(
        "simdkit.dask needs Dask and distributed: pip install simdkit[dask]") from error

import simdkit

ELEMENTWISE = ("exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tanh", "sinh",
               "atan", "asin", "acos", "asinh", "sqrt", "sigmoid", "softplus", "silu",
               "gelu_tanh", "gelu", "exp2", "cosh", "atanh", "acosh", "tan", "erf", "erfc",
               "cbrt")
BINARY_ELEMENTWISE = ("atan2", "hypot", "power")
ROW_KERNELS = ("softmax", "log_softmax", "normalize", "logsumexp")
REDUCTIONS = ("sum", "norm", "min", "max", "argmin", "argmax")

__all__ = [*ELEMENTWISE, *BINARY_ELEMENTWISE, *ROW_KERNELS, *REDUCTIONS, "dot",
           "cdist", "topk", "pack", "PackedDatabase", "targets", "set_target"]

# The floating cdist/topk kernels sum a pair in one of two orders, chosen per
# call from its shape: the few-rows form when either side has fewer rows than
# a panel block (12 rows, 6 on 16-register targets), the panels otherwise
# (docs/distance.md, "Which value a pair gets"). A chunk of rows at least
# this long is on the same side of that rule as the whole array.
PANEL_BLOCK_ROWS = 12
# How many candidate lists one topk merge task takes.
MERGE_FAN_IN = 8


def _call(name: str, *args: Any, **kwargs: Any) -> Any:
    """simdkit.<name>(*args, **kwargs), looked up where it runs: tasks carry
    a function's name, never the function, so nothing depends on whether
    (or how) a build's functions pickle."""
    return getattr(simdkit, name)(*args, **kwargs)


def _stand_in(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A read-only array of `shape` and `dtype` holding a single element,
    standing for a Dask array in a call that only checks arguments."""
    return np.broadcast_to(np.zeros((), dtype), shape)


def _small_stand_in(array: Any) -> Any:
    """`array`'s stand-in with every axis cut to at most one element, or a
    Python scalar as it is: valid for simdkit exactly when the full array
    is, for every check that does not compare extents."""
    if not isinstance(array, da.Array):
        return array
    return _stand_in(tuple(builtins.min(extent, 1) for extent in array.shape), array.dtype)


def _full_stand_in(array: Any) -> Any:
    return _stand_in(array.shape, array.dtype) if isinstance(array, da.Array) else array


def _check(name: str, small_args: tuple, full_args: tuple, **kwargs: Any) -> Any:
    """Checks the arguments of simdkit.<name> as simdkit does, and returns
    its result on the small stand-ins (for the result's dtype).

    When the small call fails, the call on full-size stand-ins repeats it so
    that the exception is simdkit's own, naming the real shapes; simdkit
    checks every argument before it computes, so that call fails at once.
    """
    try:
        return _call(name, *small_args, **kwargs)
    except Exception as small_error:
        try:
            _call(name, *full_args, **kwargs)
        except Exception as error:
            raise error.with_traceback(None) from None
        raise small_error.with_traceback(None) from None


def _check_broadcast(name: str, shapes: list[tuple[int, ...]], full_args: tuple,
                     **kwargs: Any) -> None:
    """simdkit's error for operands whose shapes do not broadcast, which
    stand-ins cut to one element along the broadcast axes cannot show."""
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        _check(name, full_args, full_args, **kwargs)


def _require_dask_array(value: Any, function: str, argument: str) -> da.Array:
    if not isinstance(value, da.Array):
        raise TypeError(f"simdkit.dask.{function}: argument '{argument}' must be a "
                        f"dask.array.Array, got {type(value).__name__} (for NumPy arrays "
                        f"call simdkit.{function})")
    return value


def _key_name(function: str, *arguments: Any) -> str:
    """The graph key of a function's result: readable on the dashboard,
    unique per input."""
    return f"simdkit-{function}-{tokenize(function, *arguments)}"


def _meta(dtype: np.dtype, ndim: int) -> np.ndarray:
    return np.empty((0,) * ndim, dtype)


# --------------------------------------------------------------------------
# Elementwise math: a chunk is any part of the array.
# --------------------------------------------------------------------------
def _elementwise(name: str):
    def function(x: da.Array, *, threads: int | None = 1) -> da.Array:
        _require_dask_array(x, name, "x")
        result = _check(name, (_small_stand_in(x),), (_full_stand_in(x),), threads=threads)
        return x.map_blocks(partial(_call, name, threads=threads), dtype=result.dtype,
                            meta=_meta(result.dtype, x.ndim),
                            name=_key_name(name, x, threads))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"simdkit.{name} of each element of the Dask array `x`, chunk by "
                        f"chunk.\n\nSee simdkit.{name}; no ``out=`` (Dask arrays are "
                        f"immutable), ``threads=1`` per task by default.")
    return function


def _binary_elementwise(name: str):
    def function(x1: da.Array | float | int, x2: da.Array | float | int, *,
                 threads: int | None = 1) -> da.Array:
        operands = (x1, x2)
        for argument, operand in zip(("x1", "x2"), operands):
            if not isinstance(operand, (float, int)):
                _require_dask_array(operand, name, argument)
        if not any(isinstance(operand, da.Array) for operand in operands):
            _require_dask_array(x1, name, "x1")
        shapes = [operand.shape for operand in operands if isinstance(operand, da.Array)]
        full = tuple(_full_stand_in(operand) for operand in operands)
        _check_broadcast(name, shapes, full, threads=threads)
        result = _check(name, tuple(_small_stand_in(operand) for operand in operands), full,
                        threads=threads)
        # map_blocks broadcasts the arrays (aligned from the right, chunks
        # unified) and passes a Python scalar to every task as it is.
        return da.map_blocks(partial(_call, name, threads=threads), x1, x2,
                             dtype=result.dtype, meta=_meta(result.dtype, result.ndim),
                             name=_key_name(name, x1, x2, threads))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"simdkit.{name} of the Dask arrays (or a Python float or int) `x1` "
                        f"and `x2`, with NumPy's broadcasting, chunk by chunk.\n\nSee "
                        f"simdkit.{name}; ``threads=1`` per task by default.")
    return function


# --------------------------------------------------------------------------
# Row kernels and reductions: the axis they run along is one chunk.
# --------------------------------------------------------------------------
def _along_axis(name: str, x: da.Array, axis: int | None, result: Any, *,
                keeps_shape: bool, keepdims: bool = False, **kwargs: Any) -> da.Array:
    """simdkit.<name>(x, axis, **kwargs) with each lane along `axis` (all of
    `x` for None) whole in one task: its order of operations, hence its
    bits, are those of one call. `result` is the call's result on a
    stand-in, for the dtype."""
    task = partial(_call, name, axis=axis, **kwargs)
    if keepdims:
        task = partial(task, keepdims=True)
    key = _key_name(name, x, axis, keepdims, kwargs)
    dtype = np.asarray(result).dtype
    if axis is None:
        whole = x.rechunk(-1)
        reduced_axes = list(range(x.ndim))
    else:
        axis = axis % x.ndim  # in range: checked by the stand-in call
        whole = x.rechunk({axis: -1})
        reduced_axes = [axis]
    if keeps_shape:
        return whole.map_blocks(task, dtype=dtype, meta=_meta(dtype, x.ndim), name=key)
    if keepdims:
        chunks = tuple((1,) if i in reduced_axes else c for i, c in enumerate(whole.chunks))
        return whole.map_blocks(task, dtype=dtype, chunks=chunks, meta=_meta(dtype, x.ndim),
                                name=key)
    return whole.map_blocks(task, dtype=dtype, drop_axis=reduced_axes,
                            meta=_meta(dtype, x.ndim - len(reduced_axes)), name=key)


def _row_kernel(name: str):
    keeps_shape = name != "logsumexp"  # one value per row

    def function(x: da.Array, axis: int | None = -1, *, threads: int | None = 1) -> da.Array:
        _require_dask_array(x, name, "x")
        result = _check(name, (_small_stand_in(x),), (_full_stand_in(x),), axis=axis,
                        threads=threads)
        return _along_axis(name, x, axis, result, keeps_shape=keeps_shape, threads=threads)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"simdkit.{name} of each row of the Dask array `x` along `axis` "
                        f"(None: all elements as one row).\n\nRows are never split: `axis` is "
                        f"rechunked whole. See simdkit.{name}"
                        f"{'; no ``out=``' if keeps_shape else ''}.")
    return function


def _reduction(name: str):
    def function(a: da.Array, axis: int | None = None, keepdims: bool = False) -> da.Array:
        _require_dask_array(a, name, "a")
        result = _check(name, (_small_stand_in(a),), (_full_stand_in(a),), axis=axis,
                        keepdims=keepdims)
        return _along_axis(name, a, axis, result, keeps_shape=False, keepdims=keepdims)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"simdkit.{name} of the Dask array `a` over all elements (axis=None) "
                        f"or along `axis`.\n\nEach reduced lane is one task (`axis` rechunked "
                        f"whole; axis=None: the whole array in one task), so the result is "
                        f"simdkit's own, bit for bit: a sum split across chunks would add in "
                        f"another order. See simdkit.{name}.")
    return function


def dot(a: da.Array, b: da.Array) -> da.Array:
    """Dot products over the last axis of the Dask arrays `a` and `b`, as
    simdkit.dot (numpy.vecdot): batch axes broadcast.

    The last axis is rechunked whole, so each product is one call's.
    """
    _require_dask_array(a, "dot", "a")
    _require_dask_array(b, "dot", "b")

    def small(array):  # batch axes cut to one element, the summed axis kept
        return _stand_in(tuple(builtins.min(n, 1) for n in array.shape[:-1]) + array.shape[-1:],
                         array.dtype)

    full = (_full_stand_in(a), _full_stand_in(b))
    _check_broadcast("dot", [a.shape[:-1], b.shape[:-1]], full)
    result = _check("dot", (small(a), small(b)), full)
    batch_ndim = builtins.max(a.ndim, b.ndim) - 1
    summed = batch_ndim  # an index the output does not have

    def indices(array):
        return (*range(batch_ndim - (array.ndim - 1), batch_ndim), summed)

    return da.blockwise(partial(_call, "dot"), tuple(range(batch_ndim)),
                        a.rechunk({a.ndim - 1: -1}), indices(a),
                        b.rechunk({b.ndim - 1: -1}), indices(b),
                        dtype=np.asarray(result).dtype, concatenate=True,
                        meta=_meta(np.asarray(result).dtype, batch_ndim),
                        name=_key_name("dot", a, b))


# --------------------------------------------------------------------------
# cdist, topk and packed databases: blocks of rows on both sides.
# --------------------------------------------------------------------------
def _panel_safe_chunks(chunks: tuple[int, ...]) -> tuple[int, ...]:
    """Row chunks merged with their neighbours until each has at least
    PANEL_BLOCK_ROWS rows (or the axis is one chunk), so that a call on a
    chunk sums its pairs in the order a call on the whole array does."""
    merged: list[int] = []
    for rows in chunks:
        if merged and merged[-1] < PANEL_BLOCK_ROWS:
            merged[-1] += rows
        else:
            merged.append(rows)
    if len(merged) > 1 and merged[-1] < PANEL_BLOCK_ROWS:
        short_tail = merged.pop()
        merged[-1] += short_tail
    return tuple(merged)


def _row_blocks(x: da.Array) -> da.Array:
    """`x` (rows, dims) with whole rows in each chunk and panel-safe row
    chunks."""
    return x.rechunk({0: _panel_safe_chunks(x.chunks[0]), 1: -1})


class PackedDatabase:
    """A database packed by ``simdkit.pack`` block by block, for many
    ``cdist``/``topk`` calls (made by ``simdkit.dask.pack``).

    ``blocks`` is a Dask array of the database's shape whose blocks (of
    whole rows) are ``simdkit.PackedMatrix`` objects, each made by a task
    where the rows are; ``persist()`` keeps them on the workers, so that
    every later call reuses them instead of packing again.
    """

    def __init__(self, blocks: da.Array, keyword: str | None, stand_in: simdkit.PackedMatrix):
        self.blocks = blocks
        self.shape = blocks.shape
        self.dtype = blocks.dtype
        self.keyword = keyword
        self._stand_in = stand_in  # one packed row, for the checks of a call

    def persist(self, **kwargs: Any) -> PackedDatabase:
        """A copy whose blocks are packed and held by the workers (or in
        memory without a distributed client); keyword arguments go to
        dask.persist."""
        return PackedDatabase(self.blocks.persist(**kwargs), self.keyword, self._stand_in)

    def __repr__(self) -> str:
        return (f"simdkit.dask.PackedDatabase(shape={self.shape}, dtype={self.dtype}, "
                f"blocks={self.blocks.numblocks[0]})")


def pack(X: da.Array, *, dtype: str | None = None) -> PackedDatabase:
    """simdkit.pack of the Dask array `X` (rows, dims), block by block.

    Returns a PackedDatabase that ``cdist`` (as `B`) and ``topk`` (as `X`)
    take; ``.persist()`` it to pack once and keep the blocks on the workers.
    Results are the same bits as with `X` itself.
    """
    _require_dask_array(X, "pack", "X")
    _check("pack", (_small_stand_in(X),), (_full_stand_in(X),), dtype=dtype)
    # The blocks are not NumPy arrays: meta= keeps Dask from calling pack
    # on an empty stand-in to learn what they are.
    blocks = _row_blocks(X).map_blocks(partial(_call, "pack", dtype=dtype), dtype=X.dtype,
                                       meta=_meta(X.dtype, 2), name=_key_name("pack", X, dtype))
    stand_in = simdkit.pack(np.zeros((1, X.shape[1]), X.dtype), dtype=dtype)
    return PackedDatabase(blocks, dtype, stand_in)


def _database_blocks(X: da.Array | PackedDatabase) -> da.Array:
    """The database as a Dask array of blocks of whole rows: NumPy blocks,
    or a PackedDatabase's PackedMatrix blocks."""
    return X.blocks if isinstance(X, PackedDatabase) else _row_blocks(X)


def _check_distance_call(name: str, A: da.Array, B: da.Array | PackedDatabase, metric: Any,
                         k: Any = None, **kwargs: Any) -> Any:
    """Checks a cdist (k None) or topk call as simdkit does; returns
    simdkit's result on stand-ins with no rows of `A` (computed at no
    cost)."""
    names = ("A", "B") if name == "cdist" else ("Q", "X")
    _require_dask_array(A, name, names[0])
    no_rows = _stand_in((0,) + A.shape[1:] if A.ndim == 2 else A.shape, A.dtype)

    def arguments(rows_of_A, B_stand_in, k):
        return (rows_of_A, B_stand_in, metric) if k is None else (rows_of_A, B_stand_in, k, metric)

    if isinstance(B, PackedDatabase):
        # A packed row checks what packing adds (the dtype it was read as);
        # the rest is checked below against the database's real row count.
        _check(name, arguments(no_rows, B._stand_in, None if k is None else 1),
               arguments(_full_stand_in(A), B._stand_in, None if k is None else 1), **kwargs)
        B_stand_in = _stand_in(B.shape, B.dtype)
        kwargs["dtype"] = B.keyword
    else:
        _require_dask_array(B, name, names[1])
        B_stand_in = _full_stand_in(B)
    return _check(name, arguments(no_rows, B_stand_in, k),
                  arguments(_full_stand_in(A), B_stand_in, k), **kwargs)


def cdist(A: da.Array, B: da.Array | PackedDatabase, metric: str = "euclidean", *,
          dtype: str | None = None, threads: int | None = 1) -> da.Array:
    """simdkit.cdist of the Dask arrays `A` (m, d) and `B` (n, d) (or a
    PackedDatabase): the (m, n) distances, one task per block of rows of
    `A` and block of rows of `B`.

    Row blocks shorter than a panel block are merged with a neighbour, so
    every value is the one a single call gives. See simdkit.cdist; no
    ``out=``, ``threads=1`` per task by default.
    """
    result = _check_distance_call("cdist", A, B, metric, dtype=dtype, threads=threads)
    task = partial(_cdist_of_blocks, metric=metric, dtype=dtype, threads=threads)
    return da.blockwise(task, "ij", _row_blocks(A), "ik", _database_blocks(B), "jk",
                        concatenate=False, dtype=result.dtype, meta=_meta(result.dtype, 2),
                        name=_key_name("cdist", A, B, metric, dtype, threads))


def _cdist_of_blocks(A_blocks: list, B_blocks: list, **kwargs: Any) -> np.ndarray:
    """simdkit.cdist of a block of rows of A and one of B, each given as
    the list of its blocks along the dimensions: one block, as both are
    rechunked whole along them."""
    (A,), (B,) = A_blocks, B_blocks
    return simdkit.cdist(A, B, **kwargs)


def _topk_of_block(Q: np.ndarray, X: Any, k: int, first_row: int, metric: str,
                   **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """simdkit.topk of the queries against one database block, with the
    block's rows numbered as in the whole database; k is cut to the block's
    rows (the whole call checked it against all rows)."""
    indices, distances = simdkit.topk(Q, X, builtins.min(k, X.shape[0]), metric, **kwargs)
    indices += first_row
    return indices, distances


def _merge_best(candidates: list[tuple[np.ndarray, np.ndarray]], k: int,
                largest_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """The best k of several (indices, distances) lists per query, in
    simdkit's order: best distance first (the largest for "dot"), ties to
    the lower index, NaN last and among NaN the lower index first."""
    indices = np.concatenate([candidate[0] for candidate in candidates], axis=1)
    distances = np.concatenate([candidate[1] for candidate in candidates], axis=1)
    is_nan = np.isnan(distances)
    rank = np.where(is_nan, 0, -distances if largest_first else distances)
    order = np.lexsort((indices, rank, is_nan), axis=-1)[:, :k]
    return np.take_along_axis(indices, order, 1), np.take_along_axis(distances, order, 1)


def topk(Q: da.Array, X: da.Array | PackedDatabase, k: int, metric: str, *,
         dtype: str | None = None, threads: int | None = 1) -> tuple[da.Array, da.Array]:
    """simdkit.topk of the Dask arrays `Q` (m, d) and `X` (n, d) (or a
    PackedDatabase): ``(indices, distances)``, both (m, k), best first.

    Each block of queries gets each database block's best k (at most its
    rows) with the block's row offset added, and the lists are merged in a
    tree (MERGE_FAN_IN lists a task) in simdkit's order: ties to the lower
    index, NaN distances last. The result equals one call's, indices and
    distances, bit for bit. See simdkit.topk; ``threads=1`` per task.
    """
    result = _check_distance_call("topk", Q, X, metric, k, dtype=dtype, threads=threads)
    k = operator.index(k)
    distance_dtype = result[1].dtype
    queries = _row_blocks(Q)
    database = _database_blocks(X)
    first_rows = np.cumsum((0, *database.chunks[0][:-1])).tolist()
    merge = partial(_merge_best, k=k, largest_first=metric == "dot")
    indices, distances = [], []
    for query_block, query_rows in zip(queries.to_delayed()[:, 0], queries.chunks[0]):
        candidates = [dask.delayed(_topk_of_block, pure=True, nout=2)(
                          query_block, part, k, first_row, metric, dtype=dtype, threads=threads)
                      for part, first_row in zip(database.to_delayed()[:, 0], first_rows)]
        while len(candidates) > 1:
            candidates = [dask.delayed(merge, pure=True, nout=2)(candidates[i:i + MERGE_FAN_IN])
                          for i in range(0, len(candidates), MERGE_FAN_IN)]
        best_indices, best_distances = candidates[0]
        indices.append(da.from_delayed(best_indices, (query_rows, k), dtype=np.int64,
                                       meta=_meta(np.dtype(np.int64), 2)))
        distances.append(da.from_delayed(best_distances, (query_rows, k), dtype=distance_dtype,
                                         meta=_meta(distance_dtype, 2)))
    return da.concatenate(indices), da.concatenate(distances)


# --------------------------------------------------------------------------
# Targets on the workers.
# --------------------------------------------------------------------------
def targets(client: Any) -> dict[str, dict[str, Any]]:
    """simdkit.info() of every worker of a distributed `client`, by worker
    address: its CPU (``cpu_model``, ``cpu_features``) and the target it
    dispatches to (``active``, what runs: ``probe``; ``forced``)."""
    return client.run(_call, "info")


_TARGET_PLUGIN = "simdkit-target"


def _worker_plugin_type():
    from distributed import WorkerPlugin

    class ForcedTarget(WorkerPlugin):
        """Forces simdkit's target on each worker as it starts (or joins)."""

        name = _TARGET_PLUGIN

        def __init__(self, target: str):
            self.target = target

        def setup(self, worker: Any) -> None:
            simdkit.set_target(self.target)

    return ForcedTarget


def set_target(client: Any, name: str | None) -> None:
    """simdkit.set_target(name) on every worker of a distributed `client`,
    those there now and those that join later; None: the automatic choice
    again (and workers that join later keep their own: their environment's
    SIMDKIT_TARGET, or automatic).

    If a worker cannot run `name`, simdkit's ValueError is raised here and
    no worker changes. Call it between computations: a task running
    meanwhile may make its next simdkit call on either target.
    """
    if name is None:
        if _TARGET_PLUGIN in _registered_plugins(client):
            client.unregister_worker_plugin(_TARGET_PLUGIN)
        client.run(_call, "set_target", None)
        return
    # Tried on every worker before any changes, so that a name one worker
    # cannot run leaves the others as they were and no plugin behind.
    client.run(_try_target, name)
    client.run(_call, "set_target", name)
    client.register_plugin(_worker_plugin_type()(name), name=_TARGET_PLUGIN)


def _try_target(name: str) -> None:
    """Raises what simdkit.set_target(name) would, and leaves the choice as
    it was."""
    with simdkit.use_target(name):
        pass


def _registered_plugins(client: Any) -> set[str]:
    def names(dask_scheduler):
        return list(dask_scheduler.worker_plugins)

    return set(client.run_on_scheduler(names))


for _name in ELEMENTWISE:
    globals()[_name] = _elementwise(_name)
for _name in BINARY_ELEMENTWISE:
    globals()[_name] = _binary_elementwise(_name)
for _name in ROW_KERNELS:
    globals()[_name] = _row_kernel(_name)
for _name in REDUCTIONS:
    globals()[_name] = _reduction(_name)
del _name
