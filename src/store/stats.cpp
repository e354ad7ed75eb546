#include "store/stats.hpp"

#include <filesystem>

#include <rocksdb/statistics.h>

#include "store/rocks.hpp"

namespace pw::store {

core::rocksdb_figures read_rocksdb_figures(const database& db, const std::string& data_dir) {
  // internals() is not const; these are reads only.
  auto& d = const_cast<database&>(db).internals();
  auto& rdb = *d.db;
  core::rocksdb_figures f;
  auto db_int = [&](const char* name) {
    std::uint64_t v = 0;
    return rdb.GetIntProperty(name, &v) ? v : 0;
  };
  auto sum_int = [&](const char* name) {
    std::uint64_t v = 0;
    return rdb.GetAggregatedIntProperty(name, &v) ? v : 0;
  };
  f.write_stopped = db_int("rocksdb.is-write-stopped") != 0;
  f.delayed_write_rate = db_int("rocksdb.actual-delayed-write-rate");
  f.pending_compaction_bytes = sum_int("rocksdb.estimate-pending-compaction-bytes");
  f.sst_bytes = sum_int("rocksdb.total-sst-files-size");
  f.live_sst_bytes = sum_int("rocksdb.live-sst-files-size");
  f.memtable_bytes = sum_int("rocksdb.cur-size-all-mem-tables");
  f.running_compactions = db_int("rocksdb.num-running-compactions");
  f.running_flushes = db_int("rocksdb.num-running-flushes");
  // Every column family shares one block cache: read it once, not summed.
  std::uint64_t v = 0;
  if (rdb.GetIntProperty(d.handle(cf::items), "rocksdb.block-cache-usage", &v)) f.block_cache_usage = v;
  if (rdb.GetIntProperty(d.handle(cf::items), "rocksdb.block-cache-capacity", &v)) f.block_cache_capacity = v;
  if (auto stats = rdb.GetDBOptions().statistics) {
    f.block_cache_hits = stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    f.block_cache_misses = stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    f.stall_micros = stats->getTickerCount(rocksdb::STALL_MICROS);
  }
  std::error_code ec;
  for (std::filesystem::directory_iterator it(data_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".log") continue;
    std::error_code size_ec;
    const auto size = it->file_size(size_ec);
    if (!size_ec) f.wal_bytes += size;
  }
  return f;
}

}  // namespace pw::store
