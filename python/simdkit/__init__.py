"""simdkit: SIMD kernels with runtime CPU dispatch, for NumPy arrays.

Every kernel is compiled for several instruction sets (targets); at import
the best one this CPU supports is chosen. ``targets()`` shows the choice,
``set_target``/``use_target`` override it. At import, the environment
variable ``SIMDKIT_DISABLE=NAME[,NAME...]`` excludes targets and
``SIMDKIT_TARGET=NAME`` forces one; a value that cannot be applied warns
(RuntimeWarning) and the automatic choice stands. ``disable_targets`` does
the same at run time. On Intel CPUs with AMX, bfloat16/int8/uint8 ``cdist``,
``pdist`` and ``topk`` run on its tile instructions beside the targets (``targets()``
keys ``amx_*``; the name ``"AMX"`` disables it).

Families: reductions (``sum``, ``dot``, ``norm``, ``min``, ``max``,
``argmin``, ``argmax``, as NumPy) and distances (``distance``, ``paired``,
``cdist``, ``pdist``, ``topk``, with the metrics of scipy.spatial.distance, and
``pack`` for a database queried many times; see docs/distance.md) and
conversions (``to_bfloat16``, ``from_bfloat16``, ``to_float16``,
``from_float16``, ``to_float8_e4m3``, ``from_float8_e4m3``,
``to_float8_e5m2``, ``from_float8_e5m2``, ``quantize_int8``,
``dequantize_int8``,
bit-identical to ml_dtypes/NumPy; see docs/convert.md) and math
(``exp``, ``log``, ``sin``, ..., ``sigmoid``, ``gelu``, elementwise with
``out=``, and ``softmax``, ``log_softmax``, ``logsumexp``, ``normalize``
along an axis; see docs/math.md).

Inputs are used as they are: a wrong dtype raises TypeError instead of being
cast, and contiguous arrays are read without copying.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

from . import _core
from ._core import (
    __version__,
    argmax,
    argmin,
    cdist,
    dequantize_int8,
    disable_targets,
    distance,
    dot,
    from_bfloat16,
    from_float16,
    from_float8_e4m3,
    from_float8_e5m2,
    info,
    max,
    min,
    norm,
    pack,
    PackedMatrix,
    paired,
    pdist,
    probe_target,
    quantize_int8,
    set_target,
    sum,
    targets,
    to_bfloat16,
    to_float16,
    to_float8_e4m3,
    to_float8_e5m2,
    topk,
)
from ._core import (  # math: elementwise functions and row kernels (docs/math.md)
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    cbrt,
    cos,
    cosh,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    gelu,
    gelu_tanh,
    log,
    log10,
    log1p,
    log2,
    log_softmax,
    logsumexp,
    normalize,
    sigmoid,
    silu,
    sin,
    sinh,
    softmax,
    softplus,
    sqrt,
    tan,
    tanh,
)
from ._core import (  # math: binary elementwise functions with broadcasting (docs/math.md)
    atan2,
    hypot,
    power,
)

__all__ = [
    "__version__",
    "argmax",
    "argmin",
    "cdist",
    "dequantize_int8",
    "disable_targets",
    "distance",
    "dot",
    "from_bfloat16",
    "from_float16",
    "from_float8_e4m3",
    "from_float8_e5m2",
    "info",
    "max",
    "min",
    "norm",
    "pack",
    "PackedMatrix",
    "paired",
    "pdist",
    "probe_target",
    "quantize_int8",
    "set_target",
    "sum",
    "targets",
    "to_bfloat16",
    "to_float16",
    "to_float8_e4m3",
    "to_float8_e5m2",
    "topk",
    "use_target",
]
__all__ += [  # math
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cbrt",
    "cos",
    "cosh",
    "erf",
    "erfc",
    "exp",
    "exp2",
    "expm1",
    "gelu",
    "gelu_tanh",
    "log",
    "log10",
    "log1p",
    "log2",
    "log_softmax",
    "logsumexp",
    "normalize",
    "sigmoid",
    "silu",
    "sin",
    "sinh",
    "softmax",
    "softplus",
    "sqrt",
    "tan",
    "tanh",
]


@contextlib.contextmanager
def use_target(name: str | None) -> Iterator[None]:
    """Run the body with target ``name`` forced (None: automatic), then restore
    the previous choice, also when the body raises."""
    previous = _core._forced_target() or None
    set_target(name)
    try:
        yield
    finally:
        set_target(previous)


for _warning in _core._apply_environment():
    warnings.warn(_warning, RuntimeWarning, stacklevel=2)
__all__ += [  # math: binary elementwise functions
    "atan2",
    "hypot",
    "power",
]
