"""Runtime target selection: targets(), set_target, use_target, probe_target
and the SIMDKIT_TARGET environment variable (in subprocesses)."""

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import simdkit
from conftest import PYTHON_COMMAND, SUPPORTED_TARGETS


@pytest.fixture
def automatic():
    """Starts and ends the test with the automatic choice."""
    simdkit.set_target(None)
    yield
    simdkit.set_target(None)


def names():
    t = simdkit.targets()
    return t["compiled"], t["supported"]


def unsupported_compiled():
    compiled, supported = names()
    return [n for n in compiled if n not in supported]


# ---------------------------------------------------------------------------
# targets()
# ---------------------------------------------------------------------------
def test_targets_structure(automatic):
    t = simdkit.targets()
    assert isinstance(t, dict)
    assert {"active", "compiled", "supported"} <= set(t)
    assert isinstance(t["active"], str)
    for key in ("compiled", "supported"):
        assert isinstance(t[key], list) and t[key], key
        assert all(isinstance(n, str) and n == n.upper() and n for n in t[key]), t[key]
        assert len(set(t[key])) == len(t[key]), f"duplicates in {key}: {t[key]}"
    # supported is a subset of compiled, in the same (best-first) order.
    compiled, supported = t["compiled"], t["supported"]
    assert set(supported) <= set(compiled)
    assert sorted(supported, key=compiled.index) == supported
    assert t["active"] == supported[0]
    assert simdkit.probe_target() == supported[0]


def test_targets_returns_fresh_objects(automatic):
    t = simdkit.targets()
    t["supported"].append("BOGUS")
    t["active"] = "BOGUS"
    assert "BOGUS" not in simdkit.targets()["supported"]
    assert simdkit.targets()["active"] != "BOGUS"


def test_x86_names_when_on_x86():
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("x86 only")
    compiled, supported = names()
    # The baseline (emulated/scalar) target is compiled and always supported.
    assert compiled[-1] in ("SCALAR", "EMU128")
    assert compiled[-1] in supported


# ---------------------------------------------------------------------------
# set_target / probe_target
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", SUPPORTED_TARGETS)
def test_set_target_each_supported(automatic, name):
    before = simdkit.targets()
    simdkit.set_target(name)
    after = simdkit.targets()
    assert after["active"] == name
    assert simdkit.probe_target() == name
    # Forcing a target changes neither what is compiled nor what is supported.
    assert after["compiled"] == before["compiled"]
    assert after["supported"] == before["supported"]
    # Kernels still compute correctly there.
    x = np.array([3.0, -1.0, 7.5, 2.0], dtype=np.float32)
    assert simdkit.argmax(x) == 2 and simdkit.max(x) == np.float32(7.5)


@pytest.mark.parametrize("spelling", [str.lower, str.capitalize, str.swapcase, str.upper])
def test_set_target_case_insensitive(automatic, spelling):
    for name in SUPPORTED_TARGETS:
        simdkit.set_target(spelling(name))
        assert simdkit.targets()["active"] == name
        assert simdkit.probe_target() == name


def test_set_target_none_resets(automatic):
    best = simdkit.targets()["supported"][0]
    for name in SUPPORTED_TARGETS[::-1]:
        simdkit.set_target(name)
        simdkit.set_target(None)
        assert simdkit.targets()["active"] == best
        assert simdkit.probe_target() == best


@pytest.mark.parametrize("bad", ["NOT_A_TARGET", "avx9", "AVX2 ", "SSE5", "x"])
def test_set_target_unknown_raises_valueerror(automatic, bad):
    compiled, _ = names()
    forced = SUPPORTED_TARGETS[-1]
    simdkit.set_target(forced)
    with pytest.raises(ValueError) as info:
        simdkit.set_target(bad)
    message = str(info.value)
    missing = [n for n in compiled if n not in message]
    assert not missing, f"message does not list {missing}: {message!r}"
    # The previous choice stands.
    assert simdkit.targets()["active"] == forced
    assert simdkit.probe_target() == forced


def test_set_target_unsupported_raises_runtimeerror(automatic):
    unsupported = unsupported_compiled()
    if not unsupported:
        pytest.skip("every compiled target is supported by this CPU")
    for name in unsupported:
        with pytest.raises(RuntimeError):
            simdkit.set_target(name)
        assert simdkit.targets()["active"] == simdkit.targets()["supported"][0]


