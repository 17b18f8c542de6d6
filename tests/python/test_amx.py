"""The AMX backend of bfloat16/int8/uint8 cdist and topk (docs/distance.md):
how targets()/info() show it, how SIMDKIT_DISABLE=AMX, disable_targets and a
forced target below AVX3_DL turn it off, and its results against the Highway
path with it turned off (bit for bit for int8/uint8) and against float64
(bfloat16, within the documented bound).

Without AMX on this machine (or under qemu) both sides of each comparison run
the Highway path: the tests still pass, and the C++ suite checks the
backend's packing and loop through its scalar tile model
(tests/cpp/amx_test.cc)."""

import json
import subprocess
import textwrap

import ml_dtypes
import numpy as np
import pytest

import simdkit
from conftest import PYTHON_COMMAND, SUPPORTED_TARGETS

AMX = simdkit.targets()
BELOW_AVX3_DL = [t for t in SUPPORTED_TARGETS if t in ("AVX3", "AVX2", "SSE4", "SSSE3", "SSE2",
                                                        "EMU128", "SCALAR")]
METRICS = ["dot", "cosine", "sqeuclidean", "euclidean"]


@pytest.fixture(autouse=True)
def _nothing_disabled():
    simdkit.disable_targets([])
    yield
    simdkit.disable_targets([])


def without_amx(function, *args, **kwargs):
    simdkit.disable_targets(["AMX"])
    try:
        return function(*args, **kwargs)
    finally:
        simdkit.disable_targets([])


def random_rows(dtype, rows, cols, seed):
    rng = np.random.default_rng([seed, rows, cols])
    if dtype == "bfloat16":
        return rng.standard_normal((rows, cols)).astype(ml_dtypes.bfloat16)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, (rows, cols)).astype(dtype)


# ---------------------------------------------------------------------------
# Visible and controllable like a target
# ---------------------------------------------------------------------------
def test_targets_report_amx():
    t = simdkit.targets()
    assert isinstance(t["amx_available"], bool)
    assert isinstance(t["amx_used"], bool)
    assert isinstance(t["amx_reason"], str)
    assert t["amx_used"] == (t["amx_reason"] == "")
    assert not t["amx_used"] or t["amx_available"]
    if not t["amx_available"]:
        assert t["amx_reason"] in ("cpu lacks AMX", "cpu lacks AVX-512 (F, BW, DQ, VL)",
                                   "OS does not enable AVX-512 state",
                                   "OS does not enable tile state", "kernel refused permission",
                                   "kernel did not grant permission", "compiler lacks AMX",
                                   "not an x86-64 build"), t["amx_reason"]
    info = simdkit.info()
    assert {"amx_available", "amx_used", "amx_reason"} <= set(info)
    assert info["amx_available"] == t["amx_available"]


def test_disable_targets_turns_amx_off_and_on():
    simdkit.disable_targets(["amx"])
    t = simdkit.targets()
    assert t["disabled"] == ["AMX"]
    assert not t["amx_used"]
    assert t["active"] == SUPPORTED_TARGETS[0]  # the Highway choice stands
    if t["amx_available"]:
        assert t["amx_reason"] == "disabled (SIMDKIT_DISABLE / disable_targets)"
    simdkit.disable_targets([])
    assert simdkit.targets()["disabled"] == []
    assert simdkit.targets()["amx_used"] == AMX["amx_used"]


def test_set_target_refuses_amx():
    with pytest.raises(ValueError, match="AMX cannot be forced"):
        simdkit.set_target("AMX")


@pytest.mark.parametrize("target", BELOW_AVX3_DL)
def test_targets_below_avx3_dl_turn_amx_off(target):
    with simdkit.use_target(target):
        t = simdkit.targets()
        assert not t["amx_used"]
        if t["amx_available"]:
            assert t["amx_reason"] == "target below AVX3_DL"
    assert simdkit.targets()["amx_used"] == AMX["amx_used"]


CHILD = textwrap.dedent("""
    import json, warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import simdkit
    print(json.dumps({"targets": simdkit.targets(),
                      "warnings": [str(w.message) for w in caught]}))
""")


