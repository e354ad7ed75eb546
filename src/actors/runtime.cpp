#include "actors/runtime.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/admission.hpp"
#include "actors/instrument.hpp"
#include "actors/messages.hpp"
#include "actors/notifier.hpp"
#include "core/clock.hpp"
#include "store/maintenance.hpp"
#include "store/stats.hpp"
#include "store/write_set.hpp"

namespace pw::actors {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& c, const core::config& cfg) {
  c.set("scheduler.max-threads", static_cast<std::size_t>(cfg.actors.scheduler_threads));
  return c;
}

}  // namespace

struct runtime::impl {
  impl(const core::config& cfg, store::database& d, std::map<std::string, pipeline_binding> pipelines,
       core::node_metrics& m)
      : config(cfg),
        db(d),
        metrics(m),
        loader(d, cfg.pipelines),
        system(configure(system_config, cfg)),
        writer(d, store::writer_options{cfg.store.sync, cfg.store.event_retention, 2048, &m},
               [this](std::vector<store::committed_event>&& events) { rooms.publish(events); }) {
    auto ctx = std::make_shared<node_context>();
    ctx->cfg = &cfg;
    ctx->writer = &writer;
    ctx->loader = &loader;
    ctx->timers = &timers;
    ctx->flags = &flags;
    ctx->metrics = &metrics;
    ctx->pipelines = std::move(pipelines);
    context = ctx;
    admission_actor = system.spawn(admission, context);
    schedule_maintenance();
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
          caf::anon_send(admission_actor, probe_atom::value, now);
        caf::anon_send(admission_actor, stats_atom::value);
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
        if (!ws.empty()) writer.submit(std::move(ws), nullptr);
      });
      schedule_maintenance();
    });
  }

  const core::config& config;
  store::database& db;
  core::node_metrics& metrics;
  store::loader loader;
  caf::actor_system_config system_config;
  caf::actor_system system;
  node_flags flags;
  timer_service timers;
  notifier rooms;
  store::writer writer;
  context_ptr context;
  caf::actor admission_actor;
  bool shut_down = false;
};

runtime::runtime(const core::config& cfg, store::database& db, std::map<std::string, pipeline_binding> pipelines,
                 core::node_metrics& metrics)
    : impl_(std::make_unique<impl>(cfg, db, std::move(pipelines), metrics)) {}

runtime::~runtime() { shutdown(); }

void runtime::submit(submit_request req, submit_callback done) {
  if (impl_->flags.draining) {
    done(core::make_error(core::errc::draining, "the node is shutting down; retry later"));
    return;
  }
  caf::anon_send(impl_->admission_actor, submit_atom::value,
                 std::make_shared<submission>(submission{std::move(req), std::move(done)}));
}

void runtime::join(std::shared_ptr<event_sink> sink) { impl_->rooms.join(sink); }
void runtime::leave(std::shared_ptr<event_sink> sink) { impl_->rooms.leave(sink); }
bool runtime::ready() const noexcept { return impl_->flags.ready && !impl_->flags.draining; }
bool runtime::draining() const noexcept { return impl_->flags.draining; }
bool runtime::store_healthy() const noexcept { return impl_->writer.healthy(); }

void runtime::resume(std::vector<store::queued_ref>&& batch) {
  caf::anon_send(impl_->admission_actor, recovered_atom::value, std::make_shared<std::vector<store::queued_ref>>(std::move(batch)));
}

void runtime::mark_ready() { caf::anon_send(impl_->admission_actor, ready_atom::value); }

void runtime::control(control_request req, control_callback done) {
  caf::anon_send(impl_->admission_actor, control_atom::value,
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
        caf::anon_send(h, bulk_atom::value, std::move(b));
      });
}

void runtime::requeue_dead_letters(std::vector<std::pair<std::string, std::string>> letters, bool all,
                                   count_callback done) {
  auto send = [h = impl_->admission_actor, done](std::vector<std::pair<std::string, std::string>> list) {
    auto b = std::make_shared<bulk_envelope>();
    for (auto& [id, stage] : list) b->requests.push_back(control_request{control_action::retry, std::move(id), {std::move(stage)}});
    b->done = done;
    caf::anon_send(h, bulk_atom::value, std::move(b));
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
  impl_->timers.stop();   // drops pending timers and the actor handles they hold
  impl_->loader.stop();
  impl_->writer.stop();   // commits what was submitted
  impl_->admission_actor = nullptr;
  impl_->context.reset();
  impl_->system.await_all_actors_done();
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
