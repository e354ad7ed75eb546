#include "store/slot_keys.hpp"

#include "core/cluster.hpp"
#include "store/codec.hpp"
#include "store/counters.hpp"
#include "store/migrate.hpp"
#include "store/record.hpp"

namespace pw::store {

// A new column family must say in place() where its keys go (and be added
// to the handoff test): a handoff that cannot place a key stops.
static_assert(cf_count == 12, "a new column family: give it a rule in slot_keys::place()");

namespace {

std::string_view until(std::string_view s, char c) { return s.substr(0, s.find(c)); }

}  // namespace

std::optional<std::string_view> stage_data_workspace(std::string_view key) {
  // Segments: pipeline, stage, the backend's kind, the workspace, the rest.
  for (int i = 0; i < 3; ++i) {
    auto slash = key.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    key.remove_prefix(slash + 1);
  }
  auto slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  return key.substr(0, slash);
}

key_place slot_keys::of_workspace(std::string_view ws) const {
  if (ws.empty()) return key_place::unknown();
  return key_place::of_slot(core::slot_of_workspace(ws, slots_));
}

key_place slot_keys::of_room(std::string_view room) const {
  if (room.empty()) return key_place::unknown();
  return key_place::of_slot(core::slot_of_room(room, slots_));
}

// An item belongs with its workspace, read from its record.
key_place slot_keys::of_item(std::string_view id) {
  if (auto it = item_slots_.find(std::string(id)); it != item_slots_.end()) return key_place::of_slot(it->second);
  auto rec = db_.record(id);
  if (!rec) return key_place::unknown();
  const auto s = core::slot_of_workspace(rec->item.workspace, slots_);
  item_slots_.emplace(std::string(id), s);
  return key_place::of_slot(s);
}

key_place slot_keys::place(cf family, std::string_view key, std::string_view value) {
  switch (family) {
    case cf::items: {
      auto rec = decode_record(value);
      if (!rec) return key_place::unknown();
      const auto s = core::slot_of_workspace(rec->item.workspace, slots_);
      item_slots_.emplace(std::string(key), s);
      return key_place::of_slot(s);
    }
    case cf::queue:
      if (!value.empty()) return of_workspace(value);
      return of_item(key.substr(key.find('\0') == std::string_view::npos ? 0 : key.find('\0') + 1));
    case cf::timers:
      if (key.size() <= 8) return key_place::unknown();
      return of_item(until(key.substr(8), '/'));
    case cf::dlq: return of_item(until(key, '/'));
    case cf::events: {
      auto zero = key.find('\0');
      if (zero == std::string_view::npos) return key_place::unknown();
      return of_room(key.substr(0, zero));
    }
    case cf::meta: {
      if (key == layout_key) return key_place::of_node();
      if (key.rfind(counter_pack_prefix, 0) == 0) return of_workspace(key.substr(counter_pack_prefix.size()));
      if (key.rfind("s/", 0) == 0) return of_room(key.substr(2));
      if (key.rfind(applied_prefix, 0) == 0) return of_room(until(key.substr(applied_prefix.size()), '\0'));
      return key_place::unknown();
    }
    case cf::stage_data: {
      auto ws = stage_data_workspace(key);
      return ws ? of_workspace(*ws) : key_place::unknown();
    }
    case cf::index: {
      if (key.empty()) return key_place::unknown();
      switch (key.front()) {
        case 'X':  // 'X' ws '\0' status '\0' id -> owner
        case 'T':  // 'T' ws '\0' theme '\0' id -> owner
          return of_workspace(until(key.substr(1), '\0'));
        case 'O':  // 'O' owner '\0' status '\0' id -> workspace
        case 'A':  // 'A' owner '\0' asset id -> workspace
          return of_workspace(value);
        case 'B':  // 'B' workspace '\0' asset id -> owner
        case 'R':  // 'R' workspace '\0' row key -> item id (CSV import)
          return of_workspace(until(key.substr(1), '\0'));
        case 'I':  // 'I' import id -> the import's report: the node's
          return key_place::of_node();
        default: return key_place::unknown();
      }
    }
    case cf::idempotency: {
      if (key.empty()) return key_place::unknown();
      std::optional<std::string> record;
      if (key.front() == 'k') {
        record = std::string(value);
      } else if (key.front() == 't' && key.size() > 9) {
        // The expiry key of a record: it goes where the record goes.
        record = db_.get_raw(cf::idempotency, "k" + std::string(key.substr(9)));
        if (!record) return key_place::of_node();  // its record was swept: it will be too
      } else {
        return key_place::unknown();
      }
      auto rec = decode_idempotency(*record);
      if (!rec) return key_place::unknown();
      if (!rec->slot || *rec->slot >= slots_) return key_place::of_node();
      return key_place::of_slot(*rec->slot);
    }
    case cf::outbox: return key_place::of_node();
    // The Batch API's records are the node's (its creator and poller); a
    // cluster node refuses batch stages at start (core/config_providers.cpp),
    // so a cluster's store has none.
    case cf::batches: return key_place::of_node();
    case cf::images: return of_item(key);  // asset id = its item's id
  }
  return key_place::unknown();
}

}  // namespace pw::store
