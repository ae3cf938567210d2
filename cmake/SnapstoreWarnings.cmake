# Our own code builds warning-free; third-party headers are system headers.
function(snapstore_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
endfunction()
