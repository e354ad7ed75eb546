// Provider token usage as the API shows it (workspace metrics):
// {"prompt_tokens","completion_tokens","total_tokens","requests","by_stage":{...},
//  "by_model":{...},"by_stage_and_model":[{"stage","model",...}]} over the
// last 30 UTC days, from the workspace's counter record (core/usage.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "store/counters.hpp"

namespace pw::net {

std::string render_usage(const store::counter_pack& counters, std::int32_t today);

}  // namespace pw::net
