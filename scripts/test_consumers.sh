#!/usr/bin/env bash
# C++ consumers against installed copies of simdkit, shared and static: each
# is installed to a temporary prefix, then examples/cpp is built and run
# through find_package(simdkit) (CMake) and through `pkg-config --cflags
# --libs simdkit` (`--static` for the static copy), and its output checked.
#
#   scripts/test_consumers.sh [SHARED_BUILD_DIR]
#
# SHARED_BUILD_DIR (default build/cmake, which scripts/test.sh has built) is
# installed as it is, after `cmake --build` (a no-op when it is up to date;
# configured here, library only, if it does not exist yet). The static
# library is built in build/static (library only; its objects are the shared
# build's, which ccache hands back when scripts/test.sh runs this). Set
# CMAKE_BUILD_PARALLEL_LEVEL to bound the build's parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED_BUILD_DIR=${1:-build/cmake}
STATIC_BUILD_DIR=build/static
VERSION=$(sed -n 's/^project(simdkit VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
SOURCE=$PWD/examples/cpp/nearest_neighbours.cc
CXX=${CXX:-c++}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/simdkit-consumers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() {
  echo "test_consumers: FAIL: $*" >&2
  exit 1
}

# quietly LABEL COMMAND...: runs COMMAND, showing its output only if it fails
# (ninja prints compiler errors on stdout).
quietly() {
  local label=$1 output
  shift
  output=$("$@" 2>&1) || fail "$label: '$*' exited with $?:
$output"
}

# configure_library DIR SHARED(ON|OFF): a library-only build, unless DIR is
# already configured (then its own settings stand).
configure_library() {
  if [ ! -f "$1/CMakeCache.txt" ]; then
    quietly "configuring $1" cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_SHARED_LIBS="$2" -DSIMDKIT_BUILD_TESTS=OFF -DSIMDKIT_BUILD_BENCHMARKS=OFF \
      -DSIMDKIT_BUILD_TOOLS=OFF -DSIMDKIT_BUILD_PYTHON=OFF
  fi
  cmake --build "$1" --target simdkit
}

# check_output LABEL OUTPUT: what the example must have found and printed.
check_output() {
  local label=$1 output=$2 expected
  for expected in \
      "simdkit $VERSION (headers $VERSION), active target: " \
      "query 0: nearest 7 " "query 1: nearest 1234 " "query 2: nearest 1999 " \
      "cdist + argmin_rows agree with topk: yes" \
      "bfloat16 database finds the same nearest rows: yes" \
      "packed database gives the same neighbours and distances: yes" \
      "same neighbours on every supported target: yes" \
      "vectors of different lengths: simdkit::dot: b has 95 elements; expected 96"; do
    grep -qF -- "$expected" <<<"$output" || fail "$label: the example did not print '$expected':
$output"
  done
  local active
  active=$(sed -n 's/.*active target: \([A-Z0-9_]*\)$/\1/p' <<<"$output")
  [ -n "$active" ] || fail "$label: no active target in the output:
$output"
  grep -q "^supported targets: \(.* \)\?$active\( \|$\)" <<<"$output" ||
    fail "$label: active target $active is not among the supported ones:
$output"
  echo "  $label: nearest neighbours found, active target $active"
}

# run_and_check LABEL BINARY [ENV...]: runs the example and checks its output.
run_and_check() {
  local label=$1 binary=$2 output
  shift 2
  output=$(env "$@" "$binary" 2>&1) || fail "$label: $binary exited with $?:
$output"
  check_output "$label" "$output"
}

# test_prefix KIND(shared|static) PREFIX: both consumer paths against PREFIX.
test_prefix() {
  local kind=$1 prefix=$2
  local pc_file
  pc_file=$(find "$prefix" -name simdkit.pc -path '*/pkgconfig/*')
  [ -n "$pc_file" ] || fail "$kind: no simdkit.pc installed under $prefix"
  for file in include/simdkit/simdkit.h include/simdkit/version.h include/simdkit/export.h; do
    [ -f "$prefix/$file" ] || fail "$kind: $file not installed under $prefix"
  done
  local config
  config=$(find "$prefix" -name simdkitConfig.cmake)
  [ -f "$(dirname "$config")/simdkitConfigVersion.cmake" ] ||
    fail "$kind: no simdkitConfig.cmake with its version file under $prefix"

  # CMake package: find_package(simdkit) must find this prefix's copy.
  local build=$WORK/$kind-example
  quietly "$kind: configuring examples/cpp" cmake -S examples/cpp -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
  local found
  found=$(sed -n 's/^simdkit_DIR:PATH=//p' "$build/CMakeCache.txt")
  [ "$found" = "$(dirname "$config")" ] ||
    fail "$kind: find_package(simdkit) found '$found', not the copy in $prefix"
  quietly "$kind: building examples/cpp" cmake --build "$build"
  local linked
  linked=$(ldd "$build/nearest_neighbours" | grep libsimdkit || true)
  if [ "$kind" = shared ]; then
    [[ "$linked" == *"$prefix/"* ]] || fail "$kind: the example does not load libsimdkit from $prefix: $linked"
  else
    [ -z "$linked" ] || fail "$kind: the example loads a shared libsimdkit: $linked"
  fi
  run_and_check "$kind, CMake find_package" "$build/nearest_neighbours"

  # pkg-config: one compiler command, nothing else.
  local pc_dir static_flag="" flags run_env=()
  pc_dir=$(dirname "$pc_file")
  [ "$kind" = static ] && static_flag=--static
  [ "$(PKG_CONFIG_PATH=$pc_dir pkg-config --modversion simdkit)" = "$VERSION" ] ||
    fail "$kind: pkg-config --modversion simdkit is not $VERSION"
  flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config $static_flag --cflags --libs simdkit)
  case "$flags" in *"-I$prefix/"*) ;; *) fail "$kind: pkg-config flags do not point into $prefix: $flags" ;; esac
  # A shared copy needs no Highway flags at all; a static one links libhwy.
  if [ "$kind" = shared ] && [[ "$flags" == *hwy* ]]; then
    fail "$kind: pkg-config hands consumers Highway flags: $flags"
  fi
  if [ "$kind" = static ] && [[ "$flags" != *-lhwy* ]]; then
    fail "$kind: pkg-config --static does not link libhwy: $flags"
  fi
  # shellcheck disable=SC2086  # the flags are words
  quietly "$kind: compiling with pkg-config's flags" \
    "$CXX" -std=c++17 -Wall -Wextra -Werror "$SOURCE" $flags -o "$WORK/$kind-pkg-config"
  if [ "$kind" = shared ]; then
    run_env=(LD_LIBRARY_PATH="$(PKG_CONFIG_PATH=$pc_dir pkg-config --variable=libdir simdkit)")
  fi
  run_and_check "$kind, pkg-config $static_flag($flags)" "$WORK/$kind-pkg-config" "${run_env[@]}"
}

