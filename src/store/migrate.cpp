#include "store/migrate.hpp"

#include <chrono>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "store/codec.hpp"
#include "store/counters.hpp"
#include "store/record.hpp"
#include "store/write_set.hpp"

namespace pw::store {

namespace {

constexpr std::size_t items_per_batch = 512;

rocksdb::Slice slice(const std::string& s) { return rocksdb::Slice(s.data(), s.size()); }

struct legacy_families_t {
  rocksdb::ColumnFamilyHandle* state = nullptr;
  rocksdb::ColumnFamilyHandle* results = nullptr;
  rocksdb::ColumnFamilyHandle* history = nullptr;
};

// Calls fn(key suffix after prefix, value) for every key that starts with prefix.
template <class F>
void scan_prefix(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h, const std::string& prefix, F fn) {
  if (!h) return;
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;  // some families' memtables are hashed by prefix
  std::string end = prefix_end(prefix);
  rocksdb::Slice upper(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, h));
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    auto k = it->key(), v = it->value();
    fn(std::string_view(k.data(), k.size()).substr(prefix.size()), std::string_view(v.data(), v.size()));
  }
}

// One item of format 2 as a format-3 record, or nullopt when its parts
// cannot be read (it is then left as it is and reported).
std::optional<item_record> read_legacy(rocksdb::DB& db, const legacy_families_t& f, std::string_view id,
                                       std::string_view item_bytes) {
  auto it = decode_item(item_bytes);
  if (!it) return std::nullopt;
  std::string state_bytes;
  if (!f.state || !db.Get(rocksdb::ReadOptions(), f.state, rocksdb::Slice(id.data(), id.size()), &state_bytes).ok())
    return std::nullopt;
  auto state = decode_state_named(state_bytes);
  if (!state) return std::nullopt;
  item_record rec;
  rec.item = std::move(*it);
  rec.header = state->header;
  rec.stages = std::move(state->stages);
  scan_prefix(db, f.results, std::string(id) + '/', [&](std::string_view stage, std::string_view json) {
    rec.results.emplace_back(std::string(stage), std::string(json));
  });
  scan_prefix(db, f.history, std::string(id), [&](std::string_view seq, std::string_view chunk) {
    if (seq.size() != 4) return;  // another id that starts with this one
    if (auto entries = decode_history(chunk))
      for (auto& e : *entries) rec.history.push_back(std::move(e));
  });
  return rec;
}

// Format 2 kept one key per counter ("c/all/<field>", "c/ws/<ws>/<field>",
// "c/dlq/open"); format 3 one record per workspace, and open dead letters
// per workspace (counted from the dead letters themselves).
void convert_counters(rocksdb::WriteBatch& b, database::impl& d) {
  auto& db = *d.db;
  auto* meta = d.handle(cf::meta);
  std::map<std::string, counter_pack> packs;
  scan_prefix(db, meta, "c/ws/", [&](std::string_view rest, std::string_view value) {
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || value.size() != 8) return;
    packs[std::string(rest.substr(0, slash))].set(rest.substr(slash + 1), static_cast<std::int64_t>(get_be64(value)));
  });
  for (auto& [ws, p] : packs) p.set("dlq", 0);
  scan_prefix(db, d.handle(cf::dlq), "", [&](std::string_view key, std::string_view) {
    auto slash = key.find('/');
    std::string value;
    if (slash == std::string_view::npos ||
        !db.Get(rocksdb::ReadOptions(), d.handle(cf::items), rocksdb::Slice(key.data(), slash), &value).ok())
      return;
    if (auto rec = decode_record(value)) packs[rec->item.workspace].add("dlq", 1);
  });
  b.DeleteRange(meta, "c/", "c0");
  for (const auto& [ws, p] : packs) b.Put(meta, slice(counter_pack_key(ws)), slice(encode_counter_pack(p)));
}

void convert(rocksdb::WriteBatch& b, database::impl& d, const item_record& rec) {
  const auto& it = rec.item;
  const auto status = rec.header.status;
  const auto name = std::string(core::to_string(status));
  b.Put(d.handle(cf::items), slice(it.id), slice(encode_record(rec)));
  b.Delete(d.handle(cf::queue), slice(it.id));  // format 2's queue key was the bare id
  auto* index = d.handle(cf::index);
  if (in_queue(status)) {
    b.Put(d.handle(cf::queue), slice(queue_key(it.owner, it.id)), slice(it.workspace));
    b.Delete(index, slice(index_owner_status_key(it.owner, name, it.id)));
    b.Delete(index, slice(index_workspace_status_key(it.workspace, name, it.id)));
  } else {
    b.Put(index, slice(index_workspace_status_key(it.workspace, name, it.id)), slice(it.owner));
    if (owner_indexed(status)) b.Put(index, slice(index_owner_status_key(it.owner, name, it.id)), slice(it.workspace));
    else b.Delete(index, slice(index_owner_status_key(it.owner, name, it.id)));
  }
}

}  // namespace

