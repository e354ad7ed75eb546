#include "store/database.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "store/codec.hpp"
#include "store/event_chunk.hpp"
#include "store/migrate.hpp"
#include "store/rocks.hpp"
#include "store/rocks_options.hpp"

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

core::result<std::unique_ptr<database>> database::open(const std::string& dir, const open_options& opts,
                                                       open_report* report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::make_error(core::errc::store_failed, fmt::format("cannot create data dir {}: {}", dir, ec.message()));

  const auto options = database_options(opts);

  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(options), dir, &existing);  // none yet: a new store
  auto exists = [&](std::string_view name) { return std::find(existing.begin(), existing.end(), name) != existing.end(); };

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, legacy_family_options(options));
  for (std::size_t i = 0; i < cf_count; ++i) {
    const auto c = static_cast<cf>(i);
    descriptors.emplace_back(std::string(cf_name(c)), family_options(options, c));
  }
  std::vector<std::string> legacy;
  for (auto name : legacy_families)
    if (exists(name)) {
      legacy.emplace_back(name);
      descriptors.emplace_back(std::string(name), legacy_family_options(options));
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

namespace {

std::optional<std::string> get(const database::impl& d, cf c, std::string_view key) {
  std::string value;
  auto st = d.db->Get(rocksdb::ReadOptions(), d.handle(c), rocksdb::Slice(key.data(), key.size()), &value);
  if (!st.ok()) return std::nullopt;
  return value;
}

// Calls fn(key, value) for keys in [prefix, prefix_end) until fn returns false.
// A scan within one hash prefix of its family (a room's events) may use the
// hashed memtable; any other scan of a hashed family asks for total order.
template <class F>
void scan(const database::impl& d, cf c, std::string_view start, std::string_view prefix, const void* snap, F fn,
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

}  // namespace

std::optional<item_record> database::record(std::string_view id) const {
  auto v = get(*impl_, cf::items, id);
  if (!v) return std::nullopt;
  return decode_record(*v);
}

std::optional<core::item> database::item(std::string_view id) const {
  auto r = record(id);
  if (!r) return std::nullopt;
  return std::move(r->item);
}

read_snapshot::~read_snapshot() {
  static_cast<rocksdb::DB*>(const_cast<void*>(db_))->ReleaseSnapshot(static_cast<const rocksdb::Snapshot*>(snap_));
}

std::shared_ptr<const read_snapshot> database::snapshot() const {
  auto* db = impl_->db.get();
  return std::shared_ptr<const read_snapshot>(new read_snapshot(db, db->GetSnapshot()));
}

std::optional<core::item_status> database::item_status(std::string_view id, const read_snapshot* at) const {
  rocksdb::ReadOptions ro;
  if (at) ro.snapshot = static_cast<const rocksdb::Snapshot*>(snapshot_of(*at));
  std::string value;
  if (!impl_->db->Get(ro, impl_->handle(cf::items), rocksdb::Slice(id.data(), id.size()), &value).ok()) return std::nullopt;
  return decode_record_status(value);
}

// A room's log is stored in chunks: the frames one commit added, under the
// seq of the first, one frame a line (a chunk of one is a frame as written
// by store format 2).
event_page database::events(std::string_view room, std::uint64_t after, std::size_t limit) const {
  event_page page;
  const std::string prefix = std::string(room) + '\0';
  scan(
      *impl_, cf::events, prefix, prefix, nullptr,
      [&](std::string_view k, std::string_view) {
        page.first_retained = get_be64(k.substr(prefix.size()));
        return false;
      },
      true);
  page.last_seq = last_event_seq(room);
  if (limit == 0) return page;
  rocksdb::ReadOptions ro;
  const std::string end = prefix_end(prefix);
  rocksdb::Slice upper(end), lower(prefix);
  ro.iterate_upper_bound = &upper;
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(cf::events)));
  // The chunk that holds after + 1 starts at or before it.
  it->SeekForPrev(rocksdb::Slice(event_key(room, after + 1)));
  if (!it->Valid()) it->Seek(rocksdb::Slice(prefix));
  for (; it->Valid() && page.events.size() < limit; it->Next()) {
    auto k = it->key();
    auto first = get_be64(std::string_view(k.data(), k.size()).substr(prefix.size()));
    read_event_chunk(std::string_view(it->value().data(), it->value().size()), first, [&](std::uint64_t seq, std::string frame) {
      if (seq > after && page.events.size() < limit) page.events.emplace_back(seq, std::move(frame));
    });
  }
  return page;
}

