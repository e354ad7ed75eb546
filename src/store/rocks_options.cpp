#include "store/rocks_options.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>

#include "store/merge.hpp"

namespace pw::store {

namespace {

constexpr std::size_t hash_buckets = 1 << 16;

}  // namespace

rocksdb::Options database_options(const open_options& opts) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  // One thread writes at a time (store::writer hands out turns): the
  // memtables need no concurrent inserts, which cost atomics on every insert.
  options.allow_concurrent_memtable_write = false;
  options.enable_write_thread_adaptive_yield = false;
  options.max_background_jobs = 2;
  options.bytes_per_sync = 1 << 20;
  // What a crash leaves to replay before the node can start: at most this
  // much WAL (older memtables are flushed once it is exceeded). 64 MB took
  // 3.1 s to replay here, 16 MB about 0.8 s (docs/benchmarks.md).
  options.max_total_wal_size = 16ull << 20;
  // After a crash, the WAL's writes stay in the memtables instead of being
  // flushed to new files before the node can start: ready sooner.
  options.avoid_flush_during_recovery = true;
  // Tickers only (block cache hits, stall time) for GET /metrics; no timers
  // or histograms, which cost on every operation.
  options.statistics = rocksdb::CreateDBStatistics();
  options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(opts.block_cache_mb << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks live in the block cache, so the store's memory is
  // bounded by its capacity however many tables there are (outside it they
  // grew with the store: the soak's RSS, docs/reliability.md); level 0's
  // stay pinned, being read on every lookup.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.write_buffer_size = opts.write_buffer_mb << 20;
  // The first levels are rewritten most often and hold what is read soon
  // after it is written: not compressing them keeps compaction cheap; the
  // deeper levels (most of a large store) are LZ4.
  options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression, rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                   rocksdb::kLZ4Compression};
  return options;
}

bool hashed(cf family) noexcept { return family == cf::items; }

// Memtable inserts were the largest CPU cost of a write: a descent through
// one skiplist of the whole memtable. Items, which are read by id (an
// item's record and its deltas) and get most of the inserts, are hashed by
// id, so an insert searches only its own bucket. Their only scans (an
// admin's unfiltered listing, the migration) ask for total order, which
// sorts the memtable: rare reads. The other families are read backwards
// within a prefix (a room's newest events, an owner's newest open items),
// which RocksDB's hashed memtables do not support (SeekForPrev): one
// skiplist each.
rocksdb::ColumnFamilyOptions family_options(const rocksdb::Options& base, cf family) {
  rocksdb::ColumnFamilyOptions o(base);
  switch (family) {
    case cf::items:
      o.merge_operator = make_record_merge();
      o.prefix_extractor.reset(rocksdb::NewNoopTransform());  // an id
      o.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(hash_buckets));
      return o;
    case cf::images:
      // Uploaded images (100 KB to a few MB) go to blob files: the SST files
      // and their compactions only carry a reference to them. Images are
      // already compressed; deleted ones are reclaimed by blob GC.
      o.enable_blob_files = true;
      o.min_blob_size = 0;
      o.blob_compression_type = rocksdb::kNoCompression;
      o.enable_blob_garbage_collection = true;
      o.write_buffer_size = 64ull << 20;
      return o;
    default: return o;
  }
}

rocksdb::ColumnFamilyOptions legacy_family_options(const rocksdb::Options& base) { return rocksdb::ColumnFamilyOptions(base); }

}  // namespace pw::store
