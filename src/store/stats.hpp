// RocksDB's own figures for GET /metrics: write stalls, pending compaction,
// SST, WAL and memtable sizes, block cache use and hits. Property reads and
// a directory listing: safe on an I/O thread, never blocks the writer.
#pragma once

#include <string>

#include "core/node_metrics.hpp"
#include "store/database.hpp"

namespace pw::store {

core::rocksdb_figures read_rocksdb_figures(const database& db, const std::string& data_dir);

}  // namespace pw::store
