from typing import Any, Literal, TypedDict, overload

import numpy as np
import numpy.typing as npt

__version__: str

_Float = np.float32 | np.float64
_FloatArray = npt.NDArray[np.float32] | npt.NDArray[np.float64]

# Distance family (docs/distance.md). Element dtypes: float64, float32,
# float16, ml_dtypes.bfloat16, int8, uint8, bool; uint16 holding bfloat16 bit
# patterns with dtype="bfloat16"; uint8 of packed bits with dtype="bits".
# Results are float64 for float64 input and float32 otherwise.
Metric = Literal["dot", "cosine", "sqeuclidean", "euclidean", "cityblock", "hamming", "jaccard"]
DistanceDType = Literal["bfloat16", "bits"]
_DistanceArray = npt.NDArray[Any]

class TargetReport(TypedDict):
    active: str
    compiled: list[str]
    supported: list[str]
    disabled: list[str]

class RuntimeInfo(TypedDict):
    simdkit_version: str
    highway_version: str
    cpu_model: str
    cpu_features: list[str]
    active: str
    probe: str
    compiled: list[str]
    supported: list[str]
    disabled: list[str]
    forced: str

def targets() -> TargetReport: ...
def info() -> RuntimeInfo: ...
def set_target(name: str | None) -> None: ...
def probe_target() -> str: ...
def _forced_target() -> str: ...
def _apply_environment() -> list[str]: ...

@overload
def sum(a: _FloatArray, axis: None = None, keepdims: bool = False) -> Any: ...
@overload
def sum(a: _FloatArray, axis: int, keepdims: bool = False) -> _FloatArray: ...
@overload
def norm(a: _FloatArray, axis: None = None, keepdims: bool = False) -> Any: ...
@overload
def norm(a: _FloatArray, axis: int, keepdims: bool = False) -> _FloatArray: ...
@overload
def min(a: _FloatArray, axis: None = None, keepdims: bool = False) -> Any: ...
@overload
def min(a: _FloatArray, axis: int, keepdims: bool = False) -> _FloatArray: ...
@overload
def max(a: _FloatArray, axis: None = None, keepdims: bool = False) -> Any: ...
@overload
def max(a: _FloatArray, axis: int, keepdims: bool = False) -> _FloatArray: ...
@overload
def argmin(a: _FloatArray, axis: None = None, keepdims: bool = False) -> np.intp: ...
@overload
def argmin(a: _FloatArray, axis: int, keepdims: bool = False) -> npt.NDArray[np.intp]: ...
@overload
def argmax(a: _FloatArray, axis: None = None, keepdims: bool = False) -> np.intp: ...
@overload
def argmax(a: _FloatArray, axis: int, keepdims: bool = False) -> npt.NDArray[np.intp]: ...
def dot(a: _FloatArray, b: _FloatArray) -> Any: ...

def distance(a: _DistanceArray, b: _DistanceArray, metric: Metric, *,
             dtype: DistanceDType | None = None) -> np.float32 | np.float64: ...
def paired(A: _DistanceArray, B: _DistanceArray, metric: Metric, *,
           dtype: DistanceDType | None = None) -> _FloatArray: ...
def cdist(A: _DistanceArray, B: _DistanceArray, metric: Metric = "euclidean", *,
          dtype: DistanceDType | None = None, threads: int | None = None,
          out: _FloatArray | None = None) -> _FloatArray: ...
def topk(Q: _DistanceArray, X: _DistanceArray, k: int, metric: Metric, *,
         dtype: DistanceDType | None = None,
         threads: int | None = None) -> tuple[npt.NDArray[np.int64], _FloatArray]: ...
