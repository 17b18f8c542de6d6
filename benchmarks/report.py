#!/usr/bin/env python3
"""Per-ISA benchmark report of simdkit on this machine (the main job).

    python3 benchmarks/report.py --benchmark-binary build/cmake/benchmarks/simdkit_benchmarks
                                 [--out-dir DIR] [--quick] [--filter FAMILY]

Runs every kernel of every family on every target this CPU supports (the
Google Benchmark binary, once per target, JSON per target), the same
kernels from Python beside NumPy/SciPy, NumKong and (topk) FAISS on the
same inputs, the math family at 1 Mi and 16 Mi elements on one and two
threads beside NumPy and numexpr, and this machine's limits (peak FMA rate,
read and triad bandwidth); writes DIR/report.md (summary first), DIR/report.json,
DIR/charts/*.png and DIR/cpp/<TARGET>.json.
DIR defaults to reports/<cpu-model> in the repository. The code is the
package benchmarks/perfreport/ (see its __init__ for the modules).
"""

import sys

from perfreport.cli import main

if __name__ == "__main__":
    sys.exit(main())
