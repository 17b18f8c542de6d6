#!/usr/bin/env bash
# Every test: the C++ suite (each kernel on each supported target), the same
# against the other supported Debian release's Highway (1.2.0 on Debian 12,
# 1.0.3 on Debian 13), C++ consumers of installed copies (shared and static;
# CMake package and pkg-config), the C++ suite again under AddressSanitizer
# and UndefinedBehaviorSanitizer with a bounded run of every fuzzer, a smoke
# run of the benchmark binary, the wheel for users built, installed in a
# fresh virtual environment and tested there with the system's Highway
# hidden, then the heterogeneous-CPU matrix (x86 models with both Highways
# and the installed wheel, aarch64, under qemu). Each stage prints its wall time; the matrix, last,
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

stage "Python: the wheel for users (scripts/wheel.sh) in a fresh virtual environment, pytest there with the system's Highway hidden"
# The source build, installed as the main job installs it: its result
# digests are what the wheel's must equal on every target.
install_python
"$PYTHON" tests/python/result_digest.py >build/source-digests.json
export SIMDKIT_TEST_WHEEL_DIGESTS="$PWD/build/source-digests.json"
scripts/wheel.sh "$WHEEL_DIST_DIR"
# Test dependencies come from the system's site-packages, simdkit from the
# wheel only: installed even though the source build is visible there, then
# its requirements (numpy) checked against what the environment has.
rm -rf "$WHEEL_VENV"
"$PYTHON" -m venv --system-site-packages "$WHEEL_VENV"
"$WHEEL_VENV/bin/python" -m pip install -q --disable-pip-version-check --no-index --no-deps \
  --ignore-installed "$WHEEL_DIST_DIR"/simdkit-*.whl
"$WHEEL_VENV/bin/python" -m pip check --disable-pip-version-check
# These need the system's Highway: the report's and compare_knn's benchmark
# binary is the source build's, and the isolation test's second module links
# the system libhwy (beside the wheel's own copy, here).
needs_system_highway=(tests/python/test_report.py tests/python/test_compare_knn.py
                      tests/python/test_dispatch_isolation.py)
scripts/without_system_highway.sh "$WHEEL_VENV/bin/python" -m pytest tests/python -q \
  "${needs_system_highway[@]/#/--ignore=}"
SIMDKIT_BENCHMARK_BINARY="$BENCHMARK_BINARY" "$WHEEL_VENV/bin/python" -m pytest -q \
  "${needs_system_highway[@]}"

stage "Heterogeneous CPUs under qemu: x86 models (GoogleTest with both Highways, the installed wheel's pytest), aarch64 (GoogleTest)"
build_cpp_aarch64
"$PYTHON" tests/heterogeneous/run_matrix.py \
  --gtest-x86 "$BUILD_DIR/tests/simdkit_tests" \
  --gtest-x86-other-highway "$OTHER_HIGHWAY_BUILD_DIR/tests/simdkit_tests" \
  --gtest-aarch64 "$AARCH64_BUILD_DIR/tests/simdkit_tests" \
  --baseline-python-path build/baseline-python \
  --python "$WHEEL_VENV/bin/python" --hide-system-highway
