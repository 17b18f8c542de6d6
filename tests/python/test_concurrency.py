"""Threads: kernels called from 8 Python threads while a 9th switches the
target for several seconds give, every time, the result of some supported
target (each call dispatches once and keeps that target to the end); and
large calls really release the GIL, so that another Python thread runs
while a kernel does.

Skipped under an emulated CPU (the heterogeneous matrix): these runs are
timed in seconds, and the code paths are the native ones.
"""

import random
import sys
import threading
import time

import pytest

from conftest import SUPPORTED_TARGETS, skip_module_under_emulator

skip_module_under_emulator("seconds of threads")

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

import simdkit  # noqa: E402

WORKERS = 8
SECONDS = 3.0


def fingerprint(result):
    """What a call returned, bit for bit (dtype, shape, bytes)."""
    if isinstance(result, tuple):
        return tuple(fingerprint(part) for part in result)
    array = np.asarray(result)
    return array.dtype.str, array.shape, array.tobytes()


def stress_cases():
    """(name, make, reference, rtol): make() returns a call for one thread
    (with its own out= buffers); its result is checked against the NumPy
    reference on every target before the threads start. Every input holds at
    least 2^14 elements, so that the calls release the GIL and overlap."""
    rng = np.random.default_rng(2024)
    x = rng.standard_normal((64, 512)).astype(np.float32)
    x64 = rng.standard_normal((128, 160))
    A = rng.standard_normal((40, 96)).astype(np.float32)
    B = rng.standard_normal((56, 96)).astype(np.float32)
    P = rng.integers(-128, 128, (64, 300)).astype(np.int8)
    Q = rng.integers(-128, 128, (64, 300)).astype(np.int8)
    v = rng.standard_normal(20000).astype(ml_dtypes.bfloat16)
    w = rng.standard_normal(20000).astype(ml_dtypes.bfloat16)
    h = rng.standard_normal((100, 200)).astype(np.float16)
    wide = lambda a: a.astype(np.float64)  # noqa: E731

    def with_out(function, argument, shape, dtype):
        def make():
            out = np.empty(shape, dtype)
            return lambda: function(argument, out=out)
        return make

    def sqeuclidean(a, b):
        return ((wide(a)[:, None, :] - wide(b)[None, :, :]) ** 2).sum(-1)

    def topk_reference():
        d = sqeuclidean(A, B)
        order = np.argsort(d, axis=1, kind="stable")[:, :5]
        return order, np.take_along_axis(d, order, 1)

    scale = np.abs(x).max(axis=1) / np.float32(127)
    return [
        ("sum rows", lambda: lambda: simdkit.sum(x, axis=-1), wide(x).sum(-1), 1e-5),
        ("norm columns", lambda: lambda: simdkit.norm(x64, axis=0),
         np.sqrt((x64 * x64).sum(0)), 1e-13),
        ("argmax", lambda: lambda: simdkit.argmax(x64), np.argmax(x64), 0),
        ("dot rows", lambda: lambda: simdkit.dot(x, x[::-1]), (wide(x) * wide(x[::-1])).sum(-1),
         1e-4),
        ("cdist", lambda: lambda: simdkit.cdist(A, B, "sqeuclidean", threads=1),
         sqeuclidean(A, B), 1e-5),
        ("cdist out", with_out(lambda a, out: simdkit.cdist(a, B, "sqeuclidean", out=out,
                                                            threads=2), A, (40, 56), np.float32),
         sqeuclidean(A, B), 1e-5),
        ("topk", lambda: lambda: simdkit.topk(A, B, 5, "sqeuclidean", threads=1),
         topk_reference(), 1e-5),
        ("paired int8", lambda: lambda: simdkit.paired(P, Q, "cityblock"),
         np.abs(wide(P) - wide(Q)).sum(-1), 0),
        ("distance bfloat16", lambda: lambda: simdkit.distance(v, w, "dot"),
         (wide(v) * wide(w)).sum(), 1e-4),
        ("to_bfloat16", lambda: lambda: simdkit.to_bfloat16(x), x.astype(ml_dtypes.bfloat16), 0),
        ("from_float16 out", with_out(simdkit.from_float16, h, h.shape, np.float32),
         h.astype(np.float32), 0),
        ("quantize_int8", lambda: lambda: simdkit.quantize_int8(x),
         (np.rint(x / scale[:, None]).astype(np.int8), scale), 0),
        ("exp", lambda: lambda: simdkit.exp(x), np.exp(wide(x)), 1e-6),
        ("tanh out", with_out(simdkit.tanh, x64, x64.shape, np.float64), np.tanh(x64), 1e-14),
        ("softmax", lambda: lambda: simdkit.softmax(x), np.exp(wide(x)) /
         np.exp(wide(x)).sum(-1, keepdims=True), 1e-5),
        ("logsumexp columns", lambda: lambda: simdkit.logsumexp(x64, axis=0),
         np.log(np.exp(x64).sum(0)), 1e-13),
    ]


