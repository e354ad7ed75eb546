// Internal to src/store: the RocksDB handles behind store::database.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

#include "store/database.hpp"
#include "store/keys.hpp"
#include "store/rocks_options.hpp"

namespace pw::store {

struct database::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::array<rocksdb::ColumnFamilyHandle*, cf_count> handles{};
  std::vector<rocksdb::ColumnFamilyHandle*> extra_handles;  // read-only: the default and any legacy family
  bool read_only = false;
  rocksdb::ColumnFamilyHandle* handle(cf c) const noexcept { return handles[static_cast<std::size_t>(c)]; }
  ~impl();
};

// A key's value, or nullopt when it is absent (or unreadable).
inline std::optional<std::string> read_key(const database::impl& d, cf c, std::string_view key) {
  std::string value;
  auto st = d.db->Get(rocksdb::ReadOptions(), d.handle(c), rocksdb::Slice(key.data(), key.size()), &value);
  if (!st.ok()) return std::nullopt;
  return value;
}

// Calls fn(key, value) for keys in [prefix, prefix_end) until fn returns false.
// A scan within one hash prefix of its family (a room's events) may use the
// hashed memtable; any other scan of a hashed family asks for total order.
template <class F>
void scan_keys(const database::impl& d, cf c, std::string_view start, std::string_view prefix, const void* snap, F fn,
          bool one_prefix = false) {
  rocksdb::ReadOptions ro;
  ro.snapshot = static_cast<const rocksdb::Snapshot*>(snap);
  ro.total_order_seek = hashed(c) && !one_prefix;
  std::string end = prefix_end(std::string(prefix));
  rocksdb::Slice upper(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.handle(c)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    auto k = it->key(), v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
}

}  // namespace pw::store
