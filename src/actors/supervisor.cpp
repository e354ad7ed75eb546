#include "actors/supervisor.hpp"

#include <chrono>
#include <random>

#include <boost/json/parse.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/events.hpp"
#include "actors/stage_worker.hpp"
#include "core/clock.hpp"
#include "core/item_run.hpp"
#include "core/json.hpp"

namespace pw::actors {

namespace {

using core::stage_index;

struct running_stage {
  caf::actor worker;
  timer_service::timer_id timeout = 0;
};

// What to do once a write is durable: start workers, arm retry timers, finish.
struct follow_up {
  std::vector<stage_index> start;
  std::vector<stage_index> retry;
  bool finished = false;
  bool empty() const noexcept { return start.empty() && retry.empty() && !finished; }
};

// A completed stage's output, persisted with the step it caused.
struct stage_output {
  stage_index stage = 0;
  std::string json;
  std::vector<stages::state_write> state;
};

// Jitter needs no cryptographic randomness; std::random_device per item
// costs a system call.
std::uint64_t seed_for(const std::string& id) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ static_cast<std::uint64_t>(
                                                std::chrono::steady_clock::now().time_since_epoch().count());
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

class supervisor {
 public:
  supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec)
      : self_(self),
        ctx_(std::move(ctx)),
        binding_(&ctx_->pipelines.at(rec->item.pipeline)),
        pipe_(*binding_->pipeline),
        item_(std::make_shared<const core::item>(std::move(rec->item))),
        state_(std::move(rec->state)),
        run_(pipe_, state_),
        running_(pipe_.size()),
        retry_timers_(pipe_.size(), 0),
        rng_(seed_for(item_->id)) {
    for (auto& [stage, json] : rec->results) {
      boost::system::error_code ec;
      auto v = boost::json::parse(json, ec);
      if (ec || !v.is_object()) {
        spdlog::error("event=supervisor.bad_result item={} stage={} error=\"{}\"", item_->id, stage, ec.message());
        continue;
      }
      results_.set(stage, std::make_shared<const boost::json::object>(std::move(v.as_object())));
    }
  }

  void begin() { persist(run_.begin(core::now_ms()), nullptr); }

  void on_done(stage_index i, std::uint32_t attempt, success_ptr res) {
    if (!settle_running(i, attempt)) return;
    stage_output out{i, core::to_json(res->output), std::move(res->state)};
    results_.set(pipe_.stage(i).name, std::make_shared<const boost::json::object>(std::move(res->output)));
    snapshot_.reset();
    persist(run_.complete(i, core::now_ms()), &out);
  }

  void on_fail(stage_index i, std::uint32_t attempt, bool permanent, std::string message) {
    if (!settle_running(i, attempt)) return;
    fail(i, {permanent ? core::attempt_outcome::permanent_error : core::attempt_outcome::transient_error,
             std::move(message)});
  }

  void on_timeout(stage_index i, std::uint32_t attempt) {
    if (!run_.is_current(i, attempt) || !running_[i].worker) return;
    running_[i].timeout = 0;  // it fired
    self_->send_exit(running_[i].worker, caf::exit_reason::kill);
    settle_running(i, attempt);
    fail(i, {core::attempt_outcome::timeout,
             fmt::format("no answer within {} ms", pipe_.stage(i).timeout.count())});
  }

  void on_down(const caf::down_msg& dm) {
    for (std::size_t i = 0; i < running_.size(); ++i) {
      if (!running_[i].worker || running_[i].worker.address() != dm.source) continue;
      auto idx = static_cast<stage_index>(i);
      auto attempt = state_.stages[i].attempts;
      settle_running(idx, attempt);
      std::string why = dm.reason ? self_->system().render(dm.reason) : "the worker exited without an answer";
      fail(idx, {core::attempt_outcome::crashed, "worker crashed: " + why});
      return;
    }
  }

  void on_retry(stage_index i, std::uint32_t attempt) {
    if (!run_.is_retry_current(i, attempt)) return;
    retry_timers_[i] = 0;
    if (draining_) return;  // the timer is durable; the next start re-arms it
    persist(run_.retry_due(i, core::now_ms()), nullptr);
  }

