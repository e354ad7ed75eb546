// Internal to src/store: how RocksDB is tuned for this store, family by
// family (store/keys.hpp says what each holds and how it is read).
#pragma once

#include <rocksdb/options.h>

#include "store/database.hpp"
#include "store/keys.hpp"

namespace pw::store {

rocksdb::Options database_options(const open_options& opts);
// The options of a family; `base` comes from database_options().
rocksdb::ColumnFamilyOptions family_options(const rocksdb::Options& base, cf family);
// For the families written by store format 2, read once by the migration.
rocksdb::ColumnFamilyOptions legacy_family_options(const rocksdb::Options& base);

// Whether scans of `family` that cross its hash prefixes must ask for total
// order (ReadOptions::total_order_seek): its memtables are hashed by prefix.
bool hashed(cf family) noexcept;

}  // namespace pw::store
