# `cmake --install` puts the library, the public headers and a CMake package
# in place, so that find_package(snapstore) and snapstore::snapstore work.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS snapstore EXPORT snapstoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/snapstore DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT snapstoreTargets NAMESPACE snapstore::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/snapstore)
configure_package_config_file(cmake/snapstoreConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/snapstoreConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/snapstore)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/snapstoreConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/snapstoreConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/snapstoreConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/snapstore)
