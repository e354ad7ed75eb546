#include "actors/batch/service.hpp"

#include <pthread.h>

#include <future>
#include <unordered_set>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/batch/batch_impl.hpp"
#include "core/clock.hpp"

namespace pw::actors {

namespace sp = stages::providers;

std::string link_key(const store::provider_request& r) {
  return store::stage_namespace(r.pipeline, r.stage) + store::request_link(r.item_id);
}
std::string ready_key(const store::provider_request& r) {
  return store::stage_namespace(r.pipeline, r.stage) + store::ready_link(r.item_id);
}

bool batch_service::impl::post(std::function<void()> job) {
  {
    std::lock_guard lock(mu);
    if (stopping) return false;
    jobs.push_back(std::move(job));
  }
  cv.notify_one();
  return true;
}

void batch_service::impl::run() {
  pthread_setname_np(pthread_self(), "pw-batch");
  for (;;) {
    std::vector<registration> regs;
    std::function<void()> job;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stopping || !jobs.empty() || !registrations.empty(); });
      if (stopping) return;
      regs.swap(registrations);
      if (regs.empty()) {
        job = std::move(jobs.front());
        jobs.pop_front();
      }
    }
    // Registrations that queued up meanwhile go in one write.
    if (!regs.empty()) register_all(regs);
    else job();
  }
}

bool batch_service::impl::commit(store::write_set ws) {
  if (ws.empty()) return true;
  std::promise<bool> done;
  auto f = done.get_future();
  writer.submit(std::move(ws), [&done](bool ok) { done.set_value(ok); });
  const bool ok = f.get();
  if (!ok) spdlog::error("event=batch.store_failed");
  return ok;
}

void batch_service::impl::call(const std::string& provider, sp::http_call c, std::function<void(sp::http_outcome)> then) {
  auto* gate = hub.gate(provider);
  if (!gate) {
    sp::http_outcome o;
    o.v = sp::verdict::permanent;
    o.message = fmt::format("no provider '{}' is configured", provider);
    return then(std::move(o));
  }
  gate->submit(std::move(c), [self = weak_from_this(), then = std::move(then)](sp::http_outcome o) mutable {
    if (auto s = self.lock()) s->post([then = std::move(then), o = std::move(o)]() mutable { then(std::move(o)); });
  });
}

void batch_service::impl::wake_items(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  if (!items.empty()) wake(std::move(items));
}

// One registration: a new request, or the one already linked to the item's
// stage (deferred while it waits, its result, its error, or requeued for a
// new attempt after an error).
void batch_service::impl::register_one(registration& reg, store::write_set& ws,
                                       std::vector<std::pair<registration*, stages::stage_outcome>>& answers,
                                       std::set<std::string>& linked) {
  const auto& q = reg.request;
  const auto ns = store::stage_namespace(q.pipeline, q.stage);
  const auto link = ns + store::request_link(q.item_id);
  const auto now = core::now_ms();
  std::optional<store::provider_request> existing;
  if (!linked.count(link))
    if (auto id = store::read_stage_value(db, link)) existing = store::read_request(db, *id);
  if (!existing) {
    if (linked.count(link)) {  // the same item and stage twice in one round: the first one's request
      answers.emplace_back(&reg, stages::stage_deferred{"waits for a batch"});
      return;
    }
    store::provider_request r;
    r.id = ids.next(now);
    r.item_id = q.item_id;
    r.owner = q.owner;
    r.workspace = q.workspace;
    r.pipeline = q.pipeline;
    r.stage = q.stage;
    r.attempt = q.attempt;
    r.provider = q.provider;
    r.model = q.model;
    r.kind = q.kind;
    r.endpoint = q.endpoint;
    r.body = q.body_json;
    r.created_at_ms = r.updated_at_ms = now;
    ws.put_provider_request(r, std::nullopt);
    ws.put_stage_data(link, r.id);
    linked.insert(link);
    spdlog::debug("event=batch.request_registered request={} item={} stage={} model={}", r.id, r.item_id, r.stage, r.model);
    answers.emplace_back(&reg, stages::stage_deferred{fmt::format("request {} waits for a batch", r.id)});
    return;
  }
  auto& r = *existing;
  using rs = store::request_status;
  switch (r.status) {
    case rs::pending_batching:
    case rs::batching_in_progress:
      answers.emplace_back(&reg, stages::stage_deferred{fmt::format("request {} is {}", r.id, store::to_string(r.status))});
      return;
    case rs::processing_complete: {
      boost::system::error_code ec;
      auto v = boost::json::parse(r.result, ec);
      if (ec || !v.is_object()) {
        answers.emplace_back(&reg, stages::permanent_error(fmt::format("request {}: its stored result is unreadable", r.id)));
        return;
      }
      stages::stage_success ok;
      ok.output = std::move(v.as_object());
      // Consumed in the write that completes the stage.
      ok.state.push_back(stages::state_write{store::request_link(q.item_id), std::nullopt});
      ok.state.push_back(stages::state_write{store::ready_link(q.item_id), std::nullopt});
      answers.emplace_back(&reg, std::move(ok));
      return;
    }
    case rs::processing_failed:
      if (q.attempt > r.attempt) {
        // A new attempt of the stage after this error: the same request goes
        // back in line.
        const auto was = static_cast<std::uint8_t>(r.status);
        r.status = rs::pending_batching;
        r.attempt = q.attempt;
        r.batch_id.clear();
        r.error.clear();
        r.error_permanent = false;
        r.updated_at_ms = now;
        ++r.requeues;
        ws.put_provider_request(r, was);
        ws.put_stage_data(ns + store::ready_link(q.item_id), std::nullopt);
        answers.emplace_back(&reg, stages::stage_deferred{fmt::format("request {} is pending again (attempt {})", r.id, q.attempt)});
        return;
      }
      // The item has been told; a stale wake is not needed any more.
      ws.put_stage_data(ns + store::ready_link(q.item_id), std::nullopt);
      answers.emplace_back(&reg, r.error_permanent ? stages::permanent_error("batch request " + r.id + ": " + r.error)
                                                   : stages::transient_error("batch request " + r.id + ": " + r.error));
      return;
  }
}

