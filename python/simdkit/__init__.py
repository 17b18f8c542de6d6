"""simdkit: SIMD kernels with runtime CPU dispatch, for NumPy arrays.

Every kernel is compiled for several instruction sets (targets); at import
the best one this CPU supports is chosen. ``targets()`` shows the choice,
``set_target``/``use_target`` override it, and the environment variable
``SIMDKIT_TARGET=NAME`` forces it at import.

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
    dot,
    max,
    min,
    norm,
    probe_target,
    set_target,
    sum,
    targets,
)

__all__ = [
    "__version__",
    "argmax",
    "argmin",
    "dot",
    "max",
    "min",
    "norm",
    "probe_target",
    "set_target",
    "sum",
    "targets",
    "use_target",
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


_environment_warning = _core._apply_environment()
if _environment_warning:
    warnings.warn(_environment_warning, RuntimeWarning, stacklevel=2)
del _environment_warning
