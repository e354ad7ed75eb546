// Seeded fault injection for a stage (the `chaos` table of a stage). What
// happens to one attempt is a pure function of (seed, item id, stage,
// attempt), so a run can be replayed.
#pragma once

#include <cstdint>

#include "core/supervision.hpp"

namespace pw::core {

enum class latency_distribution : std::uint8_t { none, fixed, uniform, exponential };

struct latency_spec {
  latency_distribution distribution = latency_distribution::none;
  millis min{0};   // fixed: the latency; uniform: lower bound
  millis max{0};   // uniform: upper bound; exponential: cap
  millis mean{0};  // exponential: mean
};

enum class chaos_effect : std::uint8_t { none, transient, permanent, throw_error, hang };

struct chaos_spec {
  std::uint64_t seed = 1;
  latency_spec latency;
  double transient_rate = 0;  // the backend answers a transient error
  double permanent_rate = 0;  // the backend answers a permanent error
  double throw_rate = 0;      // the worker throws (crashes)
  double hang_rate = 0;       // the worker never answers; the timeout fires
  // Deterministic faults for tests: the first `fail_first` attempts of every
  // item suffer `fail_first_effect`, whatever the rates say.
  std::uint32_t fail_first = 0;
  chaos_effect fail_first_effect = chaos_effect::transient;
};

}  // namespace pw::core
