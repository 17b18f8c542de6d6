"""The heterogeneous-CPU matrix: the same binaries under emulated CPU models.

Each model must make the dispatcher choose a known target, and every test
must pass there. Running under ``qemu-x86_64 -cpu MODEL`` is the only check
that catches ISA instructions leaking into baseline code: forcing a lower
target in a native process cannot, since the baseline code itself still runs
on the host CPU.

x86 models run the GoogleTest binary, ``python -m simdkit info`` and the
pytest suite (per-target tests restricted to the model's target: the native
run covers the others). aarch64 models run the cross-compiled GoogleTest
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

# (qemu CPU model, target Highway 1.0.3 must choose there). "BASELINE" is the
# portable target, whose name depends on the compiler (EMU128, or SCALAR where
# Highway marks EMU128 broken, as with GCC 12).
X86_MODELS = [
    ("qemu64", "BASELINE"),  # SSE2/SSE3 only
    ("Nehalem", "SSSE3"),  # SSE4.2 but no AES/CLMUL, which Highway's SSE4 requires
    ("Haswell-v4", "AVX2"),
]
AARCH64_MODELS = [
    ("cortex-a53", "NEON"),
    ("a64fx", "SVE"),
    ("max", "SVE2"),
    ("max,sve256=on", "SVE_256"),
]


@dataclasses.dataclass
class Step:
    """One command under an emulated CPU, and how to read its outcome."""

    what: str  # "gtest", "info" or "pytest"
    command: list[str]
    env: dict[str, str]


@dataclasses.dataclass
class Outcome:
    model: str
    expected: str
    observed: list[str] = dataclasses.field(default_factory=list)  # per step that reports
    counts: dict[str, str] = dataclasses.field(default_factory=dict)
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


def run_model(model: str, expected: str, steps: list[Step], timeout: float) -> Outcome:
    outcome = Outcome(model, expected)
    start = time.monotonic()
    for step in steps:
        env = {**os.environ, **step.env}
        try:
            proc = subprocess.run(step.command, env=env, capture_output=True, text=True,
                                  timeout=timeout, cwd=REPO)
            output = without_emulator_noise(proc.stdout + proc.stderr)
            returncode = proc.returncode
        except subprocess.TimeoutExpired:
            output, returncode = f"timed out after {timeout:.0f} s", -1
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
            outcome.failures.append(f"--- {step.what} on {model} (exit {returncode}):\n"
                                    + "\n".join(output.splitlines()[-60:]))
    if outcome.chosen != expected:
        outcome.failures.append(f"--- {model}: expected {expected}, chosen {outcome.chosen} "
                                f"(GoogleTest, then Python where run: {outcome.observed})")
    outcome.seconds = time.monotonic() - start
    return outcome


def x86_jobs(args: argparse.Namespace) -> list[tuple[str, str, list[Step]]]:
    baseline = json.loads(subprocess.check_output(
        [sys.executable, "-c", "import json, simdkit; print(json.dumps(simdkit.targets()))"],
        cwd=REPO))["compiled"][-1]
    jobs = []
    for model, expected in X86_MODELS:
        expected = baseline if expected == "BASELINE" else expected
        emulator = ["qemu-x86_64", "-cpu", model]
        python_env = {"SIMDKIT_TEST_EMULATOR": " ".join(emulator),
                      "SIMDKIT_TEST_TARGETS": expected}
        if expected == baseline:
            # NumPy >= 2.4 itself needs x86-64-v2 (SSE4.2, POPCNT): below that,
            # the suite runs on the last NumPy built for an SSE3 baseline.
            python_env["PYTHONPATH"] = str(args.baseline_python_path)
        steps = [
            Step("gtest", [*emulator, str(args.gtest_x86), "--gtest_brief=1"],
                 {"SIMDKIT_EXPECTED_TARGET": expected}),
            Step("info", [*emulator, args.python, "-m", "simdkit", "info", "--json"], python_env),
        ]
        if not args.skip_pytest:
            steps.append(Step("pytest", [*emulator, args.python, "-m", "pytest", "tests/python",
                                         "-q", "-p", "no:cacheprovider"], python_env))
        jobs.append((f"x86 {model}", expected, steps))
    return jobs


def aarch64_jobs(args: argparse.Namespace) -> list[tuple[str, str, list[Step]]]:
    jobs = []
    for model, expected in AARCH64_MODELS:
        # The loader and libraries come from the multiarch libc6:arm64 (see
        # cmake/toolchains/aarch64-linux-gnu.cmake for why not "-L").
        emulator = ["qemu-aarch64", "-cpu", model]
        steps = [Step("gtest", [*emulator, str(args.gtest_aarch64), "--gtest_brief=1"],
                      {"SIMDKIT_EXPECTED_TARGET": expected})]
        jobs.append((f"aarch64 {model}", expected, steps))
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gtest-x86", type=Path, help="native simdkit_tests binary")
    parser.add_argument("--gtest-aarch64", type=Path, help="cross-compiled simdkit_tests binary")
    parser.add_argument("--baseline-python-path", type=Path,
                        help="PYTHONPATH with a NumPy that runs on qemu64 (scripts/setup.sh)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter binary (not a wrapper script: qemu runs it)")
    parser.add_argument("--skip-pytest", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per command")
    args = parser.parse_args()

    jobs = (x86_jobs(args) if args.gtest_x86 else []) + (
        aarch64_jobs(args) if args.gtest_aarch64 else [])
    if not jobs:
        parser.error("give --gtest-x86 and/or --gtest-aarch64")
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(lambda job: run_model(*job, args.timeout), jobs))

    failed = [outcome for outcome in outcomes if outcome.failures]
    for outcome in failed:
        print("\n".join(outcome.failures), file=sys.stderr)
    print(f"{'CPU model':<24} {'expected':<9} {'chosen':<9} {'GoogleTest':<20} {'pytest':<28} time")
    for outcome in outcomes:
        status = "FAIL" if outcome.failures else "ok"
        print(f"{outcome.model:<24} {outcome.expected:<9} {outcome.chosen:<9} "
              f"{outcome.counts.get('gtest', '-'):<20} {outcome.counts.get('pytest', '-'):<28} "
              f"{outcome.seconds:4.0f} s  {status}")
    print(f"matrix: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
