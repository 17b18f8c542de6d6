include_guard(GLOBAL)
include(GNUInstallDirs)

option(SIMDKIT_BUILD_PYTHON "Build the pybind11 extension module" OFF)
option(SIMDKIT_BUILD_TESTS "Build the GoogleTest suite" ${PROJECT_IS_TOP_LEVEL})
option(SIMDKIT_BUILD_BENCHMARKS "Build the Google Benchmark binary" ${PROJECT_IS_TOP_LEVEL})
option(SIMDKIT_BUILD_TOOLS "Build the developer tools (tools/: the ULP accuracy measurement)" OFF)
option(BUILD_SHARED_LIBS "Build libsimdkit as a shared library" ON)

# Every translation unit that includes Highway for dispatch must agree on the
# set of compiled targets, or the dispatch tables and hwy::ChosenTarget's mask
# disagree. Hence one function that all kernel code goes through.
#   HWY_COMPILE_ALL_ATTAINABLE: keep EMU128/SSSE3/SSE4 even though the x86-64
#     baseline would let Highway drop superseded targets.
#   HWY_WANT_AVX3_DL: Highway 1.0.3 leaves AVX3_DL out unless asked.
# No -m flags: Highway compiles each target with its own attributes, and the
# baseline code must run on any CPU of the architecture.
function(simdkit_configure_kernel_target target)
  target_compile_definitions(${target} PRIVATE
    HWY_COMPILE_ALL_ATTAINABLE
    HWY_WANT_AVX3_DL)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-psabi)
  endif()
endfunction()
