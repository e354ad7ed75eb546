#include "actors/runtime.hpp"

#include <set>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>
#include <algorithm>
#include <spdlog/spdlog.h>

#include "actors/admission.hpp"
#include "actors/batch/service.hpp"
#include "actors/handoff.hpp"
#include "actors/instrument.hpp"
#include "actors/messages.hpp"
#include "actors/notifier.hpp"
#include "core/clock.hpp"
#include "core/cluster.hpp"
#include "core/kill_point.hpp"
#include "stages/providers/hub.hpp"
#include "store/maintenance.hpp"
#include "store/stats.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& c, const core::config& cfg, const cluster_hooks& cluster) {
  c.set("scheduler.max-threads", static_cast<std::size_t>(cfg.actors.scheduler_threads));
  // CAF's defaults poll an idle worker every 50 us for 25 ms: at a steady
  // 100 items/s the workers never reach their sleep, and those wake-ups cost
  // more than the work (docs/decisions.md, "CAF scheduler polling").
  constexpr std::uint32_t poll_step_us = 50;
  c.set("work-stealing.moderate-poll-attempts", static_cast<std::size_t>(cfg.actors.scheduler_poll_us / poll_step_us));
  c.set("work-stealing.moderate-sleep-duration", caf::timespan{std::chrono::microseconds(poll_step_us)});
  c.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds(cfg.actors.scheduler_steal_ms)});
  if (cluster.configure) cluster.configure(c);
  return c;
}

store::writer_options writer_options_of(const core::config& cfg, core::node_metrics& m, const cluster_hooks& cluster) {
  store::writer_options o{cfg.store.sync, cfg.store.event_retention, 2048, &m};
  o.local_room = cluster.local_room;
  o.outboxed = cluster.outboxed;
  o.dir = cfg.server.data_dir;
  o.min_free_bytes = static_cast<std::uint64_t>(cfg.store.min_free_mb) << 20;
  return o;
}

}  // namespace

struct runtime::impl {
  impl(const core::config& cfg, store::database& d, std::map<std::string, pipeline_binding> pipelines,
       core::node_metrics& m, const cluster_hooks& cluster, stages::providers::hub* h)
      : config(cfg),
        db(d),
        metrics(m),
        hub(h),
        loader(d, cfg.pipelines),
        system(configure(system_config, cfg, cluster)),
        writer(d, writer_options_of(cfg, m, cluster),
               [this](std::vector<store::committed_event>&& events) { rooms.publish(events); }) {
    auto ctx = std::make_shared<node_context>();
    ctx->cfg = &cfg;
    ctx->writer = &writer;
    ctx->loader = &loader;
    ctx->timers = &timers;
    ctx->flags = &flags;
    ctx->metrics = &metrics;
    ctx->pipelines = std::move(pipelines);
    ctx->cluster_slots = cluster.slots;
    context = ctx;
    admission_actor = system.spawn(admission, context);
    // Items parked while the store refused writes go on once it takes them.
    writer.on_recovered([h = admission_actor] { post(h, store_ok_atom::value); });
    schedule_maintenance();
    if (hub) {
      batch = std::make_unique<batch_service>(cfg, d, writer, *hub, timers, [this](std::vector<std::string> ids) {
        for (auto& id : ids) post(admission_actor, wake_atom::value, std::move(id));
      });
      hub->attach(batch.get());
      batch->start();
    }
    schedule_metrics_tick();
  }

