// store::database: opening (read-write, with the migration of an older
// layout, or read-only for `pipewright verify`) and closing.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include "core/kill_point.hpp"
#include "store/database.hpp"
#include "store/merge.hpp"
#include "store/migrate.hpp"
#include "store/rocks.hpp"

namespace pw::store {

database::impl::~impl() {
  if (!db) return;
  if (read_only) {
    for (auto* h : handles)
      if (h) db->DestroyColumnFamilyHandle(h);
    for (auto* h : extra_handles) db->DestroyColumnFamilyHandle(h);
    db->Close();
    return;
  }
  PW_KILL_POINT(store_close);
  // A clean stop leaves nothing in the WAL to replay: the next start is quick.
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto* h : handles)
    if (h) all.push_back(h);
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (auto st = db->Flush(flush, all); !st.ok()) spdlog::warn("event=store.flush_failed error=\"{}\"", st.ToString());
  for (auto* h : handles)
    if (h) db->DestroyColumnFamilyHandle(h);
  db->Close();
}

database::database(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
database::~database() = default;

namespace {

rocksdb::Options db_options() {
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
  return options;
}

// Options of each column family: the items family folds deltas with the
// record merge operator.
struct family_options {
  rocksdb::ColumnFamilyOptions plain, items;
};

family_options make_family_options(const rocksdb::Options& options, const open_options& opts) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(opts.block_cache_mb << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options(options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = opts.write_buffer_mb << 20;
  // The first levels are rewritten most often and hold what is read soon
  // after it is written: not compressing them keeps compaction cheap; the
  // deeper levels (most of a large store) are LZ4.
  cf_options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression, rocksdb::kLZ4Compression,
                                      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                                      rocksdb::kLZ4Compression};
  rocksdb::ColumnFamilyOptions items_options(cf_options);
  items_options.merge_operator = make_record_merge();
  return {cf_options, items_options};
}

}  // namespace

core::result<std::unique_ptr<database>> database::open(const std::string& dir, const open_options& opts,
                                                       open_report* report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::make_error(core::errc::store_failed, fmt::format("cannot create data dir {}: {}", dir, ec.message()));

  auto options = db_options();
  auto families = make_family_options(options, opts);

  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), dir, &existing);  // none yet: a new store
  auto exists = [&](std::string_view name) { return std::find(existing.begin(), existing.end(), name) != existing.end(); };

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, families.plain);
  for (std::size_t i = 0; i < cf_count; ++i) {
    const auto c = static_cast<cf>(i);
    descriptors.emplace_back(std::string(cf_name(c)), c == cf::items ? families.items : families.plain);
  }
  std::vector<std::string> legacy;
  for (auto name : legacy_families)
    if (exists(name)) {
      legacy.emplace_back(name);
      descriptors.emplace_back(std::string(name), families.plain);
    }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(rocksdb::DBOptions(options), dir, descriptors, &handles, &raw);
  if (!st.ok()) return core::make_error(core::errc::store_failed, fmt::format("cannot open store in {}: {}", dir, st.ToString()));
  auto i = std::make_unique<impl>();
  i->db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);  // default family: unused
  for (std::size_t k = 0; k < cf_count; ++k) i->handles[k] = handles[k + 1];
  std::vector<rocksdb::ColumnFamilyHandle*> legacy_handles(handles.begin() + 1 + cf_count, handles.end());

  open_report rep;
  if (!legacy.empty()) {
    rep.found_format = 2;
    auto migrated = migrate_from_v2(*i, legacy, legacy_handles);
    if (!migrated) return std::move(migrated).err();
    rep.migrated_items = migrated.value().items;
    rep.migration_ms = migrated.value().elapsed_ms;
  } else {
    i->db->Put(rocksdb::WriteOptions(), i->handle(cf::meta), layout_key, std::string(1, static_cast<char>(3)));
  }
  if (report) *report = rep;
  return std::unique_ptr<database>(new database(std::move(i)));
}

core::result<std::unique_ptr<database>> database::open_read_only(const std::string& dir) {
  auto options = db_options();
  options.create_if_missing = false;
  auto families = make_family_options(options, open_options{});
  std::vector<std::string> existing;
  if (auto st = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), dir, &existing); !st.ok())
    return core::make_error(core::errc::store_failed, fmt::format("no store in {}: {}", dir, st.ToString()));
  // Every family the store has must be opened; ours by their place in cf.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing)
    descriptors.emplace_back(name, name == cf_name(cf::items) ? families.items : families.plain);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(options), dir, descriptors, &handles, &raw);
  if (!st.ok())
    return core::make_error(core::errc::store_failed, fmt::format("cannot open store in {} read-only: {}", dir, st.ToString()));
  auto i = std::make_unique<impl>();
  i->db.reset(raw);
  i->read_only = true;
  for (std::size_t k = 0; k < existing.size(); ++k) {
    bool ours = false;
    for (std::size_t c = 0; c < cf_count; ++c)
      if (existing[k] == cf_name(static_cast<cf>(c))) {
        i->handles[c] = handles[k];
        ours = true;
      }
    if (!ours) i->extra_handles.push_back(handles[k]);
  }
  for (std::size_t c = 0; c < cf_count; ++c)
    if (!i->handles[c])
      return core::make_error(core::errc::store_failed,
                              fmt::format("the store in {} has no '{}' family (not a store of this version)", dir,
                                          cf_name(static_cast<cf>(c))));
  return std::unique_ptr<database>(new database(std::move(i)));
}

}  // namespace pw::store