def assert_matches_reference(name, got, reference, rtol):
    if isinstance(reference, tuple):
        for part, expected in zip(got, reference):
            assert_matches_reference(name, part, expected, rtol)
        return
    got = np.asarray(got)
    reference = np.asarray(reference)
    if rtol == 0:
        np.testing.assert_array_equal(got.astype(reference.dtype), reference, err_msg=name)
    else:
        np.testing.assert_allclose(got.astype(np.float64), reference, rtol=rtol, atol=rtol,
                                   err_msg=name)


@pytest.fixture
def restore_target():
    previous = simdkit._core._forced_target() or None
    yield
    simdkit.set_target(previous)


def test_threads_while_targets_switch(restore_target):
    """8 threads call kernels for SECONDS while a 9th forces targets (by
    set_target and use_target, and back to automatic) as fast as it can,
    whenever it holds the GIL.
    Every result must equal, bit for bit, what one of the supported targets
    computes for that call (checked against NumPy on each target first)."""
    cases = stress_cases()
    allowed = {name: set() for name, *_ in cases}
    for target in SUPPORTED_TARGETS:
        with simdkit.use_target(target):
            for name, make, reference, rtol in cases:
                got = make()()
                assert_matches_reference(f"{name} on {target}", got, reference, rtol)
                allowed[name].add(fingerprint(got))

    stop = threading.Event()
    failures, calls, seen = [], [0] * WORKERS, {name: set() for name in allowed}
    switches = [0]

    def worker(index):
        mine = [(name, make()) for name, make, *_ in cases]
        pick = random.Random(index)
        while not stop.is_set():
            name, run = mine[pick.randrange(len(mine))]
            try:
                got = fingerprint(run())
            except BaseException as error:  # noqa: BLE001 -- reported below
                failures.append(f"{name}: {error!r}")
                return
            if got not in allowed[name]:
                failures.append(f"{name}: a result that no supported target computes")
            seen[name].add(got)
            calls[index] += 1

    def switcher():
        pick = random.Random(-1)
        choices = SUPPORTED_TARGETS + [None]
        try:
            while not stop.is_set():
                if pick.random() < 0.5:
                    simdkit.set_target(pick.choice(choices))
                else:
                    with simdkit.use_target(pick.choice(choices)):
                        switches[0] += 1
                switches[0] += 1
        except BaseException as error:  # noqa: BLE001 -- reported below
            failures.append(f"switcher: {error!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    threads.append(threading.Thread(target=switcher))
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    assert not failures, failures[:10]
    assert min(calls) >= 20, f"calls per worker: {calls}"
    assert switches[0] >= 1000, f"only {switches[0]} target switches"
    # Where targets disagree in the last bit, the threads saw more than one
    # answer: the calls did run on changing targets.
    stuck = [name for name in allowed if len(allowed[name]) > 1 and len(seen[name]) < 2]
    assert not stuck, f"every call of {stuck} gave one target's result: did the target change?"


# ---------------------------------------------------------------------------
# The GIL is released while a kernel runs
# ---------------------------------------------------------------------------
def ticks_during(call):
    """Runs call() in this thread while another Python thread appends
    timestamps as fast as it can (sleeping 0.2 ms between them); returns how
    many fell in the middle half of the call, and the call's duration. A
    thread needs the GIL to append: while the call holds it, none can. (At
    the ends, Python itself passes the GIL around the call, and on a loaded
    machine the caller may wait milliseconds to get it back.)"""
    ticks, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0002)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        while not ticks:
            time.sleep(0.001)
        start = time.perf_counter()
        call()
        end = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    quarter = (end - start) / 4
    inside = sum(start + quarter < tick < end - quarter for tick in ticks)
    return inside, end - start