  // Every second, on the loader thread: the last-minute windows move on,
  // admission gets a mailbox probe and refreshes the oldest waiting time, and
  // admin sockets (if any) get a stats frame.
  void schedule_metrics_tick() {
    timers.schedule(std::chrono::seconds(1), [this] {
      loader.post([this](const store::database&) {
        metrics.tick(std::chrono::steady_clock::now());
        if (const auto now = core::node_metrics::now_ns(); metrics.actor_probe_sending(core::actor_kind::admission, now))
          post(admission_actor, probe_atom::value, now);
        post(admission_actor, stats_atom::value);
        if (metrics.stats_subscribers() > 0) {
          refresh_metrics();
          auto report = metrics.report_json(std::chrono::steady_clock::now());
          auto frame = std::make_shared<std::string>("{\"type\":\"stats\",\"room\":\"admins\",");
          frame->append(report, 1, std::string::npos);
          rooms.publish_live(std::move(frame));
        }
      });
      schedule_metrics_tick();
    });
  }

  // Scrape-time figures: counters from the store, the runtime's own, RocksDB's.
  void refresh_metrics() {
    core::runtime_figures f;
    f.waiting = flags.waiting.load();
    f.active = flags.active.load();
    f.workers = flags.workers.load();
    // Totals over the workspaces' counter records, read once.
    const auto packs = db.counter_packs();
    auto total = [&](std::string_view field) {
      std::int64_t n = 0;
      for (const auto& [ws, p] : packs) n += p.get(field);
      return n;
    };
    f.delayed = total("delayed");
    f.dlq_open = total("dlq");
    f.timers_pending = timers.pending();
    f.actors_running = system.registry().running();
    const auto oldest = flags.oldest_waiting_ms.load();
    f.oldest_waiting_s = oldest > 0 ? static_cast<double>(std::max<std::int64_t>(0, core::now_ms() - oldest)) / 1000.0 : 0;
    f.ready = flags.ready && !flags.draining;
    f.draining = flags.draining;
    f.store_healthy = writer.healthy();
    for (std::size_t i = 0; i < std::size(core::all_item_statuses); ++i)
      f.items_by_status[i] = total(core::to_string(core::all_item_statuses[i]));
    const auto w = writer.stats();
    f.batches = w.batches;
    f.write_sets = w.write_sets;
    f.keys = w.keys;
    f.bytes = w.bytes;
    f.write_failures = w.failures;
    metrics.set_runtime(f);
    metrics.set_rocksdb(store::read_rocksdb_figures(db, config.server.data_dir));
  }

  // Every minute, on the loader thread: expired idempotency records and
  // events older than store.event_max_age_ms go.
  void schedule_maintenance() {
    timers.schedule(std::chrono::seconds(60), [this] {
      loader.post([this](const store::database& db) {
        auto ws = store::maintenance_sweep(db, config.store, core::now_ms());
        if (!ws.empty()) {
          PW_KILL_POINT(maintenance_sweep);
          writer.submit(std::move(ws), nullptr);
        }
      });
      schedule_maintenance();
    });
  }

  const core::config& config;
  store::database& db;
  core::node_metrics& metrics;
  stages::providers::hub* hub;
  store::loader loader;
  caf::actor_system_config system_config;
  caf::actor_system system;
  node_flags flags;
  timer_service timers;
  notifier rooms;
  store::writer writer;
  context_ptr context;
  caf::actor admission_actor;
  std::unique_ptr<batch_service> batch;  // with a hub
  bool shut_down = false;
};

runtime::runtime(const core::config& cfg, store::database& db, std::map<std::string, pipeline_binding> pipelines,
                 core::node_metrics& metrics, cluster_hooks cluster, stages::providers::hub* hub)
    : impl_(std::make_unique<impl>(cfg, db, std::move(pipelines), metrics, cluster, hub)) {}

runtime::~runtime() { shutdown(); }

void runtime::submit(submit_request req, submit_callback done) {
  if (impl_->flags.draining) {
    done(core::make_error(core::errc::draining, "the node is shutting down; retry later"));
    return;
  }
  post(impl_->admission_actor, submit_atom::value,
                 std::make_shared<submission>(submission{std::move(req), std::move(done)}));
}

