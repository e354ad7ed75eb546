// Wall-clock time in milliseconds since the epoch (persisted times) and its
// ISO-8601 rendering (times on the wire).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace pw::core {

inline std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-11-24T13:58:01.123Z"
std::string iso8601(std::int64_t ms);
// The inverse, for that exact form; -1 when it does not parse.
std::int64_t parse_iso8601(std::string_view text);

}  // namespace pw::core
