// The asset side of an item supervisor's steps, for items of the asset
// pipeline (core/asset.hpp): an item-level transition that changes the
// asset's status appends the asset's own history entry and moves its
// counters in the same write; when the asset becomes active or failed, the
// owner's room gets asset_processed {assetId, status, metadata | error}.
#pragma once

#include <string>
#include <vector>

#include "core/item.hpp"
#include "core/item_state.hpp"
#include "core/pipeline.hpp"
#include "core/state_machine.hpp"
#include "stages/stage.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

// `step_history`: the entries the step appended (already in `ws`). New
// entries are appended to `ws` and counted in `s.history_seq`.
void add_asset_changes(store::write_set& ws, const core::item& it, const core::pipeline& p, core::item_state& s,
                       const std::vector<core::history_entry>& step_history, const stages::stage_results& results);

// The asset_processed frame (without its seq).
std::string asset_processed_event(const core::item& it, const core::pipeline& p, const core::item_state& s,
                                  const stages::stage_results& results);

// The first failed stage's error, for a person: "decode: the image data is truncated ...".
std::string asset_error(const core::pipeline& p, const core::item_state& s);

}  // namespace pw::actors