void batch_service::impl::register_all(std::vector<registration>& regs) {
  store::write_set ws;
  std::vector<std::pair<registration*, stages::stage_outcome>> answers;
  std::set<std::string> linked;
  for (auto& r : regs) register_one(r, ws, answers, linked);
  const bool ok = commit(std::move(ws));
  for (auto& [reg, outcome] : answers) {
    if (!ok) reg->done(stages::transient_error("the store refused the batch request; see the server log"));
    else reg->done(std::move(outcome));
  }
}

// Items whose result (or error) was mapped back but which were not woken
// before the node stopped. Stale marks (the item is gone or finished) go.
void batch_service::impl::wake_ready() {
  std::vector<std::string> items;
  store::write_set ws;
  for (const auto& [pname, p] : cfg.pipelines)
    for (const auto& s : p.stages()) {
      if (s.backend != "batch") continue;
      const auto ns = store::stage_namespace(pname, s.name);
      db.scan_stage_data(ns + "ready/", [&](std::string_view key, std::string_view) {
        std::string item(key.substr(ns.size() + 6));
        auto status = db.item_status(item);
        if (!status || core::is_terminal(*status)) {
          ws.put_stage_data(std::string(key), std::nullopt);
          ws.put_stage_data(ns + store::request_link(item), std::nullopt);
        } else if (*status == core::item_status::processing) {
          items.push_back(std::move(item));
        }
      });
    }
  commit(std::move(ws));
  if (!items.empty()) spdlog::info("event=batch.wake_ready items={}", items.size());
  wake_items(std::move(items));
}

void batch_service::impl::do_requeue(const std::vector<std::string>& ids, requeue_report& report) {
  store::write_set ws;
  const auto now = core::now_ms();
  for (const auto& id : ids) {
    auto r = store::read_request(db, id);
    if (!r) {
      ++report.not_found;
      continue;
    }
    if (r->status != store::request_status::processing_failed) continue;
    const auto was = static_cast<std::uint8_t>(r->status);
    r->status = store::request_status::pending_batching;
    r->batch_id.clear();
    r->error.clear();
    r->error_permanent = false;
    r->updated_at_ms = now;
    r->requeues = 0;  // an operator's requeue starts a fresh budget
    ws.put_provider_request(*r, was);
    ws.put_stage_data(ready_key(*r), std::nullopt);
    report.stages.emplace_back(r->item_id, r->stage);
    ++report.requeued;
  }
  if (!commit(std::move(ws))) {
    report.ok = false;
    report.requeued = 0;
    report.stages.clear();
  }
  spdlog::info("event=batch.requeued requested={} requeued={} not_found={}", ids.size(), report.requeued, report.not_found);
}

batch_service::batch_service(const core::config& cfg, const store::database& db, store::writer& writer,
                             stages::providers::hub& hub, timer_service& timers, wake_fn wake)
    : impl_(std::make_shared<impl>(cfg, db, writer, hub, timers, std::move(wake))) {}

batch_service::~batch_service() { stop(); }

void batch_service::start() {
  impl_->thread = std::thread([i = impl_.get()] { i->run(); });
  impl_->post([i = impl_.get()] {
    for (const auto& id : store::open_batches(i->db))
      if (auto b = store::read_batch(i->db, id); b && b->provider_batch_id.empty()) i->look_first.insert(id);
    i->wake_ready();
  });
  if (impl_->cfg.batch.creation_enabled) impl_->schedule_creator();
  if (impl_->cfg.batch.polling_enabled) impl_->schedule_poller();
  spdlog::info("event=batch.started creation={} polling={} creation_interval_ms={} polling_interval_ms={}",
               impl_->cfg.batch.creation_enabled, impl_->cfg.batch.polling_enabled,
               impl_->cfg.batch.creation_interval.count(), impl_->cfg.batch.polling_interval.count());
}

void batch_service::stop() {
  std::vector<registration> regs;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping && !impl_->thread.joinable()) return;
    impl_->stopping = true;
    impl_->jobs.clear();
    regs.swap(impl_->registrations);
  }
  impl_->cv.notify_one();
  impl_->timers.cancel(impl_->creator_timer);
  impl_->timers.cancel(impl_->poller_timer);
  if (impl_->thread.joinable()) impl_->thread.join();
  for (auto& r : regs) r.done(stages::transient_error("the node is shutting down"));
}

void batch_service::submit(stages::providers::batch_request r, std::function<void(stages::stage_outcome)> done) {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->stopping) {
      impl_->registrations.push_back(registration{std::move(r), std::move(done)});
      impl_->cv.notify_one();
      return;
    }
  }
  done(stages::transient_error("the node is shutting down"));
}

void batch_service::requeue(std::vector<std::string> request_ids, std::function<void(requeue_report)> done) {
  const bool posted = impl_->post([i = impl_.get(), ids = std::move(request_ids), done] {
    requeue_report report;
    i->do_requeue(ids, report);
    done(std::move(report));
  });
  if (!posted) done(requeue_report{false, 0, 0, {}});
}

std::optional<boost::json::object> object_of(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string string_member(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

}  // namespace pw::actors
