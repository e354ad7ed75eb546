# Every dependency comes from Debian 12 packages (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)   # Boost::headers, Boost::json
find_package(OpenSSL REQUIRED)
find_package(RocksDB CONFIG REQUIRED)                     # RocksDB::rocksdb-shared
find_package(simdjson CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(cpp-jwt CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)                # tomlplusplus::tomlplusplus
find_package(yaml-cpp CONFIG REQUIRED)                    # yaml-cpp (docs/openapi.yaml -> JSON)
find_package(CLI11 CONFIG QUIET)
find_package(Catch2 2 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# Image assets: libvips (decode, resize) and Tesseract 5 with Leptonica (OCR).
pkg_check_modules(VIPS REQUIRED IMPORTED_TARGET vips)
pkg_check_modules(TESS REQUIRED IMPORTED_TARGET tesseract lept)

# CAF 0.17.6: Debian ships no CMake config and no .pc file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
find_library(CAF_IO_LIB caf_io REQUIRED)
if(NOT TARGET CAF::core)
  add_library(CAF::core SHARED IMPORTED)
  set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION ${CAF_CORE_LIB}
    INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR} INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io SHARED IMPORTED)
  set_target_properties(CAF::io PROPERTIES IMPORTED_LOCATION ${CAF_IO_LIB}
    INTERFACE_LINK_LIBRARIES CAF::core)
endif()

# jemalloc: write sets are built on actor threads and freed on the store
# writer's thread; glibc malloc serialises that on its arena locks (measured:
# +60 % items/s at equal CPU with jemalloc).
find_library(JEMALLOC_LIB NAMES jemalloc REQUIRED)

# The built-in AI: Snowball stemmers at run time; liblinear only in the
# training tool (tools/ai_train), the server reads the weights itself.
find_path(STEMMER_INCLUDE_DIR libstemmer.h REQUIRED)
find_library(STEMMER_LIB stemmer REQUIRED)
find_path(LIBLINEAR_INCLUDE_DIR linear.h REQUIRED)
find_library(LIBLINEAR_LIB linear REQUIRED)
