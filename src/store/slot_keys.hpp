// (cluster) Where every stored key belongs: to a slot (it moves when the
// slot is handed off to another node) or to the node (it stays). Each
// column family has one rule, most by a workspace or room named in the key
// or value, a few by the item the key names:
//
//   items        the record's workspace            queue      the workspace (value)
//   timers, dlq  the named item's workspace        events     the room (key prefix)
//   index        X/T: workspace (key); O: value    stage_data <pipeline>/<stage>/<kind>/<workspace>/...
//   meta         w/<ws>; s/<room>, d/<room>; layout stays
//   idempotency  the slot kept in the record (none: stays); its expiry key with it
//   outbox       stays (its node ships it to the room's node)
//
// A key no rule knows is `unknown`: a handoff that meets one stops rather
// than leave a record behind. tests/unit/test_slot_keys.cpp writes every
// kind of record a node makes and fails on any key that is not placed, so a
// new family or key kind must say here where it goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/database.hpp"
#include "store/keys.hpp"

namespace pw::store {

struct key_place {
  enum class kind : std::uint8_t { slot, node, unknown } what = kind::unknown;
  std::uint32_t slot = 0;
  static key_place of_slot(std::uint32_t s) { return {kind::slot, s}; }
  static key_place of_node() { return {kind::node, 0}; }
  static key_place unknown() { return {kind::unknown, 0}; }
};

class slot_keys {
 public:
  slot_keys(const database& db, std::uint32_t slots) : db_(db), slots_(slots) {}
  key_place place(cf family, std::string_view key, std::string_view value);
  std::uint32_t slots() const noexcept { return slots_; }

 private:
  key_place of_item(std::string_view id);
  key_place of_workspace(std::string_view ws) const;
  key_place of_room(std::string_view room) const;

  const database& db_;
  std::uint32_t slots_;
  std::unordered_map<std::string, std::uint32_t> item_slots_;  // items met so far in this scan
};

// The workspace named by a stage_data key (<pipeline>/<stage>/<kind>/<workspace>/...), if any.
std::optional<std::string_view> stage_data_workspace(std::string_view key);

}  // namespace pw::store
