# Sourced by main.sh, test.sh and fuzz.sh, which set SETUP_PROFILE first
# (main or test, see setup.sh): set-up, then the build steps they share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
BUILD_DIR=build/cmake
BENCHMARK_BINARY="$PWD/$BUILD_DIR/benchmarks/simdkit_benchmarks"
AARCH64_BUILD_DIR=build/aarch64
OTHER_HIGHWAY_BUILD_DIR=build/other-highway/cmake
SANITIZE_BUILD_DIR=build/sanitize
WHEEL_DIST_DIR=build/wheel-dist
WHEEL_VENV=build/wheel-venv
FUZZ_FAMILIES=(convert distance math reduce binary_math)

scripts/setup.sh "${SETUP_PROFILE:?set SETUP_PROFILE to main or test before sourcing common.sh}"
if [ "$SETUP_PROFILE" = test ]; then
  # The test run builds the library's objects three times, in the shared
  # build, the consumers' static one and the Python package's (all PIC,
  # Release, the same flags whether shared or static, at the same depth
  # under build/): through ccache the second and third compile nothing.
  # The compiler by one name too: pip's build takes Python's (sysconfig's
  # CXX, g++), CMake's default search finds c++ first, and ccache tells the
  # names apart.
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_DIR="$PWD/build/ccache" CCACHE_BASEDIR="$PWD"
  export CXX=${CXX:-g++}
fi

# build_cpp ON|OFF: the library and benchmarks, with or without the tests
# (and the developer tools, whose smoke tests run with them). The benchmarks'
# floor module (benchmarks/boundary_floor.c) is built for $PYTHON, which
# imports it in the report.
build_cpp() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSIMDKIT_BUILD_TESTS="$1" -DSIMDKIT_BUILD_TOOLS="$1" -DSIMDKIT_BUILD_BENCHMARKS=ON \
    -DPython_EXECUTABLE="$("$PYTHON" -c 'import sys; print(sys.executable)')" >/dev/null
  cmake --build "$BUILD_DIR"
}

# build_cpp_other_highway ON|OFF: the library and its GoogleTests (and the
# benchmarks if ON) against the other supported Debian release's Highway
# (scripts/other_highway.sh: 1.2.0 on Debian 12, 1.0.3 on Debian 13), found
# through hwy_DIR and loaded through the build tree's run path.
build_cpp_other_highway() {
  local root hwy_config
  root=$(scripts/other_highway.sh)
  hwy_config=$(find "$root" -name hwy-config.cmake -print -quit)
  cmake -S . -B "$OTHER_HIGHWAY_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -Dhwy_DIR="$(dirname "$hwy_config")" -DSIMDKIT_BUILD_TESTS=ON \
    -DSIMDKIT_BUILD_BENCHMARKS="$1" >/dev/null
  cmake --build "$OTHER_HIGHWAY_BUILD_DIR"
}

# The library and its GoogleTests for aarch64 (run under qemu-aarch64).
build_cpp_aarch64() {
  cmake -S . -B "$AARCH64_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
    -DSIMDKIT_BUILD_TESTS=ON -DSIMDKIT_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$AARCH64_BUILD_DIR"
}

install_python() {
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-build-isolation .
}

# The clang build with AddressSanitizer and UndefinedBehaviorSanitizer
# (SIMDKIT_SANITIZE) that the sanitized GoogleTests and the libFuzzer
# harnesses (SIMDKIT_BUILD_FUZZERS) both come from. -O1: a quarter of -O0's
# compile time would cost ten times the run time (the GoogleTests take 13
# CPU minutes at -O0 and 1 at -O1, for 4 more of compiling); line tables
# for the sanitizers' stack traces; assertions on (Debug). Four x86 targets
# of six: the portable one, SSE4 (whose masked loads read whole vectors),
# AVX2 (16 registers) and AVX3_DL with the newer ones (32 registers, VNNI);
# SSSE3 and AVX3 are their near copies, and each costs a sixth of the
# kernels' instrumented compile (tens of CPU minutes in all). The Release
# build tests every target.
build_sanitized() {
  cmake -S . -B "$SANITIZE_BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DSIMDKIT_HWY_DISABLED_TARGETS="HWY_SSSE3|HWY_AVX3" \
    -DSIMDKIT_SANITIZE=ON -DSIMDKIT_BUILD_FUZZERS=ON -DSIMDKIT_BUILD_TESTS=ON \
    -DSIMDKIT_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$SANITIZE_BUILD_DIR"
}

# run_fuzzers SECONDS [FAMILY...]: each fuzzer (default: all) for SECONDS,
# as many at a time as there are cores, each growing a working corpus in
# build/sanitize/fuzz/corpus/<family> from the committed tests/fuzz/corpus.
# An input that fails is saved in build/sanitize/fuzz/artifacts/<family>/
# and fails the run; copied into tests/fuzz/regressions/<family>/ it
# becomes a regression test (ctest replays it every time).
run_fuzzers() {
  local seconds=$1
  shift
  local families=("$@")
  [ ${#families[@]} -gt 0 ] || families=("${FUZZ_FAMILIES[@]}")
  local work="$SANITIZE_BUILD_DIR/fuzz" jobs
  jobs=$(nproc)
  local family
  for family in "${families[@]}"; do
    mkdir -p "$work/corpus/$family" "$work/artifacts/$family"
    rm -f "$work/$family.status"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    (
      status=0
      "$SANITIZE_BUILD_DIR/tests/fuzz/${family}_fuzzer" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/$family/" \
        "$work/corpus/$family" "tests/fuzz/corpus/$family" >"$work/$family.log" 2>&1 || status=$?
      echo "$status" >"$work/$family.status"
    ) &
  done
  wait
  local failed=0
  for family in "${families[@]}"; do
    local runs speed
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$family.log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$family.log")
    if [ "$(cat "$work/$family.status")" = 0 ]; then
      echo "fuzz $family: ${runs:-?} inputs in ${seconds} s (${speed:-?}/s), nothing found"
    else
      failed=1
      echo "fuzz $family: FAILED, log $work/$family.log; the input is in $work/artifacts/$family/"
      grep -E "simdkit fuzz check failed|ERROR: |runtime error|SUMMARY" "$work/$family.log" | head -5
    fi
  done
  return "$failed"
}
