// The JSON documents the API returns for items, read from the store.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"

namespace pw::net {

using stored_results = std::vector<std::pair<std::string, std::string>>;  // (stage, JSON)

// GET /items/{id}: the item, its status, every stage with its result, and
// `result`, the summary pushed in item.completed.
std::string render_item(const core::item& it, const core::pipeline& p, const core::item_state& s,
                        const stored_results& results);
// One line of a listing: id, owner, workspace, status, title, created_at.
std::string render_summary(const core::item& it, core::item_status status);
// GET /items/{id}/processing-status
std::string render_status(const core::item& it, const core::pipeline& p, const core::item_state& s);
// GET /items/{id}/history
std::string render_history(const core::item& it, const std::vector<core::history_entry>& entries);

}  // namespace pw::net
