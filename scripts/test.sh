#!/usr/bin/env bash
# Every test: the C++ suite (each kernel on each supported target), C++
# consumers of installed copies (shared and static; CMake package and
# pkg-config), the C++ suite again under AddressSanitizer and
# UndefinedBehaviorSanitizer with a bounded run of every fuzzer, a smoke run
# of the benchmark binary, the Python package built, installed and tested,
# then the heterogeneous-CPU matrix (x86 models and aarch64 under qemu).
source "$(dirname "$0")/common.sh"

echo "== C++: build, GoogleTest on every supported target"
build_cpp ON
ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2

echo "== C++ consumers: installed shared and static copies, examples/cpp via CMake and pkg-config"
scripts/test_consumers.sh "$BUILD_DIR"

echo "== C++ under ASan + UBSan (clang): GoogleTest, fuzz regressions, 20 s per fuzzer"
build_sanitized
ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure -j 2
run_fuzzers 20

echo "== Benchmark binary smoke run (not timed)"
"$BENCHMARK_BINARY" --benchmark_filter='/16$' --benchmark_min_time=0.001 >/dev/null

echo "== Python: install, pytest"
install_python
SIMDKIT_BENCHMARK_BINARY="$BENCHMARK_BINARY" "$PYTHON" -m pytest tests/python -q

echo "== Heterogeneous CPUs under qemu: x86 models (GoogleTest, pytest), aarch64 (GoogleTest)"
build_cpp_aarch64
"$PYTHON" tests/heterogeneous/run_matrix.py \
  --gtest-x86 "$BUILD_DIR/tests/simdkit_tests" \
  --gtest-aarch64 "$AARCH64_BUILD_DIR/tests/simdkit_tests" \
  --baseline-python-path build/baseline-python \
  --python "$("$PYTHON" -c 'import sys; print(sys.executable)')"
