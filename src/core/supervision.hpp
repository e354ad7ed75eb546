// Supervision policy as data (DESIGN §3): how often and how fast a failing
// stage is tried again.
#pragma once

#include <chrono>
#include <cstdint>

namespace pw::core {

using millis = std::chrono::milliseconds;

struct retry_policy {
  std::uint32_t max_attempts = 3;  // attempts in all, the first included
  millis initial_backoff{1000};
  double multiplier = 2.0;
  millis max_backoff{60000};
  double jitter = 0.2;  // in [0, 1]: the delay is spread by ±jitter around its base
};

// The delay before attempt `failed_attempt + 1`, given that attempt
// `failed_attempt` (1-based) just failed. `unit_random` is uniform in [0, 1).
// base = min(initial_backoff · multiplier^(failed_attempt-1), max_backoff);
// delay = base · (1 + jitter · (2·unit_random − 1)), never above max_backoff.
millis backoff_delay(const retry_policy& p, std::uint32_t failed_attempt, double unit_random) noexcept;

}  // namespace pw::core
