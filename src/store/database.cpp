#include "store/database.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <spdlog/spdlog.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>

#include "store/codec.hpp"
#include "store/rocks.hpp"

namespace pw::store {

database::impl::~impl() {
  if (!db) return;
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

core::result<std::unique_ptr<database>> database::open(const std::string& dir, const open_options& opts) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::make_error(core::errc::store_failed, fmt::format("cannot create data dir {}: {}", dir, ec.message()));

  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.max_background_jobs = 2;
  options.compression = rocksdb::kLZ4Compression;
  options.bytes_per_sync = 1 << 20;
  // What a crash leaves to replay before the node can start: at most this
  // much WAL (older memtables are flushed once it is exceeded). 64 MB took
  // 3.1 s to replay here, 16 MB about 0.8 s; the earlier flushes also keep
  // memtables small, which made saturation no slower and RSS 40 % lower
  // (docs/benchmarks.md).
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
  rocksdb::ColumnFamilyOptions cf_options(options);
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = 32ull << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (std::size_t i = 0; i < cf_count; ++i)
    descriptors.emplace_back(std::string(cf_name(static_cast<cf>(i))), cf_options);

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(rocksdb::DBOptions(options), dir, descriptors, &handles, &raw);
  if (!st.ok()) return core::make_error(core::errc::store_failed, fmt::format("cannot open store in {}: {}", dir, st.ToString()));
  auto i = std::make_unique<impl>();
  i->db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);  // default family: unused
  for (std::size_t k = 0; k < cf_count; ++k) i->handles[k] = handles[k + 1];
  return std::unique_ptr<database>(new database(std::move(i)));
}

namespace {

std::optional<std::string> get(const database::impl& d, cf c, std::string_view key) {
  std::string value;
  auto st = d.db->Get(rocksdb::ReadOptions(), d.handle(c), rocksdb::Slice(key.data(), key.size()), &value);
  if (!st.ok()) return std::nullopt;
  return value;
}

// Calls fn(key, value) for keys in [prefix, prefix_end) until fn returns false.
template <class F>
void scan(const database::impl& d, cf c, std::string_view start, std::string_view prefix, F fn) {
  rocksdb::ReadOptions ro;
  std::string end = prefix_end(std::string(prefix));
  rocksdb::Slice upper(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.handle(c)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    auto k = it->key(), v = it->value();
    if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
  }
}

}  // namespace

std::optional<core::item> database::item(std::string_view id) const {
  auto v = get(*impl_, cf::items, id);
  if (!v) return std::nullopt;
  return decode_item(*v);
}

std::optional<std::string> database::state_record(std::string_view id) const { return get(*impl_, cf::state, id); }

std::vector<std::pair<std::string, std::string>> database::results(std::string_view id) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string prefix = std::string(id) + '/';
  scan(*impl_, cf::results, prefix, prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k.substr(prefix.size())), std::string(v));
    return true;
  });
  return out;
}

std::vector<core::history_entry> database::history(std::string_view id) const {
  std::vector<core::history_entry> out;
  scan(*impl_, cf::history, id, id, [&](std::string_view k, std::string_view v) {
    if (k.size() != id.size() + 4) return true;  // another id that starts with this one
    if (auto chunk = decode_history(v))
      for (auto& e : *chunk) out.push_back(std::move(e));
    return true;
  });
  return out;
}

event_page database::events(std::string_view room, std::uint64_t after, std::size_t limit) const {
  event_page page;
  std::string prefix = std::string(room) + '\0';
  scan(*impl_, cf::events, prefix, prefix, [&](std::string_view k, std::string_view) {
    page.first_retained = get_be64(k.substr(prefix.size()));
    return false;
  });
  page.last_seq = last_event_seq(room);
  scan(*impl_, cf::events, event_key(room, after + 1), prefix, [&](std::string_view k, std::string_view v) {
    page.events.emplace_back(get_be64(k.substr(prefix.size())), std::string(v));
    return page.events.size() < limit;
  });
  return page;
}

std::uint64_t database::last_event_seq(std::string_view room) const {
  auto v = get(*impl_, cf::meta, room_seq_key(room));
  return v ? get_be64(*v) : 0;
}

std::int64_t database::counter(std::string_view name) const {
  auto v = get(*impl_, cf::meta, counter_key(name));
  return v ? static_cast<std::int64_t>(get_be64(*v)) : 0;
}