  void on_written(std::uint64_t no, bool ok) {
    if (!in_flight_ || no != written_no_) {
      spdlog::critical("event=supervisor.write_order item={} got={} expected={}", item_->id, no, written_no_);
      return stop(caf::sec::invalid_argument);
    }
    in_flight_ = false;
    auto done = std::move(in_flight_actions_);
    if (!ok) {
      // The item stays in the durable queue; a restart resumes it.
      spdlog::error("event=supervisor.store_failed item={} action=stop", item_->id);
      return stop(caf::sec::runtime_error);
    }
    finished_ = finished_ || done.finished;
    if (!draining_) {
      for (auto i : done.start) start_worker(i);
      for (auto i : done.retry) arm_retry(i);
    }
    flush();
    maybe_quit();
  }

  void on_drain() {
    draining_ = true;
    for (auto& t : retry_timers_) {
      if (t) ctx_->timers->cancel(t);
      t = 0;
    }
    maybe_quit();
  }

  // Exit requested from outside (drain deadline, shutdown): stop everything.
  void stop(caf::error reason) {
    for (auto& r : running_) {
      if (r.timeout) ctx_->timers->cancel(r.timeout);
      if (r.worker) self_->send_exit(r.worker, caf::exit_reason::kill);
      r = {};
    }
    for (auto& t : retry_timers_) {
      if (t) ctx_->timers->cancel(t);
      t = 0;
    }
    self_->quit(std::move(reason));
  }

 private:
  caf::actor handle() const { return caf::actor_cast<caf::actor>(self_); }

  // Clears the running attempt `attempt` of stage i; false if it is stale.
  bool settle_running(stage_index i, std::uint32_t attempt) {
    if (!run_.is_current(i, attempt) || !running_[i].worker) return false;
    if (running_[i].timeout) ctx_->timers->cancel(running_[i].timeout);
    running_[i] = {};
    return true;
  }

  void fail(stage_index i, const core::stage_failure& f) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    persist(run_.fail(i, f, core::now_ms(), unit(rng_)), nullptr);
  }

  bool emits(const std::string& to) const {
    switch (ctx_->cfg->stage_events) {
      case core::stage_events_mode::all: return true;
      case core::stage_events_mode::settled: return to != "processing";
      case core::stage_events_mode::none: return false;
    }
    return true;
  }

  // Adds a step to the next write. Steps that happen while a write is in
  // flight (parallel stages finishing together) share one write, which goes
  // out when the previous one is durable: fewer commits, same order.
  void persist(core::step step, stage_output* out) {
    const auto& it = *item_;
    auto& ws = next_;
    auto seq = static_cast<std::uint32_t>(state_.history_seq - step.history.size());
    for (const auto& e : step.history) {
      ws.append_history(it.id, seq++, e);
      if (e.stage.empty()) {
        ws.count_status(it.workspace, core::parse_item_status(e.from), *core::parse_item_status(e.to));
      } else if (emits(e.to)) {
        ws.emit(it.owner, stage_updated_event(it, e, state_.stages[*pipe_.index_of(e.stage)]));
      }
    }
    if (out) {
      const auto& prefix = binding_->stages[out->stage].data_prefix;
      ws.put_result(it.id, pipe_.stage(out->stage).name, std::move(out->json));
      for (auto& w : out->state) ws.put_stage_data(prefix + w.key, std::move(w.value));
    }
    for (auto i : step.retry) ws.put_timer(state_.stages[i].next_due_ms, it.id, pipe_.stage(i).name);
    for (auto& [i, due] : step.cleared_timers) ws.delete_timer(due, it.id, pipe_.stage(i).name);
    for (auto i : step.dead) {
      ws.put_dead_letter(it.id, pipe_.stage(i).name, dead_letter_record(it, pipe_, state_, i));
      ws.count(std::string(store::dead_letters_counter), 1);
      ws.emit(std::string(store::admins_room), dead_letter_event(it, pipe_, state_, i));
      spdlog::warn("event=stage.dead_lettered item={} stage={} owner={} attempts={} error=\"{}\"", it.id,
                   pipe_.stage(i).name, it.owner, state_.stages[i].attempts, state_.stages[i].error);
    }
    if (step.finished) {
      ws.dequeue(it.id);
      ws.emit(it.owner, item_finished_event(it, pipe_, state_, results_));
      spdlog::debug("event=item.finished item={} status={} duration_ms={}", it.id, core::to_string(state_.status),
                    state_.completed_at_ms - state_.started_at_ms);
    }
    auto& next = next_actions_;
    next.start.insert(next.start.end(), step.start.begin(), step.start.end());
    next.retry.insert(next.retry.end(), step.retry.begin(), step.retry.end());
    next.finished = next.finished || step.finished;
    dirty_ = true;
    flush();
  }

