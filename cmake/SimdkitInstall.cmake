include_guard(GLOBAL)
# Install rules for C++ consumers: headers, the library, a CMake package
# exporting simdkit::simdkit, and simdkit.pc for pkg-config. The Python wheel
# installs only the extension. scripts/test_consumers.sh proves both consumer
# paths against an installed copy, shared and static.
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

# simdkit.pc. Its prefix is found from where the file lies (${pcfiledir}), so
# that `cmake --install --prefix DIR` gives a working file wherever DIR is.
# A static libsimdkit brings its private dependencies along for
# `pkg-config --static`: libhwy (Debian ships libhwy.pc) and the thread
# library; it also needs SIMDKIT_STATIC_DEFINE, as the CMake target says.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SIMDKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(SIMDKIT_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(SIMDKIT_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(SIMDKIT_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(SIMDKIT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(SIMDKIT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
if(BUILD_SHARED_LIBS)
  set(SIMDKIT_PC_REQUIRES_PRIVATE "")
  set(SIMDKIT_PC_CFLAGS "")
  set(SIMDKIT_PC_LIBS_PRIVATE "")
else()
  set(SIMDKIT_PC_REQUIRES_PRIVATE "Requires.private: libhwy >= 1.0.3\n")
  set(SIMDKIT_PC_CFLAGS " -DSIMDKIT_STATIC_DEFINE")
  # Empty where the C library holds the threads (glibc >= 2.34).
  if(CMAKE_THREAD_LIBS_INIT)
    set(SIMDKIT_PC_LIBS_PRIVATE "Libs.private: ${CMAKE_THREAD_LIBS_INIT}\n")
  else()
    set(SIMDKIT_PC_LIBS_PRIVATE "")
  endif()
endif()
configure_file(cmake/simdkit.pc.in "${PROJECT_BINARY_DIR}/simdkit.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/simdkit.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
