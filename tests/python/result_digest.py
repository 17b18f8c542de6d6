"""A digest of what every public kernel returns on each target: one SHA-256
per target over the result bytes of a fixed battery of calls (every kernel,
its dtypes and metrics, on seeded inputs with NaN, ±Inf, subnormals and
ties).

Two installs of simdkit built from the same sources must agree bit for bit
on every target they both support: the test command writes the source
build's digests with

    python3 tests/python/result_digest.py > digests.json

and test_wheel.py compares the installed wheel's with them.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator

import ml_dtypes
import numpy as np

import simdkit
from conftest import BIT_METRICS, ELEMENTWISE_FUNCTIONS, METRICS, REDUCTIONS

FLOATS = (np.float32, np.float64)
DISTANCE_DTYPES = (np.float64, np.float32, np.float16, ml_dtypes.bfloat16, np.int8, np.uint8,
                   np.bool_)
NUMERIC_METRICS = [metric for metric in METRICS if metric not in BIT_METRICS]
ROW_KERNELS = ("softmax", "log_softmax", "logsumexp", "normalize")
BINARY = ("atan2", "hypot", "power")


def values(n: int, dtype, seed: int, scale: float = 1.0) -> np.ndarray:
    """n values over a wide range of magnitudes and signs, with every special
    value among them. Computed in float64 and rounded once, so that every
    NumPy version gives the same bits (their float32 arithmetic may not)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * np.exp2(rng.integers(-30, 30, n)) * scale
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).tiny / 4, 1.0, -1.0]
    x[rng.choice(n, len(special), replace=False)] = special
    return x.astype(dtype)


def distance_operands(rows: int, dims: int, dtype, seed: int) -> np.ndarray:
    """Rows with repeated values (ties in topk) in the dtype's own range."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iub":
        info = np.iinfo(dtype) if np.dtype(dtype).kind != "b" else None
        low, high = (0, 2) if info is None else (info.min, info.max + 1)
        return rng.integers(low, high, (rows, dims)).astype(dtype)
    return rng.integers(-8, 8, (rows, dims)).astype(np.float32).astype(dtype) / 4


def battery() -> Iterator[tuple[str, Callable[[], object]]]:
    """(what, call) for every public kernel: each call's results are hashed."""
    for dtype in FLOATS:
        name = np.dtype(dtype).name
        x = values(999, dtype, 1)
        for function in ELEMENTWISE_FUNCTIONS:
            yield f"{function}/{name}", lambda f=function, x=x: getattr(simdkit, f)(x)
        for function in BINARY:
            y = values(999, dtype, 2)
            yield f"{function}/{name}", lambda f=function, x=x, y=y: getattr(simdkit, f)(x, y)
        rows = values(7 * 61, dtype, 3, scale=2.0**-20).reshape(7, 61)
        for function in ROW_KERNELS:
            yield f"{function}/{name}", lambda f=function, rows=rows: getattr(simdkit, f)(rows)
        for function in REDUCTIONS:
            yield f"{function}/{name}", lambda f=function, x=x: getattr(simdkit, f)(x)
        finite = np.nan_to_num(x, posinf=3.0, neginf=-3.0)
        matrix, vector = finite[:900].reshape(9, 100), finite[-100:]
        yield f"dot/{name}", lambda m=matrix, v=vector: simdkit.dot(m, v)
    for dtype in DISTANCE_DTYPES:
        name = np.dtype(dtype).name
        queries, database = distance_operands(5, 67, dtype, 4), distance_operands(40, 67, dtype, 5)
        metrics = METRICS if name in ("uint8", "bool") else NUMERIC_METRICS
        for metric in metrics:
            yield f"distance/{name}/{metric}", lambda q=queries, m=metric: simdkit.distance(
                q[0], q[1], m)
            yield f"paired/{name}/{metric}", lambda q=queries, d=database, m=metric: simdkit.paired(
                q, d[:5], m)
            yield f"cdist/{name}/{metric}", lambda q=queries, d=database, m=metric: simdkit.cdist(
                q, d, m)
            yield f"topk/{name}/{metric}", lambda q=queries, d=database, m=metric: simdkit.topk(
                q, d, 7, m)
            yield f"pdist/{name}/{metric}", lambda d=database, m=metric: simdkit.pdist(d, m)
        yield f"pack/{name}", lambda q=queries, d=database: simdkit.topk(
            q, simdkit.pack(d), 7, "dot")
    bits = distance_operands(40, 16, np.uint8, 6)
    for metric in BIT_METRICS:
        yield f"cdist/bits/{metric}", lambda m=metric: simdkit.cdist(bits[:5], bits, m,
                                                                     dtype="bits")
        yield f"pdist/bits/{metric}", lambda m=metric: simdkit.pdist(bits, m, dtype="bits")
    x32 = values(999, np.float32, 7)
    yield "to_bfloat16", lambda: simdkit.to_bfloat16(x32)
    yield "to_float16", lambda: simdkit.to_float16(x32)
    yield "from_bfloat16", lambda: simdkit.from_bfloat16(x32.astype(ml_dtypes.bfloat16))
    with np.errstate(over="ignore"):  # values past float16's range become ±Inf, as intended
        x16 = x32.astype(np.float16)
    yield "from_float16", lambda: simdkit.from_float16(x16)
    for name, dtype in (("float8_e4m3", ml_dtypes.float8_e4m3fn), ("float8_e5m2", ml_dtypes.float8_e5m2)):
        yield f"to_{name}", lambda n=name: getattr(simdkit, f"to_{n}")(x32)
        with np.errstate(over="ignore", invalid="ignore"):  # E4M3 has no Inf: NaN past 448
            x8 = x32.astype(dtype)
        yield f"from_{name}", lambda n=name, x=x8: getattr(simdkit, f"from_{n}")(x)
    finite32 = np.nan_to_num(x32, posinf=3.0, neginf=-3.0).reshape(27, 37)
    yield "quantize_int8", lambda: simdkit.quantize_int8(finite32)
    quantized, scale = simdkit.quantize_int8(finite32)
    yield "dequantize_int8", lambda: simdkit.dequantize_int8(quantized, scale)


def covered_functions() -> set[str]:
    """The public functions the battery calls."""
    return {what.split("/")[0] for what, _ in battery()}


def digest_bytes(result: object) -> bytes:
    arrays = result if isinstance(result, tuple) else (result,)
    return b"".join(np.asarray(array).tobytes() for array in arrays)


def digests(targets: list[str]) -> dict[str, str]:
    """{target: SHA-256 of the battery's results} for each target given."""
    out = {}
    for target in targets:
        hasher = hashlib.sha256()
        with simdkit.use_target(target):
            for what, call in battery():
                hasher.update(what.encode())
                hasher.update(digest_bytes(call()))
        out[target] = hasher.hexdigest()
    return out


if __name__ == "__main__":
    json.dump(digests(list(simdkit.targets()["supported"])), sys.stdout, indent=1)
    print()
