// The JSON of what the runtime tells the outside: WebSocket event frames
// (without their seq, which the store writer adds) and dead-letter records.
#pragma once

#include <string>

#include "core/config.hpp"
#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"
#include "stages/stage.hpp"

namespace pw::actors {

// {"embed": {...}, "classify": {...}}: every completed stage's result, with
// `vector` fields left out (GET /items/{id} has them).
std::string result_summary(const core::pipeline& p, const core::item_state& s, const stages::stage_results& r);

// Whether a stage entering `to` is announced under the configured mode.
bool emits_stage_event(core::stage_events_mode mode, std::string_view to) noexcept;
std::string stage_updated_event(const core::item& it, const core::history_entry& e, const core::stage_state& s);
// An operator's action changed the item's status (paused, cancelled, queued again).
std::string item_updated_event(const core::item& it, const core::history_entry& e);
std::string item_finished_event(const core::item& it, const core::pipeline& p, const core::item_state& s,
                                const stages::stage_results& r);
std::string dead_letter_record(const core::item& it, const core::pipeline& p, const core::item_state& s,
                               core::stage_index stage);
std::string dead_letter_event(const core::item& it, const core::pipeline& p, const core::item_state& s,
                              core::stage_index stage);

}  // namespace pw::actors