@pytest.fixture(scope="module")
def big():
    """Inputs for calls taking tens of milliseconds here. Large read-only
    ones are np.zeros: untouched, they cost address space, not memory."""
    rng = np.random.default_rng(5)
    return {
        "zeros": np.zeros(1 << 28, np.float32),
        "A": rng.standard_normal((1024, 256)).astype(np.float32),
        "B": rng.standard_normal((2048, 256)).astype(np.float32),
        "P": rng.integers(-128, 128, (4096, 4096), dtype=np.int8),
        "x": rng.random((1 << 15, 1024), dtype=np.float32),
    }


# One call per kernel family member, each long enough to be judged.
LONG_CALLS = {
    "sum": lambda big: simdkit.sum(big["zeros"]),
    "argmax": lambda big: simdkit.argmax(big["zeros"]),
    "dot": lambda big: simdkit.dot(big["zeros"][:1 << 27], big["zeros"][1 << 27:]),
    "distance": lambda big: simdkit.distance(big["zeros"].view(np.int8)[:1 << 29],
                                             big["zeros"].view(np.int8)[1 << 29:], "dot"),
    "paired": lambda big: simdkit.paired(big["P"], big["P"][::-1], "sqeuclidean"),
    "cdist": lambda big: simdkit.cdist(big["A"], big["B"], threads=1),
    "topk": lambda big: simdkit.topk(big["A"], big["B"], 10, "cosine", threads=1),
    "to_bfloat16": lambda big: simdkit.to_bfloat16(big["zeros"][:1 << 25]),
    "from_float16": lambda big: simdkit.from_float16(big["zeros"].view(np.float16)[:1 << 25]),
    "quantize_int8": lambda big: simdkit.quantize_int8(big["x"]),
    "dequantize_int8": lambda big: simdkit.dequantize_int8(
        big["zeros"].view(np.int8)[:1 << 25].reshape(1 << 15, -1), big["zeros"][:1 << 15]),
    "exp": lambda big: simdkit.exp(big["x"][:1 << 14]),
    "softmax": lambda big: simdkit.softmax(big["x"][:1 << 14]),
    "logsumexp": lambda big: simdkit.logsumexp(big["x"]),
}


@pytest.mark.parametrize("name", list(LONG_CALLS))
def test_gil_released_during_long_call(big, name):
    inside, seconds = ticks_during(lambda: LONG_CALLS[name](big))
    assert inside >= 3, (f"simdkit.{name}: another Python thread ran {inside} times during "
                         f"a {seconds * 1e3:.1f} ms call: the GIL was held")


@pytest.mark.skipif(not getattr(sys, "_is_gil_enabled", lambda: True)(),
                    reason="free-threaded Python has no GIL to hold")
def test_ticks_stop_while_the_gil_is_held():
    """The measure above can fail: builtin sum() over a range runs in C
    without releasing the GIL, and no tick lands inside it."""
    inside, seconds = ticks_during(lambda: sum(range(3 * 10**6)))
    assert inside == 0, f"{inside} ticks during a {seconds * 1e3:.1f} ms call holding the GIL"
