// The JSON documents the API returns for items, read from the store.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"

namespace pw::net {

using stored_results = std::vector<std::pair<std::string, std::string>>;  // (stage, JSON)

// A stage result as the API shows it: without its embedding `vector`
// (1.4 KB of base64 no caller reads) unless `with_vector` (?include=vector).
std::string public_result(std::string_view json, bool with_vector);

// GET /items/{id}: the item, its status, every stage with its result, and
// `result`, the summary pushed in item.completed.
std::string render_item(const core::item& it, const core::pipeline& p, const core::item_state& s,
                        const stored_results& results, bool with_vectors = false);
// One line of a listing: id, owner, workspace, status, title, created_at.
std::string render_summary(const core::item& it, core::item_status status);
// GET /items/{id}/processing-status
std::string render_status(const core::item& it, const core::pipeline& p, const core::item_state& s);
// GET /items/{id}/history
std::string render_history(const core::item& it, const std::vector<core::history_entry>& entries);

}  // namespace pw::net