std::uint64_t database::event_chunk_start(std::string_view room, std::uint64_t seq) const {
  const std::string prefix = std::string(room) + '\0';
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower(prefix);
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(cf::events)));
  it->SeekForPrev(rocksdb::Slice(event_key(room, seq)));
  if (!it->Valid()) return 0;
  auto k = it->key();
  std::string_view key(k.data(), k.size());
  if (key.substr(0, prefix.size()) != prefix) return 0;
  return get_be64(key.substr(prefix.size()));
}

std::uint64_t database::expired_events_end(std::string_view room, std::int64_t cutoff_ms) const {
  const std::string prefix = std::string(room) + '\0';
  std::uint64_t end = 0;
  scan(
      *impl_, cf::events, prefix, prefix, nullptr,
      [&](std::string_view k, std::string_view v) {
        auto t = event_chunk_time(v);
        if (t < 0 || t >= cutoff_ms) return false;
        end = get_be64(k.substr(prefix.size())) + 1;  // this chunk goes: keys below end
        return true;
      },
      true);
  return end;
}

// The newest chunk's last seq, or what meta kept when trims removed them all.
std::uint64_t database::last_event_seq(std::string_view room) const {
  std::uint64_t seq = 0;
  if (auto v = get(*impl_, cf::meta, room_seq_key(room))) seq = get_be64(*v);
  const std::string prefix = std::string(room) + '\0';
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower(prefix);
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(cf::events)));
  it->SeekForPrev(rocksdb::Slice(event_key(room, ~std::uint64_t{0})));
  if (it->Valid()) {
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    if (key.substr(0, prefix.size()) == prefix) {
      auto count = event_chunk_count(value);
      if (count > 0) seq = std::max(seq, get_be64(key.substr(prefix.size())) + count - 1);
    }
  }
  return seq;
}

counter_pack database::counters_of(std::string_view workspace) const {
  auto v = get(*impl_, cf::meta, counter_pack_key(workspace));
  if (!v) return {};
  return decode_counter_pack(*v).value_or(store::counter_pack{});
}

std::vector<std::pair<std::string, store::counter_pack>> database::counter_packs() const {
  std::vector<std::pair<std::string, store::counter_pack>> out;
  const std::string prefix(counter_pack_prefix);
  scan(*impl_, cf::meta, prefix, prefix, nullptr, [&](std::string_view k, std::string_view v) {
    if (auto p = decode_counter_pack(v)) out.emplace_back(std::string(k.substr(prefix.size())), std::move(*p));
    return true;
  });
  return out;
}

std::int64_t database::counter(std::string_view name) const {
  auto n = parse_counter_name(name);
  if (!n) return 0;
  auto value = [&](const store::counter_pack& p) { return p.get(n->field); };
  if (!n->workspace.empty()) return value(counters_of(n->workspace));
  std::int64_t sum = 0;
  for (const auto& [ws, p] : counter_packs()) sum += value(p);
  return sum;
}

std::vector<std::pair<std::string, std::string>> database::dead_letters(std::string_view cursor, std::size_t limit) const {
  std::vector<std::pair<std::string, std::string>> out;
  std::string start = cursor.empty() ? std::string() : std::string(cursor) + '\0';
  scan(*impl_, cf::dlq, start, "", nullptr, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return out.size() < limit;
  });
  return out;
}

std::optional<std::string> database::dead_letter(std::string_view id, std::string_view stage) const {
  return get(*impl_, cf::dlq, dlq_key(id, stage));
}

