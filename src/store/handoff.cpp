#include "store/handoff.hpp"

#include <fmt/format.h>

#include "store/slot_keys.hpp"

namespace pw::store {

namespace {

std::string printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  return out;
}

}  // namespace

core::result<handoff_scan> scan_slots(const database& db, std::uint32_t slot_count, const std::set<std::uint32_t>& slots,
                                      std::size_t chunk_bytes,
                                      const std::function<bool(std::vector<handoff_record>&&)>& on_chunk) {
  handoff_scan report;
  slot_keys places(db, slot_count);
  auto snap = db.snapshot();
  std::vector<handoff_record> chunk;
  std::size_t chunk_size = 0;
  std::optional<core::error> failure;
  bool stopped = false;
  // Items first: the families that name an item find its slot cached.
  std::vector<cf> order{cf::items};
  for (std::size_t i = 0; i < cf_count; ++i)
    if (static_cast<cf>(i) != cf::items) order.push_back(static_cast<cf>(i));
  for (auto family : order) {
    if (failure || stopped) break;
    db.scan_family(
        family,
        [&](std::string_view key, std::string_view value) {
          auto place = places.place(family, key, value);
          if (place.what == key_place::kind::unknown) {
            failure = core::make_error(core::errc::internal,
                                       fmt::format("a key of family {} has no slot rule: '{}'", cf_name(family), printable(key)));
            return false;
          }
          if (place.what != key_place::kind::slot || !slots.count(place.slot)) return true;
          if (family == cf::meta && key.rfind(counter_pack_prefix, 0) == 0)
            report.workspaces.emplace(key.substr(counter_pack_prefix.size()));
          if (family == cf::events) report.rooms.emplace(key.substr(0, key.find('\0')));
          if (family == cf::meta && key.rfind("s/", 0) == 0) report.rooms.emplace(key.substr(2));
          if (family == cf::stage_data)
            if (auto ws = stage_data_workspace(key)) report.workspaces.emplace(*ws);
          ++report.keys;
          report.bytes += key.size() + value.size();
          chunk_size += key.size() + value.size() + 8;
          chunk.push_back(handoff_record{family, std::string(key), std::string(value)});
          if (chunk_size >= chunk_bytes) {
            chunk_size = 0;
            if (!on_chunk(std::exchange(chunk, {}))) {
              stopped = true;
              return false;
            }
          }
          return true;
        },
        snap.get());
  }
  if (failure) return std::move(*failure);
  if (!stopped && !chunk.empty()) on_chunk(std::move(chunk));
  return report;
}

void summarize(const std::vector<handoff_record>& records, handoff_scan& into) {
  for (const auto& r : records) {
    ++into.keys;
    into.bytes += r.key.size() + r.value.size();
    if (r.family == cf::meta && r.key.rfind(counter_pack_prefix, 0) == 0)
      into.workspaces.insert(r.key.substr(counter_pack_prefix.size()));
    if (r.family == cf::stage_data)
      if (auto ws = stage_data_workspace(r.key)) into.workspaces.emplace(*ws);
    if (r.family == cf::events) into.rooms.insert(r.key.substr(0, r.key.find('\0')));
  }
}

write_set import_records(std::vector<handoff_record>&& records) {
  write_set ws;
  std::vector<std::string> workspaces, rooms;
  for (auto& r : records) {
    if (r.family == cf::meta && r.key.rfind(counter_pack_prefix, 0) == 0)
      workspaces.push_back(r.key.substr(counter_pack_prefix.size()));
    if (r.family == cf::meta && r.key.rfind("s/", 0) == 0) rooms.push_back(r.key.substr(2));
    if (r.family == cf::events) rooms.push_back(r.key.substr(0, r.key.find('\0')));
    ws.put_raw(r.family, std::move(r.key), std::move(r.value));
  }
  ws.reload(std::move(workspaces), std::move(rooms));
  return ws;
}

write_set erase_records(const std::vector<handoff_record>& records) {
  write_set ws;
  std::vector<std::string> workspaces, rooms;
  for (const auto& r : records) {
    if (r.family == cf::meta && r.key.rfind(counter_pack_prefix, 0) == 0)
      workspaces.push_back(r.key.substr(counter_pack_prefix.size()));
    if (r.family == cf::meta && r.key.rfind("s/", 0) == 0) rooms.push_back(r.key.substr(2));
    if (r.family == cf::events) rooms.push_back(r.key.substr(0, r.key.find('\0')));
    ws.erase_raw(r.family, r.key);
  }
  ws.reload(std::move(workspaces), std::move(rooms));
  return ws;
}

}  // namespace pw::store
