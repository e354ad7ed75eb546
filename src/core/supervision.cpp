#include "core/supervision.hpp"

#include <algorithm>
#include <cmath>

namespace pw::core {

millis backoff_delay(const retry_policy& p, std::uint32_t failed_attempt, double unit_random) noexcept {
  const double cap = static_cast<double>(p.max_backoff.count());
  const double exponent = failed_attempt > 0 ? static_cast<double>(failed_attempt - 1) : 0.0;
  const double base = std::min(cap, static_cast<double>(p.initial_backoff.count()) * std::pow(p.multiplier, exponent));
  const double u = std::clamp(unit_random, 0.0, 1.0);
  const double delay = std::clamp(base * (1.0 + p.jitter * (2.0 * u - 1.0)), 0.0, cap);
  return millis{static_cast<millis::rep>(std::llround(delay))};
}

}  // namespace pw::core
