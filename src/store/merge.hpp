// Internal to src/store: the RocksDB merge operator that folds an item's
// deltas (store/record.hpp) into its record, on reads and in compactions.
#pragma once

#include <memory>

#include <rocksdb/merge_operator.h>

namespace pw::store {

std::shared_ptr<rocksdb::MergeOperator> make_record_merge();

}  // namespace pw::store
