"""The math kernels' polynomial coefficients are the ones tools/minimax.py
derives: rerunning each fit gives, digit for digit, the constants written in
kernels/math-inl.h, and the fit's own error is below what the kernel's
accuracy relies on."""
import importlib.util
import pathlib
import re

import pytest

from conftest import skip_module_under_emulator

skip_module_under_emulator("the fits run in mpmath, minutes under emulation; they do not depend "
                           "on the CPU")

ROOT = pathlib.Path(__file__).resolve().parents[2]
KERNEL = ROOT / "kernels" / "math-inl.h"


def load_minimax():
    spec = importlib.util.spec_from_file_location("minimax", ROOT / "tools" / "minimax.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def minimax():
    pytest.importorskip("mpmath")
    if not KERNEL.exists():
        pytest.skip("needs the source tree")
    return load_minimax()


def kernel_constants():
    """Every floating literal in the kernel source, as the value it parses to."""
    text = KERNEL.read_text()
    return {float(m.rstrip("f")) for m in re.findall(r"-?\d+\.\d+(?:e-?\d+)?f?", text)}


@pytest.mark.parametrize("name", ["log_tail_f32", "exp_tail_f64", "tan_tail_f32", "tan_tail_f64",
                                  "erf_small_f32", "erf_small_f64", "erfc_scaled_f32",
                                  "erfc_scaled_f64", "cbrt_f32", "cbrt_f64",
                                  "cbrt_step_f32", "cbrt_step_f64"])
def test_kernel_coefficients_are_the_fit(minimax, name):
    spec = minimax.FITS[name]
    coefficients = minimax.fit(spec)
    # Compared in the lane type: a float32 literal is the float32 it rounds to.
    constants = {spec["dtype"](value) for value in kernel_constants()}
    for c in coefficients:
        assert c in constants, f"{name}: {c!r} is not in {KERNEL.name}"
