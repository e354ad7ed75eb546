// Provider token usage, counted per workspace, day, stage, model and mode
// (http or batch) in the workspace's counter record (store/counters.hpp)
// under fields "usage|<yyyymmdd>|<stage>|<model>|<mode>|<part>", part =
// prompt, completion or requests. The metrics read the last 30 days; older
// days are swept (store/maintenance.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pw::core {

inline constexpr std::string_view usage_prefix = "usage|";
inline constexpr int usage_window_days = 30;

// The UTC day of `ms` as yyyymmdd.
std::int32_t utc_day(std::int64_t ms) noexcept;
// The day `days` before `day` (both yyyymmdd).
std::int32_t day_before(std::int32_t day, int days) noexcept;

std::vector<std::pair<std::string, std::int64_t>> usage_counters(std::int32_t day, std::string_view stage,
                                                                 std::string_view model, std::string_view mode,
                                                                 std::int64_t prompt_tokens, std::int64_t completion_tokens);

struct usage_field {
  std::int32_t day = 0;
  std::string stage;
  std::string model;
  std::string mode;  // http | batch
  std::string part;  // prompt | completion | requests
};
std::optional<usage_field> parse_usage_field(std::string_view field);

}  // namespace pw::core
