"""The heterogeneous-CPU matrix: the same binaries under emulated CPU models.

Each model must make the dispatcher choose a known target, and every test
must pass there. Running under ``qemu-x86_64 -cpu MODEL`` is the only check
that catches ISA instructions leaking into baseline code: forcing a lower
target in a native process cannot, since the baseline code itself still runs
on the host CPU.

x86 models run the GoogleTest binary and ``python -m simdkit info`` (the
target Python's dispatcher chooses there; the test command gives the Python
of the installed wheel's virtual environment, with the system's Highway
hidden, so that the wheel is what runs on every model); the oldest model, qemu64, also
runs the pytest suite (per-target tests restricted to its target: the native
run covers the others). Everything the Python package runs outside target
code (bindings, argument checks, dispatch) is baseline code, the same on
every model, so the strictest model is the one that catches a leak there;
target code is checked on each model by the GoogleTests. A pytest run costs
four to eight minutes of emulation per model. aarch64 models run the cross-compiled GoogleTest
binary under ``qemu-aarch64``. Prints one row per model and exits non-zero
if any model chose the wrong target or failed a test.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# qemu CPU model -> the target each Highway version must choose there.
# "BASELINE" is 1.0.3's portable target, whose name depends on the compiler
# (EMU128, or SCALAR where Highway marks EMU128 broken, as with GCC 12); 1.2
# has an SSE2 target for it.
X86_MODELS = {
    "qemu64": {"1.0": "BASELINE", "1.2": "SSE2"},  # SSE2/SSE3 only
    # SSE4.2 but no AES/CLMUL, which Highway's SSE4 requires.
    "Nehalem": {"1.0": "SSSE3", "1.2": "SSSE3"},
    "Haswell-v4": {"1.0": "AVX2", "1.2": "AVX2"},
}
# The x86 models that run the pytest suite (see the module's docstring).
PYTEST_MODELS = {"qemu64"}
# Highway 1.2's new NEON_BF16 and SVE2_128 targets are chosen by none of
# these (seen with Debian 13's libhwy-dev:arm64).
AARCH64_MODELS = {
    "cortex-a53": {"1.0": "NEON", "1.2": "NEON"},
    "a64fx": {"1.0": "SVE", "1.2": "SVE"},
    "max": {"1.0": "SVE2", "1.2": "SVE2"},
    "max,sve256=on": {"1.0": "SVE_256", "1.2": "SVE_256"},
}

# Under emulation the GoogleTests run only the model's own target (the native
# run covers the others) and take samples of their exhaustive inputs
# (SampledRun in tests/cpp/target_param.h).
SAMPLED_GTEST_ENV = {"SIMDKIT_TEST_SAMPLED": "1"}


def highway_series(version: str) -> str:
    """"1.2.0" -> "1.2": the key of the tables above."""
    return ".".join(version.split(".")[:2])


def binary_highway_version(binary: Path, emulator: list[str] | None = None) -> str:
    """The Highway version a GoogleTest binary was built against, as its
    Dispatch test prints it."""
    output = subprocess.run(
        [*(emulator or []), str(binary), "--gtest_filter=Dispatch.LoadsTheHighwayItWasCompiledWith"],
        capture_output=True, text=True, check=True).stdout
    return re.search(r"Highway (\S+) compiled", output).group(1)


def binary_baseline(binary: Path) -> str:
    """The portable target a native GoogleTest binary was compiled with: the
    last of its per-target instances, which run best target first."""
    env = {name: value for name, value in os.environ.items() if name != "SIMDKIT_TEST_TARGETS"}
    listing = subprocess.run([str(binary), "--gtest_list_tests"], capture_output=True, text=True,
                             check=True, env=env).stdout
    return re.findall(r'GetParam\(\) = "(\w+)"', listing)[-1]


def expected_target(table: dict[str, dict[str, str]], model: str, version: str) -> str:
    series = highway_series(version)
    if series not in table[model]:
        raise SystemExit(f"run_matrix: no expected target for {model} under Highway {version}; "
                         f"add one to the table ({', '.join(table[model])} known)")
    return table[model][series]


@dataclasses.dataclass
class Step:
    """One command under an emulated CPU, and how to read its outcome."""

    what: str  # "gtest", "info" or "pytest"
    command: list[str]
    env: dict[str, str]


@dataclasses.dataclass
class Leg:
    """One CPU model running one build's binaries."""

    name: str
    expected: str
    steps: list[Step]


@dataclasses.dataclass
class Outcome:
    model: str
    expected: str
    observed: list[str] = dataclasses.field(default_factory=list)  # per step that reports
    counts: dict[str, str] = dataclasses.field(default_factory=dict)
    step_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    failures: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def chosen(self) -> str:
        """The target every step saw, or all of them where they disagree."""
        distinct = sorted(set(self.observed))
        return "/".join(distinct) if distinct else "?"


