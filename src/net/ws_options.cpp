#include "net/ws_options.hpp"

#include <utility>

#include <fmt/format.h>

#include "core/config.hpp"

namespace pw::net {

core::result<ws_options> ws_options_for(const core::limits_config& limits, core::node_metrics* metrics,
                                        const std::map<std::string, std::string, std::less<>>& query, bool admin) {
  ws_options opts;
  opts.send_queue = limits.ws_send_queue;
  opts.send_buffer_bytes = limits.ws_send_buffer_bytes;
  opts.max_frame_bytes = limits.ws_max_frame_bytes;
  opts.max_messages_per_s = limits.ws_max_messages_per_s;
  opts.idle_timeout = limits.ws_idle_timeout;
  opts.metrics = metrics;
  if (auto it = query.find("stats"); it != query.end()) {
    if (it->second != "1" && it->second != "0")
      return core::make_error(core::errc::validation_failed, "'stats' must be 1 or 0", "{\"field\":\"stats\"}");
    opts.live_stats = it->second == "1";
    if (opts.live_stats && !admin)
      return core::make_error(core::errc::forbidden, "live stats frames need a token with role \"admin\"");
  }
  for (auto [name, field] : {std::pair{"since", &opts.since}, std::pair{"admins_since", &opts.admins_since}}) {
    auto it = query.find(name);
    if (it == query.end()) continue;
    const auto& s = it->second;
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
      return core::make_error(core::errc::validation_failed, fmt::format("'{}' must be a non-negative integer", name),
                              fmt::format("{{\"field\":\"{}\"}}", name));
    std::uint64_t v = 0;
    for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    *field = v;
  }
  return opts;
}

}  // namespace pw::net
