#include "core/node_metrics.hpp"

#include "core/node_metrics_impl.hpp"
#include "core/status.hpp"

namespace pw::core {

using metrics::metric_type;

std::string_view to_string(actor_kind k) noexcept {
  switch (k) {
    case actor_kind::admission: return "admission";
    case actor_kind::supervisor: return "supervisor";
    case actor_kind::worker: return "worker";
  }
  return "other";
}

namespace {

constexpr std::string_view close_reason(ws_close w) {
  switch (w) {
    case ws_close::overflow: return "overflow";
    case ws_close::rate_limited: return "rate_limited";
    case ws_close::frame_too_big: return "frame_too_big";
    case ws_close::shutdown: return "shutdown";
    case ws_close::peer: return "peer";
  }
  return "peer";
}

constexpr std::chrono::seconds window_span{60};

}  // namespace

double node_metrics::actor_series::oldest_age_s(std::int64_t now_ns) const noexcept {
  const auto since = probe_since.load(std::memory_order_relaxed);
  const auto last = last_wait_ns.load(std::memory_order_relaxed);
  if (since > 0) return static_cast<double>(std::max<std::int64_t>(now_ns - since, last)) * 1e-9;
  return last < 0 ? -1 : static_cast<double>(last) * 1e-9;
}

node_metrics::~node_metrics() = default;

node_metrics::node_metrics(const std::map<std::string, pipeline>& pipelines, std::string version)
    : started_(clock::now()), version_(std::move(version)), scraped_(std::make_unique<scraped>()) {
  register_families();
  auto& accepted = reg_.counters("pw_items_accepted_total", "Items submitted and made durable on this node", {"pipeline"});
  const auto now = clock::now();
  for (const auto& [name, p] : pipelines) {
    auto& series = stages_[&p];
    for (std::size_t i = 0; i < p.size(); ++i) {
      const auto& spec = p.stage(static_cast<stage_index>(i));
      auto s = std::make_unique<stage_series>();
      s->pipeline = name;
      s->stage = spec.name;
      s->backend = spec.backend;
      for (auto o : counted_outcomes)
        s->attempts[static_cast<std::size_t>(o)] = &stage_attempts_->with({name, spec.name, spec.backend, to_string(o)});
      s->duration = &stage_duration_->with({name, spec.name, spec.backend});
      s->retries = &stage_retries_->with({name, spec.name});
      s->dead = &stage_dead_->with({name, spec.name});
      s->workers = &stage_workers_->with({name, spec.name});
      s->window = std::make_unique<metrics::histogram_window>(*s->duration, window_span, now);
      series.push_back(std::move(s));
    }
    accepted_[name] = &accepted.with({name});
    for (auto st : {item_status::completed, item_status::partial, item_status::failed, item_status::cancelled})
      finished_by_status_[name][std::string(to_string(st))] = &items_finished_->with({name, to_string(st)});
    auto& d = item_durations_[name];
    d.first = &item_duration_->with({name});
    d.second = std::make_unique<metrics::histogram_window>(*d.first, window_span, now);
  }
  commit_to_socket_window_ = std::make_unique<metrics::histogram_window>(*commit_to_socket_, window_span, now);
}

void node_metrics::register_families() {
  auto& r = reg_;
  const auto lat = metrics::latency_buckets();
  r.gauges("pw_build_info", "Always 1; the version of the running binary", {"version"}).with({version_}).set(1);
  stage_attempts_ = &r.counters("pw_stage_attempts_total",
                                "Stage attempts that ended, by outcome (completed, transient_error, permanent_error, "
                                "timeout, crashed); failures are every outcome but completed",
                                {"pipeline", "stage", "backend", "outcome"});
  stage_duration_ = &r.histograms("pw_stage_duration_seconds", "Time from a stage worker's start to its outcome",
                                  {"pipeline", "stage", "backend"}, lat);
  stage_retries_ = &r.counters("pw_stage_retries_total", "Retries scheduled (a transient failure with attempts left)",
                               {"pipeline", "stage"});
  stage_dead_ = &r.counters("pw_stage_dead_letters_total", "Dead letters written (a stage failed for good)",
                            {"pipeline", "stage"});
  stage_workers_ = &r.gauges("pw_stage_workers", "Stage workers alive", {"pipeline", "stage"});
  items_finished_ = &r.counters("pw_items_finished_total", "Items that reached a terminal status on this node since it started",
                                {"pipeline", "status"});
  item_duration_ = &r.histograms("pw_item_duration_seconds",
                                 "Processing time of finished items (first stage started to terminal status; "
                                 "cancelled items not counted)",
                                 {"pipeline"}, lat);

  auto& s = *scraped_;
  auto& items = r.gauges("pw_items", "Items stored, by status (from the store's counters)", {"status"});
  for (std::size_t i = 0; i < std::size(all_item_statuses); ++i) s.items[i] = &items.with({to_string(all_item_statuses[i])});
  auto& queue = r.gauges("pw_queue_items",
                         "Items waiting for a slot (waiting), run by a supervisor (active), with a retry timer (delayed)",
                         {"state"});
  s.waiting = &queue.with({"waiting"});
  s.active = &queue.with({"active"});
  s.delayed = &queue.with({"delayed"});
  s.oldest_waiting = &r.gauges("pw_queue_oldest_waiting_seconds", "Age of the oldest item waiting for a slot (0 when none)").get();
  s.dlq_open = &r.gauges("pw_dlq_open", "Open dead letters (not yet requeued or resolved)").get();

  auto& alive = r.gauges("pw_actors", "Actors alive, by kind", {"kind"});
  auto& depth = r.gauges("pw_actor_mailbox_depth_max",
                         "Deepest mailbox seen while handling a message in the last 10-20 s, by actor kind", {"kind"});
  auto& oldest = r.gauges("pw_actor_oldest_message_age_seconds",
                          "Age of the oldest message in the mailbox, measured by probes sent every second "
                          "(admission)",
                          {"kind"});
  auto& messages = r.counters("pw_actor_messages_total", "Messages handled, by actor kind", {"kind"});
  auto& processing = r.histograms("pw_actor_processing_seconds", "Time an actor spent handling one message", {"kind"}, lat);
  auto& wait = r.histograms("pw_actor_mailbox_wait_seconds", "Time a probe message waited in the mailbox", {"kind"}, lat);
  const auto now = clock::now();
  for (std::size_t k = 0; k < actor_kind_count; ++k) {
    const auto name = to_string(static_cast<actor_kind>(k));
    auto a = std::make_unique<actor_series>();
    a->messages = &messages.with({name});
    a->processing = &processing.with({name});
    a->window = std::make_unique<metrics::histogram_window>(*a->processing, window_span, now);
    if (k == static_cast<std::size_t>(actor_kind::admission)) {
      a->wait = &wait.with({name});
      s.oldest_age[k] = &oldest.with({name});
    }
    s.alive[k] = &alive.with({name});
    s.mailbox_max[k] = &depth.with({name});
    actors_[k] = std::move(a);
  }
  s.actors_running = &r.gauges("pw_actor_system_running", "Actors registered in the actor system (all kinds)").get();
  s.timers_pending = &r.gauges("pw_timers_pending", "Stage timeouts and retry timers armed").get();

  ws_connections_ = &r.gauges("pw_ws_connections", "WebSockets open").get();
  ws_opened_ = &r.counters("pw_ws_connections_total", "WebSockets accepted").get();
  ws_closed_ = &r.counters("pw_ws_closed_total",
                           "WebSockets closed, by reason (overflow 4001, rate_limited 1008, frame_too_big 1009, "
                           "shutdown 1001, peer: closed by the client or the network)",
                           {"reason"});
  ws_frames_sent_ = &r.counters("pw_ws_frames_sent_total", "Frames written to WebSockets").get();
  ws_frames_dropped_ = &r.counters("pw_ws_frames_dropped_total",
                                   "Frames not written because their socket was closing (overflow, peer gone)").get();
  commit_to_socket_ = &r.histograms("pw_event_commit_to_socket_seconds",
                                    "From an event's commit to its frame written to a socket (live frames only)", {}, lat)
                           .get();

  http_requests_ = &r.counters("pw_http_requests_total", "HTTP requests answered, by route pattern and status",
                               {"method", "route", "status"}, 1024);
  http_duration_ = &r.histograms("pw_http_request_duration_seconds", "From a request read to its answer handed to the socket",
                                 {"method", "route"}, lat, 1e-9, 512);
  http_connections_ = &r.gauges("pw_http_connections", "HTTP connections open (WebSockets included until upgraded)").get();

  writer_commit_seconds_ = &r.histograms("pw_store_commit_seconds", "Time of one group commit (RocksDB Write)", {}, lat).get();
  writer_batch_sets_ = &r.histograms("pw_store_batch_write_sets", "Write sets merged into one batch", {},
                                     metrics::size_buckets(), 1).get();
  writer_batch_keys_ = &r.histograms("pw_store_batch_keys", "Keys (puts and deletes) in one batch", {},
                                     metrics::size_buckets(), 1).get();
  writer_batch_bytes_ = &r.histograms("pw_store_batch_bytes", "Size of one committed batch", {},
                                      {256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216}, 1).get();
  s.batches = &r.counters("pw_store_batches_total", "Group commits (batches) written").get();
  s.write_sets = &r.counters("pw_store_write_sets_total", "Write sets committed").get();
  s.keys = &r.counters("pw_store_keys_total", "Keys written (puts, deletes, range deletes)").get();
  s.bytes = &r.counters("pw_store_bytes_total", "Bytes of committed batches").get();
  s.write_failures = &r.counters("pw_store_write_failures_total", "Batches RocksDB refused").get();
  s.store_healthy = &r.gauges("pw_store_healthy", "1 while the store accepts writes").get();

  s.write_stopped = &r.gauges("pw_rocksdb_write_stopped", "1 while RocksDB stops writes (a write stall)").get();
  s.delayed_write_rate = &r.gauges("pw_rocksdb_delayed_write_rate_bytes",
                                   "Write rate RocksDB allows while it slows writes down (0 when not slowed)").get();
  s.stall_seconds = &r.gauges("pw_rocksdb_stall_seconds_total", "Time writers spent stalled by RocksDB", {}, 1,
                              metric_type::counter).get();
  s.pending_compaction = &r.gauges("pw_rocksdb_pending_compaction_bytes", "Estimated bytes compaction still has to rewrite").get();
  s.sst = &r.gauges("pw_rocksdb_sst_bytes", "Size of all SST files (including obsolete ones not yet deleted)").get();
  s.live_sst = &r.gauges("pw_rocksdb_live_sst_bytes", "Size of the SST files of the current version").get();
  s.wal = &r.gauges("pw_rocksdb_wal_bytes", "Size of the write-ahead log files").get();
  s.memtable = &r.gauges("pw_rocksdb_memtable_bytes", "Memory of all memtables").get();
  s.cache_usage = &r.gauges("pw_rocksdb_block_cache_usage_bytes", "Block cache memory in use").get();
  s.cache_capacity = &r.gauges("pw_rocksdb_block_cache_capacity_bytes", "Block cache capacity (store.block_cache_mb)").get();
  s.cache_hits = &r.counters("pw_rocksdb_block_cache_hits_total", "Block cache hits").get();
  s.cache_misses = &r.counters("pw_rocksdb_block_cache_misses_total", "Block cache misses").get();
  s.compactions = &r.gauges("pw_rocksdb_running_compactions", "Compactions running").get();
  s.flushes = &r.gauges("pw_rocksdb_running_flushes", "Memtable flushes running").get();

  s.ready = &r.gauges("pw_node_ready", "1 once recovery is done and while not draining").get();
  s.draining = &r.gauges("pw_node_draining", "1 while the node drains for a shutdown").get();
  s.overflow = &r.counters("pw_metrics_series_overflow_total",
                           "Label sets folded into an _overflow series because a family was full").get();
  s.cpu = &r.gauges("process_cpu_seconds_total", "User and system CPU time", {}, 1, metric_type::counter).get();
  s.rss = &r.gauges("process_resident_memory_bytes", "Resident memory").get();
  s.vsz = &r.gauges("process_virtual_memory_bytes", "Virtual memory").get();
  s.fds = &r.gauges("process_open_fds", "Open file descriptors").get();
  s.max_fds = &r.gauges("process_max_fds", "Limit on open file descriptors").get();
  s.threads = &r.gauges("pw_process_threads", "Threads of the process").get();
  s.start_time = &r.gauges("process_start_time_seconds", "Start time since the epoch").get();
}

const node_metrics::stage_series* node_metrics::find(const pipeline& p, stage_index i) const {
  auto it = stages_.find(&p);
  if (it == stages_.end() || i >= it->second.size()) return nullptr;
  return it->second[i].get();
}

void node_metrics::stage_attempt(const pipeline& p, stage_index stage, attempt_outcome outcome, double seconds) {
  const auto* s = find(p, stage);
  if (!s) return;
  if (auto* c = s->attempts[static_cast<std::size_t>(outcome)]) c->inc();
  s->duration->observe(seconds);
}

void node_metrics::item_accepted(const std::string& pipeline) {
  if (auto it = accepted_.find(pipeline); it != accepted_.end()) it->second->inc();
}

void node_metrics::worker_started(const pipeline& p, stage_index stage) {
  if (const auto* s = find(p, stage)) s->workers->inc();
}

void node_metrics::worker_stopped(const pipeline& p, stage_index stage) {
  if (const auto* s = find(p, stage)) s->workers->dec();
}

void node_metrics::record_step(const pipeline& p, const step& st, const item_state& state) {
  for (auto i : st.retry)
    if (const auto* s = find(p, i)) s->retries->inc();
  for (auto i : st.dead)
    if (const auto* s = find(p, i)) s->dead->inc();
  if (!st.finished || !is_terminal(state.status)) return;
  auto f = finished_by_status_.find(p.name());
  if (f == finished_by_status_.end()) return;
  if (auto c = f->second.find(std::string(to_string(state.status))); c != f->second.end()) c->second->inc();
  if (state.status == item_status::cancelled) return;
  if (auto d = item_durations_.find(p.name()); d != item_durations_.end())
    d->second.first->observe(static_cast<double>(state.completed_at_ms - state.started_at_ms) / 1000.0);
}

void node_metrics::actor_message(actor_kind k, std::size_t mailbox_depth, double seconds) {
  auto& a = *actors_[static_cast<std::size_t>(k)];
  a.messages->inc();
  a.processing->observe(seconds);
  if (mailbox_depth > 0) a.depth.observe(mailbox_depth, clock::now());
}

bool node_metrics::actor_probe_sending(actor_kind k, std::int64_t now_ns) {
  auto& a = *actors_[static_cast<std::size_t>(k)];
  std::int64_t none = 0;
  // One probe at a time: a stuck mailbox must not fill up with probes.
  return a.probe_since.compare_exchange_strong(none, now_ns, std::memory_order_relaxed);
}

void node_metrics::actor_probe_seen(actor_kind k, std::int64_t sent_ns, std::int64_t now_ns) {
  auto& a = *actors_[static_cast<std::size_t>(k)];
  const auto waited = std::max<std::int64_t>(0, now_ns - sent_ns);
  a.last_wait_ns.store(waited, std::memory_order_relaxed);
  if (a.wait) a.wait->observe(static_cast<double>(waited) * 1e-9);
  a.probe_since.store(0, std::memory_order_relaxed);
}

void node_metrics::writer_commit(std::size_t write_sets, std::size_t keys, std::size_t bytes, double seconds) {
  writer_commit_seconds_->observe(seconds);
  writer_batch_sets_->observe(static_cast<double>(write_sets));
  writer_batch_keys_->observe(static_cast<double>(keys));
  writer_batch_bytes_->observe(static_cast<double>(bytes));
}

void node_metrics::http_request(std::string_view method, std::string_view route, int status, double seconds) {
  http_requests_->with({method, route, std::to_string(status)}).inc();
  http_duration_->with({method, route}).observe(seconds);
}

void node_metrics::http_connection(int delta) { http_connections_->add(delta); }

void node_metrics::ws_opened(bool stats) {
  ws_opened_->inc();
  ws_connections_->inc();
  if (stats) stats_subscribers_.fetch_add(1, std::memory_order_relaxed);
}

void node_metrics::ws_closed(bool stats, ws_close why) {
  ws_connections_->dec();
  ws_closed_->with({close_reason(why)}).inc();
  if (stats) stats_subscribers_.fetch_sub(1, std::memory_order_relaxed);
}

void node_metrics::ws_frame_sent(std::int64_t committed_ns, std::int64_t now_ns) {
  ws_frames_sent_->inc();
  if (committed_ns > 0) commit_to_socket_->observe(static_cast<double>(std::max<std::int64_t>(0, now_ns - committed_ns)) * 1e-9);
}

void node_metrics::ws_frames_dropped(std::size_t n) {
  if (n) ws_frames_dropped_->inc(n);
}

}  // namespace pw::core
