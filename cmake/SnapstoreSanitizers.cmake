# SNAPSTORE_SANITIZE applies to every target of the build (library, tests,
# examples), so sanitized and plain objects never mix.
if(SNAPSTORE_SANITIZE)
  if(NOT SNAPSTORE_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "SNAPSTORE_SANITIZE must be 'address,undefined', 'address', 'undefined' or 'thread', not '${SNAPSTORE_SANITIZE}'")
  endif()
  add_compile_options(-fsanitize=${SNAPSTORE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SNAPSTORE_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-fsanitize-ignorelist=${CMAKE_CURRENT_LIST_DIR}/sanitizer_ignorelist.txt)
  endif()
endif()
