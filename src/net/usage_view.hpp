// Provider token usage as the API shows it (workspace metrics):
// {"prompt_tokens","completion_tokens","total_tokens","requests","by_stage":{...},
//  "by_model":{...},"by_mode":{"http":{...},"batch":{...}},
//  "by_stage_and_model":[{"stage","model",...}]} over the last 30 UTC days,
// from counter records (core/usage.hpp). With `mode`, only that mode's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/counters.hpp"

namespace pw::net {

std::string render_usage(const std::vector<const store::counter_pack*>& packs, std::int32_t today,
                         std::string_view mode = {});

}  // namespace pw::net
