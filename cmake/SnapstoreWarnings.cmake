# Our own code builds warning-free; third-party headers are system headers.
function(snapstore_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  # GCC 12 at -O3 reports a memcpy overlap inside libstdc++'s std::string
  # that cannot happen (GCC bug 105329); without this a Release build fails.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  # Clang 17+ flags std::get_temporary_buffer (deprecated in C++17) where
  # GCC 12's libstdc++ calls it inside std::stable_sort; the sanitizer stages
  # build with Clang (scripts/test).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 17)
    target_compile_options(${target} PRIVATE -Wno-deprecated-declarations)
  endif()
endfunction()