  // Submits the accumulated write, with the state as it is now, unless a
  // write is still in flight.
  void flush() {
    if (in_flight_ || !dirty_) return;
    next_.put_state(item_->id, pipe_, state_);
    in_flight_ = true;
    dirty_ = false;
    written_no_ = next_write_++;
    in_flight_actions_ = std::move(next_actions_);
    next_actions_ = {};
    auto ws = std::move(next_);
    next_ = store::write_set{};
    ctx_->writer->submit(std::move(ws),
                         [h = handle(), no = written_no_](bool ok) { caf::anon_send(h, written_atom::value, no, ok); });
  }

  void start_worker(stage_index i) {
    if (!snapshot_) snapshot_ = std::make_shared<const stages::stage_results>(results_);
    const auto& spec = pipe_.stage(i);
    const auto attempt = state_.stages[i].attempts;
    auto job = std::make_shared<worker_job>(
        worker_job{handle(), ctx_, item_, snapshot_, &spec, binding_->stages[i].backend, i, attempt});
    auto worker = self_->spawn<caf::monitored>(stage_worker, std::move(job));
    running_[i].worker = worker;
    if (spec.chaos || binding_->stages[i].backend->asynchronous())
      running_[i].timeout = ctx_->timers->schedule(spec.timeout, [h = handle(), i, attempt] {
        caf::anon_send(h, timeout_atom::value, i, attempt);
      });
    self_->send(worker, run_atom::value);
  }

  void arm_retry(stage_index i) {
    const auto& st = state_.stages[i];
    if (st.status != core::stage_status::retrying) return;
    if (retry_timers_[i]) ctx_->timers->cancel(retry_timers_[i]);
    auto delay = std::chrono::milliseconds(std::max<std::int64_t>(0, st.next_due_ms - core::now_ms()));
    retry_timers_[i] = ctx_->timers->schedule(delay, [h = handle(), i, attempt = st.attempts] {
      caf::anon_send(h, retry_atom::value, i, attempt);
    });
  }

  void maybe_quit() {
    if (in_flight_ || dirty_) return;
    bool any_running = false;
    for (auto& r : running_) any_running = any_running || static_cast<bool>(r.worker);
    if (finished_ || (draining_ && !any_running)) stop(caf::error{});
  }

  caf::event_based_actor* self_;
  context_ptr ctx_;
  const pipeline_binding* binding_;
  const core::pipeline& pipe_;
  std::shared_ptr<const core::item> item_;
  core::item_state state_;
  core::item_run run_;
  stages::stage_results results_;
  std::shared_ptr<const stages::stage_results> snapshot_;
  std::vector<running_stage> running_;
  std::vector<timer_service::timer_id> retry_timers_;
  store::write_set next_;        // steps not yet submitted
  follow_up next_actions_;       // what to do once `next_` is durable
  follow_up in_flight_actions_;  // what to do once the write in flight is durable
  bool dirty_ = false;           // `next_` holds steps
  bool in_flight_ = false;
  std::uint64_t written_no_ = 0;
  std::uint64_t next_write_ = 0;
  bool draining_ = false;
  bool finished_ = false;
  std::mt19937_64 rng_;
};

}  // namespace

caf::behavior item_supervisor(caf::event_based_actor* self, context_ptr ctx, stored_item_ptr rec) {
  auto sup = std::make_shared<supervisor>(self, std::move(ctx), std::move(rec));
  self->set_down_handler([sup](caf::down_msg& dm) { sup->on_down(dm); });
  self->set_exit_handler([sup](caf::exit_msg& em) { sup->stop(std::move(em.reason)); });
  sup->begin();
  return {
      [sup](done_atom, stage_index i, std::uint32_t attempt, success_ptr res) { sup->on_done(i, attempt, std::move(res)); },
      [sup](fail_atom, stage_index i, std::uint32_t attempt, bool permanent, const std::string& message) {
        sup->on_fail(i, attempt, permanent, message);
      },
      [sup](timeout_atom, stage_index i, std::uint32_t attempt) { sup->on_timeout(i, attempt); },
      [sup](retry_atom, stage_index i, std::uint32_t attempt) { sup->on_retry(i, attempt); },
      [sup](written_atom, std::uint64_t no, bool ok) { sup->on_written(no, ok); },
      [sup](drain_atom) { sup->on_drain(); },
  };
}

}  // namespace pw::actors
