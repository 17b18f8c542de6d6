"""The Python side of every C++ benchmark row: the simdkit call a user makes,
the NumPy/SciPy expression it replaces and NumKong's function for the same
operation, all on the same arrays (of the C++ row's dtype and size).

The references reuse the issue-specific comparisons (compare_distance.py,
compare_math.py, compare_convert.py), so that the report and those scripts
hold simdkit to the same expressions. Where NumPy has no direct operation for
a dtype (int8 dot products overflow in int8, half precision has no BLAS),
the reference widens to what a NumPy user would compute in, and the label
says so; NumKong is left out where it has no such operation or dtype, and is
called with its native output dtype, the only one it has a fast kernel for.
topk rows of the metrics FAISS searches (dot, sqeuclidean on float32) also
stand beside its exact IndexFlat search (compare_knn.py), one thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.spatial.distance
import scipy.special

import compare_convert
import compare_distance
import compare_knn
import compare_math
import simdkit

try:
    import ml_dtypes
except ImportError:  # the bfloat16 rows need it
    ml_dtypes = None
try:
    import numkong
except ImportError:  # its columns read "not installed"
    numkong = None

Call = Callable[[], object]


@dataclass
class Case:
    simdkit: Call
    reference: tuple[str, Call] | None
    numkong: tuple[str, Call] | None
    faiss: tuple[str, Call] | None = None


NUMPY_DTYPES = {"f64": np.float64, "f32": np.float32, "f16": np.float16, "i8": np.int8,
                "u8": np.uint8, "bits": np.uint8}
if ml_dtypes is not None:
    NUMPY_DTYPES["bf16"] = ml_dtypes.bfloat16
    NUMPY_DTYPES["f8e4m3"] = ml_dtypes.float8_e4m3fn
    NUMPY_DTYPES["f8e5m2"] = ml_dtypes.float8_e5m2
# A conversion's narrow format, by the report's dtype names.
NARROW_FORMAT = {"bfloat16": "bf16", "float16": "f16", "float8_e4m3": "f8e4m3", "float8_e5m2": "f8e5m2"}
# NumKong's astype names of those formats, where it has one.
NUMKONG_FORMAT = {"bf16": "bf16", "f16": "f16", "f8e4m3": "e4m3", "f8e5m2": "e5m2"}


def narrow_format(kernel: str) -> str:
    """'to_float8_e4m3' -> 'f8e4m3'."""
    return NARROW_FORMAT[kernel.split("_", 1)[1]]
# NumKong's names for simdkit's metrics (cosine is its 'angular').
NUMKONG_METRIC = compare_distance.NUMKONG_METRIC


class Inputs:
    """Random arrays, made once per (dtype, shape, operand, domain) and kept
    until clear(): the three contenders of a row share them, and rows of the
    same shape share them too."""

    def __init__(self):
        self.arrays: dict[tuple, np.ndarray] = {}

    def clear(self) -> None:
        self.arrays.clear()

    def get(self, dtype: str, shape: tuple[int, ...], operand: int = 0,
            domain: tuple[float, float] | None = None) -> np.ndarray:
        key = (dtype, shape, operand, domain)
        if key not in self.arrays:
            rng = np.random.default_rng([0x5EED, operand, *shape])
            if domain is not None:
                values = rng.uniform(*domain, shape)
            elif dtype == "i8":
                values = rng.integers(-128, 128, shape)
            elif dtype in ("u8", "bits"):
                values = rng.integers(0, 256, shape)
            else:
                values = rng.standard_normal(shape)
            self.arrays[key] = values.astype(NUMPY_DTYPES[dtype])
        return self.arrays[key]


def dims(size: str) -> list[int]:
    """'1000x1000x768' -> [1000, 1000, 768]; '16x1024x16/16' -> [16, 1024, 16, 16]."""
    return [int(part) for part in size.replace("/", "x").split("x")]


def widened(dtype: str) -> np.dtype:
    """What a NumPy user computes a dtype's dot products in."""
    return np.dtype(np.int32 if dtype in ("i8", "u8") else np.float64 if dtype == "f64" else np.float32)


