// Internal to src/store: opening a store of the previous layout (format 2:
// item, state, results and history chunks under separate keys, status
// indexes for every status, an owners family) migrates it in place to
// format 3, item by item, before the node serves anything. A crash during
// the migration leaves a store that the next start migrates to the end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

#include "core/result.hpp"
#include "store/rocks.hpp"

namespace pw::store {

inline constexpr std::string_view layout_key = "layout";

struct migration_report {
  std::size_t items = 0;
  std::int64_t elapsed_ms = 0;
};

// `legacy` names the format-2 families that exist, `handles` their handles
// (same order); they are dropped at the end.
core::result<migration_report> migrate_from_v2(database::impl& d, const std::vector<std::string>& legacy,
                                               const std::vector<rocksdb::ColumnFamilyHandle*>& handles);

}  // namespace pw::store
