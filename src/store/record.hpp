// One record per item (store format 3): the item as submitted, its state,
// its stage results and its history, under the item's id. The record is
// written whole once, when the item is accepted; every later write appends a
// delta (a RocksDB merge operand, store/merge.cpp) that RocksDB folds into the
// record on reads and compactions. An item's whole life is a handful of keys.
//
// Stages are stored with their names, so a record still reads after the
// pipeline's config changed: state_for() matches them by name, new stages
// start pending, removed ones are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"

namespace pw::store {

struct named_stage {
  std::string name;
  core::stage_state state;
};

// The item-level part of an item_state.
struct state_header {
  core::item_status status = core::item_status::queued;
  std::int64_t started_at_ms = 0;
  std::int64_t completed_at_ms = 0;
  std::uint32_t history_seq = 0;
};

struct item_record {
  core::item item;
  state_header header;
  std::vector<named_stage> stages;
  std::vector<std::pair<std::string, std::string>> results;  // (stage, result JSON) of completed stages
  std::vector<core::history_entry> history;

  // The state aligned to `p`'s stages (by name).
  core::item_state state_for(const core::pipeline& p) const;
  // The stored result of `stage`, or nullptr.
  const std::string* result(std::string_view stage) const;
};

// What one write adds to an item's record.
struct record_delta {
  std::optional<state_header> header;        // the item-level state as it is now
  std::vector<named_stage> stages;           // stages whose state changed: their whole state
  std::vector<std::pair<std::string, std::string>> results_set;
  std::vector<std::string> results_erased;
  std::vector<core::history_entry> history;  // appended in order
  bool empty() const noexcept {
    return !header && stages.empty() && results_set.empty() && results_erased.empty() && history.empty();
  }
};

// A record for `it` with every stage of `p` in `s`'s state.
item_record make_record(const core::item& it, const core::pipeline& p, const core::item_state& s,
                        std::vector<core::history_entry> history);

std::string encode_record(const item_record& r);
// The item's status alone (for listings), without decoding the rest.
std::optional<core::item_status> decode_record_status(std::string_view bytes);
// nullopt for a record that cannot be read (or the marker merge.cpp leaves
// when deltas arrive for an item that no longer exists).
std::optional<item_record> decode_record(std::string_view bytes);

// Times are encoded relative to the item's creation: pass its created_at_ms.
std::string encode_delta(const record_delta& d, std::int64_t created_at_ms);
// Applies one encoded delta; false (the record unchanged) when it cannot be read.
bool apply_delta(item_record& r, std::string_view delta);

// The value merge.cpp stores when deltas arrive for a deleted item.
inline constexpr std::string_view orphan_record{"\0", 1};

}  // namespace pw::store