def without_emulator_noise(text: str) -> str:
    # qemu's TCG warns about host features it cannot emulate: harmless.
    return "\n".join(line for line in text.splitlines()
                     if "TCG doesn't support requested feature" not in line)


def gtest_count(output: str) -> str:
    passed = re.search(r"\[  PASSED  \] (\d+) test", output)
    failed = re.search(r"\[  FAILED  \] (\d+) test", output)
    return f"{passed.group(1) if passed else 0} passed, {failed.group(1) if failed else 0} failed"


def pytest_count(output: str) -> str:
    summaries = re.findall(r"^=*\s*(\d+ (?:passed|failed).*?)(?: in [\d.]+s.*)?$", output, re.M)
    return summaries[-1] if summaries else "no summary"


def observation(active: str, probe: str) -> str:
    return active if active == probe else f"{active} (probe {probe})"


def run_leg(leg: Leg, budget: float, deadline: float) -> Outcome:
    """Runs the leg's steps within `budget` seconds in all, and never past
    `deadline` (time.monotonic()): a step still running then is stopped and
    the leg fails, saying so."""
    outcome = Outcome(leg.name, leg.expected)
    start = time.monotonic()
    for step in leg.steps:
        env = {**os.environ, **step.env}
        step_start = time.monotonic()
        timeout = max(1.0, min(start + budget, deadline) - step_start)
        try:
            proc = subprocess.run(step.command, env=env, capture_output=True, text=True,
                                  timeout=timeout, cwd=REPO)
            output = without_emulator_noise(proc.stdout + proc.stderr)
            returncode = proc.returncode
        except subprocess.TimeoutExpired as expired:
            partial = expired.stdout or b""
            partial = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
            output = without_emulator_noise(partial) + (
                f"\ntimed out: the leg's budget of {budget:.0f} s (or the matrix's) ran out "
                f"after {time.monotonic() - start:.0f} s")
            returncode = -1
        outcome.step_seconds[step.what] = time.monotonic() - step_start
        if step.what == "gtest":
            outcome.counts["gtest"] = gtest_count(output)
            chosen = re.search(r"chose (\S+), probe (\S+)", output)
            outcome.observed.append(observation(*chosen.groups()) if chosen else "?")
        elif step.what == "pytest":
            outcome.counts["pytest"] = pytest_count(output)
        elif step.what == "info":
            info = json.loads(output[output.index("{"):]) if returncode == 0 else {}
            outcome.observed.append(observation(info.get("active", "?"), info.get("probe", "?")))
        if returncode != 0:
            outcome.failures.append(f"--- {step.what} on {leg.name} (exit {returncode}):\n"
                                    + "\n".join(output.splitlines()[-60:]))
    if outcome.chosen != leg.expected:
        outcome.failures.append(f"--- {leg.name}: expected {leg.expected}, chosen {outcome.chosen} "
                                f"(GoogleTest, then Python where run: {outcome.observed})")
    outcome.seconds = time.monotonic() - start
    return outcome


# Rough cost of a leg in seconds (a 2-core Intel Xeon, where qemu is slowest),
# for the order the legs start in: AVX2 and SVE are the expensive ISAs to
# emulate, and a pytest step costs several GoogleTest steps.
STEP_SECONDS = {"gtest": 30, "info": 2, "pytest": 240}
ISA_FACTOR = {"AVX2": 1.5, "SVE": 3.0, "SVE2": 1.5, "SVE_256": 1.5}


def expected_seconds(leg: Leg) -> float:
    return sum(STEP_SECONDS[step.what] for step in leg.steps) * ISA_FACTOR.get(leg.expected, 1.0)


def gtest_step(emulator: list[str], binary: Path, expected: str) -> Step:
    return Step("gtest", [*emulator, str(binary), "--gtest_brief=1"],
                {"SIMDKIT_EXPECTED_TARGET": expected, "SIMDKIT_TEST_TARGETS": expected,
                 **SAMPLED_GTEST_ENV})


def x86_legs(args: argparse.Namespace) -> list[Leg]:
    launcher = ([str(REPO / "scripts" / "without_system_highway.sh")]
                if args.hide_system_highway else [])
    python_info = json.loads(subprocess.check_output(
        [*launcher, args.python, "-c", "import json, simdkit; print(json.dumps(simdkit.info()))"],
        cwd=REPO))
    baseline = binary_baseline(args.gtest_x86)
    version = binary_highway_version(args.gtest_x86)
    if version != python_info["highway_version"]:
        raise SystemExit(f"run_matrix: {args.gtest_x86} is built with Highway {version}, the "
                         f"Python module with {python_info['highway_version']}: use one build")
    legs = []
    for model in X86_MODELS:
        expected = expected_target(X86_MODELS, model, version)
        expected = baseline if expected == "BASELINE" else expected
        emulator = ["qemu-x86_64", "-cpu", model]
        python_env = {"SIMDKIT_TEST_EMULATOR": " ".join(emulator),
                      "SIMDKIT_TEST_TARGETS": expected}
        if model == "qemu64":
            # NumPy >= 2.4 itself needs x86-64-v2 (SSE4.2, POPCNT): below that,
            # the suite runs on the last NumPy built for an SSE3 baseline.
            python_env["PYTHONPATH"] = str(args.baseline_python_path)
        steps = [
            gtest_step(emulator, args.gtest_x86, expected),
            Step("info", [*launcher, *emulator, args.python, "-m", "simdkit", "info", "--json"],
                 python_env),
        ]
        if model in PYTEST_MODELS and not args.skip_pytest:
            steps.append(Step("pytest", [*launcher, *emulator, args.python, "-m", "pytest",
                                         "tests/python", "-q", "-p", "no:cacheprovider"],
                              python_env))
        legs.append(Leg(f"x86 {model}", expected, steps))
    return legs