void runtime::join(std::shared_ptr<event_sink> sink) { impl_->rooms.join(sink); }
void runtime::leave(std::shared_ptr<event_sink> sink) { impl_->rooms.leave(sink); }
bool runtime::ready() const noexcept { return impl_->flags.ready && !impl_->flags.draining; }
bool runtime::draining() const noexcept { return impl_->flags.draining; }
bool runtime::store_healthy() const noexcept { return impl_->writer.healthy(); }
std::optional<std::string> runtime::store_failure() const { return impl_->writer.failure(); }

void runtime::resume(std::vector<store::queued_ref>&& batch) {
  post(impl_->admission_actor, recovered_atom::value, std::make_shared<std::vector<store::queued_ref>>(std::move(batch)));
}

void runtime::mark_ready() { post(impl_->admission_actor, ready_atom::value); }

void runtime::control(control_request req, control_callback done) {
  post(impl_->admission_actor, control_atom::value,
                 std::make_shared<control_envelope>(control_envelope{std::move(req), std::move(done)}));
}

void runtime::retry_failed(std::string workspace, std::optional<std::string> owner, std::size_t limit,
                           count_callback done) {
  impl_->loader.ids_by_status(
      std::move(workspace), std::move(owner), {core::item_status::failed, core::item_status::partial}, limit,
      [h = impl_->admission_actor, done = std::move(done)](std::vector<std::string> ids) {
        auto b = std::make_shared<bulk_envelope>();
        for (auto& id : ids) b->requests.push_back(control_request{control_action::retry_failed, std::move(id), {}});
        b->done = done;
        post(h, bulk_atom::value, std::move(b));
      });
}

void runtime::requeue_dead_letters(std::vector<std::pair<std::string, std::string>> letters, bool all,
                                   count_callback done) {
  auto send = [h = impl_->admission_actor, done](std::vector<std::pair<std::string, std::string>> list) {
    auto b = std::make_shared<bulk_envelope>();
    for (auto& [id, stage] : list) b->requests.push_back(control_request{control_action::retry, std::move(id), {std::move(stage)}});
    b->done = done;
    post(h, bulk_atom::value, std::move(b));
  };
  if (all) impl_->loader.dead_letters(100000, send);
  else send(std::move(letters));
}

void runtime::remember(std::string owner, std::string key, std::int64_t created_ms, std::string record) {
  store::write_set ws;
  ws.put_idempotency(owner, key, created_ms, std::move(record));
  impl_->writer.submit(std::move(ws), nullptr);
}

std::string runtime::metrics_text() {
  impl_->refresh_metrics();
  return impl_->metrics.expose();
}

std::string runtime::ops_report() {
  impl_->refresh_metrics();
  return impl_->metrics.report_json(std::chrono::steady_clock::now());
}

void runtime::save_import(std::string id, std::string owner, std::string report_json, std::function<void()> done) {
  store::write_set ws;
  ws.put_import(id, owner, std::move(report_json));
  impl_->writer.submit(std::move(ws), [done = std::move(done)](bool) { done(); });
}

void runtime::wake(std::vector<std::string> item_ids) {
  for (auto& id : item_ids) post(impl_->admission_actor, wake_atom::value, std::move(id));
}

void runtime::requeue_batch_requests(std::vector<std::string> request_ids,
                                     std::function<void(core::result<requeue_counts>)> done) {
  if (!impl_->batch) return done(core::make_error(core::errc::not_found, "this node runs no batch registry"));
  impl_->batch->requeue(std::move(request_ids), [h = impl_->admission_actor, done = std::move(done)](requeue_report r) {
    if (!r.ok) return done(core::make_error(core::errc::store_failed, "the requeue was not written; see the server log"));
    // An item whose stage failed on the request runs its failed stages again
    // (one action per item: a second one would find it queued); the stage
    // finds its request pending. A stage still waiting is woken by the new
    // result instead (the action is refused, harmlessly).
    std::set<std::string> items;
    for (auto& [item, stage] : r.stages) items.insert(item);
    for (const auto& item : items)
      post(h, control_atom::value,
                     std::make_shared<control_envelope>(control_envelope{
                         control_request{control_action::retry_failed, item, {}}, [](core::result<control_reply>) {}}));
    done(requeue_counts{r.requeued, r.not_found});
  });
}

