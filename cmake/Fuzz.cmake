# Fuzz targets (tests/fuzz/, docs/testing.md). Two ways to build each one:
#
# - PIPEWRIGHT_FUZZ=ON (clang-14 and libFuzzer from Debian's
#   libclang-rt-14-dev; never the default): every target is a libFuzzer
#   binary, and all code is built with ASan + UBSan and coverage
#   instrumentation. Configure with CC=clang-14 CXX=clang++-14 in a build
#   directory of its own (scripts/fuzz.sh does).
# - otherwise: each target is linked with tests/fuzz/replay_main.cpp, which
#   runs it once over every file of its seed corpus and of its regressions
#   (inputs a fuzzer once crashed on), as an ordinary ctest test. So the
#   corpora keep passing in every build, sanitized ones included.
#
# pw_fuzz_target(<name> SOURCES <file>... LIBS <target>... [DICT <file>])
# adds fuzz_<name>; its corpus is tests/fuzz/corpus/<name>/, its regressions
# tests/fuzz/regressions/<name>/ and its dictionary, if any, tests/fuzz/dict/.
# Adding a target for a new parser is one source file and one call.
option(PIPEWRIGHT_FUZZ "Build the libFuzzer targets (clang only)" OFF)

if(PIPEWRIGHT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PIPEWRIGHT_FUZZ needs clang (configure with CXX=clang++-14)")
  endif()
  set(pw_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -gline-tables-only)
  add_compile_options(${pw_fuzz_flags})
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "Pipewright: libFuzzer targets with ASan + UBSan")
endif()

set(PW_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)
add_custom_target(fuzz_all)

function(pw_fuzz_target name)
  cmake_parse_arguments(F "" "DICT" "SOURCES;LIBS" ${ARGN})
  set(target fuzz_${name})
  if(PIPEWRIGHT_FUZZ)
    add_executable(${target} ${F_SOURCES})
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${target} ${F_SOURCES} ${PW_FUZZ_DIR}/replay_main.cpp)
  endif()
  target_include_directories(${target} PRIVATE ${PW_FUZZ_DIR})
  target_link_libraries(${target} PRIVATE ${F_LIBS})
  add_dependencies(fuzz_all ${target})
  if(F_DICT)
    set_property(TARGET ${target} PROPERTY PW_FUZZ_DICT ${PW_FUZZ_DIR}/dict/${F_DICT})
  endif()
  if(NOT PIPEWRIGHT_FUZZ AND PIPEWRIGHT_BUILD_TESTS)
    add_test(NAME "fuzz_replay: ${name}"
             COMMAND ${target} ${PW_FUZZ_DIR}/corpus/${name} ${PW_FUZZ_DIR}/regressions/${name})
  endif()
endfunction()
