// store::database: point reads and prefix scans (items, events, counters,
// dead letters, the queue). Opening and closing: database_open.cpp;
// listings from the indexes: database_list.cpp.
#include "store/database.hpp"

#include <algorithm>

#include "store/event_chunk.hpp"
#include "store/rocks.hpp"
#include "store/rocks_options.hpp"

namespace pw::store {

std::optional<item_record> database::record(std::string_view id) const {
  auto v = read_key(*impl_, cf::items, id);
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
  scan_keys(
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
  // Range tombstones are the trims themselves. Honouring them costs every
  // new iterator a sort of all of them still in the memtable (thousands
  // under a busy room: it was most of the server's CPU after a minute at
  // 100 items/s). Ignoring them is safe here: a trimmed chunk found instead
  // of the live one before it only means the events between the two, all
  // older than the one to keep, go now rather than at the next trim.
  ro.ignore_range_deletions = true;
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
  scan_keys(
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
  if (auto v = read_key(*impl_, cf::meta, room_seq_key(room))) seq = get_be64(*v);
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
  auto v = read_key(*impl_, cf::meta, counter_pack_key(workspace));
  if (!v) return {};
  return decode_counter_pack(*v).value_or(store::counter_pack{});
}

std::vector<std::pair<std::string, store::counter_pack>> database::counter_packs() const {
  std::vector<std::pair<std::string, store::counter_pack>> out;
  const std::string prefix(counter_pack_prefix);
  scan_keys(*impl_, cf::meta, prefix, prefix, nullptr, [&](std::string_view k, std::string_view v) {
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
  scan_keys(*impl_, cf::dlq, start, "", nullptr, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return out.size() < limit;
  });
  return out;
}

std::optional<std::string> database::dead_letter(std::string_view id, std::string_view stage) const {
  return read_key(*impl_, cf::dlq, dlq_key(id, stage));
}

void database::scan_queue(
    const std::function<void(std::string_view owner, std::string_view id, std::string_view workspace)>& fn,
    const read_snapshot* at) const {
  scan_keys(*impl_, cf::queue, "", "", at ? snapshot_of(*at) : nullptr, [&](std::string_view k, std::string_view v) {
    auto zero = k.find('\0');
    if (zero == std::string_view::npos) fn({}, k, v);  // not an entry of this layout: reported as such
    else fn(k.substr(0, zero), k.substr(zero + 1), v);
    return true;
  });
}

void database::scan_stage_data(std::string_view prefix,
                               const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  scan_keys(*impl_, cf::stage_data, prefix, prefix, nullptr, [&](std::string_view k, std::string_view v) {
    fn(k, v);
    return true;
  });
}

std::size_t database::count_timers() const {
  std::size_t n = 0;
  scan_keys(*impl_, cf::timers, "", "", nullptr, [&](std::string_view, std::string_view) { return ++n, true; });
  return n;
}

}  // namespace pw::store
