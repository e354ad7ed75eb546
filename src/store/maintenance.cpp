#include "store/maintenance.hpp"

#include "core/usage.hpp"

namespace pw::store {

namespace {

constexpr std::size_t batch = 1024;

}  // namespace

write_set maintenance_sweep(const database& db, const core::store_config& cfg, std::int64_t now_ms) {
  write_set ws;
  for (auto& [owner, key, created] : db.expired_idempotency(now_ms - cfg.idempotency_retention_ms, batch))
    ws.delete_idempotency(owner, key, created);

  const auto cutoff = now_ms - cfg.event_max_age_ms;
  for (const auto& [room, last] : db.rooms()) {
    if (auto end = db.expired_events_end(room, cutoff); end > 0) {
      ws.keep_room_seq(room, last);
      ws.erase_range(cf::events, event_key(room, 0), event_key(room, end));
    }
  }
  // Provider usage older than the window the views show (core/usage.hpp):
  // a field brought to 0 leaves its workspace's counter record.
  const auto first_day = core::day_before(core::utc_day(now_ms), core::usage_window_days);
  for (const auto& [workspace, pack] : db.counter_packs())
    for (const auto& [field, value] : pack.all())
      if (auto f = core::parse_usage_field(field); f && f->day < first_day) ws.count(workspace, field, -value);
  return ws;
}

}  // namespace pw::store
