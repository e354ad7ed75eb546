#include "store/maintenance.hpp"

#include "core/clock.hpp"

namespace pw::store {

namespace {

constexpr std::size_t batch = 1024;

// The commit time of an event frame: {"seq":N,"at":"...",...}.
std::int64_t event_time(std::string_view frame) {
  auto at = frame.find("\"at\":\"");
  if (at == std::string_view::npos || at + 30 > frame.size()) return -1;
  return core::parse_iso8601(frame.substr(at + 6, 24));
}

}  // namespace

write_set maintenance_sweep(const database& db, const core::store_config& cfg, std::int64_t now_ms) {
  write_set ws;
  for (auto& [owner, key, created] : db.expired_idempotency(now_ms - cfg.idempotency_retention_ms, batch))
    ws.delete_idempotency(owner, key, created);

  const auto cutoff = now_ms - cfg.event_max_age_ms;
  for (const auto& [room, last] : db.rooms()) {
    auto page = db.events(room, 0, batch);
    std::uint64_t old_until = 0;  // events with seq < old_until are too old
    for (const auto& [seq, frame] : page.events) {
      auto t = event_time(frame);
      if (t < 0 || t >= cutoff) break;
      old_until = seq + 1;
    }
    if (old_until > 0) ws.erase_range(cf::events, event_key(room, 0), event_key(room, old_until));
  }
  return ws;
}

}  // namespace pw::store
