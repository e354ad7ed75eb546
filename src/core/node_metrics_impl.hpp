// Internal to src/core: the per-stage and per-actor-kind series of
// node_metrics and the gauges set at scrape time, shared by
// node_metrics.cpp (families, hooks) and node_report.cpp (scrape, JSON).
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "core/node_metrics.hpp"

namespace pw::core {

inline constexpr std::array<attempt_outcome, 5> counted_outcomes = {
    attempt_outcome::completed, attempt_outcome::transient_error, attempt_outcome::permanent_error,
    attempt_outcome::timeout, attempt_outcome::crashed};

struct node_metrics::stage_series {
  std::string pipeline, stage, backend;
  std::array<metrics::counter*, 8> attempts{};  // indexed by attempt_outcome
  metrics::histogram* duration = nullptr;
  metrics::counter* retries = nullptr;
  metrics::counter* dead = nullptr;
  metrics::gauge* workers = nullptr;
  std::unique_ptr<metrics::histogram_window> window;
};

struct node_metrics::actor_series {
  metrics::counter* messages = nullptr;
  metrics::histogram* processing = nullptr;
  metrics::histogram* wait = nullptr;  // probe queueing delay (admission, notifier)
  metrics::windowed_max depth;
  std::atomic<std::int64_t> probe_since{0};   // steady ns of the probe in flight, 0 if none
  std::atomic<std::int64_t> last_wait_ns{-1}; // the last probe's wait, -1 before the first
  std::unique_ptr<metrics::histogram_window> window;
  // The oldest message's age, as far as probes tell: the probe in flight's
  // age, else the last probe's wait. -1 when unknown (kinds without probes).
  double oldest_age_s(std::int64_t now_ns) const noexcept;
};

struct node_metrics::scraped {
  std::array<metrics::gauge*, 7> items{};  // by all_item_statuses
  metrics::gauge *waiting, *active, *delayed, *oldest_waiting, *dlq_open;
  std::array<metrics::gauge*, actor_kind_count> alive{}, mailbox_max{}, oldest_age{};
  metrics::gauge *actors_running, *timers_pending, *ready, *draining, *store_healthy;
  metrics::counter *batches, *write_sets, *keys, *bytes, *write_failures;
  metrics::gauge *write_stopped, *delayed_write_rate, *pending_compaction, *sst, *live_sst, *wal, *memtable;
  metrics::gauge *cache_usage, *cache_capacity, *compactions, *flushes;
  metrics::gauge* stall_seconds;  // exposed as a counter
  metrics::counter *cache_hits, *cache_misses;
  metrics::gauge *cpu, *rss, *vsz, *fds, *max_fds, *threads, *start_time;
  metrics::counter* overflow;
};

}  // namespace pw::core
