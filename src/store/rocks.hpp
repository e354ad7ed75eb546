// Internal to src/store: the RocksDB handles behind store::database.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include <rocksdb/db.h>

#include "store/database.hpp"
#include "store/keys.hpp"

namespace pw::store {

struct database::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, cf_count> handles{};
  std::vector<rocksdb::ColumnFamilyHandle*> extra_handles;  // read-only: the default and any legacy family
  bool read_only = false;
  rocksdb::ColumnFamilyHandle* handle(cf c) const noexcept { return handles[static_cast<std::size_t>(c)]; }
  ~impl();
};

}  // namespace pw::store
