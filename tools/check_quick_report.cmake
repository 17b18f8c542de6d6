# ctest script (tools/CMakeLists.txt): runs simdkit_ulp_accuracy --quick
# and checks that it succeeds and writes a report with both tables.
#   cmake -DTOOL=<path> -DREPORT=<path> -P check_quick_report.cmake
file(REMOVE "${REPORT}")
execute_process(COMMAND "${TOOL}" --quick --output "${REPORT}"
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "simdkit_ulp_accuracy --quick exited with ${status}\n${output}\n${errors}")
endif()
if(NOT EXISTS "${REPORT}")
  message(FATAL_ERROR "simdkit_ulp_accuracy --quick wrote no report at ${REPORT}\n${output}")
endif()
file(READ "${REPORT}" report)
set(header "| function | max ULP | worst input (bits) | worst input | result there | reference there | > 1 ULP | inputs checked | NaN / Inf mismatches |")
foreach(expected "# Measured accuracy of the math functions" "## float32" "## float64"
                 "${header}" "| exp | " "| gelu_tanh | " "| gelu | ")
  string(FIND "${report}" "${expected}" position)
  if(position EQUAL -1)
    message(FATAL_ERROR "the report ${REPORT} lacks '${expected}':\n${report}")
  endif()
endforeach()
# One row per function and dtype: kFunctionCount (include/simdkit/math.h,
# 28) functions x 2 tables.
string(REGEX MATCHALL "\n\\| [a-z_0-9]+ \\| [0-9.]+ \\|" rows "${report}")
list(LENGTH rows row_count)
if(NOT row_count EQUAL 56)
  message(FATAL_ERROR "expected 56 function rows in ${REPORT}, found ${row_count}:\n${report}")
endif()
message(STATUS "simdkit_ulp_accuracy --quick: report ${REPORT} has both tables")
