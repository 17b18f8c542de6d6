# ctest script (tests/CMakeLists.txt): the shared libsimdkit's dynamic symbol
# table holds the simdkit:: API and nothing else: no Highway per-target code
# (simdkit::N_AVX2::...), no internal namespaces, no standard-library
# template instances.
#   cmake -DNM=<nm> -DLIBRARY=<libsimdkit.so> -P check_exported_symbols.cmake
execute_process(COMMAND "${NM}" -D --defined-only -C "${LIBRARY}"
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${NM} -D --defined-only -C ${LIBRARY} failed (${status}): ${errors}")
endif()
string(REPLACE ";" "\\;" output "${output}")
string(REPLACE "\n" ";" lines "${output}")
set(exported "")
set(unexpected "")
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  # "<address> <type> <demangled name>"
  if(NOT line MATCHES "^[0-9a-fA-F]* *[A-Za-z] (.+)$")
    message(FATAL_ERROR "cannot read this line of nm's output: '${line}'")
  endif()
  set(symbol "${CMAKE_MATCH_1}")
  # A free function directly in simdkit (API names are lower case; Highway's
  # N_AVX2 and our internal namespaces are followed by "::", not "("), or a
  # member function of one of the API's classes (listed: a class exported by
  # mistake must still fail).
  if(symbol MATCHES "^simdkit::[a-z_0-9]+(\\(|\\[abi:)" OR
     symbol MATCHES "^simdkit::PackedMatrix::[A-Za-z_0-9~]+(\\(|\\[abi:)")
    list(APPEND exported "${symbol}")
  else()
    list(APPEND unexpected "${symbol}")
  endif()
endforeach()
if(unexpected)
  list(LENGTH unexpected unexpected_count)
  list(SUBLIST unexpected 0 10 first)
  list(JOIN first "\n  " first_lines)
  message(FATAL_ERROR "${LIBRARY} exports ${unexpected_count} symbols outside the simdkit:: "
                      "API, among them:\n  ${first_lines}")
endif()
# A sample of the API from every header, so that an empty table (or one
# missing a family) cannot pass.
foreach(expected
    "simdkit::sum(float const*, unsigned long)"
    "simdkit::sum(simdkit::Span<float const>)"
    "simdkit::cdist(simdkit::Metric, simdkit::MatrixView const&, simdkit::MatrixView const&, simdkit::MutableMatrixView const&, unsigned long)"
    "simdkit::PackedMatrix::PackedMatrix(simdkit::MatrixView const&)"
    "simdkit::to_bfloat16(float const*, unsigned long, unsigned short*)"
    "simdkit::softmax(simdkit::MatrixView const&, simdkit::MutableMatrixView const&)"
    "simdkit::set_target(std::basic_string_view<char, std::char_traits<char> >)"
    "simdkit::dtype_name(simdkit::DType)"
    "simdkit::version()")
  list(FIND exported "${expected}" index)
  if(index EQUAL -1)
    list(JOIN exported "\n  " exported_lines)
    message(FATAL_ERROR "${LIBRARY} does not export '${expected}'; it exports:\n  ${exported_lines}")
  endif()
endforeach()
list(LENGTH exported count)
message(STATUS "${LIBRARY}: ${count} exported symbols, all simdkit:: API")
