#!/usr/bin/env bash
# The main job: build and install simdkit, then write this machine's per-ISA
# benchmark report to reports/<cpu>/ (pass --quick for a smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

scripts/setup.sh

echo "== Build (C++ library, benchmarks) and install the Python package"
cmake -S . -B build/cmake -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSIMDKIT_BUILD_TESTS=OFF -DSIMDKIT_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build/cmake
"$PYTHON" -m pip install -q --disable-pip-version-check --no-build-isolation .

echo "== Benchmark report"
"$PYTHON" benchmarks/report.py --benchmark-binary build/cmake/benchmarks/simdkit_benchmarks "$@"