# ---------------------------------------------------------------------------
# reduce
# ---------------------------------------------------------------------------
# kernel: (number of inputs, NumPy function and its name, NumKong name)
REDUCE = {
    "sum": (1, np.sum, "numpy.sum(x)", "sum"),
    "dot": (2, np.dot, "numpy.dot(a, b)", "dot"),
    "norm": (1, np.linalg.norm, "numpy.linalg.norm(x)", "norm"),
    "min": (1, np.min, "numpy.min(x)", "min"),
    "max": (1, np.max, "numpy.max(x)", "max"),
    "argmin": (1, np.argmin, "numpy.argmin(x)", "argmin"),
    "argmax": (1, np.argmax, "numpy.argmax(x)", "argmax"),
}


def reduce_case(kernel: str, dtype: str, size: str, inputs: Inputs) -> Case:
    if kernel == "sum_rows":
        x = inputs.get(dtype, tuple(dims(size)))
        return Case(lambda: simdkit.sum(x, axis=-1), ("x.sum(axis=-1)", lambda: x.sum(axis=-1)),
                    numkong and ("numkong.sum(x, axis=-1)", lambda: numkong.sum(x, axis=-1)))
    arity, numpy_function, numpy_name, numkong_name = REDUCE[kernel]
    arrays = [inputs.get(dtype, (int(size),), operand) for operand in range(arity)]
    ours = getattr(simdkit, kernel)
    theirs = numkong and getattr(numkong, numkong_name)
    return Case(lambda: ours(*arrays), (numpy_name, lambda: numpy_function(*arrays)),
                theirs and (f"numkong.{numkong_name}", lambda: theirs(*arrays)))


# ---------------------------------------------------------------------------
# distance
# ---------------------------------------------------------------------------
def bits_reference(metric: str, a: np.ndarray, b: np.ndarray) -> tuple[str, Call]:
    """Packed bits: popcounts of a ^ b (hamming: differing bits) or of a & b
    and a | b (jaccard)."""
    if metric == "hamming":
        return "numpy.bitwise_count(a ^ b).sum()", lambda: np.bitwise_count(a ^ b).sum()

    def jaccard():
        union = np.bitwise_count(a | b).sum()
        return 1.0 - np.bitwise_count(a & b).sum() / union if union else 0.0
    return "1 - bitwise_count(a & b) / bitwise_count(a | b)", jaccard


def pair_reference(metric: str, dtype: str, a: np.ndarray, b: np.ndarray) -> tuple[str, Call]:
    if dtype == "bits":
        return bits_reference(metric, a, b)
    wide = widened(dtype)
    if metric == "dot":
        if a.dtype == wide:
            return "numpy.dot(a, b)", lambda: np.dot(a, b)
        return f"numpy.dot(a.astype({wide}), b.astype({wide}))", lambda: np.dot(a.astype(wide), b.astype(wide))
    function = getattr(scipy.spatial.distance, metric)
    if dtype in ("f64", "f32"):
        return f"scipy.spatial.distance.{metric}(a, b)", lambda: function(a, b)
    return (f"scipy.spatial.distance.{metric}(a.astype(float32), ...)",
            lambda: function(a.astype(np.float32), b.astype(np.float32)))


def cdist_reference(metric: str, dtype: str, A: np.ndarray, B: np.ndarray) -> tuple[str, Call]:
    """NumPy's matmul formulation where the metric has one (single-threaded
    BLAS), SciPy's cdist otherwise."""
    if dtype == "bits":
        bits = A.shape[1] * 8
        unpacked_a, unpacked_b = np.unpackbits(A, axis=1), np.unpackbits(B, axis=1)
        if metric == "hamming":
            return ("scipy cdist(unpackbits(A), unpackbits(B), 'hamming') * bits",
                    lambda: scipy.spatial.distance.cdist(unpacked_a, unpacked_b, "hamming") * bits)
        return ("scipy cdist(unpackbits(A), unpackbits(B), 'jaccard')",
                lambda: scipy.spatial.distance.cdist(unpacked_a, unpacked_b, "jaccard"))
    if metric in ("dot", "cosine", "sqeuclidean", "euclidean"):
        matmul_metric = "sqeuclidean" if metric == "euclidean" else metric
        finish = np.sqrt if metric == "euclidean" else (lambda D: D)
        if dtype in ("f64", "f32"):
            return (f"A @ B.T formulation ({metric})",
                    lambda: finish(compare_distance.numpy_cdist(matmul_metric, A, B)))
        return (f"A @ B.T formulation ({metric}) in float32",
                lambda: finish(compare_distance.numpy_cdist(matmul_metric, A.astype(np.float32),
                                                            B.astype(np.float32))))
    return f"scipy.spatial.distance.cdist(A, B, '{metric}')", lambda: scipy.spatial.distance.cdist(A, B, metric)


