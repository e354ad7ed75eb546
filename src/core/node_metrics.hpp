// The node's metrics (issue 16): every family Pipewright exposes on
// GET /metrics, the one-line hooks the runtime, the store writer and the
// network layer call, and the recent views (last minute quantiles, mailbox
// depths) behind GET /api/v1/admin/actors and the dashboard's live frames.
// Plain C++; one instance per node, reached through the node context.
// Labels are bounded by construction: pipelines, stages and backends come
// from config, routes from the router, outcomes and kinds are enums; no
// label carries an item, user or workspace id.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/item_run.hpp"
#include "core/item_state.hpp"
#include "core/metrics.hpp"
#include "core/metrics_window.hpp"
#include "core/pipeline.hpp"

namespace pw::core {

// The notifier is not an actor: the store writer calls it (actors/notifier.hpp).
enum class actor_kind : std::uint8_t { admission, supervisor, worker };
inline constexpr std::size_t actor_kind_count = 3;
std::string_view to_string(actor_kind k) noexcept;

// Why a WebSocket closed, as counted.
enum class ws_close : std::uint8_t { overflow, rate_limited, frame_too_big, shutdown, peer };

// Figures read at scrape time by whoever owns them (the runtime, the store).
struct runtime_figures {
  std::int64_t waiting = 0;   // accepted, waiting for a slot
  std::int64_t active = 0;    // item supervisors alive
  std::int64_t workers = 0;   // stage workers alive
  std::int64_t delayed = 0;   // retry timers pending (durable)
  std::int64_t dlq_open = 0;
  std::size_t timers_pending = 0;
  std::size_t actors_running = 0;  // the actor system's registry
  double oldest_waiting_s = 0;     // the oldest waiting item's age
  bool ready = false, draining = false, store_healthy = true;
  std::array<std::int64_t, 7> items_by_status{};  // indexed like all_item_statuses
  // The store writer's cumulative counters.
  std::uint64_t batches = 0, write_sets = 0, keys = 0, bytes = 0, write_failures = 0;
};

struct rocksdb_figures {
  bool write_stopped = false;
  std::uint64_t delayed_write_rate = 0;  // bytes/s while writes are slowed, else 0
  std::uint64_t stall_micros = 0;        // cumulative
  std::uint64_t pending_compaction_bytes = 0;
  std::uint64_t sst_bytes = 0, live_sst_bytes = 0, wal_bytes = 0, memtable_bytes = 0;
  std::uint64_t block_cache_usage = 0, block_cache_capacity = 0;
  std::uint64_t block_cache_hits = 0, block_cache_misses = 0;
  std::uint64_t running_compactions = 0, running_flushes = 0;
};

class node_metrics {
 public:
  using clock = std::chrono::steady_clock;

  explicit node_metrics(const std::map<std::string, pipeline>& pipelines, std::string version = "0.1.0");
  node_metrics(const node_metrics&) = delete;
  node_metrics& operator=(const node_metrics&) = delete;

  // --- hooks (thread-safe, lock-free unless noted) ---
  // One attempt of a stage ended (outcome completed, transient_error,
  // permanent_error, timeout or crashed) after `seconds`.
  void stage_attempt(const pipeline& p, stage_index stage, attempt_outcome outcome, double seconds);
  void worker_started(const pipeline& p, stage_index stage);
  void worker_stopped(const pipeline& p, stage_index stage);
  // Admission made a submitted item durable.
  void item_accepted(const std::string& pipeline);
  // A supervisor persisted a step: counts retries, dead letters and
  // finished items (with their duration).
  void record_step(const pipeline& p, const step& s, const item_state& state);
  // An actor handled one message in `seconds` with `mailbox_depth` still queued.
  void actor_message(actor_kind k, std::size_t mailbox_depth, double seconds);
  // Mailbox probes: true when a probe may be sent now (none outstanding).
  bool actor_probe_sending(actor_kind k, std::int64_t now_ns);
  void actor_probe_seen(actor_kind k, std::int64_t sent_ns, std::int64_t now_ns);
  // The store writer committed a batch.
  void writer_commit(std::size_t write_sets, std::size_t keys, std::size_t bytes, double seconds);
  // HTTP (takes a mutex: labels are looked up).
  void http_request(std::string_view method, std::string_view route, int status, double seconds);
  void http_connection(int delta);
  // WebSockets. `committed_ns`: the steady-clock instant the frame's event
  // committed (0 for replayed frames).
  // `stats`: an admin socket that asked for live stats frames (?stats=1).
  void ws_opened(bool stats);
  void ws_closed(bool stats, ws_close why);
  void ws_frame_sent(std::int64_t committed_ns, std::int64_t now_ns);
  void ws_frames_dropped(std::size_t n);
  // Sockets that want live stats frames: none, and no frame is built.
  int stats_subscribers() const noexcept { return stats_subscribers_.load(std::memory_order_relaxed); }

