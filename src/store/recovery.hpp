// Recovery: on start, every item that was accepted and has not finished is
// loaded from the store (its record, state and completed results), in
// acceptance order, to be resumed from its last persisted stage.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "store/database.hpp"

namespace pw::store {

struct stored_item {
  core::item item;
  core::item_state state;
  std::vector<std::pair<std::string, std::string>> results;  // (stage, JSON) of completed stages
};

struct recovery_report {
  std::size_t resumed = 0;
  std::size_t unreadable = 0;  // records that failed to decode, or whose pipeline is gone
};

// Loads one item for a supervisor: its record, state (aligned to the
// pipeline) and completed results.
std::optional<stored_item> load_item(const database& db, std::string_view id,
                                     const std::map<std::string, core::pipeline>& pipelines);

recovery_report recover(const database& db, const std::map<std::string, core::pipeline>& pipelines,
                        std::size_t batch_size, const std::function<void(std::vector<stored_item>&&)>& on_batch);

}  // namespace pw::store