def x86_other_highway_legs(binary: Path) -> list[Leg]:
    """The GoogleTests of the build against the other Debian release's
    Highway, which has its own idea of each model's target (SSE2 on qemu64
    with 1.2)."""
    version = binary_highway_version(binary)
    baseline = binary_baseline(binary)
    legs = []
    for model in X86_MODELS:
        expected = expected_target(X86_MODELS, model, version)
        expected = baseline if expected == "BASELINE" else expected
        emulator = ["qemu-x86_64", "-cpu", model]
        legs.append(Leg(f"x86 {model} (Highway {version})", expected,
                        [gtest_step(emulator, binary, expected)]))
    return legs


def aarch64_legs(args: argparse.Namespace) -> list[Leg]:
    # The loader and libraries come from the multiarch libc6:arm64 (see
    # cmake/toolchains/aarch64-linux-gnu.cmake for why not "-L").
    version = binary_highway_version(args.gtest_aarch64, ["qemu-aarch64", "-cpu", "cortex-a53"])
    legs = []
    for model in AARCH64_MODELS:
        expected = expected_target(AARCH64_MODELS, model, version)
        emulator = ["qemu-aarch64", "-cpu", model]
        legs.append(Leg(f"aarch64 {model}", expected,
                        [gtest_step(emulator, args.gtest_aarch64, expected)]))
    return legs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gtest-x86", type=Path, help="native simdkit_tests binary")
    parser.add_argument("--gtest-x86-other-highway", type=Path,
                        help="simdkit_tests built against the other Debian release's Highway")
    parser.add_argument("--gtest-aarch64", type=Path, help="cross-compiled simdkit_tests binary")
    parser.add_argument("--baseline-python-path", type=Path,
                        help="PYTHONPATH with a NumPy that runs on qemu64 (scripts/setup.sh)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter binary (not a wrapper script: qemu runs it)")
    parser.add_argument("--hide-system-highway", action="store_true",
                        help="run Python with the system's libhwy hidden "
                             "(scripts/without_system_highway.sh): for an installed wheel")
    parser.add_argument("--skip-pytest", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--leg-budget", type=float, default=1200,
                        help="seconds one CPU model's steps may take in all")
    parser.add_argument("--matrix-budget", type=float, default=2400,
                        help="seconds the whole matrix may take; legs still running then fail")
    args = parser.parse_args()

    legs = ((x86_legs(args) if args.gtest_x86 else [])
            + (x86_other_highway_legs(args.gtest_x86_other_highway)
               if args.gtest_x86_other_highway else [])
            + (aarch64_legs(args) if args.gtest_aarch64 else []))
    if not legs:
        parser.error("give --gtest-x86, --gtest-x86-other-highway and/or --gtest-aarch64")
    # Longest first, so that the short legs fill the cores at the end instead
    # of one long leg running alone.
    legs.sort(key=expected_seconds, reverse=True)
    matrix_start = time.monotonic()
    deadline = matrix_start + args.matrix_budget
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(lambda leg: run_leg(leg, args.leg_budget, deadline), legs))

    failed = [outcome for outcome in outcomes if outcome.failures]
    for outcome in failed:
        print("\n".join(outcome.failures), file=sys.stderr)
    print(f"{'CPU model':<32} {'expected':<9} {'chosen':<9} {'GoogleTest':<20} {'pytest':<28} "
          f"time (per step)")
    for outcome in outcomes:
        status = "FAIL" if outcome.failures else "ok"
        steps = ", ".join(f"{what} {seconds:.0f} s" for what, seconds in outcome.step_seconds.items())
        print(f"{outcome.model:<32} {outcome.expected:<9} {outcome.chosen:<9} "
              f"{outcome.counts.get('gtest', '-'):<20} {outcome.counts.get('pytest', '-'):<28} "
              f"{outcome.seconds:4.0f} s ({steps})  {status}")
    print(f"matrix wall time: {time.monotonic() - matrix_start:.0f} s on {args.jobs} "
          f"parallel legs (budgets: {args.leg_budget:.0f} s a leg, {args.matrix_budget:.0f} s in all)")
    print(f"matrix: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
