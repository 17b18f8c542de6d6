"""One target against another on every C++ benchmark row, in one run.

    python3 benchmarks/compare_targets.py BINARY --against AVX3_DL AVX3_SPR AVX3_ZEN4
        [--family distance | --prefix 'math/[^/]+/f16'] [--rounds 2] [--min-time 0.05]
        [--json FILE]

BINARY is a simdkit_benchmarks build (e.g. the one against Highway 1.2,
build/other-highway/cmake/benchmarks/simdkit_benchmarks, which has the
AVX3_ZEN4/AVX3_SPR targets). The targets' runs alternate, `--rounds` times
each, and every row keeps its fastest time, so that a noisy moment on a shared
machine does not land on one target only. Prints, per row, each target's speed
relative to the `--against` target (> 1: faster), then the geometric mean, the
slowest row, and the rows more than 5 % slower than the reference.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from perfreport.cpp import FAMILIES, NAME_PREFIX, TIME_UNIT_NS  # noqa: E402

SLOWER_MARGIN = 0.95


def run_target(binary: Path, target: str, prefixes: str, min_time: float) -> dict[str, float]:
    """Row name (the target left out) -> CPU ns per call."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        run = subprocess.run([str(binary), f"--benchmark_filter=^({prefixes})/{target}(/.+)?$",
                              f"--benchmark_out={out.name}", "--benchmark_out_format=json",
                              f"--benchmark_min_time={min_time}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode != 0 or "Failed to match any benchmarks" in run.stderr:
            sys.exit(f"{binary} found no {target} benchmarks (exit {run.returncode}):\n{run.stderr}")
        results = json.loads(Path(out.name).read_text())
    rows = {}
    for benchmark in results["benchmarks"]:
        if benchmark.get("run_type", "iteration") != "iteration" or "error_occurred" in benchmark:
            continue
        row = "/".join(part for part in benchmark["name"].split("/") if part != target)
        rows[row] = benchmark["cpu_time"] * TIME_UNIT_NS[benchmark["time_unit"]]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", type=Path)
    parser.add_argument("targets", nargs="+", help="targets to compare with --against")
    parser.add_argument("--against", required=True, help="the reference target")
    parser.add_argument("--family", action="append", choices=FAMILIES,
                        help="families to run (default: all); repeatable")
    parser.add_argument("--prefix", help="regex of the names' part before the target, instead of "
                        "whole families (e.g. 'math/[^/]+/f16')")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds per benchmark")
    parser.add_argument("--json", type=Path, help="write every row's times here")
    args = parser.parse_args()

    prefixes = args.prefix or "|".join(NAME_PREFIX[family] for family in args.family or FAMILIES)
    everyone = [args.against, *args.targets]
    best: dict[str, dict[str, float]] = {target: {} for target in everyone}
    for _ in range(args.rounds):
        for target in everyone:
            for row, ns in run_target(args.binary, target, prefixes, args.min_time).items():
                best[target][row] = min(ns, best[target].get(row, math.inf))

    reference = best[args.against]
    rows = sorted(row for row in reference if all(row in best[t] for t in args.targets))
    if not rows:
        sys.exit(f"no benchmark rows for {', '.join(everyone)}: is each target supported here?")
    print(f"{'row':<48} " + " ".join(f"{t + ' / ' + args.against:>22}" for t in args.targets))
    for row in rows:
        print(f"{row:<48} " + " ".join(f"{reference[row] / best[t][row]:>22.2f}" for t in args.targets))
    closing_status = 0
    for target in args.targets:
        ratios = {row: reference[row] / best[target][row] for row in rows}
        geomean = math.exp(sum(math.log(r) for r in ratios.values()) / len(ratios))
        slowest = min(ratios, key=ratios.get)
        slower = sorted((row for row, r in ratios.items() if r < SLOWER_MARGIN), key=ratios.get)
        print(f"\n{target} vs {args.against}: {len(rows)} rows, geometric mean {geomean:.3f}x, "
              f"slowest {ratios[slowest]:.2f}x ({slowest}); "
              f"{len(slower)} rows more than {100 * (1 - SLOWER_MARGIN):.0f} % slower"
              + ("".join(f"\n  {row}: {ratios[row]:.2f}x" for row in slower[:30])))
    if args.json:
        args.json.write_text(json.dumps(best, indent=1))
    return closing_status


if __name__ == "__main__":
    sys.exit(main())
