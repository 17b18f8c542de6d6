from contextlib import AbstractContextManager

from ._core import (
    __version__ as __version__,
    argmax as argmax,
    argmin as argmin,
    cdist as cdist,
    distance as distance,
    dot as dot,
    info as info,
    max as max,
    min as min,
    norm as norm,
    paired as paired,
    probe_target as probe_target,
    set_target as set_target,
    sum as sum,
    targets as targets,
    topk as topk,
)

def use_target(name: str | None) -> AbstractContextManager[None]: ...
