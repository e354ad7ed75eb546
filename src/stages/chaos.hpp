// What chaos does to one attempt: a pure function of (seed, item, stage,
// attempt), so a failing run can be replayed exactly.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/chaos_spec.hpp"

namespace pw::stages {

struct chaos_decision {
  core::millis latency{0};
  core::chaos_effect effect = core::chaos_effect::none;
};

chaos_decision decide_chaos(const core::chaos_spec& spec, std::string_view item_id, std::string_view stage,
                            std::uint32_t attempt) noexcept;

}  // namespace pw::stages
