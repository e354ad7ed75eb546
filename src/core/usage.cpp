#include "core/usage.hpp"

#include <chrono>

#include <fmt/format.h>

namespace pw::core {

namespace {

// A name as a field part: '|' would split it.
std::string part(std::string_view s) {
  std::string out(s.substr(0, 128));
  for (auto& c : out)
    if (c == '|' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return out;
}

std::int32_t to_day(std::chrono::year_month_day d) {
  return static_cast<std::int32_t>(static_cast<int>(d.year()) * 10000 + static_cast<unsigned>(d.month()) * 100 +
                                   static_cast<unsigned>(d.day()));
}

}  // namespace

std::int32_t utc_day(std::int64_t ms) noexcept {
  using namespace std::chrono;
  return to_day(year_month_day{floor<days>(sys_time<milliseconds>(milliseconds(ms)))});
}

std::int32_t day_before(std::int32_t day, int n) noexcept {
  using namespace std::chrono;
  year_month_day d{year(day / 10000), month(static_cast<unsigned>(day / 100 % 100)), std::chrono::day(static_cast<unsigned>(day % 100))};
  if (!d.ok()) return day;
  return to_day(year_month_day{sys_days(d) - days(n)});
}

std::vector<std::pair<std::string, std::int64_t>> usage_counters(std::int32_t day, std::string_view stage,
                                                                 std::string_view model, std::string_view mode,
                                                                 std::int64_t prompt_tokens, std::int64_t completion_tokens) {
  const auto base = fmt::format("{}{}|{}|{}|{}|", usage_prefix, day, part(stage), part(model), part(mode));
  return {{base + "prompt", prompt_tokens}, {base + "completion", completion_tokens}, {base + "requests", 1}};
}

std::optional<usage_field> parse_usage_field(std::string_view f) {
  if (f.substr(0, usage_prefix.size()) != usage_prefix) return std::nullopt;
  f.remove_prefix(usage_prefix.size());
  std::string_view parts[5];
  for (int i = 0; i < 4; ++i) {
    auto bar = f.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    parts[i] = f.substr(0, bar);
    f.remove_prefix(bar + 1);
  }
  parts[4] = f;
  if (parts[0].size() != 8) return std::nullopt;
  std::int32_t day = 0;
  for (char c : parts[0]) {
    if (c < '0' || c > '9') return std::nullopt;
    day = day * 10 + (c - '0');
  }
  if (parts[4] != "prompt" && parts[4] != "completion" && parts[4] != "requests") return std::nullopt;
  return usage_field{day, std::string(parts[1]), std::string(parts[2]), std::string(parts[3]), std::string(parts[4])};
}

}  // namespace pw::core
