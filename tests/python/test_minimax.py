"""The math kernels' polynomial coefficients are the ones tools/minimax.py
derives: rerunning each fit gives, digit for digit, the constants written in
kernels/math-inl.h and kernels/binary_math-inl.h, and the fit's own error is
below what the kernel's accuracy relies on."""
import concurrent.futures
import importlib.util
import os
import pathlib
import re

import pytest

from conftest import skip_module_under_emulator

skip_module_under_emulator("the fits run in mpmath, minutes under emulation; they do not depend "
                           "on the CPU")

ROOT = pathlib.Path(__file__).resolve().parents[2]
KERNELS = [ROOT / "kernels" / "math-inl.h", ROOT / "kernels" / "binary_math-inl.h"]
MINIMAX = ROOT / "tools" / "minimax.py"


def load_minimax():
    spec = importlib.util.spec_from_file_location("minimax", MINIMAX)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fit_by_name(name):
    """One fit's coefficients, in a worker process (mpmath is pure Python)."""
    minimax = load_minimax()
    return minimax.fit(minimax.FITS[name])


try:
    FIT_NAMES = sorted(load_minimax().FITS) if MINIMAX.exists() else []
except ImportError:  # no mpmath: the fixture skips
    FIT_NAMES = ["(none: mpmath is missing)"]


@pytest.fixture(scope="module")
def fits():
    """Every fit, run on every core at once: a few minutes of mpmath in one."""
    pytest.importorskip("mpmath")
    if not all(kernel.exists() for kernel in KERNELS):
        pytest.skip("needs the source tree")
    workers = max(1, min(len(FIT_NAMES), len(os.sched_getaffinity(0))))
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        return dict(zip(FIT_NAMES, pool.map(fit_by_name, FIT_NAMES)))


def kernel_constants():
    """Every floating literal in the kernel sources, as the value it parses to."""
    text = "".join(kernel.read_text() for kernel in KERNELS)
    return {float(m.rstrip("f")) for m in re.findall(r"-?\d+\.\d+(?:e-?\d+)?f?", text)}


@pytest.mark.parametrize("name", FIT_NAMES)
def test_kernel_coefficients_are_the_fit(fits, name):
    dtype = load_minimax().FITS[name]["dtype"]
    # Compared in the lane type: a float32 literal is the float32 it rounds to.
    constants = {dtype(value) for value in kernel_constants()}
    for c in fits[name]:
        assert c in constants, f"{name}: {c!r} is in none of {[k.name for k in KERNELS]}"