queue_counts runtime::counts() const {
  return queue_counts{impl_->flags.waiting.load(), impl_->flags.active.load()};
}

bool runtime::drain(std::chrono::milliseconds deadline) {
  impl_->flags.draining = true;
  caf::scoped_actor self{impl_->system};
  bool done = false;
  self->request(impl_->admission_actor, caf::duration{deadline}, drain_atom::value)
      .receive([&](done_atom) { done = true; },
               [&](const caf::error& e) {
                 spdlog::warn("event=drain.timeout deadline_ms={} detail=\"{}\"", deadline.count(), impl_->system.render(e));
               });
  return done;
}

void runtime::shutdown() {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->flags.draining = true;
  // Supervisors trap user_shutdown, kill their workers and quit; admission
  // forwards it to every supervisor still alive.
  caf::anon_send_exit(impl_->admission_actor, caf::exit_reason::user_shutdown);
  if (impl_->batch) impl_->batch->stop();
  if (impl_->hub) {
    impl_->hub->attach(nullptr);
    impl_->hub->stop();  // calls in flight end now; their callbacks only post
  }
  impl_->timers.stop();   // drops pending timers and the actor handles they hold
  impl_->loader.stop();
  impl_->writer.stop();   // commits what was submitted
  impl_->admission_actor = nullptr;
  impl_->context.reset();
  impl_->system.await_all_actors_done();
}

void runtime::read_events(std::string room, std::uint64_t after, std::size_t limit, replay_callback done) {
  auto page = impl_->db.events(room, after, limit);
  replay_page out;
  out.events = std::move(page.events);
  out.first_retained = page.first_retained;
  out.last_seq = page.last_seq;
  done(std::move(out));
}

caf::actor_system& runtime::system() { return impl_->system; }
store::writer& runtime::writer() { return impl_->writer; }
store::loader& runtime::loader() { return impl_->loader; }
notifier& runtime::rooms() { return impl_->rooms; }
const std::map<std::string, pipeline_binding>& runtime::pipelines() const { return impl_->context->pipelines; }

void runtime::release_slots(std::vector<std::uint32_t> slots, std::function<void()> done) {
  post(impl_->admission_actor, release_atom::value,
                 std::make_shared<release_job>(release_job{std::move(slots), std::move(done)}));
}

void runtime::resume_slots(std::vector<std::uint32_t> slots) {
  post(impl_->admission_actor, resume_atom::value, std::make_shared<std::vector<std::uint32_t>>(slots));
  const auto n = impl_->context->cluster_slots;
  impl_->loader.post([h = impl_->admission_actor, slots = std::set<std::uint32_t>(slots.begin(), slots.end()),
                      n](const store::database& db) {
    auto batch = std::make_shared<std::vector<store::queued_ref>>();
    db.scan_queue([&](std::string_view, std::string_view id, std::string_view ws) {
      if (slots.count(core::slot_of_workspace(ws, n))) batch->push_back(store::queued_ref{std::string(id), std::string(ws)});
    });
    std::sort(batch->begin(), batch->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    if (!batch->empty()) post(h, recovered_atom::value, std::move(batch));
  });
}

runtime_stats runtime::stats() const {
  runtime_stats s;
  s.active_supervisors = impl_->flags.active.load();
  s.waiting_items = impl_->flags.waiting.load();
  s.running_workers = impl_->flags.workers.load();
  s.pending_timers = impl_->timers.pending();
  s.actors_running = impl_->system.registry().running();
  s.writer = impl_->writer.stats();
  return s;
}

}  // namespace pw::actors