def test_probe_matches_active_in_automatic_mode(automatic):
    assert simdkit.probe_target() == simdkit.targets()["active"]


# ---------------------------------------------------------------------------
# use_target
# ---------------------------------------------------------------------------
def test_use_target_restores_automatic(automatic):
    best = SUPPORTED_TARGETS[0]
    for name in SUPPORTED_TARGETS:
        with simdkit.use_target(name):
            assert simdkit.targets()["active"] == name
            assert simdkit.probe_target() == name
        assert simdkit.targets()["active"] == best
        assert simdkit.probe_target() == best


def test_use_target_restores_previous_forced_choice(automatic):
    if len(SUPPORTED_TARGETS) < 2:
        pytest.skip("needs two targets")
    outer, inner = SUPPORTED_TARGETS[-1], SUPPORTED_TARGETS[0]
    simdkit.set_target(outer)
    with simdkit.use_target(inner):
        assert simdkit.probe_target() == inner
    assert simdkit.targets()["active"] == outer
    assert simdkit.probe_target() == outer


def test_use_target_nested(automatic):
    stack = SUPPORTED_TARGETS[::-1][:4]
    best = SUPPORTED_TARGETS[0]
    with simdkit.use_target(stack[0]):
        for depth_name in stack[1:]:
            outer = simdkit.targets()["active"]
            with simdkit.use_target(depth_name.lower()):
                assert simdkit.probe_target() == depth_name
            assert simdkit.targets()["active"] == outer
            assert simdkit.probe_target() == outer
    assert simdkit.targets()["active"] == best


def test_use_target_restores_on_exception(automatic):
    forced = SUPPORTED_TARGETS[-1]
    simdkit.set_target(forced)
    other = SUPPORTED_TARGETS[0]

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with simdkit.use_target(other):
            assert simdkit.probe_target() == other
            raise Boom()
    assert simdkit.targets()["active"] == forced
    assert simdkit.probe_target() == forced
    # Also when the exception comes from simdkit itself.
    with pytest.raises(TypeError):
        with simdkit.use_target(other):
            simdkit.sum([1.0])
    assert simdkit.targets()["active"] == forced


def test_use_target_unknown_name(automatic):
    forced = SUPPORTED_TARGETS[-1]
    simdkit.set_target(forced)
    entered = False
    with pytest.raises(ValueError):
        with simdkit.use_target("NOT_A_TARGET"):
            entered = True
    assert not entered
    assert simdkit.targets()["active"] == forced
    assert simdkit.probe_target() == forced


def test_use_target_unsupported(automatic):
    unsupported = unsupported_compiled()
    if not unsupported:
        pytest.skip("every compiled target is supported by this CPU")
    with pytest.raises(RuntimeError):
        with simdkit.use_target(unsupported[0]):
            pass
    assert simdkit.targets()["active"] == SUPPORTED_TARGETS[0]


# ---------------------------------------------------------------------------
# SIMDKIT_TARGET (read at import), in fresh interpreters
# ---------------------------------------------------------------------------
CHILD = textwrap.dedent("""
    import json, warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import simdkit
    import numpy as np
    x = np.arange(37, dtype=np.float64)
    print(json.dumps({
        "targets": simdkit.targets(),
        "probe": simdkit.probe_target(),
        "sum": float(simdkit.sum(x)),
        "warnings": [[w.category.__name__, str(w.message)] for w in caught],
    }))
""")


