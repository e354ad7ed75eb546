// Stage and item statuses (DESIGN §2) and their names on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pw::core {

enum class stage_status : std::uint8_t { pending, processing, retrying, completed, failed, skipped };

enum class item_status : std::uint8_t { queued, processing, paused, completed, partial, failed, cancelled };

std::string_view to_string(stage_status s) noexcept;
std::string_view to_string(item_status s) noexcept;
std::optional<stage_status> parse_stage_status(std::string_view s) noexcept;
std::optional<item_status> parse_item_status(std::string_view s) noexcept;

// completed, failed or skipped: the stage will not run again unless an
// operator resets it.
constexpr bool is_settled(stage_status s) noexcept {
  return s == stage_status::completed || s == stage_status::failed || s == stage_status::skipped;
}

// completed, partial, failed or cancelled: no supervisor runs for the item.
constexpr bool is_terminal(item_status s) noexcept {
  return s == item_status::completed || s == item_status::partial || s == item_status::failed ||
         s == item_status::cancelled;
}

inline constexpr item_status all_item_statuses[] = {
    item_status::queued,  item_status::processing, item_status::paused,   item_status::completed,
    item_status::partial, item_status::failed,     item_status::cancelled};

}  // namespace pw::core
