// Periodic cleanup, computed from reads and returned as one write: expired
// idempotency records, replay events older than store.event_max_age_ms, and
// provider usage counted on days before the last 31.
// Runs on the loader thread.
#pragma once

#include <cstdint>

#include "core/config.hpp"
#include "store/database.hpp"
#include "store/write_set.hpp"

namespace pw::store {

write_set maintenance_sweep(const database& db, const core::store_config& cfg, std::int64_t now_ms);

}  // namespace pw::store
