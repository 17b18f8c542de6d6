#!/usr/bin/env python3
"""The cost of the boundary (issue 17), alone: ns per call of every public
simdkit function at n = 1, 16, 128 beside the floor of a Python call,
NumKong and NumPy/SciPy, in one run of a minute or two.

    python3 benchmarks/boundary.py [--floor-dir DIR] [--quick] [--json FILE]

The floor is the module simdkit_boundary_floor, built with the benchmarks
beside simdkit_benchmarks (build/cmake/benchmarks/ by default, or beside
$SIMDKIT_BENCHMARK_BINARY). Prints the table that the report's "The cost of
the boundary" section has (benchmarks/report.py --filter boundary), without
its C++ column. The code is perfreport/boundary.py.
"""

import sys

from perfreport.boundary import main

if __name__ == "__main__":
    sys.exit(main())