def run_child(value, disable=None):
    """Imports simdkit in a fresh interpreter with SIMDKIT_TARGET=value and
    SIMDKIT_DISABLE=disable (None: unset)."""
    env = dict(os.environ)
    for name, setting in (("SIMDKIT_TARGET", value), ("SIMDKIT_DISABLE", disable)):
        env.pop(name, None)
        if setting is not None:
            env[name] = setting
    proc = subprocess.run([*PYTHON_COMMAND, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (
        f"child failed (SIMDKIT_TARGET={value!r}, SIMDKIT_DISABLE={disable!r}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def simdkit_warnings(result):
    return [w for w in result["warnings"]
            if w[0] == "RuntimeWarning" or "SIMDKIT" in w[1].upper()]


def test_env_unset_gives_automatic_choice():
    result, _ = run_child(None)
    supported = result["targets"]["supported"]
    assert result["targets"]["active"] == supported[0]
    assert result["probe"] == supported[0]
    assert result["sum"] == 666.0
    assert simdkit_warnings(result) == []


@pytest.mark.parametrize("name", SUPPORTED_TARGETS)
def test_env_forces_target(name):
    result, _ = run_child(name)
    assert result["targets"]["active"] == name
    assert result["probe"] == name
    assert result["sum"] == 666.0
    assert simdkit_warnings(result) == [], result["warnings"]


def test_env_is_case_insensitive():
    name = SUPPORTED_TARGETS[-1]
    result, _ = run_child(name.lower())
    assert result["targets"]["active"] == name
    assert result["probe"] == name
    assert simdkit_warnings(result) == []


@pytest.mark.parametrize("bad", ["NOT_A_TARGET", "avx9"])
def test_env_invalid_warns_and_keeps_automatic(bad):
    result, _ = run_child(bad)
    supported = result["targets"]["supported"]
    assert result["targets"]["active"] == supported[0]
    assert result["probe"] == supported[0]
    warned = [w for w in result["warnings"] if w[0] == "RuntimeWarning"]
    assert len(warned) == 1, f"expected one RuntimeWarning, got {result['warnings']}"
    message = warned[0][1]
    assert "SIMDKIT_TARGET" in message, message
    missing = [n for n in supported if n not in message]
    assert not missing, f"warning does not list valid values {missing}: {message!r}"


def test_env_unsupported_target_warns():
    unsupported = unsupported_compiled()
    if not unsupported:
        pytest.skip("every compiled target is supported by this CPU")
    result, _ = run_child(unsupported[0])
    supported = result["targets"]["supported"]
    assert result["targets"]["active"] == supported[0]
    warned = [w for w in result["warnings"] if w[0] == "RuntimeWarning"]
    assert len(warned) == 1 and "SIMDKIT_TARGET" in warned[0][1]


def test_env_forced_target_can_be_reset_and_changed():
    """After SIMDKIT_TARGET forced a target, set_target(None) returns to the
    best one and set_target works as usual."""
    name = SUPPORTED_TARGETS[-1]
    code = textwrap.dedent("""
        import json, simdkit
        out = [simdkit.targets()["active"], simdkit.probe_target()]
        simdkit.set_target(None)
        out += [simdkit.targets()["active"], simdkit.probe_target()]
        with simdkit.use_target(simdkit.targets()["supported"][-1]):
            out.append(simdkit.probe_target())
        out.append(simdkit.probe_target())
        print(json.dumps(out))
    """)
    env = dict(os.environ, SIMDKIT_TARGET=name)
    proc = subprocess.run([*PYTHON_COMMAND, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    best = SUPPORTED_TARGETS[0]
    assert out == [name, name, best, best, SUPPORTED_TARGETS[-1], best]


# ---------------------------------------------------------------------------
# SIMDKIT_DISABLE
# ---------------------------------------------------------------------------
def warnings_about(result, variable):
    return [w for w in result["warnings"] if w[0] == "RuntimeWarning" and variable in w[1]]


def test_env_disable_excludes_targets():
    if len(SUPPORTED_TARGETS) < 2:
        pytest.skip("only one target is supported here")
    best, second = SUPPORTED_TARGETS[0], SUPPORTED_TARGETS[1]
    result, _ = run_child(None, disable=best.lower())
    assert result["targets"]["disabled"] == [best]
    assert best not in result["targets"]["supported"]
    assert result["targets"]["active"] == second
    assert result["probe"] == second
    assert result["sum"] == 666.0
    assert simdkit_warnings(result) == [], result["warnings"]


def test_env_disable_several_with_spaces():
    if len(SUPPORTED_TARGETS) < 3:
        pytest.skip("fewer than three targets are supported here")
    result, _ = run_child(None, disable=f" {SUPPORTED_TARGETS[0]} ,{SUPPORTED_TARGETS[1]}")
    assert result["targets"]["disabled"] == SUPPORTED_TARGETS[:2]
    assert result["probe"] == SUPPORTED_TARGETS[2]


@pytest.mark.parametrize("bad", ["bogus", "AVX2,bogus"])
def test_env_disable_invalid_warns_once_and_keeps_automatic(bad):
    result, _ = run_child(None, disable=bad)
    assert result["targets"]["disabled"] == []
    assert result["probe"] == SUPPORTED_TARGETS[0]
    warned = warnings_about(result, "SIMDKIT_DISABLE")
    assert len(warned) == 1, result["warnings"]
    assert all(name in warned[0][1] for name in SUPPORTED_TARGETS), warned[0][1]


def test_env_disable_everything_warns():
    result, _ = run_child(None, disable=",".join(SUPPORTED_TARGETS))
    assert result["targets"]["disabled"] == []
    assert result["probe"] == SUPPORTED_TARGETS[0]
    assert len(warnings_about(result, "SIMDKIT_DISABLE")) == 1, result["warnings"]


def test_env_target_that_is_disabled_warns():
    if len(SUPPORTED_TARGETS) < 2:
        pytest.skip("only one target is supported here")
    best = SUPPORTED_TARGETS[0]
    result, _ = run_child(best, disable=best)
    assert result["probe"] == SUPPORTED_TARGETS[1]
    warned = warnings_about(result, "SIMDKIT_TARGET")
    assert len(warned) == 1 and "disabled" in warned[0][1], result["warnings"]


# ---------------------------------------------------------------------------
# python -m simdkit info
# ---------------------------------------------------------------------------
def run_info(*arguments, target=None):
    env = dict(os.environ)
    env.pop("SIMDKIT_DISABLE", None)
    env.pop("SIMDKIT_TARGET", None)
    if target:
        env["SIMDKIT_TARGET"] = target
    proc = subprocess.run([*PYTHON_COMMAND, "-m", "simdkit", "info", *arguments], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_info_reports_forced_target_and_probe():
    name = "SSE4" if "SSE4" in SUPPORTED_TARGETS else SUPPORTED_TARGETS[-1]
    text = run_info(target=name)
    assert f"active:    {name} (forced ({name}); probe: {name})" in text, text
    for field in ("simdkit ", "Highway 1.", "cpu:", "features:", "compiled:", "supported:"):
        assert field in text, text
    info = json.loads(run_info("--json", target=name))
    assert info["active"] == info["probe"] == info["forced"] == name
    assert info["compiled"] == simdkit.targets()["compiled"]
    assert info["highway_version"].startswith("1.")
    assert f"highway:   {info['highway_loaded_version']} loaded" in text, text


def test_info_reports_the_loaded_highway():
    info = simdkit.info()
    # The tests run against the Highway the module was built with.
    assert info["highway_loaded_version"] == info["highway_version"], info
    library = info["highway_library"]
    if library:  # "" where Highway is linked statically
        # The wheel bundles it renamed by auditwheel: libhwy-<hash>.so.<version>.
        expected_name = rf"libhwy(-[0-9a-f]+)?\.so\.{re.escape(info['highway_version'])}"
        assert re.fullmatch(expected_name, os.path.basename(library)), library
        assert os.path.isfile(library)


def test_info_in_process_matches_targets():
    info = simdkit.info()
    report = simdkit.targets()
    assert info["active"] == info["probe"] == report["active"]
    assert info["supported"] == report["supported"]
    assert isinstance(info["cpu_features"], list) and info["cpu_model"]
    if "AVX2" in report["supported"]:
        assert "avx2" in info["cpu_features"]


# ---------------------------------------------------------------------------
# Thread safety
# ---------------------------------------------------------------------------
def test_switching_targets_while_threads_run_kernels():
    """Kernels running in other threads (GIL released for large inputs) never
    fail nor give a result that no target gives, while the target changes."""
    import threading

    x = np.random.default_rng(5).standard_normal(200_003).astype(np.float32)
    valid_sums = set()
    for name in SUPPORTED_TARGETS:
        with simdkit.use_target(name):
            valid_sums.add(float(simdkit.sum(x)))
    expected_argmax = int(np.argmax(x))
    stop = threading.Event()
    problems, calls = [], [0]

    def worker():
        while not stop.is_set():
            try:
                if float(simdkit.sum(x)) not in valid_sums:
                    problems.append("sum")
                if int(simdkit.argmax(x)) != expected_argmax:
                    problems.append("argmax")
                calls[0] += 1
            except Exception as error:  # noqa: BLE001 - any failure is the finding
                problems.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    switches = 0
    try:
        for switches in range(1, 400):
            simdkit.set_target(SUPPORTED_TARGETS[switches % len(SUPPORTED_TARGETS)])
            if switches % 5 == 0:
                simdkit.set_target(None)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        simdkit.set_target(None)
    assert problems == []
    assert calls[0] > 0 and switches > len(SUPPORTED_TARGETS)
