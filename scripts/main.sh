#!/usr/bin/env bash
# The main job: build and install simdkit, then write this machine's per-ISA
# benchmark report to reports/<cpu>/. Arguments go to benchmarks/report.py:
# --quick (a smoke run), --filter FAMILY (or boundary: the Python boundary alone), --out-dir DIR.
SETUP_PROFILE=main
source "$(dirname "$0")/common.sh"

echo "== Build (C++ library, benchmarks) and install the Python package"
build_cpp OFF
install_python

echo "== Benchmark report"
"$PYTHON" benchmarks/report.py --benchmark-binary "$BENCHMARK_BINARY" "$@"