core::result<migration_report> migrate_from_v2(database::impl& d, const std::vector<std::string>& legacy,
                                               const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  const auto started = std::chrono::steady_clock::now();
  legacy_families_t f;
  for (std::size_t i = 0; i < legacy.size(); ++i) {
    if (legacy[i] == "state") f.state = handles[i];
    if (legacy[i] == "results") f.results = handles[i];
    if (legacy[i] == "history") f.history = handles[i];
  }
  auto& db = *d.db;
  spdlog::info("event=store.migration.start from_format=2 to_format=3 families=\"{}\"", fmt::join(legacy, ","));
  migration_report report;
  std::size_t unreadable = 0;
  rocksdb::WriteBatch batch;
  std::size_t in_batch = 0;
  auto flush = [&]() -> core::result<void> {
    if (in_batch == 0) return {};
    auto st = db.Write(rocksdb::WriteOptions(), &batch);
    if (!st.ok()) return core::make_error(core::errc::store_failed, "store migration failed: " + st.ToString());
    batch.Clear();
    in_batch = 0;
    return {};
  };

  rocksdb::ReadOptions whole;
  whole.total_order_seek = true;  // the items' memtables are hashed by id
  std::unique_ptr<rocksdb::Iterator> items(db.NewIterator(whole, d.handle(cf::items)));
  for (items->SeekToFirst(); items->Valid(); items->Next()) {
    std::string id(items->key().data(), items->key().size());
    std::string_view value(items->value().data(), items->value().size());
    if (value.empty() || value[0] != 1) continue;  // already format 3 (an earlier, interrupted migration)
    auto rec = read_legacy(db, f, id, value);
    if (!rec) {
      ++unreadable;
      spdlog::error("event=store.migration.unreadable item={}", id);
      continue;
    }
    convert(batch, d, *rec);
    ++report.items;
    if (++in_batch == items_per_batch) {
      if (auto r = flush(); !r) return std::move(r).err();
      if (report.items % (items_per_batch * 64) == 0) spdlog::info("event=store.migration.progress items={}", report.items);
    }
  }
  if (!items->status().ok())
    return core::make_error(core::errc::store_failed, "store migration could not read items: " + items->status().ToString());
  items.reset();
  if (auto r = flush(); !r) return std::move(r).err();
  // Queue entries of format 2 (the bare id) whose item could not be read.
  std::unique_ptr<rocksdb::Iterator> queue(db.NewIterator(whole, d.handle(cf::queue)));
  for (queue->SeekToFirst(); queue->Valid(); queue->Next())
    if (queue->key().ToStringView().find('\0') == std::string_view::npos) batch.Delete(d.handle(cf::queue), queue->key());
  queue.reset();
  // Format 2 listed every status and every item of a workspace and owner;
  // format 3 lists queued and processing items from the queue, completed
  // ones under their workspace only.
  auto* index = d.handle(cf::index);
  batch.DeleteRange(index, "S", "T");
  batch.DeleteRange(index, "W", "X");
  {
    const std::string prefix = index_owner_status_key("", "", "").substr(0, 1);
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), index));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto k = it->key().ToStringView();  // 'O' owner '\0' status '\0' id
      auto a = k.find('\0');
      auto b = a == std::string_view::npos ? a : k.find('\0', a + 1);
      if (b != std::string_view::npos && k.substr(a + 1, b - a - 1) == core::to_string(core::item_status::completed))
        batch.Delete(index, it->key());
    }
  }
  convert_counters(batch, d);
  batch.Put(d.handle(cf::meta), std::string(layout_key), std::string(1, static_cast<char>(3)));
  ++in_batch;
  if (auto r = flush(); !r) return std::move(r).err();
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (auto st = db.DropColumnFamily(handles[i]); !st.ok())
      return core::make_error(core::errc::store_failed, fmt::format("store migration could not drop '{}': {}", legacy[i],
                                                                    st.ToString()));
    db.DestroyColumnFamilyHandle(handles[i]);
  }
  report.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("event=store.migration.done items={} unreadable={} elapsed_ms={}", report.items, unreadable,
               report.elapsed_ms);
  return report;
}

}  // namespace pw::store
