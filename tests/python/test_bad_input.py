"""Every bad input to every public function gets a clear exception, never a
crash: the exception's type, and a message naming what was expected.

One table, generated from one description per public function (SPECS:
valid arguments, and from the bindings' own table of entry points,
simdkit._core._entry_points(), the dtypes each array argument accepts and
which optional arguments it has) crossed with the categories of bad input that apply to it:
non-arrays, wrong dtypes, mismatched dtypes, wrong numbers of dimensions,
mismatched shapes, bad `out=` (dtype, shape, read-only, layout, overlapping
an input), unknown metric / dtype / target names, metrics undefined for a
dtype, `k` and `threads` out of range, bad `axis`, extents beyond the
documented limit, zero-size input where it has no answer, and calls that do
not match the signature. test_every_public_function_is_described keeps the
table complete as functions are added. Sizes that cannot be allocated
(MemoryError) are in test_memory.py.
"""

import re
from dataclasses import dataclass, field

import pytest

from conftest import public_kernels, skip_module_under_emulator

skip_module_under_emulator("argument checks, the same on every target")

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import as_strided  # noqa: E402

import simdkit  # noqa: E402
from test_math import ELEMENTWISE  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
# The 8-bit formats: simdkit's function suffix and ml_dtypes' dtype name.
FLOAT8 = [("float8_e4m3", "float8_e4m3fn"), ("float8_e5m2", "float8_e5m2")]
METRIC_NAMES = ["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]
# Each public function's parameters as its bindings declare them
# (bindings/entry_points.h): which are arrays and the dtypes each takes,
# which are required, axis= and threads=.
TABLE = simdkit._core._entry_points()


def ones(shape, dtype=np.float32):
    return np.ones(shape, dtype)


def read_only(array):
    array.flags.writeable = False
    return array


def dtype_list(dtypes):
    """["float32", "float64"] as messages list them: "float32 or float64"."""
    return dtypes[0] if len(dtypes) == 1 else ", ".join(dtypes[:-1]) + " or " + dtypes[-1]


@dataclass
class Spec:
    """How to call one public function well, and what it accepts."""
    valid: dict                     # keyword arguments of a valid call
    arrays: dict                    # array argument -> accepted dtypes, as messages list them
    out: str | None = None          # dtypes `out=` accepts, as messages list them
    out_shape: tuple | None = None  # the result's shape for `valid`
    in_place: bool = False          # out may be the input itself
    axis: str | None = None         # "none-or-int" or "int" if it takes axis=
    ndim: dict = field(default_factory=dict)  # array argument -> (layout text, bad shapes)
    distance: bool = False          # the distance family's metric=, dtype=, extents
    threads: bool = False           # takes threads=
    required: tuple = ()            # required parameters, in order
    python_scalars: bool = False    # its arrays may also be Python floats or ints (binary math)


AXIS_KINDS = {"axis_or_none": "none-or-int", "axis": "int"}


def spec(name, valid, **details):
    """SPECS[name]: a valid call and what only a test can say about it
    (`details`: out='s message for this call, shapes, ...), with what the
    table declares (arrays and their dtypes, required parameters, axis=,
    threads=)."""
    parameters = TABLE[name]["parameters"]
    kinds = {parameter["kind"]: parameter for parameter in parameters}
    return Spec(valid,
                {p["name"]: dtype_list(p["dtypes"]) for p in parameters
                 if p["kind"] in ("array", "array_or_packed")},
                axis=next((AXIS_KINDS[k] for k in AXIS_KINDS if k in kinds), None),
                threads="threads" in kinds,
                distance=TABLE[name]["family"] == "distance" and "metric" in kinds,
                required=tuple(p["name"] for p in parameters if p["default"] is None),
                **details)


def reduce_spec(name):
    return spec(name, {"a": ones((3, 4))})


def elementwise_spec(name):
    return spec(name, {"x": ones((3, 4))}, out="float32", out_shape=(3, 4), in_place=True)


def rowwise_spec(name, out=True):
    return spec(name, {"x": ones((3, 4))}, out="float32" if out else None,
                out_shape=(3, 4) if out else None, in_place=out)


TWO_D = "2-D (rows, dims)"
SPECS = {
    **{name: reduce_spec(name) for name in ("sum", "norm", "min", "max", "argmin", "argmax")},
    "dot": spec("dot", {"a": ones((3, 4)), "b": ones(4)}),
    "distance": spec("distance", {"a": ones(4), "b": ones(4), "metric": "euclidean"},
                     ndim={"a": ("1-D (dims,)", [(), (2, 4)]), "b": ("1-D (dims,)", [(2, 4)])}),
    "paired": spec("paired", {"A": ones((3, 4)), "B": ones((3, 4)), "metric": "euclidean"},
                   ndim={"A": (TWO_D, [(4,), (2, 3, 4)]), "B": (TWO_D, [(4,)])}),
    "cdist": spec("cdist", {"A": ones((3, 4)), "B": ones((2, 4))}, out="float32", out_shape=(3, 2),
                  ndim={"A": (TWO_D, [(4,), (2, 3, 4)]), "B": (TWO_D, [()])}),
    "pdist": spec("pdist", {"X": ones((3, 4))}, out="float32", out_shape=(3,),
                  ndim={"X": (TWO_D, [(4,), (2, 3, 4)])}),
    "topk": spec("topk", {"Q": ones((3, 4)), "X": ones((5, 4)), "k": 2, "metric": "euclidean"},
                 ndim={"Q": (TWO_D, [(4,)]), "X": (TWO_D, [(1, 5, 4)])}),
    "pack": spec("pack", {"X": ones((3, 4))}, ndim={"X": (TWO_D, [(4,), (2, 3, 4)])}),
    "to_bfloat16": spec("to_bfloat16", {"x": ones((3, 4))}, out="bfloat16 or uint16", out_shape=(3, 4)),
    "to_float16": spec("to_float16", {"x": ones((3, 4))}, out="float16 or uint16", out_shape=(3, 4)),
    "from_bfloat16": spec("from_bfloat16", {"y": ones((3, 4), BF16)}, out="float32", out_shape=(3, 4)),
    "from_float16": spec("from_float16", {"y": ones((3, 4), np.float16)}, out="float32",
                         out_shape=(3, 4)),
    **{f"to_{name}": spec(f"to_{name}", {"x": ones((3, 4))}, out=f"{dtype} or uint8",
                          out_shape=(3, 4)) for name, dtype in FLOAT8},
    **{f"from_{name}": spec(f"from_{name}", {"y": ones((3, 4), np.dtype(getattr(ml_dtypes, dtype)))},
                            out="float32", out_shape=(3, 4)) for name, dtype in FLOAT8},
    "quantize_int8": spec("quantize_int8", {"x": ones((3, 4))},
                          ndim={"x": ("at least one dimension", [()])}),
    "dequantize_int8": spec("dequantize_int8", {"q": ones((3, 4), np.int8), "scale": ones(3)},
                            ndim={"q": ("at least one dimension", [()])}),
    **{name: elementwise_spec(name) for name in ELEMENTWISE},
    **{name: rowwise_spec(name) for name in ("softmax", "log_softmax", "normalize")},
    "logsumexp": rowwise_spec("logsumexp", out=False),
    **{name: spec(name, {"x1": ones((3, 4)), "x2": ones((3, 4))}, out="float32", out_shape=(3, 4),
                  in_place=True, python_scalars=True) for name in ("atan2", "hypot", "power")},
}


def call(name, **changes):
    """simdkit.<name> with SPECS[name].valid updated by `changes` (None
    values included, by keyword)."""
    return getattr(simdkit, name)(**{**SPECS[name].valid, **changes})


# ---------------------------------------------------------------------------
# The table: (id, thunk, exception type, regex the message must match)
# ---------------------------------------------------------------------------
CASES = []


def case(id_, thunk, error, message):
    CASES.append(pytest.param(thunk, error, message, id=id_))


def prefix(name):
    return re.escape(f"simdkit.{name}: ")


NON_ARRAYS = {"list": [1.0, 2.0], "float": 1.5, "None": None, "str": "abc",
              "numpy-scalar": np.float32(1), "memoryview": memoryview(b"abcd")}
WRONG_DTYPES = {"int32": np.int32, "int64": np.int64, "complex64": np.complex64, "object": object,
                "longdouble": np.longdouble, "datetime": "M8[s]", "structured": "f4,f4",
                "big-endian": None}  # None: the accepted dtype, byte-swapped


def wrong_dtype_array(array, key):
    if key == "big-endian":
        return array.astype(array.dtype.newbyteorder("S"))
    return np.zeros(array.shape, WRONG_DTYPES[key])


def add_array_cases(name, spec):
    for arg, accepted in spec.arrays.items():
        valid = spec.valid[arg]
        for key, bad in NON_ARRAYS.items():
            if spec.python_scalars and key == "float":
                continue  # a weak scalar, as NumPy takes it
            case(f"{name}-{arg}-not-an-array-{key}", lambda n=name, a=arg, b=bad: call(n, **{a: b}),
                 TypeError, prefix(name) + f"argument '{arg}' must be a numpy\\.ndarray, got "
                 f"{type(bad).__name__}")
        for key in WRONG_DTYPES:
            if ((key == "longdouble" and np.dtype(np.longdouble) == np.float64) or
                    (key == "big-endian" and valid.dtype.itemsize == 1)):
                continue
            bad = wrong_dtype_array(valid, key)
            shown = re.escape(str(bad.dtype))
            case(f"{name}-{arg}-dtype-{key}", lambda n=name, a=arg, b=bad: call(n, **{a: b}),
                 TypeError, prefix(name) + f"argument '{arg}' must have dtype {accepted} in native "
                 f"byte order, got {shown}")
        layout, bad_shapes = spec.ndim.get(arg, ("", []))
        for shape in bad_shapes:
            bad = np.ones(shape, valid.dtype)
            if layout == "at least one dimension":
                message = (prefix(name) + f"argument '{arg}' must have at least one dimension, "
                           "got a 0-d array")
            else:
                message = (prefix(name) + f"argument '{arg}' must be " + re.escape(layout) +
                           ", got shape " + re.escape(str(shape)))
            case(f"{name}-{arg}-ndim-{len(shape)}", lambda n=name, a=arg, b=bad: call(n, **{a: b}),
                 ValueError, message)


def add_out_cases(name, spec):
    if spec.out is None:
        return
    shape, first = spec.out_shape, next(iter(spec.arrays))
    dtype = np.dtype({"float32": np.float32, "float16": np.float16, "bfloat16": BF16,
                      **{name: getattr(ml_dtypes, name) for _, name in FLOAT8}}[
        spec.out.split()[0]])
    # The checks every out= shares, worded the same for every function; only
    # what may overlap differs (cdist, pdist: nothing; elementwise: the input
    # itself).
    cdist = name == "cdist"
    all_pairs = name in ("cdist", "pdist")
    expect_dtype = prefix(name) + f"argument 'out' must have dtype {spec.out} in native " \
        "byte order, got .*" + ("; the result dtype for this input" if all_pairs else "")
    expect_type = prefix(name) + "argument 'out' must be a numpy.ndarray, got list"
    expect_shape = prefix(name) + "out must have the result's shape " + \
        re.escape(str(tuple(shape))) + r", got \(2, 3\)"
    expect_read_only = prefix(name) + "out must be writeable, got a read-only array"
    if all_pairs:
        expect_overlap = prefix(name) + f"out must not share memory with input '{first}'; " \
            "expected a separate array"
    else:
        expect_overlap = prefix(name) + "out shares memory with the input; expected " + (
            r"the input itself \(in place\) or a separate array" if spec.in_place
            else "a separate array")
    case(f"{name}-out-not-an-array", lambda: call(name, out=[1.0]), TypeError, expect_type)
    case(f"{name}-out-dtype-int32", lambda: call(name, out=np.empty(shape, np.int32)), TypeError,
         expect_dtype)
    case(f"{name}-out-dtype-big-endian",
         lambda: call(name, out=np.empty(shape, dtype.newbyteorder("S"))), TypeError, expect_dtype)
    case(f"{name}-out-shape", lambda: call(name, out=np.empty((2, 3), dtype)), ValueError,
         expect_shape)
    case(f"{name}-out-read-only", lambda: call(name, out=read_only(np.empty(shape, dtype))),
         ValueError, expect_read_only)
    case(f"{name}-out-broadcast",
         lambda: call(name, out=np.broadcast_to(np.empty(1, dtype), shape)), ValueError,
         expect_read_only)

    def overlapping():
        """The input and out in one buffer, out 8 bytes past the input."""
        source = spec.valid[first]
        buffer = np.zeros(8 + max(source.nbytes, int(np.prod(shape)) * dtype.itemsize), np.uint8)
        x = buffer[:source.nbytes].view(source.dtype).reshape(source.shape)
        out = buffer[8:8 + int(np.prod(shape)) * dtype.itemsize].view(dtype).reshape(shape)
        return call(name, **{first: x, "out": out})

    case(f"{name}-out-overlaps-input", overlapping, ValueError, expect_overlap)
    if cdist:
        case(f"{name}-out-column-stride", lambda: call(name, out=np.empty((3, 4), dtype)[:, ::2]),
             ValueError,
             prefix(name) + r"out must have unit column stride \(strides\[1\] == 4 bytes")
        case(f"{name}-out-self-overlapping-rows",
             lambda: call(name, out=as_strided(np.empty(4, dtype), (3, 2), (4, 4))), ValueError,
             prefix(name) + r"out must have non-overlapping rows \(strides\[0\] a multiple of 4 "
             r"bytes and at least 8\)")
        case(f"{name}-out-unaligned",
             lambda: call(name, out=np.frombuffer(np.empty(25, np.uint8)[1:], dtype).reshape(3, 2)),
             ValueError, prefix(name) + r"out must be aligned to its itemsize \(4 bytes\)")
    elif name == "pdist":
        case(f"{name}-out-not-contiguous", lambda: call(name, out=np.empty(6, dtype)[::2]),
             ValueError, prefix(name) + r"out must be contiguous \(strides\[0\] == 4 bytes")
        case(f"{name}-out-unaligned",
             lambda: call(name, out=np.frombuffer(np.empty(13, np.uint8)[1:], dtype)),
             ValueError, prefix(name) + r"out must be aligned to its itemsize \(4 bytes\)")
    elif not spec.in_place:  # conversions write C-contiguous output
        case(f"{name}-out-not-contiguous", lambda: call(name, out=np.empty((3, 8), dtype)[:, ::2]),
             ValueError, prefix(name) + r"out must be C-contiguous and aligned")


def add_axis_cases(name, spec):
    if spec.axis is None:
        return
    offered = "None or an int" if spec.axis == "none-or-int" else "an int"
    for label, axis, error, message in [
        ("2", 2, np.exceptions.AxisError, r"axis 2 is out of bounds for array of dimension 2"),
        ("-3", -3, np.exceptions.AxisError, r"axis -3 is out of bounds for array of dimension 2"),
        ("2**70", 2**70, np.exceptions.AxisError, rf"axis {2**70} is out of bounds for array of "
                                                  r"dimension 2"),
        ("str", "0", TypeError, prefix(name) + f"axis must be {offered}, got str"),
        ("float", 1.0, TypeError, prefix(name) + f"axis must be {offered}, got float"),
        ("tuple", (0, 1), TypeError, prefix(name) + f"axis must be {offered}, got tuple"),
        ("bool", True, TypeError, prefix(name) + f"axis must be {offered}, got bool"),
        ("array", np.array([0]), TypeError, prefix(name) + f"axis must be {offered}, got ndarray"),
    ] + ([("None", None, TypeError, prefix(name) + "axis must be an int, got NoneType")]
         if spec.axis == "int" else []):
        case(f"{name}-axis-{label}", lambda n=name, a=axis: call(n, axis=a), error, message)


def add_distance_cases(name, spec):
    if not spec.distance:
        return
    a, b = (list(spec.arrays) * 2)[:2]  # pdist: one array, X
    one_array = a == b
    metric_list = ", ".join(f"'{m}'" for m in METRIC_NAMES[:-1]) + f" or '{METRIC_NAMES[-1]}'"
    case(f"{name}-metric-unknown", lambda: call(name, metric="euclid"), ValueError,
         prefix(name) + "unknown metric 'euclid'; expected one of " + re.escape(metric_list))
    case(f"{name}-metric-case", lambda: call(name, metric="Euclidean"), ValueError,
         prefix(name) + "unknown metric 'Euclidean'; expected one of")
    case(f"{name}-metric-not-str", lambda: call(name, metric=3), TypeError,
         prefix(name) + "metric must be a str, one of " + re.escape(metric_list) + ", got int")
    case(f"{name}-metric-for-bits",
         lambda: call(name, **{a: np.ones(spec.valid[a].shape, np.uint8),
                               b: np.ones(spec.valid[b].shape, np.uint8)}, metric="cosine",
                      dtype="bits"),
         ValueError, prefix(name) + r"metric 'cosine' is not defined for packed bits "
         r"\(dtype='bits'\); expected 'hamming' or 'jaccard'")
    case(f"{name}-dtype-keyword-unknown", lambda: call(name, dtype="float"), ValueError,
         prefix(name) + r"dtype must be None \(the arrays' own dtype\), 'bfloat16' \(uint16 or "
         r"bfloat16 arrays\) or 'bits'")
    case(f"{name}-dtype-keyword-not-str", lambda: call(name, dtype=np.float32), TypeError,
         prefix(name) + r"dtype must be None \(the arrays' own dtype\), 'bfloat16' or 'bits', "
         "got type")
    case(f"{name}-dtype-keyword-bits-on-float", lambda: call(name, dtype="bits"), TypeError,
         prefix(name) + f"argument '{a}' must have dtype uint8 in native byte order, got float32")
    case(f"{name}-dtype-keyword-bfloat16-on-float", lambda: call(name, dtype="bfloat16"), TypeError,
         prefix(name) + f"argument '{a}' must have dtype uint16 or bfloat16 in native byte order")
    case(f"{name}-uint16-without-keyword",
         lambda: call(name, **{a: spec.valid[a].astype(np.uint16),
                               b: spec.valid[b].astype(np.uint16)}),
         TypeError, prefix(name) + r".*uint16 arrays holding bfloat16 bit patterns need "
         r"dtype='bfloat16'")
    vector = spec.valid[a].ndim == 1
    if not one_array:
        case(f"{name}-dtypes-differ",
             lambda: call(name, **{b: spec.valid[b].astype(np.float64)}), TypeError,
             prefix(name) + f"{a} has dtype float32 but {b} has dtype float64; expected "
             r"the same dtype \(simdkit does not cast\)")
        longer = np.ones(spec.valid[b].shape[:-1] + (5,), np.float32)
        case(f"{name}-dims-differ", lambda: call(name, **{b: longer}), ValueError,
             prefix(name) + f"{a} has shape .* and {b} has shape .*; expected " +
             ("vectors of equal length" if vector else "equal last dimensions"))
    # Extents: broadcast views cost no memory.
    huge = np.broadcast_to(np.float32(0), (2**31,) if vector else (1, 2**31))
    case(f"{name}-extent-beyond-2**31-1", lambda: call(name, **{a: huge, b: huge}), ValueError,
         prefix(name) + f"argument '{a}' has shape .*; expected at most 2147483647 elements along "
         "every dimension")
    bits = np.broadcast_to(np.uint8(0), (2**28,) if vector else (1, 2**28))
    case(f"{name}-bits-beyond-2**31-1", lambda: call(name, **{a: bits, b: bits}, metric="hamming",
                                                     dtype="bits"),
         ValueError, prefix(name) + r"vectors of 268435456 bytes hold more than 2\^31 - 1 bits; "
         "expected at most 268435455 bytes per vector")
    if spec.threads:
        for label, threads, error, message in [
            ("0", 0, ValueError, r"threads must be None \(one per core\) or a positive int, got 0"),
            ("-1", -1, ValueError, r"threads must be None \(one per core\) or a positive int, "
                                   "got -1"),
            ("float", 2.0, TypeError, "threads must be None or a positive int, got float"),
            ("str", "2", TypeError, "threads must be None or a positive int, got str"),
            ("bool", True, TypeError, "threads must be None or a positive int, got bool"),
        ]:
            case(f"{name}-threads-{label}", lambda t=threads: call(name, threads=t), error,
                 prefix(name) + message)


def add_signature_cases(name, spec):
    first = spec.required[0]
    case(f"{name}-no-arguments", lambda: getattr(simdkit, name)(), TypeError,
         rf"(?s){name}\(\).*\b{first}\b")
    case(f"{name}-unknown-keyword", lambda: call(name, bogus=1), TypeError,
         rf"(?s){name}\(\).*(bogus|{first})")


for _name, _spec in SPECS.items():
    add_array_cases(_name, _spec)
    add_out_cases(_name, _spec)
    add_axis_cases(_name, _spec)
    add_distance_cases(_name, _spec)
    add_signature_cases(_name, _spec)

# Cases particular to one function.
_F = ones((3, 4))
case("dot-0-d", lambda: simdkit.dot(np.array(1.0, np.float32), ones(4)), ValueError,
     r"simdkit\.dot: expected arrays with at least one dimension, got a 0-d array for 'a'")
case("dot-last-dims-differ", lambda: simdkit.dot(_F, ones(5)), ValueError,
     r"simdkit\.dot: last dimensions differ: a has shape \(3, 4\) and b has shape \(5,\); "
     "expected vectors of equal length")
case("dot-batch-not-broadcastable", lambda: simdkit.dot(_F, ones((2, 4))), ValueError,
     r"simdkit\.dot: batch shapes \(3,\) and \(2,\) cannot be broadcast together")
case("dot-dtypes-differ", lambda: simdkit.dot(_F, ones(4, np.float64)), TypeError,
     r"simdkit\.dot: a has dtype float32 but b has dtype float64; expected the same dtype")
case("paired-rows-differ", lambda: simdkit.paired(_F, ones((2, 4)), "dot"), ValueError,
     r"simdkit\.paired: A has shape \(3, 4\) and B has shape \(2, 4\); expected equal shapes")
for _label, _k, _error, _message in [
    ("0", 0, ValueError, r"k must satisfy 1 <= k <= 5 \(the number of rows of X\), got 0"),
    ("-1", -1, ValueError, r"k must satisfy 1 <= k <= 5 \(the number of rows of X\), got -1"),
    ("n+1", 6, ValueError, r"k must satisfy 1 <= k <= 5 \(the number of rows of X\), got 6"),
    ("2**70", 2**70, ValueError, rf"k must satisfy 1 <= k <= 5 \(the number of rows of X\), "
                                 rf"got {2**70}"),
    ("-2**70", -2**70, ValueError, r"k must satisfy 1 <= k <= 5 .*got -"),
    ("float", 2.0, TypeError, "k must be an int, got float"),
    ("str", "2", TypeError, "k must be an int, got str"),
    ("bool", True, TypeError, "k must be an int, got bool"),
    ("None", None, TypeError, "k must be an int, got NoneType"),
    ("array", np.array([2]), TypeError, "k must be an int, got ndarray"),
]:
    case(f"topk-k-{_label}", lambda k=_k: call("topk", k=k), _error, prefix("topk") + _message)
case("topk-no-rows-in-X", lambda: call("topk", X=ones((0, 4)), k=1), ValueError,
     prefix("topk") + r"k must satisfy 1 <= k <= 0 .*got 1; X has no rows")
case("dequantize-scale-shape", lambda: call("dequantize_int8", scale=ones(4)), ValueError,
     prefix("dequantize_int8") + r"scale must have q's shape without axis 1, \(3,\), got \(4,\)")
case("dequantize-scale-shape-axis-0", lambda: call("dequantize_int8", axis=0), ValueError,
     prefix("dequantize_int8") + r"scale must have q's shape without axis 0, \(4,\), got \(3,\)")
case("quantize-non-finite", lambda: simdkit.quantize_int8(np.array([1, np.inf], np.float32)),
     ValueError, r"simdkit::quantize_int8: row 0 contains NaN or Inf; int8 quantization needs "
     "finite values")
for _name, _format, _patterns in [("from_bfloat16", "bfloat16", "uint16"),
                                  ("from_float16", "float16", "uint16"),
                                  *[(f"from_{n}", d, "uint8") for n, d in FLOAT8]]:
    case(f"{_name}-{_patterns}-without-keyword",
         lambda n=_name, p=_patterns: call(n, y=np.ones(3, p)),
         TypeError, prefix(_name) + f"argument 'y' must have dtype {_format} in native byte "
         f"order, got {_patterns} .*{_patterns} arrays holding {_format} bit patterns need "
         f"dtype='{_format}'")
    case(f"{_name}-dtype-keyword-unknown", lambda n=_name: call(n, dtype="float32"), ValueError,
         prefix(_name) + f"dtype must be None \\(the array's own dtype\\) or '{_format}'")
    case(f"{_name}-dtype-keyword-other-format",
         lambda n=_name, f=_format, p=_patterns: call(
             n, y=np.ones(3, p), dtype="float16" if f == "bfloat16" else "bfloat16"),
         ValueError, prefix(_name) + f"dtype must be None \\(the array's own dtype\\) or "
         f"'{_format}'")
    case(f"{_name}-dtype-keyword-not-str", lambda n=_name: call(n, dtype=np.float32), TypeError,
         prefix(_name) + f"dtype must be None .* or '{_format}'.*got type")
for _name in ("softmax", "log_softmax", "normalize", "logsumexp"):
    case(f"{_name}-0-d-with-axis", lambda n=_name: call(n, x=np.array(1.0, np.float32)), ValueError,
         prefix(_name) + "x is 0-d; expected at least one dimension for axis=-1")
for _name in ("sum", "norm", "min", "max", "argmin", "argmax"):
    case(f"{_name}-0-d-with-axis", lambda n=_name: call(n, a=np.array(1.0, np.float32), axis=0),
         np.exceptions.AxisError, "axis 0 is out of bounds for array of dimension 0")
    case(f"{_name}-keepdims-not-bool", lambda n=_name: call(n, keepdims="yes"), TypeError,
         rf"simdkit\.{_name}: keepdims must be a bool, got str")
# Zero-size input that has no answer (all others are answered:
# test_zero_size_inputs_are_answered).
for _name, _numpy_name in [("min", "minimum"), ("max", "maximum"), ("argmin", "argmin"),
                           ("argmax", "argmax")]:
    case(f"{_name}-zero-size", lambda n=_name: call(n, a=ones((0, 3))), ValueError,
         prefix(_name) + f"zero-size array to reduction operation {_numpy_name} which has no "
         "identity; expected at least one element")
    case(f"{_name}-zero-size-axis", lambda n=_name: call(n, a=ones((3, 0)), axis=1), ValueError,
         prefix(_name) + "zero-size array .*; expected at least one element along the axis")
# Unknown target names (the dispatch API).
_COMPILED = simdkit.targets()["compiled"]
_TARGET_LIST = re.escape(", ".join(_COMPILED))
for _label, _thunk in [("set_target", lambda: simdkit.set_target("AVX9")),
                       ("use_target", lambda: simdkit.use_target("AVX9").__enter__()),
                       ("set_target-padded", lambda: simdkit.set_target(f" {_COMPILED[-1]}"))]:
    case(f"{_label}-unknown-name", _thunk, ValueError,
         rf"unknown simdkit target '.*'; expected one of: {_TARGET_LIST} \(case-insensitive\)")
# disable_targets also takes the AMX backend's pseudo-target name.
case("disable_targets-unknown-name", lambda: simdkit.disable_targets(["AVX9"]), ValueError,
     rf"unknown simdkit target 'AVX9'; expected one of: {_TARGET_LIST}, AMX \(case-insensitive\)")
case("disable_targets-everything", lambda: simdkit.disable_targets(_COMPILED), ValueError,
     r"cannot disable every supported simdkit target")
for _label, _thunk in [("str", lambda: simdkit.disable_targets("AMX")),
                       ("int", lambda: simdkit.disable_targets(3)),
                       ("list-of-int", lambda: simdkit.disable_targets([3]))]:
    case(f"disable_targets-not-a-list-of-str-{_label}", _thunk, TypeError,
         r"simdkit\.disable_targets: expected a list of target names \(str\), got")
case("disable_targets-comma", lambda: simdkit.disable_targets(["AMX,AVX2"]), ValueError,
     r"contains a comma; pass one name per list item")
for _label, _thunk in [("set_target", lambda: simdkit.set_target(2)),
                       ("use_target", lambda: simdkit.use_target(b"AVX2").__enter__())]:
    case(f"{_label}-not-a-str", _thunk, TypeError,
         r"simdkit\.set_target: expected a target name \(str\) or None, got")
for _name in sorted(set(simdkit.targets()["compiled"]) - set(simdkit.targets()["supported"])):
    case(f"set_target-unsupported-{_name}", lambda n=_name: simdkit.set_target(n), RuntimeError,
         rf"simdkit target {_name} is not supported by this CPU .*; supported targets: ")


@pytest.mark.parametrize("thunk, error, message", CASES)
def test_bad_input(thunk, error, message):
    before = simdkit.targets()["active"]
    with pytest.raises(error) as raised:
        thunk()
    assert re.search(message, str(raised.value)), (
        f"{type(raised.value).__name__} message {str(raised.value)!r} does not match {message!r}")
    # A refused call changes nothing.
    assert simdkit.targets()["active"] == before


def test_every_public_function_is_described():
    """A new public function must be added to SPECS (or, if it takes no
    arrays, to conftest's DISPATCH_FUNCTIONS)."""
    assert public_kernels() - set(SPECS) == set()
    assert set(SPECS) - public_kernels() == set()


def test_every_category_reaches_every_function_it_applies_to():
    """The table holds, for each function, a case of each category that
    applies to it (guards the generators above against silently skipping)."""
    ids = [p.id for p in CASES]
    for name, spec in SPECS.items():
        expected = ["not-an-array", "dtype-int32", "dtype-big-endian", "no-arguments"]
        expected += ["out-read-only", "out-overlaps-input", "out-shape", "out-dtype"] if spec.out \
            else []
        expected += ["axis-2", "axis-str"] if spec.axis else []
        expected += ["metric-unknown", "extent-beyond"] if spec.distance else []
        expected += ["dims-differ"] if spec.distance and len(spec.arrays) == 2 else []
        expected += ["-ndim-"] if spec.ndim else []
        for category in expected:
            assert any(i.startswith(name + "-") and category in i for i in ids), (name, category)


def test_valid_calls_of_the_table_succeed():
    """The base call of every SPECS entry works, so that each bad case
    fails for the one thing it changes."""
    for name in SPECS:
        call(name)


# ---------------------------------------------------------------------------
# Zero-size input: answered (or refused above), never a crash
# ---------------------------------------------------------------------------
def zero_size_calls():
    e = ones((0, 4))
    yield "sum", lambda: simdkit.sum(ones((0, 4))), np.float32(0)
    yield "sum axis", lambda: simdkit.sum(ones((0, 4)), axis=0), np.zeros(4, np.float32)
    yield "norm", lambda: simdkit.norm(ones((3, 0)), axis=1), np.zeros(3, np.float32)
    yield "min rows", lambda: simdkit.min(e, axis=1), np.zeros(0, np.float32)
    yield "argmax rows", lambda: simdkit.argmax(e, axis=1), np.zeros(0, np.intp)
    yield "dot", lambda: simdkit.dot(e, ones(4)), np.zeros(0, np.float32)
    yield "dot d=0", lambda: simdkit.dot(ones((2, 0)), ones(0)), np.zeros(2, np.float32)
    yield "distance d=0", lambda: simdkit.distance(ones(0), ones(0), "cityblock"), np.float32(0)
    yield "paired", lambda: simdkit.paired(e, e, "dot"), np.zeros(0, np.float32)
    yield "cdist", lambda: simdkit.cdist(e, ones((2, 4))), np.zeros((0, 2), np.float32)
    yield "cdist out", lambda: simdkit.cdist(ones((2, 4)), e, out=np.empty((2, 0), np.float32)), \
        np.zeros((2, 0), np.float32)
    yield "pdist", lambda: simdkit.pdist(e), np.zeros(0, np.float32)
    yield "pdist one row", lambda: simdkit.pdist(ones((1, 4)), out=np.empty(0, np.float32)), \
        np.zeros(0, np.float32)
    yield "topk", lambda: simdkit.topk(e, ones((3, 4)), 2, "dot")[0], np.zeros((0, 2), np.int64)
    yield "to_bfloat16", lambda: simdkit.to_bfloat16(e), np.zeros((0, 4), BF16)
    yield "from_float16", lambda: simdkit.from_float16(ones((0, 4), np.float16)), \
        np.zeros((0, 4), np.float32)
    yield "quantize_int8", lambda: simdkit.quantize_int8(ones((3, 0)))[1], np.zeros(3, np.float32)
    yield "dequantize_int8", lambda: simdkit.dequantize_int8(ones((0, 4), np.int8), ones(0)), \
        np.zeros((0, 4), np.float32)
    yield "exp", lambda: simdkit.exp(e), np.zeros((0, 4), np.float32)
    yield "exp out", lambda: simdkit.exp(e, out=np.empty((0, 4), np.float32)), \
        np.zeros((0, 4), np.float32)
    yield "softmax", lambda: simdkit.softmax(ones((3, 0))), np.zeros((3, 0), np.float32)
    yield "logsumexp", lambda: simdkit.logsumexp(ones((2, 0))), np.full(2, -np.inf, np.float32)
    yield "logsumexp all", lambda: simdkit.logsumexp(e, axis=None), np.float32(-np.inf)


@pytest.mark.parametrize("thunk, expected", [pytest.param(t, e, id=i) for i, t, e in
                                             zero_size_calls()])
def test_zero_size_inputs_are_answered(thunk, expected):
    got = thunk()
    expected = np.asarray(expected)
    assert np.asarray(got).dtype == expected.dtype
    np.testing.assert_array_equal(got, expected, strict=True)