std::vector<std::pair<std::string, std::string>> database::dead_letters(std::string_view cursor, std::size_t limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string start = cursor.empty() ? std::string() : std::string(cursor) + '\0';
  scan(*impl_, cf::dlq, start, "", [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return out.size() < limit;
  });
  return out;
}

std::optional<std::string> database::dead_letter(std::string_view id, std::string_view stage) const {
  return get(*impl_, cf::dlq, dlq_key(id, stage));
}

void database::scan_queue(const std::function<void(std::string_view id, std::string_view workspace)>& fn) const {
  scan(*impl_, cf::queue, "", "", [&](std::string_view k, std::string_view v) {
    fn(k, v);
    return true;
  });
}

void database::scan_stage_data(std::string_view prefix,
                               const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  scan(*impl_, cf::stage_data, prefix, prefix, [&](std::string_view k, std::string_view v) {
    fn(k, v);
    return true;
  });
}

std::size_t database::count_timers() const {
  std::size_t n = 0;
  scan(*impl_, cf::timers, "", "", [&](std::string_view, std::string_view) { return ++n, true; });
  return n;
}

}  // namespace pw::store

namespace pw::store {

index_page database::list(const index_query& q) const {
  index_page page;
  rocksdb::ReadOptions ro;
  std::string lower = q.prefix;
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(q.family)));
  if (q.before.empty()) {
    auto end = prefix_end(q.prefix);
    if (end.empty()) it->SeekToLast();
    else it->SeekForPrev(rocksdb::Slice(end));
  } else {
    it->SeekForPrev(rocksdb::Slice(q.prefix + q.before));
  }
  std::size_t scanned = 0;
  for (; it->Valid(); it->Prev()) {
    auto key = it->key();
    std::string_view k(key.data(), key.size());
    if (k.size() < q.prefix.size() || k.substr(0, q.prefix.size()) != q.prefix) {
      if (k < std::string_view(q.prefix)) break;
      continue;  // the key just past the prefix range
    }
    auto id = k.substr(q.prefix.size());
    if (!q.before.empty() && id >= std::string_view(q.before)) continue;
    if (page.entries.size() >= q.limit) {
      page.next = page.entries.back().first;  // the next page: ids below the last one returned
      break;
    }
    if (scanned >= q.max_scan) {
      page.next = std::string(id) + '\0';  // ids up to and including this unexamined one
      break;
    }
    ++scanned;
    auto v = it->value();
    if (q.value_equals && std::string_view(v.data(), v.size()) != *q.value_equals) continue;
    page.entries.emplace_back(std::string(id), q.family == cf::items ? std::string() : std::string(v.data(), v.size()));
  }
  return page;
}

index_page database::list_index(std::string_view prefix, std::string_view before, std::size_t limit) const {
  index_query q;
  q.prefix = std::string(prefix);
  q.before = std::string(before);
  q.limit = limit;
  return list(q);
}

std::optional<std::string> database::idempotency(std::string_view owner, std::string_view key) const {
  std::string value;
  auto k = idempotency_key(owner, key);
  auto st = impl_->db->Get(rocksdb::ReadOptions(), impl_->handle(cf::idempotency), rocksdb::Slice(k), &value);
  if (!st.ok()) return std::nullopt;
  return value;
}

std::vector<std::tuple<std::string, std::string, std::int64_t>> database::expired_idempotency(std::int64_t cutoff_ms,
                                                                                            std::size_t limit) const {
  std::vector<std::tuple<std::string, std::string, std::int64_t>> out;
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(cf::idempotency)));
  for (it->Seek(rocksdb::Slice("t")); it->Valid() && out.size() < limit; it->Next()) {
    auto key = it->key();
    std::string_view k(key.data(), key.size());
    if (k.empty() || k[0] != 't' || k.size() < 9) break;
    auto created = static_cast<std::int64_t>(get_be64(k.substr(1)));
    if (created >= cutoff_ms) break;
    auto rest = k.substr(9);
    auto zero = rest.find('\0');
    if (zero == std::string_view::npos) continue;
    out.emplace_back(std::string(rest.substr(0, zero)), std::string(rest.substr(zero + 1)), created);
  }
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> database::rooms() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(cf::meta)));
  for (it->Seek(rocksdb::Slice("s/")); it->Valid(); it->Next()) {
    auto key = it->key();
    std::string_view k(key.data(), key.size());
    if (k.substr(0, 2) != "s/") break;
    auto v = it->value();
    out.emplace_back(std::string(k.substr(2)), get_be64(std::string_view(v.data(), v.size())));
  }
  return out;
}

}  // namespace pw::store
