# Sourced by main.sh and test.sh: set-up, then the build steps they share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
BUILD_DIR=build/cmake
BENCHMARK_BINARY="$PWD/$BUILD_DIR/benchmarks/simdkit_benchmarks"

scripts/setup.sh

# build_cpp ON|OFF: the library and benchmarks, with or without the tests.
build_cpp() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSIMDKIT_BUILD_TESTS="$1" -DSIMDKIT_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$BUILD_DIR"
}

install_python() {
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-build-isolation .
}
