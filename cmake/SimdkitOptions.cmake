include_guard(GLOBAL)
include(GNUInstallDirs)
set(SIMDKIT_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

option(SIMDKIT_BUILD_PYTHON "Build the pybind11 extension module" OFF)
option(SIMDKIT_BUILD_TESTS "Build the GoogleTest suite" ${PROJECT_IS_TOP_LEVEL})
option(SIMDKIT_BUILD_BENCHMARKS "Build the Google Benchmark binary" ${PROJECT_IS_TOP_LEVEL})
option(SIMDKIT_BUILD_TOOLS "Build the developer tools (tools/: the ULP accuracy measurement)" OFF)
option(BUILD_SHARED_LIBS "Build libsimdkit as a shared library" ON)
option(SIMDKIT_SANITIZE
  "Build the library, tests, tools and fuzzers with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(SIMDKIT_BUILD_FUZZERS "Build the libFuzzer harnesses of tests/fuzz (clang only)" OFF)
set(SIMDKIT_HWY_DISABLED_TARGETS "" CACHE STRING
  "Highway targets not to compile, as HWY_DISABLED_TARGETS takes them (e.g. HWY_SSSE3|HWY_AVX3); empty: every attainable one")

# clang: libFuzzer, and the ignorelist for Highway's headers (see
# simdkit_instrument below).
if((SIMDKIT_SANITIZE OR SIMDKIT_BUILD_FUZZERS) AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "SIMDKIT_SANITIZE and SIMDKIT_BUILD_FUZZERS need clang, not "
                      "${CMAKE_CXX_COMPILER_ID}: configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
# The fuzzers exist to catch memory errors, and the coverage hooks they put
# into the library come with the sanitizer runtimes: one instrumented build.
if(SIMDKIT_BUILD_FUZZERS AND NOT SIMDKIT_SANITIZE)
  message(FATAL_ERROR "SIMDKIT_BUILD_FUZZERS needs SIMDKIT_SANITIZE=ON")
endif()

# Every translation unit that includes Highway for dispatch must agree on the
# set of compiled targets, or the dispatch tables and hwy::ChosenTarget's mask
# disagree. Hence one function that all kernel code goes through.
#   HWY_COMPILE_ALL_ATTAINABLE: keep EMU128/SSSE3/SSE4 even though the x86-64
#     baseline would let Highway drop superseded targets.
#   HWY_WANT_AVX3_DL: Highway 1.0.3 leaves AVX3_DL out unless asked.
#   HWY_DISABLED_TARGETS, from SIMDKIT_HWY_DISABLED_TARGETS: for builds that
#     need not cover every target (the sanitized one, scripts/common.sh).
# No -m flags: Highway compiles each target with its own attributes, and the
# baseline code must run on any CPU of the architecture.
function(simdkit_configure_kernel_target target)
  target_compile_definitions(${target} PRIVATE
    HWY_COMPILE_ALL_ATTAINABLE
    HWY_WANT_AVX3_DL)
  if(SIMDKIT_HWY_DISABLED_TARGETS)
    target_compile_definitions(${target} PRIVATE
      "HWY_DISABLED_TARGETS=(${SIMDKIT_HWY_DISABLED_TARGETS})")
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-psabi)
  endif()
endfunction()

# Instrumentation of one target, from the two options above; everything that
# links libsimdkit in this build goes through here (the sanitizer runtimes
# must be linked into every executable that loads instrumented code).
#   -fno-sanitize=null,vptr,object-size,pointer-overflow: half of
#     UndefinedBehaviorSanitizer's compile time on the kernels at -O1, for
#     checks that AddressSanitizer (bad addresses), the API's null checks
#     and the absence of virtual classes make redundant here.
#   -fno-sanitize-recover=all: an undefined operation aborts, so a test or a
#     fuzz run fails instead of printing a report and passing.
#   -fsanitize=fuzzer-no-link: libFuzzer's coverage counters in the library,
#     so that fuzzing is guided by the kernels' branches, not only the
#     harness's.
#   sanitizer_ignorelist.txt: the one check left out, in Highway's headers.
function(simdkit_instrument target)
  if(SIMDKIT_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize=null,vptr,object-size,pointer-overflow
      -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    target_compile_options(${target} PRIVATE
      "-fsanitize-ignorelist=${SIMDKIT_CMAKE_DIR}/sanitizer_ignorelist.txt")
  endif()
  if(SIMDKIT_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# The AMX backend (kernels/amx_distance.cc) is compiled with no -m flags: its
# tile and AVX-512 code sits in target regions (#pragma GCC target / clang
# attribute push) and runs only after its run-time gate said yes. This probe
# asks whether the compiler and assembler can build such a region; where
# they cannot (old toolchains, other architectures) SIMDKIT_HAVE_AMX=0 leaves
# the region out and the backend reports itself unavailable.
#   -ffp-contract=off: the tile code and its scalar model round the
#   finishing identically (no fused multiply-adds in one of them only).
#   -fno-trapping-math -fno-math-errno: the finishing's clamps and square
#   roots become vector selects and sqrt instructions (values unchanged:
#   only floating-point exception flags and errno are not kept).
function(simdkit_configure_amx_target target)
  include(CheckCXXSourceCompiles)
  check_cxx_source_compiles([[
#include <immintrin.h>
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,amx-tile,amx-bf16,amx-int8"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,amx-tile,amx-bf16,amx-int8")
#endif
static void Tiles(const void* config, void* data) {
  _tile_loadconfig(config);
  _tile_loadd(0, data, 64);
  _tile_loadd(2, data, 64);
  _tile_zero(4);
  _tile_dpbf16ps(4, 0, 2);
  _tile_dpbssd(4, 0, 2);
  _tile_dpbuud(4, 0, 2);
  _tile_stored(4, data, 64);
  _tile_release();
  _mm512_storeu_si512(data, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 3,
                                                        _mm512_set1_epi32(4), data, 1));
}
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
int main(int argc, char**) {
  alignas(64) static unsigned char buffer[1024];
  if (argc > 5) Tiles(buffer, buffer);
  return 0;
}
]] SIMDKIT_COMPILER_HAS_AMX)
  if(SIMDKIT_COMPILER_HAS_AMX)
    set(have_amx 1)
  else()
    set(have_amx 0)
  endif()
  target_compile_definitions(${target} PRIVATE SIMDKIT_HAVE_AMX=${have_amx})
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -ffp-contract=off -fno-trapping-math
                                              -fno-math-errno)
  endif()
endfunction()