def pdist_reference(metric: str, dtype: str, X: np.ndarray) -> tuple[str, Call]:
    """SciPy's pdist (through float32 for the narrow dtypes, of the unpacked
    bits for packed bits); dot, which SciPy lacks: the upper triangle of
    X @ X.T."""
    if dtype == "bits":
        unpacked = np.unpackbits(X, axis=1)
        scale = X.shape[1] * 8 if metric == "hamming" else 1
        return (f"scipy pdist(unpackbits(X), '{metric}')" + (" * bits" if scale != 1 else ""),
                lambda: scipy.spatial.distance.pdist(unpacked, metric) * scale)
    wide = X if dtype in ("f64", "f32") else X.astype(widened(dtype))
    cast = "" if dtype in ("f64", "f32") else f".astype({widened(dtype)})"
    if metric == "dot":
        upper = np.triu_indices(X.shape[0], 1)
        return f"(X{cast} @ X{cast}.T)[triu_indices(n, 1)]", lambda: (wide @ wide.T)[upper]
    return (f"scipy.spatial.distance.pdist(X{cast}, '{metric}')",
            lambda: scipy.spatial.distance.pdist(wide, metric))


def distance_case(kernel: str, dtype: str, size: str, inputs: Inputs) -> Case | None:
    if dtype not in NUMPY_DTYPES:
        return None
    form, metric = kernel.split()
    as_bits = "bits" if dtype == "bits" else None
    numkong_name = NUMKONG_METRIC.get(metric) if dtype != "bits" else ("hamming" if metric == "hamming" else None)
    numkong_dtype = {"dtype": "u1"} if dtype == "bits" else {}
    if numkong is None:
        numkong_name = None
    if form == "distance":
        a, b = (inputs.get(dtype, (int(size),), operand) for operand in (0, 1))
        theirs = numkong_name and getattr(numkong, numkong_name)
        return Case(lambda: simdkit.distance(a, b, metric, dtype=as_bits), pair_reference(metric, dtype, a, b),
                    theirs and (f"numkong.{numkong_name}(a, b)", lambda: theirs(a, b, **numkong_dtype)))
    if form == "cdist":
        rows_a, rows_b, d = dims(size)
        A, B = inputs.get(dtype, (rows_a, d), 0), inputs.get(dtype, (rows_b, d), 1)
        if numkong_name is None:
            theirs = None
        elif dtype == "bits":
            theirs = ("numkong.cdist(A, B, 'hamming', dtype='u1')",
                      lambda: numkong.cdist(A, B, metric="hamming", out_dtype="float32", threads=1, **numkong_dtype))
        else:
            theirs = compare_distance.numkong_cdist(metric, A, B)
        return Case(lambda: simdkit.cdist(A, B, metric, dtype=as_bits, threads=1),
                    cdist_reference(metric, dtype, A, B), theirs)
    if form == "pdist":
        rows, d = dims(size)
        X = inputs.get(dtype, (rows, d), 0)
        return Case(lambda: simdkit.pdist(X, metric, dtype=as_bits, threads=1),
                    pdist_reference(metric, dtype, X),
                    None if dtype == "bits" else compare_distance.numkong_symmetric(metric, X))
    if form == "topk":
        queries, rows, d, k = dims(size)
        Q, X = inputs.get(dtype, (queries, d), 0), inputs.get(dtype, (rows, d), 1)
        name, all_distances = cdist_reference(metric, dtype, Q, X)
        # NumKong has no top-k: its cdist plus the same selection would be
        # NumPy's method with another matrix product, so it is left out.
        # FAISS's exact search stands beside the metrics it has.
        return Case(lambda: simdkit.topk(Q, X, k, metric, dtype=as_bits, threads=1),
                    (f"{name}, argpartition, sort of the k",
                     lambda: compare_distance.topk_of_matrix(all_distances(), k, largest=metric == "dot")),
                    None, compare_knn.faiss_search(metric, Q, X, k))
    return None


