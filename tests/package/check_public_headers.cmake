# ctest script (tests/CMakeLists.txt): each public header compiles on its own,
# warning-free under -Wall -Wextra -Wpedantic, with only simdkit's include
# directories, and includes no Highway header (hwy/ lies in /usr/include on
# Debian, so a stray include would compile: the compiler's -H list of every
# header opened is what is checked).
#   cmake -DCXX=<compiler> -DSOURCE_INCLUDE=<dir> -DBINARY_INCLUDE=<dir>
#         -DWORK_DIR=<dir> -P check_public_headers.cmake
file(GLOB headers RELATIVE "${SOURCE_INCLUDE}" "${SOURCE_INCLUDE}/simdkit/*.h")
file(GLOB generated RELATIVE "${BINARY_INCLUDE}" "${BINARY_INCLUDE}/simdkit/*.h")
list(APPEND headers ${generated})
list(LENGTH headers count)
if(count LESS 9)
  message(FATAL_ERROR "expected at least 9 public headers (7 written, export.h, version.h), found: ${headers}")
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")
foreach(header IN LISTS headers)
  string(MAKE_C_IDENTIFIER "${header}" name)
  set(source "${WORK_DIR}/${name}.cc")
  file(WRITE "${source}" "#include <${header}>\n#include <${header}>\n")
  execute_process(
    COMMAND "${CXX}" -std=c++17 -Wall -Wextra -Wpedantic -Werror -H -fsyntax-only
            -I "${SOURCE_INCLUDE}" -I "${BINARY_INCLUDE}" "${source}"
    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE included)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "<${header}> does not compile on its own:\n${included}")
  endif()
  if(included MATCHES "[/ ]hwy/")
    string(REGEX MATCHALL "[^\n]*hwy/[^\n]*" offenders "${included}")
    message(FATAL_ERROR "<${header}> pulls in Highway headers:\n${offenders}")
  endif()
endforeach()
message(STATUS "${count} public headers compile alone, without Highway: ${headers}")
