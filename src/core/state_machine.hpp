// The one state machine for stage and item status (DESIGN §2). Every change of
// status goes through transition(), which refuses what the table forbids and
// yields the history entry to persist with the change.
#pragma once

#include <cstdint>
#include <string>

#include "core/item_state.hpp"
#include "core/result.hpp"
#include "core/status.hpp"

namespace pw::core {

struct history_entry {
  std::int64_t at_ms = 0;
  std::string stage;  // empty for an item-level entry
  std::string from;
  std::string to;
  std::uint32_t attempt = 0;
  std::string cause;
};

bool transition_allowed(stage_status from, stage_status to) noexcept;
bool transition_allowed(item_status from, item_status to) noexcept;

result<history_entry> transition(stage_state& s, std::string_view stage_name, stage_status to,
                                 std::int64_t now_ms, std::string cause);
result<history_entry> transition(item_state& s, item_status to, std::int64_t now_ms, std::string cause);

}  // namespace pw::core
