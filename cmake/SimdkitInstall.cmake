include_guard(GLOBAL)
# Install rules for C++ consumers: headers, the library, and a CMake package
# exporting simdkit::simdkit. The Python wheel installs only the extension.
if(SKBUILD)
  return()
endif()

include(CMakePackageConfigHelpers)

install(TARGETS simdkit EXPORT simdkitTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/simdkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES
  "${PROJECT_BINARY_DIR}/include/simdkit/export.h"
  "${PROJECT_BINARY_DIR}/include/simdkit/version.h"
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/simdkit)

set(SIMDKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/simdkit)
install(EXPORT simdkitTargets NAMESPACE simdkit:: DESTINATION ${SIMDKIT_CMAKE_DIR})
configure_package_config_file(cmake/simdkitConfig.cmake.in
  "${PROJECT_BINARY_DIR}/simdkitConfig.cmake"
  INSTALL_DESTINATION ${SIMDKIT_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/simdkitConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/simdkitConfig.cmake"
  "${PROJECT_BINARY_DIR}/simdkitConfigVersion.cmake"
  DESTINATION ${SIMDKIT_CMAKE_DIR})
