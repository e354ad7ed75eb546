// What a /api/v1/ws socket is opened with: the server's limits, and what
// its query asks for (?stats=1 live stats for admins, ?since=N and
// ?admins_since=N replays), or the error that refuses the query.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace pw::core {
struct limits_config;
class node_metrics;
}  // namespace pw::core

namespace pw::net {

struct ws_options {
  std::size_t send_queue = 4096;
  std::size_t send_buffer_bytes = 0;  // SO_SNDBUF; 0 leaves the kernel's autotuning
  std::size_t max_frame_bytes = 65536;
  double max_messages_per_s = 50;
  std::chrono::milliseconds idle_timeout{60000};
  std::optional<std::uint64_t> since;         // replay the user's room after this seq
  std::optional<std::uint64_t> admins_since;  // replay the admins room after this seq
  bool live_stats = false;                     // an admin asked for stats frames (?stats=1)
  core::node_metrics* metrics = nullptr;
};

// `admin`: the token's role; only an admin may ask for live stats.
core::result<ws_options> ws_options_for(const core::limits_config& limits, core::node_metrics* metrics,
                                        const std::map<std::string, std::string, std::less<>>& query, bool admin);

}  // namespace pw::net
