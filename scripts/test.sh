#!/usr/bin/env bash
# Every test: the C++ suite (each kernel on each supported target), the same
# against the other supported Debian release's Highway (1.2.0 on Debian 12,
# 1.0.3 on Debian 13), C++ consumers of installed copies (shared and static;
# CMake package and pkg-config), the C++ suite again under AddressSanitizer
# and UndefinedBehaviorSanitizer with a bounded run of every fuzzer, a smoke
# run of the benchmark binary, the Python package built, installed and
# tested, then the heterogeneous-CPU matrix (x86 models with both Highways,
# aarch64, under qemu). Each stage prints its wall time; the matrix, last,
# prints each leg's and its own before its closing line.
SETUP_PROFILE=test
source "$(dirname "$0")/common.sh"

stage_start=$SECONDS
stage() {
  [ -z "${stage_title:-}" ] || echo "-- $stage_title: $((SECONDS - stage_start)) s ($SECONDS s so far)"
  stage_title=$1
  stage_start=$SECONDS
  echo "== $1"
}

# Which Highway a build's GoogleTests ran against, and the targets they ran.
print_highway() {
  local targets
  targets=$("$1/tests/simdkit_tests" --gtest_list_tests |
    sed -n 's/.*GetParam() = "\([A-Z0-9_]*\)"$/\1/p' | awk '!seen[$0]++' | tr '\n' ' ')
  echo "$("$1/tests/simdkit_tests" --gtest_filter='Dispatch.LoadsTheHighwayItWasCompiledWith' |
    grep -o 'Highway .* loaded'); targets tested: $targets"
}

stage "C++: build, GoogleTest on every supported target"
build_cpp ON
ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2
print_highway "$BUILD_DIR"

stage "C++ against the other Debian release's Highway: build, GoogleTest on every supported target"
build_cpp_other_highway OFF
ctest --test-dir "$OTHER_HIGHWAY_BUILD_DIR" --output-on-failure -j 2
print_highway "$OTHER_HIGHWAY_BUILD_DIR"

stage "C++ consumers: installed shared and static copies, examples/cpp via CMake and pkg-config"
scripts/test_consumers.sh "$BUILD_DIR"

stage "C++ under ASan + UBSan (clang): GoogleTest, fuzz regressions, 20 s per fuzzer"
build_sanitized
ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure -j 2
run_fuzzers 20

stage "Benchmark binary smoke run (not timed)"
"$BENCHMARK_BINARY" --benchmark_filter='/16$' --benchmark_min_time=0.001 >/dev/null

stage "Python: install, pytest"
install_python
SIMDKIT_BENCHMARK_BINARY="$BENCHMARK_BINARY" "$PYTHON" -m pytest tests/python -q

stage "Heterogeneous CPUs under qemu: x86 models (GoogleTest with both Highways, pytest), aarch64 (GoogleTest)"
build_cpp_aarch64
"$PYTHON" tests/heterogeneous/run_matrix.py \
  --gtest-x86 "$BUILD_DIR/tests/simdkit_tests" \
  --gtest-x86-other-highway "$OTHER_HIGHWAY_BUILD_DIR/tests/simdkit_tests" \
  --gtest-aarch64 "$AARCH64_BUILD_DIR/tests/simdkit_tests" \
  --baseline-python-path build/baseline-python \
  --python "$("$PYTHON" -c 'import sys; print(sys.executable)')"