@pytest.mark.parametrize("value", ["AMX", "amx", " Amx "])
def test_env_disable_amx(value):
    env = {**__import__("os").environ, "SIMDKIT_DISABLE": value}
    env.pop("SIMDKIT_TARGET", None)
    proc = subprocess.run([*PYTHON_COMMAND, "-c", CHILD], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["warnings"] == []
    assert result["targets"]["disabled"] == ["AMX"]
    assert result["targets"]["active"] == SUPPORTED_TARGETS[0]
    assert not result["targets"]["amx_used"]
    assert result["targets"]["amx_available"] == AMX["amx_available"]


def test_info_command_prints_amx():
    proc = subprocess.run([*PYTHON_COMMAND, "-m", "simdkit", "info"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    line = [text for text in proc.stdout.splitlines() if text.startswith("amx:")]
    assert len(line) == 1, proc.stdout
    assert ("used" if AMX["amx_used"] else AMX["amx_reason"]) in line[0]


# ---------------------------------------------------------------------------
# Results: AMX against the Highway path
# ---------------------------------------------------------------------------
SHAPES = [(1, 1, 1), (3, 40, 3), (33, 17, 64), (70, 45, 65), (40, 100, 130), (100, 300, 768)]


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{m}x{n}x{d}" for m, n, d in SHAPES])
def test_cdist_bytes_bit_identical_to_highway(dtype, shape):
    m, n, d = shape
    a = random_rows(dtype, m, d, 1)
    b = random_rows(dtype, n, d, 2)
    b[::7] = a[0]  # equal rows: cosine 0, sqeuclidean 0
    a[-1] = 0      # a zero row: cosine NaN
    for metric in METRICS:
        for threads in (1, 2):
            got = simdkit.cdist(a, b, metric, threads=threads)
            expected = without_amx(simdkit.cdist, a, b, metric, threads=threads)
            assert got.dtype == expected.dtype == np.float32
            np.testing.assert_array_equal(got, expected, err_msg=f"{metric} threads={threads}")


def test_cdist_bytes_strided_and_offset():
    base = random_rows("int8", 60, 300, 3)
    a = base[1:, 5:133]          # row stride 300, rows start 5 bytes in
    b = base[::2, 7:135]
    for metric in METRICS:
        np.testing.assert_array_equal(simdkit.cdist(a, b, metric),
                                      without_amx(simdkit.cdist, a, b, metric), err_msg=metric)


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("metric", METRICS)
def test_topk_bytes_identical_to_highway(dtype, metric):
    q = random_rows(dtype, 45, 96, 4)
    x = random_rows(dtype, 1000, 96, 5)
    x[500:] = x[:500]  # every candidate tied with another: ties to the lower index
    for k in (1, 10, 1000):
        got = simdkit.topk(q, x, k, metric, threads=2)
        expected = without_amx(simdkit.topk, q, x, k, metric, threads=2)
        np.testing.assert_array_equal(got[0], expected[0], err_msg=f"indices k={k}")
        np.testing.assert_array_equal(got[1], expected[1], err_msg=f"distances k={k}")


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", [1, 31, 32, 33, 768])
def test_cdist_bfloat16_within_documented_bound(metric, d):
    """docs/distance.md: dot within (2d + 4) 2^-24 sum|a_i b_i|, cosine within
    3 (2d + 4) 2^-24 absolute, as the Highway path (float32 accumulation);
    sqeuclidean (the norm form) within min(2^-12 value, 2 gamma (|a|^2 + |b|^2))
    plus the float32 result's rounding, euclidean within its square root's
    share."""
    a = random_rows("bfloat16", 40, d, 6)
    b = random_rows("bfloat16", 50, d, 7)
    b[:10] = a[:10]  # equal rows: sqeuclidean 0, recomputed
    b[10:20] = (a[10:20].astype(np.float32) * (1 + 2.0**-7)).astype(ml_dtypes.bfloat16)  # close
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    u = 2.0**-24
    gamma = (2 * d + 4) * u / (1 - (2 * d + 4) * u)
    got = simdkit.cdist(a, b, metric).astype(np.float64)
    dots = a64 @ b64.T
    squares = (a64**2).sum(1)[:, None] + (b64**2).sum(1)[None, :]
    if metric == "dot":
        bound = gamma * (np.abs(a64) @ np.abs(b64).T)
        expected = dots
    elif metric in ("sqeuclidean", "euclidean"):
        exact = ((a64[:, None, :] - b64[None, :, :]) ** 2).sum(2)
        squared_bound = np.minimum(2.0**-12 * exact, 2 * gamma * squares) + 2 * u * exact
        if metric == "sqeuclidean":
            expected, bound = exact, squared_bound
        else:
            expected = np.sqrt(exact)
            bound = np.minimum(np.sqrt(squared_bound), squared_bound / np.maximum(expected, 1e-300))
            bound += 2 * u * expected
    else:
        norms = np.sqrt((a64**2).sum(1))[:, None] * np.sqrt((b64**2).sum(1))[None, :]
        expected = np.clip(1 - dots / norms, 0, 2)
        bound = 3 * gamma
    assert (np.abs(got - expected) <= bound).all(), np.max(np.abs(got - expected) - bound)


def test_topk_bfloat16_is_the_best_of_its_cdist():
    q = random_rows("bfloat16", 20, 64, 8)
    x = random_rows("bfloat16", 300, 64, 9)
    for metric in METRICS:
        distances = simdkit.cdist(q, x, metric)
        order = np.argsort(-distances if metric == "dot" else distances, axis=1, kind="stable")
        indices, values = simdkit.topk(q, x, 5, metric)
        np.testing.assert_array_equal(indices, order[:, :5], err_msg=metric)
        np.testing.assert_array_equal(values, np.take_along_axis(distances, order[:, :5], 1))


def test_integer_extremes_through_amx():
    """d = 2^20 + 3 with -128 * -128: 2^34 and more, beyond int32 (NumKong
    wraps here); exact through the backend's int64 depth blocks."""
    n = 2**20 + 3
    cases = [
        (np.full(n, -128, np.int8), np.full(n, -128, np.int8)),
        (np.full(n, -128, np.int8), np.full(n, 127, np.int8)),
        (np.full(n, 255, np.uint8), np.full(n, 0, np.uint8)),
        (np.full(n, 255, np.uint8), np.full(n, 255, np.uint8)),
    ]
    for a, b in cases:
        a64, b64 = a.astype(np.int64), b.astype(np.int64)
        exact = {"dot": int(a64 @ b64), "sqeuclidean": int(((a64 - b64) ** 2).sum())}
        for metric, value in exact.items():
            got = simdkit.cdist(np.stack([a] * 3), np.stack([b] * 2), metric)
            assert (got == np.float32(value)).all(), (metric, a[:2], b[:2], got)
    a, b = np.full(n, -128, np.int8), np.full(n, 127, np.int8)
    assert (simdkit.cdist(np.stack([a] * 2), np.stack([b] * 2), "cosine") == np.float32(2.0)).all()
