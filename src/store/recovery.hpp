// Recovery: on start, every item that was accepted and has not finished is
// found in the durable queue, in acceptance order, to be resumed from its last
// persisted stage. Only ids and workspaces are read at start; an item's
// record, state and results are loaded when it gets a slot (load_item), so
// the node is ready in the time of one scan of the queue.
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
  std::size_t unreadable = 0;  // queue entries that are not an item id
};

// Loads one item for a supervisor: its record, state (aligned to the
// pipeline) and completed results.
std::optional<stored_item> load_item(const database& db, std::string_view id,
                                     const std::map<std::string, core::pipeline>& pipelines);

// An unfinished item as the durable queue knows it.
struct queued_ref {
  std::string id;
  std::string workspace;  // "" for entries written before the queue kept it
};

recovery_report recover(const database& db, std::size_t batch_size,
                        const std::function<void(std::vector<queued_ref>&&)>& on_batch);

}  // namespace pw::store