void database::scan_queue(
    const std::function<void(std::string_view owner, std::string_view id, std::string_view workspace)>& fn,
    const read_snapshot* at) const {
  scan(*impl_, cf::queue, "", "", at ? snapshot_of(*at) : nullptr, [&](std::string_view k, std::string_view v) {
    auto zero = k.find('\0');
    if (zero == std::string_view::npos) fn({}, k, v);  // not an entry of this layout: reported as such
    else fn(k.substr(0, zero), k.substr(zero + 1), v);
    return true;
  });
}

void database::scan_stage_data(std::string_view prefix,
                               const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  scan(*impl_, cf::stage_data, prefix, prefix, nullptr, [&](std::string_view k, std::string_view v) {
    fn(k, v);
    return true;
  });
}

std::size_t database::count_timers() const {
  std::size_t n = 0;
  scan(*impl_, cf::timers, "", "", nullptr, [&](std::string_view, std::string_view) { return ++n, true; });
  return n;
}

}  // namespace pw::store

namespace pw::store {

index_page database::list(const index_query& q) const {
  index_page page;
  rocksdb::ReadOptions ro;
  // Within one owner's queue entries the hashed memtable serves; an admin's
  // scan of every item asks for total order.
  ro.total_order_seek = q.family == cf::items;
  if (q.snapshot) ro.snapshot = static_cast<const rocksdb::Snapshot*>(snapshot_of(*q.snapshot));
  std::string lower = q.prefix;
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(q.family)));
  if (q.before.empty()) {
    // Ids are ASCII: prefix + 0xff is past every id of the prefix, and within
    // the prefix's hash bucket where the family is hashed.
    if (q.prefix.empty()) it->SeekToLast();
    else it->SeekForPrev(rocksdb::Slice(q.prefix + '\xff'));
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
    std::string_view value(v.data(), v.size());
    if (q.value_equals && value != *q.value_equals) continue;
    if (q.family == cf::items) value = {};
    if (q.accept && !q.accept(id, value)) continue;
    page.entries.emplace_back(std::string(id), std::string(value));
  }
  return page;
}

index_page database::list_merged(const std::vector<index_query>& qs, std::size_t limit) const {
  // Each source's first `limit` entries hold the merged first `limit`. A
  // source that stopped early (its scan budget) knows nothing below where it
  // stopped: the merged page ends there too, and goes on from there.
  std::vector<std::pair<std::string, std::string>> all;
  std::optional<std::string> cut;  // entries must be above this id
  bool more = false;
  for (auto q : qs) {
    q.limit = limit;
    auto page = list(q);
    if (page.next) {
      if (page.entries.size() < limit) {
        if (!cut || *page.next > *cut) cut = page.next;  // stopped by max_scan
      } else {
        more = true;
      }
    }
    for (auto& e : page.entries) all.push_back(std::move(e));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  index_page out;
  for (auto& e : all) {
    if (cut && e.first < *cut) {
      out.next = cut;
      break;
    }
    if (out.entries.size() == limit) {
      out.next = out.entries.back().first;
      break;
    }
    out.entries.push_back(std::move(e));
  }
  if (!out.next && cut) out.next = cut;
  if (!out.next && more && !out.entries.empty()) out.next = out.entries.back().first;
  return out;
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

// Rooms are the prefixes of the events family: one seek per room.
std::vector<std::pair<std::string, std::uint64_t>> database::rooms() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // across rooms
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->handle(cf::events)));
  for (it->SeekToFirst(); it->Valid();) {
    std::string_view k(it->key().data(), it->key().size());
    auto zero = k.find('\0');
    if (zero == std::string_view::npos) {
      it->Next();
      continue;
    }
    std::string room(k.substr(0, zero));
    out.emplace_back(room, last_event_seq(room));
    it->Seek(rocksdb::Slice(prefix_end(room + '\0')));
  }
  return out;
}

}  // namespace pw::store
