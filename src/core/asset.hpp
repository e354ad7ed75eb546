// The asset lifecycle (DESIGN §2): an uploaded image is an item of the
// `asset` pipeline whose asset status is draft -> processing -> active |
// failed, on top of the item's own. The asset status follows from the
// item's; each change is validated here and appended to the item's history
// as an item-level entry whose words are "asset:<status>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/state_machine.hpp"
#include "core/status.hpp"

namespace pw::core {

inline constexpr std::string_view asset_pipeline = "asset";

enum class asset_status : std::uint8_t { draft, processing, active, failed };
inline constexpr asset_status all_asset_statuses[] = {asset_status::draft, asset_status::processing, asset_status::active,
                                                      asset_status::failed};

std::string_view to_string(asset_status s) noexcept;
std::optional<asset_status> parse_asset_status(std::string_view s) noexcept;
// "asset:processing": the word an asset entry of the history carries.
std::string asset_word(asset_status s);
std::optional<asset_status> parse_asset_word(std::string_view word) noexcept;

// The asset status of an item of the asset pipeline: queued, processing and
// paused items are processing; completed ones active; partial, failed and
// cancelled ones failed (some stage did not complete).
asset_status asset_status_of(item_status s) noexcept;

// (none) -> draft; draft -> processing | failed; processing -> active |
// failed; active | failed -> processing (a retry or a new analysis).
bool transition_allowed(std::optional<asset_status> from, asset_status to) noexcept;
result<history_entry> asset_transition(std::optional<asset_status> from, asset_status to, std::int64_t now_ms,
                                       std::string cause);

}  // namespace pw::core
