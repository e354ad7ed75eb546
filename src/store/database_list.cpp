// store::database: listings from the indexes, newest first, idempotency
// records, the rooms of the replay log, and (cluster) the outbox and raw
// reads for a handoff.
#include <algorithm>

#include "store/database.hpp"
#include "store/rocks.hpp"

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

std::uint64_t database::last_outbox_seq() const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->handle(cf::outbox)));
  it->SeekToLast();
  if (!it->Valid()) return 0;
  return get_be64(std::string_view(it->key().data(), it->key().size()));
}

std::vector<std::pair<std::uint64_t, std::string>> database::outbox(std::uint64_t after, std::size_t limit) const {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  scan_keys(*impl_, cf::outbox, outbox_key(after + 1), "", nullptr, [&](std::string_view k, std::string_view v) {
    out.emplace_back(get_be64(k), std::string(v));
    return out.size() < limit;
  });
  return out;
}

std::uint64_t database::applied(std::string_view room, std::string_view origin) const {
  auto v = read_key(*impl_, cf::meta, applied_key(room, origin));
  return v ? get_be64(*v) : 0;
}

void database::scan_family(cf family, const std::function<bool(std::string_view key, std::string_view value)>& fn,
                           const read_snapshot* at) const {
  scan_keys(*impl_, family, "", "", at ? snapshot_of(*at) : nullptr, fn);
}

std::optional<std::string> database::get_raw(cf family, std::string_view key) const { return read_key(*impl_, family, key); }

}  // namespace pw::store
