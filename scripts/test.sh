#!/usr/bin/env bash
# Every test: the C++ suite (each kernel on each supported target), a smoke run
# of the benchmark binary, then the Python package built, installed and tested.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

scripts/setup.sh

echo "== C++: configure, build, GoogleTest per target"
cmake -S . -B build/cmake -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSIMDKIT_BUILD_TESTS=ON -DSIMDKIT_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build/cmake
ctest --test-dir build/cmake --output-on-failure -j 2

echo "== Benchmark binary smoke run (not timed)"
build/cmake/benchmarks/simdkit_benchmarks --benchmark_filter='/16$' \
  --benchmark_min_time=0.001 >/dev/null

echo "== Python: install, pytest"
"$PYTHON" -m pip install -q --disable-pip-version-check --no-build-isolation .
export SIMDKIT_BENCHMARK_BINARY="$PWD/build/cmake/benchmarks/simdkit_benchmarks"
"$PYTHON" -m pytest tests/python -q