# ---------------------------------------------------------------------------
# math
# ---------------------------------------------------------------------------
def normalize(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


ROW_KERNELS = {
    "softmax": (compare_math.stable_softmax, "exp(x - max) / sum"),
    "log_softmax": (compare_math.stable_log_softmax, "(x - max) - log(sum(exp(x - max)))"),
    "logsumexp": (compare_math.stable_logsumexp, "max + log(sum(exp(x - max)))"),
    "normalize": (normalize, "x / numpy.linalg.norm(x, axis=-1, keepdims=True)"),
}


def math_operands(kernel: str, dtype: str, size: str, inputs: Inputs) -> list[np.ndarray]:
    """The arrays a math kernel's row is measured on: a matrix for the row
    kernels, x1 and x2 in their domains for the binary functions, x in the
    function's domain otherwise."""
    if kernel in ROW_KERNELS:
        return [inputs.get(dtype, tuple(dims(size)))]
    if kernel in compare_math.BINARY:
        return [inputs.get(dtype, (int(size),), operand, domain)
                for operand, domain in enumerate(compare_math.BINARY_DOMAINS[kernel])]
    return [inputs.get(dtype, (int(size),), 0, compare_math.DOMAINS.get(kernel, (-10.0, 10.0)))]


def math_case(kernel: str, dtype: str, size: str, inputs: Inputs) -> Case:
    operands = math_operands(kernel, dtype, size, inputs)
    if kernel in ROW_KERNELS:
        x, = operands
        function, expression = ROW_KERNELS[kernel]
        ours = getattr(simdkit, kernel)
        return Case(lambda: ours(x), (expression, lambda: function(x)), None)
    if kernel in compare_math.BINARY:
        x1, x2 = operands
        ufunc = compare_math.BINARY[kernel]
        out = np.empty_like(x1)
        ours = getattr(simdkit, kernel)
        return Case(lambda: ours(x1, x2, out=out),
                    (f"numpy.{ufunc.__name__}(x1, x2, out=)", lambda: ufunc(x1, x2, out=out)), None)
    x, = operands
    out = np.empty_like(x)
    ours = getattr(simdkit, kernel)
    reference = compare_math.numpy_equivalent(kernel)

    def numpy_call():
        with np.errstate(all="ignore"):
            return reference(x, out)
    theirs = numkong and kernel in compare_math.NUMKONG_MATH and getattr(numkong, kernel)
    return Case(lambda: ours(x, out=out), (compare_math.numpy_expression(kernel), numpy_call),
                theirs and (f"numkong.{kernel}(x, out=)", lambda: theirs(x, out=out)))


# ---------------------------------------------------------------------------
# convert
# ---------------------------------------------------------------------------
def convert_case(kernel: str, dtype: str, size: str, inputs: Inputs) -> Case | None:
    if kernel == "quantize_int8":
        x = inputs.get("f32", tuple(dims(size)))
        return Case(lambda: simdkit.quantize_int8(x),
                    ("max|row| / 127, rint(x / scale).astype(int8)", lambda: compare_convert.numpy_quantize(x)),
                    None)
    if kernel == "dequantize_int8":
        q = inputs.get("i8", tuple(dims(size)))
        scale = inputs.get("f32", (q.shape[0],), 1, (0.001, 0.01))
        return Case(lambda: simdkit.dequantize_int8(q, scale),
                    ("q * scale[:, None]", lambda: q * scale[:, None]), None)
    n = int(size)
    half = narrow_format(kernel)
    if half not in NUMPY_DTYPES:
        return None
    half_type = np.dtype(NUMPY_DTYPES[half])
    ours = getattr(simdkit, kernel)
    theirs = NUMKONG_FORMAT[half]
    if kernel.startswith("to_"):
        x = inputs.get("f32", (n,))
        return Case(lambda: ours(x), (f"x.astype({half_type.name})", lambda: x.astype(half_type)),
                    numkong and (f"numkong.astype(x, '{theirs}')", lambda: numkong.astype(x, theirs)))
    h = inputs.get(half, (n,))
    return Case(lambda: ours(h), ("h.astype(float32)", lambda: h.astype(np.float32)),
                numkong and ("numkong.astype(h, 'f32')", lambda: numkong.astype(h, "f32")))


BUILDERS = {"reduce": reduce_case, "distance": distance_case, "math": math_case, "convert": convert_case}


def build(family: str, kernel: str, dtype: str, size: str, inputs: Inputs) -> Case | None:
    """The Python calls of one C++ row, or None if Python cannot express it."""
    return BUILDERS[family](kernel, dtype, size, inputs)
