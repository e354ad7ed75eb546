# Sanitizer builds (docs/testing.md, "What runs where"): never the default.
#   -DPIPEWRIGHT_SANITIZE=address,undefined   ASan + UBSan: the whole ctest suite
#   -DPIPEWRIGHT_SANITIZE=thread              TSan: the actor, store and network tests
# UBSan does not recover: the first undefined behaviour aborts the process, so
# a test (or the server it started) fails instead of printing and going on.
# jemalloc is not linked into sanitized binaries (the sanitizers bring their
# own allocator); see src/CMakeLists.txt.
set(PIPEWRIGHT_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined | thread | empty")
if(PIPEWRIGHT_SANITIZE)
  if(NOT PIPEWRIGHT_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "PIPEWRIGHT_SANITIZE: expected address,undefined or thread, got '${PIPEWRIGHT_SANITIZE}'")
  endif()
  set(pw_san_flags -fsanitize=${PIPEWRIGHT_SANITIZE} -fno-omit-frame-pointer)
  if(PIPEWRIGHT_SANITIZE MATCHES "undefined")
    list(APPEND pw_san_flags -fno-sanitize-recover=all)
  endif()
  add_compile_options(${pw_san_flags})
  add_link_options(${pw_san_flags})
  message(STATUS "Pipewright: sanitizers ${PIPEWRIGHT_SANITIZE}")
endif()