echo "-- shared library ($SHARED_BUILD_DIR), installed to a temporary prefix"
configure_library "$SHARED_BUILD_DIR" ON
grep -q '^BUILD_SHARED_LIBS:BOOL=ON' "$SHARED_BUILD_DIR/CMakeCache.txt" ||
  fail "$SHARED_BUILD_DIR is not a shared-library build"
quietly "installing $SHARED_BUILD_DIR" cmake --install "$SHARED_BUILD_DIR" --prefix "$WORK/shared"
# The soname carries MAJOR, or MAJOR.MINOR before 1.0 (CMakeLists.txt).
expected_soname=libsimdkit.so.${VERSION%%.*}
[ "${VERSION%%.*}" = 0 ] && expected_soname=libsimdkit.so.${VERSION%.*}
soname=$(readelf -d "$(find "$WORK/shared" -name "libsimdkit.so.$VERSION")" |
         sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "$expected_soname" ] || fail "soname is '$soname', expected $expected_soname"
test_prefix shared "$WORK/shared"

echo "-- static library ($STATIC_BUILD_DIR), installed to a temporary prefix"
configure_library "$STATIC_BUILD_DIR" OFF
grep -q '^BUILD_SHARED_LIBS:BOOL=OFF' "$STATIC_BUILD_DIR/CMakeCache.txt" ||
  fail "$STATIC_BUILD_DIR is not a static-library build"
quietly "installing $STATIC_BUILD_DIR" cmake --install "$STATIC_BUILD_DIR" --prefix "$WORK/static"
[ -n "$(find "$WORK/static" -name libsimdkit.a)" ] || fail "no libsimdkit.a installed"
test_prefix static "$WORK/static"
echo "C++ consumers: CMake package and pkg-config, shared and static: OK"
