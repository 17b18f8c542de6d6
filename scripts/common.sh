# Sourced by main.sh and test.sh: set-up, then the build steps they share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
BUILD_DIR=build/cmake
BENCHMARK_BINARY="$PWD/$BUILD_DIR/benchmarks/simdkit_benchmarks"
AARCH64_BUILD_DIR=build/aarch64

scripts/setup.sh

# build_cpp ON|OFF: the library and benchmarks, with or without the tests
# (and the developer tools, whose smoke tests run with them).
build_cpp() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSIMDKIT_BUILD_TESTS="$1" -DSIMDKIT_BUILD_TOOLS="$1" -DSIMDKIT_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$BUILD_DIR"
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