  // --- scrape time ---
  void set_runtime(const runtime_figures& f);
  void set_rocksdb(const rocksdb_figures& f);
  // Keeps the snapshots behind the last-minute views; call every second or so.
  void tick(clock::time_point now);
  // The text exposition (process figures are read here).
  std::string expose();
  // GET /api/v1/admin/actors: node, actors by kind, stages (last minute),
  // commit -> socket lag, queue; the dashboard's live frames carry the same.
  std::string report_json(clock::time_point now);
  metrics::registry& registry() noexcept { return reg_; }

  static std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
  }

 private:
  struct stage_series;
  struct actor_series;
  struct scraped;  // the gauges set at scrape time
  const stage_series* find(const pipeline& p, stage_index i) const;
  void register_families();
  void append_stages(std::string& out, clock::time_point now) const;
  void append_actors(std::string& out, clock::time_point now) const;

  metrics::registry reg_;
  const clock::time_point started_;
  std::string version_;

  // Families (owned by reg_).
  metrics::family<metrics::counter>* stage_attempts_ = nullptr;
  metrics::family<metrics::histogram>* stage_duration_ = nullptr;
  metrics::family<metrics::counter>* stage_retries_ = nullptr;
  metrics::family<metrics::counter>* stage_dead_ = nullptr;
  metrics::family<metrics::gauge>* stage_workers_ = nullptr;
  metrics::family<metrics::counter>* items_finished_ = nullptr;
  metrics::family<metrics::histogram>* item_duration_ = nullptr;
  metrics::family<metrics::counter>* http_requests_ = nullptr;
  metrics::family<metrics::histogram>* http_duration_ = nullptr;
  metrics::family<metrics::counter>* ws_closed_ = nullptr;
  metrics::gauge* http_connections_ = nullptr;
  metrics::gauge* ws_connections_ = nullptr;
  metrics::counter* ws_opened_ = nullptr;
  metrics::counter* ws_frames_sent_ = nullptr;
  metrics::counter* ws_frames_dropped_ = nullptr;
  metrics::histogram* commit_to_socket_ = nullptr;
  metrics::histogram* writer_commit_seconds_ = nullptr;
  metrics::histogram* writer_batch_sets_ = nullptr;
  metrics::histogram* writer_batch_keys_ = nullptr;
  metrics::histogram* writer_batch_bytes_ = nullptr;

  std::map<const pipeline*, std::vector<std::unique_ptr<stage_series>>> stages_;
  std::map<std::string, std::map<std::string, metrics::counter*>> finished_by_status_;  // pipeline -> status
  std::map<std::string, metrics::counter*> accepted_;                                    // by pipeline
  std::map<std::string, std::pair<metrics::histogram*, std::unique_ptr<metrics::histogram_window>>> item_durations_;
  std::array<std::unique_ptr<actor_series>, actor_kind_count> actors_;
  std::unique_ptr<metrics::histogram_window> commit_to_socket_window_;
  std::atomic<int> stats_subscribers_{0};
  std::unique_ptr<scraped> scraped_;

  // The latest scrape-time figures, for the JSON report.
  mutable std::mutex figures_mu_;
  runtime_figures runtime_;
  rocksdb_figures rocksdb_;

 public:
  ~node_metrics();
};

}  // namespace pw::core
