# `cmake --build <dir> --target check_headers`: compiles every header of src/
# alone, in a translation unit of its own that includes it twice, so a
# header that leans on what its includer happened to include first (or has
# no include guard) fails the build. Not part of `all`; CI runs it.
function(pw_header_check)
  file(GLOB_RECURSE headers RELATIVE ${CMAKE_SOURCE_DIR}/src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*.hpp)
  set(sources)
  foreach(h IN LISTS headers)
    string(MAKE_C_IDENTIFIER ${h} ident)
    set(tu ${CMAKE_BINARY_DIR}/header_check/${ident}.cpp)
    set(text "#include \"${h}\"\n#include \"${h}\"\n")
    if(EXISTS ${tu})
      file(READ ${tu} old)
    else()
      set(old "")
    endif()
    if(NOT old STREQUAL text)
      file(WRITE ${tu} "${text}")
    endif()
    list(APPEND sources ${tu})
  endforeach()
  add_library(check_headers OBJECT EXCLUDE_FROM_ALL ${sources})
  target_include_directories(check_headers PRIVATE ${CMAKE_SOURCE_DIR}/src)
  # Every library's usage requirements (include paths, definitions), none of
  # its objects: a header may use what its module links, nothing else.
  foreach(lib pw_core pw_ai pw_stages pw_store pw_actors pw_net pw_cli)
    target_include_directories(check_headers PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_INCLUDE_DIRECTORIES>)
    target_compile_definitions(check_headers PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_COMPILE_DEFINITIONS>)
  endforeach()
  target_link_libraries(check_headers PRIVATE CAF::core Boost::headers Boost::json RocksDB::rocksdb simdjson::simdjson
    spdlog::spdlog fmt::fmt cpp-jwt::cpp-jwt tomlplusplus::tomlplusplus PkgConfig::HTTPLIB CLI11::CLI11)
  target_compile_options(check_headers PRIVATE -O0 -g0)
endfunction()
